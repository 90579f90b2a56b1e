"""ftfy's mojibake test in C (_repair.c's is_bad, read from ftfy's pattern by repair_ftfy) against
ftfy's own is_bad, and ftfy's fix_and_explain rebuilt around it against ftfy's: the same answers
on random strings over every class the pattern names (at, just outside and inside each range),
on made mojibake, the seeds' lines, str subclasses, empty and huge texts; the reader on patterns
it must refuse; configure_bad on malformed branches; and ftfy left as it was."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import ftfy
import pytest
from ftfy import badness

from cleaner.pipeline.clean import split_lines
from cleaner.steps import repair as repair_module
from cleaner.steps.repair import _config
from cleaner.steps.repair_ftfy import _CONTROL_FIXERS, LastAnswer, _only_on_control, detector_of, rebuilt
from cleaner.steps.repair_gate import witnesses
from cleaner.steps.repair_matchers import Alternation, Detector, Encodings, alternation, encodings
from cleaner.steps.repair_patterns import (
    NEGATE,
    OPTIONAL,
    SPACE,
    WORD,
    branches,
    detector,
    merged,
    needed,
    table,
    whole_class,
)
from cleaner.steps.whitespace import BREAKS, spaced

ROOT = Path(__file__).resolve().parent.parent
NATIVE = repair_module._NATIVE
needs_native = pytest.mark.skipif(NATIVE is None, reason="CLEANER_NATIVE=off")


def _alphabet() -> list[str]:
    """Each class of each branch at, just past and inside its edges, the characters \\s and \\w
    hold beyond ASCII, and those just outside them."""
    found = branches(badness.BADNESS_RE)
    assert found is not None
    rng = random.Random(11)
    chars = set(" \t\n\r\x0b\x1c\x85\u2028\u3000_aZz09.,!?é\u0660\u00b2\U0001d7ce\U00010000")
    chars |= set("\x00\x1b[;m\x80\x9f\ud800\udc00\udbff\ufeff\u206a\ufffc")  # what the control fixers change
    for _, items, _, _ in found:
        for ranges, _ in items:
            for first, last in ranges:
                chars.update(chr(c) for c in (first - 1, first, last, last + 1) if 0 <= c < 0x110000)
                chars.update(chr(rng.randint(first, last)) for _ in range(2))
    return sorted(chars)


ALPHABET = _alphabet()
# Mojibake as it is made: invented words through the codecs ftfy undoes, once and twice.
WORDS = [
    "café",
    "naïve",
    "don’t",
    "“quoted”",
    "– dash",
    "Ελληνικά",
    "русский",
    "日本語",
    "½ €5",
    "à la",
    "è? \ufffd\x1a",
]
CODECS = ["latin-1", "windows-1252", "windows-1251", "windows-1253", "windows-1257", "mac_roman", "cp437"]


def _made_mojibake() -> list[str]:
    out = []
    for word in WORDS:
        for codec in CODECS:
            once = word.encode("utf-8").decode(codec, errors="replace")
            out += [once, f"the {once} here", once.encode("utf-8").decode(codec, errors="replace")]
    return out


def _random(count: int, seed: int, longest: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(0, longest))) for _ in range(count)]


def _seed_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines += [line.text for line in split_lines(path.read_text(encoding="utf-8"))[0]]
    return lines


def _bench_lines() -> list[str]:
    """The bench corpus's mojibake lines as bench/corpus.py makes them (a seed line through
    windows-1252, with an NBSP after some), and its escaped ones."""
    from bench.corpus import mojibake

    lines = [line for line in _seed_lines() if line.strip()]
    made = [mojibake(line) for line in lines]
    return made + [line + "\u00a0" for line in made] + [line.replace("'", "&#39;") for line in made]


class Text(str):
    """A str subclass: the C half reads the characters, never methods."""


TEXTS = {
    "random": _random(60_000, 1, 6),
    "random-long": _random(3_000, 2, 80),
    "made": _made_mojibake(),
    "seeds": _seed_lines(),
    "bench": _bench_lines(),
    "edges": ["", "Ã ", " Ã ", "xÃ ", "x Ã ", "x\tÃ ", "x\nÃ ", "ÃÂ ", "œa", "œ1", "œ", "×²", "ГўВЂВ\nA", "ГўВЂВxA"],
}


def _bad(text: str) -> bool:
    return NATIVE.is_bad(text)  # type: ignore[union-attr]


@needs_native
@pytest.mark.parametrize("name", list(TEXTS))
def test_c_is_bad_is_ftfys(name: str) -> None:
    rebuilt(NATIVE)  # configures it
    texts = TEXTS[name]
    assert [_bad(t) for t in texts] == [badness.is_bad(t) for t in texts]
    assert [_bad(Text(t)) for t in texts[:500]] == [badness.is_bad(t) for t in texts[:500]]
    if name == "random":  # both answers are common: a test that can fail either way
        assert 0.1 < sum(map(_bad, texts)) / len(texts) < 0.9


@needs_native
def test_c_is_bad_on_huge_texts() -> None:
    rebuilt(NATIVE)
    clean = "plain words, " * 100_000
    assert _bad(clean) is False
    assert _bad(clean + "Ã©") is badness.is_bad(clean + "Ã©") is True
    assert _bad("Ã " + clean) is True  # the anchored branch, at the start
    with pytest.raises(TypeError):
        NATIVE.is_bad(b"bytes")  # type: ignore[union-attr]


@needs_native
@pytest.mark.parametrize("name", ["made", "seeds", "bench", "random-long", "edges"])
def test_rebuilt_fix_and_explain_is_ftfys(name: str) -> None:
    fix = rebuilt(NATIVE)
    assert fix is not None and fix is not ftfy.fix_and_explain
    for config in (_config(True), _config(False), ftfy.TextFixerConfig()):
        for text in TEXTS[name]:
            assert fix(text, config) == ftfy.fix_and_explain(text, config)


@pytest.mark.parametrize("use_c", [True, False], ids=["c", "python"])
def test_the_breaks_made_spaces_before_ftfy_are_what_ftfy_drops_or_keeps(use_c: bool) -> None:
    """Why the repair step makes the line breaks within a line (whitespace.BREAKS) spaces before
    ftfy sees it: ftfy (and its rebuilt fix_and_explain, with the mojibake test in C) drops VT, FS,
    GS, RS and US as control characters, gluing the words either side, and keeps FF, U+2028 and
    U+2029; NEL, which the step leaves to it, is the "…" of Windows-1252. Should another ftfy
    change that, this says so."""
    if use_c and NATIVE is None:
        pytest.skip("CLEANER_NATIVE=off")
    fix = rebuilt(NATIVE) if use_c else ftfy.fix_and_explain
    assert fix is not None
    for config in (_config(True), _config(False)):
        got = {mark: fix(f"Hello{mark}world", config)[0] for mark in [*BREAKS, "\x85"]}
        assert got == {
            **dict.fromkeys("\x0b\x1c\x1d\x1e\x1f", "Helloworld"),
            **{mark: f"Hello{mark}world" for mark in "\x0c\u2028\u2029"},
            "\x85": "Hello\u2026world",
        }
        assert all(fix(spaced(f"Hello{mark}world"), config)[0] == "Hello world" for mark in BREAKS)


def test_ftfy_is_left_alone() -> None:
    rebuilt(NATIVE)
    assert ftfy.is_bad is badness.is_bad
    assert ftfy.fix_and_explain.__globals__ is vars(ftfy)
    assert rebuilt(None) is None


def _spec(pattern: str) -> list:
    found = branches(re.compile(pattern, re.VERBOSE))
    assert found is not None
    return [
        (anchored, [(ranges, flags) for ranges, flags in items], trigger, pair)
        for anchored, items, trigger, pair in found
    ]


def test_reader_reads_each_kind_of_item() -> None:
    top = 0x10FFFF
    assert _spec(r"a[bc] | ^x[^A-Z] | \s y z | [q\w] . r | m\s?no | [^\s]ab | [d-f]") == [
        (False, [([[97, 97]], 0), ([[98, 99]], 0)], 0, True),
        (True, [([[120, 120]], 0), ([[0, 64], [91, top]], 0)], 0, True),
        (False, [([], SPACE), ([[121, 121]], 0), ([[122, 122]], 0)], 1, True),
        (False, [([[113, 113]], WORD), ([[0, 9], [11, top]], 0), ([[114, 114]], 0)], 1, True),
        (False, [([[109, 109]], 0), ([], SPACE | OPTIONAL), ([[110, 110]], 0), ([[111, 111]], 0)], 2, True),
        (False, [([], SPACE | NEGATE), ([[97, 97]], 0), ([[98, 98]], 0)], 1, True),
        (False, [([[100, 102]], 0)], 0, False),
    ]


def test_reader_picks_the_rarest_pair() -> None:
    """ASCII makes a class common: the trigger is the pair with the fewest ASCII characters."""
    assert _spec("[a-z] [a-z] é ü")[0][2] == 2
    assert _spec("a|b") == [(False, [([[97, 98]], 0)], 0, False)]  # (made a class by the parser)


def test_the_gates_witnesses_are_the_readers_triggers() -> None:
    """repair_gate.witnesses reads BADNESS_RE with the same helpers (plain, rarity): its pairs are
    the triggers branches() picks, its single class the one-character branches' classes."""
    found = branches(badness.BADNESS_RE)
    seen = witnesses()
    assert found is not None and seen is not None
    pairs = [[items[k][0], items[k + 1][0]] for _, items, k, pair in found if pair]
    singles = [tuple(point) for _, items, _, pair in found if not pair for point in items[0][0]]
    assert seen["pairs"] == pairs
    assert seen["single"] == merged(singles)


