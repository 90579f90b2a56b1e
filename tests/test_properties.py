"""Properties of cleaning arbitrary Unicode text with the shipped rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.document import Document
from cleaner.pipeline import Pipeline, Settings, clean, split_lines
from cleaner.rules.book import RuleBook
from cleaner.steps.base import State
from cleaner.steps.repair import repair
from cleaner.steps.whitespace import BREAKS, has_breaks, spaced

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = Pipeline(RuleBook.load([ROOT / "rules"]))
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400) | st.lists(
    st.sampled_from(["See also  A headline", "Source: AFP", "- Joined", "- 1", "Advertisement", "donâ€™t", " ", ""])
    | st.text(max_size=30),
    max_size=30,
).map("\n".join)
# derandomize: the same examples every run, so CI is red only for a change, never by the draw (a
# random search found PEELED once in many runs; it is kept below as a test of its own).
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _visible(text: str) -> int:
    return sum(not c.isspace() for c in text)


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(line == candidate for candidate in it) for line in small)


# Found by test_never_raises_and_is_idempotent (see the xfail test below).
PEELED = "D\nSOURCE:0\n0:\n0\U00018cd60:A:A\n0A\n:\n\u00a1\n0:0\t0\u00d70\n0A\n:\n00000\n0000"


@SETTINGS
@given(texts)
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = PIPELINE.clean(Document("d", text, "d")).text
    assert PIPELINE.clean(Document("d", once, "d")).text == once


@SETTINGS
@given(texts)
def test_output_is_input_lines_in_order_and_never_longer(text: str) -> None:
    # The layout adds blank lines between paragraphs, so "longer" counts visible characters.
    lines, _ = split_lines(text)
    repair(lines)
    repaired = [line.text for line in lines]
    out = PIPELINE.clean(Document("d", text, "d")).text
    assert _visible(out) <= _visible("\n".join(repaired))
    assert _is_subsequence([line for line in out.split("\n") if line], repaired)


# Text with line breaks within its lines (VT, FF, FS, GS, RS, U+2028, U+2029) and NEL, beside
# words, spaces, NBSPs, tabs, mojibake and whatever else.
broken_texts = st.lists(
    st.sampled_from([*BREAKS, "\x85", " ", "\u00a0", "\t", "\n", "word", "donâ€™t", "CafÃ", "&amp;", "<b>"])
    | st.text(max_size=8),
    max_size=40,
).map("".join)


@SETTINGS
@given(broken_texts)
def test_a_line_break_within_a_line_is_cleaned_as_a_space(text: str) -> None:
    """Cleaning a text with breaks within its lines gives what the text with spaces there gives,
    holds none of them, and cleaning it again changes nothing."""
    once = PIPELINE.clean(Document("d", text, "d")).text
    assert once == PIPELINE.clean(Document("d", spaced(text), "d")).text
    assert not has_breaks(once) and "\x85" not in once
    assert PIPELINE.clean(Document("d", once, "d")).text == once


separators = st.sampled_from([*BREAKS, " ", "\t", "\u00a0", "\u2003"])


@SETTINGS
@given(st.lists(st.lists(st.tuples(st.from_regex("[A-Za-z0-9.,]{1,8}", fullmatch=True), separators)), max_size=5))
def test_words_either_side_of_a_break_stay_apart(lines: list[list[tuple[str, str]]]) -> None:
    """Words of a line, however they are separated (a space, tab, NBSP or any line break), are the
    same words after the repair step, with or without ftfy: none glued to the next, none cut."""
    text = "\n".join("".join(word + sep for word, sep in line) for line in lines)
    for enabled in (True, False):
        found, _ = split_lines(text)
        words = [line.text.split() for line in found]
        repair(found, enabled=enabled, text=text)
        assert [line.text.split() for line in found] == words
        assert not any(has_breaks(line.text) for line in found)


def test_a_document_peeled_past_max_rounds_is_cleaned_once_and_for_all() -> None:
    """The classifier peels the short lines at the end one a round (each that goes makes the next
    the last): here nine rounds, one more than MAX_ROUNDS. The rounds go on to the fixed point, so
    "SOURCE:0" (then in the last 3 lines) goes in the first cleaning, not in a second."""
    once = PIPELINE.clean(Document("d", PEELED, "d")).text
    assert once == "D\n\n0:\n\n0\U00018cd60:A:A\n"
    assert PIPELINE.clean(Document("d", once, "d")).text == once


class _PeelLast:
    """A step that drops the last live line in every round (one is left): a document of n lines
    needs n rounds to reach its fixed point."""

    name = "test-peel"

    def __call__(self, state: State) -> None:
        live = [line for line in state.lines if line.alive]
        if len(live) > 1:
            live[-1].drop("test.peel")

    def again(self, state: State) -> bool:
        return True


def _peeled(lines: int) -> str:
    pipeline = Pipeline(RuleBook.load([ROOT / "rules"]), Settings(classify=False, dedup=False))
    pipeline.rounds.append(_PeelLast())
    return pipeline.clean(Document("d", "\n".join(f"line {i}" for i in range(lines)), "d")).text


def test_the_rounds_go_past_max_rounds_to_the_fixed_point() -> None:
    assert _peeled(30) == "line 0\n"


def test_past_max_rounds_the_rounds_stop_at_the_line_visit_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 lines, then 29, 28...: after 8 rounds 212 visits. A budget of 250 lets the 9th round
    # (at 234) and the 10th (at 255) run, and no more: 20 lines are left.
    monkeypatch.setattr(clean, "MAX_LINE_VISITS", 250)
    assert _peeled(30) == "\n\n".join(f"line {i}" for i in range(20)) + "\n"
