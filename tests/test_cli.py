"""The command line as a user runs it: real processes, real exit codes, stdout vs stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8"
    )


def test_clean_jsonl_reports_bad_records_and_writes_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"id": "a", "text": "Hello world, this is a document.\\n\\nSource: AFP", "url": "https://example.com/a"}\n'
        "not json\n"
        '{"id": "c", "body": "no text field"}\n'
        '{"text": "A record without an id."}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out" / "clean.jsonl"
    result = cli("clean", str(data), "--out", str(out), "-q")
    assert result.returncode == 1
    assert f"{data}:2: not valid JSON" in result.stderr
    assert f"{data}:3: field 'text' is missing" in result.stderr
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["id"] for r in records] == ["a", "in:4"]
    # The input's fields in their place, then cleaner's keys (README, "What a run writes").
    assert list(records[0]) == ["id", "text", "url", "source", "site", "meta", "stats"]
    assert records[0]["text"] == "Hello world, this is a document.\n"
    assert records[0]["source"] == f"{data}:1"
    assert records[0]["url"] == "https://example.com/a"
    assert records[0]["stats"]["removed"] == {"credits.source": 1}
    summary = orjson.loads((tmp_path / "out" / "reports" / "summary.json").read_bytes())
    assert [(f["line"], f["message"][:12]) for f in summary["failures"]] == [(2, "not valid JS"), (3, "field 'text'")]
    assert (tmp_path / "out" / "reports" / "in.jsonl.diff").read_text(encoding="utf-8") == (
        f"--- {data}:1\n"
        f"+++ {data}:1 (clean) id=a\n"
        "@@ -1,3 +1 @@\n"
        " Hello world, this is a document.\n"
        "-\n"
        "-Source: AFP\t⟨credits.source⟩\n"
        "\\ No newline at end of file\n"
    )


def test_rule_error_exits_2_with_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text(
        "name: bad\ndescription: broken\nrules:\n  - id: bad.one\n    kind: line\n"
        "    description: x\n    pattern: '(unclosed'\n    tests: [{input: a, output: a}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "clean.jsonl"
    result = cli("clean", "seeds", "--rules", str(rules), "--out", str(out))
    assert result.returncode == 2
    assert f"{rules / 'bad.yaml'}:7: rules.0.pattern: regex does not compile" in result.stderr
    assert not (tmp_path / "out").exists()


def test_existing_output_is_refused_without_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "clean.jsonl"
    out.write_text("keep me\n", encoding="utf-8")
    result = cli("clean", "seeds", "--out", str(out))
    assert result.returncode == 2
    assert "exists; pass --overwrite" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me\n"


def test_clean_seeds_prints_totals_on_stdout(tmp_path: Path) -> None:
    result = cli("clean", "seeds", "--out", str(tmp_path / "clean.jsonl"))
    assert result.returncode == 0, result.stderr
    assert "documents in" in result.stdout
    assert "dedup.repeat" in result.stdout
    html = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert '"documents":5,' in html
    assert '"rule":"credits.source","kind":"removed","lines":1,"chars":21,"docs":1,' in html  # as summary.md
    docs = (tmp_path / "reports" / "review" / "d0.js").read_text(encoding="utf-8")
    assert '[27,"-","credits.source","Source: RT + agencies"]' in docs
    for fetch in ("src=", "href=", "<link", "@import", "url(", "http"):  # nothing fetched but review/*.js
        assert fetch not in html.replace('s.src=D.dir+"/"+name+".js"', "")


def test_explain_shows_site_and_rule_per_line() -> None:
    result = cli("explain", "seeds/002_a231766d777f1e06.txt")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# 002_a231766d777f1e06  site: heraldglobe  url: https://www.heraldglobe.com/")
    assert lines[1] == "# meta: date='2022-01-07'"
    assert lines[3] == " 2 - 20220107    <- heraldglobe.date"
    assert (
        lines[6]
        == " 5 - SEE ALSO: U.S., Allies Set For Talks With Russia As Threat Of New Ukraine Invasion Looms    <- links.see-also"
    )


def test_explain_says_why_each_rule_acted() -> None:
    """After the document's lines, each rule shown there once, with its file and the first
    sentence of its description (a site rule's, a generic rule's, a built-in step's)."""
    result = cli("explain", "seeds/000_b0ee61d18d7ef08d.txt")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == " 1 - Pakistan Christian TV    <- pakistanchristiantv.banner"
    assert lines[27:] == [
        "27 - Source: RT + agencies    <- credits.source",
        "# why:",
        "#   pakistanchristiantv.banner        (rules/sites/pakistanchristiantv.yaml)  The site name printed above every article.",
        "#   pakistanchristiantv.tagline       (rules/sites/pakistanchristiantv.yaml)  The site's SEO tagline under the banner.",
        "#   pakistanchristiantv.embed-credit  (rules/sites/pakistanchristiantv.yaml)  "
        'An embedded image\'s credit line ("Twitter / @handle") and the caption under it.',
        '#   links.see-also                    (rules/generic/links.yaml)              A "See also"/"Read more"/"Related" '
        "label followed by a headline.",
        '#   credits.source                    (rules/generic/credits.yaml)            A "Source: X" footer in the last lines.',
    ]


def test_explain_says_why_the_built_in_steps_acted(tmp_path: Path) -> None:
    """The classifier's labels with its threshold and profile, ftfy's repairs each on its own."""
    doc = tmp_path / "d.txt"
    menu, footer = ["Home", "News", "Sport", "Weather", "Contact"], ["Privacy policy", "Terms of use"]
    prose = [
        "Caf\u00c3\u00a9 &amp; bar: the harbour committee met on Tuesday to discuss the plans for the old pier.",
        "Residents said they had waited many years for a decision, and several of them spoke at the meeting.",
        "A final vote on the budget is expected before the end of the summer, the chair of the committee said.",
    ]
    doc.write_text("\n".join([*menu, *prose, *footer]) + "\n", encoding="utf-8")
    result = cli("explain", str(doc), "--no-default-rules", "--rules", "rules/generic/classify.yaml")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[6] == (
        " 6 ~ Caf\u00c3\u00a9 &amp; bar: the harbour committee met on Tuesday to discuss the plans for the old pier."
        "    <- ftfy:html+ftfy:encoding"
    )
    assert lines[11:] == [
        "# why:",
        "#   classify.nav-run  (rules/generic/classify.yaml)  One of a run of short lines (a menu, a tag list, a footer "
        "column) the line classifier scored unlikely to be content: P(content) under 0.022 (profile balanced).",
        "#   ftfy:html         (built-in)                     HTML entities (&amp;, &#8217;) decoded by ftfy.",
        "#   ftfy:encoding     (built-in)                     Mojibake repaired by ftfy: text decoded with the wrong "
        "encoding, decoded again.",
        "#   classify.short    (rules/generic/classify.yaml)  A short line on its own (a label, a button, a date) the "
        "line classifier scored unlikely to be content: P(content) under 0.022 (profile balanced).",
    ]


def test_explain_reads_the_fields_clean_reads(tmp_path: Path) -> None:
    data = tmp_path / "c.jsonl"
    data.write_text(
        '{"content": "Source: AFP\\nThe council met on Monday.", "key": "doc-7", "link": "https://example.com/a"}\n',
        encoding="utf-8",
    )
    result = cli("explain", str(data), "--text-field", "content", "--id-field", "key", "--url-field", "link")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "# doc-7  site: (none)  url: https://example.com/a",
        "1 - Source: AFP    <- credits.source",
        "2   The council met on Monday.",
    ]


