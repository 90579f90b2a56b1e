"""The data that flows through the pipeline: a document and the fate of each of its lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cleaner.native import load
from cleaner.records import build, dumps, orjson_line, plain

# The per-rule counts and the record's text as JSON in C (cleaner/report/_diff.c), when built.
_NATIVE = load("cleaner.report._diff")


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
        # Labels of what changed the text, in order: a tuple, so every line can start with the one
        # empty tuple (most lines never change: no list made per line) and a change makes a new one
        # rather than growing an object another line could share.
        self.changed_by: tuple[str, ...] = ()
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
                self.changed_by += (label,)


@dataclass(slots=True)  # not frozen: one per record, and a frozen __init__ costs twice as much
class InputRecord:
    """A record as read (JSONL, Parquet): every field, kept for the output record, and the names
    of the fields cleaner reads (cleaner.records writes the clean text back under ``text``)."""

    fields: dict[str, Any]
    text: str = "text"
    id: str = "id"
    url: str = "url"
    lenient: bool = False  # read by Python's json (NaN, Infinity): written back by it too
    # Its content came from an HTML field (--html-field), which it keeps: a later run reads that
    # field again, not the clean text, so its stats are this run's own, not added to the last's,
    # and a text field it has is its own, not the clean text (records.build's page).
    html: bool = False


@dataclass(slots=True)
class Document:
    """A document as read: ``id``, ``text`` and where it came from."""

    id: str
    text: str
    source: str  # input path, with ":<line>" for JSONL records
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    html: str | None = None  # for HTML input: the page, from which ``text`` is extracted
    line: int | None = None  # for a JSONL record: its line in the file (a Parquet record: its row)
    record: InputRecord | None = None  # for a record input: the record, every field of it


def line_counts(lines: list[Line]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Non-blank lines removed and characters removed per rule id, lines changed per label, keys
    in order of first appearance: the Python twin of _diff.c's line_counts. A repair counts on
    the lines that stay: a line repaired and then removed is the rule's, as the diff and the
    review show it. Plain dicts counted by hand: a Counter's += and update() cost several times
    more."""
    removed: dict[str, int] = {}
    chars: dict[str, int] = {}
    repaired: dict[str, int] = {}
    for line in lines:
        rule = line.dropped_by
        if rule is not None:
            chars[rule] = chars.get(rule, 0) + len(line.orig)
            if line.orig.strip():
                removed[rule] = removed.get(rule, 0) + 1
        elif line.changed_by:
            for label in line.changed_by:
                repaired[label] = repaired.get(label, 0) + 1
    return removed, chars, repaired


def lines_out(text: str) -> int:
    """The non-blank lines of a clean text (the blank separators are layout): the Python twin of
    _diff.c's lines_out, which counts both in one pass."""
    return text.count("\n") - text.count("\n\n")


def _count_lines_out(text: str) -> int:
    return lines_out(text) if _NATIVE is None else _NATIVE.lines_out(text)


