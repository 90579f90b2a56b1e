"""cleaner in a data pipeline: every input field survives, output formats by name, Parquet in
and out, stdin and stdout (README, "What a run writes" and "Using cleaner in a pipeline")."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import zstandard

from cleaner.document import Cleaned, DocStats, Document
from cleaner.errors import Problem
from cleaner.io.readers import Fields, InputFile, read
from cleaner.pipeline import Pipeline
from cleaner.pipeline.outcome import clean_one
from cleaner.pipeline.run import Target, run
from cleaner.records import build, plain
from cleaner.report import review
from cleaner.rules.book import RuleBook

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


def test_stats_of_a_source_cleaned_again_are_replaced_not_added_up() -> None:
    """An HTML field's record is cleaned again from the same HTML: its removals are counted again,
    not added to the last run's; a key cleaner does not write stays, and a stats that is not
    cleaner's is left alone, as when folding."""
    old = {"chars_in": 40, "chars_out": 9, "lines_in": 4, "lines_out": 1, "removed": {"r": 1}, "repaired": {}, "n": 7}
    record = build(
        {"text": "x", "stats": old}, text="c\n", url=None, site=None, meta={}, stats=_stats({"r": 1}), page=True
    )
    assert record["stats"] == {**old, "chars_out": 10, "removed": {"r": 1}}
    folded = build({"text": "x", "stats": old}, text="c\n", url=None, site=None, meta={}, stats=_stats({"r": 1}))
    assert folded["stats"]["removed"] == {"r": 2}
    mine = build(
        {"text": "x", "stats": {"tokens": 3}},
        text="c\n",
        url=None,
        site=None,
        meta={},
        stats=_stats({}),
        page=True,
    )
    assert (mine["stats"], mine["cleaner_stats"]["chars_in"]) == ({"tokens": 3}, 40)


def test_a_count_that_is_no_int_is_kept_as_it_is_when_stats_are_folded() -> None:
    """Before: a record's own ``removed`` of ``true`` became 2 (a bool is an int in Python)."""
    old = {
        "chars_in": 40,
        "chars_out": 9,
        "lines_in": 4,
        "lines_out": 1,
        "removed": {"r": True, "s": 1},
        "repaired": {},
    }
    folded = build(
        {"text": "x", "stats": old}, text="c\n", url=None, site=None, meta={}, stats=_stats({"r": 1, "s": 1})
    )
    assert folded["stats"]["removed"] == {"r": True, "s": 2}


def test_cleaners_keys_are_added_in_their_order_and_the_record_is_left_alone() -> None:
    given = {"title": "T", "body": "x", "source": None}
    record = build(
        given, text="y\n", url="u", site=None, meta={}, stats=_stats({}), id="d1", source="a:3", text_field="body"
    )
    counts = {"chars_in": 40, "chars_out": 10, "lines_in": 4, "lines_out": 1, "removed": {}, "repaired": {}}
    assert list(record.items()) == [
        ("id", "d1"),
        ("title", "T"),
        ("body", "y\n"),
        ("source", None),  # the record's own, kept as it is
        ("url", "u"),
        ("site", None),
        ("meta", {}),
        ("stats", counts),
    ]
    assert given == {"title": "T", "body": "x", "source": None}  # the input record is not changed
    own_id = build({"id": 7, "text": "x"}, text="y\n", url=None, site="s", meta={}, stats=_stats({}), id="d1")
    assert list(own_id.items())[:3] == [("id", 7), ("text", "y\n"), ("url", None)]
    plain = build(None, text="y\n", url=None, site="s", meta={"a": 1}, stats=_stats({}), id="d1", source="f.txt")
    assert list(plain) == ["id", "source", "url", "site", "text", "meta", "stats"]
    assert build({}, text="", url=None, site=None, meta={}, stats=_stats({}))["text"] == ""


@pytest.mark.parametrize("url", [None, "https://a.example/"])
@pytest.mark.parametrize("site", [None, "demo"])
def test_plain_is_build_without_a_record(url: str | None, site: str | None) -> None:
    # plain() is build(None, ...)'s fast path (Cleaned.record for a document that is not a
    # record): the same keys, values and order.
    stats = _stats({"r": 2}, chars_out=0, lines_out=0)
    args = ("y\n", url, site, {"a": 1})
    made = plain(*args, stats, "d1", "f.txt")
    built = build(None, text=args[0], url=url, site=site, meta=args[3], stats=stats, id="d1", source="f.txt")
    assert list(made.items()) == list(built.items())
    assert orjson.dumps(made) == orjson.dumps(built)


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
    # the lone surrogate as its escape: valid JSON in valid UTF-8, read back as the same string
    assert out.read_bytes().startswith(b'{"id":"in:1","text":"A page.\\n","score":NaN,"title":"\\ud800",')
    assert json.loads(out.read_bytes().decode("utf-8"))["title"] == "\ud800"


