"""A pull request's rule change reviewed end to end: a rule edit on a copy of rules/, `clean` with
both rule sets, `compare` (Markdown, JSON, page), --fail-on-change, and annotations for a broken file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from cleaner.report import compare_render
from cleaner.report.compare import compare
from tests.golden import GOLDEN, produce

ROOT = Path(__file__).resolve().parent.parent
DOCS = {
    "a.txt": (
        "Council approves new budget\n\n"
        "The city council approved the budget on Monday after a long debate about the harbour.\n\n"
        "See also the report from the audit office, which found that the agency had not acted on earlier warnings.\n\n"
        "Read more  Council approves the harbour plan\n\n"
        "The mayor said the vote was a turning point for the town and its port.\n"
    ),
    "b.txt": "Short note on the fire.\n\nSee also the gallery of photographs from the scene taken by our readers\n",
    "c.txt": "Plain text with nothing to remove.  \n\n\n\nA second paragraph after blank lines.\n",
}
STRICT = r"(?::\s*|\s{2,}|"  # links.see-also: the label must be set off by a colon, two spaces, a dash
LOOSE = r"(?::\s*|\s+|"  # ... the pull request lets one space do


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8"
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus cleaned with the base branch's rules and with the pull request's."""
    tmp = tmp_path_factory.mktemp("pr")
    for name, text in DOCS.items():
        (tmp / "corpus").mkdir(exist_ok=True)
        (tmp / "corpus" / name).write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "rules", tmp / "pr-rules")
    links = tmp / "pr-rules" / "generic" / "links.yaml"
    text = links.read_text(encoding="utf-8")
    assert text.count(STRICT) == 1
    links.write_text(text.replace(STRICT, LOOSE), encoding="utf-8")
    base = cli("clean", str(tmp / "corpus"), "--out", str(tmp / "base" / "clean.jsonl"), "-q")
    assert base.returncode == 0, base.stderr
    new = cli(
        "clean",
        *(
            str(tmp / "corpus"),
            "--no-default-rules",
            "--rules",
            str(tmp / "pr-rules"),
            "--out",
            str(tmp / "new" / "clean.jsonl"),
            "-q",
        ),
        *("--baseline", str(tmp / "base")),
    )
    assert new.returncode == 0, new.stderr
    return tmp


def test_compare_counts_per_rule_riskiest_first(runs: Path) -> None:
    c = compare(runs / "base" / "reports", runs / "new" / "clean.jsonl")  # either form of a run output
    assert c.changed
    assert (c.docs_compared, c.docs_differing) == (3, 2)  # c.txt changed by layout only, in both runs
    assert (c.lines_newly_removed, c.lines_no_longer_removed, c.lines_moved) == (2, 0, 0)
    [rule] = c.rules
    assert rule.rule == "links.see-also"
    assert (rule.newly_removed, rule.no_longer_removed, rule.prose_newly_removed) == (2, 0, 1)
    assert (rule.docs_newly_emptied, rule.docs_newly_flagged, rule.docs) == (0, 1, 2)
    assert rule.chars_newly_removed == len(DOCS["a.txt"].splitlines()[4]) + len(DOCS["b.txt"].splitlines()[2])
    [doc] = c.documents
    assert (doc.id, doc.before, doc.after, doc.rule) == ("b", "kept", "flagged", "links.see-also")
    first = rule.samples[0]
    assert (first.id, first.no, first.before, first.after, first.prose) == ("a", 5, None, "-links.see-also", True)
    # two lines around it, each with the rule that acted on it before and after
    assert [(line.no, line.before, line.after) for line in first.context] == [
        (1, None, None),
        (3, None, None),
        (5, None, "-links.see-also"),
        (7, "-links.see-also", "-links.see-also"),
        (9, None, None),
    ]


def test_flag_share_is_an_option(runs: Path) -> None:
    c = compare(runs / "base", runs / "new", flag_share=0.8)  # b.txt lost 75%: not flagged at 80%
    assert c.documents == []
    assert c.rules[0].docs_newly_flagged == 0


