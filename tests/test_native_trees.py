"""The compiled tree walk and lexical score (cleaner/classify/_trees.c) against the numpy code they
stand in for (cleaner/classify/model.py): the same leaves, log-odds and lexical scores bit for bit,
on invented matrices (values on thresholds, NaN, infinities, signed zeros) and invented n-grams
(every branch of numpy's pairwise sum); and the checks that keep a bad call out of the C code."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cleaner import native
from cleaner.classify import features
from cleaner.classify.model import Model, default_model
from tests.test_native import _Shrinks

WIDTH = len(features.NAMES)
# CLEANER_NATIVE=off runs the numpy code alone (the rest of the suite then tests it); CI builds the extension.
pytestmark = pytest.mark.skipif(os.environ.get(native.ENV) == "off", reason="compiled code turned off")


def _trees():
    module = native.load("cleaner.classify._trees")
    assert module is not None, "cleaner/classify/_trees.c is not built (a C compiler is needed)"
    return module


def test_the_extension_is_built_and_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.ENV, raising=False)
    assert native.load("cleaner.classify._trees") is not None
    assert default_model()._forest is not None
    monkeypatch.setenv(native.ENV, "off")
    assert native.load("cleaner.classify._trees") is None


def _matrix(m: Model, n: int, seed: int, width: int = WIDTH) -> np.ndarray:
    """Values the trees test: their thresholds exactly, NaN, +-inf, signed zeros, noise."""
    rng = np.random.default_rng(seed)
    thresholds = m.threshold[m.left != np.arange(len(m.left))]
    matrix = rng.choice(thresholds, size=(n, width))
    matrix[::7, ::3] = np.nan
    matrix[1::11, ::5] = np.inf
    matrix[2::13, 1::4] = -np.inf
    matrix[4::9, 2::3] = -0.0
    matrix[5::9, 2::3] = 0.0
    matrix[3::5] = rng.normal(0, 5, size=matrix[3::5].shape)
    matrix[6::17] = np.nextafter(matrix[6::17], np.inf)  # just above a threshold: goes right
    return matrix


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 13, 20, 301])
def test_leaves_and_log_odds_match_numpy(n: int) -> None:
    m = default_model()
    matrix = _matrix(m, n, seed=n)
    leaves = m._leaves(matrix)
    assert leaves.tobytes() == m._leaves_numpy(matrix).tobytes()
    expected = m.baseline + m._leaves_numpy(matrix).sum(axis=1)
    assert m.log_odds(matrix).tobytes() == expected.tobytes()


def test_leaves_of_wider_and_strided_matrices_match_numpy() -> None:
    m = default_model()
    wide = _matrix(m, 50, seed=3, width=WIDTH + 5)
    assert m._leaves(wide).tobytes() == m._leaves_numpy(wide).tobytes()
    fortran = np.asfortranarray(_matrix(m, 40, seed=4))
    assert m._leaves(fortran).tobytes() == m._leaves_numpy(fortran).tobytes()
    every_other = _matrix(m, 80, seed=5)[::2]
    assert m._leaves(every_other).tobytes() == m._leaves_numpy(every_other).tobytes()


def test_the_walk_takes_each_branch_as_numpy_does() -> None:
    """One tree of depth 1 testing column 0 against 0.5: only a value above it goes right (not NaN,
    not 0.5 itself); an infinite threshold never holds."""
    forest = _trees().Forest(
        np.array([0, 0, 0, 0, 0, 0], dtype=np.intp),
        np.array([0.5, 0.0, 0.0, np.inf, 0.0, 0.0]),
        np.array([1, 0, 0, 4, 0, 0], dtype=np.intp),
        np.array([0.0, -1.0, 1.0, 0.0, -2.0, 2.0]),
        np.array([0, 3], dtype=np.intp),
        1,
    )
    matrix = np.array([[0.4], [0.5], [0.6], [np.nan], [np.inf], [-np.inf]])
    out = np.zeros((6, 2))
    assert forest.leaves(matrix, out) is None
    assert out.tolist() == [[-1.0, -2.0], [-1.0, -2.0], [1.0, -2.0], [-1.0, -2.0], [1.0, -2.0], [-1.0, -2.0]]


def test_a_block_of_trees_takes_each_branch_as_python_does() -> None:
    """Twelve trees of depth 1, tree t testing column t (odds_above walks the first eight abreast, the rest
    as a block padded with trees of 0.0 leaves): a leaf of 2 ** t on the right, 0 on the left, so a line's
    log-odds spell which trees it went right in. Right only where x > threshold in Python: not at the
    threshold, not a NaN either side, not -0.0 against 0.0, never against +inf, always (but NaN) against
    -inf, against the largest double only +inf, against the smallest subnormals what is above them (the heap
    layout compares with the next double above a threshold)."""
    big, tiny = float(np.finfo(float).max), 5e-324
    thresholds = [0.5, 0.0, -0.0, np.inf, -np.inf, np.nan, 1e308, -1e-308, 2.0, big, tiny, -tiny]
    trees = len(thresholds)
    feature, threshold, left, value = [], [], [], []
    for t, cut in enumerate(thresholds):
        at = 3 * t
        feature += [t, 0, 0]
        threshold += [cut, np.inf, np.inf]
        left += [at + 1, at + 1, at + 2]
        value += [0.0, 0.0, float(2**t)]
    feature.append(0)
    threshold.append(np.inf)
    left.append(0)
    value.append(0.0)
    forest = _trees().Forest(
        np.array(feature, dtype=np.intp),
        np.array(threshold),
        np.array(left, dtype=np.intp),
        np.array(value),
        np.arange(0, 3 * trees, 3, dtype=np.intp),
        1,
    )
    specials = [0.5, np.nextafter(0.5, 1), 0.0, -0.0, np.inf, -np.inf, np.nan, 1e308, -1e-308, 3.0, -5.0]
    specials += [big, np.nextafter(big, 0), tiny, -tiny, 2 * tiny, np.nextafter(2.0, 3)]
    rng = np.random.default_rng(9)
    matrix = rng.choice(specials, size=(40, trees))
    matrix[: len(specials)] = np.array(specials)[:, None]  # each value against every threshold
    expected = [float(sum(2**t for t, cut in enumerate(thresholds) if row[t] > cut)) for row in matrix.tolist()]
    exact, above = np.empty(len(matrix)), np.empty(len(matrix))
    forest.odds(matrix, 0.0, exact)
    assert forest.odds_above(matrix, 0.0, np.inf, above) == min(expected)
    assert exact.tolist() == above.tolist() == expected


class _Half:
    def __float__(self) -> float:
        return 0.5


def test_odds_above_reads_its_arguments_as_the_format_did() -> None:
    """odds_above reads its arguments by hand (METH_FASTCALL) as PyArg_ParseTuple's "OddO|d" would:
    four or five, the baseline, the cut and the floor anything float() of C takes (an int, a
    __float__), a TypeError for what is no number, the error of a __float__ that fails; no floor is
    a floor of -inf."""
    m = default_model()
    matrix = _matrix(m, 9, seed=5)
    expected, got = np.empty(len(matrix)), np.empty(len(matrix))
    low = m._forest.odds_above(matrix, 0.5, 2.0, expected)
    assert m._forest.odds_above(matrix, _Half(), 2, got) == low
    assert got.tolist() == expected.tolist()
    assert m._forest.odds_above(matrix, 0.5, 2.0, got, -np.inf) == low
    assert got.tobytes() == expected.tobytes()
    floor = float(np.nanmedian(m.log_odds(matrix))) + 0.5  # (some lines settle below it)
    low = m._forest.odds_above(matrix, 0.5, 2.0, expected, floor)
    assert low == -np.inf and m._forest.odds_above(matrix, 0.5, 2.0, got, _Floor(floor)) == low
    assert got.tobytes() == expected.tobytes()
    for bad, error in [
        ((matrix, 0.5, 2.0), TypeError),
        ((matrix, 0.5, 2.0, got, None), TypeError),
        ((matrix, 0.5, 2.0, got, "-1.0"), TypeError),
        ((matrix, 0.5, 2.0, got, -1.0, None), TypeError),
        ((matrix, "0.5", 2.0, got), TypeError),
        ((matrix, 0.5, None, got), TypeError),
        ((matrix, 0.5, _Failing(), got), ZeroDivisionError),
        ((matrix, 0.5, 2.0, got, _Failing()), ZeroDivisionError),
    ]:
        with pytest.raises(error):
            m._forest.odds_above(*bad)
    with pytest.raises(TypeError):
        m._forest.odds_above(matrix, 0.5, 2.0, out=got)


class _Failing:
    def __float__(self) -> float:
        raise ZeroDivisionError


class _Floor:
    def __init__(self, value: float):
        self.value = value

    def __float__(self) -> float:
        return self.value


def test_a_bad_forest_or_matrix_is_refused() -> None:
    trees = _trees()
    feature = np.array([2, 0, 0], dtype=np.intp)
    threshold = np.zeros(3)
    left = np.array([1, 0, 0], dtype=np.intp)
    offsets = np.array([0], dtype=np.intp)
    forest = trees.Forest(feature, threshold, left, threshold, offsets, 1)
    with pytest.raises(ValueError, match="2 columns, the trees test column 2"):
        forest.leaves(np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="one row a line"):
        forest.leaves(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(TypeError, match="matrix: expected a C-contiguous 2-d array of float64"):
        forest.leaves(np.zeros((4, 3), dtype=np.float32), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="not C-contiguous"):
        forest.leaves(np.zeros((4, 6))[:, ::2], np.zeros((4, 1)))
    readonly = np.zeros((4, 1))
    readonly.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        forest.leaves(np.zeros((4, 3)), readonly)
    with pytest.raises(ValueError, match="slot 0: a feature or child out of range"):
        trees.Forest(feature, threshold, np.array([2, 0, 0], dtype=np.intp), threshold, offsets, 1)
    with pytest.raises(ValueError, match="slot 0"):
        trees.Forest(np.array([-1, 0, 0], dtype=np.intp), threshold, left, threshold, offsets, 1)
    # a column whose byte offset into a row (the walk's, in 32 bits) would not fit: refused; the one below it is not
    with pytest.raises(ValueError, match="slot 0"):
        trees.Forest(np.array([2**28, 0, 0], dtype=np.intp), threshold, left, threshold, offsets, 1)
    trees.Forest(np.array([2**28 - 1, 0, 0], dtype=np.intp), threshold, left, threshold, offsets, 1)
    with pytest.raises(ValueError, match="tree 0: its first slot is out of range"):
        trees.Forest(feature, threshold, left, threshold, np.array([3], dtype=np.intp), 1)
    with pytest.raises(ValueError, match="depth out of range"):
        trees.Forest(feature, threshold, left, threshold, offsets, 31)
    with pytest.raises(ValueError, match="differ in length"):
        trees.Forest(feature, threshold[:2], left, threshold, offsets, 1)
    with pytest.raises(TypeError, match="feature: expected a C-contiguous 1-d array of intp"):
        trees.Forest(feature.astype(np.int32), threshold, left, threshold, offsets, 1)


def _lexical_model(weights: np.ndarray, bias: float) -> Model:
    m = Model.load()
    m.ngram_weights, m.ngram_bias = weights, bias
    return m


def test_lexical_scores_match_numpy() -> None:
    """Lines of 1 to 600 n-grams: numpy's sequential (< 8), 8-accumulator (<= 128) and halving sums."""
    rng = np.random.default_rng(7)
    weights = rng.normal(0, 1, 4096) * 10.0 ** rng.integers(-12, 12, 4096)
    weights[:16] = -0.0
    m = _lexical_model(weights, 0.37)
    sizes = [*range(1, 140), 255, 256, 257, 263, 300, 511, 600, *rng.integers(1, 40, 200).tolist()]
    grams = [rng.integers(0, len(weights), size).tolist() for size in sizes]
    grams += [[0], [0, 1], list(range(16)), [3] * 9]  # -0.0 alone and summed stays -0.0 before the bias
    scores = m.ngram_scores(grams)
    assert scores.tobytes() == m._ngram_scores_numpy(grams).tobytes()
    out = np.empty(len(grams))
    assert _trees().lexical(weights, grams, -0.0, out) is True
    plain = _lexical_model(weights, -0.0)._ngram_scores_numpy(grams)
    assert out.tobytes() == plain.tobytes()
    assert np.signbit(out[-4:]).tolist() == [True, True, True, True]


