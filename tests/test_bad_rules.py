"""Bad rule files: exit 2 before anything is written, each problem as file:line: what is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.document import Document
from cleaner.errors import RuleError
from cleaner.pipeline import Pipeline
from cleaner.rules.book import RuleBook
from cleaner.rules.load import load_rule_files, rule_roots
from cleaner.rules.regex import Regex

ROOT = Path(__file__).resolve().parent.parent

HEAD = "name: demo\ndescription: A demo site.\nrules:\n"
RULE = "  - id: demo.{name}\n    kind: line\n    description: d\n    pattern: '{pattern}'\n    tests: [{{input: a, output: a}}]\n"


def problems(tmp_path: Path, **files: str) -> list[str]:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rule_files([tmp_path])
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


def test_yaml_syntax_error(tmp_path: Path) -> None:
    """Placed where the broken construct begins (the unclosed bracket's line, 5), not where PyYAML
    noticed (the end of the file, 6 and 9: a file with an unclosed quote was placed at its end)."""
    assert problems(tmp_path, a=HEAD + "  - id: demo.x\n    kind: [line\n") == [
        "a.yaml:5: YAML syntax error: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)"
    ]
    quoted = HEAD + '  - id: demo.x\n    kind: line\n    pattern: "^abc\n    description: d\n\n\n'
    assert problems(tmp_path, a=quoted) == [
        "a.yaml:6: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar)"
    ]


def test_unknown_key_and_wrong_type(tmp_path: Path) -> None:
    text = HEAD + RULE.format(name="x", pattern="^x$") + "    colour: red\n    where: {first: many}\n"
    assert problems(tmp_path, a=text) == [
        "a.yaml:10: rules.0.where.first: Input should be a valid integer, unable to parse string as an integer",
        "a.yaml:9: rules.0.colour: Extra inputs are not permitted",
    ]


def test_missing_tests_and_bad_id(tmp_path: Path) -> None:
    text = HEAD + "  - id: NoDots\n    kind: line\n    description: d\n    pattern: x\n    tests: []\n"
    assert problems(tmp_path, a=text) == [
        "a.yaml:4: rules.0.id: String should match pattern '^[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)+$'",
    ]
    untested = HEAD + "  - id: demo.x\n    kind: line\n    description: d\n    pattern: x\n    tests: []\n"
    assert problems(tmp_path, a=untested) == [
        "a.yaml:4: rules.0: a rule needs test cases: 'tests' (what it removes) and 'keeps' (what it leaves)",
    ]


def test_duplicate_rule_ids_across_files(tmp_path: Path) -> None:
    one = HEAD + RULE.format(name="x", pattern="^x$")
    two = HEAD.replace("demo", "other") + RULE.format(name="x", pattern="^y$")
    assert problems(tmp_path, a=one, b=two) == ["b.yaml:4: rule id 'demo.x' is also defined in a.yaml"]


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    assert problems(tmp_path, a=HEAD + RULE.format(name="x", pattern="(unclosed")) == [
        "a.yaml:7: rules.0.pattern: regex does not compile: missing ) at position 9"
    ]


# Each of these takes from seconds to for ever on a short line in a backtracking engine.
HOSTILE = [
    "(a+)+$",
    "(x|x)*y",
    "^(\\w+\\s?)+$",
    "(a|aa)+$",
    "(?:a|a?)+!$",  # (not matching an empty string: such a pattern is refused, test_rule_kinds.py)
    "(?:a?c?|a)+!$",
    "(?:\\w{1,20}\\s?){1,30}$",  # too big for RE2's default memory; fits in ours
    "(?:a{1,30}){1,30}$",
    "\\d*\\d*\\d*\\d*:",
    "\\s*\\s*\\s*\\s*\\S$",
]


@pytest.mark.parametrize("pattern", HOSTILE)
def test_hostile_patterns_run_on_re2_in_linear_time(tmp_path: Path, pattern: str) -> None:
    """No validator can spot every slow pattern; running them on RE2 makes none slow."""
    assert Regex(pattern).engine == "re2"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yaml").write_text(HEAD + RULE.format(name="x", pattern=pattern), encoding="utf-8")
    pipeline = Pipeline(RuleBook.load([rules]))
    hostile = ["a" * 46 + "!", "a" * 1999 + "b", "1" * 1999 + "x", " " * 1999 + "x", "ac" * 999 + "b"]
    cleaned = pipeline.clean(Document(id="d", text="\n".join(hostile) + "\n", source="t"))
    assert len(cleaned.lines) == len(hostile)  # every line was looked at, none hung


def test_backtracking_patterns_are_refused_when_exponential(tmp_path: Path) -> None:
    # Lookaround needs the backtracking engine, where the structural check still applies.
    found = problems(tmp_path, a=HEAD + RULE.format(name="x", pattern="(?=a)(a+)+$"))
    assert len(found) == 1
    assert found[0].startswith("a.yaml:7: rules.0.pattern: regex refused: a repeated ")


def test_a_slow_backtracking_pattern_fails_its_document_not_the_run(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    slow = "(?=a).*a.*a.*a.*a.*a.*!"  # lookahead needs backtracking; polynomial, passes the structural check
    (rules / "a.yaml").write_text(HEAD + RULE.format(name="x", pattern=slow), encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.txt").write_text("a" * 1999 + "\n", encoding="utf-8")
    (corpus / "good.txt").write_text("aa!\nA sentence stays.\n", encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", str(corpus), "--rules", str(rules), "--out", str(out / "c.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # turns a hang into a failure; measures nothing
    )
    assert done.returncode == 1, done.stderr
    assert "bad.txt: rule demo.x: pattern ran over 0.5s (backtracking engine)" in done.stderr
    assert (out / "c.jsonl").read_text(encoding="utf-8").count("\n") == 1  # good.txt is written


def test_rule_error_writes_nothing_and_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yaml").write_text(HEAD + RULE.format(name="x", pattern="(?<=a)(a+)+$"), encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", "seeds", "--rules", str(rules), "--out", str(out / "c.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert f"{rules / 'a.yaml'}:7: rules.0.pattern: regex refused" in done.stderr
    assert not out.exists()


def test_a_slow_but_accepted_pattern_cannot_hang_on_a_long_line(tmp_path: Path) -> None:
    # Polynomial backtracking is not refused, so rules never look at lines past MAX_RULE_LINE.
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yaml").write_text(HEAD + RULE.format(name="x", pattern="^\\s*\\S*\\s*\\S*\\s*!$"), encoding="utf-8")
    doc = tmp_path / "doc.txt"
    doc.write_text("a " * 500_000 + "\nshort line!\n", encoding="utf-8")
    out = tmp_path / "out"
    # The timeout only turns a hang into a failure; it measures nothing.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cleaner",
            "clean",
            str(doc),
            "--rules",
            str(rules),
            "--out",
            str(out / "c.jsonl"),
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert b'"removed":{"demo.x":1}' in (out / "c.jsonl").read_bytes()


def test_a_url_glob_without_a_scheme_is_refused_with_its_line(tmp_path: Path) -> None:
    text = "name: demo\ndescription: A demo site.\nmatch:\n  urls:\n    - '*.example.com/news/*'\nrules:\n"
    assert problems(tmp_path, a=text + RULE.format(name="x", pattern="^x$")) == [
        "a.yaml:5: match.urls.0: URL glob '*.example.com/news/*' needs a scheme: 'https://...', or '*://...' for any"
    ]


def test_a_css_selector_of_no_element_or_deprecated_is_refused_with_its_line(tmp_path: Path) -> None:
    """Before: '::before' raised soupsieve's NotImplementedError (a traceback from rules validate and
    clean); ':contains()' passed with a deprecation warning on stderr at every load."""
    rule = "  - id: demo.x\n    kind: selector\n    description: d\n    selector: '{s}'\n    keeps: [x]\n"
    assert problems(tmp_path, a=HEAD + rule.format(s="::before")) == [
        "a.yaml:4: rules.0: CSS selector not supported: Pseudo-element found at position 0"
    ]
    assert problems(tmp_path, a=HEAD + rule.format(s='p:contains("Share")')) == [
        "a.yaml:4: rules.0: CSS selector deprecated: The pseudo class ':contains' is deprecated,"
        " ':-soup-contains' should be used moving forward."
    ]


def test_suggests_drafts_under_the_shipped_folder_are_not_loaded_unless_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cleaner suggest` writes to rules/suggested/ by default, drafts for review; the shipped
    folder was loaded whole, so every later run used them unreviewed. Given with --rules, they load."""
    from cleaner.rules import load

    shipped = tmp_path / "rules"
    (shipped / "generic").mkdir(parents=True)
    (shipped / "suggested").mkdir()
    (shipped / "generic" / "a.yaml").write_text(HEAD + RULE.format(name="x", pattern="^Share$"), encoding="utf-8")
    draft = "name: demo-draft\ndescription: A draft.\nrules:\n" + RULE.format(name="y", pattern="^Draft line$")
    (shipped / "suggested" / "d.yaml").write_text(draft.replace("demo.y", "draft.y"), encoding="utf-8")
    monkeypatch.setattr(load, "SHIPPED", shipped)
    assert [path.name for path, _ in load.load_rule_files(load.rule_roots([]))] == ["a.yaml"]
    given = load.rule_roots([shipped / "suggested"])
    assert [path.name for path, _ in load.load_rule_files(given)] == ["a.yaml", "d.yaml"]
    assert load.rule_roots([shipped, shipped / "generic" / "a.yaml"]) == load.rule_roots([])  # not twice


