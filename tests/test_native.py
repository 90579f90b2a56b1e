"""The classifier's C half (cleaner/classify/_lines.c) against the numpy code it stands in for:
the same n-grams, feature row and joined words, bit for bit, on invented text, the seeds and
random strings over an alphabet chosen to hit every branch; and that it is built at all (CI has
a C compiler: a build that silently failed would leave every run on the slow path)."""

from __future__ import annotations

import contextlib
import gc
import random
import tomllib
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from cleaner import native
from cleaner.classify import features
from cleaner.pipeline.clean import split_lines
from tests.test_classify_fast import TEXTS, _documents

ROOT = Path(__file__).resolve().parent.parent

needs_native = pytest.mark.skipif(features._NATIVE is None, reason="CLEANER_NATIVE=off")

# Pieces that make the patterns of features.py match, nearly match, or match twice: separators
# with and without spaces around, dates and years at and past their digit limits, links and
# near-links, copyright marks, closers after sentence ends, and characters whose classes differ
# between the str methods and the regular expressions (superscripts, Arabic-Indic digits,
# titlecase, ligatures that fold to two letters, a lone surrogate, astral characters).
PIECES = [
    *"aZ09_ .,:;!?-/|>»›·•*#@()c©\"'”’])\t\u00a0\u2003\u3000\x1c\x85",
    "http://",
    "https:/",
    "www.",
    "ww.",
    "1999",
    "2024",
    "19999",
    "12.03.2021",
    "1.2.12345",
    "12345.1.1",
    ".com",
    ".de",
    ".org",
    ".net",
    ".co",
    "\u0663",
    "\u00b2",
    "\u00bd",
    "\u0130",
    "\u01c5",
    "\ufb01",
    "\u00df",
    "\u1e9e",
    "\udc80",
    "\U0001f600",
    "\U0001d400",
    "\u2026",
    "->",
    " - ",
    " | ",
    " \u00bb ",
    "19",
    "20",
    "(C)",
    "(c)",
    "the",
    "und",
    "der",
    "and",
]


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def _seed_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        found, _ = split_lines(path.read_text(encoding="utf-8"))
        lines.extend(line.text.strip() for line in found if not line.blank)
    return lines


def test_every_extension_pyproject_builds_is_registered() -> None:
    with open(ROOT / "pyproject.toml", "rb") as f:
        modules = tomllib.load(f)["tool"]["setuptools"]["ext-modules"]
    assert sorted(m["name"] for m in modules) == sorted(native.MODULES)
    assert all(m["optional"] for m in modules)  # no compiler: the install still succeeds
    if not native.disabled():
        assert native.built() == list(native.MODULES)


