"""The line classifier's compiled shortcut, without numpy: the model's trees and lexical weights
read from ``model.npz`` with zipfile and the ``.npy`` headers, a document's feature matrix and
log-odds computed in two calls to C (cleaner/classify/_lines.c: features; _trees.c: Forest) into
plain buffers. numpy (a tenth of a second to import) is then needed only for a document the
shortcut cannot decide (steps/classify.py) or where the C is not built (model.py's long way).

The values are model.py's and features.py's to the bit (tests/test_native_odds.py): the arrays
are the file's, and a log1p is the C library's (``math.log1p``), in C and Python alike.
"""

from __future__ import annotations

import ast
import math
import sys
import zipfile
from array import array
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from cleaner.classify.layout import DOC_SPEC, INDEX, LAYOUT, MAX_LINE_CHARS, NAMES
from cleaner.classify.stoplists import stopword_languages
from cleaner.native import load

MODEL_PATH = Path(__file__).with_name("model.npz")
WIDTH = len(NAMES)
NGRAM = INDEX["ngram_score"]
# A line's length at most this less one for the shortcut: its log1p is then read from a table.
LOG1P_SIZE = 1 << 16
ROWS_CACHE_SIZE = 1 << 14  # how many lines' features the shortcut keeps (_lines.c: Features' KeptTable)
_LINES = load("cleaner.classify._lines")
_TREES = load("cleaner.classify._trees")
_INTP = "q" if sys.maxsize > 2**31 else "l"  # the array typecode of a Py_ssize_t (the Forest's "intp")
# The .npy dtypes the model's file holds, as array typecodes (sizes the array module guarantees here).
_TYPECODES = {"f4": "f", "f8": "d", "i1": "b", "i2": "h", "i4": "i", "i8": "q", "u1": "B", "u2": "H", "u4": "I"}


class Stored:
    """One array of a ``.npz`` file: its shape and its values, flat, in C order."""

    __slots__ = ("shape", "values")

    def __init__(self, shape: tuple[int, ...], values: array | list[str]):
        self.shape = shape
        self.values = values

    def item(self) -> Any:
        """The value of a 0-d array."""
        return self.values[0]


def _parse_npy(data: bytes) -> Stored:
    """An array from its ``.npy`` bytes (numpy's format: a magic string, a header dict, the data)."""
    if data[:6] != b"\x93NUMPY":
        raise ValueError("not a .npy file")
    size = 2 if data[6] == 1 else 4
    start = 8 + size
    end = start + int.from_bytes(data[8:start], "little")
    header = ast.literal_eval(data[start:end].decode("latin-1"))
    descr, shape = header["descr"], tuple(header["shape"])
    if not isinstance(descr, str) or (header["fortran_order"] and len(shape) > 1):
        raise ValueError(f"an array of an unexpected layout: {header}")
    order, kind = descr[0], descr[1:]
    count = math.prod(shape)
    swap = (order == "<" and sys.byteorder == "big") or (order == ">" and sys.byteorder == "little")
    if kind[0] == "U":  # fixed-width UTF-32 text
        width = int(kind[1:])
        text = data[end : end + 4 * width * count].decode("utf-32-be" if order == ">" else "utf-32-le")
        return Stored(shape, [text[i : i + width].rstrip("\0") for i in range(0, len(text), width)])
    values = array(_TYPECODES[kind])
    values.frombytes(data[end : end + values.itemsize * count])
    if swap:
        values.byteswap()
    if len(values) != count:
        raise ValueError("a .npy file cut short")
    return Stored(shape, values)


def read_npz(path: Path) -> dict[str, Stored]:
    """Every array of a ``.npz`` file (``numpy.savez``'s zip of ``.npy`` files), by name."""
    with zipfile.ZipFile(path) as archive:
        return {
            name.removesuffix(".npy"): _parse_npy(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".npy")
        }