def test_a_record_read_by_pythons_json_writes_its_floats_as_orjson_does(tmp_path: Path, demo: Pipeline) -> None:
    """Before: a record read by Python's json (a stray byte in its text, a lone surrogate) was
    written with Python's float repr (3.2e-05, 1e-07), the same record cleaned again, read by
    orjson, with orjson's (0.000032, 1e-7): the second run changed the bytes, and one output file
    spelt one value two ways. Now every float is written as orjson writes it; integers and strings
    (digits in a key or a value) as they were."""
    floats = b'"score":3.2e-05,"p":[1e-07,1e+16,-0.0,1.5,2,1E22],"m":{"x":5e-324,"1e-07":"1e-07 2.5e-08"},"big":NaN'
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"id":"a","text":"The caf\xe9 council met.",' + floats + b"}\n"
        b'{"id":"b","text":"A lone \\ud800 surrogate.",' + floats + b"}\n"
        b'{"id":"c","text":"Plain UTF-8.",' + floats.replace(b',"big":NaN', b"") + b"}\n"
    )
    once = clean(demo, [data], tmp_path / "once" / "clean.jsonl").read_bytes()
    want = b'"score":0.000032,"p":[1e-7,1e+16,-0.0,1.5,2,1e+22],"m":{"x":5e-324,"1e-07":"1e-07 2.5e-08"}'
    assert [line.split(b',"source"')[0] for line in once.splitlines()] == [
        b'{"id":"a","text":"The caf\xc3\xa9 council met.\\n",' + want + b',"big":NaN',
        b'{"id":"b","text":"A lone \xef\xbf\xbd surrogate.\\n",' + want + b',"big":NaN',
        b'{"id":"c","text":"Plain UTF-8.\\n",' + want,
    ]
    assert clean(demo, [tmp_path / "once" / "clean.jsonl"], tmp_path / "twice" / "clean.jsonl").read_bytes() == once


def test_numbers_no_float_holds_are_written_as_read(tmp_path: Path, demo: Pipeline) -> None:
    """Before: 1e400 (valid JSON) was written Infinity, which is not JSON (a strict reader refuses
    the line), and 1e-400 silently 0.0. Such a number is now written as it was, whichever json
    reads the line (orjson refuses 1e400, reads 1e-400 as 0.0: that line goes to Python's json);
    a number that is zero (0e-400) is still a zero; cleaning the output again changes nothing."""
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"id":"a","text":"The council met.","big":1e400,"neg":-1E+400,"l":[1.5e-500,{"t":2e-400}],"zero":0e-400}\n'
        b'{"id":"b","text":"The council met.","tiny":1e-400,"z":0.0,"s":"\\u0000cleaner-number","f":2.5e-08}\n'
        b'{"id":"c","text":"The caf\xe9 council met.","big":1e400}\n'  # a stray byte: Python's json too
        b'{"id":"d","text":"The council met at 1e-400.","z":0.0}\n'  # only looks like one: the same
    )
    once = clean(demo, [data], tmp_path / "once" / "clean.jsonl").read_bytes()
    assert [line.split(b',"source"')[0] for line in once.splitlines()] == [
        b'{"id":"a","text":"The council met.\\n","big":1e400,"neg":-1E+400,"l":[1.5e-500,{"t":2e-400}],"zero":0.0',
        b'{"id":"b","text":"The council met.\\n","tiny":1e-400,"z":0.0,"s":"\\u0000cleaner-number","f":2.5e-8',
        b'{"id":"c","text":"The caf\xc3\xa9 council met.\\n","big":1e400',
        b'{"id":"d","text":"The council met at 1e-400.\\n","z":0.0',
    ]

    def strict(token: str) -> None:
        raise ValueError(token)

    for line in once.splitlines():  # JSON, with no NaN or Infinity
        json.loads(line, parse_constant=strict)
    assert clean(demo, [tmp_path / "once" / "clean.jsonl"], tmp_path / "twice" / "clean.jsonl").read_bytes() == once


