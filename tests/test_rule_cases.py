"""One pytest case per test case in the rule files: `pytest -k links.see-also` runs one rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaner.pipeline import Pipeline
from cleaner.pipeline.cases import CaseRef, cases, run_all, run_case
from cleaner.rules.book import RuleBook

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = Pipeline(RuleBook.load([ROOT / "rules"]))
REFS = list(cases(PIPELINE))


@pytest.mark.parametrize("ref", REFS, ids=[f"{ref.rule.id}[{ref.index}]" for ref in REFS])
def test_case(ref: CaseRef) -> None:
    result = run_case(PIPELINE, ref)
    assert result.passed, "\n".join(result.failures)


@pytest.mark.parametrize("rule_id", sorted({ref.rule.id for ref in REFS}))
def test_rule_acts_in_some_case(rule_id: str) -> None:
    acted = [run_case(PIPELINE, ref).acted for ref in REFS if ref.rule.id == rule_id]
    assert any(acted), f"{rule_id}: the rule removes or changes nothing in any of its test cases"


def test_every_rule_has_cases() -> None:
    complaints = [r for r in run_all(PIPELINE) if isinstance(r, tuple)]
    assert complaints == []