def test_markdown_json_and_page(runs: Path) -> None:
    md = (runs / "new" / "reports" / "compare.md").read_text(encoding="utf-8")  # written by clean --baseline
    assert md.startswith("## cleaner compare: 1 rule changed what it does\n")
    assert "| `links.see-also` | 2 | 0 | 1 | 0 | 1 | +176 −0 | 0 | 2 |" in md
    assert "- `b` (" in md and "kept (0% lost) → flagged (75% lost), mostly `links.see-also`" in md
    assert (
        "-    5  See also the report from the audit office, which found that the agency had not acted on earlier "
        "warnings.   [kept → removed by links.see-also]"
    ) in md
    assert "     7  Read more  Council approves the harbour plan   [removed by links.see-also]" in md
    data = orjson.loads((runs / "new" / "reports" / "compare.json").read_bytes())
    assert data["changed"] is True
    assert data["rules"][0]["rule"] == "links.see-also" and data["rules"][0]["prose_newly_removed"] == 1
    page = (runs / "new" / "reports" / "compare.html").read_text(encoding="utf-8")
    assert '<h3 id="r-links.see-also">links.see-also</h3>' in page
    assert "kept → removed by links.see-also" in page


def test_fail_on_change_exit_codes(runs: Path, tmp_path: Path) -> None:
    changed = cli("compare", str(runs / "base"), str(runs / "new"), "--fail-on-change", "--out", str(tmp_path))
    assert changed.returncode == 1, changed.stderr
    assert changed.stdout == (tmp_path / "compare.md").read_text(encoding="utf-8")
    assert cli("compare", str(runs / "base"), str(runs / "new")).returncode == 0  # a report, not a check
    same = cli("compare", str(runs / "new"), str(runs / "new"), "--fail-on-change", "--output-format", "json")
    assert same.returncode == 0, same.stderr
    assert orjson.loads(same.stdout)["changed"] is False
    missing = cli("compare", str(runs / "base"), str(runs / "corpus"), "--fail-on-change")
    assert missing.returncode == 2
    assert "not a cleaner run output" in missing.stderr
    bad_baseline = cli("clean", str(runs / "corpus"), "--out", str(tmp_path / "x" / "c.jsonl"), "--baseline", "nope")
    assert bad_baseline.returncode == 2 and "nope: no such file or directory" in bad_baseline.stderr
    assert not (tmp_path / "x" / "c.jsonl").exists()  # refused before anything was written


def test_seed_run_against_the_goldens_does_not_move(tmp_path: Path) -> None:
    """What `make review-check` does in .ci/run: the committed goldens are the base."""
    produce(tmp_path)
    c = compare(GOLDEN, tmp_path)
    assert not c.changed and c.docs_compared == 5
    assert compare_render.markdown(c).startswith("## cleaner compare: no change\n")


def test_github_annotations_for_a_broken_rule_file(tmp_path: Path) -> None:
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text(
        "name: bad\ndescription: A broken file.\nrules:\n  - id: bad.one\n    kind: line\n"
        "    description: x\n    patern: '^x$'\n",
        encoding="utf-8",
    )
    result = cli("rules", "validate", str(broken), "--output-format", "github")
    assert result.returncode == 2
    assert (
        f"::error file={broken / 'bad.yaml'},line=7,title=invalid rule file::"
        "rules.0.patern: Extra inputs are not permitted; did you mean 'pattern'?\n"
    ) in result.stdout