def test_a_rule_id_in_a_built_in_labels_namespace_is_refused(tmp_path: Path) -> None:
    """Before: a rule 'classify.short' or 'dedup.repeat' was loaded, and stats, summary.md and
    `cleaner explain` merged its removals with the classifier's or the dedup step's."""
    text = HEAD + RULE.format(name="x", pattern="^x$").replace("demo.x", "classify.short")
    text += RULE.format(name="y", pattern="^y$").replace("demo.y", "html.teaser")
    assert problems(tmp_path, a=text) == [
        "a.yaml:4: rules.0.id: 'classify.short' is in the namespace of cleaner's own labels ('classify'): stats "
        "and `cleaner explain` would merge its removals with theirs; start the id with the rule file's name",
        "a.yaml:9: rules.1.id: 'html.teaser' is in the namespace of cleaner's own labels ('html'): stats "
        "and `cleaner explain` would merge its removals with theirs; start the id with the rule file's name",
    ]
    # A namespace that only starts like one is the user's.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.yaml").write_text(HEAD + RULE.format(name="x", pattern="^x$").replace("demo.x", "htmlx.x"), "utf-8")
    assert [rule.id for _, model in load_rule_files([mine]) for rule in model.rules] == ["htmlx.x"]


def test_the_reserved_namespaces_are_every_built_in_labels() -> None:
    """BUILT_IN_NAMESPACES kept in step with the labels the steps describe (a new step's label is
    described in steps/reasons.py's _BUILT_IN; its namespace must be refused too); no shipped
    rule id is in one."""
    import re

    from cleaner.rules.base import BUILT_IN_NAMESPACES
    from cleaner.steps.reasons import _BUILT_IN

    assert sorted({re.split("[.:]", label)[0] for label in _BUILT_IN}) == list(BUILT_IN_NAMESPACES)
    assert load_rule_files([ROOT / "rules"])  # (a shipped id in one would be refused here)


