"""Where the CPU of a parallel run goes: the main process against its workers (issue 15).

    python -m bench.scaling [--docs 5000] [--workers 1 2] [--repeat 3]

With fast workers the main process is what limits scaling, and the wall-time ratio of today's
slow pipeline hides it; so each run (a fresh process, `run()` as `cleaner clean` calls it, every
report on) reports CPU time, read with getrusage: the main process's during the cleaning phase
(planning, order, progress), joining the review page from the shards' page files (on whichever
thread and in whichever phase it is joined; the page data is rendered where the documents are
cleaned, so with workers that is in their CPU) and the rest of assembly, and its reaped
children's (the workers). The cleaning phase includes the warm-up before the workers are forked
(local.warm: ftfy's import, the model, first patterns), a fixed cost shown on its own too: at
5,000 documents it is most of that column. A second, instrumented run counts
the bytes the main process pickles to its workers and unpickles from them. Medians over
``--repeat`` runs; every figure is per input document.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

from bench.run import ROOT, corpus

_MEASURE = """
import resource, sys, time
from pathlib import Path
import orjson
from cleaner.pipeline import Pipeline
from cleaner.pipeline import workdir
from cleaner.rules.book import RuleBook
from cleaner.pipeline.run import Target, run
corpus, out, workers, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
pickled = [0, 0]
if count:  # what crosses between the processes, seen from the main process
    from multiprocessing import reduction
    dumps, loads = reduction.ForkingPickler.dumps, reduction.ForkingPickler.loads
    def counted_dumps(obj, protocol=None):
        data = dumps(obj, protocol)
        pickled[0] += len(data)
        return data
    def counted_loads(data, *args, **kwargs):
        pickled[1] += len(data)
        return loads(data, *args, **kwargs)
    reduction.ForkingPickler.dumps = counted_dumps
    reduction.ForkingPickler.loads = staticmethod(counted_loads)
assembly, assembling = [0.0], [False]
assemble = workdir.WorkDir.assemble
def timed(self, *args, **kwargs):
    start = time.process_time()
    assembling[0] = True
    try:
        return assemble(self, *args, **kwargs)
    finally:
        assembly[0] += time.process_time() - start
        assembling[0] = False
workdir.WorkDir.assemble = timed
from cleaner.report import html
page = [0.0, 0.0]  # CPU of the thread building it: during the cleaning phase, in assembly
write_page = html.write_page
def timed_page(*args, **kwargs):
    start, when = time.thread_time(), int(assembling[0])
    try:
        return write_page(*args, **kwargs)
    finally:
        page[when] += time.thread_time() - start
html.write_page = timed_page
from cleaner.pipeline import local
warmed = [0.0]  # CPU of the warm-up before the fork (local.warm): once a run, in the cleaning phase
warm = local.warm
def timed_warm(*args, **kwargs):
    start = time.process_time()
    try:
        return warm(*args, **kwargs)
    finally:
        warmed[0] += time.process_time() - start
local.warm = timed_warm
pipeline = Pipeline(RuleBook.load([Path("rules")]))
children = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu, wall = time.process_time(), time.perf_counter()
result = run([corpus], pipeline, Target(out / "clean.jsonl", out / "reports", overwrite=True), workers=workers)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
after = resource.getrusage(resource.RUSAGE_CHILDREN)
worker_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
print(orjson.dumps({"wall": wall, "main": cpu - assembly[0] - page[0], "assembly": assembly[0] - page[1],
                    "page": page[0] + page[1],
                    "workers": worker_cpu, "warm": warmed[0],
                    "docs": result.totals.docs_in, "sent": pickled[0], "received": pickled[1]}).decode())
"""


def measure(path: Path, workers: int, count: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(path), tmp, str(workers), "1" if count else "0"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    return orjson.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="main-process and worker CPU per document")
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = corpus(args.docs)
    print(f"corpus: {path.relative_to(ROOT)}, {args.docs} documents, {path.stat().st_size / 1e6:.1f} MB\n")
    print("| workers | wall s | main CPU us/doc: cleaning phase (page excluded) | review page | rest of assembly "
          "| worker CPU us/doc | main cleaning / worker CPU | pickled out B/doc | pickled in B/doc "
          "| of the cleaning phase, warm-up ms |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workers in args.workers:
        runs = [measure(path, workers) for _ in range(args.repeat)]
        counted = measure(path, workers, count=True) if workers > 1 else {"sent": 0, "received": 0}
        docs = runs[0]["docs"]

        def median(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(run[key] for run in runs)

        main_us, page_us = median("main") / docs * 1e6, median("page") / docs * 1e6
        rest_us = median("assembly") / docs * 1e6
        # One worker cleans in the main process: its cleaning CPU is the worker's.
        worker_us = median("workers") / docs * 1e6 if workers > 1 else main_us
        share = f"{main_us / worker_us:.2%}" if workers > 1 else "-"
        print(
            f"| {workers} | {median('wall'):.1f} | {main_us:.1f} | {page_us:.0f} | {rest_us:.0f} | {worker_us:.0f} "
            f"| {share} | {counted['sent'] / docs:.1f} | {counted['received'] / docs:.1f} "
            f"| {median('warm') * 1e3:.0f} |"
        )


if __name__ == "__main__":
    main()
