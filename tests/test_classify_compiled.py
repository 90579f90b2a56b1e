"""The classifier's shortcut without numpy (cleaner/classify/compiled.py): the model file read with
zipfile as numpy reads it, the same shortcut as the numpy model's to the bit, the log1p it reads,
and the floor under which steps/classify.py decides a line goes without computing P."""

from __future__ import annotations

import gc
import math
import os
import random
import sys
import tracemalloc
from array import array as py_array
from pathlib import Path

import numpy as np
import pytest

from cleaner import native
from cleaner.classify import compiled, reference
from cleaner.classify.model import MODEL_PATH, default_model
from cleaner.steps.classify import _log_odds_cut, _log_odds_floor
from tests.test_classify_fast import _documents

needs_c = pytest.mark.skipif(os.environ.get(native.ENV) == "off", reason="compiled code turned off")


def _same(stored: compiled.Stored, array: np.ndarray) -> None:
    assert stored.shape == array.shape
    if array.dtype.kind == "U":
        assert stored.values == array.ravel().tolist()
    else:
        assert (
            np.asarray(stored.values).tobytes()
            == np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("=")).tobytes()
        )


def test_the_model_file_reads_as_numpy_reads_it() -> None:
    read = compiled.read_npz(MODEL_PATH)
    with np.load(MODEL_PATH) as data:
        assert sorted(read) == sorted(data.files)
        for key in data.files:
            _same(read[key], data[key])


def test_arrays_of_every_kind_read_as_numpy_reads_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    arrays = {
        "f4": rng.standard_normal(7).astype(np.float32),
        "f8": rng.standard_normal(5),
        "big": rng.standard_normal(4).astype(">f8"),
        "bigint": np.arange(-3, 3, dtype=">i4"),
        "i1": np.array([-128, 0, 127], dtype=np.int8),
        "i2": np.array([-2, 300], dtype=np.int16),
        "u2": np.array([0, 65535], dtype=np.uint16),
        "i8": np.array([-(2**62), 2**62], dtype=np.int64),
        "scalar": np.array(2.5),
        "fortran": np.asfortranarray(np.arange(4.0)),
        "empty": np.zeros(0),
        "matrix": np.arange(6.0).reshape(2, 3),
        "names": np.array(["log_chars", "é", "", "a\U0001f600b"]),
    }
    path = tmp_path / "m.npz"
    np.savez_compressed(path, **arrays)
    read = compiled.read_npz(path)
    for key, array in arrays.items():
        _same(read[key], array)
    assert read["scalar"].item() == 2.5
    np.savez(tmp_path / "plain.npz", **arrays)  # stored, not deflated
    for key, array in arrays.items():
        _same(compiled.read_npz(tmp_path / "plain.npz")[key], array)


def test_a_bad_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"not a \.npy file"):
        compiled._parse_npy(b"\x93NUMPX" + bytes(20))
    np.save(tmp_path / "f.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    with pytest.raises(ValueError, match="unexpected layout"):
        compiled._parse_npy((tmp_path / "f.npy").read_bytes())
    np.save(tmp_path / "short.npy", np.arange(6.0))
    with pytest.raises(ValueError, match="cut short"):
        compiled._parse_npy((tmp_path / "short.npy").read_bytes()[:-8])


def test_log1p_is_the_c_librarys() -> None:
    table = compiled.log1p_table()
    assert len(table) == compiled.LOG1P_SIZE
    assert table.tolist() == [math.log1p(i) for i in range(compiled.LOG1P_SIZE)]
    for n in (0, 1, 2, 27, 500):
        rows, log_lines = compiled.positions(n)
        expected = [v for i in range(n) for v in (i / max(n - 1, 1), math.log1p(i), math.log1p(n - 1 - i))]
        assert rows.tolist() == expected and log_lines == math.log1p(n)


@needs_c
def test_the_shortcut_is_the_numpy_models() -> None:
    fast, m = compiled.Compiled.load(), default_model()
    assert fast is not None and type(fast.weights).__name__ == "array" and fast.weights.typecode == "f"
    for doc in _documents():
        if not doc:
            assert fast.shortcut(doc) is None
            continue
        for cut, floor in ((None, -math.inf), (-2.0, -math.inf), (3.0, -math.inf), (math.inf, -math.inf), (3.0, -2.0)):
            matrix, odds, lowest = fast.shortcut(doc, cut, floor)
            numpy_matrix, numpy_odds, numpy_lowest = m.shortcut(doc, cut, floor)
            assert matrix.shape == numpy_matrix.shape and matrix.tobytes() == numpy_matrix.tobytes()
            assert odds.tobytes() == numpy_odds.tobytes()
            assert lowest == numpy_lowest or (math.isnan(lowest) and math.isnan(numpy_lowest))
    assert fast.shortcut(["x" * compiled.LOG1P_SIZE, "Home"]) is None


@pytest.mark.parametrize("threshold", [1e-300, 1e-9, 0.013, 0.022, 0.5, 0.97, 1 - 1e-12])
def test_below_the_floor_every_score_is_under_the_threshold(threshold: float) -> None:
    floor = _log_odds_floor(threshold)
    logit = math.log(threshold) - math.log1p(-threshold)
    assert logit - 1e-5 * max(1.0, abs(logit)) < floor < logit < _log_odds_cut(threshold)
    x = np.concatenate([np.linspace(logit - 1e-5, logit + 1e-5, 20_001), np.nextafter(floor, [-np.inf, np.inf])])
    x = np.concatenate([x, [-np.inf, -1e300, -800.0]])
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-x))
    assert (p[x < floor] < threshold).all()


