"""bench/train.py's walk order: the trees ranked by how far they raise the rows' bound."""

from __future__ import annotations

import numpy as np

from bench.train import walk_order
from cleaner.classify.model import MODEL_PATH, default_model
from tests.test_native_trees import _matrix


def test_the_walk_order_ranks_the_trees_by_the_mean_rise_of_the_leaves_the_rows_reach() -> None:
    """The rows' leaves found by walk_order's own walk (NaN and ties go left) are the model's, and the
    trees come highest mean rise first (each leaf's value less its tree's lowest), ties in their order."""
    m = default_model()
    with np.load(MODEL_PATH) as data:
        arrays = {key: data[key] for key in data.files}
    matrix = _matrix(m, 257, seed=3)
    leaves = np.empty((len(matrix), len(m.roots)))
    m._forest.leaves(matrix, leaves)
    ends = [*arrays["roots"][1:], len(arrays["left"])]
    lowest = []
    for root, end in zip(arrays["roots"], ends, strict=True):
        nodes = np.arange(root, end)
        lowest.append(arrays["value"][nodes[arrays["left"][nodes] == nodes]].min())
    rise = (leaves - np.array(lowest)).mean(axis=0)
    expected = sorted(range(len(rise)), key=lambda tree: (-rise[tree], tree))
    assert walk_order(arrays, matrix).tolist() == expected


def test_trees_that_rise_alike_keep_their_own_order() -> None:
    """Two one-split trees and a leaf alone: the split that sends rows to its high leaf first, the
    trees that raise nothing after it in their own order."""
    arrays = {
        "feature": np.array([0, 0, 0, 0, 0, 0, 0], dtype=np.int16),
        "threshold": np.array([0.5, np.inf, np.inf, np.inf, 0.5, np.inf, np.inf]),
        "left": np.array([1, 1, 2, 3, 5, 5, 6], dtype=np.int32),
        "right": np.array([2, 1, 2, 3, 6, 5, 6], dtype=np.int32),
        "value": np.array([0.0, 0.0, 1.0, 7.0, 0.0, 3.0, 3.0]),
        "roots": np.array([0, 3, 4], dtype=np.int32),
    }
    x = np.array([[1.0], [1.0], [0.0], [np.nan]])  # right, right, left, left (NaN)
    assert walk_order(arrays, x).tolist() == [0, 1, 2]  # rises 0.5, 0 (one leaf), 0 (two equal leaves)
