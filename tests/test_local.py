"""The local engine with several workers: each worker reads its own block of the input and
writes its own shard, and the outputs, failures and progress are those of one process."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from bench.corpus import write
from cleaner import faults
from cleaner.errors import Problem
from cleaner.io.readers import InputFile, Span, discover
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
        Unit(0, a, 96, Span(56, 152, 3), 1, 2),  # the last block: how many there are
        Unit(1, b, 13),
        Unit(2, c, 0),
    ]
    assert list(plan(todo, 1000)) == [Unit(0, a, 152), Unit(1, b, 13), Unit(2, c, 0)]


def test_plan_with_workers_shrinks_the_blocks_over_the_runs_last_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "MIN_BLOCK", 100)
    (tmp_path / "a.jsonl").write_bytes(b"".join(b'{"text": "%05d"}\n' % n for n in range(2000)))  # 18 bytes a line
    (tmp_path / "b.jsonl").write_bytes(b'{"text": "last"}\n' * 50)  # 17 bytes a line: the run's last 850
    items = discover([tmp_path])
    sizes = [unit.size for unit in plan(enumerate(items), 3600, 2) if unit.index == 0]
    # Each block ends with the line holding byte start + want, where want is 3600 until a
    # (2 * TAIL_BLOCKS)th of what is left of the run (36,850 bytes from a's start) is less.
    start, expected = 0, []
    while 36_000 - start > (want := max(100, min(3600, (36_850 - start) // 8))):
        end = (start + want) // 18 * 18 + 18
        expected.append(end - start)
        start = end
    expected.append(36_000 - start)
    assert sizes == expected
    assert sizes[:5] == [3618, 3618, 3618, 3258, 2844] and sizes[-3:] == [144, 126, 18] and len(sizes) == 29
    assert [unit.size for unit in plan(enumerate(items), 3600) if unit.index == 0] == [3618] * 9 + [3438]  # one size
    assert local.tail_block(3600, 1000, 2, 0) == 125 and local.tail_block(3600, 1000, 2, 900) == 100


def test_plan_hands_out_a_block_once_the_next_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not after the whole file is read: the workers start while the main process counts lines."""
    (tmp_path / "a.jsonl").write_bytes(b"".join(b'{"text": "%d"}\n' % n for n in range(100)))
    found: list[Span] = []
    iter_spans = local.iter_spans

    def counted(item: InputFile, size: int) -> Iterator[Span] | None:
        cut = iter_spans(item, size)
        return None if cut is None else (found.append(span) or span for span in cut)

    monkeypatch.setattr(local, "iter_spans", counted)
    units = plan(enumerate(discover([tmp_path])), 100)
    first = next(units)
    assert (first.span, first.block, first.blocks, len(found)) == (found[0], 0, 0, 2)
    rest = list(units)
    assert [unit.span for unit in [first, *rest]] == found and len(found) > 10
    assert [unit.blocks for unit in rest] == [0] * (len(found) - 2) + [len(found)]


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


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSONL file cut into several blocks, then two small files."""
    root = tmp_path_factory.mktemp("killed") / "in"
    root.mkdir()
    write(root / "a.jsonl", 400)
    write(root / "b.jsonl", 5)
    (root / "c.txt").write_text("Share this article\nA small file.\n")
    return root


@pytest.fixture(scope="module")
def whole(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("whole")
    assert _clean(corpus, out, "-j", "2").returncode == 0
    return _files(out)


def _clean(corpus: Path, out: Path, *extra: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({faults.ENV: fault} if fault else {})}
    args = [sys.executable, "-m", "cleaner", "clean", str(corpus), "--out", str(out / "clean.jsonl"), "-q", *extra]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.mark.parametrize(
    ("killed_after", "workers"),
    [("a block", "2"), ("the split file", "2"), ("the split file", "1"), ("every file", "2")],
)
def test_a_run_killed_with_workers_resumes_to_the_same_bytes(
    corpus: Path, whole: dict[str, bytes], tmp_path: Path, killed_after: str, workers: str
) -> None:
    """Its workers go with it (else they would hold the work directory's lock, and --resume
    would be refused as another run); the resumed run (with any worker count) cleans again
    what was not finished and reads what was, a split file's blocks among them."""
    items = discover([corpus])
    blocks = sum(1 for unit in plan(enumerate(items), block_size(sum(i.size for i in items), 2)) if unit.index == 0)
    assert blocks > 2
    # faults.point("unit") is reached as a unit is reported, before a last block joins its file;
    # "assemble" once every file is done (the resumed run then only builds the page and the rest).
    fault = {"a block": "unit:2", "the split file": f"unit:{blocks + 1}", "every file": "assemble"}[killed_after]
    out = tmp_path / "out"
    stopped = _clean(corpus, out, "-j", "2", fault=fault)
    assert stopped.returncode == -signal.SIGKILL, stopped.stderr
    work = out / ".clean.jsonl.work"
    assert sorted(p.name for p in out.iterdir()) == [work.name]
    assert len(list(work.glob("000000.b*.meta.json"))) >= 2
    assert (work / "000000.meta.json").exists() == (killed_after != "a block")
    if killed_after == "every file":  # (a worker writes a whole file's shard as it finishes it)
        assert (work / "000002.meta.json").exists()
    resumed = _clean(corpus, out, "-j", workers, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _files(out) == whole
    summary = orjson.loads((out / "reports" / "summary.json").read_bytes())
    assert summary["totals"]["docs_in"] == 406


def test_no_more_workers_than_groups(tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-file run forks one worker, not one per core (still a process of its own); two
    groups get two; the output is the same bytes either way. ``idle`` runs once while the
    workers clean."""
    sizes: list[int] = []
    made = local.Local._pool

    def pool(self: local.Local, workers: int) -> local.ProcessPoolExecutor:
        sizes.append(workers)
        return made(self, workers)

    monkeypatch.setattr(local.Local, "_pool", pool)
    monkeypatch.setattr(local, "GROUP_UNITS", 1)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A small file.\n\nShare this article\n", encoding="utf-8")
    seen = {}
    idle: list[int] = []
    for name, workers in (("one", 3), ("alone", 1)):
        out = tmp_path / name
        target = Target(out / "clean.jsonl", out / "reports")
        run([tmp_path / "in" / "a.txt"], pipeline, target, workers=workers, idle=lambda: idle.append(len(sizes)))
        seen[name] = _files(out)
    assert sizes == [1]
    assert idle == [1]  # once, after the fork (the one-process run has no wait)
    assert seen["one"] == seen["alone"]
    (tmp_path / "in" / "b.txt").write_text("Another small file.\n", encoding="utf-8")
    out = tmp_path / "two"
    run([tmp_path / "in"], pipeline, Target(out / "clean.jsonl", out / "reports"), workers=3)
    assert sizes == [1, 2]


def test_the_parent_cleans_the_invented_warm_text_before_forking_two_workers_or_more(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the pipeline loads on its first document is loaded once, here, and inherited by the
    workers: only when two or more are forked, before the pool, on invented text (never the
    input's), and it changes no output."""
    events: list[str] = []
    cleaned = local.clean_one
    made = local.Local._pool

    def clean(pipeline: Pipeline, doc: local.Document, with_html: bool = True) -> object:
        events.append(f"warm {doc.id} {doc.text == local.WARM_TEXT}")
        return cleaned(pipeline, doc, with_html)

    def pool(self: local.Local, workers: int) -> local.ProcessPoolExecutor:
        events.append(f"pool {workers}")
        return made(self, workers)

    monkeypatch.setattr(local, "clean_one", clean)
    monkeypatch.setattr(local.Local, "_pool", pool)
    monkeypatch.setattr(local, "GROUP_UNITS", 1)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A small file.\n\nShare this article\n", encoding="utf-8")
    seen = {}
    for name, workers in (("one", 3), ("alone", 1)):
        out = tmp_path / name
        run([tmp_path / "in"], pipeline, Target(out / "clean.jsonl", out / "reports"), workers=workers)
        seen[name] = _files(out)
    assert events == ["pool 1"]  # one worker forked: it loads what it needs itself
    (tmp_path / "in" / "b.txt").write_text("Another small file.\n", encoding="utf-8")
    for name, workers in (("two", 3), ("two-alone", 1)):
        out = tmp_path / name
        run([tmp_path / "in"], pipeline, Target(out / "clean.jsonl", out / "reports"), workers=workers)
        seen[name] = _files(out)
    assert events == ["pool 1", "warm warm True", "pool 2"]
    assert seen["one"] == seen["alone"]
    assert seen["two"] == seen["two-alone"]
    # The warm text goes through the steps that load something: a mojibake repair and removals.
    warmed = cleaned(pipeline, local.Document(id="warm", text=local.WARM_TEXT, source="warm"), True)
    assert warmed.stats.repaired == {"ftfy:encoding": 1}
    assert warmed.stats.removed == {"navigation.breadcrumb": 1, "links.see-also": 1, "credits.copyright": 1}


def test_a_plain_jsonl_output_is_the_shards_bytes_linked_or_copied_not_written_again(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .jsonl output is its shards' records as they are (one shard: a link to it, several:
    their bytes one after the other), not read and written again by writers.write, which only
    the formats that transform them (compressed, Parquet) go through; the same bytes either way."""
    from cleaner.pipeline import workdir

    written: list[str] = []
    write = workdir.writers.write

    def spy(out: Path, shards: list[Path], handle: object) -> None:
        written.append(out.name)
        write(out, shards, handle)  # type: ignore[arg-type]

    monkeypatch.setattr(workdir.writers, "write", spy)
    monkeypatch.setattr(local, "MIN_BLOCK", 4096)
    inputs = _inputs(tmp_path)
    outs = {}
    for name, workers in (("one", 1), ("two", 2), ("gz", 1)):
        suffix = ".jsonl.gz" if name == "gz" else ".jsonl"
        out = tmp_path / name / f"clean{suffix}"
        run(inputs, pipeline, Target(out, tmp_path / name / "reports"), workers=workers)
        outs[name] = gzip.decompress(out.read_bytes()) if name == "gz" else out.read_bytes()
    assert written == ["clean.jsonl.gz"]
    assert outs["one"] == outs["two"] == outs["gz"]
    assert outs["one"].count(b"\n") > 40


def test_with_workers_the_records_and_diffs_are_joined_in_staging_before_assembly(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """page.py appends each unit's records and diff as it comes back, while the workers clean:
    when assembly begins they are all in staging (it copies nothing more), the same bytes as one
    process gives."""
    from cleaner.pipeline import workdir

    monkeypatch.setattr(local, "MIN_BLOCK", 4096)
    inputs = _inputs(tmp_path)
    seen: dict[str, dict[str, bytes]] = {}
    staged: dict[str, bytes] = {}
    assemble = workdir.WorkDir.assemble

    def check(self: workdir.WorkDir, *args: object) -> object:
        staged.update(_files(self.root / workdir.PUBLISH))
        monkeypatch.setattr(workdir, "link_or_copy", None)  # (called, it would raise)
        return assemble(self, *args)  # type: ignore[arg-type]

    out = tmp_path / "one"
    run(inputs, pipeline, Target(out / "clean.jsonl", out / "reports"), workers=1)
    seen["one"] = _files(out)
    monkeypatch.setattr(workdir.WorkDir, "assemble", check)
    out = tmp_path / "two"
    run(inputs, pipeline, Target(out / "clean.jsonl", out / "reports"), workers=2)
    seen["two"] = _files(out)
    assert seen["one"] == seen["two"]
    diffs = {name: data for name, data in seen["one"].items() if name.endswith(".diff")}
    assert len(diffs) > 3 and any(name.startswith("reports/in/") for name in diffs)  # the split file's too
    assert staged["clean.jsonl"] == seen["one"]["clean.jsonl"]
    assert {name: staged[name] for name in diffs} == diffs


def test_the_work_directory_goes_metas_first_and_manifest_last(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its files are removed by several threads, a group at a time: a kill midway leaves shards
    without metas (simply not there for --resume), and the manifest while anything else is left."""
    from cleaner.pipeline import workdir

    removed: list[str] = []
    remove = workdir._remove

    def spy(path: Path) -> None:
        removed.append(path.name)
        remove(path)

    monkeypatch.setattr(workdir, "_remove", spy)
    monkeypatch.setattr(local, "MIN_BLOCK", 4096)
    out = tmp_path / "out"
    run(_inputs(tmp_path), pipeline, Target(out / "clean.jsonl", out / "reports"), workers=2)
    assert not (out / ".clean.jsonl.work").exists()
    metas = sum(name.endswith(".meta.json") for name in removed)
    assert metas > 10 and all(name.endswith(".meta.json") for name in removed[:metas])
    assert removed[-1] == workdir.MANIFEST and len(removed) > 5 * metas


def test_a_replaced_report_is_removed_with_the_work_directory_after_the_out_is_published(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the previous report moved aside was removed by one rmtree before the JSONL was
    published (one file at a time). Now its files go with the shards' (several threads), its
    directories after them, once both outputs are in place; nothing of it is left. (Here the
    previous run also cleaned texts/, whose diffs the new report has no place for.)"""
    from cleaner.pipeline import workdir

    out = tmp_path / "out"
    target = Target(out / "clean.jsonl", out / "reports", overwrite=True)
    inputs = _inputs(tmp_path)
    run(inputs, pipeline, target)
    stale = out / "reports" / "texts" / "t0.txt.diff"
    assert stale.is_file()
    removed: list[Path] = []
    remove = workdir._remove

    def spy(path: Path) -> None:
        if path.name == stale.name:  # the old report goes after the new outputs are in place
            assert (out / "reports" / "index.html").is_file() and (out / "clean.jsonl").is_file()
            assert not (out / "reports" / "texts").exists()
        removed.append(path)
        remove(path)

    monkeypatch.setattr(workdir, "_remove", spy)
    run([inputs[0], inputs[2]], pipeline, target)
    aside = out / ".clean.jsonl.work" / workdir.PUBLISH / "replaced-report"
    assert aside / "texts" / stale.name in removed and aside / "index.html" in removed
    assert not (out / "reports" / "texts").exists() and not (out / ".clean.jsonl.work").exists()
    assert not [name for name in _files(out) if "/texts/" in name]


@pytest.mark.parametrize("left", [b"", b'{"file": "a", "tot', b"[]", b"{}"])
def test_a_meta_cut_short_is_a_shard_not_there(tmp_path: Path, left: bytes) -> None:
    """Metas are not synced to the disk (see WorkDir.meta): whatever a power loss leaves of one
    is a file --resume cleans again, not a traceback."""
    from cleaner.pipeline import workdir

    work = workdir.WorkDir(tmp_path / "clean.jsonl")
    try:
        (work.root / "000000.meta.json").write_bytes(left)
        assert work.meta(0) is None and work.meta(1) is None
        (work.root / "000000.meta.json").write_bytes(b'{"file": "a", "totals": {}}')
        assert work.meta(0) is None  # a whole meta, but the shard's parts are not there
        for part in workdir.PARTS:
            (work.root / f"000000.{part}").write_bytes(b"")
        assert work.meta(0) == {"file": "a", "totals": {}}
    finally:
        work.close(remove=True)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an fd by /proc")
def test_shard_metas_are_not_synced_the_outputs_are(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    out = tmp_path / "out"
    run(_inputs(tmp_path), pipeline, Target(out / "clean.jsonl", out / "reports"), workers=1)
    assert not [name for name in synced if "meta.json" in name]
    assert "clean.jsonl" in synced and any(name.startswith(".run.json.") for name in synced)