def test_thresholds_without_a_floor() -> None:
    for threshold in (0.0, -1.0, 1.0, 2.0, math.nan):
        assert _log_odds_floor(threshold) == -math.inf  # P computed for any line not surely above the cut


@needs_c
def test_the_c_log1p_table_refuses_a_bad_size() -> None:
    lines = compiled._LINES
    assert lines.log1p_table(0) == b""
    assert memoryview(lines.log1p_table(3)).cast("d").tolist() == [0.0, math.log1p(1), math.log1p(2)]
    for size in (-1, (1 << 24) + 1):
        with pytest.raises(ValueError, match="size out of range"):
            lines.log1p_table(size)
    with pytest.raises(TypeError):
        lines.log1p_table("3")


def _features(limit: int = compiled.ROWS_CACHE_SIZE, weights: object = None) -> object:
    """A _lines.Features of the shipped model's weights (or ``weights``) keeping as many as ``limit`` lines."""
    fast = compiled.Compiled.load()
    assert fast is not None
    args = (compiled.stopword_languages(), compiled.LAYOUT, fast.weights if weights is None else weights, fast.bias)
    return compiled._LINES.Features(
        *args, limit, compiled.log1p_table(), compiled.DOC_SPEC, compiled.MAX_LINE_CHARS, compiled.NGRAM
    )


def _matrix(n: int) -> memoryview:
    return memoryview(bytearray(8 * n * compiled.WIDTH)).cast("d", (n, compiled.WIDTH))


