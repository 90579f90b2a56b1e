"""Text repeated within one document: a body pasted twice, a headline in a menu and in the body,
a title echoing the lead paragraph. Only real repeats go, never content that merely recurs.

A line goes as ``dedup.repeat`` when it is a copy of another line and either it is long (a
sentence of ``min_words`` words or more: two such lines are the same text said twice) or it is
part of a run of two or more consecutive lines repeated in the same order (a body pasted
twice). A short line repeated on its own stays: the second person's role on a team page, a
row label. Text found three times or more stays unless it is a long sentence (a refrain, the
same steps under each day of a plan). Lines that look like table rows or code never go, nor does
a repeat whose every copy sits between the same two lines that are themselves said three times or
more (the same dish on two days of a plan, each time between the day's "Lunch" and "Snack").

Of the copies, the one inside the main prose block stays (most sentence-like lines around it),
the first on a tie: a headline that is both in a menu and above the article keeps its article
copy. The document's first line, a page's title, always stays: its copy above the article goes.
A line whose words are the start of a longer line at most two rows away (a title echoing the
lead, a "Story highlights" item) goes as ``dedup.prefix``.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import ClassVar

from cleaner.document import Line
from cleaner.native import load
from cleaner.rules.compiled import REWRITES
from cleaner.steps.base import State

REPEAT = "dedup.repeat"
PREFIX = "dedup.prefix"
# Why a line went, for `cleaner explain` (cleaner/steps/reasons.py).
DESCRIPTIONS = {
    REPEAT: "A copy of another line of the document: a long sentence said twice, or part of a run of lines "
    "repeated in the same order (a body pasted twice).",
    PREFIX: "A line whose words start a longer line at most two rows away (a title echoing the lead paragraph).",
}
# Punctuation folded to spaces leaves the words: "values" and "values." share a prefix key.
# (A regex substitution: str.translate looks each character up in a dict, half as fast.)
_PUNCT = string.punctuation + "“”‘’–—…«»·•¡¿"
_PUNCTUATION = re.compile("[" + re.escape(_PUNCT) + "]")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")
# _SENTENCE_END as string operations (the pattern, searched, tries every position of the line): a
# line that, less trailing whitespace (str.isspace, as \s) and then closing quotes and brackets,
# ends in one of _ENDS. (Whitespace cannot sit between the closers and the end: \s* comes last.)
_ENDS = frozenset(".!?…")
_CLOSERS = "\"'”’»)]"
# Code: braces, semicolons at the end, assignments, comments, calls. Tables: tabs, cell bars,
# or a line mostly of numbers.
_CODE = re.compile(
    r"[{};]\s*$|^\s*(?://|#|/\*|<\w)|\w\s*=\s*\S|\w\(.*\)\s*;?$|^\s*(?:def|return|import|var|let|const)\b"
)
_TABLE = re.compile(r"\t|\s\|\s|^\|")
# _TABLE and _CODE as _structured asks them: each branch that needs a character searched only in a
# line that holds it (a search tries every position of the line, some 50 ns each: a line of code or
# a table row is rare, and the character tests cost a tenth of that), the anchored ones as they are.
_CODE_START = re.compile(r"^\s*(?://|#|/\*|<\w)|^\s*(?:def|return|import|var|let|const)\b")
_CODE_END = re.compile(r"[{};]\s*$")  # (needs one of {};)
_CODE_ASSIGN = re.compile(r"\w\s*=\s*\S")  # (needs =)
_CODE_CALL = re.compile(r"\w\(.*\)\s*;?$")  # (needs a '(')
_CELL = re.compile(r"\s\|\s")  # (needs a '|')
_DIGITS = re.compile(r"\d")
MIN_WORDS = 8  # a line repeated on its own goes when it has this many words
PREFIX_MIN_CHARS = 40  # a prefix echo's words are this long at least
PREFIX_REACH = 2  # a prefix echo is looked for this many rows either side, no further
PROSE_WINDOW = 3  # lines either side counted when choosing the copy that sits in the prose
# Text said three times or more is a refrain or a document's own structure (each day of a plan,
# each item of a list), not a paste: only a long sentence that often is dropped.
REFRAIN_WORDS = 15
# A repeat whose every copy sits between the same two such lines is a cell of that structure, and stays.
REFRAIN = 3


# Keys are cached: the step runs in every round of the pipeline on the same line texts.
@lru_cache(maxsize=1 << 14)
def _exact_key(text: str) -> str:
    return " ".join(text.casefold().split())


def _words_key(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


@lru_cache(maxsize=1 << 14)
def _head_key(text: str, cut: int, chars: int) -> str:
    """The words key of the line's first ``cut`` characters, cut to ``chars``."""
    return _words_key(text[:cut])[:chars]


