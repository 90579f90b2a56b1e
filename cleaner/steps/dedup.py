"""Paragraphs repeated within one document: a body pasted twice, a lede that repeats a paragraph."""

from __future__ import annotations

import string
from functools import lru_cache
from itertools import pairwise

from cleaner.document import Line

REPEAT = "dedup.repeat"
PREFIX = "dedup.prefix"
# Punctuation folded to spaces leaves the words: "values" and "values." share a prefix key.
_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "“”‘’–—…«»·•¡¿", " "))


@lru_cache(maxsize=4096)  # boilerplate lines recur across documents; small, so memory stays flat
def _keys(text: str) -> tuple[str, str]:
    """The key for exact repeats (case and spacing folded) and the one for prefixes (words only)."""
    folded = text.casefold()
    return " ".join(folded.split()), " ".join(folded.translate(_PUNCTUATION).split())


def dedup(lines: list[Line], min_chars: int = 20, prefix_min_chars: int = 40) -> None:
    """Keep the first copy of a repeated paragraph; drop a paragraph whose words are the
    start of a longer one (a "Story highlights" or a title echoing the first paragraph)."""
    rows = [line for line in lines if line.alive and not line.blank]
    seen: set[str] = set()
    for line in rows:
        if len(line.text) < min_chars:
            continue
        key = _keys(line.text)[0]
        if key in seen:
            line.drop(REPEAT)
        seen.add(key)

    keyed = sorted((_keys(line.text)[1], len(line.text), line.no, line) for line in rows if line.alive)
    # Sorted, every string that starts with A follows A directly: one neighbour to check.
    for (key, size, _, line), (next_key, next_size, _, _) in pairwise(keyed):
        if len(key) >= prefix_min_chars and next_size > size and next_key.startswith(key):
            line.drop(PREFIX)