def test_a_domain_two_files_claim_in_any_case_is_refused_naming_both(tmp_path: Path) -> None:
    """Hosts are matched in lower case, so 'ACME-News.com' is 'acme-news.com': before, validation
    compared them as written, passed both, and the first file took every page of the site."""
    site = "name: {0}\ndescription: A demo site.\nmatch:\n  domains: [{1}]\nrules:\n" + RULE
    one = site.format("one", "acme-news.com", name="x", pattern="^x$").replace("demo.", "one.")
    two = site.format("two", "www.acme-news.com, ACME-News.com", name="x", pattern="^x$").replace("demo.", "two.")
    three = site.format("three", ".acme-news.com", name="x", pattern="^x$").replace("demo.", "three.")
    assert problems(tmp_path, a=one, b=two, c=three) == [
        "b.yaml:4: domain 'ACME-News.com' is also claimed by a.yaml (as 'acme-news.com')",
        "c.yaml:4: domain '.acme-news.com' is also claimed by a.yaml (as 'acme-news.com')",
    ]


def test_a_subdomains_file_takes_its_pages_from_the_shipped_domains(tmp_path: Path) -> None:
    """Before: a user's file claiming blogs.wionews.com never applied, since the shipped file
    claiming wionews.com came first in file order and took its hosts."""
    site = "name: wionsub\ndescription: A demo site.\nmatch:\n  domains: [blogs.wionews.com]\nrules:\n" + RULE
    (tmp_path / "wsub.yaml").write_text(site.format(name="x", pattern="^x$").replace("demo.", "wionsub."), "utf-8")
    book = RuleBook.load(rule_roots([tmp_path]))
    urls = ["https://blogs.wionews.com/a", "https://x.blogs.wionews.com/a", "https://www.wionews.com/a"]
    assert [book.site_by_url(url).name for url in urls] == ["wionsub", "wionsub", "wionews"]  # type: ignore[union-attr]