def test_lexical_scores_of_the_model_match_numpy_cached_or_not() -> None:
    m = default_model()
    rng = np.random.default_rng(8)
    grams = [rng.integers(0, len(m.ngram_weights), rng.integers(1, 60)).tolist() for _ in range(500)]
    expected = m._ngram_scores_numpy(grams).tobytes()
    assert m.ngram_scores(grams).tobytes() == expected
    keys = [f"line {i}" for i in range(len(grams))]
    assert Model.load()._cached_ngram_scores(keys, grams).tobytes() == expected


def test_a_line_without_ngrams_is_left_to_numpy() -> None:
    m = default_model()
    grams = [[5, 6], [], [7]]
    out = np.zeros(3)
    assert _trees().lexical(m.ngram_weights, grams, m.ngram_bias, out) is False
    with np.errstate(divide="ignore", invalid="ignore"):  # numpy's own answer for such a line: NaN or inf
        assert m.ngram_scores(grams).tobytes() == m._ngram_scores_numpy(grams).tobytes()


def test_ngram_indices_as_numpy_takes_them() -> None:
    """From the end when negative, as numpy indexes; out of range refused, not read."""
    m = default_model()
    size = len(m.ngram_weights)
    assert m.ngram_scores([[-1, 2], [-size]]).tobytes() == m._ngram_scores_numpy([[-1, 2], [-size]]).tobytes()
    with pytest.raises(IndexError, match="line 1: n-gram"):
        m.ngram_scores([[1], [size]])
    with pytest.raises(IndexError):
        m.ngram_scores([[1], [-size - 1]])
    with pytest.raises(ValueError, match="invalid literal"):  # numpy's int("a")
        m.ngram_scores([[1], ["a"]])