def test_ci_examples_and_hooks_run_the_commands_tested_here() -> None:
    import yaml

    github = yaml.safe_load((ROOT / "examples" / "ci" / "github-actions.yml").read_text(encoding="utf-8"))
    assert github[True]["pull_request"]["paths"] == ["rules/**"]  # YAML 1.1 reads the key `on` as True
    script = "\n".join(step.get("run", "") for step in github["jobs"]["review"]["steps"])
    gitlab = yaml.safe_load((ROOT / "examples" / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8"))
    script_gl = "\n".join(gitlab["cleaner-rule-review"]["script"])
    for text in (script, script_gl):
        assert "cleaner rules validate rules" in text and "cleaner rules test rules" in text
        assert text.count("cleaner clean ") == 2 and "cleaner compare " in text and "--out review" in text
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.index("make test") < ci.index("make review-check")


def test_the_pre_commit_hooks_check_the_repositorys_rules(tmp_path: Path) -> None:
    """Before: the hooks ran `cleaner rules validate` and `cleaner rules test` with no path, which
    check the shipped rules alone: a broken rule file in the repository's rules/ passed. Each hook
    is run here as pre-commit runs it: its entry, in the repository, on a change its files hold."""
    import re

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [(h["id"], h["entry"], h["pass_filenames"]) for h in hooks] == [
        ("cleaner-rules-validate", "cleaner rules validate rules", False),
        ("cleaner-rules-test", "cleaner rules test rules", False),
    ]
    changed = ["rules/sites/acme.yaml", "rules/a.YML", "docs/a.yaml", "rules/notes.md"]
    for hook in hooks:
        assert [path for path in changed if re.search(hook["files"], path)] == changed[:2]
    rules = tmp_path / "rules" / "sites"
    rules.mkdir(parents=True)
    acme = (
        "name: acme\ndescription: d\nrules:\n  - id: acme.banner\n    kind: line\n    description: d.\n"
        "    pattern: '{}'\n"
        '    tests: [{{input: "ACME NEWS NETWORK\\nThe council met.\\n", output: "The council met.\\n"}}]\n'
    )
    said = {}
    for pattern in ("^ACME NEWS NETWORK$", "^(ACME$", "^ACME$"):
        (rules / "acme.yaml").write_text(acme.format(pattern), encoding="utf-8")
        for hook in hooks:
            command = hook["entry"].split()
            done = subprocess.run(
                [sys.executable, "-m", *command], cwd=tmp_path, capture_output=True, text=True, encoding="utf-8"
            )
            lines = (done.stdout + done.stderr).splitlines()
            said[pattern, hook["id"]] = (done.returncode, lines[0], lines[-1])  # (a failure's details between)
    broken = "rules/sites/acme.yaml:7: rules.0.pattern: regex does not compile: missing ) at position 7"
    assert said == {
        ("^ACME NEWS NETWORK$", "cleaner-rules-validate"): (
            0,
            "1 rule file, 1 rule: valid",
            "1 rule file, 1 rule: valid",
        ),
        ("^ACME NEWS NETWORK$", "cleaner-rules-test"): (0, "1 passed, 0 failed", "1 passed, 0 failed"),
        ("^(ACME$", "cleaner-rules-validate"): (2, broken, broken),
        ("^(ACME$", "cleaner-rules-test"): (2, broken, broken),
        ("^ACME$", "cleaner-rules-validate"): (0, "1 rule file, 1 rule: valid", "1 rule file, 1 rule: valid"),
        ("^ACME$", "cleaner-rules-test"): (1, "rules/sites/acme.yaml:8: FAIL acme.banner[0]", "0 passed, 2 failed"),
    }


def test_documents_only_in_one_run_are_not_rule_changes(tmp_path: Path) -> None:
    """removals.jsonl lists only changed documents: one added to or dropped from the corpus
    must not look like a rule that started or stopped removing its lines."""
    line = "The council met on Monday to discuss the harbour and its plans for the coming year.\n\nSource: Reuters\n"
    for run, names in (("b", ("a", "gone")), ("n", ("a", "added"))):
        (tmp_path / f"{run}-corpus").mkdir()
        for name in names:
            (tmp_path / f"{run}-corpus" / f"{name}.txt").write_text(line, encoding="utf-8")
        done = cli("clean", str(tmp_path / f"{run}-corpus"), "--out", str(tmp_path / run / "clean.jsonl"), "-q")
        assert done.returncode == 0, done.stderr
    result = cli("compare", str(tmp_path / "b"), str(tmp_path / "n"), "--fail-on-change", "--output-format", "json")
    assert result.returncode == 0, result.stdout
    data = orjson.loads(result.stdout)
    assert (data["changed"], data["rules"], data["documents"]) == (False, [], [])
    assert (data["docs_only_base"], data["docs_only_new"], data["docs_compared"]) == (1, 1, 1)
    markdown = cli("compare", str(tmp_path / "b" / "reports"), str(tmp_path / "n" / "clean.jsonl"))
    assert markdown.stdout == (
        "## cleaner compare: no change\n\n"
        "1 changed documents compared; every line has the same fate in both runs.\n\n"
        "1 document only in BASE, 1 only in NEW: not compared, not counted as rule changes.\n"
    )


def test_document_sets_are_read_from_the_runs_id_field(tmp_path: Path) -> None:
    """With another --id-field the output's records carry the document's id under that field, which
    the report's marker names: the sets are compared. (Before: a record without ``id`` left them
    uncompared, and a record's own ``id`` that is not the document's too.)"""
    body = "The council met on Monday to discuss the harbour and its plans.\nSource: Reuters"
    base = [{"doc_id": "a", "id": "x", "text": body}, {"doc_id": 7, "text": body}]
    new = [*base, {"doc_id": "c", "id": "z", "text": body}]
    for run, records in (("b", base), ("n", new)):
        corpus = tmp_path / f"{run}.jsonl"
        corpus.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        done = cli("clean", str(corpus), "--id-field", "doc_id", "--out", str(tmp_path / run / "clean.jsonl"), "-q")
        assert done.returncode == 0, done.stderr
        marker = orjson.loads((tmp_path / run / "reports" / ".cleaner-report").read_bytes())
        assert marker["id_field"] == "doc_id"
    result = cli("compare", str(tmp_path / "b"), str(tmp_path / "n"), "--fail-on-change")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == (
        "## cleaner compare: no change\n\n"
        "2 changed documents compared; every line has the same fate in both runs.\n\n"
        "0 documents only in BASE, 1 only in NEW: not compared, not counted as rule changes.\n"
    )


def test_document_sets_need_the_ids_the_report_names(tmp_path: Path) -> None:
    """A report of an older cleaner names no id field: its output's ``id`` are read. A record
    without one, or whose own ``id`` is not the document's (under another --id-field), leaves the
    sets uncompared: such ids would make every changed document look absent from the run and its
    rule changes vanish."""
    body = "The council met on Monday to discuss the harbour and its plans.\nSource: Reuters"
    own_ids = [{"doc_id": "a", "text": body}, {"doc_id": "b", "text": body}]
    other_ids = [{"doc_id": "a", "id": "x", "text": body}, {"doc_id": "b", "id": "y", "text": body}]
    unknown = (
        "\nDocument sets not compared (a run's output, or the ids of its records, could not be read): "
        "a document only one run had shows as a change.\n"
    )
    for name, records in (("own", own_ids), ("other", other_ids)):
        corpus = tmp_path / f"{name}.jsonl"
        corpus.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        for run in ("b", "n"):
            out = tmp_path / name / run / "clean.jsonl"
            done = cli("clean", str(corpus), "--id-field", "doc_id", "--out", str(out), "-q")
            assert done.returncode == 0, done.stderr
            marker_path = out.parent / "reports" / ".cleaner-report"
            marker = orjson.loads(marker_path.read_bytes())
            del marker["id_field"]  # as an older cleaner wrote it
            marker_path.write_bytes(orjson.dumps(marker))
        result = cli("compare", str(tmp_path / name / "b"), str(tmp_path / name / "n"), "--fail-on-change")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout == (
            "## cleaner compare: no change\n\n"
            "2 changed documents compared; every line has the same fate in both runs.\n" + unknown
        )
        data = orjson.loads(
            cli("compare", str(tmp_path / name / "b"), str(tmp_path / name / "n"), "--output-format", "json").stdout
        )
        assert (data["docs_only_base"], data["docs_only_new"]) == (None, None)


def _clean_text_runs(tmp_path: Path, runs: dict[str, tuple[str, ...]], out_name: str, *args: str) -> None:
    """Each run's corpus of .txt files (one article each), cleaned into ``tmp_path/<run>/<out_name>``."""
    body = "The council met on Monday to discuss the harbour and its plans for the coming year.\n\nSource: Reuters\n"
    for run, names in runs.items():
        corpus = tmp_path / f"{run}-txt"
        corpus.mkdir()
        for name in names:
            (corpus / f"{name}.txt").write_text(body, encoding="utf-8")
        done = cli("clean", str(corpus), *args, "--out", str(tmp_path / run / out_name), "-q")
        assert done.returncode == 0, done.stderr


def test_document_sets_of_parquet_outputs_are_compared(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    _clean_text_runs(tmp_path, {"b": ("a", "gone"), "n": ("a", "added", "new")}, "clean.parquet")
    data = orjson.loads(cli("compare", str(tmp_path / "b"), str(tmp_path / "n"), "--output-format", "json").stdout)
    assert (data["docs_only_base"], data["docs_only_new"], data["docs_compared"]) == (1, 2, 1)


def test_document_sets_with_another_id_field_over_text_files_and_mixed_parquet_ids(tmp_path: Path) -> None:
    """A text file's document has its id under ``id`` whatever --id-field says (it has no field of
    its own); a Parquet column of ids of several types is JSON text (cleaner's mark), read back
    as the values the reader made ids of."""
    pytest.importorskip("pyarrow")
    runs = {"b": ("a", "b"), "n": ("a", "b", "c")}
    _clean_text_runs(tmp_path, runs, "t.jsonl", "--id-field", "doc")
    body = "The council met on Monday to discuss the harbour and its plans.\nSource: Reuters\n"
    for run, names in runs.items():
        records = [{"doc": 1, "text": body}, {"doc": "x", "text": body}, {"doc": [1, 2], "text": body}]
        corpus = tmp_path / f"{run}.jsonl"
        corpus.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records[: len(names)]))
        done = cli("clean", str(corpus), "--id-field", "doc", "--out", str(tmp_path / f"{run}-pq" / "c.parquet"))
        assert done.returncode == 0, done.stderr
    for base, new in ((tmp_path / "b", tmp_path / "n"), (tmp_path / "b-pq", tmp_path / "n-pq")):
        data = orjson.loads(cli("compare", str(base), str(new), "--output-format", "json").stdout)
        assert (data["docs_only_base"], data["docs_only_new"], data["docs_compared"]) == (0, 1, 2), base


@pytest.mark.parametrize("name", ["clean.parquet", "clean.jsonl.gz"])
def test_an_unreadable_output_is_a_usage_error(tmp_path: Path, name: str) -> None:
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    _clean_text_runs(tmp_path, {"b": ("a",), "n": ("a",)}, name)
    out = tmp_path / "n" / name
    out.write_bytes(b"PAR1garbagegarbagePAR1" if name.endswith(".parquet") else out.read_bytes()[:-9])
    result = cli("compare", str(tmp_path / "b"), str(tmp_path / "n"))
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {out}: cannot read: "), line


def test_runs_of_different_id_fields_are_refused(tmp_path: Path) -> None:
    """Two runs that read their ids from different fields share no document id: compare said "no
    change" with every document only in one run. Both markers naming their fields and the fields
    differing is a usage error naming both (as is such a --baseline, before anything is written);
    a marker of an older cleaner, naming none, is compared as before."""
    body = "The council met on Monday to discuss the harbour and its plans.\nSource: Reuters"
    records = [{"id": f"d{i}", "url": f"https://example.com/{i}", "text": body} for i in range(2)]
    corpus = tmp_path / "c.jsonl"
    corpus.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    for run, field in (("b", "id"), ("n", "url")):
        done = cli("clean", str(corpus), "--id-field", field, "--out", str(tmp_path / run / "clean.jsonl"), "-q")
        assert done.returncode == 0, done.stderr
    base, new = tmp_path / "b" / "reports", tmp_path / "n" / "reports"
    refused = cli("compare", str(base), str(new), "--fail-on-change")
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        2,
        "",
        f"error: {base} and {new} used different id fields ('id' and 'url'): their documents cannot be "
        "matched; compare runs cleaned with the same --id-field\n",
    )
    later = tmp_path / "later" / "clean.jsonl"
    again = cli("clean", str(corpus), "--id-field", "url", "--out", str(later), "--baseline", str(base), "-q")
    assert (again.returncode, again.stderr) == (
        2,
        f"error: {base} and this run used different id fields ('id' and 'url'): their documents cannot be "
        "matched; compare runs cleaned with the same --id-field\n",
    )
    assert not later.parent.exists()
    marker_path = base / ".cleaner-report"
    marker = orjson.loads(marker_path.read_bytes())
    del marker["id_field"]  # as an older cleaner wrote it
    marker_path.write_bytes(orjson.dumps(marker))
    older = cli("compare", str(base), str(new), "--fail-on-change")
    assert (older.returncode, older.stdout.splitlines()[0]) == (0, "## cleaner compare: no change")


