"""Unified diffs of original to clean text, built from the edits the pipeline recorded.

Every removed or changed line (blank lines aside) carries, after a tab, the id of what removed or changed it:
``-Source: RT + agencies\t⟨credits.source⟩``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cleaner.document import Cleaned
from cleaner.native import load
from cleaner.steps.whitespace import layout

# The hunks in C (cleaner/report/_diff.c), when built: the same text, without an Op per line.
_NATIVE = load("cleaner.report._diff")

CONTEXT = 3
LAYOUT = "layout"
NO_NEWLINE = "\\ No newline at end of file"


@dataclass(slots=True)
class Op:
    kind: str  # " ", "-", "+"
    text: str
    tag: str | None
    old: int  # line number in the original (for " " and "-")
    new: int  # line number in the clean text (for " " and "+")
    eof_no_newline: bool = False


def tag(text: str, label: str | None) -> str:
    return text if label is None else f"{text}\t⟨{label}⟩"


def ops_for(cleaned: Cleaned, mode: str = "paragraphs") -> list[Op]:
    """Align original and clean lines using what each step recorded; no text is re-diffed."""
    out = cleaned.layout if cleaned.layout is not None else layout(cleaned.lines, mode)  # type: ignore[arg-type]
    position = {id(src): k for k, (src, _) in enumerate(out) if src is not None}
    ops: list[Op] = []
    j = 0
    last_no = len(cleaned.lines)
    for line in cleaned.lines:
        missing_newline = line.no == last_no and not cleaned.trailing_newline
        k = position.get(id(line))
        if k is None:
            # A line the layout let go (dropped_by None) is blank: as read, untagged; made blank by
            # a repair (a line of zero-width spaces), tagged with the repair, as any change is.
            label = line.dropped_by if line.dropped_by is not None else "+".join(line.changed_by) or None
            ops.append(Op("-", line.orig, label, line.no, j, missing_newline))
            continue
        new = out[k][1]
        same = new == line.orig and not missing_newline
        label = "+".join(line.changed_by) or ("newline" if new == line.orig else LAYOUT)
        if not same:  # removed lines first, as diff tools print a change
            ops.append(Op("-", line.orig, label, line.no, j, missing_newline))
        while j < k:  # blank lines the layout inserted before this one
            ops.append(Op("+", out[j][1], None, line.no - (1 if same else 0), j + 1))
            j += 1
        ops.append(Op(" ", new, None, line.no, k + 1) if same else Op("+", new, label, line.no, k + 1))
        j = k + 1
    for k in range(j, len(out)):
        ops.append(Op("+", out[k][1], None, last_no, k + 1))
    return ops


def _hunks(ops: list[Op]) -> list[tuple[int, int]]:
    """Index ranges of ops to print: every change with up to CONTEXT lines around it."""
    changed = [i for i, op in enumerate(ops) if op.kind != " "]
    ranges: list[tuple[int, int]] = []
    for i in changed:
        start, stop = max(i - CONTEXT, 0), min(i + CONTEXT + 1, len(ops))
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], stop)
        else:
            ranges.append((start, stop))
    return ranges


def _span(first: int, count: int) -> str:
    return str(first) if count == 1 else f"{first},{count}"


def render(cleaned: Cleaned, mode: str = "paragraphs") -> str:
    """The diff of one document; "" when nothing changed."""
    if not cleaned.changed:
        return ""
    body = _native_hunks(cleaned, mode, False)
    return _head(cleaned) + (python_hunks(cleaned, mode) if body is None else body)


def render_bytes(cleaned: Cleaned, mode: str = "paragraphs") -> bytes:
    """render's UTF-8, as the .diff file holds it; b"" when nothing changed. _diff.c writes the
    lines' UTF-8 (made where it is written: _diff.c's put_utf8) without building the text as a
    str first, which widened every line to the tags' two-byte kind."""
    if not cleaned.changed:
        return b""
    return render_changed(cleaned, mode)


def render_changed(cleaned: Cleaned, mode: str = "paragraphs") -> bytes:
    """render_bytes of a document known to be changed (pipeline.outcome has its stats say so):
    Cleaned.changed not asked again."""
    # The header first in the same buffer: not joined on with a copy of the whole.
    whole = _native_hunks(cleaned, mode, True, _head(cleaned).encode())
    return whole if whole is not None else render(cleaned, mode).encode("utf-8")  # type: ignore[return-value]


def _head(cleaned: Cleaned) -> str:
    doc = cleaned.doc
    return f"--- {doc.source}\n+++ {doc.source} (clean) id={doc.id}\n"


def _native_hunks(cleaned: Cleaned, mode: str, as_bytes: bool, head: bytes = b"") -> str | bytes | None:
    """The hunks in C (as bytes: led by ``head``); None when not built, or when it leaves them to python_hunks."""
    if _NATIVE is None:
        return None
    out = cleaned.layout if cleaned.layout is not None else layout(cleaned.lines, mode)  # type: ignore[arg-type]
    return _NATIVE.hunks(cleaned.lines, out, cleaned.trailing_newline, LAYOUT, as_bytes, head)


def python_hunks(cleaned: Cleaned, mode: str = "paragraphs") -> str:
    """The diff's hunks (after its two header lines): the Python twin of _diff.c's hunks."""
    ops = ops_for(cleaned, mode)
    parts: list[str] = []
    for start, stop in _hunks(ops):
        chunk = ops[start:stop]
        olds = [op for op in chunk if op.kind != "+"]
        news = [op for op in chunk if op.kind != "-"]
        # An empty side names the line before the hunk, as unified diffs do.
        old_first = olds[0].old if olds else chunk[0].old
        new_first = news[0].new if news else chunk[0].new
        parts.append(f"@@ -{_span(old_first, len(olds))} +{_span(new_first, len(news))} @@\n")
        for op in chunk:
            parts.append(f"{op.kind}{tag(op.text, op.tag)}\n")
            if op.eof_no_newline:
                parts.append(NO_NEWLINE + "\n")
    return "".join(parts)
