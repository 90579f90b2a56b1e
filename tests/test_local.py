"""The local engine with several workers: each worker reads its own block of the input and
writes its own shard, and the outputs, failures and progress are those of one process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from bench.corpus import write
from cleaner import faults
from cleaner.errors import Problem
from cleaner.io.readers import Span, discover
from cleaner.pipeline import Pipeline, local
from cleaner.pipeline.local import Unit, block_size, groups, plan
from cleaner.pipeline.run import Target, run

ROOT = Path(__file__).resolve().parent.parent


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_block_size_gives_each_worker_many_blocks_within_bounds() -> None:
    assert block_size(15_000_000, 2) == 15_000_000 // 32
    assert block_size(1000, 2) == local.MIN_BLOCK
    assert block_size(1 << 40, 2) == local.MAX_BLOCK


def test_plan_cuts_plain_jsonl_into_blocks_and_keeps_other_files_whole(tmp_path: Path) -> None:
    lines = b"".join(b'{"text": "%s"}\n' % (b"x" * n) for n in (10, 20, 30, 40))  # lines of 23, 33, 43, 53 bytes
    (tmp_path / "a.jsonl").write_bytes(lines)
    (tmp_path / "b.txt").write_text("one document\n")
    (tmp_path / "c.jsonl.gz").write_bytes(b"")  # compressed: never entered in the middle
    a, b, c = discover([tmp_path])
    todo = list(enumerate([a, b, c]))
    assert list(plan(todo, 50)) == [
        Unit(0, a, 56, Span(0, 56, 1), 0),
        Unit(0, a, 96, Span(56, 152, 3), 1),
        Unit(1, b, 13),
        Unit(2, c, 0),
    ]
    assert list(plan(todo, 1000)) == [Unit(0, a, 152), Unit(1, b, 13), Unit(2, c, 0)]


def test_groups_hold_up_to_a_block_of_bytes_or_group_units_units(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "GROUP_UNITS", 3)
    item = discover([Path("seeds")])[0]
    units = [Unit(n, item, size) for n, size in enumerate([10, 10, 10, 10, 90, 5, 200, 1])]
    assert [[u.index for u in group] for group in groups(units, 100)] == [[0, 1, 2], [3, 4], [5], [6], [7]]


def _inputs(root: Path) -> list[Path]:
    """A JSONL corpus with records that fail (bad JSON, a number for text) and blank lines, and
    a directory of small text files."""
    corpus = root / "in" / "corpus.jsonl"
    write(corpus, 40)
    lines = corpus.read_bytes().splitlines(keepends=True)
    lines[5:5] = [b"not json\n", b"\n"]
    lines[20:20] = [b'{"id": "n", "text": 7}\n']
    corpus.write_bytes(b"".join(lines))
    texts = root / "texts"
    texts.mkdir()
    for n in range(7):
        (texts / f"t{n}.txt").write_text(f"Share this article\nParagraph {n} of a small file.\n")
    (texts / "t7.txt").write_bytes(b"\x00binary")
    return [corpus.parent, texts, Path("seeds")]


def test_many_blocks_and_groups_give_one_process_bytes_failures_and_progress(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "MIN_BLOCK", 4096)
    monkeypatch.setattr(local, "GROUP_UNITS", 3)
    inputs = _inputs(tmp_path)
    items = discover(list(inputs))
    total = sum(item.size for item in items)
    cut = list(plan(enumerate(items), block_size(total, 2)))
    assert len([u for u in cut if u.block is not None]) > 10  # the corpus is really split
    seen = {}
    for workers in (1, 2):
        failures: list[Problem] = []
        progress = [0, 0]

        def tick(docs: int, size: int, progress: list[int] = progress) -> None:
            progress[0] += docs
            progress[1] += size

        out = tmp_path / f"w{workers}"
        result = run(
            inputs, pipeline, Target(out / "clean.jsonl", out / "reports"), None, tick, workers, failures.append
        )
        assert not (out / ".clean.jsonl.work").exists()
        seen[workers] = (_files(out), failures, progress, result.totals.as_dict())
    one, two = seen[1], seen[2]
    assert sorted(one[0]) == sorted(two[0])
    for name in one[0]:
        assert one[0][name] == two[0][name], name
    corpus = str(inputs[0] / "corpus.jsonl")
    assert [(p.file, p.line) for p in two[1]] == [(corpus, 6), (corpus, 21), (str(inputs[1] / "t7.txt"), None)]
    assert one[1] == two[1]
    assert one[2] == two[2] == [one[3]["docs_in"] + 3, total]
    assert one[3] == two[3]


def test_a_run_killed_with_workers_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    """Its workers go with it (else they would hold the work directory's lock, and --resume
    would be refused as another run), and the blocks done are replaced by the resumed run."""
    corpus = tmp_path / "corpus.jsonl"
    write(corpus, 400)  # over 4 blocks of the smallest size

    def clean(out: Path, *extra: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **({faults.ENV: fault} if fault else {})}
        args = [sys.executable, "-m", "cleaner", "clean", str(corpus), "--out", str(out / "clean.jsonl"), "-q"]
        return subprocess.run([*args, "-j", "2", *extra], cwd=ROOT, capture_output=True, text=True, env=env)

    assert clean(tmp_path / "whole").returncode == 0
    out = tmp_path / "out"
    stopped = clean(out, fault="unit:2")
    assert stopped.returncode == -signal.SIGKILL, stopped.stderr
    work = out / ".clean.jsonl.work"
    assert sorted(p.name for p in out.iterdir()) == [work.name]
    blocks = sorted(p.name for p in work.glob("000000.b*.meta.json"))
    assert len(blocks) >= 2 and not (work / "000000.meta.json").exists()
    resumed = clean(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _files(out) == _files(tmp_path / "whole")
    summary = orjson.loads((out / "reports" / "summary.json").read_bytes())
    assert summary["totals"]["docs_in"] == 400
