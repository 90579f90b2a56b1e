"""How rule files are read and compiled at start-up: libyaml with the Python loader as the reference,
and site rule sets compiled when a document first belongs to the site. Same results, less time."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from cleaner.document import Document
from cleaner.errors import RuleError
from cleaner.pipeline import Pipeline
from cleaner.rules import load
from cleaner.rules.book import RuleBook
from cleaner.rules.load import MAX_DEPTH, _compose, _compose_fast, _Positions, load_rule_files, rule_paths

ROOT = Path(__file__).resolve().parent.parent

SITE = """name: {name}
description: A made-up site.
match: {match}
rules:
  - id: {name}.banner
    kind: line
    description: the banner
    pattern: '^{banner}$'
    tests: [{{input: "{banner}\\nThe article.", output: "The article.\\n"}}]
"""


def _same(text: str) -> bool:
    """Whether libyaml gives what the Python loader gives: the data, every line, the duplicates."""
    fast, slow = _compose_fast(text), _compose(text)
    assert fast is not None
    if fast[0] is None or slow[0] is None:
        return fast == slow
    a, b = _Positions(fast[0]), _Positions(slow[0])
    return fast[1] == slow[1] and a.lines == b.lines and a.duplicates == b.duplicates


@pytest.mark.parametrize("path", rule_paths(ROOT / "rules"), ids=lambda p: p.name)
def test_libyaml_reads_every_shipped_file_as_the_python_loader_does(path: Path) -> None:
    assert _same(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\nb: {c: 1, c: 2}\n",  # duplicates, found on the tree
        "a: >\n  folded\n  text\nb: |+\n  kept\n\n\nc:\n  - [1, [2, {d: e}]]\n  -\n    f: 'it''s'\n",
        "\ufeffa: !!str 12\nb: 2001-12-14\nc: .nan\n? complex\n: value\n",
        "",
        "# a comment only\n",
        "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2),
    ],
)
def test_libyaml_reads_what_the_python_loader_reads(text: str) -> None:
    assert _same(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # an alias
        "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1),  # close to the depth limit
        "[" * 20_000,
        "a: [1, 2\n",  # a syntax error: the message is the Python loader's
        "a: \x07\n",  # a character PyYAML does not read
        "--- a\n--- b\n",
        "a: !custom x\n",
    ],
)
def test_what_the_python_loader_may_refuse_is_left_to_it(text: str) -> None:
    assert _compose_fast(text) is None


def test_without_libyaml_the_python_loader_reads_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text(SITE.format(name="alpha", match="{domains: [alpha.example]}", banner="ALPHA"))
    expected = load_rule_files([tmp_path])
    monkeypatch.delattr(load.yaml, "CSafeLoader")
    assert _compose_fast("a: 1\n") is None
    assert load_rule_files([tmp_path]) == expected


def test_a_site_is_compiled_when_a_document_first_belongs_to_it(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SITE.format(name="alpha", match="{domains: [alpha.example]}", banner="ALPHA"))
    (tmp_path / "b.yaml").write_text(SITE.format(name="beta", match="{signature: '^BETA$'}", banner="BETA"))
    book = RuleBook.load([tmp_path])
    assert [site._compiled for site in book._sites] == [None, None]
    assert book.head_lines == 5
    pipeline = Pipeline(book)
    assert pipeline.clean(Document("d", "BETA\nThe article.\n", "d")).text == "The article.\n"
    alpha, beta = book._sites
    assert alpha._compiled is None and beta._compiled is not None  # only the site met
    assert book.site_for(None, ["BETA"]) is beta._compiled  # one object for the run
    assert book.site_for("https://alpha.example/x", []) is alpha._compiled is not None
    assert book.site_for("https://gamma.example/x", ["GAMMA"]) is None
    assert [site.name for site in book.sites] == ["alpha", "beta"]
    assert book.sites[1] is beta._compiled


def test_a_pattern_that_does_not_compile_stops_the_run_before_any_document(tmp_path: Path) -> None:
    """Compiling a site lazily must not let a bad pattern through: validation compiles every one."""
    (tmp_path / "a.yaml").write_text(SITE.format(name="alpha", match="{domains: [alpha.example]}", banner="A(B"))
    with pytest.raises(RuleError) as caught:
        RuleBook.load([tmp_path])
    assert [p.line for p in caught.value.problems] == [8]
    assert "does not compile" in caught.value.problems[0].message


def test_a_book_crosses_to_a_worker_process_before_and_after_compiling(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SITE.format(name="alpha", match="{domains: [alpha.example]}", banner="ALPHA"))
    book = RuleBook.load([tmp_path])
    fresh = pickle.loads(pickle.dumps(book))
    assert fresh._sites[0]._compiled is None
    site = fresh.site_for("https://alpha.example/a", [])
    assert site is not None and site.name == "alpha"
    assert pickle.loads(pickle.dumps(fresh)).site_for("https://alpha.example/a", []).name == "alpha"  # type: ignore[union-attr]


def test_every_shipped_rule_runs_on_the_linear_time_engine(book: RuleBook) -> None:
    """A rule on the backtracking engine (a lookaround, a backreference) is not prefiltered, and
    its unanchored trigger is tried on the whole document: on a 500,000-line document it ran
    past its time limit and cost the document (tests/test_bad_input.py's huge documents). The
    shipped rules keep to what RE2 runs; a user's rule file may still use the other engine."""
    sets = [book.generic, *book.sites]
    backtracking = [
        rule.id for rules in sets if rules is not None for rule in rules.rules if rule.trigger_rx.engine != "re2"
    ]
    assert backtracking == []
    assert sum(len(rules.rules) for rules in sets if rules is not None) > 80
