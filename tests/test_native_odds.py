"""The classifier's shortcut (Model.shortcut: _lines.features, then Forest.odds) against the
long way it stands in for (features.extract, Model.score, Model.log_odds): the same matrix and the
same log-odds, bit for bit, on invented, crafted and random documents, cold and warm, with the
cache emptied mid-document; the lines it hands back (a line past its table of log1p); the checks
that keep a bad call out of the C code; and the cut on the log-odds that decides when nothing
can go (Classify then drops exactly what the long way drops)."""

from __future__ import annotations

import gc
import math
import os
import pickle
import random
from array import array

import numpy as np
import pytest

from cleaner import native
from cleaner.classify import compiled, features
from cleaner.classify.config import ClassifyConfig
from cleaner.classify.model import MODEL_PATH, Model, default_model
from cleaner.document import Line
from cleaner.steps.classify import Classify, _log_odds_cut
from tests.test_classify_fast import TEXTS, _documents
from tests.test_native import _crafted_texts, _random_documents, _random_texts, _Shrinks, words_hash
from tests.test_native_trees import _matrix

pytestmark = pytest.mark.skipif(os.environ.get(native.ENV) == "off", reason="compiled code turned off")
NGRAM = features.INDEX["ngram_score"]


def _long_way(m: Model, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The matrix with its lexical scores and the log-odds, as Classify._decide computes them."""
    found = features.extract(texts)
    m.score(found)
    return found.matrix, m.log_odds(found.matrix)


def _shortcut(
    m: Model, texts: list[str], cache: dict, limit: int = 1 << 14, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray, float]:
    matrix = features.native_matrix(texts, m.ngram_weights.astype(dtype), m.ngram_bias, cache, limit)
    assert matrix is not None
    odds = np.empty(len(texts))
    lowest = m._forest.odds(matrix, m.baseline, odds)
    return matrix, odds, lowest


def _documents_of_every_kind() -> list[list[str]]:
    padded = [f" \t{t}\u3000 " for t in TEXTS]  # stripped first (str.strip's spaces)
    crafted = _crafted_texts()
    return [
        *_documents(),
        *_random_documents()[:120],
        padded,
        *[crafted[i : i + 40] for i in range(0, len(crafted), 40)],
        _random_texts(300, 7),
        [_Shrinks("Home"), _Shrinks(" News "), "Home", *TEXTS[:4]],  # str subclasses: keys are copies
    ]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])  # the model's weights are float32 values
@pytest.mark.parametrize("limit", [1 << 14, 3, 0], ids=["kept", "emptied-mid-document", "never-kept"])
def test_the_shortcut_is_the_long_way_cold_and_warm(limit: int, dtype: type) -> None:
    m = default_model()
    assert m._lexical_weights.dtype == np.float32
    cache: dict = {}
    for doc in _documents_of_every_kind():
        matrix, odds = _long_way(m, doc)
        for _ in range(2):  # every line new, then (as far as the cache holds) every line kept
            fast, fast_odds, lowest = _shortcut(m, doc, cache, limit, dtype)
            assert fast.tobytes() == matrix.tobytes()
            assert fast_odds.tobytes() == odds.tobytes()
            assert lowest == (odds.min() if len(doc) else math.inf)
        assert len(cache) <= max(limit, 1)


def test_the_shortcut_of_the_model() -> None:
    m = Model.load()
    for doc in _documents():
        found = features.extract(doc)
        scores = m.score(found)
        matrix, odds, lowest = m.shortcut(doc)
        assert matrix.tobytes() == found.matrix.tobytes()
        assert lowest == (m.log_odds(found.matrix).min() if doc else math.inf)
        assert Model.probability(odds).tobytes() == scores.tobytes()
    assert all(not gc.is_tracked(info) for info in m._rows.values())  # in no cycle: never walked
    assert {type(v) for info in m._rows.values() for v in info} == {float, bytes, str}


def test_odds_of_any_matrix_sum_the_leaves_as_numpy() -> None:
    m = default_model()
    for n in (0, 1, 7, 8, 9, 33, 301):
        matrix = _matrix(m, n, seed=n)
        odds = np.empty(n)
        lowest = m._forest.odds(matrix, m.baseline, odds)
        expected = m.log_odds(matrix)
        assert odds.tobytes() == expected.tobytes()
        assert lowest == (expected.min() if n else math.inf)
    nan = np.full((3, len(features.NAMES)), np.nan)
    odds = np.empty(3)
    m._forest.odds(nan, math.nan, odds)
    assert math.isnan(m._forest.odds(nan, math.nan, odds))  # a NaN is the lowest: no shortcut


def test_odds_of_a_forest_of_few_trees() -> None:
    """Fewer trees than numpy's pairwise sum unrolls (8): added one by one, as numpy's reduction does."""
    trees = native.load("cleaner.classify._trees")
    forest = trees.Forest(
        np.array([0] * 9, dtype=np.intp),
        np.array([0.5, 0.0, 0.0, np.inf, 0.0, 0.0, 0.25, 0.0, 0.0]),
        np.array([1, 0, 0, 4, 0, 0, 7, 0, 0], dtype=np.intp),
        np.array([0.0, -1.0, 0.1, 0.0, -2.0, 0.2, 0.0, 1e16, -0.3]),
        np.array([0, 3, 6], dtype=np.intp),
        1,
    )
    matrix = np.array([[0.4], [0.6], [np.nan], [0.2]])
    leaves = np.empty((4, 3))
    forest.leaves(matrix, leaves)
    odds = np.empty(4)
    assert forest.odds(matrix, 0.7, odds) == 0.7 + np.add.reduce(leaves, axis=1).min()
    assert odds.tobytes() == (np.add.reduce(leaves, axis=1) + 0.7).tobytes()
    with pytest.raises(ValueError, match="one value a line"):
        forest.odds(matrix, 0.0, np.empty(3))
    with pytest.raises(ValueError, match="the trees test column 0"):
        forest.odds(np.empty((4, 0)), 0.0, np.empty(4))


def test_a_line_past_the_log1p_table_is_handed_back() -> None:
    m = default_model()
    args = (features.stopword_languages(), features._LAYOUT, m.ngram_weights, m.ngram_bias, {}, 10)
    doc = ["Home", "  " + "x" * 9 + "  ", "News"]
    positions, *_, log_lines = features._positions(3)
    table = compiled.log1p_table()
    spec = (features._DOC_SPEC, features.MAX_LINE_CHARS, NGRAM)
    out = np.empty((3, len(features.NAMES)))
    assert features._NATIVE.features(doc, *args, table[:9], positions, float(log_lines), out, *spec) is None
    assert features._NATIVE.features(doc, *args, table[:10], positions, float(log_lines), out, *spec) is not None
    assert out.tobytes() == _long_way(m, doc)[0].tobytes()
    long_doc = ["word " * 20_000, "Home", "News", "Sport", "Weather"]  # 99,999 characters stripped
    assert features.native_matrix(long_doc, m.ngram_weights, m.ngram_bias, {}, 10) is None
    assert m.shortcut(long_doc) is None


def test_junk_in_the_cache_is_computed_again() -> None:
    m = default_model()
    doc = TEXTS[:6]
    matrix = _long_way(m, doc)[0]
    row = b"\0" * 8 * features._ROW
    junk = [None, (1.0, b"x", "y", "z"), (1, row, "a", "a"), ("a", "b", "c", "d"), [0.0, b"", "", ""], (0.0, row, "")]
    for value in junk:
        cache = {words_hash(key.strip()): value for key in doc}
        assert _shortcut(m, doc, cache)[0].tobytes() == matrix.tobytes()
        assert all(type(info) is tuple and len(info[1]) == 8 * features._ROW for info in cache.values())


def test_a_cached_line_of_the_same_hash_and_another_text_is_computed_again() -> None:
    """The cache is by a hash of the text: a line's info is taken from it only for the same text (a
    str subclass of it, a longer or shorter one, a wider one), else computed and kept in its place."""
    m = default_model()
    doc = TEXTS[:6]
    matrix = _long_way(m, doc)[0]
    cache: dict = {}
    _shortcut(m, doc[::-1], cache)
    infos = {info[3]: info for info in cache.values()}
    wrong = [infos[doc[(k + 1) % len(doc)].strip()] for k in range(len(doc))]
    for other in (wrong, [(*info[:3], info[3] + "x") for info in wrong], [(*i[:3], i[3] + "\u2019") for i in wrong]):
        cache = {words_hash(key.strip()): info for key, info in zip(doc, other, strict=True)}
        assert _shortcut(m, doc, cache)[0].tobytes() == matrix.tobytes()
        assert sorted(info[3] for info in cache.values()) == sorted(key.strip() for key in doc)

    class Text(str):
        pass

    cache = {words_hash(key.strip()): (*infos[key.strip()][:3], Text(key.strip())) for key in doc}
    assert _shortcut(m, doc, cache)[0].tobytes() == matrix.tobytes()
    assert all(type(info[3]) is str for info in cache.values())


def test_bad_arguments_are_refused() -> None:
    m = default_model()
    lines = features._NATIVE
    positions, *_, log_lines = features._positions(2)
    table = np.asarray(compiled.log1p_table())

    def call(texts=("a", "b"), weights=m.ngram_weights, matrix=None, spec=features._DOC_SPEC, column=NGRAM, log=table):
        matrix = np.empty((2, len(features.NAMES))) if matrix is None else matrix
        args = (features.stopword_languages(), features._LAYOUT, weights, 0.0, {}, 10, log, positions, 0.0)
        return lines.features(list(texts), *args, matrix, spec, features.MAX_LINE_CHARS, column)

    assert call() is not None
    with pytest.raises(TypeError, match="texts must be str"):
        call(texts=("a", b"b"))
    with pytest.raises(ValueError, match="weight a bucket"):
        call(weights=m.ngram_weights[:-1])
    with pytest.raises(ValueError, match="weight a bucket"):
        call(weights=m.ngram_weights.astype(np.float16))
    with pytest.raises(ValueError, match="weight a bucket"):
        call(weights=m.ngram_weights.astype(np.int64))
    with pytest.raises(ValueError, match="log1p"):
        call(log=table.astype(np.float32))
    with pytest.raises(ValueError, match="right size"):
        call(matrix=np.empty((2, 5)))
    with pytest.raises(ValueError, match="a bad matrix layout"):
        call(column=len(features.NAMES))
    with pytest.raises(ValueError, match="a bad matrix layout"):
        call(column=-1)
    with pytest.raises(ValueError, match="a bad matrix layout"):
        call(spec=(features._DOC_SPEC[0] + 1, *features._DOC_SPEC[1:]))  # another row than the layout's
    assert float(log_lines) > 0


@pytest.mark.parametrize("threshold", [1e-300, 1e-9, 0.013, 0.022, 0.5, 0.97, 1 - 1e-12])
def test_above_the_cut_no_score_is_under_the_threshold(threshold: float) -> None:
    cut = _log_odds_cut(threshold)
    logit = math.log(threshold) - math.log1p(-threshold)
    assert logit < cut < logit + 1e-5 * max(1.0, abs(logit))
    x = np.concatenate([np.linspace(logit - 1e-5, logit + 1e-5, 20_001), np.nextafter(cut, [-np.inf, np.inf])])
    p = 1.0 / (1.0 + np.exp(-x))
    assert (p[x > cut] >= threshold).all()


def test_thresholds_without_a_cut() -> None:
    assert _log_odds_cut(1.0) == _log_odds_cut(2.0) == _log_odds_cut(math.nan) == math.inf  # the long way
    assert _log_odds_cut(0.0) == _log_odds_cut(-1.0) == -math.inf  # no P is under them


def _lines(texts: list[str]) -> list[Line]:
    return [Line(no, text) for no, text in enumerate(texts, 1)]


def test_classify_drops_what_the_long_way_drops_at_any_threshold() -> None:
    """Thresholds on a line's P itself and just above it: the shortcut (no trace) and the long way
    (explain's trace) drop the same lines, whether the cut lets the shortcut decide or not."""
    rng = random.Random(5)
    docs = [doc for doc in _documents() if len(doc) >= 5]
    for doc in docs:
        scores = sorted(v.score for v in Classify(ClassifyConfig(min_lines=1)).judge(_lines(doc)))
        picks = [scores[0], scores[0] / 2, scores[len(scores) // 2], rng.choice(scores), 0.0, 1.0]
        for threshold in {t for s in picks for t in (s, float(np.nextafter(s, 2.0)), float(np.nextafter(s, -1.0)))}:
            config = ClassifyConfig(thresholds={"balanced": threshold}, min_lines=1)
            fast, slow = Classify(config), Classify(config)
            slow.trace = {}
            fast_lines, slow_lines = _lines(doc), _lines(doc)
            fast(fast_lines)
            slow(slow_lines)
            assert [line.dropped_by for line in fast_lines] == [line.dropped_by for line in slow_lines]


def test_weights_that_are_no_float32_are_read_as_float64() -> None:
    with np.load(MODEL_PATH) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["ngram_weights"] = arrays["ngram_weights"].astype(np.float64) * (1 + 2**-40)
    m = Model(arrays)
    assert m._lexical_weights.dtype == np.float64
    for doc in _documents()[:4]:
        assert m.shortcut(doc)[1].tobytes() == _long_way(m, doc)[1].tobytes()


def test_not_above_is_its_twin_on_any_log_odds() -> None:
    """_trees.c's not_above (the classify step's rows below the cut, all below the floor) and
    compiled.py's twin: the same places, the same None (one between floor and cut, or NaN), on
    buffers and arrays of values around both bounds, infinite ones (odds_above's settled lines) and NaN."""
    rng = random.Random(29)
    assert compiled.NOT_ABOVE is not compiled.not_above  # (the C is built here: it is what is compared)
    cut, floor = _log_odds_cut(0.02), -3.9
    near = [cut, floor, math.nextafter(cut, 0.0), math.nextafter(cut, 9.0), math.nextafter(floor, -9.0)]
    pool = [math.inf, -math.inf, math.nan, 0.0, -0.0, 5.0, -7.5, *near]
    for size in [0, 1, 2, 3, 17, 300]:
        for _ in range(60):
            values = [rng.choice(pool) if rng.random() < 0.4 else rng.uniform(-12.0, 8.0) for _ in range(size)]
            if rng.random() < 0.5:  # (most documents: every row not above the cut also below the floor)
                values = [x if x > cut else min(x, floor - 1.0) for x in values if x == x]
            for odds in (memoryview(array("d", values)), np.array(values, dtype=np.float64)):
                for bounds in [(cut, floor), (math.inf, -math.inf), (-math.inf, math.inf), (cut, -math.inf)]:
                    assert compiled.NOT_ABOVE(odds, *bounds) == compiled.not_above(odds, *bounds)
    assert compiled.NOT_ABOVE(array("d", [9.0, -9.0, 0.5, -4.5]), 0.0, -4.0) == [1, 3]
    assert compiled.NOT_ABOVE(array("d", [9.0, -9.0, -1.0]), 0.0, -4.0) is None
    with pytest.raises(TypeError, match="odds"):
        compiled.NOT_ABOVE(array("f", [1.0]), 0.0, -4.0)
    with pytest.raises(TypeError, match="3 arguments"):
        compiled.NOT_ABOVE(array("d", [1.0]), 0.0)


def test_kinds_is_its_twin_on_any_words_and_bounds() -> None:
    """_trees.c's kinds (the classify step's rule kind of each row below) and compiled.py's twin: the same kinds
    on words around the bounds, NaN and infinite ones, read through strided views (the shortcut's words column,
    a numpy column, a reversed one), for rows below in order or not, and bounds of either type; None (the twin's
    way then) for a bound a double cannot hold exactly."""
    rng = random.Random(30)
    assert compiled.KINDS is not compiled.kinds  # (the C is built here: it is what is compared)
    labels = ("nav", "short", "chrome")
    pool = [0.0, -0.0, 1.0, 2.0, 3.0, 3.5, 4.0, 5.0, 9.0, math.nan, math.inf, -math.inf, math.nextafter(4.0, 0.0)]
    bounds = [4, 3.5, 1, 0, -1, math.nan, math.inf, 2**53, -(2**53), True]
    for size in [0, 1, 2, 5, 30, 200]:
        for _ in range(80):
            words = [rng.choice(pool) for _ in range(size)]
            below = sorted(rng.sample(range(size), rng.randint(0, size)))
            if rng.random() < 0.3:
                rng.shuffle(below)
            limit, nav_run = rng.choice(bounds), rng.choice([*bounds, 3, 2.5, 7])
            column = np.array([[9.0, x, -1.0] for x in words]).reshape(size, 3)[:, 1]
            flat = memoryview(array("d", [y for x in words for y in (7.0, x)])).cast("B").cast("d")[1::2]
            backward = np.array(words[::-1])[::-1]
            expected = compiled.kinds(words, below, limit, nav_run, labels)
            for view in (flat, column, backward, memoryview(array("d", words))):
                assert compiled.KINDS(view, below, limit, nav_run, labels) == expected
    words = memoryview(array("d", [1.0, 1.0, 1.0, 9.0, 1.0, math.nan]))
    assert compiled.KINDS(words, [0, 3, 4, 5, 1], 4, 3, labels) == ["nav", "chrome", "short", "short", "nav"]
    for inexact in (2**53 + 1, -(2**60), 10**400, "4", None):
        assert compiled.KINDS(words, [0], inexact, 3, labels) is None
        assert compiled.KINDS(words, [0], 4, inexact, labels) is None
    with pytest.raises(IndexError):
        compiled.KINDS(words, [6], 4, 3, labels)
    with pytest.raises(IndexError):
        compiled.KINDS(words, [-1], 4, 3, labels)
    with pytest.raises(TypeError, match="words"):
        compiled.KINDS(array("f", [1.0]), [0], 4, 3, labels)
    with pytest.raises(TypeError):
        compiled.KINDS([1.0], [0], 4, 3, labels)
    with pytest.raises(TypeError, match="labels"):
        compiled.KINDS(words, [0], 4, 3, labels[:2])
    with pytest.raises(TypeError, match="5 arguments"):
        compiled.KINDS(words, [0], 4, 3)


def test_a_pickled_classify_leaves_the_c_call_behind() -> None:
    """The C not_above (and kinds) a Classify took with its shortcut stays behind, as the shortcut does (a worker
    without the C, or with it turned off, could not load it); the copy takes its own on its first call."""
    doc = next(doc for doc in _documents() if len(doc) >= 5)
    step = Classify(ClassifyConfig(min_lines=1))
    step(_lines(doc))
    assert step._not_above is compiled.NOT_ABOVE
    assert step._kinds_of is compiled.KINDS
    copy = pickle.loads(pickle.dumps(step))
    assert "_not_above" not in copy.__dict__
    assert "_kinds_of" not in copy.__dict__
    lines, again = _lines(doc), _lines(doc)
    copy(lines)
    Classify(ClassifyConfig(min_lines=1))(again)
    assert [line.dropped_by for line in lines] == [line.dropped_by for line in again]