def _structured(text: str) -> bool:
    """A table row or a line of code: repeating is what such lines do."""
    if "\t" in text or ("|" in text and (text[:1] == "|" or _CELL.search(text))):  # _TABLE
        return True
    if (  # _CODE
        _CODE_START.search(text)
        or (("{" in text or "}" in text or ";" in text) and _CODE_END.search(text))
        or ("=" in text and _CODE_ASSIGN.search(text))
        or ("(" in text and _CODE_CALL.search(text))
    ):
        return True
    return len(_DIGITS.findall(text)) * 3 > len(text.replace(" ", ""))


def _prose(text: str, words: int = 10) -> bool:
    # The end first, and the words counted up to ``words`` only: a split at most words - 1 times
    # has ``words`` parts when the line has that many words, fewer when it has fewer (a whole
    # split of a long paragraph was most of what choosing a copy cost).
    return text.rstrip().rstrip(_CLOSERS)[-1:] in _ENDS and len(text.split(None, words - 1)) >= words


# The keys in C (cleaner/steps/_dedup.c), when built: the same keys and decisions, to the bit.
_NATIVE = load("cleaner.steps._dedup")
if _NATIVE is not None:
    _NATIVE.configure(_PUNCT)


def dedup(
    lines: list[Line], min_chars: int = 20, min_words: int = MIN_WORDS, prefix_min_chars: int = PREFIX_MIN_CHARS
) -> None:
    _dedup(lines, min_chars, min_words, prefix_min_chars, _NONE)


# The rows of a call in which no two rows shared a key, their texts then, in order, and whether
# any two of their heads met (_echoes). (A row counts as one of them only when it is that very
# line, with that very text: so a copy of the step, pickled to a worker, never takes another line
# for one of them.)
Unshared = tuple[list[Line], list[str], bool]
_NONE: Unshared = ([], [], True)


def _rows(lines: list[Line], rows_then: list[Line], texts_then: list[str]) -> tuple[list[Line], list[str], bool]:
    """The alive, non-blank lines, their texts, and whether each of them is, in order, one of
    ``rows_then`` (a later one each time) with the very text ``texts_then`` holds for it."""
    if _NATIVE is not None:
        return _NATIVE.rows(lines, rows_then, texts_then)
    rows = [line for line in lines if line.dropped_by is None and not line.blank]  # alive, without the property
    texts = [line.text for line in rows]
    j = 0
    for row, text in zip(rows, texts, strict=True):
        while j < len(rows_then) and rows_then[j] is not row:
            j += 1
        if j == len(rows_then) or texts_then[j] is not text:
            return rows, texts, False
        j += 1
    return rows, texts, True


def _dedup(
    lines: list[Line], min_chars: int, min_words: int, prefix_min_chars: int, unshared: Unshared, again: bool = False
) -> Unshared:
    """dedup(), told the rows of an earlier call that shared no key: when every row is one of
    them, with the same text, no two share a key now either (a key is its text's), and the search
    for repeats is skipped; when, besides, no two of their heads met, no row is an echo of another
    either, and the search for echoes is skipped too. That is the pipeline's next round of a
    document, after other steps removed lines: most documents' second round does no search.
    Gives this call's rows when they shared no key (else none). ``again``: a later round of the
    document of the last call (the C half then looks up the heads its last search made of the
    same texts; the Python one caches them by text: the same drops either way)."""
    if _NATIVE is not None and prefix_min_chars > 0:
        # One C call for the round of most documents: the rows, whether they share a key, and
        # when none does (nothing for the repeats to drop), the prefix echoes among them.
        rows_then, texts_then, echoes_then = unshared
        found_round = _NATIVE.dedup_round(lines, rows_then, texts_then, min_chars, prefix_min_chars, echoes_then, again)
        rows, texts, same, found, drops, echoes = found_round
        if found is None:
            for i in drops:
                rows[i].drop(PREFIX)
            return rows, texts, echoes
        _drop_repeats(rows, found, min_words, texts)
        # The rows the repeats left and their texts in one C call (two comprehensions over a real
        # page's rows were most of the step's Python): rows() reads the lines alive and not blank,
        # and these rows were not blank (their texts have not changed since: only drops here).
        rows, texts, _ = _NATIVE.rows(rows, [], [])
        _prefixes(rows, prefix_min_chars, texts)
        return _NONE
    rows_then, texts_then, echoes_then = unshared
    rows, texts, same = _rows(lines, rows_then, texts_then)
    if same and not echoes_then:
        return rows, texts, False
    if not same and _repeats(rows, texts, min_chars, min_words):
        rows = [line for line in rows if line.dropped_by is None]
        _prefixes(rows, prefix_min_chars, [line.text for line in rows])
        return _NONE
    _prefixes(rows, prefix_min_chars, texts)
    return rows, texts, _echoes(texts, prefix_min_chars)


