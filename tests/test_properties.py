"""Properties of cleaning arbitrary Unicode text with the shipped rules."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.document import Document
from cleaner.pipeline import Pipeline, split_lines
from cleaner.rules.book import RuleBook
from cleaner.steps.repair import repair

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = Pipeline(RuleBook.load([ROOT / "rules"]))
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400) | st.lists(
    st.sampled_from(["See also  A headline", "Source: AFP", "- Joined", "- 1", "Advertisement", "donâ€™t", " ", ""])
    | st.text(max_size=30),
    max_size=30,
).map("\n".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _visible(text: str) -> int:
    return sum(not c.isspace() for c in text)


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(line == candidate for candidate in it) for line in small)


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
