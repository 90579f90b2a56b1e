"""The Python API, as a pipeline author uses it."""

from __future__ import annotations

import pickle
from pathlib import Path

import orjson

from bench.corpus import write
from cleaner import Cleaner, Removal, Settings


def test_clean_a_text_with_the_shipped_rules() -> None:
    result = Cleaner().clean("Source: Example Agency\nThe minister resigned on Monday.\n", url="https://example.com/a")
    assert result.text == "The minister resigned on Monday.\n"
    assert result.removed == {"credits.source": 1}
    assert result.removals == (Removal(1, "Source: Example Agency", "credits.source"),)
    assert (result.url, result.site, result.stats.lines_in, result.stats.lines_out) == (
        "https://example.com/a",
        None,
        2,
        1,
    )


def test_own_rules_settings_and_records(tmp_path) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text(
        "name: mine\ndescription: d\nrules:\n  - id: mine.banner\n    kind: line\n    description: x\n"
        "    pattern: '^MY BANNER$'\n    keeps: [Text.]\n",
        encoding="utf-8",
    )
    cleaner = Cleaner([rules], default_rules=False, settings=Settings(dedup=False))
    records = [
        {"lang": "en", "text": "MY BANNER\nSame line, twice over.\nSame line, twice over.\n", "meta": {"score": 0.9}},
        {"lang": "en", "text": "MY BANNER\n"},
    ]
    (out,) = list(cleaner.clean_records(iter(records)))
    # The record as the command line writes it (cleaner.records), without id and source.
    assert out == {
        "lang": "en",
        "text": "Same line, twice over.\n\nSame line, twice over.\n",  # dedup off
        "meta": {"score": 0.9},
        "url": None,
        "site": None,
        "stats": {
            "chars_in": 56,
            "chars_out": 47,
            "lines_in": 3,
            "lines_out": 2,
            "removed": {"mine.banner": 1},
            "repaired": {},
        },
    }
    assert list(out) == ["lang", "text", "meta", "url", "site", "stats"]
    assert pickle.loads(pickle.dumps(cleaner)).clean("MY BANNER\nText.\n").text == "Text.\n"


def test_a_cleaner_that_has_classified_lines_still_pickles(tmp_path: Path) -> None:
    # A user's pool or a Ray task pickles a Cleaner that may already have cleaned documents: the
    # line classifier's compiled half (C objects) is then loaded, and must be left behind.
    write(tmp_path / "c.jsonl", 40)
    texts = [orjson.loads(line)["text"] for line in (tmp_path / "c.jsonl").read_bytes().splitlines()]
    cleaner = Cleaner()
    results = [cleaner.clean(text) for text in texts]
    assert any(rule.startswith("classify.") for result in results for rule in result.removed)  # it ran
    copy = pickle.loads(pickle.dumps(cleaner))
    assert [copy.clean(text) for text in texts] == results