# Each row's exact key where it is shared (None where it is not: _drop_repeats compares a row's key
# only with a shared one), and the shared keys with their rows.
Found = tuple[list[str | None], dict[str, list[int]]]


def _shared(texts: list[str], min_chars: int) -> Found | None:
    """Each row's exact key when it is ``min_chars`` or more long and two rows or more share it
    (else None: the C half makes the keys of the rows that can share one only), and those keys,
    with their rows, in the order of each key's first row; None when no key is shared (most
    documents: the C half then makes no key at all)."""
    if _NATIVE is not None:
        return _NATIVE.repeats(texts, min_chars)
    keys = [_exact_key(text) for text in texts]
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if len(key) >= min_chars:
            groups.setdefault(key, []).append(i)
    shared = {key: where for key, where in groups.items() if len(where) > 1}
    return ([key if key in shared else None for key in keys], shared) if shared else None


def _repeats(rows: list[Line], texts: list[str], min_chars: int, min_words: int) -> bool:
    """Drops the repeats among the rows (``texts``, their texts); whether any two shared a key."""
    found = _shared(texts, min_chars)
    if found is None:
        return False
    _drop_repeats(rows, found, min_words, texts)
    return True


def _drop_repeats(rows: list[Line], found: Found, min_words: int, texts: list[str]) -> None:
    """Drops the repeats among the rows (``texts``, their texts), given their keys and the keys they
    share (_shared)."""
    keys, shared = found
    repeated = {
        key: where
        for key, where in shared.items()
        if not _structured(rows[where[0]].text) and (len(where) == 2 or _prose(rows[where[0]].text, REFRAIN_WORDS))
    }
    if not repeated:
        return
    # Whether each row is sentence-like, found for the rows a choice looks at only (the rows
    # around repeats: a few of a document's), once each; only drops happen here, never new texts.
    prose: dict[int, bool] = {}

    def is_prose(i: int) -> bool:
        found = prose.get(i)
        if found is None:
            found = prose[i] = _prose(rows[i].text)
        return found

    def prose_around(start: int, stop: int) -> int:
        """Sentence-like lines within PROSE_WINDOW rows of [start, stop), outside it."""
        before = range(max(start - PROSE_WINDOW, 0), start)
        after = range(stop, min(stop + PROSE_WINDOW, len(rows)))
        return sum(map(is_prose, before)) + sum(map(is_prose, after))

    def in_structure(starts: list[int], length: int) -> bool:
        """Whether every copy (``length`` rows from each of ``starts``) sits between the same two
        lines, each said REFRAIN times or more: one cell of the document's own repeated structure
        (the same dish under each day of a plan, each time between the day's "Lunch" and "Snack"),
        not a paste, which stops where the pasted text stops, between lines of its own."""
        sides = set()
        for start in starts:
            stop = start + length
            if start == 0 or stop >= len(rows):
                return False
            sides.add((_exact_key(rows[start - 1].text), _exact_key(rows[stop].text)))
            if len(sides) > 1:
                return False
        # (Each side's own text counted, in C: a line a document says again and again it says the same way.)
        before, after = rows[starts[0] - 1].text, rows[starts[0] + length].text
        return texts.count(before) >= REFRAIN and texts.count(after) >= REFRAIN

    # Runs: maximal stretches i.. and j.. (i < j) where every line of one equals the other's.
    decided: set[int] = set()
    settled: set[int] = set()  # the rows of runs that stay as cells of the document's structure
    for where in repeated.values():
        for a_pos, a in enumerate(where):
            for b in where[a_pos + 1 :]:
                if a in decided or b in decided:
                    continue
                if a > 0 and b > 0 and keys[a - 1] == keys[b - 1] and keys[a - 1] in repeated:
                    continue  # not the start of the run: handled from its first line
                length = 1
                while (
                    a + length < b
                    and b + length < len(rows)
                    and keys[a + length] == keys[b + length]
                    and keys[a + length] in repeated
                ):
                    length += 1
                if length < 2:
                    continue
                if in_structure([a, b], length):  # (its lines are no single repeats either)
                    cells = [*range(a, a + length), *range(b, b + length)]
                    settled.update(cells)
                    decided.update(cells)
                    continue
                keep_b = prose_around(b, b + length) > prose_around(a, a + length)
                gone = range(a, a + length) if keep_b else range(b, b + length)
                for i in gone:
                    rows[i].drop(REPEAT)
                decided.update(range(a, a + length))
                decided.update(range(b, b + length))
    # Single long lines: the copy with most prose around it stays.
    for key, where in repeated.items():
        left = [i for i in where if rows[i].dropped_by is None and i not in settled]  # (alive: Line.alive inline)
        if len(left) < 2 or len(key.split()) < min_words or in_structure(left, 1):
            continue
        # The document's first line, its title, stays: the page repeats it as the article's headline,
        # which goes instead (were the headline kept and then judged chrome, the text would be gone).
        best = left[0] if rows[left[0]].no == 1 else max(left, key=lambda i: (prose_around(i, i + 1), -i))
        for i in left:
            if i != best:
                rows[i].drop(REPEAT)


