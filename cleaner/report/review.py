"""What a run keeps of each changed document for review, and ``reports/removals.jsonl``.

While a run cleans, each changed document becomes its *review record*: every non-blank input
line with its fate (kept, removed by a rule, changed by a repair or a replace rule; a line a
repair made blank, as a line of zero-width spaces, is a changed row too), plus the document's
counts. The page's data (pagedata.py) is rendered from these records where the
documents are cleaned, and so is ``removals.jsonl``: per changed document, only the lines something acted on
and ``CONTEXT`` non-blank lines around each. ``cleaner compare`` joins two runs'
``removals.jsonl`` by document id; it never re-runs cleaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from cleaner.document import Cleaned
from cleaner.errors import UsageError
from cleaner.io.readers import REPORT_MARKER, out_marker, read_marker
from cleaner.native import load

REMOVALS = "removals.jsonl"
CONTEXT = 2  # non-blank lines shown on each side of a line something acted on
KEPT, DROPPED, CHANGED = " ", "-", "~"

# The rows in C (cleaner/report/_diff.c), when built: the same lists, without a Python loop per line.
_NATIVE = load("cleaner.report._diff")

# What one document may add to the review files: a document of half a million lines must not
# make a page no browser opens, or a worker run out of memory building its record. Every line
# something acted on is kept (compare needs them all), with CONTEXT lines around it; other kept
# lines only among the first MAX_ROWS. Texts are cut at MAX_LINE_CHARS (rules never look past
# that either); the .diff files hold everything.
MAX_ROWS = 1000
MAX_LINE_CHARS = 2000

# A line of a record: (line number, fate, tag (rule id or "+"-joined labels; None when kept), text, original text
# (only for a changed line)). Text is the line as read for kept and removed lines, as written for changed ones.
# A tuple where a document is cleaned (one allocation, nothing for the GC to track), a list read back from JSON.
Row = Sequence[Any]


def record(cleaned: Cleaned) -> str:
    """The review record of one document: one JSON line (ids with newlines or quotes stay one line)."""
    return orjson.dumps(record_data(cleaned)).decode("utf-8") + "\n"


def record_data(cleaned: Cleaned) -> dict[str, Any]:
    """The review record of one document: its counts and every non-blank line with its fate."""
    rows = cleaned.rows  # made with the stats (pipeline.outcome asks for them), or here
    if rows is None and _NATIVE is not None:
        rows = _NATIVE.review_rows(cleaned.lines, MAX_LINE_CHARS)
    if rows is None:
        rows = python_rows(cleaned)
    if len(rows) > MAX_ROWS:
        near = with_context(rows)
        rows = rows[:MAX_ROWS] + [row for row in near if row[0] > rows[MAX_ROWS - 1][0]]
    doc = cleaned.doc
    stats = cleaned.stats()
    return {
        "id": doc.id,
        "source": doc.source,
        "site": cleaned.site,
        "chars_in": len(doc.text),
        "chars_out": len(cleaned.text),
        "emptied": stats.emptied_by,
        "removed": stats.removed,
        "removed_chars": stats.removed_chars,
        "repaired": stats.repaired,
        "lines": rows,
    }


def python_rows(cleaned: Cleaned) -> list[Row]:
    """Every non-blank line with its fate (texts cut at MAX_LINE_CHARS): the Python twin of
    _diff.c's review_rows."""
    rows: list[Row] = []
    append, most = rows.append, MAX_LINE_CHARS
    for line in cleaned.lines:
        if line.dropped_by is not None:
            orig = line.orig
            if orig.strip():
                append((line.no, DROPPED, line.dropped_by, orig if len(orig) <= most else _shown(orig)))
            continue
        text = line.text
        if not text.strip():
            # A blank line is no row, unless a repair made it blank (a line of zero-width spaces):
            # that is a change, shown as every other one is.
            orig = line.orig
            if line.changed_by and orig.strip():
                append((line.no, CHANGED, "+".join(line.changed_by), text, orig if len(orig) <= most else _shown(orig)))
            continue
        shown = text if len(text) <= most else _shown(text)
        if line.changed_by:
            orig = line.orig
            append((line.no, CHANGED, "+".join(line.changed_by), shown, orig if len(orig) <= most else _shown(orig)))
        else:
            append((line.no, KEPT, None, shown))
    return rows