def test_numbers_no_float_holds_and_ids_not_strings_survive_parquet(tmp_path: Path, demo: Pipeline) -> None:
    """The same numbers through a Parquet output and back: before, the Parquet writer read the
    JSONL shard's 1e-400 with orjson (0.0: the value lost), and its reader named a row by Python's
    text of a non-string id (True), not the record's (true)."""
    data = tmp_path / "in.jsonl"
    data.write_bytes(b'{"id":true,"text":"The council met.","tiny":1e-400,"z":0.0}\n')  # (nothing orjson refuses)
    parquet = clean(demo, [data], tmp_path / "p" / "clean.parquet")
    again = clean(demo, [parquet], tmp_path / "j" / "clean.jsonl").read_bytes()
    assert again.split(b',"source"')[0] == b'{"id":true,"text":"The council met.\\n","tiny":1e-400,"z":0.0'
    from cleaner.io.parquet import read_parquet
    from cleaner.io.readers import Fields

    [doc] = read_parquet(parquet, str(parquet), "clean.parquet", Fields(), 1 << 20)
    assert doc.id == "true"


STATS_ONE = b'"stats":{"chars_in":16,"chars_out":17,"lines_in":1,"lines_out":1,"removed":{},"repaired":{}}}\n'


def test_integers_wider_than_64_bits_are_written_as_read(tmp_path: Path, demo: Pipeline) -> None:
    """orjson (3.13) reads such an integer as the nearest float: the line is read by Python's json
    instead, wherever the integer is; integers within 64 bits stay on orjson's path."""
    wide = b'"a":123456789012345678901234567890,"b":-9223372036854775809,"c":[1,{"d":18446744073709551616}]'
    within = b'"max":18446744073709551615,"min":-9223372036854775808,"f":1.5,"g":[2.5]'
    data = tmp_path / "in.jsonl"
    data.write_bytes(b'{"text":"The council met.",' + wide + b"}\n" + b'{"text":"The mayor spoke.",' + within + b"}\n")
    docs = [d for d in read(InputFile(data, data.name), Fields()) if isinstance(d, Document)]
    assert [d.record.lenient for d in docs if d.record is not None] == [True, False]
    out = clean(demo, [data], tmp_path / "out" / "clean.jsonl")
    assert out.read_bytes() == (
        b'{"id":"in:1","text":"The council met.\\n",' + wide + b',"source":"' + str(data).encode() + b':1",'
        b'"url":null,"site":null,"meta":{},'
        + STATS_ONE
        + b'{"id":"in:2","text":"The mayor spoke.\\n",'
        + within
        + b',"source":"'
        + str(data).encode()
        + b':2","url":null,"site":null,"meta":{},'
        + STATS_ONE
    )


def test_a_record_nested_deeper_than_orjson_writes(tmp_path: Path, demo: Pipeline) -> None:
    """orjson reads 1,024 levels and writes 254: a record between is written by Python's json, the
    same bytes from one worker or two; one deeper than records.MAX_DEPTH is that record's failure."""
    deep = b"[" * 300 + b"]" * 300
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"text":"The council met.","x":' + deep + b"}\n"
        b'{"text":"Far too deep.","x":' + b"[" * 600 + b"]" * 600 + b"}\n"
        b'{"text":"The mayor spoke.","x":[]}\n'
    )
    outs = []
    for workers in (1, 2):
        failures: list[Problem] = []
        out = tmp_path / f"w{workers}" / "clean.jsonl"
        run([data], demo, Target(out, out.parent / "r"), workers=workers, on_failure=failures.append)
        assert [str(p) for p in failures] == [f"{data}:2: not read: record nested deeper than 500 levels"]
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] == (
        b'{"id":"in:1","text":"The council met.\\n","x":' + deep + b',"source":"' + str(data).encode() + b':1",'
        b'"url":null,"site":null,"meta":{},' + STATS_ONE + b'{"id":"in:3","text":"The mayor spoke.\\n","x":[],'
        b'"source":"' + str(data).encode() + b':3","url":null,"site":null,"meta":{},' + STATS_ONE
    )


