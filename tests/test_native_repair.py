"""The repair step's C half (cleaner/steps/_repair.c) against the Python it stands in for: the
same gate answer, the same whitespace, the same lines given to ftfy, and the same text and
labels on every line after repair(), on invented lines, the seeds and random strings over an
alphabet chosen to hit every branch; and that it is built at all (CI has a C compiler: a build
that silently failed would leave every run on the slow path)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import ftfy
import pytest

from cleaner import native
from cleaner.document import Line
from cleaner.pipeline.clean import split_lines
from cleaner.steps import repair as repair_module
from cleaner.steps.repair import _needs_repair, _ranges, repair
from cleaner.steps.repair_gate import gate, witnesses
from cleaner.steps.whitespace import BREAKS, has_breaks, needs_whitespace, normalize, spaced

ROOT = Path(__file__).resolve().parent.parent
NATIVE = repair_module._NATIVE

needs_native = pytest.mark.skipif(NATIVE is None, reason="CLEANER_NATIVE=off")


def _members(key: str, count: int, seed: int) -> list[str]:
    """``count`` characters of one of the gate's classes, and the characters either side of
    each of its ranges (just outside the class)."""
    ranges = _ranges(gate()[key])
    assert ranges is not None
    rng = random.Random(seed)
    edges = [chr(c) for first, last in ranges for c in (first - 1, first, last, last + 1) if 0 <= c < 0x110000]
    picked = [chr(rng.randint(first, last)) for first, last in rng.choices(ranges, k=count)]
    return sorted(set(edges + picked))


# Pieces for the gate (a lead before a continuation, a space, or neither; C1 and other control
# characters; entities at and past their length limits, with and without a '<' in the line),
# and for the whitespace step (each odd space and mark, the characters just outside those
# ranges, whitespace that str.isspace knows and the odd-space class does not, \r, lone
# surrogates, astral characters).
PIECES = [
    *"aZ09 ;#&<>\t\r\x0b\x0c\x1b\x1c\x1d\x1e\x1f\x7f\x85\x9d\u00a0\u00a1\u00ad\u00c3\u00e2\u00a9",
    *"\u1680\u1681\u1fff\u2000\u2005\u200a\u200b\u200c\u2027\u2028\u2029\u202a\u202f\u205f\u2060\u2061\u206a\u3000",
    "Ã\x0b",  # a lead before a break: before a space, once the break is one
    "Ã\x0c",
    *"\ufeff\ufff9\ufffd\ud800\udc80\U0001f600“”‘’–—…•«»",
    "Ã©",
    "â€™",
    "Ã ",
    "Â\u00a0",
    "Ã\u00a0",
    "&amp;",
    "&#39;",
    "&#x27;",
    "&nbsp;",
    "&#;",
    "&;",
    "&" + "a" * 24 + ";",
    "&" + "a" * 25 + ";",
    "&#" + "1" * 24 + ";",
    "&#" + "1" * 25 + ";",
    "\x1b[31m",
    "  ",
    "word",
    *_members("lead", 40, 1),
    *_members("cont", 40, 2),
    *_members("control", 20, 3),
]

# Lines written to hit one case each, in the spirit of what real pages hold.
INVENTED = [
    "",
    " ",
    "\u00a0",
    "plain ASCII line",
    "trailing space \t ",
    "Watch:\u00a0this\u00a0 ",
    "\ufeffBOM at the start",
    "zero\u200bwidth\u2060joiner",
    "thin\u2009space and narrow\u202fno-break",
    "I donâ€™t know",
    "caf\u00c3\u00a9 & bar",
    "caf\u00c3\u00a9 & bar\u00a0",
    "Ã\u00a0la carte",  # a lead before an NBSP: mojibake of "à"
    "Ã la carte",
    "Â\u00a0 spaced",
    "Tom &amp; Jerry",
    "Tom &amp; <b>Jerry</b>",
    "AT&T; and &c.",
    "&#8217;s &#x2019;s",
    "C1 \x80 control \x9d here",
    "escape \x1b[1mbold\x1b[0m",
    "lone \ud800 surrogate",
    "carriage\rreturn",
    "ends in a carriage return\r",
    "“quoted” ﬁne ＦＵＬＬ",
    "Ã©Ã©Ã©\u00a0\u00a0",
    "\u2028line separator\u2029",
    "NEL\x85",
    "Hello\x0bworld and\x0cmore",  # a soft line break, a page break: spaces, not glue
    "\x0c",
    "\x1cfile\x1dgroup\x1erecord",
    "unit\x1fseparator",
    "Caf\u00c3\x0b au lait",
    "Tom &amp; Jerry\u2028",
    "mixed 😀 astral\u00a0",
]


def _random_texts(count: int, seed: int, pieces: int = 12) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, pieces))) for _ in range(count)]


def _seed_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        found, _ = split_lines(path.read_text(encoding="utf-8"))
        lines.extend(line.text for line in found)
    return lines


def _mojibake_alphabet() -> list[str]:
    """Characters for ftfy's mojibake test: each class of its witness pairs (repair_gate.witnesses)
    at and just past its edges, and picked inside, the non-ASCII characters its pattern names,
    and the ASCII and spaces its branches look for around them."""
    from ftfy.badness import BADNESS_RE

    found = witnesses()
    assert found is not None
    rng = random.Random(5)
    chars = set("aZz .,!?;:-'\"\t0") | {c for c in BADNESS_RE.pattern if ord(c) > 0x7F}
    for ranges in [found["single"], *(cls for pair in found["pairs"] for cls in pair)]:
        for first, last in ranges:
            chars.update(chr(c) for c in (first - 1, first, last, last + 1) if 0 <= c < 0x110000)
            chars.update(chr(rng.randint(first, last)) for _ in range(3))
    return sorted(chars)


MOJIBAKE = _mojibake_alphabet()


def _mojibake_texts(count: int, seed: int) -> list[str]:
    """Short strings over the mojibake alphabet: every pair of its characters is likely to meet."""
    rng = random.Random(seed)
    return ["".join(rng.choice(MOJIBAKE) for _ in range(rng.randint(1, 6))) for _ in range(count)]


TEXTS = {
    "invented": INVENTED,
    "seeds": _seed_lines(),
    "random": _random_texts(20_000, 1),
    "random-long": _random_texts(2_000, 2, 60),
    "mojibake": _mojibake_texts(20_000, 6),
}


def test_the_extension_is_built() -> None:
    if native.load("cleaner.steps._repair") is None and not native.disabled():
        pytest.fail("cleaner/steps/_repair.c was not built: is there a C compiler? (`pip install -e .` builds it)")


@needs_native
@pytest.mark.parametrize("name", list(TEXTS))
def test_c_gate_and_whitespace_are_the_python_ones(name: str) -> None:
    texts = TEXTS[name]
    for entities in (True, False):
        assert [NATIVE.needs_repair(t, entities) for t in texts] == [_needs_repair(t, entities) for t in texts]
        without = [NATIVE.needs_repair(t, entities, False) for t in texts]
        assert without == [_needs_repair(t, entities, False) for t in texts]
    assert [NATIVE.normalize(t) for t in texts] == [normalize(t) for t in texts]
    assert [NATIVE.needs_whitespace(t) for t in texts] == [needs_whitespace(t) for t in texts]


@needs_native
def test_c_gate_on_whole_documents() -> None:
    """Documents: several lines joined by \\n, \\r\\n or \\r (whitespace before a line end)."""
    rng = random.Random(3)
    lines = TEXTS["random"]
    docs = [rng.choice(["\n", "\r\n", "\r", "\n\n"]).join(rng.sample(lines, rng.randint(1, 8))) for _ in range(5_000)]
    assert [NATIVE.needs_whitespace(d) for d in docs] == [needs_whitespace(d) for d in docs]
    assert [NATIVE.needs_repair(d, True) for d in docs] == [_needs_repair(d, True) for d in docs]
    assert [NATIVE.needs_repair(d, True, False) for d in docs] == [_needs_repair(d, True, False) for d in docs]


# The pieces of a 1-byte text (no character past U+00FF: \s, the NBSP, entities and their parts),
# and line ends between them.
_LATIN1_PIECES = [p for p in PIECES if max(p) <= "\xff"] + ["é", "\n", "\r\n", "\n\n"]


@needs_native
@pytest.mark.parametrize("ascii_only", [True, False])
def test_c_gate_and_whitespace_on_one_byte_documents(ascii_only: bool) -> None:
    """needs_whitespace and the entity gate on 1-byte texts (ASCII, Latin-1), which the C half
    answers by memchr (from line end to line end, from '&' to '&', for the NBSP)."""
    rng = random.Random(11)
    pieces = [p for p in _LATIN1_PIECES if p.isascii()] if ascii_only else _LATIN1_PIECES
    docs = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    assert all(max(d, default="a") <= "\xff" for d in docs)
    found = [needs_whitespace(d) for d in docs]
    assert [NATIVE.needs_whitespace(d) for d in docs] == found
    assert True in found and False in found
    gated = [_needs_repair(d, True) for d in docs]
    assert [NATIVE.needs_repair(d, True) for d in docs] == gated
    assert True in gated and False in gated


# The pieces of a 2-byte text that is not Latin (Cyrillic and CJK words, in which the C half looks for
# line ends and '&' eight characters at a time): line ends, '&' and entities, '<', and each odd space
# and mark with the characters that share all but its low bits (the same block's edges, U+2070..U+207F).
_WIDE_PIECES = [
    "слово",
    "текст ",
    "日本語",
    " ",
    "\n",
    "\r\n",
    " \n",
    "\u3000\r",
    "&",
    "&amp;",
    "&#8217;",
    "<",
    *"\u00a0\u00a1\u009f\u1680\u1681\u167f\u2000\u200b\u200c\u202f\u205f\u2060\u2061\u207f\u2080\u1f80",
    *"\ufeff\ufefe\ufeef\u20a0\u0a00\u00a8\u2100",
    *"\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2027\u2028\u2029\u202a\u2128\u0b00\u0c00",  # (breaks, and their neighbours)
]


@needs_native
def test_c_gate_and_whitespace_on_two_byte_documents() -> None:
    """needs_whitespace, the entity gate and normalize on 2-byte texts of non-Latin words, in
    which the C half looks for line ends and '&' eight characters at once: each piece at every
    position of a block, in documents long enough for several blocks."""
    rng = random.Random(13)
    docs = ["".join(rng.choice(_WIDE_PIECES) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    docs = [d for d in docs if "\u0100" <= max(d, default="a") <= "\uffff"]
    assert len(docs) > 15_000
    found = [needs_whitespace(d) for d in docs]
    assert [NATIVE.needs_whitespace(d) for d in docs] == found
    assert True in found and False in found
    for witness in (True, False):
        gated = [_needs_repair(d, True, witness) for d in docs]
        assert [NATIVE.needs_repair(d, True, witness) for d in docs] == gated
        assert True in gated and False in gated
    normal = [normalize(d) for d in docs]
    assert [NATIVE.normalize(d) for d in docs] == normal
    assert sum(n != d for n, d in zip(normal, docs, strict=True)) > 1_000


def _expected_lines(texts: list[str], enabled: bool, entities: bool) -> list[tuple[int, str | None]]:
    """What lines() promises, in the Python definitions: a line the gate lets through in its
    first round, or in its second after the whitespace step, is None (repair() runs its rounds);
    a line only the whitespace step changes comes with its new text."""
    out: list[tuple[int, str | None]] = []
    for i, text in enumerate(texts):
        if enabled and _needs_repair(text, entities):
            out.append((i, None))
            continue
        normal = normalize(text)
        if normal != text:
            out.append((i, None if enabled and _needs_repair(normal, entities) else normal))
    return out


@needs_native
@pytest.mark.parametrize("name", list(TEXTS))
def test_c_lines_are_the_python_decisions(name: str) -> None:
    texts = TEXTS[name]
    for enabled in (True, False):
        for entities in (True, False):
            assert NATIVE.lines(texts, enabled, entities) == _expected_lines(texts, enabled, entities)


def _run(
    texts: list[str], monkeypatch: pytest.MonkeyPatch, use_c: bool, **options: object
) -> tuple[list[tuple[str, list[str], bool]], list[str]]:
    """Each line's (text, labels, blank) after repair(), and the texts ftfy was given, in order
    (the distinct ones: its answers are kept, repair._kept)."""
    given: list[str] = []
    real = repair_module._fix_and_explain  # (ftfy's, or the same with its mojibake test in C)

    def recording(text: str, *args: object, **kwargs: object) -> object:
        given.append(text)
        return real(text, *args, **kwargs)

    repair_module._kept.cache_clear()  # each run gives ftfy each distinct line once
    with monkeypatch.context() as patch:
        patch.setattr(repair_module, "_fix_and_explain", recording)
        patch.setattr(repair_module, "_NATIVE", NATIVE if use_c else None)
        lines = [Line(no, text) for no, text in enumerate(texts, 1)]
        repair(lines, **options)  # type: ignore[arg-type]
    return [(line.text, line.changed_by, line.blank) for line in lines], given


@needs_native
@pytest.mark.parametrize("name", ["invented", "seeds", "random"])
@pytest.mark.parametrize(
    "options",
    [{}, {"unescape_html": False}, {"enabled": False}, {"text": "whole"}, {"text": "whole", "unescape_html": False}],
    ids=["default", "no-entities", "no-ftfy", "document", "document-no-entities"],
)
def test_repair_with_c_is_repair_in_python(name: str, options: dict[str, object], monkeypatch) -> None:
    """The whole step, both ways: the same text, labels and blank flag on every line, and the
    same lines given to ftfy in the same order (the random ones: the first 3,000, ftfy is slow)."""
    texts = TEXTS[name][:3_000]
    if options.get("text") == "whole":
        options = {**options, "text": "\n".join(texts)}
    python = _run(texts, monkeypatch, False, **options)
    assert _run(texts, monkeypatch, True, **options) == python
    if name == "invented" and options.get("enabled", True):
        assert python[1]  # the invented lines do reach ftfy


@needs_native
def test_documents_with_c_are_documents_in_python(monkeypatch) -> None:
    """Whole documents, cut into lines as the pipeline cuts them: the document-level gates (a '<'
    anywhere turns the entity fix off for every line) decide the same way."""
    rng = random.Random(4)
    lines = TEXTS["random"]
    for _ in range(300):
        text = rng.choice(["\n", "\r\n", "\r"]).join(rng.sample(lines, rng.randint(1, 6)))
        found = [line.text for line in split_lines(text)[0]]
        assert _run(found, monkeypatch, True, text=text) == _run(found, monkeypatch, False, text=text)


def test_kept_ftfy_answers_are_ftfy_answers(monkeypatch) -> None:
    """A line repaired with ftfy's answer kept from an earlier line is the line repaired afresh."""
    texts = INVENTED * 3 + TEXTS["random"][:500] * 2 + ["caf\u00c3\u00a9 " * 200] * 2  # the last too long to keep

    def each(fresh: bool) -> list[tuple[str, list[str]]]:
        repair_module._kept.cache_clear()
        with monkeypatch.context() as patch:
            if fresh:
                patch.setattr(repair_module, "_kept", repair_module._fixed)
            lines = [Line(no, text) for no, text in enumerate(texts, 1)]
            repair(lines)
        return [(line.text, line.changed_by) for line in lines]

    fresh = each(True)
    assert each(False) == fresh
    assert repair_module._kept.cache_info().hits > 0
    assert fresh[-1] == ("café " * 199 + "café", ("ftfy:encoding", "whitespace"))


