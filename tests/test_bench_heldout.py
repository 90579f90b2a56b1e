"""bench.heldout: each page goes to the fold of its site (the fold whose model never saw it), no page
is lost, and its table lives in docs/quality.md beside bench.quality's, each rewriting its own."""

from __future__ import annotations

import json
from pathlib import Path

from bench.heldout import split_pages, write_block
from bench.quality import write_doc


def test_a_page_goes_to_its_site_s_fold_and_none_is_lost(tmp_path: Path) -> None:
    gold = tmp_path / "x-dev.jsonl"
    pages = [
        {"id": "a", "url": "https://news.example.com/1", "text": "one"},
        {"id": "b", "url": "https://www.example.com/2", "text": "two"},  # the same registrable domain
        {"id": "c", "url": "https://other.org/3", "text": "three"},
        {"id": "d", "text": "four"},  # no URL: its site is its id, as bench.train groups it
        {"id": "e", "url": "https://unlabelled.net/", "text": "five"},  # no labelled line: in no fold
    ]
    gold.write_text("".join(json.dumps(page) + "\n" for page in pages), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    paths = split_pages(gold, {"example.com": 1, "other.org": 2, "d": 1}, out)
    assert [path.name for path in paths] == ["x-dev-0.jsonl", "x-dev-1.jsonl", "x-dev-2.jsonl"]
    ids = [[json.loads(row)["id"] for row in path.read_text(encoding="utf-8").splitlines()] for path in paths]
    assert ids == [["e"], ["a", "b", "d"], ["c"]]


def test_each_bench_rewrites_its_own_table_and_keeps_the_other_s(tmp_path: Path) -> None:
    doc = tmp_path / "quality.md"
    write_doc(doc, "| in-sample 1 |")
    assert "(not measured yet: run `make bench-heldout`)" in doc.read_text(encoding="utf-8")
    write_block(doc, "| held out 1 |")
    write_doc(doc, "| in-sample 2 |")
    text = doc.read_text(encoding="utf-8")
    assert "| in-sample 2 |" in text and "| in-sample 1 |" not in text
    assert "<!-- held-out -->\n| held out 1 |\n<!-- /held-out -->\n" in text
    assert "not measured yet" not in text
    write_block(doc, "| held out 2 |")
    text = doc.read_text(encoding="utf-8")
    assert text.count("<!-- held-out -->") == 1 and "| held out 1 |" not in text
    assert "<!-- held-out -->\n| held out 2 |\n<!-- /held-out -->\n" in text and "| in-sample 2 |" in text