def test_ngrams_that_are_not_ints_are_left_to_numpy() -> None:
    """numpy takes any integer-like n-gram (a numpy integer, a float, a numeral): such a line is
    numpy's to score, cached or not, to the same bits."""
    m = default_model()
    grams = [[np.int64(5), 6], [np.uint16(7)], [2.5, 1], ["3"]]
    expected = m._ngram_scores_numpy(grams).tobytes()
    assert m.ngram_scores(grams).tobytes() == expected
    assert Model.load()._cached_ngram_scores(["a", "b", "c", "d"], grams).tobytes() == expected
    out = np.zeros(2)
    assert _trees().lexical(m.ngram_weights, [[1], [np.int64(5)]], m.ngram_bias, out) is False


def test_keys_that_empty_the_list_mid_call_are_refused_not_read() -> None:
    """A key's __eq__ that empties the keys list: the C code holds each key and looks at the list's
    size again at each line (it used to read past the emptied list)."""
    m = default_model()
    keys = [_Shrinks(f"k{i}") for i in range(8)]
    _Shrinks.victim = keys
    with pytest.raises(RuntimeError, match="changed size"):
        _trees().cached_lexical(m.ngram_weights, keys, [[1, 2]] * 8, m.ngram_bias, {}, 100, np.empty(8))


