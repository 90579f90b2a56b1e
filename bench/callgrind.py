"""Instructions per document, counted by callgrind: the steady figure on a noisy machine.

    python -m bench.callgrind [--docs 400] [--warm 200]

Cleans ``warm`` documents of the bench corpus (loads, compiles, first-use caches), then ``docs``
more, in-process: the pipeline, the outcome (record, diff, review) and the review page's shard
writer, as one worker does them. Under ``valgrind --tool=callgrind`` only the ``docs``
documents are counted (they run inside ``functools.reduce``, the one function callgrind collects
in), so start-up and the warm-up are not. Instruction counts repeat run to run whatever the neighbours do
(set ``PYTHONHASHSEED`` and a private ``CLEANER_CACHE`` to compare two trees).
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
from cleaner.rules.book import RuleBook
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
    # The counted documents run inside functools.reduce, a C function callgrind is told to count
    # in alone (--toggle-collect): start-up and the warm-up are left out.
    functools.reduce(one, batch[warm:], None)
"""


def instructions(path: Path, warm: int, docs: int, keep: Path | None = None) -> int:
    """The instructions spent on ``docs`` documents after ``warm``; ``keep``: where to leave
    callgrind's profile (for callgrind_annotate)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = keep or Path(tmp) / "callgrind.out"
        tool = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce"]
        subprocess.run(
            [*tool, f"--callgrind-out-file={out}", sys.executable, "-c", _LOOP, str(path), str(warm), str(docs)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")},
        )
        summary = re.search(rb"^summary: (\d+)", out.read_bytes(), re.M)
        assert summary is not None, "callgrind wrote no summary"
        return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description="instructions per document (callgrind)")
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=None, help="JSONL (default: the 5,000-document bench corpus)")
    parser.add_argument("--keep", type=Path, default=None, help="leave callgrind's profile here")
    args = parser.parse_args()
    if args.corpus is None:
        from bench.run import corpus

        args.corpus = corpus(5000)
    # One run outside valgrind first: the cache directory's entries (compiled patterns, the
    # prefilter) are then there for the counted run as for a user's second run.
    subprocess.run([sys.executable, "-c", _LOOP, str(args.corpus), str(args.warm), "0"], cwd=ROOT, check=True)
    total = instructions(args.corpus, args.warm, args.docs, args.keep)
    print(f"{total / args.docs:,.0f} instructions per document ({args.docs} after {args.warm} warm-up)")


if __name__ == "__main__":
    main()
