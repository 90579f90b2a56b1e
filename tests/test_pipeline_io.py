"""cleaner in a data pipeline: every input field survives, output formats by name, Parquet in
and out, stdin and stdout (README, "What a run writes" and "Using cleaner in a pipeline")."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cleaner.document import DocStats
from cleaner.pipeline import Pipeline
from cleaner.readers import Fields
from cleaner.records import build
from cleaner.rules.book import RuleBook
from cleaner.run import Target, run

ROOT = Path(__file__).resolve().parent.parent

# Invented rules: a banner line, and a byline whose name goes to meta.author.
RULES = """\
name: demo
description: A site that puts a banner over every page and a byline under the headline.
match:
  domains: [news.example]
rules:
  - id: demo.banner
    kind: line
    description: The banner.
    pattern: '^DEMO NEWS NETWORK$'
    tests:
      - input: "DEMO NEWS NETWORK\\nThe council met.\\n"
        output: "The council met.\\n"
  - id: demo.byline
    kind: extract
    description: The byline, into meta.author.
    field: author
    pattern: '^By (?P<value>[A-Z][a-z]+ [A-Z][a-z]+)$'
    tests:
      - input: "By Ann Lee\\nThe council met.\\n"
        output: "The council met.\\n"
        meta: {author: Ann Lee}
