"""`make bench-html`: cleaner against plain trafilatura on the scrapinghub article-extraction
benchmark (../shared/bench/scrapinghub-aeb, not part of a user's clone).

    python -m bench.html [--bench DIR]

For each page: bag-of-words precision, recall and F1 against the hand-marked article body
(lowercased word tokens, multiset overlap), averaged over pages; and pages per second. Both run
on the same pages in the same process, one after the other.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from cleaner.document import Document
from cleaner.errors import CleanerError
from cleaner.io.web import decode_html
from cleaner.pipeline import Pipeline
from cleaner.rules.book import RuleBook

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "bench" / "scrapinghub-aeb"
WORD = re.compile(r"\w+")


def scores(predicted: str, truth: str) -> tuple[float, float, float]:
    got, want = Counter(WORD.findall(predicted.lower())), Counter(WORD.findall(truth.lower()))
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


ROUNDS = 3  # each extractor's best of three, taken in turns: one pass is ~3 s, noisy on a shared machine
Extract = Callable[[bytes, str], str]


def timed(extract: Extract, pages: list[tuple[bytes, str, str]]) -> tuple[list[str], float]:
    start = time.perf_counter()
    outputs = [extract(html, url) for html, url, _ in pages]
    return outputs, time.perf_counter() - start


def evaluate(name: str, outputs: list[str], elapsed: float, pages: list[tuple[bytes, str, str]]) -> dict[str, float]:
    totals = [0.0, 0.0, 0.0]
    for text, (_, _, truth) in zip(outputs, pages, strict=True):
        for i, value in enumerate(scores(text, truth)):
            totals[i] += value
    n = len(pages)
    return {"name": name, "p": totals[0] / n, "r": totals[1] / n, "f1": totals[2] / n, "pages_s": n / elapsed}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description="cleaner vs trafilatura on scrapinghub-aeb")
    parser.add_argument("--bench", type=Path, default=DEFAULT)
    args = parser.parse_args()
    if not (args.bench / "html").is_dir():
        print(f"bench-html: {args.bench} is not there (it lives in shared/, beside the project); skipped")
        return
    urls = dict(line.split("\t", 1) for line in (args.bench / "meta.tsv").read_text().splitlines() if "\t" in line)
    pages = []
    for path in sorted((args.bench / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        truth = (args.bench / "truth" / f"{page_id}.txt").read_text(encoding="utf-8")
        pages.append((gzip.decompress(path.read_bytes()), urls.get(page_id, "").strip(), truth))

    pipeline = Pipeline(RuleBook.load([ROOT / "rules"]))

    def plain(html: bytes, url: str) -> str:
        return trafilatura.extract(html, url=url or None) or ""

    def cleaner(html: bytes, url: str) -> str:
        page, meta = decode_html(html)
        try:
            return pipeline.clean(Document("page", "", "bench", url or None, meta, html=page)).text
        except CleanerError:
            return ""

    extractors: dict[str, Extract] = {"trafilatura.extract": plain, "cleaner": cleaner}
    best: dict[str, tuple[list[str], float]] = {}
    for _ in range(ROUNDS):
        for name, extract in extractors.items():
            outputs, elapsed = timed(extract, pages)
            if name not in best or elapsed < best[name][1]:
                best[name] = (outputs, elapsed)
    rows = [evaluate(name, *best[name], pages) for name in extractors]
    print(f"{len(pages)} pages from {args.bench}\n")
    print("| extractor | precision | recall | F1 | pages/s |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['name']} | {row['p']:.3f} | {row['r']:.3f} | {row['f1']:.3f} | {row['pages_s']:.1f} |")
    print(f"\nspeed ratio cleaner / trafilatura: {rows[1]['pages_s'] / rows[0]['pages_s']:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