def _crafted_texts() -> list[str]:
    """Lines for the paths of the one pass that random pieces reach seldom: every Latin-1 character
    inside, before and after a word (its class, folding, mark); a sample of wider ones; pairs whose
    second word is 1 to 69 characters of 1 to 4 UTF-8 bytes (the pair CRC's zero-byte tables go to
    16 bytes, then again), numbers among them; separators, links and "(c)" next to each other; lines
    past a chunk of the packed counts (511 characters)."""
    latin = [chr(i) for i in range(256)]
    wide = [chr(i) for i in (*range(256, 0x2100, 5), 0x2022, 0x203A, 0x2026, 0x0660, 0x1E9E, 0xFB01, 0x10400)]
    texts = ["".join(latin), "".join(wide), "".join(latin[::-1])]
    texts += [f"A{ch}b {ch}Z, x{ch} {ch}{ch} 1{ch}2" for ch in latin + wide]
    # The same Latin-1 ones in a text of 2 and of 4 bytes a character (a curly quote, an astral
    # letter after them): the words' runs of plain characters are read there too, up to a wider one.
    for last in ("\u2019", "\U0001d400"):
        texts += [f"A{ch}b {ch}Zq, xy{ch} {ch}{ch}ab 1{ch}2 ab{last}cd{ch}ef{last}" for ch in latin]
    # the most words a character: U+1FB7 folds to alpha, a combining mark (no \w) and iota, two words a character
    # (the joined words' 3n + 1 characters, a space before each, fill the space line_info has for them)
    texts += ["\u1fb7" * size for size in (1, 2, 3, 50, 600)] + ["\u0130" * 7, "x\u1fb7 \u1fb7y"]
    for size in range(1, 70):
        for ch in ("a", "\u0436", "\u4e2d", "\U0001d400", "7", "_"):
            texts.append(f"Pair {ch * size} x{ch * size}y {ch * size} 12 {ch * size}")
    texts += [
        " | | ||a|b -> --> - - -- >> a>b \u203a\u2022 \u00b7 / a/b \u00bb\u00bb \u00bb ",
        "|",
        "-",
        "->",
        " -",
        " - ",
        "x - >",
        "a | b",
        "\u00a0|\u00a0",
        "\u3000\u2022\u3000",
        "http://a https:/b xhttps://c http:// www.x www .de .dex .de_ .com. @a @ a@ @_ :// https: http",
        "a.org",
        "b.ne",
        "(c)",
        "(C)",
        "((c))",
        "(cc)",
        "x(c)y",
        "(c",
        "c)",
        "\u00a9",
        "(\u00e7)",
        "12.03.2021",
        "1999",
        "19999",
        "x1999",
        "2024-01-02x",
        "\u0663\u0663.\u0661.\u0662\u0660\u0662\u0664",
        "Ab Cd " * 200,
        "\u00c9t\u00e9 " * 300 + "Ende.",
        "1 " * 600,
        "x" * 1500,
        "\u00df\u00b5" * 700,
    ]
    # A run of plain characters up to the text's end (its NUL ends the run) in texts of each width, and across a
    # chunk's end in a text of more than one chunk (the run stops there, and goes on in the next).
    for first in ("", "\u2019", "\U0001d400"):
        texts += [
            f"{first} ab",
            f"{first}Zq",
            f"{first}x",
            first + "x" * 1200,
            first + "ab " * 300 + "cD",
            first + "\u00e9",
        ]
    # A word's first plain character on either side of a chunk's end (511), after a space or not: its counts (a
    # word of str.split() starts, upper-case or not) are taken there, as after a space or not.
    for at in (509, 510, 511, 512):
        for before in (" ", "-", "\u00a0", "7"):
            texts += [before * at + "Ab cD", "x" * (at - 1) + before + "\u00c9b Zz"]
    return texts