def test_only_short_lines_answers_are_kept(monkeypatch) -> None:
    short, long = "caf\u00c3\u00a9", "caf\u00c3\u00a9 " * 100 + "caf\u00c3\u00a9"
    assert len(long) > repair_module._KEPT_CHARS >= len(short)
    given: list[str] = []
    real = repair_module._fix_and_explain
    repair_module._kept.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr(repair_module, "_fix_and_explain", lambda text, config: given.append(text) or real(text, config))
        lines = [Line(no, text) for no, text in enumerate([long, short, long, short], 1)]
        repair(lines)
    assert [line.text for line in lines] == ["café " * 100 + "café", "café"] * 2
    # the long line twice: its answer is not kept. (The repaired line's "é " reads as a lead byte
    # before an NBSP, but holds nothing ftfy's mojibake test could find: ftfy does not see it.)
    assert given == [long, short, long]


@needs_native
def test_the_gate_classes_are_read_exactly() -> None:
    assert _ranges("[\\U00000041-\\U0000005a\\U00000061\\U0010ffff]") == (
        (0x41, 0x5A),
        (0x61, 0x61),
        (0x10FFFF, 0x10FFFF),
    )
    assert _ranges("[a-z]") is None  # not as repair_gate writes it: the C gate is not used


@needs_native
def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        NATIVE.lines([b"bytes"], True, True)
    with pytest.raises(TypeError):
        NATIVE.normalize(b"bytes")
    with pytest.raises(ValueError):
        NATIVE.configure(((0, 0x110000),), (), ())
    try:
        with pytest.raises(RuntimeError):
            NATIVE.needs_repair("x", True)  # the failed configure left no classes
    finally:
        repair_module._native()  # the module's own configuration, witnesses included: later tests read it
    assert NATIVE.needs_repair("\x9d", True)
    # read by hand (METH_FASTCALL) as PyArg_ParseTuple's "Up|p" did: a str (or subclass), any truths
    assert NATIVE.needs_repair(_Sub("\x9d"), 1, [0]) == NATIVE.needs_repair("\x9d", True, True)
    assert NATIVE.needs_repair("x", 0, 0) == NATIVE.needs_repair("x", False, False)
    for args in [("x",), ("x", True, True, True), (b"x", True)]:
        with pytest.raises(TypeError):
            NATIVE.needs_repair(*args)
    with pytest.raises(ZeroDivisionError):
        NATIVE.needs_repair("x", True, _Untrue())