def test_explain_drop_repeated_mines_the_file_and_shows_what_clean_drops(tmp_path: Path) -> None:
    """Before: explain had no --drop-repeated, so a `repeated:<site>` removal in a run's diff could
    not be explained. The lines are mined from FILE as `clean --drop-repeated` over it mines them."""
    records = [
        {"id": f"d{n}", "url": f"https://example.org/news/{n}", "text": f"Story {word} told.\n\nTip us off today"}
        for n, word in enumerate(["one", "two", "three", "four"])
    ]
    data = tmp_path / "c.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    result = cli("explain", str(data), "--drop-repeated")
    assert result.returncode == 0, result.stderr
    shown = result.stdout.splitlines()
    assert shown[:5] == [
        "# d0  site: (none)  url: https://example.org/news/0",
        "1   Story one told.",
        "2   ",
        "3 - Tip us off today    <- repeated:example.org",
        "# why:",
    ]
    assert shown[5] == (
        "#   repeated:example.org  (built-in)  A line repeated across many documents of the site "
        "example.org (--drop-repeated)."
    )
    assert sum(line.endswith("<- repeated:example.org") for line in shown) == 4
    again = cli("clean", str(data), "--out", str(tmp_path / "out" / "clean.jsonl"), "--drop-repeated", "-q")
    assert again.returncode == 0
    assert "Tip us off" not in (tmp_path / "out" / "clean.jsonl").read_text(encoding="utf-8")
    assert "repeated:" not in cli("explain", str(data)).stdout  # not mined unless asked
    refused = cli("explain", str(data), "--drop-repeated", "--url", "https://example.org/x")
    assert refused.returncode == 2 and "--url and --drop-repeated" in refused.stderr


# `clean`'s inputs, and its options that say where a run writes, how it runs and what it reports:
# the others change what cleaning does to a document, and `explain` takes each of them.
RUN_ONLY = {
    "inputs", "out_path", "report", "overwrite", "workers", "engine", "address", "resume", "quiet",
    "flag_share", "baseline", "reports", "review_budget",
}  # fmt: skip


def test_explain_takes_every_option_of_clean_that_changes_cleaning() -> None:
    """Before: explain had --profile and --no-classify but none of --fast, --no-dedup, --no-repair,
    --keep-line-breaks, --favor, --max-doc-bytes...: it showed what clean does with its defaults
    only. Both commands take the same definitions (cli.py), with the same defaults."""
    import typer.main

    from cleaner.cli import app

    commands = {command.name: command for command in typer.main.get_command(app).commands.values()}
    clean = {param.name: param for param in commands["clean"].params}
    explain = {param.name: param for param in commands["explain"].params}
    cleaning = set(clean) - RUN_ONLY
    assert {"fast", "dedup", "repair", "favor", "keep_line_breaks", "max_doc_bytes"} <= cleaning
    assert cleaning - set(explain) == set()
    for name in cleaning:
        assert (explain[name].opts, explain[name].secondary_opts) == (clean[name].opts, clean[name].secondary_opts)
        assert explain[name].default == clean[name].default, name


def test_explain_shows_what_clean_does_under_the_same_options(tmp_path: Path) -> None:
    """A paragraph said twice, mojibake, a document over --max-doc-bytes: with --no-dedup,
    --no-repair and --max-doc-bytes, explain's kept lines are clean's text, and the large
    document is a failure in both."""
    said = "The council met on Monday to discuss the budget for the coming year."
    data = tmp_path / "c.jsonl"
    records = [
        {
            "id": "a",
            "text": f"{said}\n{said}\nCaf\u00c3\u00a9 prices rose again this week, the owners said.\nSource: AFP",
        },
        {"id": "big", "text": "x " * 300},
    ]
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    options = ["--no-dedup", "--no-repair", "--max-doc-bytes", "400"]
    out = tmp_path / "out" / "clean.jsonl"
    cleaned = cli("clean", str(data), "--out", str(out), "-q", *options)
    assert cleaned.returncode == 1
    assert f"{data}:2: " in cleaned.stderr
    [record] = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert record["text"] == f"{said}\n\n{said}\n\nCaf\u00c3\u00a9 prices rose again this week, the owners said.\n"
    shown = cli("explain", str(data), *options)
    assert shown.returncode == 1
    assert shown.stderr == cleaned.stderr
    assert shown.stdout.splitlines()[:5] == [
        "# a  site: (none)  url: (none)",
        f"1   {said}",
        f"2   {said}",
        "3   Caf\u00c3\u00a9 prices rose again this week, the owners said.",
        "4 - Source: AFP    <- credits.source",
    ]
    kept = [line[4:] for line in shown.stdout.splitlines()[1:5] if line[2] != "-"]
    assert "\n\n".join(kept) + "\n" == record["text"]
    # (With the defaults, the second paragraph goes and the mojibake is repaired, in both.)
    default = cli("explain", str(data)).stdout.splitlines()
    assert default[2] == f"2 - {said}    <- dedup.repeat" and default[3].endswith("<- ftfy:encoding")


