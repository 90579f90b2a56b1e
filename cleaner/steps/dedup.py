"""Paragraphs repeated within one document: a body pasted twice, a lede that repeats a paragraph."""

from __future__ import annotations

import re
from itertools import pairwise

from cleaner.document import Line

REPEAT = "dedup.repeat"
PREFIX = "dedup.prefix"
_WORDS = re.compile(r"\w+")


def _exact_key(text: str) -> str:
    return " ".join(text.casefold().split())


def _words_key(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def dedup(lines: list[Line], min_chars: int = 20, prefix_min_chars: int = 40) -> None:
    """Keep the first copy of a repeated paragraph; drop a paragraph whose words are the
    start of a longer one (a "Story highlights" or a title echoing the first paragraph)."""
    rows = [line for line in lines if line.alive and not line.blank]
    seen: set[str] = set()
    for line in rows:
        if len(line.text) < min_chars:
            continue
        key = _exact_key(line.text)
        if key in seen:
            line.drop(REPEAT)
        seen.add(key)

    keyed = sorted((_words_key(line.text), len(line.text), line.no, line) for line in rows if line.alive)
    # Sorted, every string that starts with A follows A directly: one neighbour to check.
    for (key, size, _, line), (next_key, next_size, _, _) in pairwise(keyed):
        if len(key) >= prefix_min_chars and next_size > size and next_key.startswith(key):
            line.drop(PREFIX)
