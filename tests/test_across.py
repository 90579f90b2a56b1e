"""Lines repeated across unrelated sites, and duplicate pages counted once (invented text)."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml

from cleaner.document import Document
from cleaner.io.readers import Fields, Limits, discover
from cleaner.pipeline import Pipeline, Settings
from cleaner.pipeline.mine import mine
from cleaner.repeated.boilerplate import GENERIC_RULE, Thresholds
from cleaner.repeated.spread import SeenDocuments, SiteSpread
from cleaner.rules.book import RuleBook
from cleaner.rules.load import load_rule_files
from cleaner.suggest.rules import suggest

CHROME = "Leave a comment below"
PRICE = "Price 12,50 €"  # its number another on each site: one line once numbers are folded
SYNDICATED = "The council said the new harbour would open to ferries before the end of the summer."
HEADING = "Introduction"
TOPICS = ["gardens", "trains", "bakeries", "rivers", "museums", "bridges"]


def _corpus(tmp_path: Path) -> Path:
    records = []
    for n, topic in enumerate(TOPICS):
        price = PRICE.replace("12", str(10 + n))
        text = f"{HEADING}\n{SYNDICATED}\nA local story about {topic} and the people who love {topic}.\n{price}\n{CHROME}\n"
        records.append({"id": str(n), "url": f"https://www.{topic}-news{n}.org/story", "text": text})
    path = tmp_path / "crawl.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _fates(pipeline: Pipeline, path: Path) -> dict[str, set[str | None]]:
    fates: dict[str, set[str | None]] = {}
    for raw in path.read_bytes().splitlines():
        record = orjson.loads(raw)
        cleaned = pipeline.clean(Document(record["id"], record["text"], "t", record["url"]))
        for line in cleaned.lines:
            fates.setdefault(line.text.split(" about ")[0], set()).add(line.dropped_by)
    return fates


def test_spread_counts_distinct_sites(tmp_path: Path) -> None:
    spread = SiteSpread(tmp_path, buffer=2)  # spills on almost every document
    spread.add(11, [2, 4])
    spread.add(11, [2])  # the same site again: no new site for line 2
    spread.add(13, [2, 6])
    spread.add(15, [6])
    assert sorted(spread.frequent(2)) == [(2, 2), (6, 2)]
    assert sorted(spread.frequent(1)) == [(2, 2), (4, 1), (6, 2)]


def test_seen_documents() -> None:
    seen = SeenDocuments()
    assert [seen.seen(b"a"), seen.seen(b"b"), seen.seen(b"a"), seen.seen(b"b")] == [False, False, True, True]


def test_a_line_on_many_sites_goes_but_prose_and_one_word_headings_stay(tmp_path: Path) -> None:
    path = _corpus(tmp_path)
    pipeline = Pipeline(RuleBook.empty(), Settings(classify=False))
    found = mine(discover([path]), pipeline, Thresholds(min_sites=5))
    fates = _fates(pipeline.with_repeated(found), path)
    prices = {PRICE.replace("12", str(10 + n)): {None} for n in range(len(TOPICS))}  # a number: data, not chrome
    assert fates == {CHROME: {GENERIC_RULE}, SYNDICATED: {None}, HEADING: {None}, "A local story": {None}, **prices}
    # Six sites are under a threshold of seven: nothing goes.
    found = mine(discover([path]), pipeline, Thresholds(min_sites=7))
    assert _fates(pipeline.with_repeated(found), path)[CHROME] == {None}


def test_duplicate_pages_count_once(tmp_path: Path) -> None:
    """Three copies of one page and one other page of the site: the page's own lines are in one
    distinct document, under --min-docs 2; the banner of both pages goes."""
    page = "Valley Post banner\nOur bakery guide lists every oven in town.\nOpening times vary.\n"
    other = "Valley Post banner\nThe river festival returns next week.\n"
    records = [{"id": str(n), "url": "https://valleypost.example.org/a", "text": page} for n in range(3)]
    records.append({"id": "3", "url": "https://valleypost.example.org/b", "text": other})
    path = tmp_path / "dups.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    pipeline = Pipeline(RuleBook.empty(), Settings(classify=False))
    found = mine(discover([path]), pipeline, Thresholds(min_docs=2, min_share=0.0))
    cleaned = pipeline.with_repeated(found).clean(Document("0", page, "t", "https://valleypost.example.org/a"))
    assert [line.dropped_by for line in cleaned.lines] == ["repeated:example.org", None, None]


def test_suggest_generic_writes_a_generic_rule_file(tmp_path: Path) -> None:
    path = _corpus(tmp_path)
    pipeline = Pipeline(RuleBook.empty(), Settings(classify=False))
    found = mine(discover([path]), pipeline, Thresholds(min_sites=5))
    out = tmp_path / "suggested"
    report = suggest(discover([path]), pipeline, found, out, Fields(), Limits(), generic=True)
    written = [s for s in report if s.path is not None]
    assert [s.path.name for s in written] == ["generic-suggested.yaml"]  # type: ignore[union-attr]
    data = yaml.safe_load((out / "generic-suggested.yaml").read_text(encoding="utf-8"))
    assert "match" not in data
    assert [(r["kind"], r["pattern"]) for r in data["rules"]] == [("line", "^Leave a comment below$")]
    assert load_rule_files([out])[0][1].generic
    # Without --generic, nothing is written: no site has a line repeated within it.
    assert all(
        s.path is None for s in suggest(discover([path]), pipeline, found, tmp_path / "none", Fields(), Limits())
    )