@needs_c
def test_the_prepared_features_are_native_matrix_to_the_bit() -> None:
    """Features (the arguments given once, the positions computed in C) fills what native_matrix fills, for
    documents of every length up to 40 lines and one of 3,000 (rel_pos, log_from_start, log_from_end and
    log_doc_lines are columns of it), cold and from its cache."""
    fast = compiled.Compiled.load()
    assert fast is not None
    texts = [t for doc in _documents() for t in doc]
    docs = [texts[i : i + n] for n in range(1, 41) for i in (0, n * 7 % max(len(texts) - n, 1))]
    docs += [texts * (3000 // len(texts) + 1)][:1]
    docs[-1] = docs[-1][:3000]
    prepared = _features()
    for doc in docs * 2:
        expected = compiled.native_matrix(doc, fast.weights, fast.bias, {}, compiled.ROWS_CACHE_SIZE)
        assert expected is not None
        matrix = _matrix(len(doc))
        assert prepared(doc, matrix) is not None
        assert matrix.tobytes() == expected.tobytes()
    assert prepared.kept() > 0  # the lines were kept


@needs_c
def test_the_prepared_positions_past_a_short_log1p_table_are_the_c_librarys() -> None:
    """A line's position past the end of the log1p table given (here 8 entries) is log1p computed, as
    compiled.positions does: the same matrix as native_matrix's (whose lines' lengths are in both tables)."""
    fast = compiled.Compiled.load()
    assert fast is not None
    args = (compiled.stopword_languages(), compiled.LAYOUT, fast.weights, fast.bias, compiled.ROWS_CACHE_SIZE)
    short = memoryview(bytearray(compiled.log1p_table()[:8].tobytes())).cast("d")  # a buffer of its own
    prepared = compiled._LINES.Features(*args, short, compiled.DOC_SPEC, compiled.MAX_LINE_CHARS, compiled.NGRAM)
    for n in (1, 7, 8, 9, 20):
        doc = ["Home", "News", "a b c", "Menu", "12 May", "Log in", "(c) x"] * 3
        expected = compiled.native_matrix(doc[:n], fast.weights, fast.bias, {}, compiled.ROWS_CACHE_SIZE)
        assert expected is not None
        matrix = _matrix(n)
        assert prepared(doc[:n], matrix) is not None
        assert matrix.tobytes() == expected.tobytes()


@needs_c
def test_the_prepared_features_refuse_bad_calls() -> None:
    prepared = _features()
    assert prepared(["x" * compiled.LOG1P_SIZE, "Home"], _matrix(2)) is None  # a line as long as the table
    with pytest.raises(TypeError, match="expected a list"):
        prepared(("Home", "About"), _matrix(2))
    with pytest.raises(TypeError, match="must be str"):
        prepared(["Home", 3], _matrix(2))
    with pytest.raises(ValueError, match="right size"):
        prepared(["Home", "About"], _matrix(3))
    with pytest.raises(TypeError):
        prepared(["Home"])
    with pytest.raises(TypeError, match="no keyword"):
        prepared(["Home"], matrix=_matrix(1))
    with pytest.raises(ValueError, match="weights"):
        _features(weights=py_array("d", [0.0] * 8))
    for limit in (-1, (1 << 24) + 1):
        with pytest.raises(ValueError, match="limit out of range"):
            _features(limit)
    assert prepared([], memoryview(bytearray()).cast("d")) is not None  # no lines: nothing to fill


@needs_c
def test_float64_weights_score_as_their_float32_values() -> None:
    """The lexical score of the model's weights as float64 (the same values) is the float32 one's, line by line:
    each width has its own branch reading a gram's weight as the gram ends (_lines.c word_end)."""
    fast = compiled.Compiled.load()
    assert fast is not None and fast.weights.typecode == "f"
    wide = py_array("d", fast.weights)
    checked = 0
    for doc in [*_documents(), ["one", "two words", "three words here", "", "12 34 x"]]:
        if not doc:
            continue
        narrow = compiled.native_matrix(doc, fast.weights, fast.bias, {}, 10)
        assert narrow is not None
        assert narrow.tobytes() == compiled.native_matrix(doc, wide, fast.bias, {}, 10).tobytes()
        checked += 1
    assert checked > 5


class _Reentrant:
    """Garbage in a cycle whose finalizer runs the Features under way again, on a line longer than any before it,
    and leaves another such cycle (a few times), which the outer call's next allocations collect."""

    prepared: object = None
    outer = False  # the outer call is under way
    inside = 0

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        if _Reentrant.prepared is None:
            return
        assert _Reentrant.prepared(["Words enough to make the space grow. " * 40], _matrix(1)) is not None
        if _Reentrant.outer:
            _Reentrant.inside += 1
            if _Reentrant.inside < 5:
                _Reentrant()


@needs_c
def test_the_prepared_features_run_again_by_a_finalizer_mid_call_fill_the_same_matrix() -> None:
    """A Features keeps its lines' scratch space from call to call; a call made inside another (a finalizer run
    by one of its allocations) has one of its own: the outer call's matrix is native_matrix's all the same."""
    fast = compiled.Compiled.load()
    assert fast is not None
    doc = [f"{text} {i}" for i, text in enumerate(t for d in _documents() for t in d)][:300]
    expected = compiled.native_matrix(doc, fast.weights, fast.bias, {}, compiled.ROWS_CACHE_SIZE)
    assert expected is not None
    prepared = _features()
    matrix = _matrix(len(doc))
    threshold = gc.get_threshold()
    gc.collect()
    try:
        _Reentrant.prepared, _Reentrant.inside = prepared, 0
        gc.set_threshold(1)
        _Reentrant()
        _Reentrant.outer = True
        assert prepared(doc, matrix) is not None
    finally:
        _Reentrant.outer = False
        gc.set_threshold(*threshold)
        _Reentrant.prepared = None
        gc.collect()
    assert _Reentrant.inside >= 3  # (the first may run as the call's arguments are made)
    assert matrix.tobytes() == expected.tobytes()


@needs_c
def test_the_prepared_features_hold_their_cache_and_weights() -> None:
    """The weights' buffer stays alive as long as the Features does (a document after the caller dropped it
    still reads it), and a str subclass is read as its characters."""

    class Text(str):
        pass

    fast = compiled.Compiled.load()
    assert fast is not None
    weights = py_array(fast.weights.typecode, fast.weights)
    prepared = _features(weights=weights)
    del weights
    doc = [Text("Home"), Text("The river rose two metres overnight, and the bridge was closed.")]
    expected = compiled.native_matrix(list(map(str, doc)), fast.weights, fast.bias, {}, 10)
    for _ in range(2):
        matrix = _matrix(2)
        assert prepared(doc, matrix) is not None and matrix.tobytes() == expected.tobytes()


@needs_c
def test_the_matrix_is_written_whole_or_zeroed_first() -> None:
    """Every value of the matrix Features is given is written, whatever the buffer held: the shipped layout's
    columns all (no zeroing needed), and a column no layout fills (a wider matrix's last) zeroed first."""
    fast = compiled.Compiled.load()
    assert fast is not None
    doc = ["Home", "News", "The river rose two metres overnight, and the bridge was closed.", "12 May", "(c) x"]
    clean = _matrix(len(doc))
    assert _features()(doc, clean) is not None
    dirty = memoryview(bytearray(b"\x7f" * (8 * len(doc) * compiled.WIDTH))).cast("d", (len(doc), compiled.WIDTH))
    assert _features()(doc, dirty) is not None
    assert dirty.tobytes() == clean.tobytes()
    wider = (*compiled.DOC_SPEC[:5], compiled.WIDTH + 1, *compiled.DOC_SPEC[6:])
    args = (compiled.stopword_languages(), compiled.LAYOUT, fast.weights, fast.bias, compiled.ROWS_CACHE_SIZE)
    prepared = compiled._LINES.Features(*args, compiled.log1p_table(), wider, compiled.MAX_LINE_CHARS, compiled.NGRAM)
    width = compiled.WIDTH + 1
    matrix = memoryview(bytearray(b"\x7f" * (8 * len(doc) * width))).cast("d", (len(doc), width))
    assert prepared(doc, matrix) is not None
    rows = matrix.tolist()
    assert [row[:-1] for row in rows] == clean.tolist()
    assert [row[-1] for row in rows] == [0.0] * len(doc)


@needs_c
def test_a_column_fill_reads_and_does_not_write_is_zeroed_first() -> None:
    """sentence_end is read by fill (a long line ends a sentence), written only by the row's copy: a layout that puts
    it past the copied columns leaves it to the zeroing, and a dirty matrix gives what a zeroed one gives."""
    fast = compiled.Compiled.load()
    assert fast is not None
    doc = ["Home", "The river rose two metres overnight, and the bridge over it was closed to all traffic.", "(c) x"]
    width = compiled.WIDTH + 1
    columns = list(compiled.DOC_SPEC[8])
    columns[3] = compiled.WIDTH  # sentence_end: the wider matrix's last column, past the row's copy
    spec = (*compiled.DOC_SPEC[:5], width, *compiled.DOC_SPEC[6:8], tuple(columns))
    args = (compiled.stopword_languages(), compiled.LAYOUT, fast.weights, fast.bias, compiled.ROWS_CACHE_SIZE)
    results = []
    for fill in (b"\x00", b"\x7f"):
        prepared = compiled._LINES.Features(
            *args, compiled.log1p_table(), spec, compiled.MAX_LINE_CHARS, compiled.NGRAM
        )
        matrix = memoryview(bytearray(fill * (8 * len(doc) * width))).cast("d", (len(doc), width))
        results.append((prepared(doc, matrix), matrix.tobytes()))
    assert results[1] == results[0]
    assert memoryview(results[1][1]).cast("d", (len(doc), width)).tolist()[1][-1] == 0.0


@needs_c
def test_the_prepared_features_keep_each_line_once_and_at_most_limit() -> None:
    """A line seen again is read from what the Features keeps (not kept twice), the same stripped head is the same
    line, and no more than ``limit`` lines are kept, the matrices the same all along."""
    fast = compiled.Compiled.load()
    assert fast is not None
    doc = ["Home", " News ", "The river rose two metres overnight.", "12 May", "(c) x", "News", "Home"]
    expected = compiled.native_matrix(doc, fast.weights, fast.bias, {}, 10)
    assert expected is not None
    for limit, kept in ((compiled.ROWS_CACHE_SIZE, 5), (2, 2), (0, 2)):
        prepared = _features(limit)
        for _ in range(3):
            matrix = _matrix(len(doc))
            assert prepared(doc, matrix) is not None and matrix.tobytes() == expected.tobytes()
            assert prepared.kept() == kept


@needs_c
def test_the_lines_before_a_line_that_stops_the_call_are_kept() -> None:
    """A call stopped by a line (as long as the log1p table: None; not a str: TypeError) has looked up and kept the
    lines before it, not those after it (the keys are all made first, the lines looked up after); the lines kept
    then give the matrix of a fresh extraction."""
    fast = compiled.Compiled.load()
    assert fast is not None
    prepared = _features()
    assert prepared(["Home", " About ", "x" * compiled.LOG1P_SIZE, "News"], _matrix(4)) is None
    assert prepared.kept() == 2
    with pytest.raises(TypeError, match="must be str"):
        prepared(["Contact", "Home", 3, "More"], _matrix(4))
    assert prepared.kept() == 3
    doc = ["Home", "About", "Contact", "News", "More"]
    expected = compiled.native_matrix(doc, fast.weights, fast.bias, {}, 10)
    assert expected is not None
    matrix = _matrix(len(doc))
    assert prepared(doc, matrix) is not None and matrix.tobytes() == expected.tobytes()
    assert prepared.kept() == 5


@needs_c
def test_the_lines_a_full_table_drops_are_freed() -> None:
    """The infos a Features' table drops as it fills (released once the call is done) are freed: documents of new
    lines through a table of two leave no more memory held than a few lines' worth."""
    prepared = _features(2)

    def calls(first: int) -> None:
        for d in range(first, first + 100):
            doc = [f"Line {d} of {k}: the river rose two metres overnight" for k in range(20)]
            assert prepared(doc, _matrix(len(doc))) is not None

    calls(0)  # (the scratch and the memo's blocks grown first)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        calls(100)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 64 << 10, held  # 2,000 infos leaked would be more than 1 MB
    assert prepared.kept() == 2


_FUZZ_PIECES = [
    *"aAzZ09 .,;:!?-'\"()\t\x0b\x1c\x85\u00a0\u3000\u2028",
    *"ßẞﬁİŉΣςᏸ\U00010400\udc80é\u0301ÉµÿªK",
    *["word", "Word", "WORD", "the", "and", "der", "(c)", "12", "3.5"],
]


def _fuzz_line(rng: random.Random) -> str:
    """A line of every kind of str, or one of a family alike at both ends (the hash reads 32 bytes of each)."""
    if rng.random() < 0.3:
        middle = "".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randint(0, 4)))
        return "Posted in the harbour section by the desk " * 2 + middle + " and filed under local news " * 2
    return "".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randint(0, 40 if rng.random() < 0.9 else 300)))


