"""Worker processes change nothing in the output: same bytes, same order."""

from __future__ import annotations

from pathlib import Path

from bench.corpus import write
from cleaner.pipeline import Pipeline
from cleaner.run import Target, run


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_workers_write_the_same_bytes_as_one(tmp_path: Path, pipeline: Pipeline) -> None:
    corpus = tmp_path / "in" / "corpus.jsonl"
    write(corpus, 300)
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run([corpus.parent, Path("seeds")], pipeline, Target(out / "clean.jsonl", out / "reports"), workers=workers)
    one, two = _files(tmp_path / "w1"), _files(tmp_path / "w2")
    assert sorted(one) == sorted(two)
    assert len(one["clean.jsonl"].splitlines()) > 290
    for name in one:
        assert one[name] == two[name], name


def test_bench_corpus_is_deterministic(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", 50)
    write(tmp_path / "b.jsonl", 50)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