"""

TEXT = "DEMO NEWS NETWORK\nBy Ann Lee\nThe council met on Monday.\n"
CLEAN = "The council met on Monday.\n"
STATS = {
    "chars_in": 56,
    "chars_out": 27,
    "lines_in": 3,
    "lines_out": 1,
    "removed": {"demo.banner": 1, "demo.byline": 1},
    "repaired": {},
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    rules = tmp_path_factory.mktemp("rules") / "demo.yaml"
    rules.write_text(RULES, encoding="utf-8")
    return Pipeline(RuleBook.load([rules]))


def lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def clean(pipeline: Pipeline, inputs: list[Path], out: Path, fields: Fields | None = None) -> Path:
    run(inputs, pipeline, Target(out, out.parent / "reports", overwrite=True), fields)
    return out


# -- every field survives ---------------------------------------------------------------------


def test_every_input_field_survives_in_place(demo: Pipeline, tmp_path: Path) -> None:
    data = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "lang": "en",
                "content": TEXT,
                "dump": "CC-2024-10",
                "url": "https://news.example/a",
                "meta": {"score": 0.9},
            },
            {"id": 7, "content": "A second page.", "lang": "de"},
        ],
    )
    out = clean(demo, [data], tmp_path / "out" / "clean.jsonl", Fields(text="content"))
    assert lines(out) == [
        {
            "id": "in:1",  # added first: the record had none
            "lang": "en",
            "content": CLEAN,  # cleaned in place, under its own name
            "dump": "CC-2024-10",
            "url": "https://news.example/a",
            "meta": {"score": 0.9, "author": "Ann Lee"},  # merged: the input's keys first
            "source": f"{data}:1",
            "site": "demo",
            "stats": STATS,
        },
        {
            "id": 7,  # the record's own id, as it was (a number stays a number)
            "content": "A second page.\n",
            "lang": "de",
            "source": f"{data}:2",
            "url": None,
            "site": None,
            "meta": {},
            "stats": {"chars_in": 14, "chars_out": 15, "lines_in": 1, "lines_out": 1, "removed": {}, "repaired": {}},
        },
    ]
    assert list(lines(out)[0]) == ["id", "lang", "content", "dump", "url", "meta", "source", "site", "stats"]


def test_text_input_keeps_todays_record(demo: Pipeline, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.txt").write_text("https://news.example/a\n" + TEXT, encoding="utf-8")
    out = clean(demo, [tmp_path / "in"], tmp_path / "out" / "clean.jsonl")
    assert lines(out) == [
        {
            "id": "page",
            "source": str(tmp_path / "in" / "page.txt"),
            "url": None,
            "site": None,
            "text": "https://news.example/a\n\n" + TEXT.replace("\n", "\n\n")[:-1],
            "meta": {},
            "stats": {"chars_in": 79, "chars_out": 82, "lines_in": 4, "lines_out": 4, "removed": {}, "repaired": {}},
        }
    ]
    assert list(lines(out)[0]) == ["id", "source", "url", "site", "text", "meta", "stats"]


def test_cleaning_the_output_again_changes_nothing(demo: Pipeline, tmp_path: Path) -> None:
    data = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"text": TEXT, "lang": "en", "dump": "CC-2024-10", "url": "https://news.example/a", "meta": {"score": 0.9}},
            {"text": "Plain text, nothing to remove.", "lang": "fr"},
        ],
    )
    once = clean(demo, [data], tmp_path / "once" / "clean.jsonl")
    twice = clean(demo, [once], tmp_path / "twice" / "clean.jsonl")
    assert twice.read_bytes() == once.read_bytes()
    assert lines(twice)[0]["meta"] == {"score": 0.9, "author": "Ann Lee"}
    assert lines(twice)[0]["source"] == f"{data}:1"  # the first provenance


def test_cleaning_the_seeds_output_again_changes_nothing(pipeline: Pipeline, tmp_path: Path) -> None:
    once = clean(pipeline, [Path("seeds")], tmp_path / "once" / "clean.jsonl")
    assert once.read_bytes() == (ROOT / "tests" / "golden" / "clean.jsonl").read_bytes()
    twice = clean(pipeline, [once], tmp_path / "twice" / "clean.jsonl")
    assert twice.read_bytes() == once.read_bytes()
    records = lines(twice)
    assert sum(r["site"] is not None for r in records) >= 5
    assert sum("author" in r["meta"] for r in records) >= 1
    assert sum("date" in r["meta"] for r in records) >= 1


def _stats(removed: dict[str, int], chars_out: int = 10, lines_out: int = 1) -> DocStats:
    return DocStats(40, chars_out, 4, lines_out, True, removed, {}, {}, None)


def test_keys_that_are_not_cleaners_are_never_overwritten() -> None:
    record = build(
        {"text": "x", "meta": "a string", "stats": {"tokens": 12}, "url": 5, "site": ["a"], "source": "crawl-7"},
        text="clean\n",
        url="https://news.example/a",
        site="demo",
        meta={"author": "Ann Lee"},
        stats=_stats({"r": 1}),
        id="in:1",
        source="in.jsonl:1",
    )
    assert record == {
        "id": "in:1",
        "text": "clean\n",
        "meta": "a string",
        "stats": {"tokens": 12},
        "url": 5,
        "site": ["a"],
        "source": "crawl-7",
        "cleaner_url": "https://news.example/a",
        "cleaner_site": "demo",
        "cleaner_meta": {"author": "Ann Lee"},
        "cleaner_stats": {
            "chars_in": 40,
            "chars_out": 10,
            "lines_in": 4,
            "lines_out": 1,
            "removed": {"r": 1},
            "repaired": {},
        },
    }
    # Cleaned again, cleaner's keys beside the clashing ones are merged, not added twice.
    again = build(
        record,
        text="clean\n",
        url=None,
        site=None,
        meta={"date": "2024-01-02"},
        stats=_stats({"r": 2, "s": 1}, chars_out=6),
        id="x",
        source="y",
    )
    assert again["cleaner_meta"] == {"author": "Ann Lee", "date": "2024-01-02"}
    assert again["cleaner_stats"] == {
        "chars_in": 40,
        "chars_out": 6,
        "lines_in": 4,
        "lines_out": 1,
        "removed": {"r": 3, "s": 1},
        "repaired": {},
    }
    assert [k for k in again if k.startswith("cleaner_cleaner")] == []


def test_null_url_and_site_are_filled_in_place() -> None:
    record = build(
        {"url": None, "text": "x", "site": None, "meta": None},
        text="y\n",
        url="https://a.example/",
        site="demo",
        meta={},
        stats=_stats({}),
    )
    assert list(record.items())[:3] == [("url", "https://a.example/"), ("text", "y\n"), ("site", "demo")]
    assert record["meta"] is None and record["cleaner_meta"] == {}  # null is not an object: kept


def test_lenient_values_are_written_as_read(tmp_path: Path, demo: Pipeline) -> None:
    data = tmp_path / "in.jsonl"
    data.write_bytes(b'{"text": "A page.", "score": NaN, "title": "\\ud800"}\n')
    out = clean(demo, [data], tmp_path / "out" / "clean.jsonl")
    assert out.read_bytes().startswith(b'{"id":"in:1","text":"A page.\\n","score":NaN,"title":"\xef\xbf\xbd",')