class _Sub(str):
    """A str subclass."""


@needs_native
def test_normalize_gives_a_str_as_python_does() -> None:
    # str.rstrip gives a str, a subclass's text copied (before: the subclass's own object)
    for text in ["plain", "caf\u00e9", "\U0001f600", ""]:
        for given in (text, _Sub(text)):
            assert type(NATIVE.normalize(given)) is type(normalize(given)) is str
            assert NATIVE.normalize(given) == normalize(given) == text
    text = "caf\u00e9"
    assert NATIVE.normalize(text) is text  # (a str unchanged is itself, as rstrip leaves it)
    for text in ["  ", "a\u00a0 ", "b\u200b"]:
        assert type(NATIVE.normalize(_Sub(text))) is str
        assert NATIVE.normalize(_Sub(text)) == normalize(_Sub(text))


# ---- the mojibake test before ftfy (repair._BAD, repair_gate.witnesses) ----


def _old_gate(text: str, entities: bool) -> bool:
    """The gate before the mojibake test: an entity, or a lead before a continuation or a space,
    or a control character (what let a line reach ftfy)."""
    parts = gate()
    if entities and "&" in text and "<" not in text and re.search(parts["entity"], text):
        return True
    return re.search(f"{parts['lead']}(?:{parts['cont']}| )|{parts['control']}", text) is not None


def _lines_of_every_kind() -> list[str]:
    return [t for name in ("invented", "seeds", "mojibake") for t in TEXTS[name]] + _mojibake_texts(100_000, 7)


