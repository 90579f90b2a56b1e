"""--reports summary: the same clean records and summary as a full run, without the diffs,
removals.jsonl and the review page (report/outcome.py's Reports)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from bench.corpus import write
from cleaner import faults
from cleaner.cli import _reports
from cleaner.errors import Problem, UsageError
from cleaner.io.readers import output_digest
from cleaner.pipeline import Pipeline, local
from cleaner.pipeline.run import Target, run
from cleaner.report import review
from tests.test_crash import files

ROOT = Path(__file__).resolve().parent.parent
SUMMARY_FILES = [".cleaner-report", "summary.json", "summary.md"]


def _inputs(root: Path) -> list[Path]:
    """A JSONL corpus cut into blocks with two workers, a record that fails, and the seeds."""
    corpus = root / "in" / "corpus.jsonl"
    write(corpus, 60)
    lines = corpus.read_bytes().splitlines(keepends=True)
    lines[7:7] = [b"not json\n"]
    corpus.write_bytes(b"".join(lines))
    return [corpus.parent, Path("seeds")]


@pytest.mark.parametrize("workers", [1, 2])
def test_summary_reports_are_the_full_runs_records_and_summary_and_nothing_else(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(local, "MIN_BLOCK", 4096)  # two workers: the file in blocks, joined by the page thread
    inputs = _inputs(tmp_path)
    seen = {}
    for reports in ("full", "summary"):
        failures: list[Problem] = []
        out = tmp_path / reports
        chosen = Pipeline(pipeline.book, replace(pipeline.settings, reports=reports))
        result = run(inputs, chosen, Target(out / "clean.jsonl", out / "reports"), None, None, workers, failures.append)
        assert not (out / ".clean.jsonl.work").exists()
        seen[reports] = (files(out), [(p.file, p.line) for p in failures], result.totals.as_dict())
    full, summary = seen["full"], seen["summary"]
    assert sorted(summary[0]) == ["clean.jsonl", *(f"reports/{name}" for name in SUMMARY_FILES)]
    marker = "reports/.cleaner-report"  # it lists the paths each report holds: those differ
    for name in summary[0]:
        assert name == marker or summary[0][name] == full[0][name], name
    size = len(summary[0]["clean.jsonl"])  # the output's, which a later run checks before skipping it
    assert orjson.loads(summary[0][marker]) == {
        "out": "../clean.jsonl",
        "out_size": size,
        "out_digest": output_digest(tmp_path / "summary" / "clean.jsonl"),
        "id_field": "id",
        "paths": ["summary.json", "summary.md"],
    }
    assert any(name.endswith(".diff") for name in full[0]) and "reports/index.html" in full[0]
    assert summary[1] == full[1] == [(str(inputs[0] / "corpus.jsonl"), 8)]
    assert summary[2] == full[2]


def test_a_summary_run_renders_no_diff_and_no_review_record(pipeline: Pipeline) -> None:
    from cleaner.document import Document
    from cleaner.pipeline.outcome import clean_one

    doc = Document(id="a", text="Share this article\nThe council met on Monday.\n", source="a")
    full = clean_one(pipeline, doc)
    summary = clean_one(Pipeline(pipeline.book, replace(pipeline.settings, reports="summary")), doc)
    assert full.diff and full.review is not None
    assert (summary.diff, summary.review) == (b"", None)
    assert (summary.record, summary.stats, summary.flagged) == (full.record, full.stats, full.flagged)


def test_records_to_stdout_without_a_report_make_only_the_summary() -> None:
    """The report of --out - goes with the scratch directory unless --report keeps it."""
    assert _reports(None, Path("-"), None) == "summary"
    assert _reports(None, Path("-"), Path("r")) == "full"
    assert _reports(None, Path("out/clean.jsonl"), None) == "full"
    assert _reports("summary", Path("out/clean.jsonl"), None) == "summary"
    assert _reports("full", Path("-"), None) == "full"


def _clean(*args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({faults.ENV: fault} if fault else {})}
    return subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", *args, "-q"], cwd=ROOT, capture_output=True, text=True, env=env
    )


def test_records_to_stdout_are_a_full_runs_and_a_summary_run_to_parquet_writes_the_summary_only(
    tmp_path: Path,
) -> None:
    full = _clean("seeds", "--out", str(tmp_path / "full" / "clean.jsonl"))
    assert full.returncode == 0, full.stderr
    piped = _clean("seeds", "--out", "-")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.encode() == (tmp_path / "full" / "clean.jsonl").read_bytes()
    parquet = _clean("seeds", "--reports", "summary", "--out", str(tmp_path / "p" / "clean.parquet"))
    assert parquet.returncode == 0, parquet.stderr
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["clean.parquet", "reports"]
    assert sorted(p.name for p in (tmp_path / "p" / "reports").iterdir()) == SUMMARY_FILES


def test_a_baseline_with_records_to_stdout_needs_a_report(tmp_path: Path) -> None:
    """The comparison is written into the report, which --out - keeps only with --report."""
    done = _clean("seeds", "--out", str(tmp_path / "base" / "clean.jsonl"))
    assert done.returncode == 0, done.stderr
    piped = _clean("seeds", "--baseline", str(tmp_path / "base"), "--out", "-")
    assert piped.returncode == 2
    assert "with --out -, give --report DIR" in piped.stderr
    assert piped.stdout == ""
    kept = _clean("seeds", "--baseline", str(tmp_path / "base"), "--out", "-", "--report", str(tmp_path / "r"))
    assert kept.returncode == 0, kept.stderr
    assert (tmp_path / "r" / "compare.md").is_file()


def test_compare_and_baseline_say_a_summary_report_has_no_removals(tmp_path: Path) -> None:
    done = _clean("seeds", "--reports", "summary", "--out", str(tmp_path / "s" / "clean.jsonl"))
    assert done.returncode == 0, done.stderr
    with pytest.raises(UsageError, match=r"has no removals\.jsonl \(a --reports summary run writes none\)"):
        review.removals_path(tmp_path / "s")
    given = _clean(
        "seeds", "--reports", "summary", "--baseline", str(tmp_path / "s"), "--out", str(tmp_path / "b.jsonl")
    )
    assert given.returncode == 2
    assert "--baseline compares this run's removals.jsonl" in given.stderr
    assert not (tmp_path / "b.jsonl").exists()


def test_resume_refuses_a_run_with_other_reports(tmp_path: Path) -> None:
    """Its shards hold no diff and no review record: a full run must not read them."""
    out = str(tmp_path / "out" / "clean.jsonl")
    stopped = _clean("seeds", "--reports", "summary", "--out", out, fault="assemble")
    assert stopped.returncode != 0
    assert (tmp_path / "out" / ".clean.jsonl.work").is_dir()
    other = _clean("seeds", "--out", out, "--resume")
    assert other.returncode == 2
    assert "the interrupted run had other inputs, rules or settings" in other.stderr
    same = _clean("seeds", "--reports", "summary", "--out", out, "--resume")
    assert same.returncode == 0, same.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "reports").iterdir()) == SUMMARY_FILES


def _page_figures(report: Path) -> dict[str, int]:
    page = (report / "index.html").read_text(encoding="utf-8")
    data = orjson.loads(page.split('<script type="application/json" id="data">')[1].split("</script>")[0])
    return {key: data[key] for key in ("documents", "whole")}


def test_review_budget_on_the_command_line_is_megabytes_of_input_and_0_is_none(tmp_path: Path) -> None:
    """--review-budget MB: past it the page keeps a share of the documents whole (about the
    budget's share of the input); 0 keeps every one, as the default does on a small input."""
    corpus = tmp_path / "in" / "corpus.jsonl"
    write(corpus, 800)
    assert 2 << 20 < corpus.stat().st_size < 4 << 20
    figures = {}
    for budget in ("1", "0", None):
        out = tmp_path / f"out-{budget}"
        given = [] if budget is None else ["--review-budget", budget]
        result = subprocess.run(
            [sys.executable, "-m", "cleaner", "clean", str(corpus), "--out", str(out / "clean.jsonl"), "-q", *given],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        figures[budget] = _page_figures(out / "reports")
    share = (1 << 20) / corpus.stat().st_size
    documents = figures["0"]["documents"]
    assert documents > 700 and figures["0"]["whole"] == documents and figures[None] == figures["0"]
    assert figures["1"]["documents"] == documents
    assert 0.6 * share * documents < figures["1"]["whole"] < 1.4 * share * documents