def test_a_line_that_empties_the_list_mid_call_is_refused_not_read() -> None:
    """A line that is not a list is iterated (its __iter__ runs): it may empty the grams list."""
    m = default_model()

    class Line:
        def __iter__(self):
            grams.clear()
            return iter([1, 2])

    grams = [Line(), *[[1, 2]] * 7]
    with pytest.raises(RuntimeError, match="changed size"):
        _trees().lexical(m.ngram_weights, grams, m.ngram_bias, np.empty(8))
    grams = [Line(), *[[1, 2]] * 7]
    with pytest.raises(RuntimeError, match="changed size"):
        _trees().cached_lexical(m.ngram_weights, [f"k{i}" for i in range(8)], grams, m.ngram_bias, {}, 99, np.empty(8))


def test_cached_lexical_scores_read_and_fill_the_cache() -> None:
    m = default_model()
    trees = _trees()
    grams = [[1, 2, 3], [4], [1, 2, 3], [5, 6]]
    keys = ["a b c", "d", "a b c", "e f"]
    expected = m._ngram_scores_numpy(grams)
    cache = {"d": 42.0}
    out = np.empty(4)
    assert trees.cached_lexical(m.ngram_weights, keys, grams, m.ngram_bias, cache, 10, out) is True
    assert out.tolist() == [expected[0], 42.0, expected[0], expected[3]]
    assert cache == {"a b c": expected[0], "d": 42.0, "e f": expected[3]}
    # Room for fewer than the lines: emptied first, then holds this call's lines only.
    assert trees.cached_lexical(m.ngram_weights, ["x", "d"], [[7], [4]], m.ngram_bias, cache, 4, out[:2]) is True
    assert out[:2].tobytes() == m._ngram_scores_numpy([[7], [4]]).tobytes()
    assert sorted(cache) == ["d", "x"]
    assert trees.cached_lexical(m.ngram_weights, ["y", "z"], [[7], []], m.ngram_bias, cache, 99, out[:2]) is False
    with pytest.raises(ValueError, match="one of each a line"):
        trees.cached_lexical(m.ngram_weights, ["y"], [[7], [8]], m.ngram_bias, cache, 99, out[:2])


def test_cached_scores_match_numpy_across_calls_and_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner.classify import model

    m = Model.load()
    rng = np.random.default_rng(9)
    pool = [rng.integers(0, len(m.ngram_weights), rng.integers(1, 30)).tolist() for _ in range(40)]
    monkeypatch.setattr(model, "_NGRAM_CACHE_SIZE", 25)
    for _ in range(30):
        picks = rng.integers(0, len(pool), rng.integers(1, 20)).tolist()
        grams = [pool[i] for i in picks]
        scores = m._cached_ngram_scores([f"line {i}" for i in picks], grams)
        assert scores.tobytes() == m._ngram_scores_numpy(grams).tobytes()
        assert len(m._ngram_cache) <= 25


def _check_odds_above(forest, matrix: np.ndarray, baseline: float, cut: float) -> int:
    """odds_above against odds, without a floor (as with one of -inf): no line settles below. How many
    settled above."""
    above, below = _check_settled(forest, matrix, baseline, cut, -np.inf)
    assert below == 0
    return above


def _check_settled(forest, matrix: np.ndarray, baseline: float, cut: float, floor: float) -> tuple[int, int]:
    """odds_above against odds (_check_against), and (a floor under the cut) its lowest compares with the cut
    as odds' lowest does. How many settled above and below."""
    exact, got = np.empty(len(matrix)), np.empty(len(matrix))
    lowest = forest.odds(matrix, baseline, exact)
    low = forest.odds_above(matrix, baseline, cut, got, floor)
    settled = _check_against(exact, got, low, cut, floor)
    if not floor > cut:
        assert (lowest > cut) == (low > cut)
    return settled


