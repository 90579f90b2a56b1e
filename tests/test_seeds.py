"""The seed corpus against its gold labels: every drop line removed, every keep line kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner.document import Document
from cleaner.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
GOLD = sorted((ROOT / "tests" / "fixtures" / "gold").glob("*.json"))


def _clean(pipeline: Pipeline, stem: str):
    path = ROOT / "seeds" / f"{stem}.txt"
    return pipeline.clean(Document(stem, path.read_text(encoding="utf-8"), f"seeds/{stem}.txt"))


@pytest.mark.parametrize("gold_path", GOLD, ids=[p.stem for p in GOLD])
def test_seed_matches_gold(pipeline: Pipeline, gold_path: Path) -> None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    cleaned = _clean(pipeline, gold_path.stem)
    labels = gold["lines"]  # the text split on "\n": a final newline leaves one empty entry
    if cleaned.trailing_newline:
        assert labels.pop() == {"text": "", "label": "either"}
    for line, label in zip(cleaned.lines, labels, strict=True):
        assert line.orig == label["text"]
        if label["label"] == "drop":
            assert line.dropped_by is not None, f"line {line.no} should be dropped: {line.orig!r}"
        elif label["label"] == "keep":
            assert line.dropped_by is None, f"line {line.no} should be kept, {line.dropped_by} dropped it"
    assert cleaned.text == gold["clean"]


def test_heraldglobe_url_and_date_become_fields(pipeline: Pipeline) -> None:
    cleaned = _clean(pipeline, "002_a231766d777f1e06")
    assert cleaned.site == "heraldglobe"
    assert cleaned.url == (
        "https://www.heraldglobe.com/news/272123119/nato-foreign-ministers-unified-on-russia-strategy-ahead-of-busy-week"
    )
    assert cleaned.meta == {"date": "2022-01-07"}


def test_sites_matched_by_signature(pipeline: Pipeline) -> None:
    sites = [_clean(pipeline, p.stem).site for p in GOLD]
    assert sites == ["pakistanchristiantv", "solidstatelightingdesign", "heraldglobe", "wionews", "defencepk"]


def test_cleaning_clean_output_changes_nothing(pipeline: Pipeline) -> None:
    for gold_path in GOLD:
        once = _clean(pipeline, gold_path.stem).text
        twice = pipeline.clean(Document("again", once, "again")).text
        assert twice == once