def test_explain_reports_each_bad_document_and_explains_the_rest(tmp_path: Path) -> None:
    """A broken record, a binary file and a page with no text: each on stderr with its file and
    line, every other document explained, exit 1."""
    (tmp_path / "a.jsonl").write_text(
        'not json\n{"body": "no text"}\n{"id": "good", "text": "The council met on Monday."}\n', encoding="utf-8"
    )
    (tmp_path / "b.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "c.html").write_text("<html><body></body></html>", encoding="utf-8")
    (tmp_path / "d.txt").write_text("The ferry left at noon.\n", encoding="utf-8")
    result = cli("explain", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'a.jsonl'}:1: not valid JSON: invalid literal, expected 'null': line 1 column 1 (char 0)",
        f"error: {tmp_path / 'a.jsonl'}:2: field 'text' is missing",
        f"error: {tmp_path / 'b.txt'}: binary file (NUL bytes), skipped",
        f"error: {tmp_path / 'c.html'}: found no main text",
    ]
    assert result.stdout.splitlines() == [
        "# good  site: (none)  url: (none)",
        "1   The council met on Monday.",
        "# d  site: (none)  url: (none)",
        "1   The ferry left at noon.",
    ]


def test_rules_list_validate_and_test() -> None:
    listed = cli("rules", "list")
    assert listed.returncode == 0
    assert "links.see-also" in listed.stdout and "heraldglobe.url" in listed.stdout
    # Piped: a row a line, cells between tabs, nothing padded (it was every row to 750 columns).
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0] == ["rule", "site", "kind", "engine", "file", "description"]
    assert all(len(row) == 6 and row[-1] == row[-1].strip() for row in rows)
    assert ["heraldglobe.url", "heraldglobe", "extract", "re2", "rules/sites/heraldglobe.yaml"] in [r[:5] for r in rows]
    validated = cli("rules", "validate")
    assert validated.returncode == 0 and validated.stdout.endswith(": valid\n")
    tested = cli("rules", "test")
    assert tested.returncode == 0
    assert tested.stdout.splitlines()[-1].endswith(" passed, 0 failed")


def test_rules_test_shows_expected_and_got(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "name: demo\ndescription: d\nrules:\n  - id: demo.ad\n    kind: line\n    description: ads\n"
        '    pattern: \'^AD$\'\n    tests:\n      - input: "AD\\nText here.\\n"\n        output: "Text.\\n"\n',
        encoding="utf-8",
    )
    result = cli("rules", "test", str(tmp_path / "r.yaml"))
    assert result.returncode == 1
    assert "FAIL demo.ad[0]" in result.stdout
    assert "--- expected\n  Text.\n  --- got\n  Text here.\n" in result.stdout
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"


def test_shipped_rules_apply_from_any_directory_and_rules_add_on_top(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "name: mine\ndescription: d\nrules:\n  - id: mine.banner\n    kind: line\n    description: x\n"
        '    pattern: \'^MY BANNER$\'\n    tests: [{input: "MY BANNER\\nText.\\n", output: "Text.\\n"}]\n',
        encoding="utf-8",
    )
    doc = tmp_path / "d.txt"
    doc.write_text("MY BANNER\nSource: Example Agency\nThe minister resigned on Monday.\n", encoding="utf-8")

    def removed(*args: str) -> dict[str, int]:
        out = tmp_path / "o" / "c.jsonl"
        done = subprocess.run(
            [sys.executable, "-m", "cleaner", "clean", str(doc), "--out", str(out), "--overwrite", "-q", *args],
            cwd=tmp_path,  # not the checkout: the shipped rules must still be found
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(out.read_text(encoding="utf-8"))["stats"]["removed"]

    assert removed() == {"credits.source": 1}
    assert removed("--rules", str(extra)) == {"mine.banner": 1, "credits.source": 1}
    assert removed("--rules", str(extra), "--no-default-rules") == {"mine.banner": 1}
    assert removed("--rules", str(ROOT / "rules")) == {"credits.source": 1}  # not loaded twice


def test_flag_share_is_an_option_of_clean(tmp_path: Path) -> None:
    """A document losing 40% of its characters is flagged at --flag-share 0.3, not at the 0.5 default."""
    doc = tmp_path / "in" / "d.txt"
    doc.parent.mkdir()
    body = "The minister resigned on Monday after a long and bitter dispute with the party leadership."
    doc.write_text("Source: " + "Example Agency " * 4 + "\n" + body + "\n", encoding="utf-8")

    def flagged(*extra: str) -> tuple[list[str], str]:
        out = tmp_path / "o" / "clean.jsonl"
        done = cli("clean", str(doc.parent), "--out", str(out), "--overwrite", "-q", "--no-classify", *extra)
        assert done.returncode == 0, done.stderr
        summary = json.loads((out.parent / "reports" / "summary.json").read_text(encoding="utf-8"))
        md = (out.parent / "reports" / "summary.md").read_text(encoding="utf-8").splitlines()
        heading = next((line for line in md if line.startswith("## Flagged")), "")
        return [f["id"] for f in summary["flagged"]], heading

    assert flagged() == ([], "")  # 43% lost: not over the 0.5 default, and no section
    assert flagged("--flag-share", "0.3") == (
        ["d"],
        "## Flagged for review: lost more than 30% of their characters (1)",
    )


def test_the_totals_removed_are_the_removed_lines_characters(tmp_path: Path) -> None:
    """Before: "removed" was characters in minus out, so a record whose text only got its final
    newline showed "removed -1 (-3.8%)", and repairs counted as removals. Now it is the
    characters of the lines removed: the rules table's sum."""
    data = tmp_path / "in.jsonl"
    records = [{"id": "a", "text": "The council met on Monday."}, {"id": "b", "text": "Source: AFP\nThe  ferry left."}]
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    out = tmp_path / "o" / "clean.jsonl"
    done = cli("clean", str(data), "--out", str(out), "--no-classify")
    assert done.returncode == 0, done.stderr
    summary = json.loads((out.parent / "reports" / "summary.json").read_text(encoding="utf-8"))
    totals = summary["totals"]
    assert (totals["chars_in"], totals["chars_out"], totals["chars_removed"]) == (54, 44, 11)
    md = (out.parent / "reports" / "summary.md").read_text(encoding="utf-8").splitlines()
    assert md[4] == "| 2 | 2 | 0 | 0 | 1 | 54 | 44 | 11 (20.4%) |"

    def totals_row(stdout: str) -> list[str]:
        row = next(line for line in stdout.splitlines() if line.startswith("│") and "%" in line)
        return [cell.strip() for cell in row.strip("│").split("│")]

    assert totals_row(done.stdout) == ["2", "2", "0", "0", "54", "11 (20.4%)"]
    data.write_bytes(orjson.dumps(records[0]) + b"\n")
    again = cli("clean", str(data), "--out", str(out), "--overwrite", "--no-classify")
    assert totals_row(again.stdout) == ["1", "1", "0", "0", "26", "0 (0.0%)"]


def test_stdin_is_cleaned_in_its_place_among_the_inputs(tmp_path: Path) -> None:
    # README, "What a run writes": records in input order, so `-` given between two files
    # comes out between them (it used to come out last, whatever its place).
    (tmp_path / "a.txt").write_text("First file, one line.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Second file, one line.\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", "a.txt", "-", "b.txt", "--stdin-format", "txt", "--out", "-", "-q"],
        cwd=tmp_path,
        input="From stdin, one line.\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    records = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [(r["id"], r["source"], r["text"]) for r in records] == [
        ("a", "a.txt", "First file, one line.\n"),
        ("stdin", "-", "From stdin, one line.\n"),
        ("b", "b.txt", "Second file, one line.\n"),
    ]