def test_a_clean_jsonl_finds_its_report_wherever_the_run_wrote_it(tmp_path: Path) -> None:
    """Before: given a clean JSONL, compare looked for reports/ beside it only: a report given
    elsewhere (the output's own marker names it) or in another folder beside it was not found."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text(
        "The council met on Monday to discuss the harbour.\n\nSource: Reuters\n", encoding="utf-8"
    )
    outs = {"beside": ("o1", "o1/rep"), "elsewhere": ("o2", "r2")}
    for out, report in outs.values():
        done = cli(
            "clean",
            str(tmp_path / "corpus"),
            "--out",
            f"{tmp_path / out}/clean.jsonl",
            "--report",
            str(tmp_path / report),
            "-q",
        )
        assert done.returncode == 0, done.stderr
    result = cli(
        "compare", str(tmp_path / "o1" / "clean.jsonl"), str(tmp_path / "o2" / "clean.jsonl"), "--fail-on-change"
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("## cleaner compare: no change\n")
    (tmp_path / "o3").mkdir()
    (tmp_path / "o3" / "clean.jsonl").write_bytes(
        (tmp_path / "o1" / "clean.jsonl").read_bytes()
    )  # no report of its own
    lost = cli("compare", str(tmp_path / "o3" / "clean.jsonl"), str(tmp_path / "o1" / "clean.jsonl"))
    assert lost.returncode == 2 and "not a cleaner run output" in lost.stderr


RULE_FILE = """name: {name}
description: Test rules.
rules:
{rules}"""
RULE = """  - id: {name}.{rule}
    kind: line
    description: A test line.
    pattern: '^{line}$'
    tests:
      - input: "{line}\\nThe council met on Monday to discuss the budget for the coming year.\\n"
        output: "The council met on Monday to discuss the budget for the coming year.\\n"
