"""The classifier's fast paths against its plain definition (cleaner/classify/reference.py): the
same features, n-grams, language, scores and tree leaves bit for bit, on invented text and the
seeds, with caches cold, warm and overflowing; and the step's skip of a round that cannot change
anything (invented text only)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cleaner.classify import features, model, ngrams, reference
from cleaner.classify.compiled import Compiled
from cleaner.classify.config import ClassifyConfig
from cleaner.classify.model import Model, default_model
from cleaner.document import Line
from cleaner.pipeline.clean import split_lines
from cleaner.steps.classify import Classify

ROOT = Path(__file__).resolve().parent.parent
# Lines meant to hit every branch of the per-line features: menus, prose, dates, links, numbers,
# separators, closers after a sentence end, copyright marks, bullets, and characters whose
# classes differ between str methods (titlecase, superscripts, fractions, underscores, odd spaces).
TEXTS = [
    "Home | News | Sport | Weather",
    "The harbour committee met on Tuesday to discuss the plans for the old pier, and the ferry.",
    "  Residents said: \u201cWe waited many years for this decision.\u201d  ",
    "Posted 12.03.2021 by the editor \u00bb Local news",
    "Visit www.harbour-example.org or write to info@harbour.example",
    "(C) 2024 Harbour Gazette. All rights reserved.",
    "\u00a9 Harbour Gazette",
    "- first item",
    "\u2022 second item",
    "Read more ->",
    "Prices: 1,250.50 / 3:45 / 2nd / \u00b2 \u00bd \u0663\u0664",
    "snake_case_name and __dunder__ words_",
    "Stra\u00dfe \u0130stanbul \u01c5ungla \ufb01sh \u0130I\u0131i",
    "Die Sitzung des Ausschusses fand am Dienstag statt, und viele B\u00fcrger waren dabei.",
    "La r\u00e9union du comit\u00e9 a eu lieu mardi et beaucoup de citoyens \u00e9taient pr\u00e9sents.",
    "tab\tseparated\x1ccontrol\x1fspaces\u2003em\u3000ideographic",
    "lone \udc80 surrogate and emoji \U0001f600 here",
    "Is this the end?!\u201d)]",
    "Not an end \u201d) x",
    "...",
    "!!!",
    "A" * 2100 + " tail",
    "word " * 450,
    "x" * 80 + " " + "y" * 70 + " z",
    "12 345 6,7 8.9 10:11 1-2-3 2019",
    "MENU",
    "A B C D E F",
]


def _same(fast: features.Extracted, plain: features.Extracted) -> None:
    assert fast.matrix.tobytes() == plain.matrix.tobytes()
    assert fast.grams == plain.grams
    assert fast.words == plain.words
    assert fast.language == plain.language


def _documents() -> list[list[str]]:
    docs = [TEXTS, TEXTS[::-1], TEXTS[:5], TEXTS[13:15] * 3, [], ["one"], ["", "   "], [t.upper() for t in TEXTS]]
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines, _ = split_lines(path.read_text(encoding="utf-8"))
        docs.append([line.text for line in lines if not line.blank])
    return docs


@pytest.mark.parametrize("doc", _documents())
def test_features_match_the_plain_definition_cold_and_warm(doc: list[str]) -> None:
    features._LINES.clear()
    plain = reference.extract(doc)
    _same(features.extract(doc), plain)  # every line new
    _same(features.extract(doc), plain)  # every line from the cache


def test_caches_overflowing_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "_LINES_SIZE", 3)
    monkeypatch.setattr(ngrams, "_VOCABULARY", 5)
    monkeypatch.setattr(model, "_NGRAM_CACHE_SIZE", 4)
    m = default_model()
    m._ngram_cache.clear()
    for doc in [TEXTS, TEXTS[3:9], TEXTS, TEXTS[::2]]:
        _same(features.extract(doc), reference.extract(doc))
        found = features.extract(doc)
        np.testing.assert_array_equal(m.score(found), reference.score(m, doc)[1])
    m._ngram_cache.clear()


def test_ngrams_match_the_plain_definition() -> None:
    words = ["a", "bb", "12,5", "9", "x" * 70, "y" * 63, "y" * 64, "\u00fcber", "\udc80z", "the", "0"]
    rng = np.random.default_rng(0)
    lines = [[words[i] for i in rng.integers(0, len(words), rng.integers(0, 9))] for _ in range(300)]
    flat = [w for line in lines for w in line]
    expected = [reference.hashed_ngrams(line) for line in lines]
    assert ngrams.hashed(flat, [len(line) for line in lines]) == expected
    assert ngrams.hashed(flat, [len(line) for line in lines]) == expected  # every word known
    assert ngrams.hashed([], [0, 0]) == [[0], [0]]


@pytest.mark.parametrize("doc", _documents()[:4] + _documents()[-2:])
def test_scores_match_the_plain_definition(doc: list[str]) -> None:
    m = default_model()
    matrix, plain = reference.score(m, doc)
    found = features.extract(doc)
    fast = m.score(found)
    assert found.matrix.tobytes() == matrix.tobytes()
    assert fast.tobytes() == plain.tobytes()


def test_trees_reach_the_same_leaves_on_any_values() -> None:
    """Values on a threshold exactly, NaN and infinities take the same branch as the stored trees."""
    m = default_model()
    rng = np.random.default_rng(1)
    thresholds = m.threshold[m.left != np.arange(len(m.left))]
    matrix = rng.choice(thresholds, size=(300, len(features.NAMES)))
    matrix[::7, ::3] = np.nan
    matrix[1::11, ::5] = np.inf
    matrix[2::13, 1::4] = -np.inf
    matrix[3::5] = rng.normal(0, 5, size=matrix[3::5].shape)
    assert m.log_odds(matrix).tobytes() == reference.log_odds(m, matrix).tobytes()
    assert m.log_odds(matrix[:0]).shape == (0,)


def test_complete_layout_of_a_small_tree() -> None:
    """One stump of depth 2 with a leaf on the first level: the leaf repeats down its slots."""
    arrays = {
        key: value
        for key, value in np.load(ROOT / "cleaner" / "classify" / "model.npz").items()
        if key in ("names", "ngram_weights", "ngram_bias")
    }
    arrays |= {
        "feature": np.array([1, 0, 2, 0, 0]),
        "threshold": np.array([0.5, 0.0, 3.0, 0.0, 0.0]),
        "left": np.array([1, 1, 3, 3, 4]),
        "right": np.array([2, 1, 4, 3, 4]),
        "value": np.array([0.0, -1.0, 0.0, 2.0, 4.0]),
        "roots": np.array([0]),
        "depth": np.array(2),
        "baseline": np.array(0.25),
    }
    m = Model(arrays)
    assert m._value.tolist() == [0, 0, 0, -1, -1, 2, 4]
    matrix = np.zeros((4, len(features.NAMES)))
    matrix[:, 1] = [0.0, 0.5, 1.0, 1.0]
    matrix[:, 2] = [9.0, 9.0, 3.0, 3.5]
    assert m.log_odds(matrix).tolist() == [-0.75, -0.75, 2.25, 4.25]
    assert reference.log_odds(m, matrix).tolist() == [-0.75, -0.75, 2.25, 4.25]
    # The compiled walk's layout: breadth first, children side by side, a leaf its own left child
    # (a test that never holds), one idle slot at the end; two copies of the tree, one after the other.
    m.roots = np.array([0, 0])
    feature, threshold, left, value, offsets = m._compact()
    assert feature.tolist() == [1, 0, 2, 0, 0, 1, 0, 2, 0, 0, 0]
    assert threshold.tolist() == [0.5, np.inf, 3.0, np.inf, np.inf] * 2 + [np.inf]
    assert left.tolist() == [1, 1, 3, 3, 4, 6, 6, 8, 8, 9, 0]
    assert value.tolist() == [0.0, -1.0, 0.0, 2.0, 4.0] * 2 + [0.0]
    assert offsets.tolist() == [0, 5]
    two = Model(arrays | {"roots": np.array([0, 0])})  # compiled where built: its walk over that layout
    assert two.log_odds(matrix).tolist() == [-1.75, -1.75, 4.25, 8.25]
    assert two._leaves(matrix).tobytes() == two._leaves_numpy(matrix).tobytes()


def _lines(*texts: str) -> list[Line]:
    return [Line(no, text) for no, text in enumerate(texts, 1)]


def _judged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of each document the classifier judges (each judgment starts with the
    shortcut, in C, whichever way it then goes)."""
    calls: list[int] = []
    for kind in (Model, Compiled):  # Classify takes the shipped model's compiled half, or a given model
        real = kind.shortcut
        monkeypatch.setattr(
            kind,
            "shortcut",
            lambda self, texts, cut=None, floor=-math.inf, real=real: (
                calls.append(len(texts)) or real(self, texts, cut, floor)
            ),
        )
    return calls


