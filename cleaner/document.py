"""The data that flows through the pipeline: a document and the fate of each of its lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class Line:
    """One input line. Steps never delete a Line: they mark it, so the report can say why.

    A plain slotted class: a corpus makes millions of these, and a dataclass ``__init__`` with
    a default factory costs twice as much.
    """

    __slots__ = ("blank", "changed_by", "dropped_by", "no", "orig", "text")

    def __init__(self, no: int, orig: str, text: str | None = None):
        self.no = no  # 1-based line number in the input text
        self.orig = orig  # the line as read
        self.text = orig if text is None else text  # the line as it stands now
        self.dropped_by: str | None = None
        self.changed_by: list[str] = []  # labels of what changed the text, in order
        self.blank = not self.text.strip()  # kept up to date by change(): asked on every pass

    def __repr__(self) -> str:
        return f"Line({self.no}, {self.text!r}, dropped_by={self.dropped_by!r}, changed_by={self.changed_by!r})"

    @property
    def alive(self) -> bool:
        return self.dropped_by is None

    def drop(self, rule_id: str) -> None:
        if self.dropped_by is None:
            self.dropped_by = rule_id

    def change(self, new_text: str, label: str) -> None:
        if new_text != self.text:
            self.text = new_text
            self.blank = not new_text.strip()
            if label not in self.changed_by:
                self.changed_by.append(label)


@dataclass(slots=True)
class Document:
    """A document as read: ``id``, ``text`` and where it came from."""

    id: str
    text: str
    source: str  # input path, with ":<line>" for JSONL records
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    html: str | None = None  # for HTML input: the page, from which ``text`` is extracted
    line: int | None = None  # for a JSONL record: its line in the file


@dataclass(slots=True)
class Cleaned:
    """What the pipeline made of a document: the clean text and every edit on the way."""

    doc: Document
    lines: list[Line]
    text: str
    url: str | None
    site: str | None
    meta: dict[str, Any]
    trailing_newline: bool  # whether the input text ended with a newline (for the diff)
    key: str | None = None  # the site key lines are mined under (cleaner.repeated), when asked
    _counts: tuple[dict[str, int], dict[str, int], dict[str, int]] | None = None  # filled on first use

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def changed(self) -> bool:
        # The clean text always ends with a newline; adding only that is not worth a review.
        return self.text not in (self.doc.text, self.doc.text + "\n")

    def _count(self) -> None:
        removed: Counter[str] = Counter()
        chars: Counter[str] = Counter()
        repaired: Counter[str] = Counter()
        for line in self.lines:
            if line.dropped_by is not None:
                chars[line.dropped_by] += len(line.orig)
                if line.orig.strip():
                    removed[line.dropped_by] += 1
            if line.changed_by:
                repaired.update(line.changed_by)
        self._counts = (dict(removed), dict(chars), dict(repaired))

    def removed(self) -> dict[str, int]:
        """Non-blank lines removed, per rule id, in order of first appearance."""
        if self._counts is None:
            self._count()
        return self._counts[0]  # type: ignore[index]

    def removed_chars(self) -> dict[str, int]:
        if self._counts is None:
            self._count()
        return self._counts[1]  # type: ignore[index]

    def repaired(self) -> dict[str, int]:
        if self._counts is None:
            self._count()
        return self._counts[2]  # type: ignore[index]

    def emptied_by(self) -> str | None:
        """The rule that removed most characters of a document that ended up empty."""
        if not self.empty:
            return None
        chars = self.removed_chars()
        if not chars:
            return "empty-input"
        return max(sorted(chars), key=lambda rule: chars[rule])

    def stats(self) -> dict[str, Any]:
        return {
            "chars_in": len(self.doc.text),
            "chars_out": len(self.text),
            "lines_in": len(self.lines),
            "lines_out": self.text.count("\n"),
            "removed": self.removed(),
            "repaired": self.repaired(),
        }

    def record(self) -> dict[str, Any]:
        """The JSONL record, keys in their documented order."""
        return {
            "id": self.doc.id,
            "source": self.doc.source,
            "url": self.url,
            "site": self.site,
            "text": self.text,
            "meta": self.meta,
            "stats": self.stats(),
        }
