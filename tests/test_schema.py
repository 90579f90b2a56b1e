"""rules/schema.json: current, pointed at by every shipped rule file, and true to the shipped files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cleaner.rules.schema import schema_text

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "rules" / "schema.json"
RULE_FILES = sorted((ROOT / "rules").rglob("*.yaml"))


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "run `cleaner rules schema --out rules/schema.json --overwrite`"
    )


def test_cli_prints_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cleaner", "rules", "schema"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout == schema_text()


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_shipped_rule_files_point_at_the_schema_and_follow_it(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    text = path.read_text(encoding="utf-8")
    relative = Path(*[".."] * (len(path.relative_to(ROOT / "rules").parts) - 1), "schema.json").as_posix()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={relative}"
    jsonschema.validate(yaml.safe_load(text), json.loads(schema_text()))


def test_schema_catches_a_misspelt_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    bad = {"name": "x", "description": "d", "rules": [{"id": "x.y", "kind": "line", "description": "d", "patern": "a"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, json.loads(schema_text()))
