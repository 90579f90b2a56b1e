"""What the text of a line and of its neighbours shows: the features of the line classifier.

Everything is computed from the document's live, non-blank lines in order, and nothing else
(not line numbers, not blank lines, not removed lines): cleaning the clean output then sees the
same features for the lines it keeps, which is what makes the classifier a fixed point.

Per line, only what needs the text (words, stopwords, a few character counts): in C where the
extension is built (cleaner/classify/_lines.c), else numpy and regular expressions here, to the
same bits; everything that looks at neighbours is numpy over the whole document.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from itertools import chain, groupby, islice

import numpy as np

from cleaner.classify import compiled, layout
from cleaner.classify.layout import BUCKETS, INDEX, LONG_WORDS, MAX_LINE_CHARS, NAMES, SHORT_WORDS  # noqa: F401 (INDEX: features.INDEX)
from cleaner.classify.ngrams import hashed_ids, languages_of, word_ids
from cleaner.classify.stoplists import LANGUAGES, stopword_languages
from cleaner.native import load

_NGRAM_BUCKETS = BUCKETS  # bench.train reads it here
# The row and matrix layouts (cleaner/classify/layout.py), by the names this module has long used.
_ROW, _R_WORDS, _R_UPPER_SHARE, _R_DIGITS, _R_HITS = (
    layout.ROW,
    layout.R_WORDS,
    layout.R_UPPER_SHARE,
    layout.R_DIGITS,
    layout.R_HITS,
)
_STATIC, _LAYOUT, _DOC_SPEC = layout.STATIC, layout.LAYOUT, layout.DOC_SPEC
WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*\s*$")
_SEPARATORS = re.compile(r"\s[|›»/·•>]\s|->|\s-\s|\|")
_SEPARATOR_HINT = re.compile(r"[|›»/·•>-]")  # every match of _SEPARATORS holds one of these
# _SENTENCE_END as string operations: a line that, less trailing spaces (str.isspace, as \s) and
# then closing quotes and brackets, ends in one of _ENDS.
_ENDS = frozenset(".!?…:;")
_CLOSERS = "\"'”’»)]"
# A date (1.2.2024, 2024-01-02) or a year 19xx/20xx, as whole words: reference.DATE, written to
# start with a digit (a pattern that starts with a character class is scanned for it in C, not
# tried at every position) whose lookbehind stands for the \b before it; used only as "any match".
_DATE = re.compile(r"\d(?<!\w\d)(?:\d{0,3}[./-]\d{1,2}[./-]\d{1,4}\b|(?<=1)9\d\d\b|(?<=2)0\d\d\b)")
_LINK = re.compile(r"https?://|www\.|@\w|\.(?:com|org|net|de)\b")


def tokens_of(text: str) -> list[str]:
    return WORD.findall(text.casefold())


# Character classes (str.isalpha, isupper, isdigit, isalnum, isspace) by code point, filled in as
# code points are first seen: the per-line counts are then numpy over a whole batch of lines.
_ALPHA, _UPPER, _DIGIT, _ALNUM, _SPACE = 1, 2, 4, 8, 16
_UNKNOWN = 128  # a code point not seen yet
_CLASS = np.full(0x110000, _UNKNOWN, dtype=np.uint8)
# A character's code: its class bits, then 32 if it starts a word, 64 if an upper-case one; which
# of the counts of _per_line (alpha, upper, digit, alnum, space, words, capitalised) each code adds to.
_CODE_BITS = ((np.arange(128)[:, None] >> np.array([0, 1, 2, 3, 4, 5, 6])) & 1).astype(np.int64)


def _classes(points: np.ndarray) -> np.ndarray:
    """The class bits of each code point."""
    classes = _CLASS[points]
    if classes.max(initial=0) == _UNKNOWN:  # every known code point's bits are under 32
        for cp in np.unique(points[classes == _UNKNOWN]).tolist():
            ch = chr(cp)
            _CLASS[cp] = (
                ch.isalpha() * _ALPHA
                | ch.isupper() * _UPPER
                | ch.isdigit() * _DIGIT
                | ch.isalnum() * _ALNUM
                | ch.isspace() * _SPACE
            )
        classes = _CLASS[points]
    return classes


# text -> (hashed n-grams, the row as float64 bytes, the words joined by spaces)
_Info = tuple[list[int], bytes, str]
_LINES: dict[str, _Info] = {}
_LINES_SIZE = 16384  # the oldest entry goes when full: the pipeline asks again in each round


def _char_counts(texts: list[str]) -> list[list[int]]:
    """Per text: its alphabetic, upper-case, digit, alphanumeric and space characters (str.isalpha,
    ...), its words of str.split() and those starting with an upper-case letter; numpy over the
    texts joined, each character's class bits plus whether it starts a word (a non-space after a
    space or at the text's start) and an upper-case one, counted per text."""
    k = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=k)
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _classes(points)
    space = classes & _SPACE
    after_space = np.empty(len(points), dtype=np.uint8)
    after_space[:1] = _SPACE
    after_space[1:] = space[:-1]
    starts = np.cumsum(lengths) - lengths
    after_space[starts[lengths > 0]] = _SPACE
    first = (space ^ _SPACE) & after_space  # _SPACE where a word starts
    code = classes | (first << 1) | ((first >> 4) & (classes >> 1) & 1) << 6
    line = np.repeat(np.arange(0, k * 128, 128), lengths)
    return (np.bincount(line + code, minlength=k * 128).reshape(k, 128) @ _CODE_BITS).tolist()


