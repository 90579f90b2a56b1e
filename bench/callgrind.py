"""Instructions per document, counted by callgrind: the steady figure on a noisy machine.

    python -m bench.callgrind [--docs 400] [--warm 200] [--cache]

Cleans ``warm`` documents of the bench corpus (loads, compiles, first-use caches), then ``docs``
more, in-process: the pipeline, the outcome (record, diff, review) and the review page's shard
writer, as one worker does them. Under ``valgrind --tool=callgrind`` only the ``docs``
documents are counted (they run inside ``functools.reduce``, the one function callgrind collects
in), so start-up and the warm-up are not. Instruction counts repeat run to run whatever the neighbours do
(set ``PYTHONHASHSEED`` and a private ``CLEANER_CACHE`` to compare two trees).

Instructions are not time: a load that misses the caches costs tens of instructions' time (the
lexical weights, 1 MB, read at random, are most of the line features' stalls in ``perf``'s
samples). ``--cache`` also simulates this machine's caches (valgrind's cache model: the 64 KB L1
data cache, and a 1 MB "last level", a core's L2 here; its shared L3 is the neighbours' too) and
prints the misses per document and an estimate of cycles: instructions, plus CYCLES_L1 per L1
miss (data or instructions: the interpreter's loop misses the instruction cache) that the L2
serves and CYCLES_L2 per L2 miss (AMD EPYC latencies, about right; the figure is for comparing
two trees, and repeats to the unit like the count).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_LOOP = """
import functools, gc, os, sys, orjson
from pathlib import Path
from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.pipeline.outcome import outcome
from cleaner.report.pagedata import ShardPage
from cleaner.rules import engine
from cleaner.rules.book import RuleBook
# The rules' time budget is a wall clock, which valgrind's slowdown (on a busy machine) can pass
# on a long page; the count does not depend on it.
engine.RULE_BUDGET = 1e9
path, warm, docs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pipe = Pipeline(RuleBook.load([Path("rules")]))
batch = []
with open(path, "rb") as handle:
    for n, raw in enumerate(handle):
        if n == warm + docs:
            break
        record = orjson.loads(raw)
        batch.append(Document(record["id"], record["text"], "bench", record.get("url")))
gc.disable()  # as the CLI runs
with open(os.devnull, "wb") as sink:
    page = ShardPage(sink, sink)

    def one(_, doc):
        done = outcome(pipe.clean(doc), pipe)
        if done.review is not None:
            page.add(done.review)

    for doc in batch[:warm]:
        one(None, doc)
    # Patterns compile on first use (cleaner.rules.regex): once a process, tens of millions of
    # instructions for a large one, which would be counted to the document that first needs it.
    # Compiled here instead, so the count is of cleaning alone.
    from cleaner.rules.regex import Regex
    for obj in gc.get_objects():
        if isinstance(obj, Regex) and obj.engine == "re2":
            obj._re2
    # The counted documents run inside functools.reduce, a C function callgrind is told to count
    # in alone (--toggle-collect): start-up and the warm-up are left out.
    functools.reduce(one, batch[warm:], None)
"""


CYCLES_L1 = 14  # an L1 miss served by the L2
CYCLES_L2 = 50  # an L2 miss (served by the L3, most of the time)
_CACHES = ["--cache-sim=yes", "--D1=65536,8,64", "--LL=1048576,16,64"]


def instructions(path: Path, warm: int, docs: int, keep: Path | None = None) -> int:
    """The instructions spent on ``docs`` documents after ``warm``; ``keep``: where to leave
    callgrind's profile (for callgrind_annotate)."""
    return counts(path, warm, docs, keep)["Ir"]


def counts(path: Path, warm: int, docs: int, keep: Path | None = None, caches: bool = False) -> dict[str, int]:
    """callgrind's totals over ``docs`` documents after ``warm`` by event (Ir; with ``caches``
    also the simulated misses: I1mr, D1mr, D1mw, ILmr, DLmr, DLmw and the accesses)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = keep or Path(tmp) / "callgrind.out"
        tool = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce"]
        tool += _CACHES if caches else []
        done = subprocess.run(
            [*tool, f"--callgrind-out-file={out}", sys.executable, "-c", _LOOP, str(path), str(warm), str(docs)],
            cwd=ROOT,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")},
        )
        if done.returncode != 0:  # (valgrind's and Python's messages, which capture_output kept)
            sys.stderr.buffer.write(done.stderr[-4000:])
            raise SystemExit(f"callgrind: the counted run failed (exit status {done.returncode})")
        data = out.read_bytes()
        events = re.search(rb"^events: (.+)$", data, re.M)
        summary = re.search(rb"^summary: (.+)$", data, re.M)
        assert events is not None and summary is not None, "callgrind wrote no summary"
        return dict(zip(events.group(1).decode().split(), map(int, summary.group(1).split()), strict=True))


def cycles(total: dict[str, int]) -> int:
    """The estimate of cycles: instructions, and the misses' latencies."""
    l1 = total["I1mr"] + total["D1mr"] + total["D1mw"]
    l2 = total["ILmr"] + total["DLmr"] + total["DLmw"]
    return total["Ir"] + CYCLES_L1 * (l1 - l2) + CYCLES_L2 * l2


def main() -> None:
    parser = argparse.ArgumentParser(description="instructions per document (callgrind)")
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=None, help="JSONL (default: the 5,000-document bench corpus)")
    parser.add_argument("--keep", type=Path, default=None, help="leave callgrind's profile here")
    parser.add_argument("--cache", action="store_true", help="simulate the caches too: misses and estimated cycles")
    args = parser.parse_args()
    if args.corpus is None:
        from bench.run import corpus

        args.corpus = corpus(5000)
    # One run outside valgrind first: the cache directory's entries (compiled patterns, the
    # prefilter) are then there for the counted run as for a user's second run.
    subprocess.run([sys.executable, "-c", _LOOP, str(args.corpus), str(args.warm), "0"], cwd=ROOT, check=True)
    total = counts(args.corpus, args.warm, args.docs, args.keep, args.cache)
    print(f"{total['Ir'] / args.docs:,.0f} instructions per document ({args.docs} after {args.warm} warm-up)")
    if args.cache:
        per = {event: total[event] / args.docs for event in ("I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")}
        print(
            "per document: L1 misses {:,.0f} instruction, {:,.0f} read, {:,.0f} write; L2 misses {:,.0f} "
            "instruction, {:,.0f} read, {:,.0f} write; estimated cycles {:,.0f}".format(
                *per.values(), cycles(total) / args.docs
            )
        )


if __name__ == "__main__":
    main()
