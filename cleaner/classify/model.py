"""The line classifier's model: a logistic regression on hashed word 1-2-grams, whose score is
one more feature of gradient-boosted trees over the features of features.py. Both are plain
arrays in one ``.npz`` file (written by ``bench.train``); inference here is numpy's (the classifier
step first asks the compiled shortcut, cleaner/classify/compiled.py, which needs no numpy).

The trees are evaluated for all lines and all trees at once: each step moves every (line, tree)
cursor one level down, so a document costs ``depth`` vectorised steps, not a Python loop per node.
For that, the trees are laid out as complete binary trees of the model's depth (a node's children
at ``2i+1`` and ``2i+2``, a leaf above the last level repeated down it with a test that never
holds), so a step is a few ``np.take`` calls on flat arrays: the same leaves as walking the
trees as stored (cleaner/classify/reference.py), summed in the same order.

Where the compiled half is built (cleaner/classify/_trees.c, see native.py), it walks the same
layout and computes the lexical score, to the bit; the numpy code here is the fallback and the
definition tests/test_native_trees.py holds it to.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from cleaner.classify.compiled import MODEL_PATH, Compiled, compact
from cleaner.classify.compiled import ROWS_CACHE_SIZE as _ROWS_CACHE_SIZE
from cleaner.classify.features import INDEX, NAMES, Extracted, native_matrix
from cleaner.native import load

__all__ = ["MODEL_PATH", "Model", "default_model"]
NGRAM = INDEX["ngram_score"]
CHUNK = 4096
_NGRAM_CACHE_SIZE = 1 << 16  # lexical scores kept, by line text (cleared when full)
_TREES = load("cleaner.classify._trees")


class Model:
    def __init__(self, arrays: dict[str, np.ndarray]):
        names = tuple(str(n) for n in arrays["names"])
        if names != NAMES:
            raise ValueError("the model was trained on other features; run `make train`")
        self.ngram_weights = arrays["ngram_weights"].astype(np.float64)
        # The weights shortcut reads: float32 where that holds every one exactly (as trained), half
        # the memory the scattered reads of a document's n-grams fetch.
        weights32 = self.ngram_weights.astype(np.float32)
        self._lexical_weights = weights32 if np.array_equal(weights32, self.ngram_weights) else self.ngram_weights
        self.ngram_bias = float(arrays["ngram_bias"])
        self.feature = arrays["feature"].astype(np.intp)
        self.threshold = arrays["threshold"].astype(np.float64)
        self.left = arrays["left"].astype(np.intp)  # a leaf points at itself
        self.right = arrays["right"].astype(np.intp)
        self.value = arrays["value"].astype(np.float64)
        self.roots = arrays["roots"].astype(np.intp)
        self.depth = int(arrays["depth"])
        self.baseline = float(arrays["baseline"])
        self._complete()
        self._forest = None
        # The compiled half (the same Forest and weights), which steps/classify.py takes without numpy.
        self.compiled: Compiled | None = None
        if _TREES is not None:
            self._forest = _TREES.Forest(*self._compact(), self.depth)
            self.compiled = Compiled(self._forest, self._lexical_weights, self.ngram_bias, self.baseline)
        self._ngram_cache: dict[str, float] = {}
        # shortcut's: by a line's stripped head, its (lexical score, row, words joined).
        self._rows: dict[int, tuple[float, bytes, str, str]] = {}

    def _complete(self) -> None:
        """The trees as complete binary trees, level by level: ``_feature``/``_threshold`` of each
        inner slot (tree-major, ``_size`` slots a tree), ``_value`` of each slot of the last level."""
        trees = len(self.roots)
        self._size = size = 2 ** (self.depth + 1) - 1
        feature = np.zeros((trees, size), dtype=np.intp)
        threshold = np.full((trees, size), np.inf)  # a leaf's slot: x > inf never holds (nor NaN)
        nodes = self.roots[:, None]  # the stored node in each slot of the current level
        for level in range(self.depth):
            slots = slice(2**level - 1, 2 ** (level + 1) - 1)
            inner = self.left[nodes] != nodes
            feature[:, slots] = np.where(inner, self.feature[nodes], 0)
            threshold[:, slots] = np.where(inner, self.threshold[nodes], np.inf)
            nodes = np.stack([self.left[nodes], self.right[nodes]], axis=2).reshape(trees, -1)
        self._feature = feature.ravel()
        self._threshold = threshold.ravel()
        last = np.zeros((trees, size))
        last[:, 2**self.depth - 1 :] = self.value[nodes]
        self._value = last.ravel()
        self._offsets = np.arange(trees, dtype=np.intp) * size
        inner = np.arange(size // 2)
        left = np.zeros((trees, size), dtype=np.intp)
        left[:, : size // 2] = self._offsets[:, None] + 2 * inner + 1  # its right child is one on
        self._left = left.ravel()

    def _compact(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The trees as stored, for the compiled walk (compiled.compact): feature, threshold, left child,
        value and each tree's first slot."""
        arrays = (self.feature, self.threshold, self.left, self.right, self.value, self.roots)
        return tuple(np.asarray(a) for a in compact(*(a.tolist() for a in arrays)))  # type: ignore[return-value]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        with np.load(path) as data:
            return cls({key: data[key] for key in data.files})

    def ngram_scores(self, grams: list[list[int]]) -> np.ndarray:
        """The lexical model's log-odds of each line being content (mean weight of its n-grams)."""
        if _TREES is not None and grams and type(grams) is list:
            scores = np.empty(len(grams))
            if _TREES.lexical(self.ngram_weights, grams, self.ngram_bias, scores):
                return scores
        return self._ngram_scores_numpy(grams)

    def _ngram_scores_numpy(self, grams: list[list[int]]) -> np.ndarray:
        """ngram_scores in numpy (the compiled one sums each line's weights in reduceat's order)."""
        sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        flat = np.fromiter(chain.from_iterable(grams), dtype=np.int64, count=int(sizes.sum()))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return np.add.reduceat(self.ngram_weights[flat], starts) / np.sqrt(sizes) + self.ngram_bias

    def _cached_ngram_scores(self, keys: list[str], grams: list[list[int]]) -> np.ndarray:
        """ngram_scores, remembered by line text (a line's score depends on its text alone, and
        each line's sum is its own segment of the reduction, so it is the same alone or not)."""
        if _TREES is not None and keys and type(keys) is list and type(grams) is list:
            scores = np.empty(len(keys))
            args = (self.ngram_weights, keys, grams, self.ngram_bias, self._ngram_cache, _NGRAM_CACHE_SIZE)
            if _TREES.cached_lexical(*args, scores):
                return scores
        cache = self._ngram_cache
        missing = {key: i for i, key in enumerate(keys) if key not in cache}
        if missing:
            if len(cache) + len(missing) > _NGRAM_CACHE_SIZE:
                cache.clear()
                missing = {key: i for i, key in enumerate(keys)}
            scores = self.ngram_scores([grams[i] for i in missing.values()]).tolist()
            cache.update(zip(missing, scores, strict=True))
        return np.fromiter(map(cache.__getitem__, keys), dtype=np.float64, count=len(keys))

    def log_odds(self, matrix: np.ndarray) -> np.ndarray:
        """Baseline plus every tree's leaf value, in blocks of CHUNK lines (memory: a block
        times the trees, whatever the document's length)."""
        if len(matrix) <= CHUNK:
            return self._log_odds(matrix)
        return np.concatenate([self._log_odds(matrix[i : i + CHUNK]) for i in range(0, len(matrix), CHUNK)])

    @lru_cache(maxsize=64)  # noqa: B019 (one model a process: the cache lives as long as it)
    def _cursors(self, n: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Each (line, tree) cursor's line start in the flat matrix and its root slot, line-major
        (read only: the walk makes new arrays)."""
        base = np.repeat(np.arange(0, n * width, width, dtype=np.intp), len(self.roots))
        return base, np.tile(self._offsets, n)

    def _log_odds(self, matrix: np.ndarray) -> np.ndarray:
        if len(matrix) == 0:
            return np.zeros(0)
        # ndarray.sum's own reduction (numpy's pairwise order, either way), without its Python wrapper.
        odds = np.add.reduce(self._leaves(matrix), axis=1)
        odds += self.baseline  # in place: the sum's new array is this one's
        return odds

    def _leaves(self, matrix: np.ndarray) -> np.ndarray:
        """Each (line, tree) leaf value, line-major (n, trees): compiled where it is built."""
        if self._forest is None or matrix.dtype != np.float64:
            return self._leaves_numpy(matrix)
        leaves = np.empty((len(matrix), len(self.roots)))
        self._forest.leaves(np.ascontiguousarray(matrix), leaves)
        return leaves

    def _leaves_numpy(self, matrix: np.ndarray) -> np.ndarray:
        n, width = matrix.shape
        flat = np.ascontiguousarray(matrix).ravel()
        base, slot = self._cursors(n, width)
        for _ in range(self.depth):
            right = flat.take(self._feature.take(slot) + base) > self._threshold.take(slot)
            slot = self._left.take(slot)
            slot += right
        return self._value.take(slot).reshape(n, -1)

    def shortcut(
        self, texts: list[str], cut: float | None = None, floor: float = -math.inf
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """The feature matrix of ``texts`` (the lines of a document) with its lexical scores, their
        log-odds and the lowest of them (NaN if one is NaN): extract, score and log_odds to the bit,
        in two calls to C. Given a ``cut``, the log-odds of a line that is surely above it are +inf,
        and those of a line surely below ``floor`` -inf (its trees' walk stops once the rest of them
        cannot bring it to the cut, or up to the floor); the lowest is that of the others, or -inf
        if a line settled below (+inf if all settled above). None where the C is not built or cannot
        take the document (a line of 65,536 characters or more): the caller goes the long way."""
        if self._forest is None:
            return None
        matrix = native_matrix(texts, self._lexical_weights, self.ngram_bias, self._rows, _ROWS_CACHE_SIZE)
        if matrix is None:
            return None
        odds = np.empty(len(matrix))
        if cut is not None:
            return matrix, odds, self._forest.odds_above(matrix, self.baseline, cut, odds, floor)
        return matrix, odds, self._forest.odds(matrix, self.baseline, odds)

    @staticmethod
    def probability(odds: np.ndarray) -> np.ndarray:
        """P(content) from the log-odds, 1 / (1 + exp(-log_odds)), in place on ``odds``: the same
        operations on the same values (an addition's operands swapped: the same sum), no new arrays."""
        np.negative(odds, out=odds)
        np.exp(odds, out=odds)
        odds += 1.0
        return np.divide(1.0, odds, out=odds)

    def score(self, found: Extracted) -> np.ndarray:
        """P(content) of each line; fills the lexical score into the feature matrix."""
        if len(found.matrix) == 0:
            return np.zeros(0)
        if found.keys is not None:
            found.matrix[:, NGRAM] = self._cached_ngram_scores(found.keys, found.grams)
        else:
            found.matrix[:, NGRAM] = self.ngram_scores(found.grams)
        return self.probability(self.log_odds(found.matrix))  # (a new array: log_odds made it)


@lru_cache(maxsize=1)
def default_model() -> Model:
    return Model.load()