def _check_against(exact: np.ndarray, got: np.ndarray, low: float, cut: float, floor: float) -> tuple[int, int]:
    """odds_above's out (got) and lowest (low) against the exact log-odds: a line it settles above (+inf) has
    log-odds above the cut, one it settles below (-inf) log-odds below the floor; the others' log-odds are the
    exact ones to the bit; the lowest is theirs (NaN if one is NaN), -inf if a line settled below, +inf if all
    settled above. How many settled above and below."""
    above, below = got == np.inf, got == -np.inf
    rest = ~(above | below)
    assert (exact[above] > cut).all()
    assert (exact[below] < floor).all()
    assert exact[rest].tobytes() == got[rest].tobytes()
    if np.isnan(got[rest]).any():
        assert np.isnan(low)
    elif below.any():
        assert low == -np.inf
    else:
        assert low == (got[rest].min() if rest.any() else np.inf)
    return int(above.sum()), int(below.sum())


def _bounds_around_each_line(m: Model, matrix: np.ndarray, towards: float) -> list[float]:
    """Cuts or floors far below and above all lines, infinite and NaN, at each line's own log-odds and just
    past them ``towards`` (-inf: below them, +inf: above them)."""
    exact = np.empty(len(matrix))
    m._forest.odds(matrix, m.baseline, exact)
    finite = exact[np.isfinite(exact)]
    bounds = [-1e9, 1e9, -np.inf, np.inf, np.nan, *finite[:20].tolist()]
    return bounds + [np.nextafter(b, towards) for b in finite[:10]] + [b + np.sign(towards) * 1e-5 for b in finite[:10]]


@pytest.mark.parametrize("n", [1, 7, 9, 40, 301])
def test_odds_above_a_floor_are_the_odds_of_the_lines_it_does_not_settle(n: int) -> None:
    """Floors at each line's own log-odds and just around them, and far below and above all, with cuts
    above them: a line is settled below only when its log-odds are below the floor, above only when they
    are above the cut; the others are the odds to the bit."""
    m = default_model()
    matrix = _matrix(m, n, seed=200 + n)
    settled = np.zeros(2, dtype=int)
    for floor in _bounds_around_each_line(m, matrix, np.inf):
        for cut in (np.inf, floor + 0.5, floor):
            settled += _check_settled(m._forest, matrix, m.baseline, float(cut), float(floor))
    assert settled.all()  # lines settled on both sides
    # a floor far above every line settles them all below (when no value is NaN), one not above any settles none
    clean = np.nan_to_num(matrix, nan=0.0)
    assert _check_settled(m._forest, clean, m.baseline, np.inf, 1e9) == (0, n)
    assert _check_settled(m._forest, clean, m.baseline, np.inf, -np.inf) == (0, 0)
    assert _check_settled(m._forest, clean, m.baseline, -1e9, -1e9) == (n, 0)


@pytest.mark.parametrize("n", [1, 7, 9, 40, 301])
def test_odds_above_a_cut_are_the_odds_of_the_lines_it_does_not_settle(n: int) -> None:
    """Cuts at each line's own log-odds and just around them, and far below and above all: a line is
    settled only when its log-odds are above the cut; the others are the odds to the bit."""
    m = default_model()
    matrix = _matrix(m, n, seed=100 + n)
    cuts = _bounds_around_each_line(m, matrix, -np.inf)
    settled = sum(_check_odds_above(m._forest, matrix, m.baseline, float(c)) for c in cuts)
    assert settled > 0
    # a cut far below every line settles them all (when no value is NaN), one not below any settles none
    clean = np.nan_to_num(matrix, nan=0.0)
    assert _check_odds_above(m._forest, clean, m.baseline, -1e9) == n
    assert _check_odds_above(m._forest, clean, m.baseline, np.inf) == 0


def test_odds_above_settle_nothing_past_a_nan_leaf() -> None:
    """A NaN leaf anywhere leaves no bound: every line is walked in full and its odds are odds'."""
    forest = _trees().Forest(
        np.array([0, 0, 0, 0, 0, 0, 0], dtype=np.intp),
        np.array([0.5, np.inf, np.inf, 0.5, np.inf, np.inf, np.inf]),
        np.array([1, 1, 2, 4, 4, 5, 0], dtype=np.intp),
        np.array([0.0, 1.0, 2.0, 0.0, np.nan, 3.0, 0.0]),
        np.array([0, 3], dtype=np.intp),
        1,
    )
    matrix = np.array([[0.4], [0.6], [7.0]])
    assert _check_odds_above(forest, matrix, 0.0, -100.0) == 0
    assert _check_settled(forest, matrix, 0.0, np.inf, 100.0) == (0, 0)
    out = np.empty(3)
    forest.odds_above(matrix, 0.0, -100.0, out)
    assert out[1:].tolist() == [5.0, 5.0]