@pytest.mark.parametrize(
    "pattern",
    [
        "a+b",
        "ab|c{2}d",
        "(ab)|cd",
        "a\\dc",
        "m\\s?n",
        "\\s\\w",
        "ab$",
        "a(?=b)c",
        "x^ab",
        "a\\s??\\s??\\s??\\s??\\s??bc",
    ],
)
def test_reader_refuses_what_it_does_not_read(pattern: str) -> None:
    assert branches(re.compile(pattern)) is None


def test_reader_refuses_other_flags() -> None:
    assert branches(re.compile("ab", re.IGNORECASE)) is None
    assert branches(re.compile("ab", re.DOTALL)) is None


@needs_native
@pytest.mark.parametrize(
    "spec",
    [
        [(False, [([[97, 97]], 0)] * 17, 0, True)],  # too many items
        [(False, [([[98, 98], [97, 97]], 0), ([[97, 97]], 0)], 0, True)],  # ranges not sorted
        [(False, [([[97, 98], [98, 99]], 0), ([[97, 97]], 0)], 0, True)],  # ranges overlapping
        [(False, [([[97, 97]], 64), ([[97, 97]], 0)], 1, False)],  # unknown flags
        [(False, [([[97, 97]], 0), ([[97, 97]], 0)], 1, True)],  # trigger pair past the end
        [(False, [([[97, 97]], 0)], -1, False)],
        [(False, [([[97, 97]], SPACE), ([[97, 97]], 0)], 0, True)],  # a trigger with a category
        [(False, [([[97, 97]], 0), ([[0x10001, 0x10002]], 0)], 0, True)],  # some astral code points only
        [(False, [([[97, 0x110000]], 0)], 0, False)],
        [(False, [([[97, 97]], OPTIONAL)] * 5 + [([[97, 97]], 0)], 5, False)],  # five optional items
        [(False, [([[97, 97]], 0)], 0, False)] * 65,
        [(False, "ab", 0, False)],
        [(False, [[[97, 97]]], 0, False)],
        [None],
    ],
)
def test_configure_bad_refuses_malformed_branches(spec: list) -> None:
    with pytest.raises((TypeError, ValueError)):
        NATIVE.configure_bad(spec)  # type: ignore[union-attr]
    with pytest.raises(RuntimeError):
        NATIVE.is_bad("a")  # type: ignore[union-attr]
    NATIVE.configure_bad(branches(badness.BADNESS_RE))  # type: ignore[union-attr]
    assert NATIVE.is_bad("Ã©") is True  # type: ignore[union-attr]