def _date_texts() -> list[str]:
    """A date or a year at each distance up to 40 characters from a line's first decimal, in texts of 1, 2 and 4 bytes
    a character, at their end and before more words: has_date skips to the next decimal 16 bytes at a time (SSE2),
    in a 2-byte text to the next character above Latin-1 too (an Arabic-Indic date's digits are such)."""
    texts = []
    for gap in range(41):
        filler = "ab " * (gap // 3) + "c" * (gap % 3)
        for wide in ("", "\u2019", "\U0001d400"):
            for date in ("12.03.2021", "1999", "\u0663\u0663.\u0661.\u0662\u0660\u0662\u0664", "x1999", "19999"):
                texts += [f"7 {filler}{wide} {date}", f"7 {filler}{wide} {date} and more words after it, {filler}"]
    return texts


def test_the_extension_is_built() -> None:
    if native.load("cleaner.classify._lines") is None and not native.disabled():
        pytest.fail("cleaner/classify/_lines.c was not built: is there a C compiler? (`pip install -e .` builds it)")


@needs_native
@pytest.mark.parametrize(
    "texts",
    [
        TEXTS,
        [t.upper() for t in TEXTS],
        ["", " ", "\u00a0"],
        _seed_lines(),
        _random_texts(20_000, 1),
        _crafted_texts(),
        _date_texts(),
    ],
    ids=["invented", "upper", "empty", "seeds", "random", "crafted", "dates"],
)
def test_c_lines_are_the_numpy_lines(texts: list[str]) -> None:
    assert features._native_per_line(texts) == features._per_line(texts)


def _random_documents() -> list[list[str]]:
    """Documents of up to 60 lines drawn from a few prose, menu and repeated lines, so that the
    neighbour windows, long-line runs, repeats and the language cut at 3,000 words all vary."""
    rng = random.Random(2)
    pool = [*TEXTS, *_random_texts(40, 3), "Die Sitzung fand am Dienstag statt, und viele waren da. " * 30]
    return [[rng.choice(pool) for _ in range(rng.randint(0, 60))] for _ in range(300)]


@needs_native
@pytest.mark.parametrize("docs", [_documents(), _random_documents()], ids=["invented-and-seeds", "random"])
def test_c_documents_are_the_numpy_documents(docs: list[list[str]]) -> None:
    for doc in docs:
        stripped = [t.strip() for t in doc]
        keys = [t[: features.MAX_LINE_CHARS] for t in stripped]
        infos = features._line_infos(keys)
        fast = features._native_extract(infos, stripped, keys)
        plain = features._numpy_extract(infos, stripped, keys)
        assert fast.matrix.tobytes() == plain.matrix.tobytes()
        assert (fast.grams, fast.language, fast.words, fast.keys) == (
            plain.grams,
            plain.language,
            plain.words,
            plain.keys,
        )


def words_hash(text: str) -> int:
    """_lines.c's words_hash: of a str's characters as CPython holds them (1, 2 or 4 bytes each, by the
    widest: of more than 64 bytes, the first and last 32), its kind and length."""
    widest = max(map(ord, text), default=0)
    kind = 1 if widest < 256 else 2 if widest < 65536 else 4
    data = text.encode({1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}[kind], "surrogatepass")
    h = 0x9E3779B97F4A7C15 ^ (len(data) << 2 | kind)
    # (of a long one, its first and last 32 bytes)
    h = _hash_bytes(_hash_bytes(h, data[:32]), data[-32:]) if len(data) > 64 else _hash_bytes(h, data)
    return h ^ (h >> 29)


def _hash_bytes(h: int, data: bytes) -> int:
    mask = (1 << 64) - 1
    while len(data) >= 8:
        h = ((h ^ int.from_bytes(data[:8], "little")) * 0xFF51AFD7ED558CCD) & mask
        h ^= h >> 32
        data = data[8:]
    return ((h ^ int.from_bytes(data, "little")) * 0xC4CEB9FE1A85EC53) & mask


@needs_native
def test_repeats_past_a_chain_of_colliding_words_are_counted_by_the_dict() -> None:
    """Forty one-word lines whose words share a slot of the table of 128 that counts the repeats of
    a document of 60 lines: past 32 collisions in a row the C leaves the count to a dict, the same."""
    same_slot = [w for w in (f"w{k}" for k in range(100_000)) if words_hash(w) % 128 == 5][:40]
    assert len(same_slot) == 40
    doc = same_slot + same_slot[::2]
    for lines in (doc[:33], doc[:34], doc[:35], doc):
        infos = features._line_infos(lines)
        fast = features._native_extract(infos, lines, lines)
        plain = features._numpy_extract(infos, lines, lines)
        assert fast.matrix.tobytes() == plain.matrix.tobytes()
        repeats = fast.matrix[:, features.INDEX["repeats_in_doc"]].tolist()
        assert repeats == [float(lines.count(line) - 1) for line in lines]
    assert repeats[:4] + repeats[40:42] == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]


@needs_native
def test_the_language_is_read_from_the_lines_that_reach_3000_words() -> None:
    """The line that reaches 3,000 words is the last one read: the German after it is not."""
    doc = ["the " + "qx " * 9] * 300 + ["und " * 400]
    stripped = [t.strip() for t in doc]
    infos = features._line_infos(stripped)
    for extract in (features._native_extract, features._numpy_extract):
        found = extract(infos, stripped, stripped)
        assert found.language == "English"
        assert found.matrix[0, features.INDEX["lang_coverage"]] == 300 / 3000


@needs_native
def test_each_feature_of_a_line() -> None:
    """One line's row read back by name, so a column moved in the layout fails here by name."""
    grams, row, joined = features._native_per_line(
        ["Home | News \u00bb 12.03.2021 www.example.org, (c) The \u00c9t\u00e9."]
    )[0]
    values = dict(zip(features.NAMES, np.frombuffer(row)[: len(features.NAMES)].tolist(), strict=False))
    assert joined == "home news 12 03 2021 www example org c the \u00e9t\u00e9"
    assert len(grams) == 2 * 11 - 1
    assert {k: values[k] for k in ("words", "sentence_end", "separators", "commas", "has_date", "has_link")} == {
        "words": 11.0,
        "sentence_end": 1.0,
        "separators": 2.0,
        "commas": 1.0,
        "has_date": 1.0,
        "has_link": 1.0,
    }
    assert values["has_copyright"] == 1.0
    assert values["starts_bullet"] == 0.0
    assert values["capitalised_share"] == 4 / 9


