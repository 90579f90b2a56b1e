"""Lists in a document's body: a run of consecutive lines cut from one template shares one fate.

Tour dates (``May 3 – Springfield, IL @ Civic Hall``), results (``Oslo (Pool 2): third visit``), a
table's rows: the classifier judges each line by itself and its neighbours, and near the end of an
article its verdicts on such a list drift with the position, so it kept the head of the list and
dropped the tail, content cut in the middle. A list is either all content or all chrome, so once the
classifier keeps some of its lines, the rest of it is kept too (precision first: keeping the rest of
a chrome list the classifier half kept costs less than cutting a list of content in two).

What makes a run of lines one list: each line is an item (``item``): it has at least ``min_words``
words (runs of short items are what menus, tag lists and footer columns are made of: the
classifier's nav runs), does not end a sentence (paragraphs of one sentence each all share their
full stop) and does not end in a count in brackets (a category menu's or a tag cloud's items);
the items all carry the same punctuation marks in the same order, and not none (their
``skeleton``: plain text lines that only share an absence of marks are no template); and at least
``run`` of them differ (a line repeated is a paste or a widget, dedup's business). It is kept
whole when at least MIN_KEPT of its lines are not below the threshold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MIN_KEPT = 2  # lines of a list the classifier keeps, at least, for the rest of it to be kept too
_PLAIN = re.compile(r"[\w\s]+")  # what is not a mark: letters, digits, the underscore, spaces
# A line that ends a sentence is prose, not an item (paragraphs of one sentence each share their
# marks); one that ends in a count in brackets is a menu's or a tag cloud's ("Politics (12)").
_SENTENCE_END = ".!?\u2026"
_CLOSERS = "\"'\u2019\u201d)]"  # after a sentence's end: a quote's, a bracket's
_COUNT = re.compile(r"[(\[]\d+[)\]]$")


def skeleton(text: str) -> str:
    """The line's punctuation marks, in order: ``"May 3 – Springfield, IL @ Civic Hall"`` gives ``"–,@"``.
    Combining marks are letters' (a vowel sign, an accent of decomposed text), not punctuation."""
    marks = _PLAIN.sub("", text)
    return marks if marks.isascii() else "".join(c for c in marks if not unicodedata.category(c).startswith("M"))


# item() of the lines of the last documents: the classifier asks again in every round, of the same
# lines (a page takes four rounds on average). A cache only: it changes no answer.
_ITEMS: dict[str, str] = {}
_ITEMS_SIZE = 1 << 14


def item(text: str) -> str:
    """The skeleton of a line that may be one of a list; "" for a line that may not: one that ends
    a sentence, or in a count (see _SENTENCE_END). Only the line's end is looked at for those."""
    end = text.rstrip()
    core = end.rstrip(_CLOSERS)
    if (core and core[-1] in _SENTENCE_END) or _COUNT.search(end, max(0, len(end) - 24)):
        return ""
    return skeleton(text)


def kept_lists(texts: list[str], words: Sequence[float], below: list[int], run: int, min_words: float) -> list[int]:
    """``below`` (indices into ``texts``, in order) less the lines of every list (see the module) of
    at least ``run`` different lines of which MIN_KEPT or more are not below; ``words``: each line's
    words, as the classifier counts them (its features' column). A list lies within a stretch of
    consecutive lines of ``min_words`` words or more: only in a stretch long enough and with lines
    enough kept are marks read, and only those of the runs around its lines below (most lines
    below are a menu's short ones; most stretches around long ones are all below, or one line)."""
    if not below or run <= 0:
        return below
    n = len(texts)
    gone = set(below)
    saved: set[int] = set()
    end = 0  # the end of the last stretch measured: a line below inside it is settled
    stop = 0  # the end of the last run measured, likewise
    for i in below:
        if i < stop or not words[i] >= min_words:
            continue
        if i >= end:  # a new stretch: long and kept enough to hold a list?
            start = i
            while start > 0 and words[start - 1] >= min_words:
                start -= 1
            end = i + 1
            while end < n and words[end] >= min_words:
                end += 1
            if end - start < run or sum(j not in gone for j in range(start, end)) < MIN_KEPT:
                stop = end
                continue
        shape = _item(texts[i])
        if not shape:
            continue
        first = i
        while first > 0 and words[first - 1] >= min_words and _item(texts[first - 1]) == shape:
            first -= 1
        stop = i + 1
        while stop < n and words[stop] >= min_words and _item(texts[stop]) == shape:
            stop += 1
        lines = range(first, stop)
        if len({texts[j] for j in lines}) >= run and sum(j not in gone for j in lines) >= MIN_KEPT:
            saved.update(lines)
    return [i for i in below if i not in saved] if saved else below


def _item(text: str) -> str:
    """item(text), kept for the document's next rounds (the classifier asks of the same lines)."""
    found = _ITEMS.get(text)
    if found is None:
        if len(_ITEMS) >= _ITEMS_SIZE:
            _ITEMS.clear()
        found = _ITEMS[text] = item(text)
    return found