@needs_native
def test_c_is_bad_on_a_small_pattern() -> None:
    """Optional items taken or not, the anchor, negation and categories, each where it decides."""
    pattern = re.compile(r"^x[^A-Z] | m\s?no | [^\s]ab | [q\w] . r", re.VERBOSE)
    NATIVE.configure_bad(branches(pattern))  # type: ignore[union-attr]
    try:
        rng = random.Random(4)
        texts = ["".join(rng.choices("xAbmno ab\tqr_\n.é", k=rng.randint(0, 7))) for _ in range(30_000)]
        assert [_bad(t) for t in texts] == [pattern.search(t) is not None for t in texts]
    finally:
        NATIVE.configure_bad(branches(badness.BADNESS_RE))  # type: ignore[union-attr]


@needs_native
def test_control_fixers_are_skipped_only_where_they_change_nothing() -> None:
    """The four fixers that act only on control characters are wrapped (the others are ftfy's
    own), and each wrapped one gives what ftfy's gives, on texts with and without them."""
    fixers = rebuilt(NATIVE).__globals__["FIXERS"]  # type: ignore[union-attr]
    assert sorted(name for name in fixers if fixers[name] is not ftfy.FIXERS[name]) == sorted(_CONTROL_FIXERS)
    texts = [*TEXTS["random"][:20_000], *TEXTS["random-long"], "\x1b[31mred\x1b[0m", "\ud83d\ude00", "a\x80b"]
    for name in _CONTROL_FIXERS:
        assert [fixers[name](t) for t in texts] == [ftfy.FIXERS[name](t) for t in texts], name
    assert any(ftfy.FIXERS[name](t) != t for name in _CONTROL_FIXERS for t in texts)


def _fixer(code: str, **names: object) -> object:
    space: dict[str, object] = {"re": re, **names}
    exec(code, space)  # a fixer of ftfy's shape, with globals of its own
    return space["fix"]


@needs_native
@pytest.mark.parametrize(
    ("code", "names", "wrapped"),
    [
        ("def fix(text):\n    return ANSI_RE.sub('', text)", {"ANSI_RE": re.compile("\x1b\\[")}, True),
        ("def fix(text):\n    return ANSI_RE.sub('', text)", {"ANSI_RE": re.compile("a\x1b")}, False),
        ("def fix(text):\n    return ANSI_RE.sub('', text)", {"ANSI_RE": re.compile("[\x1ba]")}, False),
        ("def fix(text):\n    return ANSI_RE.sub('', text)", {"ANSI_RE": re.compile("\x1b", re.I)}, False),
        ("def fix(text):\n    return ANSI_RE.sub('', text)", {"ANSI_RE": "\x1b"}, False),
        ("def fix(text):\n    return text.upper()", {}, False),
        ("def fix(text):\n    return text.translate(CONTROL_CHARS)", {"CONTROL_CHARS": {0: None, 0x1F: None}}, True),
        ("def fix(text):\n    return text.translate(CONTROL_CHARS)", {"CONTROL_CHARS": {0: None, 0x41: None}}, False),
        ("def fix(text):\n    return text.translate(CONTROL_CHARS)", {"CONTROL_CHARS": {}}, False),
    ],
)
def test_only_fixers_that_need_a_control_character_are_wrapped(code: str, names: dict, wrapped: bool) -> None:
    rebuilt(NATIVE)
    fixer = _fixer(code, **names)
    expected = fixer.__code__.co_names  # type: ignore[attr-defined]
    assert _only_on_control(fixer, expected, NATIVE.control) is wrapped  # type: ignore[union-attr]
    assert _only_on_control(fixer, ("other",), NATIVE.control) is False  # type: ignore[union-attr]


