"""This tree's one-worker run against an older revision's, on this machine, in the same minutes.

    python -m bench.baseline [--rev b98c7c2] [--docs 50000] [--repeat 3] [--workers 1] [--first-pass-reports]
                             [--every-document]

Issue 15's targets were set on another machine ("15 MB/s at this machine's speed", where the
first pass, b98c7c2, ran at 5.1-5.3 MB/s). This VM's speed drifts by a third from one hour to the
next, and MB/s figures from different machines or hours cannot be compared; the speed of one tree
against another, run by run in the same minutes, can. The old revision is checked out into a
temporary worktree and timed by **its own** ``bench.run._MEASURE`` (the run as that revision's
``make bench`` timed it: its ``run()``, every step and report it had), this tree by its own, on
the same corpus, alternating which goes first; each pair's ratio is printed, then their median.
The old tree runs on this venv's Python and packages (pure Python then: no C halves to build).

``--first-pass-reports`` times this tree a second time in each repeat, writing the reports the
first pass wrote: every diff, and review records (the page's documents, and so removals.jsonl's
lines) for the first 2,000 changed documents only, its ``html.MAX_DOCS``. Since then the review
page has come to hold every changed document and each removal in context, and removals.jsonl was
added for ``cleaner compare``: the ratio of that run says what the cleaning itself gained, the other
what a run with today's reports did.

``--every-document`` times this tree once more with every changed document whole on the review
page (``--review-budget 0``), as it was before the page had a budget (the bench corpus is some
ten times the default budget: the default run keeps about a tenth of its documents whole).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import _MEASURE, ROOT, corpus

FIRST_PASS = "b98c7c2"  # issue 15's first pass: "5.1-5.3 MB/s", the figure its targets scale
FIRST_PASS_DOCS = 2000  # the review page's documents at the first pass (its html.MAX_DOCS)


def first_pass_measure(docs: int = FIRST_PASS_DOCS) -> str:
    """_MEASURE with review records for the first ``docs`` changed documents only: a measurement,
    not a mode of cleaner's (outcome() is wrapped in the timing process, before the run is imported)."""
    return f"""
from cleaner.pipeline import outcome as _outcome
_made, _reviewed = _outcome.outcome, [0]
def _limited(cleaned, pipeline, with_html=True):
    made = _made(cleaned, pipeline, with_html and _reviewed[0] < {docs})
    _reviewed[0] += made.review is not None
    return made
_outcome.outcome = _limited
{_MEASURE}"""


def old_measure(tree: Path) -> str:
    """The revision's own timing snippet (its bench/run.py's _MEASURE), read without importing
    its package (whose names are this tree's too)."""
    spec = importlib.util.spec_from_file_location("old_bench_run", tree / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(tree))  # its bench/run.py imports its bench.corpus
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name == "bench" or name.startswith("bench.")}
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(tree))
        for name in [name for name in sys.modules if name == "bench" or name.startswith("bench.")]:
            del sys.modules[name]
        sys.modules.update(saved)
    return str(module._MEASURE)


def timed(tree: Path, snippet: str, args: list[str], out: Path) -> float:
    """One run in a fresh process, in ``tree`` (its rules, its package first on the path)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", snippet, *args], cwd=tree, env=env, check=True, capture_output=True, text=True
    )
    shutil.rmtree(out, ignore_errors=True)
    return float(done.stdout.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rev", default=FIRST_PASS)
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--first-pass-reports", action="store_true", help="time this tree with the first pass's reports too"
    )
    parser.add_argument(
        "--every-document",
        action="store_true",
        help="time this tree with every changed document on the review page too (--review-budget 0)",
    )
    args = parser.parse_args()
    path = corpus(args.docs)
    size = path.stat().st_size / 1e6
    with tempfile.TemporaryDirectory(prefix="baseline-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), args.rev], cwd=ROOT, check=True)
        try:
            snippet = old_measure(tree)
            ratios: list[float] = []
            same: list[float] = []  # against this tree with the first pass's reports
            every: list[float] = []  # against this tree with every document on the review page
            sides = [
                "old",
                "new",
                *(["same"] if args.first_pass_reports else []),
                *(["every"] if args.every_document else []),
            ]
            print(
                f"corpus: {path.relative_to(ROOT)}, {size:.1f} MB; {args.workers} worker(s); {args.rev} against this tree"
            )
            for rep in range(args.repeat):
                runs = {}
                for side in sides[rep % len(sides) :] + sides[: rep % len(sides)]:  # each goes first in turn
                    out = Path(scratch) / side
                    if side == "old":
                        runs[side] = timed(tree, snippet, [str(path), str(out), str(args.workers)], out)
                    else:
                        measure = first_pass_measure() if side == "same" else _MEASURE
                        budget = "none" if side == "every" else "default"
                        runs[side] = timed(ROOT, measure, [str(path), str(out), str(args.workers), "full", budget], out)
                ratios.append(runs["old"] / runs["new"])
                line = (
                    f"  {args.rev} {runs['old']:.1f} s ({size / runs['old']:.2f} MB/s), "
                    f"this tree {runs['new']:.1f} s ({size / runs['new']:.2f} MB/s): {ratios[-1]:.2f}x"
                )
                if "same" in runs:
                    same.append(runs["old"] / runs["same"])
                    line += f"; with the first pass's reports {runs['same']:.1f} s: {same[-1]:.2f}x"
                if "every" in runs:
                    every.append(runs["old"] / runs["every"])
                    line += f"; every document on the page {runs['every']:.1f} s: {every[-1]:.2f}x"
                print(line)
            print(f"this tree / {args.rev}: median {statistics.median(ratios):.2f}x")
            if same:
                print(f"this tree with the first pass's reports / {args.rev}: median {statistics.median(same):.2f}x")
            if every:
                print(f"this tree, every document on the page / {args.rev}: median {statistics.median(every):.2f}x")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
