"""`make bench`: throughput, peak memory, time per step and worker scaling on a synthetic corpus.

    python -m bench.run [--docs 50000] [--workers 1 2] [--repeat 3] [--datatrove PYTHON]

Every figure comes from this run; nothing is asserted. Each cleaning run is a fresh process
(`cleaner clean`'s run, all shipped rules, every step and every report on), timed around the
run; its CPU time (all its processes') and peak RSS are read from the kernel (the main process
and, separately, the largest worker). A one-worker row with ``--reports summary`` (the same
records, only the summary beside them) follows, and one with ``--review-budget 0`` (every changed
document whole on the review page, as before the page had a budget: the bench corpus is ten times
the default budget). Each row is the median of ``--repeat`` runs. A run's
files (about 2 GB written at 50,000 documents) are emptied as soon as it is measured, its
clean.jsonl digested first for the byte-identity check, and removed at the end. Kept whole, they
were written back to the disk during the next runs, which got slower run by run; removed, each
file the next runs made cost more (this VM's ext4 has no journal and, making a file, skips the
inodes freed in the last minutes). Emptied, neither: each run starts where a user's single run
would (the twentieth pass in docs/performance.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from bench.corpus import write

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"

_MEASURE = """
import resource, sys, time
from pathlib import Path
from cleaner.pipeline import Pipeline
from cleaner.rules.book import RuleBook
from cleaner.pipeline.clean import Settings
from cleaner.pipeline.run import Target, run
corpus, out, workers, reports = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
budget = {} if sys.argv[5:] in ([], ["default"]) else {"review_budget": None}
pipeline = Pipeline(RuleBook.load([Path("rules")]), Settings(reports=reports, **budget))
start = time.perf_counter()
result = run([corpus], pipeline, Target(out / "clean.jsonl", out / "reports", overwrite=True), workers=workers)
elapsed = time.perf_counter() - start
own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
print(elapsed, own.ru_maxrss, children.ru_maxrss, result.totals.docs_in, cpu)
"""


def corpus(docs: int, name: str = "corpus", make: Callable[[Path, int], int] = write) -> Path:
    """bench/data/<name>-<docs>.jsonl, generated on first use (the generators are deterministic)."""
    path = DATA / f"{name}-{docs}.jsonl"
    if not path.exists():
        size = make(path, docs)
        print(f"generated {path.relative_to(ROOT)}: {docs} documents, {size / 1e6:.1f} MB", file=sys.stderr)
    return path


def measure(path: Path, out: Path, workers: int, reports: str = "full", budget: str = "default") -> dict[str, Any]:
    """One run; ``budget``: "default" (the review page's default budget) or "none" (every document)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), str(out), str(workers), reports, budget],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed, own, children, docs, cpu = done.stdout.split()
    digest = _digest(out / "clean.jsonl")
    empty(out)
    return {
        "digest": digest,
        "workers": workers,
        "seconds": float(elapsed),
        "docs": int(docs),
        "cpu": float(cpu),
        "rss_main_mb": int(own) / 1024,
        "rss_worker_mb": int(children) / 1024,
    }


def empty(directory: Path) -> None:
    """Every file under ``directory`` truncated to nothing: its bytes not yet written go without
    being written, and no inode is freed (see the module's docstring)."""
    for folder, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.truncate(path, 0)


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (of an even count, the faster middle one), with every run's
    seconds: the VM moves a single run's wall time by a sixth to a third, so one run is no figure."""
    ordered = sorted(runs, key=lambda run: run["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["all"] = [run["seconds"] for run in runs]
    return chosen


def spread(row: dict[str, Any]) -> str:
    """A row's runs, in the order they ran."""
    return ", ".join(f"{seconds:.1f}" for seconds in row["all"])


_WARM_UP = 200  # documents cleaned before the timed sample
STEP_SAMPLE = 3000  # documents of the corpus timed step by step
# Real crawl text (../shared/bench/realtext, beside the project; not in a user's clone): the step
# shares on it too, where a page is longer and has many more short lines than a bench document.
REALTEXT = ROOT.parent / "shared" / "bench" / "realtext"
REAL_PAGES = ("traf-dev.jsonl", "aeb-dev.jsonl")


def step_shares(docs: list[Any], warm_up: list[Any]) -> tuple[dict[str, float], Counter[int]]:
    """Time per pipeline step, in-process (one worker), over ``docs`` cleaned after ``warm_up``,
    a step's first round apart from its later ones; and how many rounds each document took.

    Every step of ``Pipeline.before`` and ``Pipeline.rounds`` is wrapped, so a new step shows up
    under its class name without this list knowing it. The rounds counted are those in which a step
    ran: a later round comes after one that removed something (the fixed point: cleaning the output
    again changes nothing), but is not counted when every step it asks has nothing to look at again
    (``again``) before the round ends early (Pipeline.clean)."""
    from cleaner.pipeline import Pipeline
    from cleaner.pipeline.outcome import outcome
    from cleaner.report.pagedata import ShardPage
    from cleaner.rules.book import RuleBook

    spent: Counter[str] = Counter()
    clock = time.perf_counter
    last = [0]  # the round of the document being cleaned, as far as it went

    class Timed:
        def __init__(self, step: Any):
            self.step = step
            self.name = step.name

        def __call__(self, state: Any) -> None:
            start = clock()
            try:
                self.step(state)
            finally:
                label = type(self.step).__name__
                spent[label if not state.round else f"{label}, later rounds"] += clock() - start
                last[0] = state.round

        def again(self, state: Any) -> bool:
            return self.step.again(state)

    pipe = Pipeline(RuleBook.load([ROOT / "rules"]))
    pipe.before = [Timed(step) for step in pipe.before]
    pipe.rounds = [Timed(step) for step in pipe.rounds]
    rounds: Counter[int] = Counter()
    # One-time costs (the model's load, compiled patterns, the repair gate's tables) are paid on
    # the warm-up documents, which are not timed: a step's share is its cost per document on a
    # long run, which is what `make bench`'s 50,000 documents measure.
    # The review page's share of a document is rendered where it is cleaned (a shard's page file).
    with open(os.devnull, "wb") as sink:
        page = ShardPage(sink, sink)
        for doc in warm_up:
            done = outcome(pipe.clean(doc), pipe)
            if done.review is not None:
                page.add(done.review)
        spent.clear()
        start = clock()
        for doc in docs:
            last[0] = 0
            cleaned = pipe.clean(doc)
            rounds[last[0] + 1] += 1
            begin = clock()
            done = outcome(cleaned, pipe)
            if done.review is not None:
                page.add(done.review)
            spent["outcome: record, diff, review"] += clock() - begin
        total = clock() - start
    spent["other: split, rounds, layout"] = total - sum(spent.values())
    return {label: seconds / total for label, seconds in spent.most_common()}, rounds


def read_documents(path: Path, count: int | None = None) -> list[Any]:
    """The first ``count`` records of a JSONL file (all: None) as documents."""
    from cleaner.document import Document

    docs = []
    with path.open("rb") as handle:
        for raw in islice(handle, count):
            record = orjson.loads(raw)
            docs.append(Document(str(record["id"]), record["text"], "bench", record.get("url")))
    return docs


def print_steps(title: str, shares: dict[str, float], rounds: Counter[int]) -> None:
    """step_shares' table: each step's share, then the rounds (those in which a step ran)."""
    print(f"\n{title}:")
    for label, share in shares.items():
        print(f"  {label:36s} {share:6.1%}")
    docs = sum(rounds.values())
    shown = ", ".join(f"{n}: {rounds[n] / docs:.0%}" for n in sorted(rounds) if n < 5)
    more = sum(count for n, count in rounds.items() if n >= 5)
    mean = sum(n * count for n, count in rounds.items()) / docs
    print(f"  rounds a document took: {shown}{f', 5 or more: {more / docs:.0%}' if more else ''} (mean {mean:.2f})")


def write_real_pages(path: Path) -> float:
    """The real pages' files (REAL_PAGES) one after the other into ``path``: their MB, 0 when
    they are not there (and nothing written)."""
    sources = [REALTEXT / name for name in REAL_PAGES if (REALTEXT / name).is_file()]
    if not sources:
        return 0.0
    with path.open("wb") as out:
        for source in sources:
            out.write(source.read_bytes())
    return path.stat().st_size / 1e6


def real_pages() -> list[Any]:
    """The realtext dev pages (../shared/bench/realtext: crawl text of real pages), or none."""
    return [doc for name in REAL_PAGES if (REALTEXT / name).is_file() for doc in read_documents(REALTEXT / name)]


_DATATROVE = """
import re, sys, time, resource
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.filters import C4QualityFilter
from datatrove.pipeline.formatters import FTFYFormatter
from datatrove.pipeline.formatters.base import BaseFormatter
from datatrove.pipeline.writers import JsonlWriter
from datatrove.executor import LocalPipelineExecutor

class Tidy(BaseFormatter):
    # The peer's share of what cleaner does besides rules: trailing whitespace, runs of blank
    # lines, and a paragraph said twice in one document (the second copy goes).
    name = "tidy"
    _space = re.compile(r"[ \\t\\u00a0]+$", re.M)
    _blank = re.compile(r"\\n{3,}")

    def format(self, text):
        seen, out = set(), []
        for line in self._space.sub("", text).split("\\n"):
            key = " ".join(line.split()).casefold()
            if len(key) >= 20:
                if key in seen:
                    continue
                seen.add(key)
            out.append(line)
        return self._blank.sub("\\n\\n", "\\n".join(out)).strip("\\n")

src, out, pattern, peer = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "peer"
steps = [JsonlReader(src, glob_pattern=pattern, compression=None)]
if peer:
    steps.append(FTFYFormatter())
steps.append(C4QualityFilter(min_num_sentences=-1))
if peer:
    steps.append(Tidy())
steps.append(JsonlWriter(out, compression=None))
start = time.perf_counter()
LocalPipelineExecutor(pipeline=steps, tasks=1, workers=1, logging_dir=out + "/logs").run()
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

# The two datatrove rows: a pipeline doing comparable work (encoding repair, a line filter,
# whitespace and paragraph dedup), and the line filter alone (the field's cheapest pass).
DATATROVE_ROWS = {
    "peer": "datatrove JsonlReader + FTFYFormatter + C4QualityFilter(min_num_sentences=-1) + whitespace/paragraph dedup + JsonlWriter",
    "filter": "datatrove JsonlReader + C4QualityFilter(min_num_sentences=-1) + JsonlWriter",
}


def datatrove(python: str, path: Path, out: Path, row: str) -> dict[str, float] | None:
    done = subprocess.run(
        [python, "-c", _DATATROVE, str(path.parent), str(out), path.name, row],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(f"datatrove run failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    elapsed, rss = done.stdout.split()[-2:]
    empty(out)
    return {
        "seconds": float(elapsed),
        "rss_main_mb": int(rss) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="cleaner benchmark")
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cleaner row; the median is shown")
    parser.add_argument(
        "--datatrove", help="a Python that has datatrove installed (the dev venv has it: the datatrove extra)"
    )
    args = parser.parse_args()

    path = corpus(args.docs)
    size = path.stat().st_size / 1e6
    print(f"corpus: {path.relative_to(ROOT)}, {args.docs} documents, {size:.1f} MB")
    from cleaner import native

    print(f"compiled halves in use: {len(native.built())} of {len(native.MODULES)} (CLEANER_NATIVE=off: none)\n")
    runs: dict[int, list[dict[str, Any]]] = {workers: [] for workers in args.workers}
    summary_runs: list[dict[str, Any]] = []
    every_runs: list[dict[str, Any]] = []
    peer_runs: dict[str, list[dict[str, float]]] = {row: [] for row in (DATATROVE_ROWS if args.datatrove else [])}
    with tempfile.TemporaryDirectory() as tmp:
        # The worker counts alternate within each repeat, so that a slow minute of the VM falls on
        # both. Each run writes a directory of its own, emptied once it is measured (see above).
        # And a one-worker run with --reports summary (the same records, only the summary beside).
        for repeat in range(args.repeat):
            for workers in args.workers:
                runs[workers].append(measure(path, Path(tmp) / f"w{workers}-{repeat}", workers))
            summary_runs.append(measure(path, Path(tmp) / f"s1-{repeat}", 1, "summary"))
            every_runs.append(measure(path, Path(tmp) / f"e1-{repeat}", 1, "full", "none"))
        same = len({run["digest"] for found in [*runs.values(), summary_runs, every_runs] for run in found}) == 1
        # The real pages as a run of their own (one worker, every report), when they are there.
        real = Path(tmp) / "realtext.jsonl"
        real_mb = write_real_pages(real)
        real_runs = []
        if real_mb:
            real_runs = [measure(real, Path(tmp) / f"real-{repeat}", 1) for repeat in range(args.repeat)]
        for row in peer_runs:  # the peer row (a minute a run) once, the filter row as often as cleaner's
            for repeat in range(args.repeat if row == "filter" else 1):
                found = datatrove(args.datatrove, path, Path(tmp) / f"datatrove-{row}-{repeat}", row)
                if found is not None:
                    peer_runs[row].append(found)
    rows = [median_run(runs[workers]) for workers in args.workers]
    peers = {row: median_run(found) for row, found in peer_runs.items() if found}

    print(f"each row: the median of its runs ({args.repeat} of cleaner's; the datatrove peer row ran once)\n")
    print(
        "| engine | workers | seconds | MB/s | docs/s | CPU seconds | runs (seconds) | peak RSS main | peak RSS worker |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for engine, row in [
        *(("cleaner", row) for row in rows),
        ("cleaner --reports summary", median_run(summary_runs)),
        ("cleaner --review-budget 0 (every document on the page)", median_run(every_runs)),
    ]:
        worker_rss = f"{row['rss_worker_mb']:.0f} MB" if row["workers"] > 1 else "-"
        print(
            f"| {engine} | {row['workers']} | {row['seconds']:.1f} | {size / row['seconds']:.1f} "
            f"| {row['docs'] / row['seconds']:.0f} | {row['cpu']:.1f} | {spread(row)} "
            f"| {row['rss_main_mb']:.0f} MB | {worker_rss} |"
        )
    for row, dt in peers.items():
        print(
            f"| {DATATROVE_ROWS[row]} | 1 | {dt['seconds']:.1f} | {size / dt['seconds']:.1f} "
            f"| {args.docs / dt['seconds']:.0f} | - | {spread(dt)} | {dt['rss_main_mb']:.0f} MB | - |"
        )
    if real_runs:
        real_row = median_run(real_runs)
        print(
            f"\nreal pages ({REALTEXT.relative_to(ROOT.parent)}: {real_row['docs']} dev pages, {real_mb:.1f} MB), "
            f"one worker, every report: {real_row['seconds']:.1f} s, {real_mb / real_row['seconds']:.1f} MB/s "
            f"(runs {spread(real_row)}; each pattern is compiled once a run: a fixed cost, felt more by a run this short)"
        )
        print(
            f"  output byte-identical across its runs: {'yes' if len({r['digest'] for r in real_runs}) == 1 else 'NO'}"
        )
    base = rows[0]
    for row in rows[1:]:
        print(f"\nscaling: {row['workers']} workers = {base['seconds'] / row['seconds']:.2f}x one worker", end="")
        print(f" (CPU: {row['cpu'] / base['cpu']:.2f}x one worker's)")
        # The runs of one repeat follow each other, so they share the VM's minute: their ratio moves
        # less than the medians' (a slow minute falls on both of its runs, not on one row's median).
        paired = [
            first["seconds"] / other["seconds"]
            for first, other in zip(runs[base["workers"]], runs[row["workers"]], strict=True)
        ]
        shown = ", ".join(f"{ratio:.2f}" for ratio in paired)
        print(
            f"  by repeat (its {base['workers']}-worker run / its {row['workers']}-worker run): {shown}; median {statistics.median(paired):.2f}"
        )
    print(f"output byte-identical across worker counts, runs and reports: {'yes' if same else 'NO'}")
    for row, dt in peers.items():
        name = DATATROVE_ROWS[row].split(" + ", 1)[0]
        print(f"cleaner (1 worker) / {name} {row} row: {dt['seconds'] / base['seconds']:.2f}")
    docs = read_documents(path, STEP_SAMPLE + _WARM_UP)
    shares, rounds = step_shares(docs[:STEP_SAMPLE], docs[STEP_SAMPLE:])
    print_steps(f"time per step (one worker, in-process, first {STEP_SAMPLE} documents)", shares, rounds)
    pages = real_pages()
    if pages:  # every other page warms up, the others are timed: no page is timed after itself
        shares, rounds = step_shares(pages[1::2], pages[::2])
        title = (
            f"time per step on real pages ({REALTEXT.relative_to(ROOT.parent)}: {len(pages[1::2])} of its dev pages)"
        )
        print_steps(title, shares, rounds)


if __name__ == "__main__":
    main()