def test_needed_holds_a_character_of_every_match() -> None:
    from ftfy import chardata

    assert needed(chardata.LOSSY_UTF8_RE) == {0x1A, ord("?")}
    assert needed(re.compile("ab|cd|xb")) == {ord("a"), ord("c"), ord("x")}
    assert needed(re.compile("b|cb")) == {ord("b")}  # (a branch already covered adds nothing)
    assert needed(re.compile("a+")) is None
    assert needed(re.compile("ab", re.IGNORECASE)) is None
    rng = random.Random(9)
    for _ in range(300):
        pattern = re.compile(
            "|".join(rng.choice(["a", "[ab]", "[^c]", "b?", "c", ".", "\\s"]) * rng.randint(1, 3) for _ in range(3))
        )
        points = needed(pattern)
        if points is None:
            continue
        for text in ("".join(rng.choices("abc \n", k=rng.randint(0, 6))) for _ in range(50)):
            if pattern.search(text):
                assert any(chr(point) in text for point in points), (pattern.pattern, text)


@needs_native
def test_lossy_fixer_is_skipped_only_where_it_changes_nothing() -> None:
    from ftfy import fixes

    lossy = rebuilt(NATIVE).__globals__["fixes"].replace_lossy_sequences  # type: ignore[union-attr]
    assert lossy is not fixes.replace_lossy_sequences
    rng = random.Random(10)
    alphabet = [b"\x1a", b"?", b"\xc2", b"\xc3", b"\xed", b"\xa0", b"\xb0", b"\xe0", b"\x80", b"\xf0", b"a", b" "]
    data = [b"".join(rng.choices(alphabet, k=rng.randint(0, 8))) for _ in range(20_000)]
    assert [lossy(d) for d in data] == [fixes.replace_lossy_sequences(d) for d in data]
    assert sum(lossy(d) != d for d in data) > 1000


# ---- ftfy's byte patterns in C (repair_ftfy.Alternation) ----


