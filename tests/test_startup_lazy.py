"""Start-up: the cyclic collector is off while cleaner starts (cleaner/cli.py), on for the work;
ftfy is imported when a line needs repairing (steps/repair_gate.py)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.steps import repair_gate

ROOT = Path(__file__).resolve().parent.parent


def _collector_after(code: str) -> tuple[bool, bool, bool]:
    """In a fresh interpreter: whether the cyclic collector is on after ``import cleaner.cli``,
    then after ``code`` (main() with arguments), and whether start-up's objects were frozen."""
    probe = (
        "import gc, sys\nimport cleaner.cli\nimported = gc.isenabled()\n"
        f"sys.argv = ['cleaner', *{code}]\n"
        "try:\n    cleaner.cli.main()\nexcept SystemExit:\n    pass\n"
        "print(imported, gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return tuple(word == "True" for word in result.stdout.split()[-3:])  # type: ignore[return-value]


def test_the_collector_is_off_for_start_up_only(tmp_path: Path) -> None:
    """main() turns the cyclic collector off for start-up; it is on again once the rules are
    loaded (start-up's objects frozen), and after a command that loads none."""
    (tmp_path / "a.txt").write_text("A short document.\n", encoding="utf-8")
    run = ["clean", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o" / "clean.jsonl"), "-q", "-j", "1"]
    assert _collector_after(repr(run)) == (True, True, True)
    assert _collector_after(repr(["--version"])) == (True, True, False)
    assert _collector_after(repr(["rules", "validate", str(tmp_path / "missing.yaml")])) == (True, True, False)


def _clean_in_fresh_process(text: str, cache: str) -> tuple[str, bool]:
    """The clean text of one document, and whether ftfy was imported, in a new interpreter."""
    probe = (
        "import sys\nfrom cleaner import Cleaner\n"
        f"print(repr(Cleaner().clean({text!r}).text))\nprint('ftfy' in sys.modules)"
    )
    env = {**os.environ, "CLEANER_CACHE": cache}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    shown, imported = result.stdout.splitlines()[-2:]
    return ast.literal_eval(shown), imported == "True"


@pytest.mark.parametrize("cache", ["dir", "off"])
def test_ftfy_is_imported_when_a_line_needs_it(tmp_path: Path, cache: str) -> None:
    setting = str(tmp_path / "cache") if cache == "dir" else "off"
    clean = "The council met on Monday.\nIt voted on the budget.\n"
    broken = "The cafÃ© opened on Monday.\nIt serves tea.\n"
    first = _clean_in_fresh_process(clean, setting)  # (with a cache: computes the gate, imports ftfy)
    laid_out = "The council met on Monday.\n\nIt voted on the budget.\n"  # (paragraphs)
    assert first == (laid_out, True)
    assert _clean_in_fresh_process(clean, setting) == (laid_out, cache == "off")
    assert _clean_in_fresh_process(broken, setting) == ("The café opened on Monday.\n\nIt serves tea.\n", True)
    # a line whose one fault is an entity is fixed as ftfy would, without ftfy (its table is kept with the gate)
    entity = "Tom &amp; Jerry met on Monday.\n"
    assert _clean_in_fresh_process(entity, setting) == ("Tom & Jerry met on Monday.\n", cache == "off")


def test_the_cached_gate_is_ftfys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path))
    repair_gate.gate.cache_clear()
    try:
        made = repair_gate.gate()
        (entry,) = tmp_path.glob("repair-*.json")
        assert json.loads(entry.read_text(encoding="utf-8")) == made == repair_gate.computed()
        repair_gate.gate.cache_clear()
        entry.write_text(json.dumps({**made, "lead": "[a]"}), encoding="utf-8")
        assert repair_gate.gate()["lead"] == "[a]"  # read from the entry (so a changed one shows)
        repair_gate.gate.cache_clear()
        entry.write_text('{"lead": "[a]"', encoding="utf-8")  # cut short: computed again, rewritten
        assert repair_gate.gate() == made
        assert json.loads(entry.read_text(encoding="utf-8")) == made
    finally:
        repair_gate.gate.cache_clear()


def test_the_gate_entry_is_named_by_each_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The witnesses are read with repair_patterns' helpers: a change to that module's source, as
    to repair_gate's own, names another entry (an old one is not read)."""
    assert repair_gate.__file__ in repair_gate._SOURCES
    assert repair_gate.repair_patterns.__file__ in repair_gate._SOURCES
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path / "cache"))
    sources = [tmp_path / "gate.py", tmp_path / "patterns.py"]
    for source in sources:
        source.write_text("# as it was\n", encoding="utf-8")
    monkeypatch.setattr(repair_gate, "_SOURCES", tuple(map(str, sources)))
    names = {repair_gate._entry()}
    for source in sources:
        source.write_text("# changed\n", encoding="utf-8")
        names.add(repair_gate._entry())
    assert None not in names and len(names) == 3