def test_a_failure_while_making_a_documents_outcome_costs_only_that_document(
    demo: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(cleaned: Cleaned) -> None:
        raise RuntimeError("a bug in the review")

    monkeypatch.setattr(review, "record_data", broken)
    doc = Document(id="d", text=TEXT, source="in.jsonl:7", line=7)
    assert clean_one(demo, doc) == Problem(
        "in.jsonl", 7, "writing its outcome failed: RuntimeError: a bug in the review"
    )


# -- formats, Parquet, stdin and stdout: as the README shows them --------------------------------

STATS_PAGE = {
    "chars_in": 38,
    "chars_out": 27,
    "lines_in": 2,
    "lines_out": 1,
    "removed": {"credits.source": 1},
    "repaired": {},
}


def page(id: str, source: str) -> dict:
    """The README's record as cleaned, keys in the order written."""
    return {
        "id": id,
        "lang": "en",
        "dump": "CC-2024-10",
        "content": "The council met on Monday.\n",
        "meta": {"score": 0.9},
        "source": source,
        "url": None,
        "site": None,
        "stats": STATS_PAGE,
    }


def readme_block(title: str) -> list[str]:
    """The commands of the first sh block under a README heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(f"## {title}\n") :]
    block = section[section.index("```sh\n") + 6 : section.index("```\n", section.index("```sh\n") + 6)]
    return [line for line in block.splitlines() if line.strip()]


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A README command as a user runs it, with `cleaner` being this checkout's."""
    bin_dir = cwd / ".bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        shim = bin_dir / "cleaner"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cleaner "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        ["bash", "-c", "set -eo pipefail; " + command], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_readme_pipeline_commands(tmp_path: Path) -> None:
    for command in readme_block("Using cleaner in a pipeline"):
        done = shell(command, tmp_path)
        assert done.returncode == 0, (command, done.stderr)
        assert done.stderr == ""  # -q: nothing on stderr, and no record on it either
    first = page("pages:1", "pages.jsonl:1")
    # every field in its place, content cleaned in place, cleaner's keys after them
    assert lines(tmp_path / "out" / "clean.jsonl") == [first]
    assert list(lines(tmp_path / "out" / "clean.jsonl")[0]) == list(first)
    # Parquet out, then in (a directory of shards): the same record again; source stays the first
    assert lines(tmp_path / "again" / "clean.jsonl") == [first]
    assert (tmp_path / "again" / "clean.jsonl").read_bytes() == (tmp_path / "out" / "clean.jsonl").read_bytes()
    # stdin to stdout
    assert lines(tmp_path / "piped.jsonl") == [page("stdin:1", "-:1")]
    assert lines(tmp_path / "one.jsonl") == [
        {
            "id": "stdin",
            "source": "-",
            "url": None,
            "site": None,
            "text": "The council met on Monday.\n",
            "meta": {},
            "stats": {**STATS_PAGE, "chars_in": 39},
        }
    ]
    # nothing left behind: no work or scratch directory, no report for the stdout runs
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".bin",
        "again",
        "one.jsonl",
        "out",
        "pages.jsonl",
        "parquet",
        "piped.jsonl",
        "shards",
    ]
    assert sorted(p.name for p in (tmp_path / "parquet").iterdir()) == ["clean.parquet", "reports"]


