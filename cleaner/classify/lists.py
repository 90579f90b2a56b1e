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
_NO_ITEM = re.compile(r"(?:[.!?\u2026]|[(\[]\d+[)\]])[\"'\u2019\u201d)\]]*\s*$")


def skeleton(text: str) -> str:
    """The line's punctuation marks, in order: ``"May 3 – Springfield, IL @ Civic Hall"`` gives ``"–,@"``.
    Combining marks are letters' (a vowel sign, an accent of decomposed text), not punctuation."""
    marks = _PLAIN.sub("", text)
    return marks if marks.isascii() else "".join(c for c in marks if not unicodedata.category(c).startswith("M"))


def item(text: str) -> str:
    """The skeleton of a line that may be one of a list; "" for a line that may not (see _NO_ITEM)."""
    return "" if _NO_ITEM.search(text) else skeleton(text)


def kept_lists(texts: list[str], words: Sequence[float], below: list[int], run: int, min_words: float) -> list[int]:
    """``below`` (indices into ``texts``, in order) less the lines of every list (see the module) of
    at least ``run`` different lines of which MIN_KEPT or more are not below; ``words``: each line's
    words, as the classifier counts them (its features' column). Only the runs around a line below
    are looked at: a document whose lines all stay costs nothing."""
    if not below or run <= 0:
        return below
    n = len(texts)
    gone = set(below)
    marks: dict[int, str] = {}

    def mark(i: int) -> str:
        found = marks.get(i)
        if found is None:
            found = marks[i] = item(texts[i]) if words[i] >= min_words else ""
        return found

    saved: set[int] = set()
    stop = 0  # the end of the last run measured: a line below inside it is settled
    for i in below:
        if i < stop:
            continue
        shape = mark(i)
        if not shape:
            continue
        start = i
        while start > 0 and mark(start - 1) == shape:
            start -= 1
        stop = i + 1
        while stop < n and mark(stop) == shape:
            stop += 1
        lines = range(start, stop)
        if len({texts[j] for j in lines}) >= run and sum(j not in gone for j in lines) >= MIN_KEPT:
            saved.update(lines)
    return [i for i in below if i not in saved] if saved else below