def test_the_mojibake_test_says_yes_wherever_ftfys_does() -> None:
    """_BAD finds a witness in every text in which ftfy's own test (badness.is_bad) finds mojibake."""
    from ftfy.badness import is_bad

    bad = repair_module._patterns()[3]
    assert bad is not None
    texts = _lines_of_every_kind()
    missed = [t for t in texts if is_bad(t) and bad.search(t) is None]
    assert missed == []
    assert sum(map(is_bad, texts)) > 10_000  # (the alphabet does make mojibake)
    assert sum(bad.search(t) is not None for t in texts) < len(texts)  # (and is not all yes)


@pytest.mark.parametrize("entities", [True, False])
def test_a_line_the_mojibake_test_keeps_from_ftfy_is_one_ftfy_leaves_alone(entities: bool) -> None:
    """The lines the gate let through before and keeps from ftfy now: ftfy gives each back as it
    was, so repair()'s output is the same."""
    config = repair_module._config(entities)
    texts = [*_lines_of_every_kind(), "caf\u00e9 au lait", "Watch:\u00a0 this", "\u00a0 " * 40]
    skipped = [t for t in texts if _old_gate(t, entities) and not _needs_repair(t, entities)]
    assert len(skipped) > 1_000
    assert [t for t in skipped if ftfy.fix_and_explain(t, config).text != t] == []


def test_the_witnesses_are_ftfys_branches() -> None:
    """One pair for each branch of ftfy's pattern but its one-character branch (C1 controls)."""
    found = witnesses()
    assert found is not None
    assert found["single"] == [[0x80, 0x9F]]
    assert len(found["pairs"]) == 36
    assert [[[0x152, 0x153]], [[0, 0x40], [0x5B, 0x60], [0x7B, 0x10FFFF]]] in found["pairs"]  # [Œœ][^A-Za-z]
    assert [[[0x432, 0x432]], [[0x402, 0x402]]] in found["pairs"]  # вЂ


def test_an_unreadable_pattern_gives_no_witnesses(monkeypatch) -> None:
    import ftfy.badness

    # a branch that can match nothing, one with a group, one with a category (\\s) in its only pair,
    # not an alternation at all (the parser makes x|y one class)
    for pattern in [r"a*|b", r"ab|(c)", r"\sx|xy", r"x|y", r"xy"]:
        with monkeypatch.context() as patch:
            patch.setattr(ftfy.badness, "BADNESS_RE", re.compile(pattern))
            assert witnesses() is None
    with monkeypatch.context() as patch:
        patch.setattr(ftfy.badness, "BADNESS_RE", re.compile(r"xy|^q|\s?zw|[^a-z] [b-d]"))
        # (of [^a-z] then " " then [b-d], the pair with less ASCII in it)
        assert witnesses() == {
            "pairs": [[[[120, 120]], [[121, 121]]], [[[122, 122]], [[119, 119]]], [[[32, 32]], [[98, 100]]]],
            "single": [[113, 113]],
        }
        patch.setattr(ftfy.badness, "BADNESS_RE", re.compile(r"[\U00010000-\U00010005]a|b"))
        assert witnesses() is None  # a class that holds some astral characters only
        patch.setattr(ftfy.badness, "BADNESS_RE", re.compile(r"xy|b", re.IGNORECASE))
        assert witnesses() is None
    assert repair_module._witnesses("") is None
    assert repair_module._witnesses('{"pairs": [[[[0, 1114112]], [[1, 1]]]], "single": []}') is None


@needs_native
def test_without_witnesses_every_suspect_line_reaches_ftfy() -> None:
    classes = [_ranges(gate()[key]) for key in ("lead", "cont", "control")]
    try:
        NATIVE.configure(*classes)
        assert NATIVE.needs_repair("caf\u00e9 au lait", False)  # a lead before a space: maybe
        assert not NATIVE.needs_repair("caf\u00e9", False)
        assert not NATIVE.quiet("plain text")  # (nothing known)
        NATIVE.configure(*classes, repair_module._witnesses(gate()["bad"]))
        assert not NATIVE.needs_repair("caf\u00e9 au lait", False)
        assert NATIVE.quiet("plain text")
        assert not NATIVE.quiet("plain\x9d text")
        assert not NATIVE.quiet("caf\u00c3\u00a9")
        assert NATIVE.needs_repair("caf\u00c3\u00a9 au lait", False)
        one = ((1, 1),)  # a class of one character
        for bad in [
            (((((0x10001, 0x10FFFF),), one),), ()),  # only some astral characters
            (((((0, 0x10FFFE),), one),), ()),
            (((one, one),) * 65, ()),  # more pairs than a mask has bits
            (((((1, 0),), one),), ()),
            ("pairs", ()),
        ]:
            with pytest.raises((ValueError, TypeError)):
                NATIVE.configure(*classes, bad)
            with pytest.raises(RuntimeError):
                NATIVE.needs_repair("x", True)  # the failed configure left no classes
    finally:
        NATIVE.configure(*classes, repair_module._witnesses(gate()["bad"]))
    assert NATIVE.needs_repair("caf\u00c3\u00a9", False)


@needs_native
@pytest.mark.parametrize(
    "bad", ["", "null", '{"pairs": "x", "single": []}', '{"pairs": [[[[5, 1]], []]], "single": []}']
)
def test_witnesses_not_in_form_leave_ftfy_to_decide(bad: str, monkeypatch) -> None:
    """A cache entry whose witnesses are not in form (cut short, edited) does not stop the step:
    every line with a lead before a space goes to ftfy, as without the test."""
    try:
        with monkeypatch.context() as patch:
            patch.setattr(repair_module, "gate", lambda: {**gate(), "bad": bad})
            assert repair_module._native() is NATIVE
        assert NATIVE.needs_repair("caf\u00e9 au lait", False)
    finally:
        repair_module._native()
    assert not NATIVE.needs_repair("caf\u00e9 au lait", False)


@needs_native
def test_witnesses_past_u_ffff_are_read_as_one_class() -> None:
    """A class that holds every astral character (as [^A-Za-z] does) matches each of them in C."""
    # (each after a lead before a space, which lets it past the first gate)
    ends = ["\u0153\U0001f600", "\u0153a", "\u0153\U0010ffff", "\U0001f600\u0153", "x\u0153 ", "\uffff\u0153"]
    texts = ["caf\u00e9 " + end for end in ends]
    assert [NATIVE.needs_repair(t, False) for t in texts] == [_needs_repair(t, False) for t in texts]
    assert [_needs_repair(t, False) for t in texts] == [True, False, True, False, True, False]


# ---- lines whose one fault is their entities (repair._entities_only) ----