def test_output_format_follows_the_name(demo: Pipeline, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": TEXT, "url": "https://news.example/a"}, {"text": "Two."}])
    plain = clean(demo, [data], tmp_path / "a" / "clean.jsonl").read_bytes()
    gz = clean(demo, [data], tmp_path / "b" / "clean.jsonl.gz").read_bytes()
    zst = clean(demo, [data], tmp_path / "c" / "clean.jsonl.zst").read_bytes()
    assert gzip.decompress(gz) == plain and gz[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # no name, no time
    assert zstandard.ZstdDecompressor().decompressobj().decompress(zst) == plain
    assert clean(demo, [data], tmp_path / "d" / "clean.jsonl.gz").read_bytes() == gz  # deterministic
    # and each is read back as input: the same records (source aside)
    again = clean(demo, [tmp_path / "c" / "clean.jsonl.zst"], tmp_path / "e" / "clean.jsonl").read_bytes()
    assert again == plain


def test_unknown_output_name_is_a_usage_error(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": "One."}])
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", str(data), "--out", str(tmp_path / "o" / "clean.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert (
        done.stderr
        == f"error: --out {tmp_path / 'o' / 'clean.csv'}: the name must end in one of .jsonl, .jsonl.gz, .jsonl.zst, .parquet\n"
    )
    assert not (tmp_path / "o").exists()


def test_parquet_out_and_in(demo: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cleaner.io import parquet

    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 2)
    records = [
        {"text": TEXT, "url": "https://news.example/a", "n": 1, "tags": ["a"]},
        {"text": "Two.", "n": 2, "meta": {"score": 0.5}},
        {"text": "Three.", "n": None, "odd": 1},
        {"text": "Four.", "odd": "x"},
        {"text": 5},
    ]
    data = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "p" / "clean.parquet"
    run([data], demo, Target(out, tmp_path / "p" / "r"))
    handle = pq.ParquetFile(out)
    assert handle.num_row_groups == 2  # written by row groups
    schema = handle.schema_arrow
    assert [(f.name, str(f.type), f.metadata) for f in schema] == [
        ("id", "string", None),
        ("text", "string", None),
        ("url", "string", None),
        ("n", "int64", None),
        ("tags", "list<element: string>", None),
        ("source", "string", None),
        ("site", "string", None),
        ("meta", "string", {b"cleaner": b"json"}),
        ("stats", "string", {b"cleaner": b"json"}),
        ("odd", "string", {b"cleaner": b"json"}),  # a number here, a string there
    ]
    # Read back: the JSONL run's records, with the columns every row has.
    jsonl = lines(clean(demo, [data], tmp_path / "j" / "clean.jsonl"))
    back = lines(clean(demo, [out], tmp_path / "b" / "clean.jsonl"))
    assert [r["id"] for r in back] == ["in:1", "in:2", "in:3", "in:4"]
    for want, got in zip(jsonl, back, strict=True):
        assert {k: v for k, v in got.items() if v is not None or k in want} == want
    # Parquet in, Parquet out: byte-identical, ids <file>:<row> for a file without ids.
    again = tmp_path / "q" / "clean.parquet"
    run([out], demo, Target(again, tmp_path / "q" / "r"))
    assert again.read_bytes() == out.read_bytes()
    bare = tmp_path / "bare.parquet"
    pq.write_table(pa.table({"text": ["One.", None, "Three."], "x": [1, 2, 3]}), bare)
    failures: list[str] = []
    run(
        [bare],
        demo,
        Target(tmp_path / "r" / "clean.jsonl", tmp_path / "r" / "r"),
        on_failure=lambda p: failures.append(str(p)),
    )
    assert [(r["id"], r["x"], r["source"]) for r in lines(tmp_path / "r" / "clean.jsonl")] == [
        ("bare:1", 1, f"{bare}:1"),
        ("bare:3", 3, f"{bare}:3"),
    ]
    assert failures == [f"{bare}:2: field 'text' is null, not a string"]


def test_parquet_keeps_values_no_arrow_column_holds(demo: Pipeline, tmp_path: Path) -> None:
    """An integer wider than 64 bits, a lone surrogate, lists nested deeper than Parquet reads back:
    JSON text columns; NaN and infinities stay themselves. JSONL to Parquet to Parquet to JSONL
    gives the JSONL run's bytes."""
    import pyarrow.parquet as pq

    deep = b"[" * 60 + b"]" * 60
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"text":"The council met.","a":123456789012345678901234567890,"n":NaN,"s":"\\ud800","x":'
        + deep
        + b',"m":{"v":Infinity}}\n'
        b'{"text":"The mayor spoke.","a":5,"n":1.5,"s":"plain","x":[],"m":{"v":-Infinity}}\n'
    )
    jsonl = clean(demo, [data], tmp_path / "j" / "clean.jsonl").read_bytes()
    assert jsonl.startswith(
        b'{"id":"in:1","text":"The council met.\\n","a":123456789012345678901234567890,"n":NaN,"s":"\\ud800","x":'
        + deep
        + b',"m":{"v":Infinity},'
    )
    out = tmp_path / "p" / "clean.parquet"
    run([data], demo, Target(out, tmp_path / "p" / "r"))
    json_text = {b"cleaner": b"json"}
    assert [(f.name, str(f.type), f.metadata) for f in pq.ParquetFile(out).schema_arrow][:6] == [
        ("id", "string", None),
        ("text", "string", None),
        ("a", "string", json_text),  # wider than int64
        ("n", "double", None),
        ("s", "string", json_text),  # UTF-8 cannot hold it
        ("x", "string", json_text),  # 60 lists take 121 of Parquet's 100 levels
    ]
    again = tmp_path / "q" / "clean.parquet"
    run([out], demo, Target(again, tmp_path / "q" / "r"))
    assert again.read_bytes() == out.read_bytes()
    assert clean(demo, [again], tmp_path / "b" / "clean.jsonl").read_bytes() == jsonl


def test_parquet_keeps_integers_beside_floats(demo: Pipeline, tmp_path: Path) -> None:
    """Before: a column holding 1.5 in one record and 2 in another became a double column, and the
    2 came back as 2.0 (in an object's field or a list too). Such a column is JSON text now; a
    column of one kind keeps its Arrow type."""
    import pyarrow.parquet as pq

    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"text":"The council met.","f":1.5,"m":{"k":1,"r":0.5},"l":[1,2.5],"i":3}\n'
        b'{"text":"The mayor spoke.","f":2,"m":{"k":2,"r":1},"l":[3],"i":4}\n'
    )
    jsonl = clean(demo, [data], tmp_path / "j" / "clean.jsonl").read_bytes()
    out = tmp_path / "p" / "clean.parquet"
    run([data], demo, Target(out, tmp_path / "p" / "r"))
    json_text = {b"cleaner": b"json"}
    kinds = {f.name: (str(f.type), f.metadata) for f in pq.ParquetFile(out).schema_arrow}
    assert [kinds[name] for name in ("f", "m", "l", "i")] == [
        ("string", json_text),
        ("string", json_text),  # its "r": 0.5, then 1
        ("string", json_text),
        ("int64", None),
    ]
    assert clean(demo, [out], tmp_path / "b" / "clean.jsonl").read_bytes() == jsonl
    assert b'"f":2,' in jsonl


