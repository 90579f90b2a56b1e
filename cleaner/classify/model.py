"""The line classifier's model: a logistic regression on hashed word 1-2-grams, whose score is
one more feature of gradient-boosted trees over the features of features.py. Both are plain
arrays in one ``.npz`` file (written by ``bench.train``); inference is numpy only.

The trees are evaluated for all lines and all trees at once: each step moves every (line, tree)
cursor one level down, so a document costs ``depth`` vectorised steps, not a Python loop per node.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from cleaner.classify.features import INDEX, NAMES, Extracted

MODEL_PATH = Path(__file__).with_name("model.npz")
NGRAM = INDEX["ngram_score"]
CHUNK = 4096


class Model:
    def __init__(self, arrays: dict[str, np.ndarray]):
        names = tuple(str(n) for n in arrays["names"])
        if names != NAMES:
            raise ValueError("the model was trained on other features; run `make train`")
        self.ngram_weights = arrays["ngram_weights"].astype(np.float64)
        self.ngram_bias = float(arrays["ngram_bias"])
        self.feature = arrays["feature"].astype(np.intp)
        self.threshold = arrays["threshold"].astype(np.float64)
        self.left = arrays["left"].astype(np.intp)  # a leaf points at itself
        self.right = arrays["right"].astype(np.intp)
        self.value = arrays["value"].astype(np.float64)
        self.roots = arrays["roots"].astype(np.intp)
        self.children = np.stack([self.left, self.right], axis=1)  # [node, went right]
        self.depth = int(arrays["depth"])
        self.baseline = float(arrays["baseline"])

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        with np.load(path) as data:
            return cls({key: data[key] for key in data.files})

    def ngram_scores(self, grams: list[list[int]]) -> np.ndarray:
        """The lexical model's log-odds of each line being content (mean weight of its n-grams)."""
        sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        flat = np.fromiter(chain.from_iterable(grams), dtype=np.int64, count=int(sizes.sum()))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return np.add.reduceat(self.ngram_weights[flat], starts) / np.sqrt(sizes) + self.ngram_bias

    def log_odds(self, matrix: np.ndarray) -> np.ndarray:
        """Baseline plus every tree's leaf value, in blocks of CHUNK lines (memory: a block
        times the trees, whatever the document's length)."""
        if len(matrix) <= CHUNK:
            return self._log_odds(matrix)
        return np.concatenate([self._log_odds(matrix[i : i + CHUNK]) for i in range(0, len(matrix), CHUNK)])

    def _log_odds(self, matrix: np.ndarray) -> np.ndarray:
        n = len(matrix)
        if n == 0:
            return np.zeros(0)
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        flat = np.ascontiguousarray(matrix).ravel()
        base = (np.arange(n) * matrix.shape[1])[:, None]
        for _ in range(self.depth):
            right = flat[base + self.feature[node]] > self.threshold[node]
            node = self.children[node, right.view(np.int8)]
        return self.baseline + self.value[node].sum(axis=1)

    def score(self, found: Extracted) -> np.ndarray:
        """P(content) of each line; fills the lexical score into the feature matrix."""
        if len(found.matrix) == 0:
            return np.zeros(0)
        found.matrix[:, NGRAM] = self.ngram_scores(found.grams)
        return 1.0 / (1.0 + np.exp(-self.log_odds(found.matrix)))


@lru_cache(maxsize=1)
def default_model() -> Model:
    return Model.load()