@needs_c
def test_the_prepared_features_of_any_limit_are_a_fresh_extraction() -> None:
    """Over random documents drawn from a pool of lines (lines met again, sets of the kept table full and
    evicting, lines alike at both ends, every width of str), a Features of any limit fills, in a dirty matrix,
    what native_matrix with nothing kept fills."""
    fast = compiled.Compiled.load()
    assert fast is not None
    rng = random.Random(19)
    pool = [_fuzz_line(rng) for _ in range(120)]
    prepared = {limit: _features(limit) for limit in (0, 1, 3, 64)}
    for _ in range(150):
        doc = [rng.choice(pool) if rng.random() < 0.6 else _fuzz_line(rng) for _ in range(rng.randint(1, 25))]
        expected = compiled.native_matrix(doc, fast.weights, fast.bias, {}, 1 << 20)
        assert expected is not None
        for limit, features in prepared.items():
            matrix = memoryview(bytearray(b"\x7f" * (8 * len(doc) * compiled.WIDTH))).cast(
                "d", (len(doc), compiled.WIDTH)
            )
            assert features(doc, matrix) is not None
            assert matrix.tobytes() == expected.tobytes(), (limit, doc)
    assert prepared[64].kept() == 64 and prepared[0].kept() == 2


@needs_c
def test_lines_alike_at_both_ends_are_told_apart() -> None:
    """Lines of one length that differ only in their middle (a line's hash reads its ends) are other lines, in a
    document and from one document to the next: the shortcut's matrix is the plain definition's (its repeats too)."""
    fast, m = compiled.Compiled.load(), default_model()
    assert fast is not None
    head, tail = "Posted in the harbour section by the desk " * 2, " and filed under local news today " * 2
    for width in (1, 2, 4):  # each of str's kinds
        mark = {1: "", 2: "\u2014", 4: "\U0001f600"}[width]
        doc = [head + middle + mark + tail for middle in ("one", "two", "one", "six", "two words")]
        doc += ["Home", "News", head + "one" + mark + tail]
        for _ in range(2):  # cold, then from what the Features keeps
            shortcut = fast.shortcut(doc)
            assert shortcut is not None
            assert shortcut[0].tobytes() == reference.score(m, doc)[0].tobytes()