@needs_native
def test_stopword_hits_of_32_stoplists() -> None:
    """The hits of each of 32 stoplists (the C code sums them 8 at a time, in bytes emptied every
    255 stopwords): words listed by the first, the last and a few between, over 600 words."""
    masks = {"alpha": 1, "beta": 1 << 31 | 1 << 8, "gamma": 0xFFFFFFFF, "d\u00e9lta": 1 << 16 | 1 << 24 | 1 << 7}
    row_size, *rest, _languages, buckets, statics = features._LAYOUT
    layout = (row_size - len(features.LANGUAGES) + 32, *rest, 32, buckets, statics)
    words = ["alpha", "Beta", "gamma", "D\u00c9LTA", "other"] * 120
    _, row, _ = features._NATIVE.infos([" ".join(words)], masks, layout)[0]
    hits = np.frombuffer(row)[features._R_HITS :].tolist()
    expected = [sum((masks.get(w.casefold(), 0) >> bit) & 1 for w in words) for bit in range(32)]
    assert hits == [float(h) for h in expected]
    assert hits[0] == hits[31] == 240.0


@needs_native
def test_stopwords_kept_whole_in_their_slot_or_apart() -> None:
    """Stopwords of up to 4 characters below U+10000 are kept in their slot, the others apart: each kind
    found, and words that differ from one in a character, its length, a prefix or a code point past
    U+FFFF whose low half is the stopword's (U+1D41A against U+D41A) are not (for words of another
    hash this is the hash's doing; the characters are compared too); a stopword of no language adds nothing."""
    masks = {
        "a": 1,
        "ab": 2,
        "abcd": 4,
        "abcde": 8,
        "\ud41a": 16,
        "\U0001d41a": 32,
        "x\U0001d41a": 64,
        "longer stopword".replace(" ", "_"): 128,
        "none": 0,
        "\u0436\u0436": 1 << 31,
    }
    row_size, *rest, _languages, buckets, statics = features._LAYOUT
    layout = (row_size - len(features.LANGUAGES) + 32, *rest, 32, buckets, statics)
    words = [*masks, "abc", "abce", "abcdef", "b", "ba", "bcd", "\ud41b", "\U0001d41b", "x\ud41a", "longer"]
    words += ["\u0436", "\u0436\u0436\u0436", "abcd_", "a_b"]
    _, row, _ = features._NATIVE.infos([" ".join(words * 3)], masks, layout)[0]
    hits = np.frombuffer(row)[features._R_HITS :].tolist()
    assert hits == [3.0 if bit in (0, 1, 2, 3, 4, 5, 6, 7, 31) else 0.0 for bit in range(32)]


@needs_native
def test_the_infos_are_left_out_of_the_garbage_collector() -> None:
    """A line's info and its list of ints are in no cycle: the C code leaves them untracked (the
    cache of infos holds thousands of them, which every full collection would walk otherwise)."""
    info = features._native_per_line(["Home and away"])[0]
    assert info == features._per_line(["Home and away"])[0]
    assert not gc.is_tracked(info)
    assert not gc.is_tracked(info[0])


@needs_native
def test_bad_arguments_are_refused() -> None:
    lines = features._NATIVE
    with pytest.raises(TypeError):
        lines.infos([b"bytes"], {}, features._LAYOUT)
    with pytest.raises(ValueError):
        lines.infos(["x"], {}, (4, 9, 0, 0, 0, 0, 1, 1 << 18, tuple(range(10))))  # a column past the row
    with pytest.raises(ValueError):
        lines.infos(["x"], {}, (*features._LAYOUT[:7], 3, features._LAYOUT[8]))  # buckets not a power of 2
    infos = features._line_infos(["a", "b"])
    sizes = np.ones(2)
    positions = np.zeros((2, 3))
    with pytest.raises(ValueError):  # a matrix of the wrong size
        lines.document(infos, sizes, sizes, positions, 0.0, np.zeros((2, 5)), features._DOC_SPEC)
    with pytest.raises(ValueError):  # not float64
        lines.document(infos, sizes, sizes, positions.astype(np.float32), 0.0, np.zeros((2, 37)), features._DOC_SPEC)
    with pytest.raises(ValueError):  # a column past the matrix
        lines.document(infos, sizes, sizes, positions, 0.0, np.zeros((2, 37)), (*features._DOC_SPEC[:8], (99,) * 18))


@needs_native
def test_bad_row_positions_are_refused() -> None:
    """A negative row position in the spec is refused, not read before the row (nor a negative-size copy)."""
    infos = features._line_infos(["a b", "c"])
    sizes = np.ones(2)
    positions = np.zeros((2, 3))
    for at in (1, 2, 3):  # words, digits, hits
        spec = list(features._DOC_SPEC)
        spec[at] = -5
        with pytest.raises(ValueError, match="a bad matrix layout"):
            features._NATIVE.document(infos, sizes, sizes, positions, 0.0, np.zeros((2, 37)), tuple(spec))


