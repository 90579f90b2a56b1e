"""The extraction ensemble: several main-content extractors vote on each block of the page.

The page's full text (resiliparse, every block on its own line, menus and footers included) is
the ballot. Each extractor's output is aligned to it in order, on word 5-grams (Bevendorff et
al., SIGIR 2023, vote on token 5-grams of the full text): an extractor keeps a block when at
least half of its words fall in 5-grams aligned with that extractor's output. Aligning in order,
rather than asking whether a 5-gram occurs anywhere in the output, keeps a teaser or a second
copy of a paragraph from borrowing the votes of the article's own copy.

A block is kept by a majority of the voters; a block that trafilatura, the strongest single
extractor on both dev sets, leaves out needs that majority and ``LONG`` words (a lead paragraph
or a passage trafilatura cut, not a teaser or a menu). In balanced mode, a block of ``BESIDE``
words that some extractor kept also stays when the block before or after it (among those some
extractor kept) was elected: a long paragraph next to the article is the article's (a stand-first,
a paragraph in another container), where a menu or a teaser is short. Blocks no voter kept are not
shown; blocks some voter kept that lost the vote are dropped as ``html.vote:<who kept them>``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Literal

from cleaner.words import CJK

Favor = Literal["precision", "balanced", "recall"]
N = 5  # words per gram
SHARE = 0.5  # share of a block's words an extractor must cover to keep it
LONG = 15  # words a block needs to be kept against trafilatura
BESIDE = 25  # words a block some extractor kept needs to stay beside an elected block
PRIMARY = "trafilatura"
VOTE = "html.vote"
# Why a block went, for `cleaner explain` (cleaner/steps/reasons.py): a label that ends in ':'
# stands for every label it starts, and {} is what follows it (here, the voters that kept the block).
DESCRIPTIONS = {
    f"{VOTE}:": "A block of the page that lost the extractors' vote: only {} kept it.",
}
# A word: a run of word characters, except that each Han, Hiragana or Katakana character is one
# (cleaner/words.py): with a whole sentence one "word", a page of one paragraph had fewer than N
# of them, no gram to align, and lost the vote that all three extractors had kept it in.
_WORD = re.compile(f"[{CJK}]|[^\\W{CJK}]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of pairs increasing in both members (pairs sorted by the first)."""
    if all(a[1] < b[1] for a, b in pairwise(pairs)):
        return pairs  # an extractor's output in the page's order: the usual case, in one pass
    tails: list[int] = []
    tail_at: list[int] = []
    back = [-1] * len(pairs)
    for i, (_, b) in enumerate(pairs):
        k = bisect_left(tails, b)
        if k == len(tails):
            tails.append(b)
            tail_at.append(i)
        else:
            tails[k] = b
            tail_at[k] = i
        back[i] = tail_at[k - 1] if k else -1
    chain: list[tuple[int, int]] = []
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        chain.append(pairs[i])
        i = back[i]
    return chain[::-1]


def grams(tokens: Sequence[str], n: int = N) -> list[tuple[str, ...]]:
    """The n-grams of ``tokens``, one starting at each position that has n words."""
    return list(zip(*(tokens[k:] for k in range(n)), strict=False))


def covered(page: Sequence[str], output: Sequence[str], n: int = N, page_grams: list | None = None) -> list[bool]:
    """Which words of ``page`` an in-order alignment with ``output`` covers (patience-style:
    n-grams unique in the output anchor the alignment, the gaps between anchors are aligned
    the same way). ``page_grams``: ``grams(page, n)``, when several outputs share the page."""
    hit = [False] * len(page)
    span = [True] * n
    page_grams = grams(page, n) if page_grams is None else page_grams
    out_grams = grams(output, n)
    todo = [(0, len(page), 0, len(output))]
    while todo:
        p_lo, p_hi, o_lo, o_hi = todo.pop()
        found = out_grams[o_lo : o_hi - n + 1]
        count = Counter(found)
        at = {gram: j for j, gram in enumerate(found, o_lo) if count[gram] == 1}
        # One pair per page position (an output gram is unique), so they come sorted.
        pairs = [(i, j) for i in range(p_lo, p_hi - n + 1) if (j := at.get(page_grams[i])) is not None]
        p_at, o_at = p_lo, o_lo
        for i, j in _lis(pairs):
            if i - p_at >= n and j - o_at >= n:  # a gap wide enough to hold a gram on both sides
                todo.append((p_at, i, o_at, j))
            hit[i : i + n] = span
            p_at, o_at = i + n, j + n
        if p_at > p_lo and p_hi - p_at >= n and o_hi - o_at >= n:
            todo.append((p_at, p_hi, o_at, o_hi))
    return hit


def ballots(blocks: Sequence[str], outputs: dict[str, str]) -> list[frozenset[str]]:
    """For each block, the extractors that kept it."""
    page: list[str] = []
    owner: list[int] = []
    for no, block in enumerate(blocks):
        found = words(block)
        page += found
        owner += [no] * len(found)
    sizes = Counter(owner)
    page_grams = grams(page)
    keepers: list[set[str]] = [set() for _ in blocks]
    for name, text in outputs.items():
        hit = covered(page, words(text), page_grams=page_grams)
        hits: Counter[int] = Counter(no for no, on in zip(owner, hit, strict=True) if on)
        for no, got in hits.items():
            if got >= SHARE * sizes[no]:
                keepers[no].add(name)
    return [frozenset(k) for k in keepers]


def elected(voters: frozenset[str], total: int, size: int, favor: Favor) -> bool:
    """Whether a block kept by ``voters`` (of ``total`` extractors) with ``size`` words stays."""
    if favor == "precision":
        return len(voters) == total
    if favor == "recall":
        return PRIMARY in voters or len(voters) * 2 > total
    return len(voters) * 2 > total and (PRIMARY in voters or size >= LONG)


def label(voters: frozenset[str], order: Sequence[str]) -> str:
    """``trafilatura+readability``: the extractors that kept a block, in the ensemble's order."""
    return "+".join(name for name in order if name in voters)


def vote(
    blocks: Sequence[str], outputs: dict[str, str], favor: Favor
) -> tuple[list[tuple[str | None, str]], dict[str, int]]:
    """The blocks some extractor kept, each with None (elected) or the rule id that dropped it,
    and how many elected blocks each set of extractors kept."""
    order = list(outputs)
    voted = [(block, voters) for block, voters in zip(blocks, ballots(blocks, outputs), strict=True) if voters]
    sizes = [len(words(block)) for block, _ in voted]
    won = [elected(voters, len(order), size, favor) for (_, voters), size in zip(voted, sizes, strict=True)]
    if favor == "balanced":
        won = [
            won[i] or (sizes[i] >= BESIDE and ((i > 0 and won[i - 1]) or (i + 1 < len(won) and won[i + 1])))
            for i in range(len(won))
        ]
    result: list[tuple[str | None, str]] = []
    kept: Counter[str] = Counter()
    for (block, voters), stays in zip(voted, won, strict=True):
        who = label(voters, order)
        if stays:
            result.append((None, block))
            kept[who] += 1
        else:
            result.append((f"{VOTE}:{who}", block))
    return result, dict(sorted(kept.items()))