@needs_c
def test_the_shortcuts_buffers_are_not_zeroed_and_written_whole() -> None:
    """The shortcut's matrix and log-odds are made by unfilled (not zeroed): the Features call and the forest write
    every value. Buffers full of another value give the numpy model's shortcut to the bit."""
    assert compiled._LINES.unfilled(5).__class__ is bytearray and len(compiled._LINES.unfilled(0)) == 0
    with pytest.raises(ValueError, match="negative"):
        compiled._LINES.unfilled(-1)
    fast, m = compiled.Compiled.load(), default_model()
    assert fast is not None
    fast._unfilled = lambda size: bytearray(b"\x7f" * size)  # what a reused allocation may hold: not zeros
    for doc in _documents():
        for cut in (None, -2.0, 3.0) if doc else ():
            matrix, odds, lowest = fast.shortcut(doc, cut)
            numpy_matrix, numpy_odds, numpy_lowest = m.shortcut(doc, cut)
            assert matrix.tobytes() == numpy_matrix.tobytes() and odds.tobytes() == numpy_odds.tobytes()
            assert lowest == numpy_lowest or (math.isnan(lowest) and math.isnan(numpy_lowest))


@needs_c
def test_a_later_rounds_lines_from_the_memo_are_a_fresh_extraction() -> None:
    """A later round of a document (the last call's first or last line among its own) reads the lines it met in the
    last call, the same str objects, from that call's memo: over random rounds of random documents (most lines the
    last round's, some dropped, some new texts, some equal texts of other objects, some the last document's, lines
    of spaces at their ends, a round refused for a line as long as the log1p table), it fills what native_matrix
    with nothing kept fills."""
    fast = compiled.Compiled.load()
    assert fast is not None
    rng = random.Random(27)
    pool = [_fuzz_line(rng) for _ in range(80)] + [" Home ", "Home", "\tNews", "News  "]
    features = _features(3)  # (a small table: most lines are not in it, so a wrong memo shows)
    last: list[str] = []
    for _ in range(60):
        texts = [rng.choice(pool) if rng.random() < 0.5 else _fuzz_line(rng) for _ in range(rng.randint(1, 30))]
        for round_ in range(5):
            if round_:  # the last round's lines, most of them the same objects, a few new or copies
                texts = [t for t in texts if rng.random() < 0.8] or texts[:1]
                for _ in range(rng.randint(0, 3)):
                    new = rng.choice((_fuzz_line(rng), "".join(list(rng.choice(texts))), rng.choice(last or pool)))
                    texts.insert(rng.randint(0, len(texts)), new)
                if rng.random() < 0.1:
                    matrix = _matrix(len(texts) + 1)
                    assert features([*texts, "x" * compiled.LOG1P_SIZE], matrix) is None
            expected = compiled.native_matrix(texts, fast.weights, fast.bias, {}, 1 << 20)
            assert expected is not None
            matrix = memoryview(bytearray(b"\x7f" * (8 * len(texts) * compiled.WIDTH))).cast(
                "d", (len(texts), compiled.WIDTH)
            )
            assert features(texts, matrix) is not None
            assert matrix.tobytes() == expected.tobytes(), (round_, texts)
        last = texts


class _Text(str):
    """A str subclass: an object of the caller's that may hold anything, this Features too."""


@needs_c
def test_the_memo_keeps_no_str_subclass() -> None:
    """A call whose texts are not all exact str keeps no memo (Features takes no part in the collector's walks: a
    subclass's object holding the Features would keep both alive); one of exact str does."""
    features = _features(3)
    texts = [_Text("Home page"), "News of the day"]
    before = sys.getrefcount(texts[0])
    assert features(texts, _matrix(2)) is not None
    after = sys.getrefcount(texts[0])  # (not in the assert: its rewriting holds what it reads)
    assert after == before
    exact = ["Home page", "News of the day"]
    before = sys.getrefcount(exact[0])
    assert features(exact, _matrix(2)) is not None
    after = sys.getrefcount(exact[0])
    assert after == before + 1  # (held by the memo: this test's own check, that it can fail)
