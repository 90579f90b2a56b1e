"""The test cases inside rule files: run by ``cleaner rules test`` and, one by one, by pytest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from cleaner.document import Document
from cleaner.errors import CleanerError
from cleaner.pipeline.clean import Pipeline
from cleaner.rules.book import Placed
from cleaner.rules.model import Case, RuleBase
from cleaner.steps.whitespace import layout_text


@dataclass(frozen=True, slots=True)
class CaseRef:
    placed: Placed
    index: int
    case: Case

    @property
    def rule(self) -> RuleBase:
        return self.placed.rule

    @property
    def name(self) -> str:
        label = f" ({self.case.name})" if self.case.name else ""
        return f"{self.rule.id}[{self.index}]{label}"


@dataclass(frozen=True, slots=True)
class CaseResult:
    ref: CaseRef
    failures: tuple[str, ...]  # empty when the case passed
    acted: bool  # whether the rule under test removed or changed anything

    @property
    def passed(self) -> bool:
        return not self.failures


def cases(pipeline: Pipeline) -> Iterator[CaseRef]:
    for placed in pipeline.book.rules():
        for index, case in enumerate(placed.rule.cases()):
            yield CaseRef(placed, index, case)


def run_case(pipeline: Pipeline, ref: CaseRef) -> CaseResult:
    """Clean the case's input as a document of the rule's site (generic rules: of no site),
    with every rule and step on but the line classifier (a case tests its rule, and a
    statistical step would make every case depend on the model), and compare with the
    expected output, url and meta."""
    case = ref.case
    if ref.rule.kind == "selector":  # type: ignore[attr-defined]
        doc = Document(id=ref.name, text="", source=ref.placed.path, url=case.input_url, html=case.input)
    else:
        doc = Document(id=ref.name, text=case.input, source=ref.placed.path, url=case.input_url)
    try:
        cleaned = pipeline.for_site(ref.placed.site, replace(pipeline.settings, classify=False)).clean(doc)
    except CleanerError as exc:  # (a selector case whose page is left with no text): this case's failure
        return CaseResult(ref, (f"cleaning failed: {exc}",), False)
    failures: list[str] = []
    expected = layout_text(case.output, pipeline.settings.layout)
    if cleaned.text != expected:
        failures.append(f"output differs\n--- expected\n{expected}--- got\n{cleaned.text}---")
    if case.url is not None and cleaned.url != case.url:
        failures.append(f"url: expected {case.url!r}, got {cleaned.url!r}")
    for key, value in (case.meta or {}).items():
        if cleaned.meta.get(key) != value:
            failures.append(f"meta.{key}: expected {value!r}, got {cleaned.meta.get(key)!r}")
    acted = any(line.dropped_by == ref.rule.id or ref.rule.id in line.changed_by for line in cleaned.lines)
    return CaseResult(ref, tuple(failures), acted)


def run_all(pipeline: Pipeline) -> Iterator[CaseResult | tuple[RuleBase, str]]:
    """Every case's result, then, for a rule that acted in none of its cases, a complaint:
    a rule whose tests never make it act is not tested."""
    acted: dict[str, bool] = {}
    for ref in cases(pipeline):
        result = run_case(pipeline, ref)
        acted[ref.rule.id] = acted.get(ref.rule.id, False) or result.acted
        yield result
    for placed in pipeline.book.rules():
        if not acted.get(placed.rule.id, True):
            yield placed.rule, "the rule acts in none of its test cases"