def _shown(text: str) -> str:
    if len(text) <= MAX_LINE_CHARS:
        return text
    return f"{text[:MAX_LINE_CHARS]} … {len(text) - MAX_LINE_CHARS} more characters"


def read_records(fragments: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Every review record of a run, in input order."""
    for fragment in fragments:
        with fragment.open("rb") as part:
            for line in part:
                if line.strip():
                    yield orjson.loads(line)


def edit(original: Any, text: Any) -> Any:
    """A changed line's original as the review page's entry holds it: [prefix, suffix, middle],
    the characters (code points) it shares with the changed ``text`` at its start and at its end,
    and its own between (the page puts it back: text's first prefix characters, middle, text's last
    suffix). A repair most often touches a space or two of a long line, which the entry held twice
    whole. Not two str: the original as it is."""
    if not (isinstance(original, str) and isinstance(text, str)):
        return original
    most = min(len(original), len(text))
    prefix = 0
    while prefix < most and original[prefix] == text[prefix]:
        prefix += 1
    suffix = 0
    while suffix < most - prefix and original[-1 - suffix] == text[-1 - suffix]:
        suffix += 1
    return [prefix, suffix, original[prefix : len(original) - suffix]]


def with_context(rows: list[Row], context: int = CONTEXT) -> list[Row]:
    """The rows something acted on and ``context`` rows on each side (rows are non-blank lines)."""
    n = len(rows)
    wanted: set[int] = set()
    for i, row in enumerate(rows):
        if row[1] != KEPT:
            wanted.update(range(max(i - context, 0), min(i + context + 1, n)))
    return [rows[i] for i in sorted(wanted)]


def removals_line(rec: dict[str, Any], near: list[Row] | None = None) -> bytes:
    """A record as written to removals.jsonl: its lines cut down to what acted and its context
    (``near``: with_context of its lines, when the caller has it)."""
    return orjson.dumps({**rec, "lines": with_context(rec["lines"]) if near is None else near}) + b"\n"


def _reports_of(out: Path) -> list[Path]:
    """The report directories a clean output may have: the one its own marker names (a report
    elsewhere: readers.out_marker), reports/ beside it, and any directory beside it whose report
    marker names it (``--report out/rep``, which needs no marker of the output's)."""
    found = []
    named = read_marker(out_marker(out)).get("report")
    if isinstance(named, str):
        found.append(out.parent / named)
    found.append(out.parent / "reports")
    try:
        beside = sorted(p for p in out.parent.iterdir() if p.is_dir() and p.name != "reports")
    except OSError:
        beside = []
    for directory in beside:
        marked = read_marker(directory / REPORT_MARKER).get("out")
        if isinstance(marked, str) and (directory / marked).resolve() == out.resolve():
            found.append(directory)
    return found


def removals_path(path: Path) -> Path:
    """removals.jsonl of a run output given as its report directory, its output directory
    (holding reports/) or its clean JSONL file (its report found as _reports_of finds it)."""
    candidates = (
        [path / REMOVALS, path / "reports" / REMOVALS]
        if path.is_dir()
        else [report / REMOVALS for report in _reports_of(path)]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if any((candidate.parent / REPORT_MARKER).is_file() for candidate in candidates):
        raise UsageError(
            f"{path}: its cleaner report has no {REMOVALS} (a --reports summary run writes none); "
            "clean again with --reports full to compare"
        )
    raise UsageError(
        f"{path}: not a cleaner run output (no {REMOVALS} in it, in reports/ under it or beside it); "
        "give the report directory, the output directory or the clean JSONL of a `cleaner clean` run"
    )


def load_removals(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a removals.jsonl."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
                doc_id = rec["id"]
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                raise UsageError(f"{path}:{number}: not a removals record: {exc}") from None
            if type(doc_id) is not str:
                raise UsageError(f"{path}:{number}: not a removals record: its id is not a string")
            yield rec
