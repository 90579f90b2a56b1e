"""The repair step's C half (cleaner/steps/_repair.c) against the Python it stands in for: the
same gate answer, the same whitespace, the same lines given to ftfy, and the same text and
labels on every line after repair(), on invented lines, the seeds and random strings over an
alphabet chosen to hit every branch; and that it is built at all (CI has a C compiler: a build
that silently failed would leave every run on the slow path)."""

from __future__ import annotations

import random
from pathlib import Path

import ftfy
import pytest

from cleaner import native
from cleaner.document import Line
from cleaner.pipeline.clean import split_lines
from cleaner.steps import repair as repair_module
from cleaner.steps.repair import _needs_repair, _ranges, repair
from cleaner.steps.repair_gate import gate
from cleaner.steps.whitespace import needs_whitespace, normalize

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
    *"aZ09 ;#&<>\t\r\x0b\x0c\x1b\x1c\x1f\x7f\x85\x9d\u00a0\u00a1\u00ad\u00c3\u00e2\u00a9",
    *"\u1680\u1681\u1fff\u2000\u2005\u200a\u200b\u200c\u2028\u2029\u202f\u205f\u2060\u2061\u206a\u3000",
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


TEXTS = {
    "invented": INVENTED,
    "seeds": _seed_lines(),
    "random": _random_texts(20_000, 1),
    "random-long": _random_texts(2_000, 2, 60),
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
    real = ftfy.fix_and_explain

    def recording(text: str, *args: object, **kwargs: object) -> object:
        given.append(text)
        return real(text, *args, **kwargs)

    repair_module._kept.cache_clear()  # each run gives ftfy each distinct line once
    with monkeypatch.context() as patch:
        patch.setattr(ftfy, "fix_and_explain", recording)
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
    assert fresh[-1] == ("café " * 199 + "café", ["ftfy:encoding", "whitespace"])


def test_only_short_lines_answers_are_kept(monkeypatch) -> None:
    short, long = "caf\u00c3\u00a9", "caf\u00c3\u00a9 " * 100 + "caf\u00c3\u00a9"
    assert len(long) > repair_module._KEPT_CHARS >= len(short)
    given: list[str] = []
    real = ftfy.fix_and_explain
    repair_module._kept.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr(ftfy, "fix_and_explain", lambda text, config: given.append(text) or real(text, config))
        lines = [Line(no, text) for no, text in enumerate([long, short, long, short], 1)]
        repair(lines)
    assert [line.text for line in lines] == ["café " * 100 + "café", "café"] * 2
    # the repaired line passes the gate again (é before a space reads as a lead byte before an NBSP)
    assert given == [long, "café " * 100 + "café", short, long, "café " * 100 + "café"]


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
        NATIVE.configure(*(_ranges(gate()[key]) for key in ("lead", "cont", "control")))
    assert NATIVE.needs_repair("\x9d", True)


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