def test_a_file_named_as_stdin_is_spooled_is_named_by_its_directory(tmp_path: Path) -> None:
    """Before: a file stdin.jsonl and ``-`` gave two documents the id stdin:1, or (with a change in
    each) one diff name: the shard of one was linked over the other's, and the run ended in an
    AssertionError. The file is named by its directory, as two inputs' clashing files are."""
    (tmp_path / "sx").mkdir()
    (tmp_path / "sx" / "stdin.jsonl").write_bytes(orjson.dumps({"text": "From the file.\nSource: AFP"}) + b"\n")
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", "sx/stdin.jsonl", "-", "--out", "o/clean.jsonl", "-q"],
        cwd=tmp_path,
        input=orjson.dumps({"text": "From stdin.\nSource: AFP"}).decode() + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert (done.returncode, done.stderr) == (0, "")
    records = [orjson.loads(line) for line in (tmp_path / "o" / "clean.jsonl").read_bytes().splitlines()]
    assert [(r["id"], r["source"], r["text"]) for r in records] == [
        ("sx/stdin:1", "sx/stdin.jsonl:1", "From the file.\n"),
        ("stdin:1", "-:1", "From stdin.\n"),
    ]
    reports = tmp_path / "o" / "reports"
    assert "From the file." in (reports / "sx" / "stdin.jsonl.diff").read_text(encoding="utf-8")
    assert "From stdin." in (reports / "stdin.jsonl.diff").read_text(encoding="utf-8")


def test_rules_test_with_a_keyword_no_rule_has_is_a_usage_error() -> None:
    # A typo in -k used to run nothing and exit 0 ("0 passed, 0 failed"): a CI hook always green.
    result = cli("rules", "test", "-k", "no-such-rule-typo")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: -k 'no-such-rule-typo': no rule id contains it; nothing tested\n"
    selected = cli("rules", "test", "-k", "credits.source")
    assert selected.returncode == 0 and selected.stdout.splitlines()[-1].endswith(" passed, 0 failed")


def test_a_rule_acting_in_none_of_its_cases_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "name: demo\ndescription: d\nrules:\n  - id: demo.ok\n    kind: line\n    description: ok\n"
        '    pattern: \'^OK$\'\n    tests:\n      - input: "OK\\nText.\\n"\n        output: "Text.\\n"\n'
        "  - id: demo.ad\n    kind: line\n    description: ads\n"
        '    pattern: \'^AD$\'\n    tests:\n      - input: "Text.\\n"\n        output: "Text.\\n"\n',
        encoding="utf-8",
    )
    result = cli("rules", "test", str(tmp_path / "r.yaml"))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'r.yaml'}:11: FAIL demo.ad: the rule acts in none of its test cases",
        "2 passed, 1 failed",
    ]