@dataclass(slots=True)
class DocStats:
    """What cleaning one document did, counted once: carried by the run's Outcome, summed by
    the run's Totals, and written as the record's ``stats``. A new statistic goes here only."""

    chars_in: int
    chars_out: int
    lines_in: int
    lines_out: int  # non-blank lines of the clean text (the blank separators are layout)
    changed: bool
    removed: dict[str, int]  # non-blank lines removed, per rule id, in order of first appearance
    removed_chars: dict[str, int]  # characters removed, per rule id
    repaired: dict[str, int]  # lines changed, per repair (of the lines that stay)
    emptied_by: str | None  # for a document that ended up empty: the rule that removed most

    @classmethod
    def of(cls, cleaned: Cleaned, lines_out_: int = -1, rows: int = -1) -> DocStats:
        """The counts of ``cleaned``; ``lines_out_`` those of its text when known (-1: counted here).
        With ``rows`` (review.MAX_LINE_CHARS; records sit below report) and _diff.c, a changed
        document's review rows are made in the same walk and kept on it (Cleaned.rows)."""
        changed = cleaned.changed
        if _NATIVE is None:
            removed, chars, repaired = line_counts(cleaned.lines)
        elif rows >= 0 and changed:
            removed, chars, repaired, cleaned.rows = _NATIVE.line_counts(cleaned.lines, rows)
        else:
            removed, chars, repaired = _NATIVE.line_counts(cleaned.lines)
        emptied_by = None
        text = cleaned.text
        if not text:  # (Cleaned.empty)
            emptied_by = max(sorted(chars), key=lambda rule: chars[rule]) if chars else "empty-input"
        # The fields in their order, by position: a class called with keywords has them put in
        # a dict first, once a document.
        return cls(
            len(cleaned.doc.text),  # chars_in
            len(text),  # chars_out
            len(cleaned.lines),  # lines_in
            lines_out_ if lines_out_ >= 0 else _count_lines_out(text),  # lines_out
            changed,
            removed,
            chars,  # removed_chars
            repaired,
            emptied_by,
        )

    def record(self) -> dict[str, Any]:
        """The record's ``stats``."""
        return {
            "chars_in": self.chars_in,
            "chars_out": self.chars_out,
            "lines_in": self.lines_in,
            "lines_out": self.lines_out,
            "removed": self.removed,
            "repaired": self.repaired,
        }


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
    # The output lines, each with the input line it comes from (None: an inserted blank): what
    # ``text`` was rendered from, kept so the diff does not lay the document out again.
    layout: list[tuple[Line | None, str]] | None = None
    _stats: DocStats | None = None  # counted on first use
    # review.record_data's rows, when made with the stats (DocStats.of's rows): None when not
    # (or when a text is too long for them: record_data makes them its way).
    rows: list[tuple[Any, ...]] | None = None

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def changed(self) -> bool:
        # The clean text always ends with a newline; adding only that is not worth a review.
        # (text == doc.text + "\n", without building that copy of the document: asked per document 3 times.)
        text, given = self.text, self.doc.text
        return text != given and not (len(text) == len(given) + 1 and text.endswith("\n") and text.startswith(given))

    def stats(self, rows: int = -1) -> DocStats:
        """The document's counts (``rows``: DocStats.of's, on first use)."""
        if self._stats is None:
            self._stats = DocStats.of(self, -1, rows)
        return self._stats

    def removed(self) -> dict[str, int]:
        """Non-blank lines removed, per rule id, in order of first appearance."""
        return self.stats().removed

    def repaired(self) -> dict[str, int]:
        return self.stats().repaired

    def emptied_by(self) -> str | None:
        """The rule that removed most characters of a document that ended up empty."""
        return self.stats().emptied_by

    def record(self) -> dict[str, Any]:
        """The output record: the input record's fields with cleaner's keys (cleaner.records);
        for a text file, a page or a WARC record: id, source, url, site, text, meta, stats."""
        return self._record(self.text, self.stats())

    def _record(self, text: Any, stats: DocStats) -> dict[str, Any]:
        doc, given = self.doc, self.doc.record
        if given is None:
            return plain(text, self.url, self.site, self.meta, stats, doc.id, doc.source)
        return build(
            given.fields,
            text=text,
            url=self.url,
            site=self.site,
            meta=self.meta,
            stats=stats,
            id=doc.id,
            source=doc.source,
            text_field=given.text,
            id_field=given.id,
            url_field=given.url,
            page=given.html,
        )

    def record_line(self, rows: int = -1) -> bytes:
        """The record as one JSONL line. Its text's JSON is _diff.c's text_json, from the layout's
        lines, when it can: orjson would encode the whole text to UTF-8 once more, every character
        at the text's widest (one curly quote makes a text two bytes a character), where the
        lines' own UTF-8 costs little (mostly ASCII, the rest written in place by _diff.c's put_utf8).
        The same walk counts the text's lines for the stats, when they are not counted yet (another
        pass over the whole text, at its widest, saved: pipeline.outcome asks for this first, and
        ``rows`` as for stats)."""
        given = self.doc.record
        lenient = given is not None and given.lenient
        if lenient or _NATIVE is None or self.layout is None:
            return dumps(self._record(self.text, self.stats(rows)), lenient)
        text, count = _NATIVE.text_json(self.layout, self.text, True)
        stats = self._stats
        if stats is None:
            stats = self._stats = DocStats.of(self, count, rows)
        try:
            return orjson_line(self._record(self.text if text is None else orjson.Fragment(text), stats))
        except TypeError:  # a field orjson cannot write: dumps writes it without the Fragment, which only orjson reads
            return dumps(self._record(self.text, stats), True)