def _per_line(texts: list[str]) -> list[_Info]:
    """What each text alone gives (see _ROW), for texts not seen before; the character counts
    and stopword hits of all of them in a few numpy passes."""
    k = len(texts)
    casefolded = [t.casefold() for t in texts]
    tokens = [WORD.findall(t) for t in casefolded]
    counts = list(map(len, tokens))
    flat = list(chain.from_iterable(tokens))
    nwords = np.array(counts, dtype=np.int64)
    rows = np.zeros((k, _ROW))
    rows[:, _R_WORDS] = nwords
    per_line = _char_counts(texts)
    ids = word_ids(flat)
    # Stopword hits: each word's language mask, its bits summed per line.
    if len(flat):
        has = nwords > 0
        starts = (np.cumsum(nwords) - nwords)[has]
        bits = np.unpackbits(languages_of(ids).astype("<u2").view(np.uint8).reshape(-1, 2), axis=1, bitorder="little")
        rows[has, _R_HITS:] = np.add.reduceat(bits, starts, axis=0, dtype=np.int64)
    static = []
    for text, folded, words, (alpha, upper, digit, alnum, spaces, split, capitalised) in zip(
        texts, casefolded, tokens, per_line, strict=True
    ):
        static.append(
            (
                text.rstrip().rstrip(_CLOSERS)[-1:] in _ENDS,  # _SENTENCE_END, without scanning the line
                text.endswith(":"),
                len(_SEPARATORS.findall(text)) if _SEPARATOR_HINT.search(text) else 0,
                capitalised / (split or 1),
                sum(map(len, words)) / len(words) if words else 0.0,
                text.count(","),
                digit > 0 and _DATE.search(text) is not None,  # \d is a str.isdigit character
                _LINK.search(text) is not None,
                "©" in text or "(c)" in folded,
                text[:1] in "-•*·>»›|#",
                alpha,
                upper,
                digit,
                len(text) - alnum - spaces,
            )
        )
    if k:
        values = np.array(static, dtype=float)
        rows[:, _STATIC] = values[:, :10]
        rows[:, _R_UPPER_SHARE] = values[:, 11] / np.maximum(values[:, 10], 1)
        rows[:, _R_DIGITS:_R_HITS] = values[:, 12:]
    return [
        (grams, row.tobytes(), " ".join(words))
        for words, grams, row in zip(tokens, hashed_ids(ids, counts), rows, strict=True)
    ]


# _per_line in C (cleaner/classify/_lines.c), when built: the same values, to the bit.
_NATIVE = load("cleaner.classify._lines")


def _native_per_line(texts: list[str]) -> list[_Info]:
    return _NATIVE.infos(texts, stopword_languages(), _LAYOUT)  # type: ignore[union-attr]