class _Shrinks(str):
    """Strings whose every comparison empties ``victim`` (one hash for all: a count or look-up
    compares them): what a C function that holds borrowed items across such calls reads freed."""

    victim: ClassVar[list] = []

    def __hash__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        _Shrinks.victim.clear()
        return False


@needs_native
def test_words_that_empty_the_list_mid_call_change_nothing() -> None:
    """document() counts the lines' words in a dict, which runs a str subclass's __eq__: one that
    empties the caller's list of infos leaves the matrix as numpy computes it (the C code holds the
    infos for the call; it used to read the emptied list)."""
    texts = ["The committee met on Tuesday and agreed on the plan.", "Home", "News | Sport"]
    stripped = texts * 3
    infos = [(grams, row, _Shrinks(words)) for grams, row, words in features._line_infos(texts)] * 3
    _Shrinks.victim = [*infos]
    plain = features._numpy_extract(_Shrinks.victim, stripped, stripped)
    _Shrinks.victim = infos
    fast = features._native_extract(infos, stripped, stripped)
    assert infos == []
    assert fast.matrix.tobytes() == plain.matrix.tobytes()
    assert fast.matrix[:, features.INDEX["repeats_in_doc"]].tolist() == [2.0] * 9


class _Text(str):
    pass


@needs_native
def test_huge_lines_subclasses_and_blank_lines_are_the_numpy_lines() -> None:
    """Lines whose folding doubles (ß) or triples (ΐ) their length, astral characters, spaces alone, str subclasses."""
    texts = ["\u00df" * 300_000, "\u0390" * 100_000, "\U0001f600" * 300_000, " " * 300_000, "a" + " " * 1000 + "b"]
    texts += [_Text("Home | Stra\u00dfe 1999"), _Text(""), "", _Text("Home ab"), _Text("\u2019 ab")]
    assert features._native_per_line(texts) == features._per_line(texts)
    assert features._native_per_line([]) == features._per_line([]) == []


@needs_native
def test_a_stoplist_dict_changed_in_place_is_read_anew() -> None:
    """The C code keeps a table built from the stopword dict; a dict changed in place, to the same
    size, is read again (the table was kept by the dict's identity and size alone)."""
    masks = {"alpha": 1, "beta": 2}
    text = ["alpha beta beta"]
    hits = slice(features._R_HITS, features._R_HITS + 2)
    first = np.frombuffer(features._NATIVE.infos(text, masks, features._LAYOUT)[0][1])[hits].tolist()
    masks["alpha"] = 2
    del masks["beta"]
    masks["gamma"] = 1
    again = np.frombuffer(features._NATIVE.infos(text, masks, features._LAYOUT)[0][1])[hits].tolist()
    assert (first, again) == ([1.0, 2.0], [0.0, 1.0])


@needs_native
def test_a_row_size_past_memory_is_refused() -> None:
    """A row size whose bytes overflow Py_ssize_t is refused (it wrapped to a tiny row, written past)."""
    with pytest.raises(ValueError, match="a bad row layout"):
        features._NATIVE.infos(["x"], {}, (1 << 61, 0, 1, 2, 3, 4, 1, 1 << 18, tuple(range(5, 15))))


class _Finalizer:
    """Garbage in a cycle whose finalizer calls infos() with a stopword dict it refuses (a key not
    str): that call drops the table the outer call is using."""

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        with contextlib.suppress(TypeError):
            features._NATIVE.infos(["x"], {1: 1}, features._LAYOUT)


@needs_native
def test_infos_run_again_by_a_finalizer_mid_call_leave_the_outer_call_whole() -> None:
    """An allocation of infos() may run the garbage collector, and so a finalizer that calls
    infos() again with another stopword dict (a bad one here): the outer call keeps its table."""
    masks = {"alpha": 1, "beta": 2}
    texts = [f"alpha beta gamma {i}" for i in range(200)]
    hits = slice(features._R_HITS, features._R_HITS + 2)
    threshold = gc.get_threshold()
    gc.collect()
    try:
        gc.set_threshold(1)
        for _ in range(50):
            _Finalizer()
        rows = features._NATIVE.infos(texts, masks, features._LAYOUT)
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    assert [np.frombuffer(row)[hits].tolist() for _, row, _ in rows] == [[1.0, 1.0]] * 200
