"""Start-up: the cyclic collector is off while cleaner starts (cleaner/cli.py), on for the work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
