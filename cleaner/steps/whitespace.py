"""Whitespace: odd spaces to plain ones, no trailing whitespace, and the paragraph layout."""

from __future__ import annotations

import re
from typing import Literal

from cleaner.document import Line
from cleaner.native import load

Layout = Literal["paragraphs", "lines"]

# The layout and its text in one pass in C (cleaner/report/_diff.c), when built.
_NATIVE = load("cleaner.report._diff")

# NBSP and the other fixed-width spaces become plain spaces; zero-width marks and the BOM go.
# So do the line breaks str.splitlines knows besides \n and \r, which a line holds (lines are cut
# at \n, \r\n and \r only): VT (U+000B, a soft line break in word processors' exports), FF
# (U+000C, a page break), FS, GS and RS (U+001C-U+001E), U+2028 and U+2029, with US (U+001F, the
# unit separator: a separator as FS, GS and RS are, and whitespace to str.isspace, though no line
# break) (BREAKS), and NEL (U+0085), each a space: ftfy would drop VT, FS, GS, RS and US, gluing
# the words either side ("Hello\vworld" as "Helloworld"), and leave FF, U+2028 and U+2029 in the text. The repair step
# makes BREAKS spaces first, before ftfy sees a line (repair.repair); NEL is left to ftfy, which
# reads it as the "…" of Windows-1252 (text decoded as Latin-1), and is a space only with the
# encoding repair off.
BREAKS = "\x0b\x0c\x1c\x1d\x1e\x1f\u2028\u2029"
_SPACES = dict.fromkeys(map(ord, BREAKS), " ")
_ODD_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f]")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
LABEL = "whitespace"
# Why a line changed, for `cleaner explain` (cleaner/steps/reasons.py).
DESCRIPTIONS = {
    LABEL: "Spacing normalized: NBSP and other fixed-width spaces, and line or page breaks within a line (VT, FF, "
    "U+2028...) and the separators FS, GS, RS and US, made plain spaces, zero-width marks and trailing whitespace removed.",
}
# A line ends at \\n, \\r\\n or a lone \\r (pipeline.split_lines): whitespace before any of them.
_DIRTY = re.compile(
    "\\s(?:$|(?=\\r))|[\x0b\x0c\x1c-\x1f\x85\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u2060\ufeff]",
    re.MULTILINE,
)


def has_breaks(text: str) -> bool:
    """Whether ``text`` holds one of BREAKS (a search for each: memchr, where one regex search
    reads a page a character at a time, ~100 µs for 10 KB)."""
    return (
        "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
        or "\u2028" in text
        or "\u2029" in text
    )


def spaced(text: str) -> str:
    """``text`` with each of BREAKS a space."""
    return text.translate(_SPACES)


def needs_whitespace(text: str) -> bool:
    """Whether ``normalize`` would change any line of ``text`` (one scan instead of one per line)."""
    return _DIRTY.search(text) is not None


def normalize(text: str) -> str:
    # (an ASCII text that is printable holds no odd space: none of them is printable ASCII)
    if not text.isascii() or not text.isprintable():
        text = _INVISIBLE.sub("", _ODD_SPACE.sub(" ", text))
    return text.rstrip()


def layout(lines: list[Line], mode: Layout = "paragraphs") -> list[tuple[Line | None, str]]:
    """The output lines, each with the input line it comes from (None: an inserted blank).

    ``paragraphs``: every kept line is a paragraph, separated by exactly one blank line.
    ``lines``: kept lines stay together; a run of blank or removed lines becomes one blank.
    """
    out: list[tuple[Line | None, str]] = []
    gap: Line | None = None  # the blank input line that best stands for the gap
    gap_seen = False
    for line in lines:
        if line.alive and not line.blank:
            if out and (mode == "paragraphs" or gap_seen):
                out.append((gap, ""))
            out.append((line, line.text))
            gap, gap_seen = None, False
        else:
            gap_seen = gap_seen or line.blank
            if line.alive and line.blank:
                gap = line
    return out


def laid_out(lines: list[Line], mode: Layout = "paragraphs") -> tuple[list[tuple[Line | None, str]], str]:
    """``layout`` and ``render`` of it: the output lines and the clean text."""
    if _NATIVE is not None:
        return _NATIVE.layout(lines, mode == "paragraphs")
    out = layout(lines, mode)
    return out, render(out)


def render(out: list[tuple[Line | None, str]]) -> str:
    if not out:
        return ""
    return "\n".join(text for _, text in out) + "\n"


def layout_text(text: str, mode: Layout = "paragraphs") -> str:
    """The layout of a plain text, as the pipeline would give it (used to compare test output)."""
    lines = [Line(i, t, normalize(t)) for i, t in enumerate(text.split("\n"), 1)]
    return render(layout(lines, mode))