def test_a_round_that_cannot_change_anything_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _judged(monkeypatch)
    classify = Classify(ClassifyConfig(thresholds={"balanced": 1e-9}, min_lines=2))
    lines = _lines(*TEXTS[1:4], "", TEXTS[13])
    classify(lines)
    assert calls == [4] and all(line.alive for line in lines)
    classify(lines)  # the same rows, nothing dropped: the same verdicts
    assert calls == [4]
    lines[3].dropped_by = "some.rule"  # a blank line going changes no row
    classify(lines)
    assert calls == [4]
    lines[1].change("Residents said they waited many years for this decision.", "test")
    classify(lines)  # a row's text changed: judged again
    assert calls == [4, 4]
    lines[0].drop("some.rule")
    classify(lines)
    assert calls == [4, 4, 3]
    other = _lines(*TEXTS[2:4], TEXTS[13])  # the same texts in other lines (another document)
    classify(other)
    assert calls == [4, 4, 3, 3]


def test_a_round_after_a_drop_is_judged_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _judged(monkeypatch)
    classify = Classify(ClassifyConfig(thresholds={"balanced": 0.5}, min_lines=2))
    lines = _lines("Home", "News", "Sport", TEXTS[1], TEXTS[13], TEXTS[14])
    classify(lines)
    dropped = [line.no for line in lines if not line.alive]
    assert dropped and calls == [6]
    classify(lines)  # it dropped some: the rest is judged again with new neighbours
    assert calls == [6, 6 - len(dropped)]


