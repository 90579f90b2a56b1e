"""The cache directory (cleaner/diskcache.py) and what the rules keep there besides the
prefilter: the patterns RE2 compiled (regex.py), so that validation need not compile them again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner import diskcache
from cleaner.errors import RuleError
from cleaner.rules import regex
from cleaner.rules.load import load_rule_files
from cleaner.rules.regex import PatternError, Regex

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh, empty cache directory and fresh verdicts (as a new process has)."""
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(regex, "_verdicts", regex._Verdicts())
    regex._compile_re2.cache_clear()
    return tmp_path / "cache"


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process compiled and read: what the next run starts from."""
    monkeypatch.setattr(regex, "_verdicts", regex._Verdicts())
    regex._compile_re2.cache_clear()


def _compiled(rx: Regex) -> bool:
    try:
        object.__getattribute__(rx, "_re2")
    except AttributeError:
        return False
    return True


def test_a_pattern_compiled_once_is_not_compiled_again_until_used(
    verdicts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pattern = r"^(?P<value>\w{1,20}) (?i:posted)$"
    first = Regex(pattern)
    assert _compiled(first) and first.engine == "re2"
    regex.save_verdicts()
    (entry,) = verdicts.glob("re2-*.txt")
    assert entry.read_text(encoding="utf-8") == f"{regex._Verdicts.key(pattern)} value.\n"
    _new_process(monkeypatch)
    again = Regex(pattern)
    assert not _compiled(again) and again.engine == "re2"
    assert again.group_names() == {"value"} and not _compiled(again)  # from the cache
    assert regex._compile_re2.cache_info().currsize == 0
    # First used: compiled then, and matching as a compiled one does.
    assert again.test("Straße posted") and again.search("Straße POSTED") == first.search("Straße POSTED")
    assert _compiled(again) and not again.test("two words posted")
    assert list(again.spans("x posted\ny posted")) == list(first.spans("x posted\ny posted")) == [(0, 8), (9, 17)]


def test_only_patterns_re2_compiles_are_kept(verdicts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backtracking = Regex(r"^(?=Share)\w+")
    assert backtracking.engine == "backtracking"
    with pytest.raises(PatternError):
        Regex(r"^(unclosed")
    regex.save_verdicts()
    assert not verdicts.exists()  # nothing RE2 compiled: nothing written
    _new_process(monkeypatch)
    assert Regex(r"^(?=Share)\w+").engine == "backtracking"
    with pytest.raises(PatternError):
        Regex(r"^(unclosed")


def test_a_bad_rule_file_is_refused_with_the_cache_warm(verdicts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_rule_files([ROOT / "rules"])  # every shipped pattern compiled, and remembered
    assert len(next(verdicts.glob("re2-*.txt")).read_text().splitlines()) > 50
    _new_process(monkeypatch)
    bad = Path(verdicts.parent / "bad.yaml")
    bad.write_text(
        "name: bad\ndescription: A file.\nrules:\n  - id: bad.rule\n    kind: line\n    description: x\n"
        '    pattern: \'^(Share\'\n    tests:\n      - input: "a\\n"\n        output: "a\\n"\n',
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_rule_files([ROOT / "rules", bad])
    assert [(p.file, p.line) for p in caught.value.problems] == [(str(bad), 7)]
    assert regex._compile_re2.cache_info().currsize == 0  # the shipped ones came from the cache


def test_an_entry_cut_short_is_not_read(verdicts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Regex(r"^Posted (?P<value>\d+)$")
    regex.save_verdicts()
    (entry,) = verdicts.glob("re2-*.txt")
    entry.write_text(entry.read_text()[:-2], encoding="utf-8")  # "<hash> value": no final "."
    _new_process(monkeypatch)
    rx = Regex(r"^Posted (?P<value>\d+)$")
    assert _compiled(rx) and rx.group_names() == {"value"}


def test_lines_that_are_not_verdicts_are_skipped(verdicts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Regex(r"^Posted (?P<value>\d+)$")
    regex.save_verdicts()
    (entry,) = verdicts.glob("re2-*.txt")
    good = entry.read_text(encoding="utf-8")
    junk = [".", " .", "zz.", "ABCDEF" * 6 + ".", f"{'0' * 31} value ."]  # no key of 32 hex digits
    entry.write_text("\n".join(junk) + "\n" + good, encoding="utf-8")
    _new_process(monkeypatch)
    rx = Regex(r"^Posted (?P<value>\d+)$")
    assert not _compiled(rx) and rx.group_names() == {"value"}  # the good line read, the others skipped


def test_with_the_cache_off_nothing_is_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLEANER_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    _new_process(monkeypatch)
    assert diskcache.root() is None
    rx = Regex(r"^Read more$")
    assert _compiled(rx) and rx.test("Read more")
    regex.save_verdicts()
    assert list(tmp_path.iterdir()) == []


def test_the_cache_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEANER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert diskcache.root() == tmp_path / "xdg" / "cleaner"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert diskcache.root() == tmp_path / "home" / ".cache" / "cleaner"
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path / "mine"))
    assert diskcache.root() == tmp_path / "mine"


def test_pruning_keeps_the_entries_used_last_and_deletes_only_cleaners_files(tmp_path: Path) -> None:
    now = 1_000_000_000.0
    day = 86400.0

    def entry(name: str, age: float) -> Path:
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (now - age, now - age))
        return path

    # Used 0, 1, 3, 8 and 9 days ago (the state file is the one marked when used).
    prefilters = [
        (entry(f"prefilter-{n:032x}.json", days * day), entry(f"prefilter-{n:032x}.hsdb", days * day + day / 2))
        for n, days in enumerate([0, 1, 3, 8, 9])
    ]
    verdicts = [entry(f"re2-{n + 100:032x}.txt", n * 10) for n in range(3)]  # all used lately
    gates = [entry(f"repair-{n + 200:032x}.json", 30 * day) for n in range(2)]  # old, but the newest
    others = [
        entry("notes.txt", 365 * day),
        entry("prefilter-short.json", 365 * day),
        entry(f"prefilter-{0:032x}.json.bak", 365 * day),
        entry(".prefilter-fresh1", 10),  # being written by another process
        # A user's files with names like cleaner's: another kind's suffix, not mkstemp's 8 characters.
        entry(f"re2-{1:032x}.json", 365 * day),
        entry(f"repair-{1:032x}.txt", 365 * day),
        entry(".repair-notes", 365 * day),
        entry(".re2-my_notes_file", 365 * day),
    ]
    stale = entry(".re2-left_ov1", 2 * diskcache.STALE_TEMP)
    (tmp_path / f"prefilter-{99:032x}.json").mkdir()  # not a file: left alone
    deleted = diskcache.prune(tmp_path, keep=2, most=4, now=now)
    # Past the 2 used last: gone when unused for a week (8 and 9 days), or past the 4 used last.
    assert deleted == sorted([*prefilters[3], *prefilters[4], stale])
    # At most 2 of each kind: the third used last goes, however recently.
    assert diskcache.prune(tmp_path, keep=2, most=2, now=now) == sorted([*prefilters[2], verdicts[2]])
    assert sorted(tmp_path.iterdir()) == sorted(
        [*prefilters[0], *prefilters[1], *verdicts[:2], *gates, *others, tmp_path / f"prefilter-{99:032x}.json"]
    )
    assert diskcache.prune(tmp_path / "missing") == []


def test_writing_is_whole_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sub" / f"re2-{1:032x}.txt"
    assert diskcache.write(path, b"abc.\n") and path.read_bytes() == b"abc.\n"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    assert not diskcache.write(blocker / f"re2-{1:032x}.txt", b"x")  # a file where the directory goes


def test_a_second_run_compiles_no_rule_pattern_to_validate(tmp_path: Path) -> None:
    """What a run's start saves: with the cache warm, loading the shipped rules compiles nothing."""
    code = (
        "from cleaner.rules import regex\nfrom cleaner.rules.book import RuleBook\n"
        "from cleaner.rules.load import rule_roots\nRuleBook.load(rule_roots([]))\n"
        "print(regex._compile_re2.cache_info().currsize)"
    )
    env = {**os.environ, "CLEANER_CACHE": str(tmp_path)}
    counts = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert int(counts[0]) > 50 and counts[1] == "0"