def _prefixes(rows: list[Line], min_chars: int, texts: list[str] | None = None) -> None:
    """A line whose words start a longer line at most PREFIX_REACH rows away (a headline, then
    a dateline, then the lead that repeats the headline). Most lines pay
    only for the key of their first few words: full keys are folded only for neighbours whose
    heads agree (folding works character by character, so a head's key starts the full key).
    (``texts``: the rows' texts, when the caller has them.)"""
    if _NATIVE is not None and min_chars > 0:
        for i in _NATIVE.prefixes([line.text for line in rows] if texts is None else texts, min_chars):
            rows[i].drop(PREFIX)
        return
    cut = 4 * min_chars
    heads = [_head_key(line.text, cut, min_chars) for line in rows]
    full: dict[int, str] = {}

    def key(i: int) -> str:
        if i not in full:
            full[i] = _words_key(rows[i].text)
        return full[i]

    for i, head in enumerate(heads):
        if len(head) < min_chars and len(rows[i].text) <= cut:
            continue
        for j in (i + 1, i - 1, i + 2, i - 2)[: 2 * PREFIX_REACH]:
            if 0 <= j < len(rows) and heads[j] == head:
                mine, theirs = key(i), key(j)
                if len(mine) >= min_chars and len(theirs) > len(mine) and theirs.startswith(mine):
                    rows[i].drop(PREFIX)
                    break


def _echoes(texts: list[str], min_chars: int) -> bool:
    """Whether a text that can be an echo (_prefixes: its head ``min_chars`` long, or the text
    longer than ``4 * min_chars``) has the head of another text anywhere: when none has, no text
    is an echo among these texts, nor among any of them in their order. (The twin of _dedup.c's
    heads_meet; True for a ``min_chars`` of 0 or less, where _prefixes is not the one described.)"""
    if min_chars <= 0:
        return True
    cut = 4 * min_chars
    firsts: dict[str, bool] = {}  # each head met, and whether a text of it can be an echo
    for text in texts:
        head = _head_key(text, cut, min_chars)
        can = len(head) >= min_chars or len(text) > cut
        if head in firsts:
            if can or firsts[head]:
                return True
        else:
            firsts[head] = can
    return False


class Dedup:
    """The within-document duplicates step."""

    name: ClassVar[str] = "dedup"

    def __init__(self, min_chars: int = 20):
        self.min_chars = min_chars
        # The document of the last call, REWRITES.count after it, and its rows if they shared no
        # key (_dedup): the next round of the same document skips the search for repeats, or the
        # whole call. (Replaced whole, never changed in place: a pipeline shared between threads
        # reads one call's or another's, never a mix, and another document's rows are never its own.)
        self._last: tuple[State | None, int, Unshared] = (None, -1, _NONE)

    def __call__(self, state: State) -> None:
        seen, count, unshared = self._last
        if seen is state and count == REWRITES.count and not unshared[2]:
            # The same document, no text rewritten since (in the rounds only replace rules change
            # a text, and they count it: Rewrites), and no two heads of the rows then met: the
            # rows now are the rows then less the lines dropped since, with the same texts, so
            # none shares a key and none is an echo (_dedup would find so, and do nothing). The
            # rows of then stay the ones to compare with: the rows now are among them, in order.
            return
        found = _dedup(state.lines, self.min_chars, MIN_WORDS, PREFIX_MIN_CHARS, unshared, seen is state)
        self._last = (state, REWRITES.count, found)

    def again(self, state: State) -> bool:
        # Prefix dedup and the choice of the copy inside the prose look at neighbours, which
        # removals change: dedup runs in every round that follows one.
        return True
