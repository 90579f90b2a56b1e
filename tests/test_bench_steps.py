"""`make bench`'s time per step (bench/run.py): each step's first round apart from its later ones,
and how many rounds each document took, on the bench corpus and on real pages; and the real pages'
run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench import run
from bench.run import print_steps, step_shares
from cleaner.document import Document

# A menu of short lines around an article, then a line a generic rule drops ("Advertisement"):
# the first round removes lines, so the document takes a second round, which removes nothing.
CHROME = "Home\nNews\nSport\nWeather\nContact\n\n"
ARTICLE = "\n\n".join(
    f"The council met on day {n} to vote on the budget for the coming year, and the debate ran long into the night."
    for n in range(8)
)
CHANGED = Document("changed", CHROME + ARTICLE + "\n\nAdvertisement\n", "test")
PLAIN = Document("plain", "One short line of text that nothing removes.\n", "test")


def test_step_shares_split_the_rounds_and_count_them() -> None:
    shares, rounds = step_shares([CHANGED, PLAIN], [CHANGED, PLAIN])
    assert rounds == Counter({2: 1, 1: 1})  # the changed document took a second round, the plain one none
    # The second round ends after its first step: the steps after it left the lines as they were.
    assert {"MatchSite", "MatchSite, later rounds", "LineClassifier", "GenericRules"} <= shares.keys()
    assert "LineClassifier, later rounds" not in shares
    assert "outcome: record, diff, review" in shares and "other: split, rounds, layout" in shares
    assert sum(shares.values()) == pytest.approx(1.0)


def test_print_steps_shows_the_rounds(capsys: pytest.CaptureFixture[str]) -> None:
    print_steps("steps", {"A": 0.75, "B, later rounds": 0.25}, Counter({1: 2, 2: 1, 6: 1}))
    assert capsys.readouterr().out == (
        "\nsteps:\n"
        "  A                                     75.0%\n"
        "  B, later rounds                       25.0%\n"
        "  rounds a document took: 1: 50%, 2: 25%, 5 or more: 25% (mean 2.50)\n"
    )


def test_the_real_pages_run_joins_the_dev_files_or_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "realtext"
    shared.mkdir()
    monkeypatch.setattr(run, "REALTEXT", shared)
    out = tmp_path / "real.jsonl"
    assert run.write_real_pages(out) == 0.0 and not out.exists()  # not beside the project: no row
    (shared / "traf-dev.jsonl").write_bytes(b'{"id":"a","text":"one"}\n')
    (shared / "aeb-dev.jsonl").write_bytes(b'{"id":"b","text":"two"}\n')
    assert run.write_real_pages(out) == 48 / 1e6
    assert out.read_bytes() == b'{"id":"a","text":"one"}\n{"id":"b","text":"two"}\n'  # in REAL_PAGES' order
