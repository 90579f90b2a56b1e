"""The Python API, as a pipeline author uses it."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.corpus import write
from cleaner import Cleaner, Removal, Settings
from cleaner.errors import InputError, RecordFailed, UsageError


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


def test_bad_arguments_to_clean_are_typed_errors_naming_the_argument() -> None:
    # They used to escape as a TypeError or an AttributeError from deep inside the pipeline.
    cleaner = Cleaner()
    cases = [
        ((None,), {}, "text", "text must be a str, not NoneType"),
        (("x",), {"url": 5}, "url", "url must be a str or None, not int"),
    ]
    cases.append((("x",), {"meta": ["a"]}, "meta", "meta must be a dict or None, not list"))
    for args, kwargs, field, message in cases:
        with pytest.raises(InputError) as raised:
            cleaner.clean(*args, **kwargs)
        assert (raised.value.field, str(raised.value)) == (field, message)


BAD_RECORDS: list[Any] = [
    {"id": 1},  # no text field
    {"text": "The minister resigned on Monday.\n", "lang": "en"},
    {"text": None},
    "s",  # not a record
    {"text": "A plain paragraph that stays as it is.\n"},
]


def test_clean_records_raises_a_typed_error_naming_the_record() -> None:
    stream = Cleaner().clean_records(BAD_RECORDS)
    with pytest.raises(RecordFailed) as raised:
        next(stream)
    assert (raised.value.index, str(raised.value)) == (0, "record 0: no 'text' field")
    assert isinstance(raised.value.error, InputError) and raised.value.error.field == "text"
    with pytest.raises(RecordFailed) as raised:
        list(Cleaner().clean_records(BAD_RECORDS[1:]))
    assert str(raised.value) == "record 1: field 'text' is null, not a string"
    with pytest.raises(UsageError):  # when called, before any record
        Cleaner().clean_records([], errors="ignore")  # type: ignore[arg-type]


def test_clean_records_skips_or_keeps_a_failed_record_and_goes_on() -> None:
    cleaner = Cleaner()
    failed: list[RecordFailed] = []
    skipped = list(cleaner.clean_records(BAD_RECORDS, errors="skip", on_error=failed.append))
    assert [(r["text"], r.get("lang")) for r in skipped] == [
        ("The minister resigned on Monday.\n", "en"),
        ("A plain paragraph that stays as it is.\n", None),
    ]
    assert [str(f) for f in failed] == [
        "record 0: no 'text' field",
        "record 2: field 'text' is null, not a string",
        "record 3: not a record (a dict) but str",
    ]
    kept = list(cleaner.clean_records(BAD_RECORDS, errors="keep", on_error=lambda _: None))
    assert [kept[0], kept[2], kept[3]] == [{"id": 1}, {"text": None}, "s"]  # as they came in
    assert [len(kept), kept[4]["text"]] == [5, "A plain paragraph that stays as it is.\n"]


def test_a_failure_in_skip_mode_is_logged_by_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cleaner"):
        assert list(Cleaner().clean_records([{"text": 3}], errors="skip")) == []
    assert caplog.messages == ["clean_records: record 0: field 'text' is a number, not a string"]


def test_arguments_of_the_wrong_kind_are_input_errors_naming_them() -> None:
    """Before: Cleaner("rules") read each letter as a path ("r: no such rule file"), Cleaner(None)
    and clean_records(None) raised TypeError, Cleaner(settings={}) an AttributeError."""
    shipped = str(Path(__file__).resolve().parent.parent / "rules")
    assert Cleaner(shipped).clean("Share this article\nThe council met.\n").text == "The council met.\n"
    for bad, said in (
        (lambda: Cleaner(None), "rules must be paths of rule files or directories, not None"),  # type: ignore[arg-type]
        (lambda: Cleaner(settings={}), "settings must be a Settings or None, not dict"),  # type: ignore[arg-type]
        (lambda: Cleaner().clean_records(None), "records must be an iterable of records (dicts), not NoneType"),  # type: ignore[arg-type]
        (lambda: Cleaner().clean_records({"text": "x"}), "records must be an iterable of records (dicts), not dict"),
    ):
        with pytest.raises(InputError) as raised:
            bad()
        assert str(raised.value) == said


def test_settings_and_record_arguments_of_the_wrong_kind_are_input_errors() -> None:
    """Before: Settings(profile="recal") ran no classifier without a word, dedup_min_chars="20"
    and text_field=["text"] raised TypeError, on_error="log" a TypeError at the first failure."""
    for bad, said in (
        (
            lambda: Settings(profile="recal"),
            "Settings(profile='recal'): expected one of 'precision', 'balanced', 'recall'",
        ),  # type: ignore[arg-type]
        (lambda: Settings(layout="zzz"), "Settings(layout='zzz'): expected one of 'paragraphs', 'lines'"),  # type: ignore[arg-type]
        (lambda: Settings(dedup_min_chars="20"), "Settings(dedup_min_chars='20'): expected a whole number, 0 or more"),  # type: ignore[arg-type]
        (lambda: Settings(dedup=1), "Settings(dedup=1): expected True or False"),  # type: ignore[arg-type]
        (lambda: Settings(flag_share=1.5), "Settings(flag_share=1.5): expected a number from 0 to 1"),
        (lambda: Settings(extract_timeout=0), "Settings(extract_timeout=0): expected seconds over 0, or None"),
        (lambda: Settings(review_budget=-1), "Settings(review_budget=-1): expected bytes, 0 or more, or None"),
        (lambda: Settings(review_budget=1.5), "Settings(review_budget=1.5): expected bytes, 0 or more, or None"),  # type: ignore[arg-type]
        (lambda: Cleaner().clean_records([], text_field=["text"]), "text_field must be a str, not list"),  # type: ignore[arg-type]
        (
            lambda: Cleaner().clean_records([], errors="skip", on_error="log"),  # type: ignore[arg-type]
            "on_error must be a function of one RecordFailed, not str",
        ),
    ):
        with pytest.raises(InputError) as raised:
            bad()
        assert str(raised.value) == said
    assert Settings(extract_timeout=None, flag_share=0, dedup_min_chars=0).flag_share == 0  # the edges are settings
    assert Settings(review_budget=0).review_budget == 0 and Settings(review_budget=None).review_budget is None


def test_clean_records_cleans_a_pages_output_as_the_command_line_does(tmp_path: Path) -> None:
    """A record cleaner wrote from a page says so in its meta (extracted_from: html), and the
    command line cleans it again as a page's text, changing nothing. Before: clean_records and
    clean(meta=...) ran the line classifier on it, and a page's output lost a line more."""
    import html
    import subprocess
    import sys

    write(tmp_path / "c.jsonl", 60)
    text = orjson.loads((tmp_path / "c.jsonl").read_bytes().splitlines()[3])["text"]
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n") if p.strip())
    page = tmp_path / "a.html"
    page.write_text(f"<html><head><title>T</title></head><body><article>{body}</article></body></html>")
    out = tmp_path / "o" / "clean.jsonl"
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "cleaner", "clean", str(page), "--out", str(out), "-q"], check=True, cwd=root)
    record = orjson.loads(out.read_bytes())
    assert record["meta"]["extracted_from"] == "html"
    (again,) = Cleaner().clean_records([record])
    assert again == record
    assert Cleaner().clean(record["text"], meta=record["meta"]).removed == {}
    # (as plain text, the classifier takes a line of it: what the meta spares it)
    assert "classify.short" in Cleaner().clean(record["text"]).removed


@pytest.mark.parametrize("native", ["on", "off"])
def test_a_repair_counts_on_the_lines_that_stay(native: str) -> None:
    """Before: a line repaired and then removed counted in ``repaired`` (and in the summary's
    repairs) while the diff and the review showed it as the rule's removal. Both halves (C and
    Python) count a repair on the lines that stay only."""
    import os
    import subprocess
    import sys

    code = (
        "from cleaner import Cleaner\n"
        "for t in ['The council met.\\nSource: AFP\\u00a0\\n', 'The council met.\\nSource: Franceâ€™s desk\\n',"
        " 'The council met.\\u00a0\\nSource: AFP\\n']:\n"
        "    r = Cleaner().clean(t); print(r.stats.repaired, r.stats.removed)\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "CLEANER_NATIVE": native, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.splitlines() == [
        "{} {'credits.source': 1}",
        "{} {'credits.source': 1}",
        "{'whitespace': 1} {'credits.source': 1}",  # the kept line's repair counts
    ]