def compact(
    feature: Sequence[int], threshold: Sequence[float], left: Sequence[int], right: Sequence[int],
    value: Sequence[float], roots: Sequence[int],
) -> tuple[array, array, array, array, array]:  # fmt: skip
    """The trees as stored, for the compiled walk: feature, threshold, left child, value and each
    tree's first slot, each tree's nodes numbered breadth first, one tree after another (a node's
    children side by side, the right one after the left), a leaf its own left child with a test that
    never holds, and one idle slot at the end (every left child has a right one). The same walk
    (``depth`` steps of ``left + (x > threshold)``) reaches the same leaves as model.py's complete
    layout, from a third of its memory: the real trees are far from complete."""
    out_feature, out_threshold, out_left, out_value, offsets = [], [], [], [], []
    for root in roots:
        offsets.append(len(out_feature))
        order = [root]  # the tree's nodes, breadth first
        for node in order:
            if left[node] != node:
                order += [left[node], right[node]]
        slot = {node: len(out_feature) + i for i, node in enumerate(order)}
        for node in order:
            inner = left[node] != node
            out_feature.append(feature[node] if inner else 0)
            out_threshold.append(threshold[node] if inner else math.inf)
            out_left.append(slot[left[node]] if inner else slot[node])
            out_value.append(0.0 if inner else value[node])
    out_feature.append(0)
    out_threshold.append(math.inf)
    out_left.append(0)
    out_value.append(0.0)
    return (
        array(_INTP, out_feature),
        array("d", out_threshold),
        array(_INTP, out_left),
        array("d", out_value),
        array(_INTP, offsets),
    )


@lru_cache(maxsize=1)
def log1p_table() -> memoryview:
    """log1p of 0 .. LOG1P_SIZE - 1 as float64: the C library's, computed in C where it is built."""
    if _LINES is not None:
        return memoryview(_LINES.log1p_table(LOG1P_SIZE)).cast("d")
    return memoryview(array("d", map(math.log1p, range(LOG1P_SIZE))))


@lru_cache(maxsize=256)
def positions(n: int) -> tuple[memoryview, float]:
    """What depends on the number of lines alone: each line's rel_pos, log_from_start and
    log_from_end (n rows of 3), and log_doc_lines."""
    below = max(n - 1, 1)
    rows = array("d")
    for i in range(n):
        rows.extend((i / below, math.log1p(i), math.log1p(n - 1 - i)))
    return memoryview(rows), math.log1p(n)


def native_matrix(texts: list[str], weights: Any, bias: float, cache: dict, limit: int) -> memoryview | None:
    """features.extract's matrix of ``texts`` (n rows of WIDTH, a 2-d float64 buffer) with the lexical
    score (the model's ``weights``, a float32 or float64 buffer, and ``bias``) in its column, as
    Model.score fills it, in one call to C (_lines.c: features); each line's text alone gives kept in
    ``cache`` (by a hash of its stripped head, with the head to compare, as many as ``limit``). None where the C is not built, there are no
    lines, or a line is longer than the table of log1p: the caller then goes the long way."""
    n = len(texts)
    if _LINES is None or type(texts) is not list or n == 0:
        return None
    rows, log_lines = positions(n)
    matrix = memoryview(bytearray(8 * n * WIDTH)).cast("d", (n, WIDTH))
    args = (stopword_languages(), LAYOUT, weights, bias, cache, limit, log1p_table(), rows, log_lines)
    done = _LINES.features(texts, *args, matrix, DOC_SPEC, MAX_LINE_CHARS, NGRAM)
    return None if done is None else matrix


