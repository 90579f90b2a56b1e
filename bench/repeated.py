"""`make bench-repeated`: how well --drop-repeated finds planted boilerplate, and what mining costs.

    python -m bench.repeated [--docs 10000] [--scale 100000 1000000] [--workers 2]

On a labelled corpus from bench/sites.py: the share of planted boilerplate lines removed (by
the repeated-lines step, and by anything), and the content lines lost. Then the mining pass
alone on larger corpora of the same kind, each in a fresh process: seconds, documents/s and
peak RSS of the process that counts (and of the largest worker), to show memory stays flat;
then the same corpora with every document on a domain of its own (as many sites as documents).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson

from bench.run import corpus
from bench.sites import write, write_scattered
from cleaner.document import Document
from cleaner.io.readers import discover
from cleaner.pipeline import Pipeline
from cleaner.pipeline.mine import mine
from cleaner.repeated.boilerplate import RULE_PREFIX, Thresholds
from cleaner.rules.book import RuleBook

ROOT = Path(__file__).resolve().parent.parent

_MINE = """
import resource, sys, time
from pathlib import Path
from cleaner.pipeline import Pipeline
from cleaner.io.readers import discover
from cleaner.repeated.boilerplate import Thresholds
from cleaner.pipeline.mine import mine
from cleaner.rules.book import RuleBook
path, workers = Path(sys.argv[1]), int(sys.argv[2])
start = time.perf_counter()
found = mine(discover([path]), Pipeline(RuleBook.load([Path("rules")])), Thresholds(), workers=workers)
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(elapsed, own, children, len(found.site_docs), len(found.lines))
"""


def quality(path: Path, workers: int) -> None:
    pipeline = Pipeline(RuleBook.load([ROOT / "rules"]))
    found = mine(discover([path]), pipeline, Thresholds(), workers=workers)
    dropping = pipeline.with_repeated(found)
    fates: Counter[tuple[str, str]] = Counter()
    with path.open("rb") as handle:
        for raw in handle:
            record = orjson.loads(raw)
            cleaned = dropping.clean(Document(record["id"], record["text"], str(path), record["url"]))
            for line, label in zip(cleaned.lines, record["labels"], strict=True):
                if label != "blank":
                    fate = line.dropped_by or "kept"
                    fates[label, "repeated" if fate.startswith(RULE_PREFIX) else fate] += 1
    planted = sum(n for (label, _), n in fates.items() if label == "boilerplate")
    content = sum(n for (label, _), n in fates.items() if label == "content")
    by_step = fates["boilerplate", "repeated"]
    removed = planted - fates["boilerplate", "kept"]
    lost = {fate: n for (label, fate), n in fates.items() if label == "content" and fate != "kept"}
    print(
        f"corpus: {path.relative_to(ROOT)}, sites with repeated lines: {len(found.site_docs)}, lines: {len(found.lines)}"
    )
    print(f"planted boilerplate lines: {planted}")
    print(f"  removed by the repeated-lines step: {by_step} ({by_step / planted:.1%})")
    print(f"  removed by anything (shipped rules first): {removed} ({removed / planted:.1%})")
    print(f"content lines: {content}")
    print(f"  removed by the repeated-lines step: {fates['content', 'repeated']}")
    print(f"  removed by anything: {sum(lost.values())} {lost}")


def scale(docs: int, workers: int, scattered: bool = False) -> None:
    path = corpus(docs, "scattered", write_scattered) if scattered else corpus(docs, "sites", write)
    done = subprocess.run(
        [sys.executable, "-c", _MINE, str(path), str(workers)], cwd=ROOT, check=True, capture_output=True, text=True
    )
    elapsed, own, children, _, lines = done.stdout.split()
    print(
        f"| {docs}{' (a domain each)' if scattered else ''} | {path.stat().st_size / 1e6:.0f} | {float(elapsed):.1f} | {docs / float(elapsed):.0f} "
        f"| {int(own) / 1024:.0f} MB | {int(children) / 1024:.0f} MB | {lines} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="cleaner repeated-lines benchmark")
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--scale", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    quality(corpus(args.docs, "sites", write), args.workers)
    if args.scale:
        print(f"\nmining pass alone, {args.workers} workers:")
        print("| documents | MB | seconds | docs/s | peak RSS (counting) | peak RSS (worker) | repeated lines |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for scattered in (False, True):
            for docs in args.scale:
                scale(docs, args.workers, scattered)


if __name__ == "__main__":
    main()