def test_parquet_maps_keep_every_entry(demo: Pipeline, tmp_path: Path) -> None:
    """A map is read as an object; one with a key twice (Parquet allows it), at any depth, as the
    list of its [key, value] pairs, as pyarrow gives it: an object would keep one of the values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = pa.map_(pa.string(), pa.int64())
    data = tmp_path / "maps.parquet"
    table = {
        "text": ["The council met.", "The mayor spoke.", "The port opened."],
        "m": pa.array([[("k", 1), ("k", 2)], [("a", 1), ("b", 2)], None], type=kind),
        "s": pa.array([{"in": [("k", 1), ("k", 1)]}, {"in": [("a", 1)]}, {"in": []}], type=pa.struct([("in", kind)])),
    }
    pq.write_table(pa.table(table), data)
    failures: list[Problem] = []
    out = tmp_path / "o" / "clean.jsonl"
    run([data], demo, Target(out, out.parent / "r"), on_failure=failures.append)
    assert failures == []
    assert [(r["m"], r["s"]) for r in lines(out)] == [
        ([["k", 1], ["k", 2]], {"in": [["k", 1], ["k", 1]]}),
        ({"a": 1, "b": 2}, {"in": {"a": 1}}),
        (None, {"in": {}}),
    ]


def test_a_parquet_file_with_two_columns_of_one_name_is_a_reported_failure(demo: Pipeline, tmp_path: Path) -> None:
    """A record cannot hold two fields of one name, and keeping one would lose the other's values
    unsaid: the file is the run's failure, naming the column; the other inputs are cleaned."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cleaner.io import parquet

    both = tmp_path / "both.parquet"
    columns = [pa.array(["The council met."]), pa.array(["a"]), pa.array(["b"])]
    pq.write_table(pa.Table.from_arrays(columns, names=["text", "dup", "dup"]), both)
    good = write_jsonl(tmp_path / "good.jsonl", [{"text": "The mayor spoke."}])
    failures: list[Problem] = []
    out = tmp_path / "o" / "clean.jsonl"
    run([both, good], demo, Target(out, out.parent / "r"), on_failure=failures.append)
    message = "columns 2 and 3 are both named 'dup'; a record cannot hold both: not read"
    assert [str(p) for p in failures] == [f"{both}: {message}"]
    assert [r["id"] for r in lines(out)] == ["good:1"]
    with pytest.raises(ValueError, match=message):  # (cleaner compare: "cannot read")
        parquet.columns(both, ["id"])