class Compiled:
    """The model's compiled half: the Forest (_trees.c) and the lexical weights, and the shortcut."""

    def __init__(self, forest: Any, weights: Any, bias: float, baseline: float):
        self.forest = forest
        self.weights = weights  # float32 where that holds every weight exactly (as trained): half the reads
        self.bias = bias
        self.baseline = baseline
        # native_matrix's call with all but the document given once (_lines.c: Features), where the C is built; it
        # keeps the features of the last lines it saw by a hash of their stripped head, in C.
        self._features = None
        self._unfilled: Any = None  # (_lines.c: a bytearray not zeroed)
        if _LINES is not None:
            self._unfilled = _LINES.unfilled
            args = (stopword_languages(), LAYOUT, weights, bias, ROWS_CACHE_SIZE, log1p_table(), DOC_SPEC)
            self._features = _LINES.Features(*args, MAX_LINE_CHARS, NGRAM)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Compiled | None:
        """The model file's compiled half; None where the C is not built."""
        if _TREES is None or _LINES is None:
            return None
        arrays = read_npz(path)
        if tuple(arrays["names"].values) != NAMES:
            raise ValueError("the model was trained on other features; run `make train`")
        tree = (arrays[key].values for key in ("feature", "threshold", "left", "right", "value", "roots"))
        forest = _TREES.Forest(*compact(*tree), int(arrays["depth"].item()))
        weights = arrays["ngram_weights"].values
        if weights.typecode not in "fd":  # (a float64 file is read as it is: the same values either way)
            weights = array("d", weights)
        return cls(forest, weights, float(arrays["ngram_bias"].item()), float(arrays["baseline"].item()))

    def shortcut(
        self, texts: list[str], cut: float | None = None, floor: float = -math.inf
    ) -> tuple[memoryview, memoryview, float] | None:
        """The feature matrix of ``texts`` (the lines of a document) with its lexical scores, their
        log-odds and the lowest of them (NaN if one is NaN), as buffers: features.extract, Model.score
        and Model.log_odds to the bit, in two calls to C. Given a ``cut``, the log-odds of a line that
        is surely above it are +inf, and those of a line surely below ``floor`` -inf (its trees' walk
        stops once the rest of them cannot bring it to the cut, or up to the floor); the lowest is
        that of the others, or -inf if a line settled below (+inf if all settled above). None where
        the C cannot take the document (no lines, or one of 65,536 characters or more): the caller
        goes the long way."""
        n = len(texts)
        if self._features is None or type(texts) is not list or n == 0:
            return None
        # Not zeroed (bytearray(size) is): the Features call writes every cell of the matrix (or zeroes it first, for
        # a layout whose columns it does not all write), the forest every line's log-odds.
        unfilled = self._unfilled
        matrix = memoryview(unfilled(8 * n * WIDTH)).cast("d", (n, WIDTH))
        if self._features(texts, matrix) is None:  # (native_matrix's, in one call of two arguments)
            return None
        odds = memoryview(unfilled(8 * n)).cast("d")
        if cut is not None:
            return matrix, odds, self.forest.odds_above(matrix, self.baseline, cut, odds, floor)
        return matrix, odds, self.forest.odds(matrix, self.baseline, odds)


def not_above(odds: Any, cut: float, floor: float) -> list[int] | None:
    """The places of ``odds`` (the shortcut's log-odds: a buffer or an array) whose value is not above ``cut``,
    in order; None when one of them is not below ``floor`` either (or NaN): its P must be computed. The twin
    of _trees.c's not_above (NOT_ABOVE), which spares the caller a list of every line's log-odds a round."""
    values = odds.tolist()
    below = [i for i, x in enumerate(values) if not x > cut]
    for i in below:
        if not values[i] < floor:
            return None
    return below


NOT_ABOVE = _TREES.not_above if _TREES is not None else not_above


def kinds(
    words: Sequence[float], below: list[int], limit: float, nav_run: float, labels: tuple[str, str, str]
) -> list[str]:
    """The rule kind of each place of ``below`` (in range(len(words)), in any order), from the rows' ``words``:
    ``labels`` is (nav run, short, boilerplate). A row of ``limit`` words or more is boilerplate; a shorter one is of a
    nav run when it lies in a run of ``nav_run`` or more consecutive short rows, else short; a NaN count is in no run
    (a run of 0 rows). The run of a row below is measured from it out to its ends, once for the rows below in it
    that come one after another: the rows far from any row below are not looked at. The twin of _trees.c's kinds
    (KINDS), which reads the words without making a float of each and says None where ``limit`` or ``nav_run`` is
    no number a double holds exactly (this twin then)."""
    nav, alone, chrome = labels
    n = len(words)
    found: list[str] = []
    start = stop = 0  # the run measured last: rows [start, stop)
    for i in below:
        count = words[i]
        if count < limit:  # (most rows below: short, in a run measured for a row before)
            if not start <= i < stop:
                start, stop = i, i + 1
                while start > 0 and words[start - 1] < limit:
                    start -= 1
                while stop < n and words[stop] < limit:
                    stop += 1
            found.append(nav if stop - start >= nav_run else alone)
        elif count >= limit:
            found.append(chrome)
        else:  # (a NaN count: in no run, as neither short nor long)
            found.append(nav if nav_run <= 0 else alone)  # (a run of 0 rows)
    return found


KINDS: Callable[[Sequence[float], list[int], float, float, tuple[str, str, str]], list[str] | None] = (
    _TREES.kinds if _TREES is not None else kinds
)


@lru_cache(maxsize=1)
def default_compiled() -> Compiled | None:
    return Compiled.load()