def _byte_alphabet(*patterns: re.Pattern[bytes]) -> list[bytes]:
    """Each class of each branch at, just past and inside its edges, and a few plain bytes."""
    points = set(b" a?\x1a\x00\xff")
    rng = random.Random(12)
    for pattern in patterns:
        found = table(pattern)
        assert found is not None
        at = 1
        for _ in range(found[0]):
            length = found[at]
            for k in range(length):
                members = [b for b in range(256) if found[at + 1 + 32 * k + b // 8] >> (b % 8) & 1]
                for b in members:
                    if b - 1 not in members or b + 1 not in members:  # an edge of a run
                        points.update(c for c in (b - 1, b, b + 1) if 0 <= c < 256)
                points.update(rng.choices(members, k=2))
            at += 1 + 32 * length
    return [bytes([point]) for point in sorted(points)]


@needs_native
def test_alternation_is_sres_on_ftfys_patterns() -> None:
    from ftfy import chardata

    patterns = [chardata.LOSSY_UTF8_RE, chardata.ALTERED_UTF8_RE]
    alphabet = _byte_alphabet(*patterns)
    # (half the bytes from those the branches are made of, so that matches are common)
    hot = [bytes([b]) for b in b" ?\x1a\xc2\xc3\xe2\xe3\xed\xf0\x80\x85\xa0\xaf\xb0\xbf"]
    rng = random.Random(13)
    data = [
        b"".join(rng.choice(hot) if rng.random() < 0.5 else rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        for _ in range(30_000)
    ]
    data += [word.encode(codec, errors="replace") for word in _made_mojibake() for codec in ("utf-8", "latin-1")]
    for pattern in patterns:
        fast = alternation(pattern, NATIVE)
        assert isinstance(fast, Alternation)
        for replacement in (b"\xef\xbf\xbd", b"", b"xyz"):
            assert [fast.sub(replacement, d) for d in data] == [pattern.sub(replacement, d) for d in data]
        found = [fast.search(d) for d in data]
        assert [None if m is None else m.span() for m in found] == [
            None if m is None else m.span() for m in map(pattern.search, data)
        ]
        assert 500 < sum(m is not None for m in found) < len(data) - 500  # both answers are common
    big = b"plain " * 100_000
    lossy = alternation(chardata.LOSSY_UTF8_RE, NATIVE)
    assert lossy is not None
    assert lossy.sub(b"!", big + b"\xc3?") == big + b"!"
    assert lossy.sub(b"!", big) == big and lossy.search(big) is None


@needs_native
def test_alternation_takes_the_first_branch_that_matches() -> None:
    # sre's order, not the longest: "ab" before "abc" leaves the "c"; later, "b" after a match.
    # (Branches that all share a prefix, "ab|abc", sre's parser factors: table() refuses them.)
    for source, data in [
        (b"ab|abc|x", b"abcabcx"),
        (b"abc|ab|x", b"abcababx"),
        (b"[ab]b|b", b"abbbab"),
        (b"a[^b]|.", b"a\nab\n"),
        (b"x", b"xxax"),
    ]:
        pattern = re.compile(source)
        fast = alternation(pattern, NATIVE)
        assert fast is not None, source
        assert fast.sub(b"-", data) == pattern.sub(b"-", data), source


@needs_native
def test_alternation_leaves_to_sre_what_it_does_not_match() -> None:
    from ftfy import chardata

    fast = alternation(chardata.LOSSY_UTF8_RE, NATIVE)
    assert fast is not None
    data = b"\xc3? and \x1a"
    assert fast.sub(b"\\g<0>!", data) == chardata.LOSSY_UTF8_RE.sub(b"\\g<0>!", data)  # a template
    assert fast.sub(b"-", data, 1) == chardata.LOSSY_UTF8_RE.sub(b"-", data, 1)
    assert fast.sub(lambda m: b"<" + m.group(0) + b">", data) == chardata.LOSSY_UTF8_RE.sub(
        lambda m: b"<" + m.group(0) + b">", data
    )
    assert fast.sub(b"-", bytearray(data)) == chardata.LOSSY_UTF8_RE.sub(b"-", bytearray(data))
    match = fast.search(data)
    assert match is not None and match.re is chardata.LOSSY_UTF8_RE


@pytest.mark.parametrize(
    "source",
    [
        b"a+",
        b"ab?",
        b"^ab",
        b"a|b+",
        b"(ab)",
        b"\\d",
        b"a\\b",
        b"a" * 17,
        b"|".join(bytes([c, 97]) for c in range(0x80, 0xC1)),
        b"(?=a)b",
        b"ab|abc",
    ],
)
def test_table_refuses_what_it_does_not_read(source: bytes) -> None:
    assert table(re.compile(source)) is None


def test_table_refuses_flags_and_str() -> None:
    assert table(re.compile(b"ab", re.IGNORECASE)) is None
    assert table(re.compile(b"ab", re.DOTALL)) is None
    assert table(re.compile("ab")) is None  # type: ignore[arg-type]
    assert table(re.compile(b"ab|c")) == bytes([2, 2]) + _bits(b"a") + _bits(b"b") + bytes([1]) + _bits(b"c")


def _bits(chars: bytes) -> bytes:
    return sum(1 << c for c in chars).to_bytes(32, "little")


@needs_native
@pytest.mark.parametrize(
    "spec",
    [
        b"",
        b"\x00",
        b"\x41",
        b"\x01\x00",
        b"\x01\x11" + bytes(32 * 17),
        b"\x01\x01" + bytes(31),
        b"\x01\x01" + bytes(33),
    ],
)
def test_alternation_refuses_malformed_tables(spec: bytes) -> None:
    with pytest.raises(ValueError):
        NATIVE.alternation(spec, b"data")  # type: ignore[union-attr]


@needs_native
def test_alternation_refuses_other_types() -> None:
    spec = bytes([1, 1]) + _bits(b"a")
    assert NATIVE.alternation(spec, b"bab") is True  # type: ignore[union-attr]
    assert NATIVE.alternation(spec, b"bab", b"") == b"bb"  # type: ignore[union-attr]
    for args in [(spec, "text"), ("spec", b"data"), (spec, b"data", "x"), (spec, bytearray(b"data"))]:
        with pytest.raises(TypeError):
            NATIVE.alternation(*args)  # type: ignore[union-attr]
    # read by hand (METH_FASTCALL) as PyArg_ParseTuple's "SS|O" did: two or three, a bytes subclass taken
    assert NATIVE.alternation(_Bytes(spec), _Bytes(b"bab"), None) is True  # type: ignore[union-attr]
    assert NATIVE.alternation(spec, _Bytes(b"bab"), _Bytes(b"")) == b"bb"  # type: ignore[union-attr]
    for args in [(spec,), (spec, b"bab", b"", None)]:
        with pytest.raises(TypeError, match="alternation"):
            NATIVE.alternation(*args)  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        NATIVE.alternation(spec, data=b"bab")  # type: ignore[union-attr]


class _Bytes(bytes):
    """A bytes subclass."""


@needs_native
def test_rebuilt_ftfy_uses_the_c_patterns() -> None:
    from ftfy import chardata

    space = rebuilt(NATIVE).__globals__  # type: ignore[union-attr]
    assert isinstance(space["chardata"].ALTERED_UTF8_RE, Alternation)
    assert space["chardata"].ALTERED_UTF8_RE.pattern is chardata.ALTERED_UTF8_RE
    assert chardata.ALTERED_UTF8_RE.search(b"\xc3 ") is not None  # ftfy's own pattern is left as it was


# ---- ftfy's possible_encoding in C (repair_ftfy.Encodings) ----


def _encoding_texts(classes: list[list[list[int]]], seed: int) -> list[str]:
    """Random texts over each class's edges (in, just outside), newlines anywhere and last, and
    characters past U+FFFF."""
    rng = random.Random(seed)
    chars = set("\n\r a\u00e9\u20ac\U0001f600")
    for ranges in classes:
        for first, last in ranges:
            chars.update(chr(c) for c in (first - 1, first, last, last + 1) if 0 <= c < 0x110000)
            chars.add(chr(rng.randint(first, last)))
    alphabet = sorted(chars)
    plain = [chr(c) for c in range(0x20, 0x7F)]
    texts = ["", "\n", "\n\n", "a\n", "a\nb", "\u20ac\n", "\n\u20ac"]
    for _ in range(20_000):
        # (mostly one class's characters, so that each answer is often yes)
        ranges = rng.choice(classes)
        home = [chr(rng.randint(first, last)) for first, last in rng.choices(ranges, k=4)] + plain[:8]
        text = "".join(
            rng.choice(home) if rng.random() < 0.9 else rng.choice(alphabet) for _ in range(rng.randint(0, 8))
        )
        texts.append(text + "\n" * rng.randint(0, 2) if rng.random() < 0.3 else text)
    return texts


@needs_native
def test_encodings_is_ftfys_possible_encoding() -> None:
    from ftfy import chardata

    fast = rebuilt(NATIVE).__globals__["chardata"].possible_encoding  # type: ignore[union-attr]
    assert isinstance(fast, Encodings)
    classes = [whole_class(pattern) for pattern in chardata.ENCODING_REGEXES.values()]
    assert None not in classes  # every one of ftfy's is read
    texts = _encoding_texts(classes, 14) + TEXTS["bench"] + TEXTS["made"] + TEXTS["seeds"]  # type: ignore[arg-type]
    for name in chardata.ENCODING_REGEXES:
        answers = [fast(text, name) for text in texts]
        assert answers == [chardata.possible_encoding(text, name) for text in texts], name
        assert 500 < sum(answers) < len(texts) - 500, name  # both answers are common
    # Asked about another text of equal value, or one text after another: each answer its own.
    assert fast("\u20ac", "sloppy-windows-1252") is True and fast("\u0080", "sloppy-windows-1252") is False
    assert fast(Text("\u20ac"), "latin-1") is False
    with pytest.raises(KeyError):
        fast("text", "no-such-encoding")


@needs_native
def test_encodings_reads_dollar_before_a_last_newline() -> None:
    """A class without '\\n': $ still matches before a last newline, and nowhere else."""
    from ftfy import chardata

    regexes = {
        "abc": re.compile("^[a-c]*$"),
        "ab-or-nl": re.compile("^[ab\n]*$"),
        "ascii": re.compile("^[\x00-\x7f]*$"),
    }
    space: dict[str, object] = {"ENCODING_REGEXES": regexes}
    exec("def possible_encoding(text, encoding):\n    return bool(ENCODING_REGEXES[encoding].match(text))", space)
    module = type("Chardata", (), {"possible_encoding": staticmethod(space["possible_encoding"])})
    try:
        fast = encodings(module, NATIVE)  # type: ignore[arg-type]
        assert fast is not None
        rng = random.Random(15)
        texts = ["".join(rng.choices("abc\nd\u00e9", k=rng.randint(0, 6))) for _ in range(20_000)]
        for name, pattern in regexes.items():
            assert [fast(text, name) for text in texts] == [bool(pattern.match(text)) for text in texts], name
        assert fast("ab\n", "abc") and not fast("a\nb", "abc") and not fast("ab\n\n", "abc")
    finally:
        encodings(chardata, NATIVE)  # (ftfy's classes back, with the same bits)


@pytest.mark.parametrize(
    "source, flags",
    [
        ("[a-c]*$", 0),
        ("^[a-c]*", 0),
        ("^[a-c]+$", 0),
        ("^[a-c]*\\Z", 0),
        ("^[a-c]*$", re.IGNORECASE),
        ("^[a-c]*$", re.MULTILINE),
        ("^[\\w]*$", 0),
        ("^[^a]*$", 0),
        ("^[a-c\U00010000]*$", 0),
        ("^(?:ab)*$", 0),
    ],
)
def test_whole_class_refuses_what_it_does_not_read(source: str, flags: int) -> None:
    assert whole_class(re.compile(source, flags)) is None


def test_whole_class_reads_its_form() -> None:
    assert whole_class(re.compile("^[a-c\u20ac]*$")) == [[97, 99], [0x20AC, 0x20AC]]
    assert whole_class(re.compile("^a*$")) == [[97, 97]]


@needs_native
def test_configure_encodings_refuses_malformed_classes() -> None:
    from ftfy import chardata

    try:
        for classes in ([], [[(0, 0x10000)]], [[(5, 4)]], [[(0, 1)]] * 17, ["ab"]):
            with pytest.raises((ValueError, TypeError)):
                NATIVE.configure_encodings(classes)  # type: ignore[union-attr]
            with pytest.raises(RuntimeError):
                NATIVE.encodings("text")  # type: ignore[union-attr]
    finally:
        encodings(chardata, NATIVE)
    with pytest.raises(TypeError):
        NATIVE.encodings(b"bytes")  # type: ignore[union-attr]


def test_last_answer_answers_each_text() -> None:
    """Kept for the very text last asked about only: an equal text of another object, or another
    text, is answered again."""
    asked: list[str] = []

    def answer(text: str) -> bool:
        asked.append(text)
        return "\x1b" in text

    last = LastAnswer(answer)
    one = "".join(["a", "\x1b"])
    texts = ["a", one, one, "".join(["a", "\x1b"]), "a", "b", "b\x1b", one]
    assert [last(text) for text in texts] == ["\x1b" in text for text in texts]
    assert len(asked) == len(texts) - 1  # (one asked twice in a row: once)
    rng = random.Random(16)
    pool = ["".join(rng.choices("ab\x1b", k=rng.randint(0, 3))) for _ in range(50)]
    for text in rng.choices(pool, k=5_000):
        assert last(text) is ("\x1b" in text)


# ---- ftfy's UTF8_DETECTOR_RE in C (repair_ftfy.Detector) ----


def _detector_alphabet(pattern: re.Pattern[str]) -> list[str]:
    """Each class's edges (in, just outside) and a few of its characters, and characters of no class."""
    found = detector(pattern)
    assert found is not None
    rng = random.Random(17)
    chars = set(" a\n\u00e9\u2019\U0001f600")
    for ranges in found[0]:
        for first, last in ranges:
            chars.update(chr(c) for c in (first - 1, first, last, last + 1) if 0 <= c < 0x110000)
            chars.update(chr(rng.randint(first, last)) for _ in range(2))
    return sorted(chars)


def _spans(pattern: Any, text: str) -> tuple[Any, str, list[tuple[int, int]]]:
    """What search finds (its span), and what sub gives and hands its function (each match's span and group 0)."""
    seen: list[tuple[int, int]] = []

    def mark(match: re.Match[str]) -> str:
        seen.append(match.span())
        return "<" + match.group(0) + ">"

    found = pattern.search(text)
    return None if found is None else (found.span(), found.group(0), found.groups()), pattern.sub(mark, text), seen


def _check_detector(pattern: re.Pattern[str], texts: list[str]) -> int:
    fast = Detector(pattern, NATIVE)  # (configured by the caller)
    found = 0
    for text in texts:
        assert _spans(fast, text) == _spans(pattern, text), (pattern.pattern, text)
        found += pattern.search(text) is not None
    return found


@needs_native
def test_detector_is_sres_on_ftfys_pattern() -> None:
    from ftfy import chardata

    pattern = chardata.UTF8_DETECTOR_RE
    fast = rebuilt(NATIVE).__globals__["chardata"].UTF8_DETECTOR_RE  # type: ignore[union-attr]
    assert isinstance(fast, Detector) and fast.pattern is pattern
    alphabet = _detector_alphabet(pattern)
    # (the mojibake of a few letters among those of the classes, so that long matches are common)
    hot = list("â€œ™Ã©Â ’¢Ð°Ñ\u00a0 ") + [" "] * 3
    rng = random.Random(18)
    texts = [
        "".join(rng.choice(hot) if rng.random() < 0.5 else rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        for _ in range(20_000)
    ]
    texts += TEXTS["bench"] + TEXTS["made"] + TEXTS["edges"] + [Text("â€œx"), "x" * 5_000 + "â€œ"]
    found = _check_detector(pattern, texts)
    assert 2_000 < found < len(texts) - 2_000  # both answers are common


@needs_native
@pytest.mark.parametrize("seed", range(6))
def test_detector_is_sres_on_small_patterns(seed: int) -> None:
    """Overlapping runs (the first that matches is taken, not the longest), the lookbehind at the
    text's start and after a match, a body of one run, a capturing group or none."""
    from ftfy import chardata

    rng = random.Random(seed)
    try:
        for _ in range(40):
            runs = [
                "".join(
                    rng.choice(["a", "[ab]", "b", "[bc]", "c", " ", "[a ]{2}", "c{2}"])
                    for _ in range(rng.randint(1, 3))
                )
                for _ in range(rng.randint(1, 3))
            ]
            behind = rng.choice(["", "(?<![b])", "(?<!c)", "(?<![a-c])"])
            body = "|".join(runs)
            source = behind + rng.choice([f"({body})+", f"(?:{body})+"])
            pattern = re.compile(source)
            found = detector(pattern)
            if found is None:  # (the parser factored a prefix the runs share into a group)
                continue
            NATIVE.configure_detector(*found)  # type: ignore[union-attr]
            texts = ["".join(rng.choices("abc d", k=rng.randint(0, 9))) for _ in range(400)]
            _check_detector(pattern, texts)
    finally:
        detector_of(ftfy, NATIVE)  # type: ignore[arg-type]
    assert detector(chardata.UTF8_DETECTOR_RE) is not None


@pytest.mark.parametrize(
    "source, flags",
    [
        ("(ab)*", 0),
        ("(ab){1,3}", 0),
        ("(ab)+?", 0),
        ("(ab)+c", 0),
        ("c(ab)+", 0),
        ("(?<=x)(ab)+", 0),
        ("(?<!xy)(ab)+", 0),
        ("(?<![\\s])(ab)+", 0),
        ("(?=x)(ab)+", 0),
        ("(a|b+)+", 0),
        ("(a\\w)+", 0),
        ("(a[^b])+", 0),
        ("(a[\U00010000])+", 0),
        ("(?i:ab)+", 0),
        ("(ab)+", re.IGNORECASE),
        ("(ab)+", re.ASCII),
        ("(" + "|".join(chr(97 + k) + "x" for k in range(17)) + ")+", 0),
        ("(" + "[%s]" * 9 % tuple("abcdefghi") + ")+", 0),
    ],
)
def test_detector_refuses_what_it_does_not_read(source: str, flags: int) -> None:
    assert detector(re.compile(source, flags)) is None


def test_detector_reads_its_form() -> None:
    assert detector(re.compile("(?<![a])(?:bc|d{2})+")) == (
        [[[97, 97]], [[98, 98]], [[99, 99]], [[100, 100]]],
        0,
        [[1, 2], [3, 3]],
    )
    assert detector(re.compile("(ab)+")) == ([[[97, 97]], [[98, 98]]], -1, [[0, 1]])
    assert detector(re.compile(b"(ab)+")) is None
    assert detector("(ab)+") is None


@needs_native
def test_detector_leaves_to_sre_what_it_does_not_match() -> None:
    from ftfy import chardata

    pattern = chardata.UTF8_DETECTOR_RE
    fast = rebuilt(NATIVE).__globals__["chardata"].UTF8_DETECTOR_RE  # type: ignore[union-attr]
    text = "x â€œyâ€ z Ã© "
    assert fast.sub("-", text) == pattern.sub("-", text)  # a template, not a function
    assert fast.sub(lambda m: "-", text, 1) == pattern.sub(lambda m: "-", text, 1)
    assert fast.sub(lambda m: None, text) == pattern.sub(lambda m: None, text)  # (None: the match dropped)
    assert fast.search(text, 5).span() == pattern.search(text, 5).span()  # type: ignore[union-attr]
    assert fast.search(text).span() == pattern.search(text).span()  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        fast.sub(lambda m: b"x", text)
    with pytest.raises(TypeError):
        NATIVE.detect(b"bytes", True)  # type: ignore[union-attr]


@needs_native
@pytest.mark.parametrize(
    "spec",
    [
        ([], -1, [[0]]),
        ([[(97, 97)]] * 9, -1, [[0]]),
        ([[(97, 97)]], 1, [[0]]),
        ([[(97, 97)]], -2, [[0]]),
        ([[(97, 97)]], -1, []),
        ([[(97, 97)]], -1, [[]]),
        ([[(97, 97)]], -1, [[1]]),
        ([[(97, 97)]], -1, [[0] * 17]),
        ([[(97, 97)]], -1, [[0]] * 17),
        ([[(97, 0x10000)]], -1, [[0]]),
        ([[(98, 97)]], -1, [[0]]),
        ([[(97, 97)]], -1, [["a"]]),
    ],
)
def test_configure_detector_refuses_malformed_specs(spec: tuple) -> None:
    try:
        with pytest.raises((TypeError, ValueError)):
            NATIVE.configure_detector(*spec)  # type: ignore[union-attr]
        with pytest.raises(RuntimeError):
            NATIVE.detect("text", True)  # type: ignore[union-attr]
    finally:
        detector_of(ftfy, NATIVE)  # type: ignore[arg-type]


@needs_native
def test_rebuilt_decode_inconsistent_utf8_is_ftfys() -> None:
    """ftfy's last resort, rebuilt over the C detector and is_bad, with the rebuilt fix_encoding
    for its matches: ftfy's answers, on texts whose matches it fixes and on texts it leaves."""
    from ftfy import fixes

    space = rebuilt(NATIVE).__globals__  # type: ignore[union-attr]
    decode = space["fixes"].decode_inconsistent_utf8
    assert decode is not fixes.decode_inconsistent_utf8
    assert decode.__globals__["ftfy"].fix_encoding is space["fix_encoding"]
    assert fixes.decode_inconsistent_utf8.__globals__["UTF8_DETECTOR_RE"] is not decode.__globals__["UTF8_DETECTOR_RE"]
    texts = TEXTS["bench"] + TEXTS["made"] + [f"plain {word} text" for word in TEXTS["made"]]
    answers = [decode(text) for text in texts]
    assert answers == [fixes.decode_inconsistent_utf8(text) for text in texts]
    assert sum(a != t for a, t in zip(answers, texts, strict=True)) > 50  # (it fixes some)


@needs_native
def test_alternation_keeps_each_table_apart() -> None:
    """Tables asked about in turn, more of them than _repair.c keeps read, and of a bytes subclass
    (read each time): each call its own table's answer."""

    class Table(bytes):
        pass

    rng = random.Random(19)
    patterns = [re.compile(source) for source in (b"ab|c", b"b[ac]", b"x|ay", b"[a-c][a-c]", b"ca|b", b"a")]
    tables = [table(pattern) for pattern in patterns]
    assert None not in tables
    data = [bytes(rng.choices(b"abcxy", k=rng.randint(0, 8))) for _ in range(300)]
    for _ in range(3):
        for pattern, spec in zip(patterns, tables, strict=True):
            for spec_of in (bytes, Table):
                one = spec_of(spec)  # type: ignore[arg-type]
                assert [NATIVE.alternation(one, d, b"-") for d in data] == [pattern.sub(b"-", d) for d in data]  # type: ignore[union-attr]
                assert [NATIVE.alternation(one, d) for d in data] == [bool(pattern.search(d)) for d in data]  # type: ignore[union-attr]


@needs_native
def test_rebuilt_config_from_kwargs_is_ftfys() -> None:
    """With no kwargs a config is given back itself (equal to ftfy's copy); with some, ftfy's own
    answer, its deprecation warning included; the rebuilt entry points give ftfy's text either way."""
    kept = rebuilt(NATIVE).__globals__["_config_from_kwargs"]  # type: ignore[union-attr]
    assert kept is not ftfy._config_from_kwargs
    config = _config(True)
    assert kept(config, {}) is config and kept(config, {}) == ftfy._config_from_kwargs(config, {})
    assert kept(config, {"uncurl_quotes": True}) == ftfy._config_from_kwargs(config, {"uncurl_quotes": True})
    with pytest.warns(DeprecationWarning):
        assert kept(config, {"fix_entities": False}).unescape_html is False
    fix = rebuilt(NATIVE)
    text = "â€œquotedâ€\u009d &amp; don’t"
    assert fix(text, config, uncurl_quotes=True) == ftfy.fix_and_explain(text, config, uncurl_quotes=True)  # type: ignore[misc]
    assert fix(text) == ftfy.fix_and_explain(text)  # type: ignore[misc]


def test_config_kept_only_for_ftfys_code() -> None:
    from cleaner.steps.repair_ftfy import _config_kept

    assert _config_kept(ftfy) is not None
    other = type(ftfy)("other")
    other._config_from_kwargs = lambda config, kwargs: config  # type: ignore[attr-defined]
    other.TextFixerConfig = ftfy.TextFixerConfig  # type: ignore[attr-defined]
    assert _config_kept(other) is None
    other._config_from_kwargs = ftfy._config_from_kwargs  # type: ignore[attr-defined]
    other.TextFixerConfig = tuple  # type: ignore[attr-defined]
    assert _config_kept(other) is None
