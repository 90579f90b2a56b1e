"""Generated documentation is current."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cleaner.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_rules_md_lists_every_shipped_rule(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["rules", "list", "--markdown"])
    assert result.exit_code == 0
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == result.stdout, "run `make docs`"
