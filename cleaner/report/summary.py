"""Run totals, per-file and per-rule counts, documents flagged for review: summary.json and .md.

Each input file's counts and notes (flagged, emptied, failed documents) are written beside its
shard as the run goes (see workdir.py); the summary is assembled from them at the end, reading
them as streams, so memory stays flat however many files and documents the run sees.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from cleaner.errors import Problem
from cleaner.io.atomic import atomic_open
from cleaner.native import load
from cleaner.printable import printable
from cleaner.report.outcome import Outcome

# A document's counts added to its file's in C (cleaner/report/_diff.c), when built.
_NATIVE = load("cleaner.report._diff")

FLAG_SHARE = 0.5  # a document that lost more than this share of its characters is flagged
MD_ROWS = 50
_COUNTS = ("docs_in", "docs_out", "docs_empty", "docs_failed", "docs_changed", "chars_in", "chars_out")


@dataclass(slots=True)
class Totals:
    docs_in: int = 0
    docs_out: int = 0
    docs_empty: int = 0
    docs_failed: int = 0
    docs_changed: int = 0
    chars_in: int = 0
    chars_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)  # rule id -> lines
    removed_chars: Counter[str] = field(default_factory=Counter)  # rule id -> characters
    repaired: Counter[str] = field(default_factory=Counter)

    def add(self, other: Totals) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.removed.update(other.removed)
        self.removed_chars.update(other.removed_chars)
        self.repaired.update(other.repaired)

    @property
    def chars_removed(self) -> int:
        """The characters of the lines removed, by every rule and step: the rules table's sum. Not
        chars_in - chars_out, which also holds repairs and layout: a text given a final newline
        and nothing removed was "removed -1"."""
        return sum(self.removed_chars.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in _COUNTS},
            "chars_removed": self.chars_removed,
            "removed": dict(sorted(self.removed.items())),
            "removed_chars": dict(sorted(self.removed_chars.items())),
            "repaired": dict(sorted(self.repaired.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Totals:
        return cls(
            **{name: data[name] for name in _COUNTS},
            removed=Counter(data["removed"]),
            removed_chars=Counter(data["removed_chars"]),
            repaired=Counter(data["repaired"]),
        )


class FileSummary:
    """The counts of one input file, and its notes written to ``notes`` as JSON lines."""

    def __init__(self, notes: BinaryIO):
        self.totals = Totals()
        self._notes = notes

    def _note(self, kind: str, **fields: Any) -> None:
        self._notes.write(orjson.dumps({"kind": kind, **fields}) + b"\n")

    def document(self, outcome: Outcome) -> None:
        t, stats = self.totals, outcome.stats
        t.docs_in += 1
        t.chars_in += stats.chars_in
        t.chars_out += stats.chars_out
        t.docs_changed += stats.changed
        # (In C: a Counter's item assignment runs Python, ~400 instructions a key; this call took
        # from 3.7 to 1.75 us a bench document, 8.1 to 3.9 a real page.)
        if _NATIVE is None or not _NATIVE.totals_add(
            t.removed, t.removed_chars, t.repaired, stats.removed, stats.removed_chars, stats.repaired
        ):
            _counts(t, stats.removed, stats.removed_chars, stats.repaired)
        if stats.emptied_by is not None:
            t.docs_empty += 1
            self._note("emptied", id=outcome.id, source=outcome.source, rule=stats.emptied_by)
            return
        t.docs_out += 1
        lost = stats.chars_in - stats.chars_out
        if outcome.flagged:
            chars = stats.removed_chars
            top = max(sorted(chars), key=chars.__getitem__) if chars else None
            self._note(
                "flagged", id=outcome.id, source=outcome.source, lost=round(lost / stats.chars_in, 3), top_rule=top
            )

    def failure(self, problem: Problem) -> None:
        self.totals.docs_failed += 1
        self._note("failure", file=problem.file, line=problem.line, message=problem.message)


def _counts(t: Totals, removed: dict[str, int], chars: dict[str, int], repaired: dict[str, int]) -> None:
    """A document's counts added to its file's: the Python twin of _diff.c's totals_add."""
    if removed:  # most documents have no repairs, some no removal: skip the empty ones
        _count(t.removed, removed)
    if chars:
        _count(t.removed_chars, chars)
    if repaired:
        _count(t.repaired, repaired)


def _count(into: Counter[str], counts: dict[str, int]) -> None:
    """Counter.update by hand: update() asks whether its argument is a Mapping (an ABC check)
    and walks it in Python anyway, three times a document."""
    get = into.get
    for key, n in counts.items():
        into[key] = get(key, 0) + n


Files = Callable[[], Iterator[tuple[str, Totals]]]  # each input file's name and counts, in order
Notes = Callable[[], Iterator[dict[str, Any]]]  # every note, in order


def write_summary(directory: Path, files: Files, notes: Notes, flag_share: float = FLAG_SHARE) -> Totals:
    """summary.json and summary.md from per-file counts and notes (each read as a stream)."""
    totals = Totals()
    for _, counts in files():
        totals.add(counts)
    _write_json(directory / "summary.json", totals, files, notes)
    _write_md(directory / "summary.md", totals, files, notes, flag_share)
    return totals


def _kind(notes: Notes, kind: str) -> Iterator[dict[str, Any]]:
    for note in notes():
        if note["kind"] == kind:
            yield {k: v for k, v in note.items() if k != "kind"}


