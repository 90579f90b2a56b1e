"""Paragraphs repeated within one document: a body pasted twice, a lede that repeats a paragraph."""

from __future__ import annotations

import string
from itertools import pairwise
from typing import ClassVar

from cleaner.document import Line
from cleaner.steps.base import State

REPEAT = "dedup.repeat"
PREFIX = "dedup.prefix"
# Punctuation folded to spaces leaves the words: "values" and "values." share a prefix key.
_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "“”‘’–—…«»·•¡¿", " "))
_HEAD_SLICE = 4  # a line's head key is computed from this many times prefix_min_chars characters


def _exact_key(text: str) -> str:
    return " ".join(text.casefold().split())


def _words_key(text: str) -> str:
    return " ".join(text.casefold().translate(_PUNCTUATION).split())


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

    # A line can only be the prefix of one that shares its first prefix_min_chars key
    # characters, and lines sharing them are neighbours once sorted: so only such groups are
    # sorted, and most lines pay for the key of their first few words only. The key of a
    # slice is a prefix of the key of the whole line (folding works character by character).
    groups: dict[str, list[Line]] = {}
    cut = _HEAD_SLICE * prefix_min_chars
    for line in rows:
        if not line.alive:
            continue
        head = _words_key(line.text[:cut])
        if len(head) < prefix_min_chars and len(line.text) > cut:
            head = _words_key(line.text)
        if len(head) >= prefix_min_chars:
            groups.setdefault(head[:prefix_min_chars], []).append(line)
    for group in groups.values():
        if len(group) < 2:
            continue
        keyed = sorted((_words_key(line.text), len(line.text), line.no, line) for line in group)
        # Sorted, every string that starts with A follows A directly: one neighbour to check.
        for (key, size, _, line), (next_key, next_size, _, _) in pairwise(keyed):
            if next_size > size and next_key.startswith(key):
                line.drop(PREFIX)


class Dedup:
    """The within-document duplicates step."""

    name: ClassVar[str] = "dedup"

    def __init__(self, min_chars: int = 20):
        self.min_chars = min_chars

    def __call__(self, state: State) -> None:
        dedup(state.lines, self.min_chars)

    def again(self, state: State) -> bool:
        # Removing lines never makes two paragraphs equal; a rewrite can.
        return state.rewrites