def test_rules_validate_and_test_refuse_what_clean_refuses_beside_the_shipped_rules(tmp_path: Path) -> None:
    """A file reusing a shipped rule id, or a shipped site's name and domain, passed `rules
    validate` and `rules test` (checked alone) while `clean --rules` refused it: now all three
    check it beside the shipped rules, with one message; --no-default-rules checks it alone."""
    import yaml

    shipped = yaml.safe_load((ROOT / "rules" / "sites" / "heraldglobe.yaml").read_text(encoding="utf-8"))
    name, domain = shipped["name"], shipped["match"]["domains"][0]
    rule = (
        "rules:\n  - id: ads.label\n    kind: line\n    description: x.\n    pattern: '^XXAD$'\n"
        '    tests: [{input: "Body.\\nXXAD\\n", output: "Body.\\n"}]\n'
    )
    (tmp_path / "x.yaml").write_text(f"name: {name}\ndescription: d\nmatch:\n  domains: [{domain}]\n" + rule, "utf-8")
    doc = str(tmp_path / "d.txt")
    Path(doc).write_text("Body.\n", encoding="utf-8")
    expected = [
        f"x.yaml:1: name '{name}' is also used by rules/sites/{name}.yaml",
        "x.yaml:6: rule id 'ads.label' is also defined in rules/generic/ads.yaml",
        f"x.yaml:4: domain '{domain}' is also claimed by rules/sites/{name}.yaml",
    ]
    given = str(tmp_path / "x.yaml")
    for command in (["rules", "validate", given], ["rules", "test", given], ["explain", "--rules", given, doc]):
        result = cli(*command)
        shown = [line.replace(str(tmp_path) + "/", "") for line in result.stderr.splitlines()]
        assert (result.returncode, shown) == (2, expected), command
    alone = cli("rules", "validate", given, "--no-default-rules")
    assert (alone.returncode, alone.stdout) == (0, "1 rule file, 1 rule: valid\n")
    assert cli("rules", "test", given, "--no-default-rules").stdout == "1 passed, 0 failed\n"
    # The shipped folder itself (or a file in it) is the shipped rules, not a copy beside them.
    assert cli("rules", "validate", "rules").stdout == cli("rules", "validate").stdout
    one = cli("rules", "validate", f"rules/sites/{name}.yaml")
    assert (one.returncode, one.stdout) == (0, f"1 rule file, {len(shipped['rules'])} rules: valid\n")


