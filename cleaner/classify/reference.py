"""The classifier's features and tree walk written the plain way, one line and one tree level at
a time: the definition the fast code in features.py and model.py must match bit for bit.

Nothing at run time uses this module; tests/test_classify_fast.py compares the two on invented
text and on the seeds, so a change to either that moves a feature or a score fails there.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from itertools import pairwise

import numpy as np

from cleaner.classify import features as f
from cleaner.classify.features import Extracted
from cleaner.classify.model import Model
from cleaner.classify.ngrams import BUCKETS, NUMBER
from cleaner.classify.stoplists import stopword_languages

DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b(?:19|20)\d\d\b")


def _log1p(values: np.ndarray) -> np.ndarray:
    """log1p of each value, by the C library (math.log1p), as the features define it: numpy's own
    log1p is another implementation on some builds and CPUs (numpy 2.4's differs in the last bit
    for log1p(2)), and the definition must not move with the numpy installed."""
    return np.fromiter(map(math.log1p, values.tolist()), dtype=np.float64, count=len(values))


def hashed_ngrams(words: list[str]) -> list[int]:
    """Bucket numbers of the line's words and word pairs (numbers folded to one token)."""
    folded = ["0" if NUMBER.match(w) else w for w in words]
    grams = folded + [a + " " + b for a, b in pairwise(folded)]
    return [zlib.crc32(g.encode("utf-8", "surrogatepass")) % BUCKETS for g in grams] or [0]


def line_info(text: str) -> tuple[list[str], list[int], tuple[float, ...], tuple[int, int, int, int]]:
    """What a line's text alone gives: its words, their hashed n-grams, the features that need
    nothing else, and its letters, upper-case letters, digits and punctuation."""
    words = f.tokens_of(text)
    split = text.split()
    static = (
        f._SENTENCE_END.search(text) is not None,
        text.endswith(":"),
        len(f._SEPARATORS.findall(text)),
        sum(w[:1].isupper() for w in split) / (len(split) or 1),
        sum(map(len, words)) / len(words) if words else 0.0,
        text.count(","),
        DATE.search(text) is not None,
        f._LINK.search(text) is not None,
        "©" in text or "(c)" in text.casefold(),
        text[:1] in "-•*·>»›|#",
    )
    letters = sum(map(str.isalpha, text))
    upper = sum(map(str.isupper, text))
    digits = sum(map(str.isdigit, text))
    punct = len(text) - sum(map(str.isalnum, text)) - sum(map(str.isspace, text))
    return words, hashed_ngrams(words), static, (letters, upper, digits, punct)