ENTITIES = [
    *["&amp;", "&#39;", "&lt;", "&gt;", "&amp;lt;", "&amp;amp;", "&eacute;", "&EACUTE;", "&nTILDE;", "&nbsp;"],
    *["&#128;", "&#x2019;", "&#0;", "&#27;", "&#xd800;", "&#x1F600;", "&#99999999;", "&hellip;", "&Atilde;&copy;"],
    *["&", ";", "<", " ", "word"],
]


def _entity_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = ENTITIES * 4 + MOJIBAKE[:: max(1, len(MOJIBAKE) // 60)] + PIECES[:: max(1, len(PIECES) // 40)]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def test_a_line_of_entities_only_gets_ftfys_answer() -> None:
    """Where the short way answers, its text and label are ftfy's; elsewhere it leaves ftfy to it."""
    config = repair_module._config(True)
    texts = [*INVENTED, *_entity_texts(20_000, 8)]
    answered = 0
    for text in texts:
        quick = repair_module._entities_only(text, True)
        if quick is not None:
            answered += 1
            fixed, steps = ftfy.fix_and_explain(text, config)
            assert (quick, steps) == (fixed, [("apply", "unescape_html")]), text
    assert answered > 3_000
    assert repair_module._entities_only("Tom &amp; Jerry", False) is None  # (entities off)
    assert repair_module._fixed("Tom &amp; Jerry", True) == ("Tom & Jerry", "ftfy:html")
    assert repair_module._fixed("Tom &amp; caf\u00c3\u00a9", True) == ("Tom & café", "ftfy:html+ftfy:encoding")


def test_unescape_is_ftfys() -> None:
    """repair._unescape (ftfy's table, kept with the gate, and unescape_entity) is ftfy's
    unescape_html, on entity texts and every named reference in upper, lower and mixed case."""
    from ftfy import chardata
    from ftfy.fixes import unescape_html

    names = [name for name in chardata.HTML_ENTITIES] + [name.swapcase() for name in list(chardata.HTML_ENTITIES)[::7]]
    texts = [
        *INVENTED,
        *_entity_texts(20_000, 12),
        *names,
        " ".join(names),
        "&#" + "9" * 30 + ";",
        "&#x" + "f" * 21 + ";",
    ]
    texts += [f"&#{n};" for n in (0, 9, 13, 127, 128, 159, 160, 0xD800, 0xFFFF, 0x10FFFF, 0x110000)]
    texts += [f"&#x{n:x};" for n in (0, 0x80, 0x9F, 0xDFFF, 0x110000)]
    expected = [unescape_html(t) for t in texts]
    assert [repair_module._unescape(t) for t in texts] == expected
    assert [repair_module._unescape(t) for t in texts] == expected  # (again: each entity's kept answer)
    assert repair_module._entity_parts() is not None  # (ftfy's own used only when the probes differ)


@needs_native
@pytest.mark.parametrize("name", list(TEXTS))
def test_c_quiet_is_the_python_one(name: str, monkeypatch) -> None:
    texts = [*TEXTS[name], *(_entity_texts(2_000, 9) if name == "invented" else [])]
    found = [NATIVE.quiet(t) for t in texts]
    with monkeypatch.context() as patch:
        patch.setattr(repair_module, "_NATIVE", None)
        assert found == [repair_module._quiet(t) for t in texts]


# ---- the step with ftfy's mojibake test is the step as it was without it ----


def _documents(count: int, seed: int) -> list[str]:
    """Documents of lines of every kind: leads before spaces with and without mojibake, entities,
    control characters, and lines with a '<' (which turns the entity fix off for a document
    whose gate does not open on another line)."""
    rng = random.Random(seed)
    kinds = [
        TEXTS["random"],
        TEXTS["mojibake"],
        _entity_texts(2_000, seed),
        ["caf\u00e9 au lait", "Watch:\u00a0 this", "a <b> tag", "x < y", "Tom &amp; Jerry", "it&#39;s", "plain"],
    ]
    docs = []
    for _ in range(count):
        lines = [rng.choice(rng.choice(kinds)) for _ in range(rng.randint(1, 6))]
        docs.append(rng.choice(["\n", "\r\n", "\r"]).join(lines))
    return docs


def _repaired(docs: list[str], monkeypatch, use_c: bool, witnesses: bool, entities: bool) -> list[list[tuple]]:
    classes = [_ranges(gate()[key]) for key in ("lead", "cont", "control")]
    real = repair_module._patterns()
    out = []
    try:
        with monkeypatch.context() as patch:
            patch.setattr(repair_module, "_NATIVE", NATIVE if use_c else None)
            if not witnesses:  # the gate as it was: no mojibake test, every suspect line to ftfy
                patch.setattr(repair_module, "_patterns", lambda: (*real[:3], None))
                if use_c:
                    NATIVE.configure(*classes)
            repair_module._kept.cache_clear()
            for doc in docs:
                lines = split_lines(doc)[0]
                repair(lines, unescape_html=entities, text=doc)
                out.append([(line.text, line.changed_by) for line in lines])
    finally:
        if use_c:
            repair_module._native()
        repair_module._kept.cache_clear()
    return out


@pytest.mark.parametrize("entities", [True, False])
@pytest.mark.parametrize("use_c", [False, True], ids=["python", "c"])
def test_the_step_is_the_step_without_the_mojibake_test(use_c: bool, entities: bool, monkeypatch) -> None:
    """Each document's lines, texts and labels, as they were before ftfy's mojibake test kept
    lines from ftfy (a document whose only suspects are leads with no witness, and a '<' on one
    line and an entity on another, still has its entity fixed)."""
    if use_c and NATIVE is None:
        pytest.skip("CLEANER_NATIVE=off")
    docs = [*_documents(1_500, 10), "caf\u00e9 au lait\na <b> tag\nTom &amp; Jerry"]
    before = _repaired(docs, monkeypatch, use_c, False, entities)
    assert _repaired(docs, monkeypatch, use_c, True, entities) == before
    if entities:
        assert before[-1][2] == ("Tom & Jerry", ("ftfy:html",))


@pytest.mark.parametrize("use_c", [True, False], ids=["c", "python"])
def test_the_separators_within_a_line_are_spaces_not_glue(use_c: bool, monkeypatch) -> None:
    """FS, GS, RS and US (U+001C-U+001F) between two words each become a space, labelled
    ``whitespace``, in C as in Python, with the encoding repair on or off: ftfy drops them as
    control characters, and US (the unit separator) went to it, "a\\x1fb" coming out "ab"."""
    if use_c and NATIVE is None:
        pytest.skip("CLEANER_NATIVE=off")
    doc = "a\x1cb\na\x1db\na\x1eb\na\x1fb\nunit\x1fseparator\x1f"
    want = [("a b", ("whitespace",))] * 4 + [("unit separator", ("whitespace",))]
    with monkeypatch.context() as patch:
        patch.setattr(repair_module, "_NATIVE", NATIVE if use_c else None)
        for enabled in (True, False):
            lines = split_lines(doc)[0]
            repair(lines, enabled=enabled, text=doc)
            assert [(line.text, line.changed_by) for line in lines] == want
            lines = split_lines(doc)[0]
            repair(lines, enabled=enabled)  # (no document text: each line looked at)
            assert [(line.text, line.changed_by) for line in lines] == want
    assert "\x1f" in BREAKS and has_breaks("a\x1fb") and normalize("a\x1fb") == "a b"
    if NATIVE is not None:
        # (the SSE2 blocks, of 1-byte and 2-byte texts)
        assert NATIVE.breaks("a\x1fb" * 9) and NATIVE.breaks("\u20ac" + "a\x1fb" * 9)
        assert NATIVE.normalize("a\x1fb") == "a b"


def _broken(text: str, rng: random.Random) -> str:
    """``text`` with some of its spaces, and some places between two characters, made line breaks
    (whitespace.BREAKS)."""
    out = []
    for char in text:
        if (char == " " and rng.random() < 0.5) or rng.random() < 0.05:
            out.append(rng.choice(BREAKS) + ("" if char == " " else char))
        else:
            out.append(char)
    return "".join(out)


@pytest.mark.parametrize("entities", [True, False])
@pytest.mark.parametrize("use_c", [True, False], ids=["c", "python"])
def test_a_document_with_breaks_is_repaired_as_one_with_spaces(use_c: bool, entities: bool, monkeypatch) -> None:
    """The line breaks within lines (VT, FF, U+2028...) are spaces before ftfy or a gate sees them:
    a document is repaired as the same document with spaces in their place (the same texts, the
    same lines given to ftfy, none holding a break; a line that held one is a whitespace repair
    too), and with C as in Python. So a break is never what opens the document's gate: a document
    with a '<' has its entities left alone, as before with a space there, though a vertical tab
    is a control character to ftfy."""
    if use_c and NATIVE is None:
        pytest.skip("CLEANER_NATIVE=off")
    rng = random.Random(21)
    kinds = [TEXTS["random"], TEXTS["mojibake"], INVENTED, ["a <b> tag", "Tom &amp; Jerry", "caf\u00e9 au lait", "x"]]
    docs = ["Hello\x0bworld\na <b> tag\nTom &amp; Jerry"]
    for _ in range(400):
        lines = [_broken(rng.choice(rng.choice(kinds)), rng) for _ in range(rng.randint(1, 6))]
        docs.append(rng.choice(["\n", "\r\n", "\r"]).join(lines))
    broke = 0
    for doc in docs:
        found = [line.text for line in split_lines(doc)[0]]
        options = {"text": doc, "unescape_html": entities}
        (got, given) = _run(found, monkeypatch, use_c, **options)
        (want, want_given) = _run([spaced(t) for t in found], monkeypatch, False, **{**options, "text": spaced(doc)})
        assert [t for t, _, _ in got] == [t for t, _, _ in want]
        assert [b for _, _, b in got] == [b for _, _, b in want]
        for (_, labels, _), (_, labels_then, _), before in zip(got, want, found, strict=True):
            assert set(labels) == set(labels_then) | ({"whitespace"} if has_breaks(before) else set())
        assert given == want_given
        assert not any(has_breaks(t) for t in given)
        assert not any(has_breaks(t) or "\x85" in t for t, _, _ in got)
        broke += any(has_breaks(t) for t in found)
    assert broke > 300
    first = [line.text for line in split_lines(docs[0])[0]]
    repaired, _ = _run(first, monkeypatch, use_c, text=docs[0])
    assert [t for t, _, _ in repaired] == ["Hello world", "a <b> tag", "Tom &amp; Jerry"]


@needs_native
def test_documents_whose_lines_are_not_their_text_with_c_are_in_python(monkeypatch) -> None:
    """A page's lines are not cut from the document's text (extraction, selectors): the document's
    gates decide from the text alone, the lines' own scans from theirs, and C gives what Python does."""
    rng = random.Random(5)
    kinds = [TEXTS["random"], TEXTS["mojibake"], ["caf\u00e9 au lait", "a <b> tag", "Tom &amp; Jerry", "plain", "x "]]
    for _ in range(400):
        found = [rng.choice(rng.choice(kinds)) for _ in range(rng.randint(0, 5))]
        text = rng.choice(["", "plain", "a <b>", "trailing \nspace", "caf\u00e9 au lait", "Ã©t\u00e9", *found])
        for entities in (True, False):
            for enabled in (True, False):
                options = {"text": text, "unescape_html": entities, "enabled": enabled}
                assert _run(found, monkeypatch, True, **options) == _run(found, monkeypatch, False, **options)


@needs_native
def test_plan_holds_the_lines_and_refuses_bad_ones() -> None:
    class Odd:
        @property
        def text(self) -> str:
            held.clear()  # (the lines are held for the call)
            return "x\u00a0"

    held = [Odd(), Odd()]
    assert NATIVE.plan(held, "", False, True) == (False, [(0, "x"), (1, "x")])
    assert NATIVE.plan([], "", True, True) == (True, [])
    assert NATIVE.plan([Line(1, "clean")], "dirty ", True, True) == (False, [])
    assert NATIVE.plan([Line(1, "dirty ")], "clean", True, True) == (False, [])  # (the document says no)
    assert NATIVE.plan([object()], "clean", True, True) == (False, [])  # (nor are the lines read)
    assert NATIVE.plan([Line(1, "dirty ")], "dirty ", True, True) == (False, [(0, "dirty")])
    assert NATIVE.plan([Line(1, "caf\u00e9 Ã©")], "Ã©", True, True) == (True, [(0, None)])
    assert NATIVE.plan([Line(1, "caf\u00e9 Ã©")], "plain ", True, True) == (False, [])
    with pytest.raises(AttributeError):
        NATIVE.plan([Line(1, "a"), object()], "", True, True)
    line = Line(1, "a")
    line.text = b"a"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        NATIVE.plan([line], "", True, True)
    with pytest.raises(TypeError):
        NATIVE.plan((Line(1, "a"),), "", True, True)


@needs_native
def test_repair_lines_changes_the_whitespace_lines_as_line_change_does() -> None:
    calls = []

    class Own(Line):
        __slots__ = ()

        def change(self, new_text: str, label: str) -> None:
            calls.append((self.no, new_text, label))

    lines = [Line(1, "dirty \u00a0"), Own(2, "mine "), Line(3, "clean"), Line(4, "caf\u00e9 Ã© "), Line(5, " \u00a0")]
    lines += [Line(6, "listed "), Line(7, "shared ")]
    lines[0].changed_by = ("ws",)
    lines[5].changed_by = ["old"]  # type: ignore[assignment]  # (a list set by hand: appended to)
    lines[6].changed_by = lines[2].changed_by = ("old",)  # (one tuple on two lines: the change on one only)
    enabled, rounds = NATIVE.repair_lines(lines, "", True, True, "ws", Line)
    assert (enabled, rounds) == (True, [3])
    assert calls == [(2, "mine", "ws")]
    assert [(line.text, line.changed_by, line.blank) for line in lines] == [
        ("dirty", ("ws",), False),  # (the label once)
        ("mine ", (), False),  # (its own change, which did nothing)
        ("clean", ("old",), False),
        ("caf\u00e9 Ã© ", (), False),  # (left for the rounds)
        ("", ("ws",), True),
        ("listed", ["old", "ws"], False),
        ("shared", ("old", "ws"), False),
    ]
    # (a line's first label is a tuple kept from one line to the next: another label, another tuple)
    again = [Line(8, "next "), Line(9, "more\u00a0")]
    assert NATIVE.repair_lines(again, "", True, True, "other", Line) == (True, [])
    assert [line.changed_by for line in again] == [("other",), ("other",)]
    with pytest.raises(TypeError):
        NATIVE.repair_lines(lines, "", True, True, "ws", None)
    assert NATIVE.repair_lines([], "", True, True, "ws", Line) == (True, [])


class _Untrue:
    def __bool__(self) -> bool:
        raise ZeroDivisionError


@needs_native
def test_c_repair_lines_reads_its_arguments_as_the_format_did() -> None:
    """repair_lines reads its arguments by hand (METH_FASTCALL) as PyArg_ParseTuple's "O!UppUO!"
    did, in order: a list, a str, two truths of any object, a str and a type."""
    lines = [Line(1, "dirty \u00a0"), Line(2, "clean")]
    assert NATIVE.repair_lines(type("Rows", (list,), {})(lines), "", 1, [1], "ws", Line) == (True, [])
    assert lines[0].text == "dirty"
    assert NATIVE.repair_lines([], "x", "", None, "ws", Line) == (False, [])
    for bad, error in [
        (((), "", True, True, "ws", Line), TypeError),
        (([], b"", True, True, "ws", Line), TypeError),
        (([], "", True, True, None, Line), TypeError),
        (([], "", True, True, "ws", "Line"), TypeError),
        (([], "", _Untrue(), True, "ws", None), ZeroDivisionError),  # (before the later type)
        (([], "", True, _Untrue(), "ws", Line), ZeroDivisionError),
        (([], "", True, True, "ws"), TypeError),
        (([], "", True, True, "ws", Line, None), TypeError),
    ]:
        with pytest.raises(error):
            NATIVE.repair_lines(*bad)


@needs_native
def test_repair_lines_reads_and_writes_a_line_the_generic_way_when_its_class_asks() -> None:
    """repair_lines writes a Line's slots directly; a line class that reads (or writes) its
    attributes its own way gets its __getattribute__ (__setattr__) run instead."""
    seen: list[str] = []

    class Watched(Line):
        __slots__ = ()

        def __getattribute__(self, name: str) -> object:
            seen.append(f"get {name}")
            return object.__getattribute__(self, name)

        def __setattr__(self, name: str, value: object) -> None:
            seen.append(f"set {name}")
            object.__setattr__(self, name, value)

    lines = [Watched(1, "dirty \u00a0"), Watched(2, "clean")]
    seen.clear()
    assert NATIVE.repair_lines(lines, "", True, True, "ws", Watched) == (True, [])
    assert seen == ["get text", "get text", "get text", "set text", "set blank", "get changed_by", "set changed_by"]
    assert [(line.text, line.changed_by, line.blank) for line in lines] == [
        ("dirty", ("ws",), False),
        ("clean", (), False),
    ]


@needs_native
def test_the_gate_skips_printable_ascii_by_blocks_and_misses_nothing() -> None:
    """The C gate passes over runs of printable ASCII (16 bytes at once with SSE2) without looking
    each character up: a suspect at every offset of the first two blocks (a lead at a block's end,
    its continuation or space in the next), in texts of 1, 2 and 4 bytes a character, is found as
    the Python gate finds it; and so is its absence."""
    suspects = ["Ã©", "Ã ", "\u00c3\u00a0", "\x1b", "\x7f", "\x1f", "\x85", "&amp;", "Ã", "©", "\u00e9x"]
    widths = ["", "\u0100", "\U0001f600"]  # (a character that makes the text 2 or 4 bytes wide)
    texts = [
        before + suspect + after + wide
        for suspect in suspects
        for wide in widths
        for before in ("~" * k for k in range(36))
        for after in ("", " ", "x" * 9, " ~ ")
    ]
    texts += ["p" * k + wide for k in range(40) for wide in widths]
    for entities in (True, False):
        for witness in (True, False):
            got = [NATIVE.needs_repair(text, entities, witness) for text in texts]
            assert got == [_needs_repair(text, entities, witness) for text in texts]
    assert any(NATIVE.needs_repair(text, False, False) for text in texts)
    assert not any(NATIVE.needs_repair("p" * k + wide, True) for k in range(40) for wide in widths)


@needs_native
def test_normalize_finds_an_odd_space_at_every_offset_of_a_block() -> None:
    """The C normalize and needs_whitespace pass over runs of printable ASCII (16 bytes or eight
    2-byte characters at once with SSE2), in which no odd character is: an odd space, invisible
    mark or line break (VT, FF, FS, GS, RS, NEL, U+2028, U+2029) at any offset of the first two
    blocks, or none, or a character that is none of them (\\x1f, \\x7f, a tab), in texts of 1,
    2 and 4 bytes a character, gives the Python text."""
    odd = [*"\u00a0\u1680\u2000\u200a\u200b\u202f\u205f\u2060\ufeff\u009f\u00ff\x85", *BREAKS]
    odd += ["\x1f", "\x7f", "\t", "\x0a\x0b", "\u2027", "\u202a"]
    texts = [
        "x" * k + mark + tail + wide
        for mark in odd
        for k in range(36)
        for tail in ("", " ", "abc", "abcdefgh ")
        for wide in ("", "\u00e9", "\u0100", "\U0001f600")
    ]
    texts += ["x" * k + wide + "y" * j for k in range(18) for j in range(18) for wide in ("\u00e9", "\u0100")]
    assert [NATIVE.normalize(text) for text in texts] == [normalize(text) for text in texts]
    assert [NATIVE.needs_whitespace(text) for text in texts] == [needs_whitespace(text) for text in texts]
    assert sum(NATIVE.normalize(text) != text for text in texts) > len(texts) // 2


@needs_native
def test_c_breaks_is_the_python_one() -> None:
    """NATIVE.breaks (which the repair step asks of each document) is whitespace.has_breaks: on
    every kind of text, and with each break (and each character beside one) at every offset of
    the printable runs the C half passes over, in texts of 1, 2 and 4 bytes a character."""
    texts = [t for name in TEXTS for t in TEXTS[name]]
    texts += [
        "x" * k + mark + tail + wide
        for mark in [*BREAKS, "\x0a", "\x0d", "\x1b", "\x1f", "\x85", "\u2027", "\u202a", "\u00a0"]
        for k in range(36)
        for tail in ("", "abc")
        for wide in ("", "\u00e9", "\u0100", "\U0001f600")
    ]
    found = [has_breaks(t) for t in texts]
    assert [NATIVE.breaks(t) for t in texts] == found
    assert 1_000 < sum(found) < len(found) // 2
    with pytest.raises(TypeError):
        NATIVE.breaks(b"\x0b")


@needs_native
def test_normalize_rebuilds_a_text_of_many_odd_characters_as_python_does() -> None:
    """The C rebuild copies a 1-byte text whole and makes each U+00A0 a space, and copies a 2-byte
    text's runs below U+0080 a block at once to where the text so far has shrunk (an invisible
    mark goes): several odd characters at every pair of offsets, between runs of every length
    up to two blocks, give the Python text."""
    marks = ["\u00a0", "\u200b", "\ufeff", "\u2003", "\u0100", "\u00e9"]
    texts = [
        "a" * j + m1 + "b" * k + m2 + "c" * (j + k) + m1 + " "
        for m1 in marks
        for m2 in marks
        for j in range(18)
        for k in range(18)
    ]
    texts += ["\u00a0" * k + "\u00e9" + "x \u00a0" * j for k in range(4) for j in range(6)]
    assert [NATIVE.normalize(text) for text in texts] == [normalize(text) for text in texts]
    assert sum(NATIVE.normalize(text) != text for text in texts) > len(texts) // 2


@needs_native
def test_a_control_character_after_a_lead_is_found_at_every_offset() -> None:
    """After a lead, the C gate looks for a control character from the lead on, passing over runs
    of printable ASCII (a block at once): a control character before, at or after every offset
    of the blocks around the lead, in texts of each width, gives the Python gate's and quiet's
    answers."""
    _, _, control, _ = repair_module._patterns()
    texts = [
        f"{'a' * i}{lead}{'b' * j}{mark}{'c' * k}{wide}"
        for lead in ("\u00c3\u00a9", "\u00e9 ", "\u00e9")
        for mark in ("\x9d", "\x00", "\x7f", "", "\u00a9")
        for wide in ("", "\u0100", "\U0001f600")
        for i in (0, 5, 17)
        for j in range(18)
        for k in (0, 1, 9)
    ]
    texts += [
        f"{'a' * i}\x9d{'b' * j}\u00c3\u00a9{wide}" for i in range(18) for j in (0, 3, 20) for wide in ("", "\u0100")
    ]
    for witness in (True, False):
        assert [NATIVE.needs_repair(t, False, witness) for t in texts] == [
            _needs_repair(t, False, witness) for t in texts
        ]
    assert [NATIVE.control(t) for t in texts] == [control.search(t) is not None for t in texts]
    assert [NATIVE.quiet(t) for t in texts] == [repair_module._quiet(t) for t in texts]
    assert sum(NATIVE.control(t) for t in texts) > len(texts) // 3


@needs_native
def test_a_witness_is_found_at_every_offset_of_the_printable_runs(monkeypatch) -> None:
    """The C witness test passes over runs of printable ASCII (a block at once; ftfy's witnesses
    hold none): a witness alone or as a pair at every offset of the first blocks, in texts of each
    width, gives the Python answer; and given a witness that is printable ASCII, it looks at each
    character again."""
    witnesses = ("\u00c3\u00a9", "\u00e2\u20ac", "\ufffd", "\u00ce\u00b1", "\u00e9", "\u00c3", "")
    texts = [
        f"{'a' * i}{mark}{'b' * j}{wide}"
        for mark in witnesses
        for wide in ("", "\u0100", "\U0001f600")
        for i in range(34)
        for j in (0, 1, 17)
    ]
    found = [NATIVE.quiet(t) for t in texts]
    with monkeypatch.context() as patch:
        patch.setattr(repair_module, "_NATIVE", None)
        assert found == [repair_module._quiet(t) for t in texts]
    assert 0 < sum(found) < len(found)
    classes = [_ranges(gate()[key]) for key in ("lead", "cont", "control")]
    try:
        NATIVE.configure(*classes, ((((((0x61, 0x61),), ((0x62, 0x62),)),), ((0x7A, 0x7A),))))
        for k in range(34):
            assert not NATIVE.quiet("x" * k + "ab" + "x" * k)  # ("ab": a pair)
            assert not NATIVE.quiet("x" * k + "z" + "x" * k)  # ("z": alone)
            assert NATIVE.quiet("x" * k + "ba" + "x" * k)
    finally:
        NATIVE.configure(*classes, repair_module._witnesses(gate()["bad"]))
    assert [NATIVE.quiet(t) for t in texts] == found


@needs_native
def test_every_bmp_character_is_read_as_the_python_gate_and_whitespace_read_it() -> None:
    """Each code point below U+10000 after a run of printable ASCII (passed over in C) and before
    a space: the gate's answer and the whitespace step's text are the Python ones."""
    texts = ["x" * 17 + chr(point) + " y" for point in range(0x10000)]
    # (and each odd character, twice, in texts of 1, 2 and 4 bytes a character, with trailing space)
    odd = [text[17] for text in texts if normalize(text) != text]
    texts += [f"a{mark}b{mark} \u00e9{wide}{mark} " for mark in odd for wide in ("", "\u0100", "\U0001f600")]
    assert [NATIVE.normalize(text) for text in texts] == [normalize(text) for text in texts]
    for entities in (True, False):
        assert [NATIVE.needs_repair(t, entities, False) for t in texts] == [
            _needs_repair(t, entities, False) for t in texts
        ]