@pytest.mark.parametrize("command", ["clean", "explain"])
def test_a_reader_that_stops_early_is_no_failure(tmp_path: Path, command: str) -> None:
    """Before: `cleaner clean ... | head -1` (the totals table) and `cleaner explain ... | head -1`
    exited 1, the code of a run that failed documents, with nothing said: rich's own handling of a
    closed pipe. The rest of the output goes nowhere, and the command ends with its own code."""
    corpus = tmp_path / "c.jsonl"
    text = "Share this article\nThe council met on Monday to discuss the harbour plans.\nSource: Reuters\n"
    corpus.write_bytes(b"".join(orjson.dumps({"id": f"d{n}", "text": text}) + b"\n" for n in range(300)))
    args = [str(corpus), "--out", str(tmp_path / "o" / "clean.jsonl")] if command == "clean" else [str(corpus)]
    process = subprocess.Popen(
        [sys.executable, "-m", "cleaner", command, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    stderr = process.stderr.read()
    assert (process.wait(timeout=120), stderr) == (0, b"")


def _piped(stdin: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args], cwd=cwd, input=stdin, capture_output=True, text=True, encoding="utf-8"
    )


def test_explain_and_suggest_read_stdin_as_clean_does(tmp_path: Path) -> None:
    """Before: `explain -` and `suggest -` said "-: no such file or directory" (or read a file
    named - in the current directory), though their help says they read input as clean does."""
    (tmp_path / "-").write_text("A file named -, which is not stdin.\n", encoding="utf-8")
    record = '{"id": "a", "text": "Source: AFP\\nThe council met on Monday.\\n"}\n'
    shown = _piped(record, "explain", "-", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[:3] == [
        "# a  site: (none)  url: (none)",
        "1 - Source: AFP    <- credits.source",
        "2   The council met on Monday.",
    ]
    text = _piped("Share this article\nThe council met.\n", "explain", "-", "--stdin-format", "txt", cwd=tmp_path)
    assert text.stdout.splitlines()[:2] == [
        "# stdin  site: (none)  url: (none)",
        "1 - Share this article    <- chrome.widget",
    ]
    records = "".join(
        json.dumps({"text": f"VALLEY POST | Since 1921\n\nThe {w} story of the week.\n\nTip us off\n"}) + "\n"
        for w in ("ferry", "bridge", "market", "school")
    )
    suggested = _piped(records, "suggest", "-", "--out", str(tmp_path / "s"), "-q", cwd=tmp_path)
    assert suggested.returncode == 0, suggested.stderr
    (path,) = (tmp_path / "s").iterdir()
    assert "Tip us off" in path.read_text(encoding="utf-8")


def test_an_output_directory_that_cannot_be_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Before: compare, suggest (after its whole mining pass) and rules schema ended in a Python
    traceback and exit 1 for an --out on a file; compare --out - made a directory named -."""
    a_file = tmp_path / "a.txt"
    a_file.write_text("mine\n", encoding="utf-8")
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "d.txt").write_text("The council met.\n", encoding="utf-8")
    assert cli("clean", str(corpus), "--out", str(tmp_path / "o" / "clean.jsonl"), "-q").returncode == 0
    run = str(tmp_path / "o")
    for args, said in (
        (["compare", run, run, "--out", str(a_file)], f"error: --out {a_file}: not a directory"),
        (["compare", run, run, "--out", "-"], "error: --out -: a directory is written here (its files), not stdout"),
        (
            ["suggest", str(corpus), "--out", str(a_file / "s")],
            f"error: --out {a_file / 's'}: cannot be created ({a_file} is not a writable directory)",
        ),
        (["rules", "schema", "--out", str(a_file / "s.json")], None),
    ):
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: "), done.stderr
        assert said is None or done.stderr.rstrip("\n") == said
    assert a_file.read_text(encoding="utf-8") == "mine\n" and not (tmp_path / "-").exists()
    schema = cli("rules", "schema", "--out", "-", cwd=tmp_path)
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"] and not (tmp_path / "-").exists()


def test_rules_validate_and_test_over_no_rule_file_fail(tmp_path: Path) -> None:
    """Before: an empty or mistyped rule folder gave "0 rule files, 0 rules: valid" and "0 passed,
    0 failed", exit 0: a CI check that checks nothing."""
    empty = tmp_path / "rules"
    empty.mkdir()
    said = f"{empty}: no rule files (*.yaml, *.yml) in this directory; nothing loaded\n"
    validated = cli("rules", "validate", str(empty))
    assert (validated.returncode, validated.stderr) == (2, said)
    tested = cli("rules", "test", str(empty), "--no-default-rules")
    assert (tested.returncode, tested.stderr) == (2, said)
    one = cli("rules", "validate", "rules/generic/credits.yaml")
    assert (one.returncode, one.stdout) == (0, "1 rule file, 12 rules: valid\n")


def test_clean_explain_and_suggest_refuse_a_rules_folder_of_no_rule_file(tmp_path: Path) -> None:
    """Before: `--rules empty/` (or a folder of *.YAML files, whose suffix was compared in lower
    case only) loaded nothing and the run went on, exit 0, while `rules validate` refused it."""
    empty = tmp_path / "rules"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a rule file\n", encoding="utf-8")
    doc = tmp_path / "d.txt"
    doc.write_text("ACME NEWS NETWORK\nThe council met on Monday to discuss the budget.\n", encoding="utf-8")
    out = tmp_path / "out"
    said = f"{empty}: no rule files (*.yaml, *.yml) in this directory; nothing loaded\n"
    for args in (
        ["clean", str(doc), "--rules", str(empty), "--out", str(out / "c.jsonl")],
        ["explain", str(doc), "-r", str(empty)],
        ["suggest", str(doc), "-r", str(empty), "--out", str(out / "s")],
    ):
        done = cli(*args)
        assert (done.returncode, done.stderr, done.stdout) == (2, said, ""), args
    assert not out.exists()
    rule = (
        "name: acme\ndescription: d\nrules:\n  - id: acme.banner\n    kind: line\n    description: d.\n"
        "    pattern: '^ACME NEWS NETWORK$'\n    keeps: [kept]\n"
    )
    (empty / "acme.YAML").write_text(rule, encoding="utf-8")
    (empty / "more").mkdir()
    (empty / "more" / "other.Yml").write_text(rule.replace("acme", "other"), encoding="utf-8")
    shown = cli("explain", str(doc), "-r", str(empty), "--no-classify")
    assert (shown.returncode, shown.stdout.splitlines()[1]) == (0, "1 - ACME NEWS NETWORK    <- acme.banner")
    validated = cli("rules", "validate", str(empty))
    assert (validated.returncode, validated.stdout) == (0, "2 rule files, 2 rules: valid\n")


def test_plain_text_piped_as_jsonl_gets_a_hint_once() -> None:
    """Before: every line of a text piped to `clean -` was its own 'not valid JSON' error, and
    nothing said that - is read as JSONL unless --stdin-format txt is given."""
    done = _piped("Source: AFP\nThe council met.\n", "clean", "-", "--out", "-", "-q")
    assert done.returncode == 1 and done.stdout == ""
    said = "not valid JSON: unexpected character, expected a JSON value: line 1 column 1 (char 0)"
    assert done.stderr.splitlines() == [
        f"error: -:1: {said}",
        "hint: - (stdin) is read as JSONL records; give --stdin-format txt for a text document",
        f"error: -:2: {said}",
    ]
    text = _piped("Source: AFP\nThe council met.\n", "clean", "-", "--out", "-", "-q", "--stdin-format", "txt")
    assert (text.returncode, text.stderr) == (0, "")


def test_options_that_act_only_with_another_are_said_to_be_ignored(tmp_path: Path) -> None:
    """Before: --address without --engine ray, and --stdin-format without -, were ignored without
    a word; suggest that found nothing printed an empty table's header."""
    doc = tmp_path / "d.txt"
    doc.write_text("The council met on Monday.\n", encoding="utf-8")
    out = str(tmp_path / "o" / "clean.jsonl")
    done = cli("clean", str(doc), "--out", out, "-q", "--address", "ray://x:10001", "--stdin-format", "txt")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "warning: --address is for --engine ray; ignored",
        "warning: --stdin-format is for - (stdin), which is not among the inputs; ignored",
    ]
    assert cli("clean", str(doc), "--out", out, "-q", "--overwrite").stderr == ""
    found = cli("suggest", str(doc), "--out", str(tmp_path / "s"), "-q")
    assert (found.returncode, found.stdout) == (
        0,
        "no site has lines repeated enough for a rule (--min-docs 3, --min-share 0.05); nothing written\n",
    )
    assert not (tmp_path / "s").exists()


def _cli_env(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    "env",
    [{}, {"COLUMNS": "30"}, {"TYPER_USE_RICH": "0"}],  # rich's width and typer without rich: the same two lines
    ids=["default", "narrow", "no-rich"],
)
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["clean", "--bogus"], ["error: No such option: --bogus (Possible options: --out)", "clean"]),
        (["clean"], ["error: Missing argument 'inputs'.", "clean"]),
        (
            ["clean", "x.txt", "--workers", "abc"],
            [
                "error: Invalid value for '--workers' / '-j': Input should be a valid integer, unable to parse "
                "string as an integer",
                "clean",
            ],
        ),
        (["compare", "a"], ["error: Missing argument 'new'.", "compare"]),
        (["bogus"], ["error: No such command 'bogus'.", ""]),
        (["rules", "schema", "--zzz"], ["error: No such option: --zzz", "rules schema"]),
        (["rules", "schema", "--out"], ["error: Option '--out' requires an argument."]),  # (typer gives no command)
    ],
)
def test_a_usage_error_is_one_line_and_a_hint(args: list[str], said: list[str], env: dict[str, str]) -> None:
    """Before: typer printed the usage line, a hint and the message in a box that rich wrapped at
    the terminal's width (`python -m cleaner` in the usage line and hint). Now: one line as
    cleaner's own errors are, and a hint naming the command's --help; exit 2, nothing on stdout."""
    result = _cli_env(*args, **env)
    message, *command = said
    hint = [f"Try '{' '.join(['cleaner', *command[0].split()])} --help' for help."] if command else []
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (2, "", [message, *hint])