def _random_arrays(trees: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``trees`` complete trees of depth 2 on 4 columns, one after another (seven slots each, then an idle
    one), as Forest takes them (feature, threshold, left, value, each tree's first slot): their leaves of
    magnitudes 1e-3 to 1e3 (a sum's roundings then depend on its order), a few of them signed zeros or far
    larger."""
    feature, threshold, left, value = [], [], [], []
    for t in range(trees):
        for j in range(7):  # three inner nodes, breadth first, then four leaves
            inner = j < 3
            feature.append(int(rng.integers(0, 4)) if inner else 0)
            threshold.append(float(rng.normal()) if inner else np.inf)
            left.append(7 * t + 2 * j + 1 if inner else 7 * t + j)
            leaf = float(rng.normal()) * 10.0 ** int(rng.integers(-3, 4))
            value.append(0.0 if inner else leaf if rng.random() > 0.05 else float(rng.choice([0.0, -0.0, 1e8, -1e-8])))
    feature.append(0)
    threshold.append(np.inf)
    left.append(0)
    value.append(0.0)
    roots = np.arange(0, 7 * trees, 7, dtype=np.intp)
    return np.array(feature, dtype=np.intp), np.array(threshold), np.array(left, dtype=np.intp), np.array(value), roots


def _random_forest(trees: int, rng: np.random.Generator):
    """_random_arrays' Forest, and each tree's four leaf values (trees, 4)."""
    feature, threshold, left, value, roots = _random_arrays(trees, rng)
    leaves = value[roots[:, None] + np.arange(3, 7)]
    return _trees().Forest(feature, threshold, left, value, roots, 2), leaves


def _reversed(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """_random_arrays' trees laid out in memory last tree first (the idle slot still at the end): their first
    slots, in the model's order, then decrease."""
    feature, threshold, left, value, roots = (a.copy() for a in arrays)
    trees = len(roots)
    for t in range(trees):
        old, new = slice(7 * t, 7 * t + 7), slice(7 * (trees - 1 - t), 7 * (trees - t))
        feature[new], threshold[new], value[new] = arrays[0][old], arrays[1][old], arrays[3][old]
        left[new] = arrays[2][old] + 7 * (trees - 1 - 2 * t)
        roots[t] = 7 * (trees - 1 - t)
    return feature, threshold, left, value, roots


def _walked(arrays: tuple[np.ndarray, ...], matrix: np.ndarray, depth: int) -> np.ndarray:
    """Each (line, tree) leaf of Forest's walk, in Python: ``depth`` steps of ``left + (x > threshold)``."""
    feature, threshold, left, value, roots = (a.tolist() for a in arrays)
    leaves = np.empty((len(matrix), len(roots)))
    for i, row in enumerate(matrix.tolist()):
        for t, at in enumerate(roots):
            for _ in range(depth):
                at = left[at] + (row[feature[at]] > threshold[at])
            leaves[i, t] = value[at]
    return leaves


def test_a_forest_in_any_layout_gives_the_same_leaves_and_odds() -> None:
    """The Forest lays out the trees in its walk order only where each lies after the one before (model.py's
    layout): trees in another order, or reaching past their slots, are walked where they are. Each gives the
    leaves of the walk in Python, and odds_above numpy's sum of them where it does not settle a line."""
    rng = np.random.default_rng(77)
    arrays = _random_arrays(30, rng)
    reaching = tuple(a.copy() for a in arrays)
    reaching[2][7 * 4 + 2] = 7 * 4 + 6  # tree 4's second inner node: a right child past the tree, tree 5's root
    matrix = rng.normal(size=(50, 4))
    for given in (arrays, _reversed(arrays), reaching):
        forest = _trees().Forest(*given, 2)
        expected = _walked(given, matrix, 2)
        got, odds = np.empty((50, 30)), np.empty(50)
        forest.leaves(matrix, got)
        assert got.tobytes() == expected.tobytes()
        exact = 0.5 + expected.sum(axis=1)
        cut = float(np.median(exact))
        for high, low in ((np.inf, -np.inf), (cut, cut), (cut + 1.0, cut - 1.0)):
            _check_against(exact, odds, forest.odds_above(matrix, 0.5, high, odds, low), high, low)
    assert (expected[:, 4] == 0.0).any()  # (lines went to tree 5's root, whose value is 0.0)


# Around each of pairwise_sum's cases: fewer than 8 values, 8 accumulators with and without a few left over, and
# a split into runs (above 128), some of them with leftovers, some of them split again.
@pytest.mark.parametrize(
    "trees", [1, 5, 7, 8, 9, 15, 16, 17, 64, 127, 128, 129, 136, 137, 150, 151, 257, 263, 301, 520]
)
def test_odds_above_sums_the_leaves_as_numpy_does_for_any_number_of_trees(trees: int) -> None:
    """odds_above walks the trees in its own order, and the lines it does not settle again in the model's: their
    log-odds are numpy's sum of odds' leaves, to the bit."""
    rng = np.random.default_rng(trees)
    forest, _ = _random_forest(trees, rng)
    for n in (1, 6, 33):
        matrix = rng.normal(size=(n, 4))
        leaves = np.empty((n, trees))
        forest.leaves(matrix, leaves)
        expected = 0.25 + leaves.sum(axis=1)
        above = np.empty(n)
        for cut in (np.inf, float(np.median(expected)), -1e12):
            low = forest.odds_above(matrix, 0.25, cut, above)
            settled = above == np.inf
            assert (expected[settled] > cut).all()
            assert above[~settled].tobytes() == expected[~settled].tobytes()
            assert low == (expected[~settled].min() if not settled.all() else np.inf)
        for floor in (-np.inf, float(np.median(expected)), 1e12):
            low = forest.odds_above(matrix, 0.25, np.inf, above, floor)
            settled = above == -np.inf
            assert (expected[settled] < floor).all()
            assert above[~settled].tobytes() == expected[~settled].tobytes()
            assert low == (-np.inf if settled.any() else expected.min())
        assert forest.odds_above(matrix, 0.25, np.inf, above) == expected.min()
        assert above.tobytes() == expected.tobytes()


def test_odds_above_of_a_long_document_and_a_short_one_after() -> None:
    """The forest keeps odds_above's space from call to call, grown for a longer document, and lets go of it after a
    document of thousands of lines: the calls after it give the odds as before."""
    m = default_model()
    for n in (3, 3000, 5, 3000, 40):
        matrix = np.nan_to_num(_matrix(m, n, seed=n), nan=0.0)
        _check_odds_above(m._forest, matrix, m.baseline, np.inf)
        _check_odds_above(m._forest, matrix, m.baseline, float(np.median(m.log_odds(matrix))))


def _widest_first(lowest: np.ndarray, highest: np.ndarray) -> tuple[int, ...]:
    """The walk order odds_above is to take: the trees by the spread of their leaves, widest first, a tie in
    the model's order, a NaN spread last."""
    spread = (highest - lowest).tolist()
    return tuple(sorted(range(len(spread)), key=lambda t: (np.isnan(spread[t]), -spread[t], t)))


def test_the_walk_order_is_the_widest_spread_of_leaves_first() -> None:
    """The model's forest, a random one, and a forest of ties and a NaN leaf: the order depends on the trees
    alone (the same forest built again walks in the same order), and holds every tree once."""
    m = default_model()
    last = m._value.reshape(len(m.roots), -1)[:, 2**m.depth - 1 :]  # each tree's leaves (_complete's last level)
    assert m._forest.order == _widest_first(last.min(axis=1), last.max(axis=1))
    assert m._forest.order != tuple(range(len(m.roots)))  # (else the test would not tell the orders apart)
    assert _trees().Forest(*m._compact(), m.depth).order == m._forest.order
    forest, leaves = _random_forest(40, np.random.default_rng(5))
    assert forest.order == _widest_first(leaves.min(axis=1), leaves.max(axis=1))
    assert sorted(forest.order) == list(range(40))
    # depth 1: spreads 1, 1, NaN, 2, 2 (trees 0 to 4)
    pairs = [(0.0, 1.0), (5.0, 6.0), (0.0, np.nan), (0.0, 2.0), (-1.0, 1.0)]
    feature, threshold, left, value = [], [], [], []
    for t, (low, high) in enumerate(pairs):
        feature += [0, 0, 0]
        threshold += [0.5, np.inf, np.inf]
        left += [3 * t + 1, 3 * t + 1, 3 * t + 2]
        value += [0.0, low, high]
    feature.append(0)  # (the idle slot at the end)
    threshold.append(np.inf)
    left.append(0)
    value.append(0.0)
    arrays = (np.array(feature, dtype=np.intp), np.array(threshold), np.array(left, dtype=np.intp), np.array(value))
    assert _trees().Forest(*arrays, np.arange(0, 15, 3, dtype=np.intp), 1).order == (3, 4, 0, 1, 2)


@pytest.mark.parametrize("trees", [1, 8, 9, 150, 263])
def test_odds_above_walks_again_only_the_lines_near_the_band(trees: int) -> None:
    """odds_above decides which side a line is on in its own walk order, and walks again, in the model's order,
    only a line within its margin of the band between floor and cut: a line far outside the band is settled
    (+inf above the cut, -inf below the floor), a line inside it or at its edges (the bounds at lines' own
    log-odds and one step past them) gets numpy's log-odds to the bit."""
    rng = np.random.default_rng(1000 + trees)
    forest, leaves = _random_forest(trees, rng)
    reach = np.abs(leaves).max(axis=1).sum()
    n, baseline = 300, 0.25
    matrix = rng.normal(size=(n, 4))
    walked = np.empty((n, trees))
    forest.leaves(matrix, walked)
    exact = baseline + walked.sum(axis=1)
    ordered = np.unique(exact)
    got = np.empty(n)
    far = 0
    for k in range(0, len(ordered) - 1, max(1, len(ordered) // 6)):
        floor, cut = ordered[k], ordered[min(k + len(ordered) // 5, len(ordered) - 1)]
        for low, high in ((floor, cut), (np.nextafter(floor, np.inf), np.nextafter(cut, -np.inf)),
                          (np.nextafter(floor, -np.inf), np.nextafter(cut, np.inf)), (cut, cut)):  # fmt: skip
            _check_against(exact, got, forest.odds_above(matrix, baseline, high, got, low), high, low)
            finite = np.isfinite(got)
            inside = (exact >= low) & (exact <= high)
            assert finite[inside].all()
            near = 1e-5 * (1 + max(abs(low), abs(high)) + baseline + reach)
            outside = (exact > high + near) | (exact < low - near)
            assert not finite[outside].any()
            far += int(outside.sum())
    assert far > 0


def _complete_arrays(trees: int, depth: int, columns: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``trees`` complete trees of ``depth`` on ``columns`` columns, breadth first, one after another (then an idle
    slot), as Forest takes them: a few inner thresholds NaN or infinite, a few inner slots early leaves (a walk
    stays on them)."""
    size = 2 ** (depth + 1) - 1
    feature = rng.integers(0, columns, size=trees * size)
    threshold = rng.normal(size=trees * size)
    threshold[rng.random(trees * size) < 0.05] = np.nan
    threshold[rng.random(trees * size) < 0.05] = np.inf
    threshold[rng.random(trees * size) < 0.05] = -np.inf
    left = np.empty(trees * size, dtype=np.intp)
    for t in range(trees):
        for j in range(size):
            at = t * size + j
            inner = j < size // 2 and rng.random() > 0.05
            left[at] = t * size + 2 * j + 1 if inner else at
            threshold[at] = threshold[at] if inner else np.inf
    value = rng.normal(size=trees * size) * 10.0 ** rng.integers(-3, 4, size=trees * size)
    # (an idle slot at the end, as model.py's: a slot's right child, next to its left, is in the arrays)
    feature, threshold = np.append(feature, 0), np.append(threshold, np.inf)
    left, value = np.append(left, 0), np.append(value, 0.0)
    return feature, threshold, left, value, np.arange(0, trees * size, size, dtype=np.intp)


@pytest.mark.parametrize(
    ("depth", "columns", "trees"),
    [(0, 3, 19), (1, 3, 19), (3, 5, 19), (5, 9, 19), (6, 37, 19), (7, 4, 19), (8, 256, 19), (9, 6, 19), (6, 300, 19),
     (6, 37, 150), (5, 9, 81), (3, 5, 47)],
)  # fmt: skip
def test_complete_forests_of_any_depth_and_width_walk_as_python(depth: int, columns: int, trees: int) -> None:
    """odds_above walks a forest of at most 8 levels testing at most 256 columns in its heap layout (mirrored,
    x < the next double above the threshold going left, as a NaN does), unrolled for depths 5 to 8, deeper or wider ones in the slots, a group of blocks of trees at
    a time (more trees: several groups, the last one's last block padded): each settles a line exactly where the
    walk in Python takes it (bounds at each line's own log-odds and just past them), and the lines it does not
    settle get numpy's sum of the Python walk's leaves."""
    rng = np.random.default_rng(depth * 1000 + columns + trees)
    arrays = _complete_arrays(trees, depth, columns, rng)
    forest = _trees().Forest(*arrays, depth)
    matrix = rng.normal(size=(40, columns))
    matrix[::5, ::2] = np.nan
    matrix[1::6, ::3] = np.inf
    matrix[2::7, 1::3] = -np.inf
    expected = _walked(arrays, matrix, depth)
    got = np.empty_like(expected)
    forest.leaves(matrix, got)
    assert got.tobytes() == expected.tobytes()
    exact = 0.5 + expected.sum(axis=1)
    odds = np.empty(len(matrix))
    for bound in (*exact[:8].tolist(), *np.nextafter(exact[:8], np.inf).tolist(), float(np.median(exact))):
        for high, low in ((bound, -np.inf), (np.inf, bound), (bound + 1.0, bound - 1.0)):
            _check_against(exact, odds, forest.odds_above(matrix, 0.5, high, odds, low), high, low)