def detect_language(tokens: list[list[str]]) -> tuple[int, float]:
    """The language whose stoplist covers most of the document's words (at most the first
    3,000), and the share of words it covers."""
    counts: Counter[str] = Counter()
    for words in tokens:
        counts.update(words)
        if counts.total() >= 3000:
            break
    total = counts.total()
    masks = stopword_languages()
    hits = [0] * len(f.LANGUAGES)
    for word in frozenset(masks).intersection(counts):
        n, mask = counts[word], masks[word]
        for b in range(len(f.LANGUAGES)):
            if mask >> b & 1:
                hits[b] += n
    best = max(range(len(f.LANGUAGES)), key=lambda b: (hits[b], -b))
    return best, hits[best] / total if total else 0.0


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    n = len(values)
    padded = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    idx = np.arange(n)
    lo = np.maximum(idx - radius, 0)
    hi = np.minimum(idx + radius + 1, n)
    total = padded[hi] - padded[lo] - values
    count = (hi - lo - 1)[:, None]
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def extract(texts: list[str]) -> Extracted:
    """The features of each of ``texts`` (a document's live non-blank lines, in order)."""
    n = len(texts)
    stripped = [t.strip() for t in texts]
    infos = [line_info(t if len(t) <= f.MAX_LINE_CHARS else t[: f.MAX_LINE_CHARS]) for t in stripped]
    tokens = [info[0] for info in infos]
    bit, coverage = detect_language(tokens)
    stop_set = frozenset(w for w, mask in stopword_languages().items() if mask >> bit & 1)
    chars = np.array([info[3] for info in infos], dtype=float).reshape(n, 4)
    m = np.zeros((n, len(f.NAMES)))
    sizes = np.array([len(t) for t in stripped], dtype=float)
    nwords = np.array([len(w) for w in tokens], dtype=float)
    stops = np.array([sum(map(stop_set.__contains__, w)) for w in tokens], dtype=float)
    if n:
        m[:, f._STATIC] = np.array([info[2] for info in infos], dtype=float)
    keys = [" ".join(w) for w in tokens]
    seen = Counter(keys)
    m[:, 0] = _log1p(sizes)
    m[:, 1] = nwords
    m[:, 2] = stops
    m[:, 3] = np.divide(stops, nwords, out=np.zeros(n), where=nwords > 0)
    m[:, 6] = chars[:, 1] / np.maximum(chars[:, 0], 1)
    m[:, 7] = chars[:, 2] / np.maximum(sizes, 1)
    m[:, 8] = chars[:, 3] / np.maximum(sizes, 1)
    words = m[:, 1]
    long = (words >= f.LONG_WORDS) & (m[:, 4] > 0)
    short = words < f.SHORT_WORDS
    idx = np.arange(n, dtype=float)
    m[:, 17] = idx / max(n - 1, 1)
    m[:, 18] = _log1p(idx)
    m[:, 19] = _log1p(n - 1 - idx)
    columns = np.stack([words, m[:, 3], long.astype(float)], axis=1)
    m[:, [20, 22, 24]] = _window_mean(columns, 2)
    m[:, [21, 23, 25]] = _window_mean(columns, 5)
    m[:, 26] = f._distance_to(long)
    where = np.flatnonzero(long)
    if len(where):
        m[:, 27] = np.clip((where[0] - idx) / max(n, 1), 0, None)
        m[:, 28] = np.clip((idx - where[-1]) / max(n, 1), 0, None)
    else:
        m[:, 27] = 1.0
        m[:, 28] = 1.0
    m[:, 29] = f._run_lengths(short)
    m[:, 30] = long.mean() if n else 0.0
    m[:, 31] = math.log1p(n)
    if n:
        m[1:, 32] = words[:-1]
        m[:-1, 33] = words[1:]
    m[:, 34] = [seen[k] - 1 for k in keys]
    m[:, 35] = coverage
    grams = [info[1] for info in infos]
    return Extracted(m, grams, f.LANGUAGES[bit], keys)


def ngram_scores(model: Model, grams: list[list[int]]) -> np.ndarray:
    """The lexical model's log-odds of each line being content (mean weight of its n-grams)."""
    from itertools import chain

    sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    flat = np.fromiter(chain.from_iterable(grams), dtype=np.int64, count=int(sizes.sum()))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.add.reduceat(model.ngram_weights[flat], starts) / np.sqrt(sizes) + model.ngram_bias


def log_odds(model: Model, matrix: np.ndarray) -> np.ndarray:
    """Baseline plus every tree's leaf value: every (line, tree) cursor moves one level a step."""
    n = len(matrix)
    if n == 0:
        return np.zeros(0)
    children = np.stack([model.left, model.right], axis=1)
    node = np.broadcast_to(model.roots, (n, len(model.roots))).copy()
    flat = np.ascontiguousarray(matrix).ravel()
    base = (np.arange(n) * matrix.shape[1])[:, None]
    for _ in range(model.depth):
        right = flat[base + model.feature[node]] > model.threshold[node]
        node = children[node, right.view(np.int8)]
    return model.baseline + model.value[node].sum(axis=1)


def score(model: Model, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The feature matrix (lexical score filled in) and P(content) of each line."""
    found = extract(texts)
    if not texts:
        return found.matrix, np.zeros(0)
    found.matrix[:, f.INDEX["ngram_score"]] = ngram_scores(model, found.grams)
    return found.matrix, 1.0 / (1.0 + np.exp(-log_odds(model, found.matrix)))