"""


@pytest.mark.parametrize("ids", [(5, "5"), ("5", "5")], ids=["number-and-string", "said-twice"])
def test_documents_of_one_id_are_matched_by_their_source(tmp_path: Path, ids: tuple[object, object]) -> None:
    """Before: removals were matched by id and the order of an id's documents. Records 5 and "5"
    (both of id "5", as an id said twice): the first kept whole by the base run (so not in its
    removals.jsonl) and changed by the new one, the second changed alike by both. The new run's
    first was compared with the base run's second: its Beta footer came out "removed by x.alpha
    -> removed by x.beta" and x.alpha changed what it does, though it did the same in both.
    Documents of a shared id are matched by id and source."""
    for name, rules in (("ra", ("alpha",)), ("rb", ("alpha", "beta"))):
        (tmp_path / name).mkdir()
        body = "".join(RULE.format(name="x", rule=rule, line=f"{rule.title()} line") for rule in rules)
        (tmp_path / name / "x.yaml").write_text(RULE_FILE.format(name="x", rules=body), encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        orjson.dumps({"id": ids[0], "text": "The council met on Monday to discuss the budget.\n\nBeta line\n"})
        + b"\n"
        + orjson.dumps({"id": ids[1], "text": "The ferry left at noon, the harbour master said.\n\nAlpha line\n"})
        + b"\n"
    )
    for run, rules in (("a", "ra"), ("b", "rb")):
        args = ("--no-default-rules", "-r", str(tmp_path / rules), "--no-classify", "-q")
        done = cli("clean", str(data), "--out", str(tmp_path / run / "clean.jsonl"), *args)
        assert done.returncode == 0, done.stderr
    result = compare(tmp_path / "a", tmp_path / "b")
    assert [(r.rule, r.newly_removed, r.no_longer_removed, r.docs) for r in result.rules] == [("x.beta", 1, 0, 1)]
    assert (result.lines_newly_removed, result.lines_no_longer_removed, result.lines_moved) == (1, 0, 0)
    [sample] = result.rules[0].samples
    assert (sample.id, sample.source, sample.text, sample.before, sample.after) == (
        "5",
        f"{data}:1",
        "Beta line",
        None,
        "-x.beta",
    )
    assert (result.docs_compared, result.docs_only_base, result.docs_only_new) == (2, 0, 0)


def test_documents_only_in_one_run_are_counted_by_document_not_by_id(tmp_path: Path) -> None:
    """An id said three times in the base run and once in the new one is two documents only in the
    base run (counted by distinct id, it was none); an id only the new run has, said twice, is two."""
    text = "The council met on Monday to discuss the harbour and its plans for the coming year.\n"
    runs = {"a": ["7", "7", "7", "8"], "b": ["7", "8", "9", "9"]}
    for run, ids in runs.items():
        data = tmp_path / f"{run}.jsonl"
        data.write_bytes(b"".join(orjson.dumps({"id": doc_id, "text": text}) + b"\n" for doc_id in ids))
        done = cli("clean", str(data), "--out", str(tmp_path / run / "clean.jsonl"), "-q")
        assert done.returncode == 0, done.stderr
    result = compare(tmp_path / "a", tmp_path / "b")
    assert (result.docs_only_base, result.docs_only_new) == (2, 2)
