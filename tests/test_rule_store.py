"""The validated rule files kept in the cache directory (rules/stored.py): a second run of the same
rules reads no YAML, and whatever changes, or whatever the entry holds, the book is the one the
files give."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.errors import RuleError
from cleaner.rules import book as book_module
from cleaner.rules import stored
from cleaner.rules.book import RuleBook
from cleaner.rules.load import SHIPPED, load_rule_files

RULES = """name: made-up
description: A made-up site.
match: {{domains: [made-up.example]}}
rules:
  - id: made-up.banner
    kind: line
    description: the banner
    pattern: '^{banner}$'
    tests: [{{input: "{banner}\\nThe article.", output: "The article.\\n"}}]
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _rules(folder: Path, banner: str = "Subscribe now") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "site.yaml").write_text(RULES.format(banner=banner), encoding="utf-8")
    return folder


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("rules-*.pickle")) if cache.is_dir() else []


def _no_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the files fails the test: the book must come from the cache."""

    def refuse(roots: object) -> None:
        raise AssertionError("the rule files were read")

    monkeypatch.setattr(book_module, "load_rule_files", refuse)


def _same(a: RuleBook, b: RuleBook) -> None:
    assert a.digest == b.digest
    assert [path for path, _ in a.files] == [path for path, _ in b.files]
    assert [model for _, model in a.files] == [model for _, model in b.files]
    assert (
        [rule.id for rule in a.generic.rules] == [rule.id for rule in b.generic.rules] if a.generic else not b.generic
    )


def test_second_load_comes_from_the_cache(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _rules(tmp_path / "rules")
    first = RuleBook.load([folder])
    assert len(_entries(cache)) == 1
    _no_files(monkeypatch)
    second = RuleBook.load([folder])
    _same(first, second)
    assert second.files[0][0] == str(folder / "site.yaml")
    assert second.site_by_url("https://made-up.example/a").name == "made-up"


def test_shipped_rules_from_the_cache_are_the_files(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = RuleBook([(str(path), model) for path, model in load_rule_files([SHIPPED])])
    RuleBook.load([SHIPPED])
    _no_files(monkeypatch)
    _same(fresh, RuleBook.load([SHIPPED]))


def test_a_changed_file_is_read_again(tmp_path: Path, cache: Path) -> None:
    folder = _rules(tmp_path / "rules")
    RuleBook.load([folder])
    _rules(folder, banner="Subscribe today")  # (the same size: the bytes name the entry, not the stat)
    book = RuleBook.load([folder])
    assert book.files[0][1].rules[0].pattern == "^Subscribe today$"
    assert len(_entries(cache)) == 2


def test_another_path_is_another_entry(tmp_path: Path, cache: Path) -> None:
    a = RuleBook.load([_rules(tmp_path / "a")])
    b = RuleBook.load([_rules(tmp_path / "b")])
    assert a.files[0][0] != b.files[0][0]
    assert b.files[0][0] == str(tmp_path / "b" / "site.yaml")  # (errors and diffs name this file)
    assert len(_entries(cache)) == 2


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a pickle",
        pickle.dumps({"files": []}),
        pickle.dumps(([("x.yaml", "not a model")], "digest")),
        pickle.dumps(([], 3)),
    ],
)
def test_a_bad_entry_is_ignored(tmp_path: Path, cache: Path, content: bytes) -> None:
    folder = _rules(tmp_path / "rules")
    first = RuleBook.load([folder])
    (entry,) = _entries(cache)
    entry.write_bytes(content)
    again = RuleBook.load([folder])
    _same(first, again)


def test_rule_errors_are_never_kept(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "site.yaml").write_text(RULES.format(banner="Subscribe now").replace("kind: line", "kind: lines"))
    for _ in range(2):
        with pytest.raises(RuleError) as caught:
            RuleBook.load([folder])
        (problem,) = caught.value.problems
        assert (problem.file, problem.line) == (str(folder / "site.yaml"), 5)
    assert _entries(cache) == []


def test_no_cache_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEANER_CACHE", "off")
    folder = _rules(tmp_path / "rules")
    assert stored.read(stored.key([("x", folder / "site.yaml")]) or "") is None
    assert RuleBook.load([folder]).files[0][1].name == "made-up"


def test_unreadable_file_has_no_key(tmp_path: Path) -> None:
    assert stored.key([("gone.yaml", tmp_path / "gone.yaml")]) is None
    folder = _rules(tmp_path / "rules")
    one = stored.key([("site.yaml", folder / "site.yaml")])
    assert one is not None and len(one) == 32
    assert stored.key([("other.yaml", folder / "site.yaml")]) != one


def test_a_hit_reads_no_yaml(tmp_path: Path) -> None:
    """The second run of the same rules neither parses YAML nor imports PyYAML (its import alone
    costs a good part of what the cache saves)."""
    script = (
        "import sys\n"
        "from cleaner.rules.book import RuleBook\n"
        "from cleaner.rules.load import rule_roots\n"
        "book = RuleBook.load(rule_roots([]))\n"
        "print(len(book.files), 'yaml' in sys.modules)\n"
    )
    root = str(Path(__file__).resolve().parent.parent)  # (this checkout's cleaner, wherever pytest runs)
    env = {**os.environ, "CLEANER_CACHE": str(tmp_path / "cache"), "PYTHONPATH": root}
    runs = [
        subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    files = len(load_rule_files([SHIPPED]))
    assert [run.stdout for run in runs] == [f"{files} True\n", f"{files} False\n"]
