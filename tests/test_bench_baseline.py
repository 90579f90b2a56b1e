"""bench/baseline.py reads an older tree's own timing snippet without its package taking the
place of this tree's (both are called ``bench``), and times this tree with the first pass's reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

import bench.corpus
import bench.run
from bench.baseline import first_pass_measure, old_measure


def test_old_measure_is_the_old_tree_s_own_and_leaves_this_tree_s_bench(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "bench" / "corpus.py").write_text("def write(path, docs):\n    return 0\n")
    (tmp_path / "bench" / "run.py").write_text('from bench.corpus import write\n_MEASURE = """print(1.5, 0, 0, 1)"""\n')
    assert old_measure(tmp_path) == "print(1.5, 0, 0, 1)"
    assert sys.modules["bench.run"] is bench.run
    assert sys.modules["bench.corpus"] is bench.corpus
    assert str(tmp_path) not in sys.path


def test_the_first_pass_reports_review_only_the_first_documents_and_diff_them_all(tmp_path: Path) -> None:
    """The snippet's run writes every diff but review records (removals.jsonl's lines, the page's
    documents) for the first ``docs`` changed documents only; the clean records are all there."""
    corpus = tmp_path / "in.jsonl"
    corpus.write_text(
        "".join(
            orjson.dumps({"id": f"d{i}", "text": f"Share this article\nThe council met on day {i} to vote.\n"}).decode()
            + "\n"
            for i in range(5)
        )
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", first_pass_measure(3), str(corpus), str(out), "1", "full"],
        cwd=bench.run.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(done.stdout.split()[3]) == 5  # documents read
    removals = (out / "reports" / "removals.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["id"] for line in removals] == ["d0", "d1", "d2"]
    diff = (out / "reports" / "in.jsonl.diff").read_text()
    assert [f"d{i}" in diff for i in range(5)] == [True] * 5
    assert len((out / "clean.jsonl").read_bytes().splitlines()) == 5