def test_a_domain_that_is_no_host_is_refused_with_its_line_and_the_host_to_write(tmp_path: Path) -> None:
    """Before: these were accepted and matched no page (and '' matched every page of no host)."""
    bad = ["*.acme-news.com", "https://acme-news.com", "acme-news.com/", "acme-news.com:8080", " acme-news.com", ""]
    bad += ["acme..com", "ac me.com"]
    good = ["ACME-News.org", ".acme.net", "bücher.de", "localhost", "::1", "127.0.0.1"]
    listed = "".join(f"    - {domain!r}\n" for domain in [*bad, *good])
    text = f"name: demo\ndescription: A demo site.\nmatch:\n  domains:\n{listed}rules:\n"
    hint = "write the host alone: acme-news.com; it covers its subdomains"
    assert problems(tmp_path, a=text + RULE.format(name="x", pattern="^x$")) == [
        f"a.yaml:5: match.domains.0: '*.acme-news.com' is not a host (a wildcard): {hint}",
        f"a.yaml:6: match.domains.1: 'https://acme-news.com' is not a host (a URL): {hint}",
        f"a.yaml:7: match.domains.2: 'acme-news.com/' is not a host (a path): {hint}",
        f"a.yaml:8: match.domains.3: 'acme-news.com:8080' is not a host (a port): {hint}",
        f"a.yaml:9: match.domains.4: ' acme-news.com' is not a host (spaces around it): {hint}",
        "a.yaml:10: match.domains.5: '' is not a host (empty): write a host alone, as example.com; it covers its "
        "subdomains",
        "a.yaml:11: match.domains.6: 'acme..com' is not a host (not a host name): write a host alone, as "
        "example.com; it covers its subdomains",
        "a.yaml:12: match.domains.7: 'ac me.com' is not a host (a space): write a host alone, as example.com; it "
        "covers its subdomains",
    ]


def test_a_pattern_re2_refuses_for_its_size_is_refused_not_run_on_the_backtracking_engine(tmp_path: Path) -> None:
    """Before: RE2 refused these (too many repeats, nested counts multiplied), they went to the
    backtracking engine unsaid, passed `rules validate`, and timed out on every document. Only a
    pattern that needs that engine goes there; any other RE2 refuses is refused, with RE2's reason."""
    how = "bound its repeats less (RE2 takes at most 1000, nested repeats' counts multiplied), or split it into rules"
    text = HEAD + RULE.format(name="x", pattern=r"^(?:[\w-]{1,40} ?){1,60}$")
    text += RULE.format(name="y", pattern=r"^(?:\w{1,100}\s?){1,100}$") + RULE.format(name="z", pattern="(?x) a b")
    assert problems(tmp_path, a=text) == [
        f"a.yaml:7: rules.0.pattern: RE2 cannot compile it (invalid repetition size: {{1,60}}): {how}",
        f"a.yaml:12: rules.1.pattern: RE2 cannot compile it (invalid repetition size: {{1,100}}): {how}",
        "a.yaml:17: rules.2.pattern: RE2 cannot compile it (invalid perl operator: (?x): write it in RE2's syntax "
        "(only a pattern that needs a lookaround, a backreference, an atomic group, a possessive repeat or a "
        "conditional runs on the backtracking engine)",
    ]


@pytest.mark.parametrize(
    ("pattern", "engine"),
    [
        (r"^(?=Share)\w+", "backtracking"),
        (r"(?<!\d)x", "backtracking"),
        (r"(\w+) \1", "backtracking"),
        (r"(?P<w>\w+) (?P=w)", "backtracking"),
        (r"(?>a+)b", "backtracking"),
        (r"a++b", "backtracking"),
        (r"^(?:\w{1,20}\s?){1,30}$", "re2"),
        (r"[(?=]x\(?!y\++", "re2"),  # (a class, escapes: no lookaround, no possessive repeat)
    ],
)
def test_the_backtracking_engine_is_for_the_patterns_that_need_it(pattern: str, engine: str) -> None:
    from cleaner.rules.regex import needs_backtracking

    assert (Regex(pattern).engine, needs_backtracking(pattern)) == (engine, engine == "backtracking")
