"""`make bench-html`: cleaner against each extractor alone, on two dev sets in ../shared/bench
(not part of a user's clone; skipped when absent).

    python -m bench.html [--shared DIR] [--rounds N]

- scrapinghub-aeb (129 news and blog articles): bag-of-words precision, recall and F1 per page
  against the hand-marked article body (lowercased word tokens, multiset overlap), averaged.
- traf-html (679 pages of many kinds, mostly German): the share of content snippets kept and of
  boilerplate snippets left, scored by realtext/score.py against traf-dev.jsonl.

Pages per CPU second over each set (the process's CPU time, not wall time: the machine may be
shared; each extractor's best of ``--rounds`` passes, taken in turns), and the CPU time against
``trafilatura.extract`` with its defaults.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import justext
import trafilatura
from readability import Document as Readability
from readability.readability import Unparseable
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from cleaner.document import Document
from cleaner.errors import CleanerError
from cleaner.io.web import decode_html
from cleaner.pipeline import Pipeline, Settings
from cleaner.rules.book import RuleBook
from cleaner.steps.extract import ExtractOptions

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
WORD = re.compile(r"\w+")
Extract = Callable[[str, str], str]
Page = tuple[str, str, str]  # id, html, url
BASELINE = "trafilatura.extract"


def scores(predicted: str, truth: str) -> tuple[float, float, float]:
    got, want = Counter(WORD.findall(predicted.lower())), Counter(WORD.findall(truth.lower()))
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _plain(html: str, main_content: bool) -> str:
    return extract_plain_text(
        HTMLTree.parse(html), preserve_formatting=True, main_content=main_content, list_bullets=False, alt_texts=False
    )


def _readability(html: str, url: str) -> str:
    try:
        return _plain(Readability(html).summary(html_partial=True), main_content=False)
    except Unparseable:  # it gives up on some pages
        return ""


_STOPWORDS = frozenset().union(*(justext.get_stoplist(language) for language in justext.get_stoplists()))


def _justext(html: str, url: str) -> str:
    paragraphs = justext.justext(html.encode("utf-8"), _STOPWORDS, encoding="utf-8")
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def _cleaner(options: ExtractOptions) -> Extract:
    pipeline = Pipeline(RuleBook.load([ROOT / "rules"]), Settings(extraction=options))

    def run(html: str, url: str) -> str:
        try:
            return pipeline.clean(Document("page", "", "bench", url or None, html=html)).text
        except CleanerError:
            return ""

    return run


def extractors() -> dict[str, Extract]:
    return {
        BASELINE: lambda html, url: trafilatura.extract(html, url=url or None) or "",
        "readability-lxml": _readability,
        "resiliparse": lambda html, url: _plain(html, main_content=True),
        "jusText (all stoplists)": _justext,
        "cleaner --fast": _cleaner(ExtractOptions(fast=True)),
        "cleaner": _cleaner(ExtractOptions()),
    }


def aeb_pages(folder: Path) -> tuple[list[Page], dict[str, str]]:
    urls = dict(line.split("\t", 1) for line in (folder / "meta.tsv").read_text().splitlines() if "\t" in line)
    pages, truth = [], {}
    for path in sorted((folder / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        html, _ = decode_html(gzip.decompress(path.read_bytes()))
        pages.append((page_id, html, urls.get(page_id, "").strip()))
        truth[page_id] = (folder / "truth" / f"{page_id}.txt").read_text(encoding="utf-8")
    return pages, truth


def traf_pages(folder: Path) -> list[Page]:
    with gzip.open(folder / "traf-html-dev.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [(str(r["id"]), r["html"], r.get("url") or "") for r in map(json.loads, handle)]


def load_score(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("realtext_score", folder / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(pages: list[Page], named: dict[str, Extract], rounds: int) -> dict[str, tuple[dict[str, str], float]]:
    best: dict[str, tuple[dict[str, str], float]] = {}
    for _ in range(rounds):
        for name, extract in named.items():
            start = time.process_time()
            outputs = {page_id: extract(html, url) for page_id, html, url in pages}
            elapsed = time.process_time() - start
            if name not in best or elapsed < best[name][1]:
                best[name] = (outputs, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description="cleaner against single extractors on two HTML dev sets")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--rounds", type=int, default=1, help="timed passes per extractor (best kept)")
    args = parser.parse_args()
    aeb, realtext = args.shared / "scrapinghub-aeb", args.shared / "realtext"
    named = extractors()
    if (aeb / "html").is_dir():
        pages, truth = aeb_pages(aeb)
        best = run(pages, named, args.rounds)
        print(f"scrapinghub-aeb: {len(pages)} pages\n")
        print("| extractor | precision | recall | F1 | pages/CPU s | CPU time / trafilatura.extract |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, (outputs, elapsed) in best.items():
            p, r, f = (sum(s) / len(pages) for s in zip(*(scores(outputs[i], truth[i]) for i in truth), strict=True))
            ratio = elapsed / best[BASELINE][1]
            print(f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {len(pages) / elapsed:.1f} | {ratio:.2f} |")
        print()
    else:
        print(f"bench-html: {aeb} is not there (it lives in shared/, beside the project); skipped\n")
    if (realtext / "traf-html-dev.jsonl.gz").is_file():
        score = load_score(realtext)
        gold = {str(g["id"]): g for g in score.read_jsonl(str(realtext / "traf-dev.jsonl"))}
        pages = traf_pages(realtext)
        best = run(pages, named, args.rounds)
        print(f"traf-html: {len(pages)} pages\n")
        print("| extractor | content kept | boilerplate left | pages/CPU s | CPU time / trafilatura.extract |")
        print("|---|---:|---:|---:|---:|")
        for name, (outputs, elapsed) in best.items():
            total: Counter[str] = Counter()
            for page_id, record in gold.items():
                total.update(score.score_snippets(record, outputs.get(page_id, "")))
            kept, left = total["with_found"] / total["with"], total["without_found"] / total["without"]
            ratio = elapsed / best[BASELINE][1]
            print(f"| {name} | {kept:.3f} | {left:.3f} | {len(pages) / elapsed:.1f} | {ratio:.2f} |")
    else:
        print(f"bench-html: {realtext} is not there; skipped")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
