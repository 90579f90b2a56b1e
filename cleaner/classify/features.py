"""What the text of a line and of its neighbours shows: the features of the line classifier.

Everything is computed from the document's live, non-blank lines in order, and nothing else
(not line numbers, not blank lines, not removed lines): cleaning the clean output then sees the
same features for the lines it keeps, which is what makes the classifier a fixed point.

Per line, Python does only what needs the text (words, stopwords, a few character counts);
everything that looks at neighbours is numpy over the whole document.
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from collections import Counter
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

# Stoplists (jusText's, from Wikipedia word frequencies) of the languages a crawl mostly holds.
# The document's language is the one whose stoplist covers most of its words.
LANGUAGES = (
    "English",
    "German",
    "French",
    "Spanish",
    "Italian",
    "Portuguese",
    "Dutch",
    "Polish",
    "Russian",
    "Czech",
    "Swedish",
    "Danish",
    "Turkish",
    "Ukrainian",
    "Hungarian",
    "Romanian",
)
WORD = re.compile(r"\w+")
LONG_WORDS = 10  # a line of this many words with a sentence end is "sentence-like"
SHORT_WORDS = 4  # a line of fewer words is "short" (a menu item, a label)
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*\s*$")
_SEPARATORS = re.compile(r"\s[|›»/·•>]\s|->|\s-\s|\|")
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b(?:19|20)\d\d\b")
_LINK = re.compile(r"https?://|www\.|@\w|\.(?:com|org|net|de)\b")
_NGRAM_BUCKETS = 1 << 18
_NUMBER = re.compile(r"^\d[\d.,:]*$")

MAX_LINE_CHARS = 2000  # features look at a line's first 2,000 characters (its length is the real one)

NAMES = (
    "log_chars",
    "words",
    "stopwords",
    "stop_density",
    "sentence_end",
    "ends_colon",
    "upper_share",
    "digit_share",
    "punct_share",
    "separators",
    "capitalised_share",
    "mean_word_len",
    "commas",
    "has_date",
    "has_link",
    "has_copyright",
    "starts_bullet",
    "rel_pos",
    "log_from_start",
    "log_from_end",
    "win2_words",
    "win5_words",
    "win2_stop",
    "win5_stop",
    "win2_long",
    "win5_long",
    "dist_long",
    "before_first_long",
    "after_last_long",
    "short_run",
    "doc_long_share",
    "log_doc_lines",
    "prev_words",
    "next_words",
    "repeats_in_doc",
    "lang_coverage",
    "ngram_score",
)
INDEX = {name: i for i, name in enumerate(NAMES)}
# The columns _line_info fills, in its order.
_STATIC = [
    INDEX[name]
    for name in (
        "sentence_end",
        "ends_colon",
        "separators",
        "capitalised_share",
        "mean_word_len",
        "commas",
        "has_date",
        "has_link",
        "has_copyright",
        "starts_bullet",
    )
]


def _stoplist(language: str) -> frozenset[str]:
    """``justext.get_stoplist(language)``, read without importing justext: its package imports
    lxml, a fifth of a second of every run's start-up for two dozen word lists."""
    spec = importlib.util.find_spec("justext")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("justext (its stoplists) is not installed")
    data = (Path(spec.submodule_search_locations[0]) / "stoplists" / f"{language}.txt").read_bytes()
    return frozenset(w.decode("utf8").lower() for w in data.splitlines())


@lru_cache(maxsize=1)
def _stopword_languages() -> dict[str, int]:
    """Each stopword with the bit mask of the languages whose stoplist holds it."""
    masks: dict[str, int] = {}
    for bit, language in enumerate(LANGUAGES):
        for word in _stoplist(language):
            key = word.casefold()
            masks[key] = masks.get(key, 0) | (1 << bit)
    return masks


@lru_cache(maxsize=len(LANGUAGES))
def _stopset(bit: int) -> frozenset[str]:
    """The stoplist of one language (built when a document in it first comes)."""
    return frozenset(w for w, m in _stopword_languages().items() if m >> bit & 1)


@lru_cache(maxsize=1)
def _all_stopwords() -> frozenset[str]:
    return frozenset(_stopword_languages())


def detect_language(tokens: list[list[str]]) -> tuple[int, float]:
    """The language whose stoplist covers most of the document's words (at most the first
    3,000), and the share of words it covers."""
    counts: Counter[str] = Counter()
    for words in tokens:
        counts.update(words)
        if counts.total() >= 3000:
            break
    total = counts.total()
    masks = _stopword_languages()
    hits = [0] * len(LANGUAGES)
    for word in _all_stopwords().intersection(counts):  # in C, over the document's words: only stopwords loop
        n, mask = counts[word], masks[word]
        for b in range(len(LANGUAGES)):
            if mask >> b & 1:
                hits[b] += n
    best = max(range(len(LANGUAGES)), key=lambda b: (hits[b], -b))
    return best, hits[best] / total if total else 0.0