def _write_json(path: Path, totals: Totals, files: Files, notes: Notes) -> None:
    with atomic_open(path) as out:
        head = totals.as_dict()
        del head["removed_chars"]
        out.write(b'{"totals":' + orjson.dumps(head))
        rules = {
            rule: {"lines": totals.removed[rule], "chars": totals.removed_chars[rule]}
            for rule in sorted(totals.removed_chars)
        }
        out.write(b',"rules":' + orjson.dumps(rules))
        entries: dict[str, Iterable[dict[str, Any]]] = {
            "files": ({"file": name, **_without_chars(counts.as_dict())} for name, counts in files()),
            "flagged": _kind(notes, "flagged"),
            "emptied": _kind(notes, "emptied"),
            "failures": _kind(notes, "failure"),
        }
        for key, items in entries.items():
            out.write(b',"' + key.encode() + b'":[')
            for n, item in enumerate(items):
                out.write((b"," if n else b"") + orjson.dumps(item))
            out.write(b"]")
        out.write(b"}\n")


def _without_chars(counts: dict[str, Any]) -> dict[str, Any]:
    counts.pop("removed_chars")
    return counts


def _write_md(path: Path, t: Totals, files: Files, notes: Notes, flag_share: float) -> None:
    removed = t.chars_removed
    share = f"{removed / t.chars_in:.1%}" if t.chars_in else "0%"
    lines = [
        "# cleaner summary",
        "",
        "| documents in | out | emptied | failed | changed | characters in | out | removed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {t.docs_in} | {t.docs_out} | {t.docs_empty} | {t.docs_failed} | {t.docs_changed} "
        f"| {t.chars_in} | {t.chars_out} | {removed} ({share}) |",
        "",
        "## Rules",
        "",
        "| rule | lines | characters |",
        "|---|---:|---:|",
    ]
    ranked = sorted(t.removed_chars, key=lambda r: (-t.removed_chars[r], r))
    lines += [f"| {md_code(r, True)} | {t.removed[r]} | {t.removed_chars[r]} |" for r in ranked] or [
        "| (none) | 0 | 0 |"
    ]
    if t.repaired:
        lines += ["", "## Repairs", "", "| repair | lines |", "|---|---:|"]
        lines += [f"| {md_code(r, True)} | {n} |" for r, n in sorted(t.repaired.items())]
    flagged = sum(1 for _ in _kind(notes, "flagged"))
    lines += _md_list(
        f"## Flagged for review: lost more than {flag_share:.0%} of their characters ({flagged})",
        (
            f"- {md_code(f['id'])} ({md_text(f['source'])}): lost {f['lost']:.0%}, mostly {md_code(str(f['top_rule']))}"
            for f in _kind(notes, "flagged")
        ),
        flagged,
    )
    lines += _md_list(
        f"## Emptied ({t.docs_empty})",
        (f"- {md_code(e['id'])} ({md_text(e['source'])}): {md_code(e['rule'])}" for e in _kind(notes, "emptied")),
        t.docs_empty,
    )
    lines += _md_list(
        f"## Failures ({t.docs_failed})",
        (f"- {md_text(str(Problem(f['file'], f['line'], f['message'])))}" for f in _kind(notes, "failure")),
        t.docs_failed,
    )
    lines += ["", "## Files", "", "| file | docs in | out | chars in | out |", "|---|---:|---:|---:|---:|"]
    count = 0
    for name, counts in files():
        count += 1
        if count <= MD_ROWS:
            lines.append(
                f"| {md_text(name)} | {counts.docs_in} | {counts.docs_out} | {counts.chars_in} | {counts.chars_out} |"
            )
    if count > MD_ROWS:
        lines.append(f"| ... {count - MD_ROWS} more in summary.json | | | | |")
    with atomic_open(path) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))


# Values in summary.md come from the crawl (ids, file names, site keys, messages). Markdown
# is posted on pull requests, so no value may start a line, a heading, a link, an image or
# HTML, or break a table: every one is shown as inline code or as backslash-escaped text, its
# control characters (line breaks included) as visible escapes.
_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]<>()#+!|&~^\"'$%=;?@]")
_INTRAWORD = re.compile(r"(?<=[^\W_])_(?=[^\W_])")  # a_b: no emphasis, left as it is
_BACKTICKS = re.compile(r"`+")


def md_text(value: str) -> str:
    """``value`` as literal Markdown text: every character that could mean markup escaped
    (a table's ``|`` included), except ``_`` inside a word, as in file names."""
    value = printable(value)
    parts = _INTRAWORD.split(value)
    return "_".join(_MD_SPECIAL.sub(lambda m: "\\" + m.group(), part) for part in parts)


def md_code(value: str, cell: bool = False) -> str:
    """``value`` as an inline code span that nothing inside can close; in a table cell
    ``|`` is escaped, which GitHub's tables read as ``|`` even inside code."""
    value = printable(value)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(value)), default=0) + 1)
    if value.startswith("`") or value.endswith("`") or not value.strip(" "):
        value = f" {value} "
    if cell:
        value = value.replace("|", "\\|")
    return f"{fence}{value}{fence}"


def _md_list(title: str, items: Iterator[str], count: int) -> list[str]:
    if not count:
        return []
    out = ["", title, ""]
    for n, item in enumerate(items):
        if n == MD_ROWS:
            out.append(f"- ... {count - MD_ROWS} more in summary.json")
            break
        out.append(item)
    return out
