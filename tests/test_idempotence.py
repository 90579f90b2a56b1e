"""Determinism and idempotence on generated documents made of content and boilerplate lines."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.rules.book import RuleBook

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = Pipeline(RuleBook.load([ROOT / "rules"]))
SEED_LINES = sorted(
    {line for path in (ROOT / "seeds").glob("*.txt") for line in path.read_text(encoding="utf-8").split("\n")}
)
NOISE = ["", " ", "\u00a0", "donâ€™t panic", "Tom &amp; Jerry", "- Joined", "- 12", "SEE ALSO: More news", "  x  "]

documents = st.lists(st.sampled_from(SEED_LINES + NOISE) | st.text(max_size=40), max_size=40).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_cleaning_is_idempotent(text: str) -> None:
    once = PIPELINE.clean(Document("d", text, "d")).text
    twice = PIPELINE.clean(Document("d", once, "d")).text
    assert twice == once


@settings(max_examples=100, deadline=None)
@given(documents)
def test_cleaning_is_deterministic(text: str) -> None:
    first = PIPELINE.clean(Document("d", text, "d")).record()
    second = PIPELINE.clean(Document("d", text, "d")).record()
    assert first == second
