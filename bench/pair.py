"""Two trees' pipelines timed side by side: the judge for a change that callgrind cannot see.

    python -m bench.pair TREE_A TREE_B [--corpus FILE] [--docs 5000] [--runs 8] [--whole]

callgrind counts instructions, and its cache model charges every miss its full latency: a change
whose gain is misses in flight together (prefetching, a gather loop) shows there as a small loss.
Wall or CPU time of separate runs cannot show it either: this VM's speed drifts by 10-30% from
one minute to the next. So A and B run **at the same time**, each pinned to one of two cores (the
cores swapped every run), each cleaning the same documents in-process after a warm-up, with every
report's rendering (``clean_one``); the figure is B's CPU time over A's, run by run, and their
median. A drift of the machine falls on both. With ``--whole`` each side does the run a user's
``cleaner clean`` does (one worker, every output and report written to a directory of its own:
``pipeline.run.run``), once to warm up and once timed: the reading, the shards' writes and the
assembly are in the figure then, the kernel's share of the writes too. Two runs writing 500 MB each
at once are noisier (a tree against itself: median 0.96, runs 0.82-1.03, in the nineteenth pass):
it judges a change of a tenth, not of a few percent. Each tree must be a checkout with its C halves built in place
(``python -c "from setuptools import setup; setup()" build_ext --inplace``). Compare a tree with
itself first: the spread of that median is the noise (0.93-1.06 a run, median 0.99, in the
eighteenth pass).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

_CLEAN = """
import os, sys, time, orjson
from pathlib import Path
os.sched_setaffinity(0, {int(sys.argv[1])})
from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.pipeline.outcome import clean_one
from cleaner.rules.book import RuleBook
with open(sys.argv[2], "rb") as lines:
    records = [orjson.loads(line) for _, line in zip(range(int(sys.argv[3])), lines)]
docs = [Document(id=str(i), text=r["text"], url=r.get("url"), source="pair") for i, r in enumerate(records)]
pipeline = Pipeline(RuleBook.load([Path("rules")]))
for doc in docs[:200]:  # the warm-up: imports, the model, compiled patterns
    clean_one(pipeline, doc, True)
start = time.process_time()
for doc in docs:
    clean_one(pipeline, doc, True)
print(time.process_time() - start)
"""

_WHOLE = """
import os, sys, tempfile, time
from pathlib import Path
os.sched_setaffinity(0, {int(sys.argv[1])})
from cleaner.pipeline import Pipeline
from cleaner.pipeline.run import Target, run
from cleaner.rules.book import RuleBook
pipeline = Pipeline(RuleBook.load([Path("rules")]))
with tempfile.TemporaryDirectory(prefix="pair-") as scratch:
    for name in ("warm", "timed"):  # the first run: first-use compiles and caches, the page cache
        start = time.process_time()
        run([Path(sys.argv[2])], pipeline, Target(Path(scratch, name, "clean.jsonl"), Path(scratch, name, "reports")))
        took = time.process_time() - start
print(took)  # (the timed run's: not the removal of the scratch directory)
"""


def run_pair(
    trees: tuple[Path, Path], cores: tuple[int, int], corpus: Path, docs: int, whole: bool = False
) -> tuple[float, float]:
    """One run: A on cores[0] and B on cores[1], started together; their CPU seconds."""
    python = sys.executable
    running = [
        subprocess.Popen(
            [python, "-c", _WHOLE if whole else _CLEAN, str(core), str(corpus), str(docs)],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for tree, core in zip(trees, cores, strict=True)
    ]
    outputs = [process.communicate()[0] for process in running]
    if any(process.returncode for process in running):
        raise SystemExit("a run failed")
    return float(outputs[0]), float(outputs[1])


def main() -> None:
    parser = argparse.ArgumentParser(description="two trees' pipelines timed side by side")
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--corpus", type=Path, default=None, help="JSONL (default: the 5,000-document bench corpus)")
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument(
        "--whole",
        action="store_true",
        help="time the whole run (reading, writing, reports) of the corpus's every document",
    )
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("bench.pair needs two cores")
    if args.corpus is None:
        from bench.run import corpus

        args.corpus = corpus(args.docs if args.whole else 5000)  # (--whole: all of it, so one of --docs)
    first, second = sorted(os.sched_getaffinity(0))[:2]
    trees = (args.a.resolve(), args.b.resolve())
    ratios = []
    for run in range(args.runs):
        cores = (first, second) if run % 2 == 0 else (second, first)
        a, b = run_pair(trees, cores, args.corpus.resolve(), args.docs, args.whole)
        ratios.append(b / a)
        print(f"run {run + 1}: A {a:.3f} s, B {b:.3f} s, B/A {b / a:.3f}")
    print(f"B/A median {statistics.median(ratios):.3f} (runs {min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    main()