def _parquet_rows(path: Path, texts: list[bytes], group: int) -> None:
    """``texts`` as the text column of a Parquet file, ``group`` rows a row group, written as they
    are: a string column's bytes are not checked for UTF-8 (as some writers do not)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = pa.array(texts, type=pa.binary())
    strings = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
    pq.write_table(pa.table({"text": strings}), path, row_group_size=group, compression="NONE")


def test_a_parquet_row_of_bytes_that_are_not_utf8_is_its_own_failure(demo: Pipeline, tmp_path: Path) -> None:
    """Before: the batch of 256 rows holding it failed whole, and the file's read ended there
    ("cannot read further", at the batch's first row): the rows after it were lost."""
    texts = [b"Row %d: the council met on Monday." % n for n in range(1, 601)]
    texts[500] = b"Row 501: the caf\xe9 council met."
    path = tmp_path / "t.parquet"
    _parquet_rows(path, texts, 100)
    failures: list[Problem] = []
    out = tmp_path / "o" / "clean.jsonl"
    run([path], demo, Target(out, out.parent / "r"), on_failure=failures.append)
    message = "not read: column 'text': 'utf-8' codec can't decode byte 0xe9 in position 16: invalid continuation byte"
    assert [str(p) for p in failures] == [f"{path}:501: {message}"]
    assert [r["id"] for r in lines(out)] == [f"t:{n}" for n in range(1, 601) if n != 501]


def test_a_parquet_row_group_that_cannot_be_read_is_skipped_and_the_next_read(demo: Pipeline, tmp_path: Path) -> None:
    """Before: a corrupt page ended the file's read, the rows of the groups after it lost too."""
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    _parquet_rows(path, [b"Row %d: the council met on Monday." % n for n in range(1, 31)], 10)
    chunk = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    at = chunk.data_page_offset
    data[at : at + 8] = b"\xff" * 8  # the page header: no thrift reads it
    path.write_bytes(bytes(data))
    failures: list[Problem] = []
    out = tmp_path / "o" / "clean.jsonl"
    run([path], demo, Target(out, out.parent / "r"), on_failure=failures.append)
    [failure] = [str(p) for p in failures]
    assert failure.startswith(f"{path}:11: rows 11-20 (row group 2) cannot be read: ")
    assert [r["id"] for r in lines(out)] == [f"t:{n}" for n in (*range(1, 11), *range(21, 31))]


ONE = {"chars_in": 16, "chars_out": 17, "lines_in": 1, "lines_out": 1, "removed": {}, "repaired": {}}  # 16 characters


def test_parquet_out_keeps_a_users_fields_named_like_cleaners(demo: Pipeline, tmp_path: Path) -> None:
    """A user's ``meta``, ``stats`` or ``cleaner_*`` field that is not cleaner's keeps its type (a
    string stays that string); a column is JSON text when it holds cleaner's meta or stats in
    some row (``meta`` below: the user's string in one row, cleaner's object in the other), and
    reads back as written, so cleaning the output again gives the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    json_text = {b"cleaner": b"json"}
    ours = orjson.dumps(ONE).decode()
    data = tmp_path / "rp.parquet"
    pq.write_table(
        pa.table({"text": ["The council met."], "meta": ['{"lang": "en"}'], "stats": ["n/a"], "cleaner_meta": ["x"]}),
        data,
    )
    out = tmp_path / "p" / "clean.parquet"
    run([data], demo, Target(out, out.parent / "r"))
    table = pq.read_table(out)
    assert [(f.name, str(f.type), f.metadata) for f in table.schema] == [
        ("id", "string", None),
        ("text", "string", None),
        ("meta", "string", None),
        ("stats", "string", None),
        ("cleaner_meta", "string", None),
        ("source", "string", None),
        ("url", "string", None),
        ("site", "string", None),
        ("cleaner_cleaner_meta", "string", json_text),  # cleaner's, beside the user's meta and cleaner_meta
        ("cleaner_stats", "string", json_text),
    ]
    assert table.to_pylist() == [
        {
            "id": "rp:1",
            "text": "The council met.\n",
            "meta": '{"lang": "en"}',
            "stats": "n/a",
            "cleaner_meta": "x",
            "source": f"{data}:1",
            "url": None,
            "site": None,
            "cleaner_cleaner_meta": "{}",
            "cleaner_stats": ours,
        }
    ]
    again = tmp_path / "q" / "clean.parquet"
    run([out], demo, Target(again, again.parent / "r"))
    assert again.read_bytes() == out.read_bytes()

    # Mixed rows: the user's string meta in one, cleaner's object meta in the other; the user's
    # stats object (not cleaner's: no chars_in) and cleaner_url string keep their types.
    records = [
        {"text": "The council met.", "meta": "n/a", "stats": {"views": 3}, "cleaner_url": "u"},
        {"text": "The mayor spoke.", "stats": {"views": 5}, "cleaner_url": None},
    ]
    mixed = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "m" / "clean.parquet"
    run([mixed], demo, Target(out, out.parent / "r"))
    table = pq.read_table(out)
    assert [(f.name, str(f.type), f.metadata) for f in table.schema] == [
        ("id", "string", None),
        ("text", "string", None),
        ("meta", "string", json_text),
        ("stats", "struct<views: int64>", None),
        ("cleaner_url", "string", None),
        ("source", "string", None),
        ("url", "string", None),
        ("site", "string", None),
        ("cleaner_meta", "string", json_text),
        ("cleaner_stats", "string", json_text),
    ]
    assert table.to_pylist() == [
        {
            "id": "in:1",
            "text": "The council met.\n",
            "meta": '"n/a"',
            "stats": {"views": 3},
            "cleaner_url": "u",
            "source": f"{mixed}:1",
            "url": None,
            "site": None,
            "cleaner_meta": "{}",
            "cleaner_stats": ours,
        },
        {
            "id": "in:2",
            "text": "The mayor spoke.\n",
            "meta": "{}",
            "stats": {"views": 5},
            "cleaner_url": None,
            "source": f"{mixed}:2",
            "url": None,
            "site": None,
            "cleaner_meta": None,  # the record has none
            "cleaner_stats": ours,
        },
    ]
    jsonl = lines(clean(demo, [mixed], tmp_path / "j" / "clean.jsonl"))
    assert lines(clean(demo, [out], tmp_path / "b" / "clean.jsonl")) == jsonl
    again = tmp_path / "n" / "clean.parquet"
    run([out], demo, Target(again, again.parent / "r"))
    assert again.read_bytes() == out.read_bytes()


def test_parquet_out_keeps_objects_whose_keys_differ_as_json_text(
    demo: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A struct column gives every object every key seen (null where absent) in one order, and
    Parquet holds no struct without fields: objects that do not all have the same keys in the same
    order, at any depth, in a row group or across them, are JSON text (cleaner's mark); objects
    that do keep their struct. JSONL to Parquet to Parquet to JSONL gives the JSONL run's bytes."""
    import pyarrow.parquet as pq

    from cleaner.io import parquet

    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 1)  # each record a row group of its own
    records = [
        {
            "text": "The council met.",
            "attrs": {"x": 1},
            "items": [{"a": 1}, {"b": 2}],
            "order": {"x": 1, "y": 2},
            "same": {"p": 1, "q": [{"r": "s"}, {"r": None}]},
        },
        {
            "text": "The mayor spoke.",
            "attrs": {"y": "z"},
            "items": [],
            "order": {"y": 3, "x": 4},
            "same": {"p": 2, "q": []},
        },
    ]
    data = write_jsonl(tmp_path / "in.jsonl", records)
    jsonl = clean(demo, [data], tmp_path / "j" / "clean.jsonl").read_bytes()
    out = tmp_path / "p" / "clean.parquet"
    run([data], demo, Target(out, out.parent / "r"))
    json_text = {b"cleaner": b"json"}
    assert [(f.name, str(f.type), f.metadata) for f in pq.ParquetFile(out).schema_arrow][2:6] == [
        ("attrs", "string", json_text),
        ("items", "string", json_text),
        ("order", "string", json_text),
        ("same", "struct<p: int64, q: list<element: struct<r: string>>>", None),
    ]
    assert [r["attrs"] for r in pq.read_table(out).to_pylist()] == ['{"x":1}', '{"y":"z"}']
    again = tmp_path / "q" / "clean.parquet"
    run([out], demo, Target(again, again.parent / "r"))
    assert again.read_bytes() == out.read_bytes()
    assert clean(demo, [again], tmp_path / "b" / "clean.jsonl").read_bytes() == jsonl


