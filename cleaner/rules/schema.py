"""The JSON Schema of a rule file, for editors: `cleaner rules schema` writes it (rules/schema.json).

Shipped rule files start with ``# yaml-language-server: $schema=../schema.json`` so editors with
the YAML language server complete and check keys as they are typed; validation proper stays
`cleaner rules validate` (regexes, unique ids, test cases are beyond a schema).
"""

from __future__ import annotations

import json
from typing import Any

from cleaner.rules.model import RuleFile

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def rule_file_schema() -> dict[str, Any]:
    schema = RuleFile.model_json_schema()
    return {"$schema": DIALECT, "title": "cleaner rule file", **{k: v for k, v in schema.items() if k != "title"}}


def schema_text() -> str:
    """The schema as committed: sorted keys, two-space indent, a final newline."""
    return json.dumps(rule_file_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