def _line_infos(texts: list[str]) -> list[_Info]:
    """Each text's _Info, from the cache or computed (all new ones of a document at once)."""
    cache = _LINES
    infos = list(map(cache.get, texts))
    if None not in infos:  # (an _Info is a tuple: never equal to None)
        return infos  # type: ignore[return-value]
    # The new texts, each once, in order of first appearance.
    missing = list(dict.fromkeys([t for t, info in zip(texts, infos, strict=True) if info is None]))
    # Room made by dropping the oldest entries, all from one pass over the cache (a fresh
    # iterator per entry would walk again over the slots the entries before it left empty).
    excess = min(len(cache) + len(missing) - _LINES_SIZE, len(cache))
    if excess > 0:
        for old in list(islice(cache, excess)):
            del cache[old]
    compute = _per_line if _NATIVE is None else _native_per_line
    new = dict(zip(missing, compute(missing), strict=True))
    cache.update(new)
    # The ones found before are kept here even if making room just dropped them from the cache.
    return [new[t] if info is None else info for t, info in zip(texts, infos, strict=True)]


def detect_language(rows: np.ndarray) -> tuple[int, float]:
    """The language whose stoplist covers most of the document's words (at most the first
    3,000: the lines up to the one that reaches 3,000), and the share of words it covers."""
    if len(rows) == 0:
        return 0, 0.0
    words = np.cumsum(rows[:, _R_WORDS])
    upto = min(int(np.searchsorted(words, 3000)) + 1, len(rows))
    total = int(words[upto - 1])
    hits = rows[:upto, _R_HITS:].sum(axis=0)  # whole numbers: exact in any order
    best = int(np.argmax(hits))  # the first of the best: the languages' order breaks ties
    return best, int(hits[best]) / total if total else 0.0


def _distance_to(flags: list[bool], cap: int = 30) -> list[int]:
    """Rows to the nearest flagged row (0 on one), capped (a pass each way: documents are short)."""
    n = len(flags)
    out = [cap] * n
    last = -cap
    for i, flag in enumerate(flags):
        if flag:
            last = i
        out[i] = min(i - last, cap)
    last = n + cap
    for i in range(n - 1, -1, -1):
        if flags[i]:
            last = i
        if last - i < out[i]:
            out[i] = last - i
    return out


def _run_lengths(flags: list[bool]) -> list[int]:
    """For each flagged row, the length of the run of flagged rows it is in (0 elsewhere)."""
    out: list[int] = []
    for flag, run in groupby(flags):
        size = len(list(run))
        out.extend([size] * size if flag else [0] * size)
    return out


class Extracted:
    """A document's feature matrix and the hashed n-grams of each line (for the lexical score);
    ``keys`` are the texts the features were read from (the model caches lexical scores by them)."""

    __slots__ = ("grams", "keys", "language", "matrix", "words")

    def __init__(
        self,
        matrix: np.ndarray,
        grams: list[list[int]],
        language: str,
        words: list[str],
        keys: list[str] | None = None,
    ):
        self.matrix = matrix
        self.grams = grams
        self.language = language
        self.words = words
        self.keys = keys


