"""Worker processes and block splits change nothing in the output: same bytes, same order."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.corpus import write
from cleaner.io import readers
from cleaner.io.readers import Fields, Limits, Span, discover, read, spans
from cleaner.pipeline import Pipeline, Settings, parallel
from cleaner.pipeline.run import Target, run
from cleaner.report import pagedata
from cleaner.rules.book import RuleBook


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


def _page_data(reports: Path, kind: str) -> list[Any]:
    """The items of the review/ files of one kind (``l``, ``d``, ``r``), in their order."""
    items: list[Any] = []
    files = sorted((reports / "review").glob(f"{kind}*.js"), key=lambda p: [int(x) for x in p.stem[1:].split("-")])
    for path in files:
        body = path.read_bytes()
        items += orjson.loads(body[body.index(b",") + 1 : body.rindex(b")")])[-1]
    return items


def test_past_the_review_budget_the_page_keeps_the_same_documents_whole_whatever_the_workers(
    tmp_path: Path, book: RuleBook
) -> None:
    """A run over its review budget: the page keeps a share of the documents whole, the same
    ones with one worker or two (byte for byte); the others are listed, their d items have no
    lines and their removals are not in the r files; removals.jsonl, the diffs and the summary
    are those of a run within its budget."""
    corpus = tmp_path / "in" / "corpus.jsonl"
    write(corpus, 300)
    budget = corpus.stat().st_size // 3
    for name, settings, workers in (
        ("w1", Settings(review_budget=budget), 1),
        ("w2", Settings(review_budget=budget), 2),
        ("all", Settings(), 1),
    ):
        out = tmp_path / name
        run([corpus], Pipeline(book, settings), Target(out / "clean.jsonl", out / "reports"), workers=workers)
    one, two, every = _files(tmp_path / "w1"), _files(tmp_path / "w2"), _files(tmp_path / "all")
    assert sorted(one) == sorted(two)
    for name in one:
        assert one[name] == two[name], name
    for name in ("clean.jsonl", "reports/removals.jsonl", "reports/summary.json", "reports/corpus.jsonl.diff"):
        assert one[name] == every[name], name
    listed, docs = _page_data(tmp_path / "w1" / "reports", "l"), _page_data(tmp_path / "w1" / "reports", "d")
    assert len(listed) == len(docs) == len(_page_data(tmp_path / "all" / "reports", "l")) > 200
    kept = {doc["id"] for doc in docs if doc["lines"] is not None}
    assert kept == {doc["id"] for doc in docs if pagedata.kept_whole(doc["id"], pagedata.EVERY // 3)}
    assert 0.2 * len(docs) < len(kept) < 0.5 * len(docs)
    ids = [doc["id"] for doc in docs]
    entries = _page_data(tmp_path / "w1" / "reports", "r")
    assert entries and {ids[entry[0]] for entry in entries} <= kept
    removals = [orjson.loads(line) for line in every["reports/removals.jsonl"].splitlines()]
    dropped = sum(row[1] == "-" for rec in removals if rec["id"] in kept for row in rec["lines"])
    assert sum(entry[5] is None for entry in entries) == dropped  # every removal of a kept document


def test_bench_corpus_is_deterministic(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", 50)
    write(tmp_path / "b.jsonl", 50)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_a_jsonl_file_read_in_spans_gives_what_one_read_gives(tmp_path: Path) -> None:
    rng = random.Random(1)
    lines = []
    for i in range(600):
        r = rng.random()
        if r < 0.05:
            lines.append(b"")
        elif r < 0.08:
            lines.append(b"not json")
        elif r < 0.1:
            lines.append(b'{"id": "%d", "text": "%s"}' % (i, b"y" * 5000))  # over the limit below
        else:
            lines.append(b'{"id": "%d", "text": "%s"}' % (i, b"x" * rng.randint(0, 3000)))
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\n".join(lines))  # no final newline
    (item,) = discover([path])
    limits = Limits(max_doc_bytes=4000)

    def seen(span: Span | None) -> list[str]:
        return [repr(d) for d in read(item, Fields(), limits, span)]

    whole = seen(None)
    assert spans(item, path.stat().st_size) is None
    for size in (1, 1000, 7777, 100_000):
        cut = spans(item, size)
        assert cut is not None and cut[0].start == 0 and cut[-1].end == path.stat().st_size
        assert [line for span in cut for line in seen(span)] == whole


def test_newlines_counts_what_bytes_count_counts() -> None:
    """The planning's line count steps from line to line while they are long and counts the rest
    once they are short: every mix of the two gives bytes.count's figure, from any start to any end."""
    rng = random.Random(7)
    for _ in range(500):
        parts = []
        for _ in range(rng.randint(0, 6)):  # runs of dense newlines (empty lines too) and of long lines
            if rng.random() < 0.5:
                parts.append(bytes(rng.choice(b"x\n\n") for _ in range(rng.randint(0, 8 * readers.PROBE))))
            else:
                parts += [b"x" * rng.randint(readers.LONG_LINE, 4 * readers.LONG_LINE) + b"\n" for _ in range(80)]
        chunk = b"".join(parts)
        start = rng.randint(0, len(chunk))
        end = rng.choice((len(chunk), rng.randint(start, len(chunk))))
        assert readers.newlines(chunk, start, end) == chunk.count(b"\n", start, end)
    exact = b"y" * (readers.LONG_LINE - 1) + b"\n"  # PROBE lines of exactly LONG_LINE bytes: still stepped
    for copies in (readers.PROBE - 1, readers.PROBE, readers.PROBE + 1, 3 * readers.PROBE):
        assert readers.newlines(exact * copies, 0, len(exact) * copies) == copies


def test_spans_number_short_lines_across_chunks(tmp_path: Path) -> None:
    """A file of short lines (counted, not stepped) read in several 1 MB chunks: each span starts
    at the line its bytes start at."""
    path = tmp_path / "short.jsonl"
    data = b"".join(b'{"text": "%d"}\n' % i for i in range(200_000))
    path.write_bytes(data)
    (item,) = discover([path])
    cut = spans(item, 300_000)
    assert cut is not None and len(cut) > 8
    for span in cut:
        assert span.first_line == data.count(b"\n", 0, span.start) + 1


def test_no_more_workers_than_batches(tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """A short input forks one worker per batch at most; the results are those of one process."""
    sizes: list[int] = []
    made = parallel._pool

    def pool(workers: int, *args: Any) -> parallel.ProcessPoolExecutor:
        sizes.append(workers)
        return made(workers, *args)

    monkeypatch.setattr(parallel, "_pool", pool)
    corpus = tmp_path / "corpus.jsonl"
    write(corpus, parallel.BATCH_DOCS + 1)  # two batches
    todo = [(0, item) for item in discover([corpus])]
    alone = list(parallel.clean_events(parallel.events(todo, Fields(), Limits()), pipeline, 1))
    for workers, want in ((4, [2]), (2, [2, 2])):
        got = list(parallel.clean_events(parallel.events(todo, Fields(), Limits()), pipeline, workers))
        assert [r.record for r in got[1:-1]] == [r.record for r in alone[1:-1]]
        assert sizes == want
    one = [(0, item) for item in discover([Path("seeds")])][:1]
    list(parallel.clean_events(parallel.events(one, Fields(), Limits()), pipeline, 4))
    assert sizes == [2, 2, 1]