def test_explain_keeps_the_verdicts_of_the_last_call() -> None:
    classify = Classify(ClassifyConfig(thresholds={"balanced": 1e-9}, min_lines=2))
    classify.trace = {}
    lines = _lines(*TEXTS[1:4], TEXTS[13])
    classify(lines)
    first = dict(classify.trace)
    assert sorted(first) == [1, 2, 3, 4]
    assert [v.features for v in first.values()] == [v.features for v in classify.judge(lines)]
    classify(lines)
    assert classify.trace == first


def test_the_date_pattern_finds_a_date_where_the_plain_one_does() -> None:
    # Strings of digits, date separators, word and non-word characters (a non-ASCII digit and
    # letter among them), short enough that every kind of boundary occurs many times.
    rng = np.random.default_rng(7)
    alphabet = list("0123456789./- x_é\u0663")
    texts = ["".join(rng.choice(alphabet, rng.integers(0, 14))) for _ in range(50_000)]
    texts += ["2024", "x2024", "2024x", "1899", "1999", "2099", "3000", "12.03.2021", "12.03.2021a", "1-2-3", "1-2"]
    found = [features._DATE.search(t) is not None for t in texts]
    assert found == [reference.DATE.search(t) is not None for t in texts]
    assert found[-11:] == [True, False, False, False, True, True, False, True, False, True, False]


def test_pair_tables_are_zlibs_register_over_zero_bytes() -> None:
    import zlib

    tables = ngrams._shift_tables()
    for length in (0, 1, 2, 17, ngrams._MAX_TAIL):
        zeros = bytes(length)
        expected = [zlib.crc32(zeros, b << (8 * k)) ^ zlib.crc32(zeros) for k in range(4) for b in range(256)]
        assert tables[length * 1024 : (length + 1) * 1024].tolist() == expected


def test_the_line_cache_drops_its_oldest_entries_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "_LINES_SIZE", 3)
    monkeypatch.setattr(features, "_LINES", {})
    first = features._line_infos(["a b", "c", "a b", "d e f"])
    assert list(features._LINES) == ["a b", "c", "d e f"]
    assert first[0] is first[2]  # a text twice in a document: computed once
    again = features._line_infos(["g", "h", "c"])  # "c" found, then dropped to make room
    assert list(features._LINES) == ["d e f", "g", "h"]
    assert again[2] is first[1]
    # More new texts than the cache holds: all old entries go, all new ones are kept.
    assert features._line_infos(["x", "y", "z", "w"])[3] is features._line_infos(["w"])[0]
    assert list(features._LINES) == ["x", "y", "z", "w"]