@lru_cache(maxsize=256)
def _positions(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """What depends on the number of lines alone: rel_pos, log_from_start and log_from_end (as the
    shortcut computes them: compiled.positions); the neighbour windows (radius 2, then 5) of each line
    as bounds into a cumulative sum, how many neighbours each has and whether any; the line numbers as
    floats; log_doc_lines."""
    rows, log_lines = compiled.positions(n)
    columns = np.frombuffer(rows, dtype=np.float64).reshape(n, 3)
    idx = np.arange(n, dtype=float)
    lines = np.arange(n)
    lo = np.concatenate([np.maximum(lines - radius, 0) for radius in (2, 5)])
    hi = np.concatenate([np.minimum(lines + radius + 1, n) for radius in (2, 5)])
    count = (hi - lo - 1)[:, None]
    return columns, lo, hi, count, count > 0, idx, log_lines


def _log1p(sizes: list[int]) -> np.ndarray:
    """log1p of each of ``sizes``: the C library's (math.log1p), as the compiled shortcut reads them
    from its table (numpy's own log1p may be another implementation, on some CPUs)."""
    return np.fromiter(map(math.log1p, sizes), dtype=np.float64, count=len(sizes))


def extract(texts: list[str]) -> Extracted:
    """The features of each of ``texts`` (a document's live non-blank lines, in order); the
    last column, the lexical score, is left at 0 for the model to fill in."""
    stripped = list(map(str.strip, texts))
    # A longer line is prose or a blob, never a menu: its head tells what the features need
    # (a slice of a str no longer than its bound is the str itself).
    keys = [t[:MAX_LINE_CHARS] for t in stripped]
    infos = _line_infos(keys)
    return (_numpy_extract if _NATIVE is None else _native_extract)(infos, stripped, keys)


def _numpy_extract(infos: list[_Info], stripped: list[str], keys: list[str]) -> Extracted:
    n = len(infos)
    rows = np.frombuffer(b"".join([info[1] for info in infos]), dtype=np.float64).reshape(n, _ROW)
    bit, coverage = detect_language(rows)
    m = np.zeros((n, len(NAMES)))
    m[:, :_R_DIGITS] = rows[:, :_R_DIGITS]  # words, the _STATIC columns, upper_share
    lengths = list(map(len, stripped))
    sizes = np.array(lengths, dtype=float)
    words = rows[:, _R_WORDS]
    stops = rows[:, _R_HITS + bit]
    m[:, 0] = _log1p(lengths)
    m[:, 2] = stops
    m[:, 3] = np.divide(stops, words, out=np.zeros(n), where=words > 0)
    m[:, 7:9] = rows[:, _R_DIGITS:_R_HITS] / np.maximum(sizes, 1)[:, None]  # digit_share, punct_share
    long = (words >= LONG_WORDS) & (m[:, 4] > 0)
    short = words < SHORT_WORDS
    positions, lo, hi, count, some, idx, log_lines = _positions(n)
    m[:, 17:20] = positions
    # Means over the neighbours within 2 and 5 lines of words, stop_density and long lines:
    # win2_words, win5_words, win2_stop, win5_stop, win2_long, win5_long.
    columns = np.stack([words, m[:, 3], long.astype(float)], axis=1)
    padded = np.zeros((n + 1, 3))
    np.cumsum(columns, axis=0, out=padded[1:])
    total = padded[hi] - padded[lo] - np.concatenate([columns, columns])
    means = np.divide(total, count, out=np.zeros_like(total), where=some)
    m[:, 20:26] = means.reshape(2, n, 3).transpose(1, 2, 0).reshape(n, 6)
    flags = long.tolist()
    m[:, 26] = _distance_to(flags)
    where = np.flatnonzero(long)
    if len(where):
        m[:, 27] = np.clip((where[0] - idx) / max(n, 1), 0, None)
        m[:, 28] = np.clip((idx - where[-1]) / max(n, 1), 0, None)
    else:
        m[:, 27] = 1.0
        m[:, 28] = 1.0
    m[:, 29] = _run_lengths(short.tolist())
    m[:, 30] = sum(flags) / n if n else 0.0  # as long.mean(): a count over n
    m[:, 31] = log_lines
    if n:
        m[1:, 32] = words[:-1]
        m[:-1, 33] = words[1:]
    joined = [info[2] for info in infos]
    seen = Counter(joined)
    m[:, 34] = [seen[k] - 1 for k in joined]
    m[:, 35] = coverage
    return Extracted(m, [info[0] for info in infos], LANGUAGES[bit], joined, keys)


def _native_extract(infos: list[_Info], stripped: list[str], keys: list[str]) -> Extracted:
    """extract's numpy part in C."""
    n = len(infos)
    lengths = list(map(len, stripped))
    m = np.empty((n, len(NAMES)))
    positions, *_, log_lines = _positions(n)
    args = (np.array(lengths, dtype=float), _log1p(lengths), positions, log_lines, m, _DOC_SPEC)
    bit, _ = _NATIVE.document(infos, *args)  # type: ignore[union-attr]
    return Extracted(m, [info[0] for info in infos], LANGUAGES[bit], [info[2] for info in infos], keys)


def native_matrix(texts: list[str], weights: np.ndarray, bias: float, cache: dict, limit: int) -> np.ndarray | None:
    """compiled.native_matrix as a numpy array (n rows of the features): extract's matrix of ``texts``
    with the lexical score (the model's ``weights`` and ``bias``) in its column, as Model.score fills
    it, in one call to C. None where the C is not built, or a line is longer than its table of log1p."""
    if not texts and _NATIVE is not None and type(texts) is list:
        return np.empty((0, len(NAMES)))
    matrix = compiled.native_matrix(texts, weights, bias, cache, limit)
    return None if matrix is None else np.asarray(matrix)