@pytest.mark.parametrize("env", [{}, {"TYPER_USE_RICH": "0"}], ids=["rich", "no-rich"])
def test_help_is_typers_and_no_arguments_is_the_help(env: dict[str, str]) -> None:
    """--help is unchanged (rich's boxes when typer uses rich) and names the command as it is
    typed, `cleaner`, also when run as `python -m cleaner`; no arguments print the help, exit 2."""
    shown = _cli_env("clean", "--help", **env)
    assert (shown.returncode, shown.stderr) == (0, "")
    lines = shown.stdout.splitlines()
    if env:
        assert lines[0] == "Usage: cleaner clean [OPTIONS] {inputs}..."
        assert "Options:" in lines and not any("╭" in line for line in lines)
    else:
        assert lines[1].strip() == "Usage: cleaner clean [OPTIONS] {inputs}..."
        assert any(line.startswith("╭─ Options ─") for line in lines)
    bare = _cli_env(**env)
    assert bare.returncode == 2
    # (typer prints its rich help on stdout, its plain help on stderr, as before)
    assert (bare.stderr if env else bare.stdout).lstrip().startswith("Usage: cleaner [OPTIONS] COMMAND [ARGS]...")


def test_rules_schema_replaces_a_file_only_with_overwrite(tmp_path: Path) -> None:
    """Before: `rules schema --out FILE` replaced an existing FILE without a word. Now, as `clean
    --out` does: exit 2, one line naming it, unless --overwrite; --out - (stdout) needs none."""
    schema = tmp_path / "schema.json"
    schema.write_text("mine\n", encoding="utf-8")
    refused = cli("rules", "schema", "--out", str(schema))
    said = f"error: {schema} exists; pass --overwrite to replace it\n"
    assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", said)
    assert schema.read_text(encoding="utf-8") == "mine\n"
    printed = cli("rules", "schema", "--out", "-")
    assert printed.returncode == 0 and printed.stdout.startswith("{")
    replaced = cli("rules", "schema", "--out", str(schema), "--overwrite")
    assert (replaced.returncode, replaced.stdout, replaced.stderr) == (0, "", "")
    assert schema.read_text(encoding="utf-8") == printed.stdout
    fresh = cli("rules", "schema", "--out", str(tmp_path / "new" / "schema.json"))
    assert (fresh.returncode, fresh.stderr) == (0, "")
    assert (tmp_path / "new" / "schema.json").read_text(encoding="utf-8") == printed.stdout


def test_compare_replaces_its_files_only_with_overwrite(tmp_path: Path) -> None:
    """Before: `compare --out DIR` replaced DIR's compare.md, .json and .html without a word. Now,
    as `clean --out` does: exit 2 before anything is written, one line naming what is there,
    unless --overwrite; the rest of DIR is never touched."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "d.txt").write_text("The council met.\nSource: AFP\n", encoding="utf-8")
    assert cli("clean", str(corpus), "--out", str(tmp_path / "o" / "clean.jsonl"), "-q").returncode == 0
    run = str(tmp_path / "o")
    review = tmp_path / "review"
    review.mkdir()
    (review / "notes.md").write_text("my notes\n", encoding="utf-8")
    (review / "compare.md").write_text("my draft\n", encoding="utf-8")
    refused = cli("compare", run, run, "--out", str(review))
    said = f"error: {review / 'compare.md'} exists; pass --overwrite to replace it\n"
    assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", said)
    assert sorted(p.name for p in review.iterdir()) == ["compare.md", "notes.md"]
    assert (review / "compare.md").read_text(encoding="utf-8") == "my draft\n"
    replaced = cli("compare", run, run, "--out", str(review), "--overwrite")
    assert (replaced.returncode, replaced.stderr) == (0, "")
    assert sorted(p.name for p in review.iterdir()) == ["compare.html", "compare.json", "compare.md", "notes.md"]
    assert (review / "compare.md").read_text(encoding="utf-8") == replaced.stdout
    assert (review / "notes.md").read_text(encoding="utf-8") == "my notes\n"
    # A comparison written before is no exception: cleaner cannot tell it from a file edited since.
    again = cli("compare", run, run, "--out", str(review))
    names = ", ".join(str(review / f"compare.{ext}") for ext in ("md", "json", "html"))
    assert (again.returncode, again.stderr) == (2, f"error: {names} exist; pass --overwrite to replace them\n")
    beside = cli("compare", run, run, "--out", str(tmp_path / "o" / "reports"))  # a report without compare.*
    assert (beside.returncode, beside.stderr) == (0, "")
    assert (tmp_path / "o" / "reports" / "compare.md").read_text(encoding="utf-8") == beside.stdout


def test_suggest_replaces_a_rule_file_only_with_overwrite(tmp_path: Path) -> None:
    """Before: one rule file already there was said as "X exist; ... replace them", and a symlink
    at a later file's name was met only while writing, after the files before it had been
    replaced. Now the check is clean's (io.atomic.check_new_files), made before any file is written."""
    records = "".join(
        json.dumps({"text": f"{banner}\n\nThe {w} story of the week.\n\n{tail}\n"}) + "\n"
        for banner, tail in (("VALLEY POST | Since 1921", "Tip us off"), ("HILL TIMES | Est. 1880", "Write to us"))
        for w in ("ferry", "bridge", "market", "school")
    )
    out = tmp_path / "s"
    first = _piped(records, "suggest", "-", "--out", str(out), "-q")
    assert first.returncode == 0, first.stderr
    one, two = sorted(out.iterdir())
    two.unlink()
    again = _piped(records, "suggest", "-", "--out", str(out), "-q")
    assert (again.returncode, again.stderr) == (2, f"error: {one} exists; pass --overwrite to replace it\n")
    assert not two.exists()
    one.write_text("edited\n", encoding="utf-8")
    (tmp_path / "mine.yaml").write_text("mine\n", encoding="utf-8")
    two.symlink_to(tmp_path / "mine.yaml")
    linked = _piped(records, "suggest", "-", "--out", str(out), "-q", "--overwrite")
    said = f"error: {two} exists and is not a regular file; cleaner only replaces regular files\n"
    assert (linked.returncode, linked.stderr) == (2, said)
    assert one.read_text(encoding="utf-8") == "edited\n"  # nothing written
    assert two.is_symlink() and (tmp_path / "mine.yaml").read_text(encoding="utf-8") == "mine\n"