def test_parquet_out_writes_objects_of_no_key_as_json_text(demo: Pipeline, tmp_path: Path) -> None:
    """Parquet holds no struct without fields: a column of empty objects is JSON text."""
    import pyarrow.parquet as pq

    data = write_jsonl(tmp_path / "in.jsonl", [{"text": "The council met.", "empty": {}, "deep": [{"in": {}}]}])
    out = tmp_path / "p" / "clean.parquet"
    run([data], demo, Target(out, out.parent / "r"))
    json_text = {b"cleaner": b"json"}
    assert [(f.name, str(f.type), f.metadata) for f in pq.ParquetFile(out).schema_arrow][2:4] == [
        ("empty", "string", json_text),
        ("deep", "string", json_text),
    ]
    assert lines(clean(demo, [out], tmp_path / "b" / "clean.jsonl")) == lines(
        clean(demo, [data], tmp_path / "j" / "clean.jsonl")
    )


def test_parquet_out_names_a_key_utf8_cannot_hold_by_its_escape(demo: Pipeline, tmp_path: Path) -> None:
    """A key with a lone surrogate (JSONL writes it as its escape): its column is named by that
    escape, the key itself in the field metadata, read back as the key; a column whose name is
    that escape as it is stays apart. JSONL to Parquet to Parquet to JSONL gives the JSONL run's bytes."""
    import pyarrow.parquet as pq

    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"text":"The council met.","\\ud800":1,"\\\\ud800":"a"}\n{"text":"The mayor spoke.","\\ud800":2,"\\\\ud800":"b"}\n'
    )
    jsonl = clean(demo, [data], tmp_path / "j" / "clean.jsonl").read_bytes()
    assert jsonl.startswith(b'{"id":"in:1","text":"The council met.\\n","\\ud800":1,"\\\\ud800":"a",')
    failures: list[Problem] = []
    out = tmp_path / "p" / "clean.parquet"
    run([data], demo, Target(out, out.parent / "r"), on_failure=failures.append)
    assert failures == []
    assert [(f.name, str(f.type), f.metadata) for f in pq.ParquetFile(out).schema_arrow][2:4] == [
        ("\\ud800", "int64", {b"cleaner_key": b'"\\ud800"'}),
        ("\\ud800", "string", None),
    ]
    again = tmp_path / "q" / "clean.parquet"
    run([out], demo, Target(again, again.parent / "r"))
    assert again.read_bytes() == out.read_bytes()
    assert clean(demo, [again], tmp_path / "b" / "clean.jsonl").read_bytes() == jsonl