def tokens_of(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def hashed_ngrams(words: list[str]) -> list[int]:
    """Bucket numbers of the line's words and word pairs (numbers folded to one token)."""
    folded = ["0" if _NUMBER.match(w) else w for w in words]
    grams = folded + [a + " " + b for a, b in pairwise(folded)]
    return [zlib.crc32(g.encode("utf-8", "surrogatepass")) % _NGRAM_BUCKETS for g in grams] or [0]


@lru_cache(maxsize=16384)
def _line_info(text: str) -> tuple[list[str], list[int], tuple[float, ...], tuple[int, int, int, int]]:
    """What a line's text alone gives (cached: the pipeline asks again in each round):
    its words, their hashed n-grams, and the features that need nothing else."""
    words = tokens_of(text)
    split = text.split()
    static = (
        _SENTENCE_END.search(text) is not None,
        text.endswith(":"),
        len(_SEPARATORS.findall(text)),
        sum(w[:1].isupper() for w in split) / (len(split) or 1),
        sum(map(len, words)) / len(words) if words else 0.0,
        text.count(","),
        _DATE.search(text) is not None,
        _LINK.search(text) is not None,
        "©" in text or "(c)" in text.casefold(),
        text[:1] in "-•*·>»›|#",
    )
    letters = sum(map(str.isalpha, text))
    upper = sum(map(str.isupper, text))
    digits = sum(map(str.isdigit, text))
    punct = len(text) - sum(map(str.isalnum, text)) - sum(map(str.isspace, text))
    return words, hashed_ngrams(words), static, (letters, upper, digits, punct)


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """The mean of each column of ``values`` (lines x k) over each line's neighbours within
    ``radius`` (itself excluded)."""
    n = len(values)
    padded = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    idx = np.arange(n)
    lo = np.maximum(idx - radius, 0)
    hi = np.minimum(idx + radius + 1, n)
    total = padded[hi] - padded[lo] - values
    count = (hi - lo - 1)[:, None]
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def _distance_to(flags: np.ndarray, cap: int = 30) -> np.ndarray:
    """Rows to the nearest flagged row (0 on one), capped."""
    n = len(flags)
    where = np.flatnonzero(flags)
    if len(where) == 0:
        return np.full(n, float(cap))
    idx = np.arange(n)
    pos = np.searchsorted(where, idx)
    before = np.where(pos > 0, idx - where[np.maximum(pos - 1, 0)], cap)
    after = np.where(pos < len(where), where[np.minimum(pos, len(where) - 1)] - idx, cap)
    return np.minimum(np.minimum(before, after), cap).astype(float)


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """For each flagged row, the length of the run of flagged rows it is in (0 elsewhere)."""
    n = len(flags)
    out = np.zeros(n)
    if n == 0:
        return out
    change = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    for start, stop in zip(change[::2], change[1::2], strict=True):
        out[start:stop] = stop - start
    return out


class Extracted:
    """A document's feature matrix and the hashed n-grams of each line (for the lexical score)."""

    __slots__ = ("grams", "language", "matrix", "tokens")

    def __init__(self, matrix: np.ndarray, grams: list[list[int]], language: str, tokens: list[list[str]]):
        self.matrix = matrix
        self.grams = grams
        self.language = language
        self.tokens = tokens


def extract(texts: list[str]) -> Extracted:
    """The features of each of ``texts`` (a document's live non-blank lines, in order); the
    last column, the lexical score, is left at 0 for the model to fill in."""
    n = len(texts)
    stripped = [t.strip() for t in texts]
    # A longer line is prose or a blob, never a menu: its head tells what the features need.
    infos = [_line_info(t if len(t) <= MAX_LINE_CHARS else t[:MAX_LINE_CHARS]) for t in stripped]
    tokens = [info[0] for info in infos]
    bit, coverage = detect_language(tokens)
    stop_set = _stopset(bit)
    chars = np.array([info[3] for info in infos], dtype=float).reshape(n, 4)
    m = np.zeros((n, len(NAMES)))
    sizes = np.array([len(t) for t in stripped], dtype=float)
    nwords = np.array([len(w) for w in tokens], dtype=float)
    stops = np.array([sum(map(stop_set.__contains__, w)) for w in tokens], dtype=float)
    if n:
        m[:, _STATIC] = np.array([info[2] for info in infos], dtype=float)
    keys = [" ".join(w) for w in tokens]
    seen = Counter(keys)
    m[:, 0] = np.log1p(sizes)
    m[:, 1] = nwords
    m[:, 2] = stops
    m[:, 3] = np.divide(stops, nwords, out=np.zeros(n), where=nwords > 0)
    m[:, 6] = chars[:, 1] / np.maximum(chars[:, 0], 1)
    m[:, 7] = chars[:, 2] / np.maximum(sizes, 1)
    m[:, 8] = chars[:, 3] / np.maximum(sizes, 1)
    words = m[:, 1]
    long = (words >= LONG_WORDS) & (m[:, 4] > 0)
    short = words < SHORT_WORDS
    idx = np.arange(n, dtype=float)
    m[:, 17] = idx / max(n - 1, 1)
    m[:, 18] = np.log1p(idx)
    m[:, 19] = np.log1p(n - 1 - idx)
    columns = np.stack([words, m[:, 3], long.astype(float)], axis=1)
    m[:, [20, 22, 24]] = _window_mean(columns, 2)
    m[:, [21, 23, 25]] = _window_mean(columns, 5)
    m[:, 26] = _distance_to(long)
    where = np.flatnonzero(long)
    if len(where):
        m[:, 27] = np.clip((where[0] - idx) / max(n, 1), 0, None)
        m[:, 28] = np.clip((idx - where[-1]) / max(n, 1), 0, None)
    else:
        m[:, 27] = 1.0
        m[:, 28] = 1.0
    m[:, 29] = _run_lengths(short)
    m[:, 30] = long.mean() if n else 0.0
    m[:, 31] = np.log1p(n)
    if n:
        m[1:, 32] = words[:-1]
        m[:-1, 33] = words[1:]
    m[:, 34] = [seen[k] - 1 for k in keys]
    m[:, 35] = coverage
    grams = [info[1] for info in infos]
    return Extracted(m, grams, LANGUAGES[bit], tokens)