def test_a_rule_file_given_twice_is_loaded_once(tmp_path: Path) -> None:
    """Before: `rules validate ok ok/acme.yaml` (or `-r ok -r ok/acme.yaml`) loaded the file twice
    and it clashed with itself: "name 'acme' is also used by ok/acme.yaml", exit 2."""
    rules = tmp_path / "ok"
    rules.mkdir()
    (rules / "acme.yaml").write_text(
        "name: acme\ndescription: d\nmatch:\n  domains: [acme-news.com]\nrules:\n  - id: acme.banner\n"
        "    kind: line\n    description: d.\n    pattern: '^ACME NEWS NETWORK$'\n"
        '    tests: [{input: "ACME NEWS NETWORK\\nThe council met.\\n", output: "The council met.\\n"}]\n',
        encoding="utf-8",
    )
    (tmp_path / "link.yaml").symlink_to(rules / "acme.yaml")
    doc = tmp_path / "d.txt"
    doc.write_text("ACME NEWS NETWORK\nThe council met on Monday to discuss the budget.\n", encoding="utf-8")
    twice = ["ok", "ok/acme.yaml", "./ok/../ok/acme.yaml", "link.yaml"]
    validated = cli("rules", "validate", *twice, cwd=tmp_path)
    assert (validated.returncode, validated.stderr, validated.stdout) == (0, "", "1 rule file, 1 rule: valid\n")
    tested = cli("rules", "test", *twice, cwd=tmp_path)
    assert (tested.returncode, tested.stderr, tested.stdout) == (0, "", "1 passed, 0 failed\n")
    given = [arg for path in twice for arg in ("-r", path)]
    shown = cli("explain", "d.txt", "--url", "https://acme-news.com/a", "--no-classify", *given, cwd=tmp_path)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.splitlines()[:2] == [
        "# d  site: acme  url: https://acme-news.com/a",
        "1 - ACME NEWS NETWORK    <- acme.banner",
    ]


@pytest.mark.parametrize("native", ["on", "off"])
def test_a_vertical_tab_and_a_form_feed_become_spaces(tmp_path: Path, native: str) -> None:
    """Before: the vertical tab was deleted ("Helloworld": two words glued into one, reported as
    ftfy:remove_control_chars) and the form feed stayed in the text as a control character. Both
    are a space (a whitespace repair), in both halves of the repair step, and cleaning the output
    again changes nothing."""
    data = tmp_path / "vt.jsonl"
    data.write_text('{"id":"a","text":"Hello\\u000bworld and\\u000cmore text here."}\n', encoding="utf-8")
    env = {**os.environ, "CLEANER_NATIVE": native}
    for source, out in [
        (data, tmp_path / "once" / "clean.jsonl"),
        (tmp_path / "once" / "clean.jsonl", tmp_path / "again" / "clean.jsonl"),
    ]:
        args = ["clean", str(source), "--out", str(out), "--overwrite", "-q"]
        subprocess.run([sys.executable, "-m", "cleaner", *args], cwd=ROOT, env=env, check=True)
    once = (tmp_path / "once" / "clean.jsonl").read_text(encoding="utf-8")
    assert once == (
        '{"id":"a","text":"Hello world and more text here.\\n","source":"'
        + f"{data}:1"
        + '","url":null,"site":null,"meta":{},"stats":{"chars_in":31,"chars_out":32,"lines_in":1,"lines_out":1,'
        '"removed":{},"repaired":{"whitespace":1}}}\n'
    )
    again = orjson.loads((tmp_path / "again" / "clean.jsonl").read_bytes())
    assert again["text"] == "Hello world and more text here.\n"
    assert again["stats"]["repaired"] == {"whitespace": 1}  # (folded: the first run's repair, none more)


COSTLY_RULES = """\
name: slowsite
description: A site whose rules cost every run.
match:
  domains: [slow.example]
rules:
  - id: slowsite.stamp
    kind: line
    description: A name and a date in figures.
    pattern: ['^\\p{Lu}\\p{Ll}+(?: \\p{Lu}\\p{Ll}+)+ \\d{4}-\\d{2}-\\d{2}$', '^(?i:posted on) .+$']
    tests:
      - input: "Anna Berg 2021-05-03\\nThe ferry leaves at six.\\n"
        output: "The ferry leaves at six.\\n"
  - id: slowsite.bio
    kind: line
    description: A long bio.
    pattern: '^(?:[\\w&-]{1,25}[\\s-]){0,30}is a writer$'
    tests:
      - input: "Anna Berg is a writer\\nThe ferry leaves at six.\\n"
        output: "The ferry leaves at six.\\n"
  - id: slowsite.share
    kind: line
    description: A share label.
    pattern: '^(?i:share this)(?: \\w+)?$'
    tests:
      - input: "Share this\\nThe ferry leaves at six.\\n"
        output: "The ferry leaves at six.\\n"
"""


def test_rules_validate_warns_of_a_rule_that_costs_every_run(tmp_path: Path) -> None:
    """A pattern the prefilter can name no lines for (a branch whose only string is a space) and
    one RE2 compiles to a million instructions are valid, and said as warnings at their rules'
    lines, on stderr, exit 0; the rule with a word of its own is not named, nor a shipped rule."""
    path = tmp_path / "slow.yaml"
    path.write_text(COSTLY_RULES, encoding="utf-8")
    done = cli("rules", "validate", str(path))
    assert (done.returncode, done.stdout) == (0, "1 rule file, 3 rules: valid\n")
    assert done.stderr.splitlines() == [
        f"warning: {path}:6: rule slowsite.stamp: its pattern has a branch with no word the prefilter can look "
        r"for, and no bound on the line's length (^(?:\p{Lu}\p{Ll}+(?: \p{Lu}\p{Ll}+)+ \d{4}-\d{2}-\d{2})$): "
        "RE2 tests it on nearly every line of every page; give it a word of its own",
        f"warning: {path}:13: rule slowsite.bio: its pattern compiles to 1,010,057 RE2 instructions (more than "
        "70,000), in every process that needs it; a bounded repeat of a Unicode class is that many copies of "
        "it: bound words with + or *, spans with a negated class such as [^.!?]{1,60}",
    ]
    shipped = cli("rules", "validate")
    assert (shipped.returncode, shipped.stderr) == (0, "")
