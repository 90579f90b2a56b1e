"""Read rule files: YAML with line numbers, pydantic validation, cross-file checks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cleaner.errors import Problem, RuleError
from cleaner.rules.model import RuleFile

Loc = tuple[str | int, ...]


class _Positions:
    """Maps a path inside a YAML document (keys and list indexes) to its 1-based line."""

    def __init__(self, node: yaml.Node):
        self.lines: dict[Loc, int] = {}
        self.duplicates: list[tuple[str, int]] = []
        self._walk(node, ())

    def _walk(self, node: yaml.Node, loc: Loc) -> None:
        self.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                if name in seen:
                    self.duplicates.append((name, key.start_mark.line + 1))
                seen.add(name)
                self.lines[(*loc, name)] = key.start_mark.line + 1
                self._walk(value, (*loc, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*loc, index))

    def line_of(self, loc: Loc) -> int:
        """The line of ``loc``, or of its nearest ancestor that exists in the file."""
        # pydantic puts the union tag (e.g. 'line') into loc; skip parts that are not in the file.
        parts = list(loc)
        while parts:
            found = self.lines.get(tuple(parts))
            if found is not None:
                return found
            parts.pop()
        return self.lines.get((), 1)


KINDS = frozenset({"line", "block", "tail", "extract", "replace", "selector"})


def _real_loc(loc: Loc) -> Loc:
    """Drop the union tags pydantic inserts after a list index (``rules.0.line.pattern``)."""
    out: list[str | int] = []
    for part in loc:
        if part in KINDS and out and isinstance(out[-1], int):
            continue
        out.append(part)
    return tuple(out)


def parse_rule_file(path: Path, display: str | None = None) -> tuple[RuleFile | None, list[Problem]]:
    """Parse and validate one file; returns the model or the problems, each with its line."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, None, f"cannot read: {exc}")]
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data: Any = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, line, f"YAML syntax error: {reason}")]
    if node is None or not isinstance(data, dict):
        return None, [Problem(name, 1, "a rule file must be a mapping with 'name', 'description' and 'rules'")]
    positions = _Positions(node)
    problems = [Problem(name, line, f"duplicate key '{key}'") for key, line in positions.duplicates]
    try:
        model = RuleFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = _real_loc(tuple(err["loc"]))
            message = err["msg"].removeprefix("Value error, ")
            field = ".".join(str(p) for p in loc)
            problems.append(Problem(name, positions.line_of(loc), f"{field}: {message}" if field else message))
        return None, problems
    if problems:
        return None, problems
    return model, []


def rule_paths(root: Path) -> list[Path]:
    """Every rule file under ``root`` (or ``root`` itself), in a stable order."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise RuleError([Problem(str(root), None, "no such rule file or directory")])
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_rule_files(roots: Iterable[Path]) -> list[tuple[Path, RuleFile]]:
    """Load and validate every rule file; raise one RuleError listing every problem found."""
    loaded: list[tuple[Path, RuleFile]] = []
    problems: list[Problem] = []
    for root in roots:
        for path in rule_paths(root):
            model, found = parse_rule_file(path)
            problems.extend(found)
            if model is not None:
                loaded.append((path, model))
    problems.extend(_cross_file_problems(loaded))
    if problems:
        raise RuleError(problems)
    return loaded


def _cross_file_problems(loaded: list[tuple[Path, RuleFile]]) -> list[Problem]:
    problems: list[Problem] = []
    rule_owner: dict[str, Path] = {}
    site_owner: dict[str, Path] = {}
    domain_owner: dict[str, Path] = {}
    for path, model in loaded:
        line_of = _line_finder(path)
        if model.name in site_owner:
            problems.append(
                Problem(str(path), line_of("name:"), f"name '{model.name}' is also used by {site_owner[model.name]}")
            )
        site_owner[model.name] = path
        for rule in model.rules:
            if rule.id in rule_owner:
                problems.append(
                    Problem(
                        str(path), line_of(rule.id), f"rule id '{rule.id}' is also defined in {rule_owner[rule.id]}"
                    )
                )
            rule_owner[rule.id] = path
        for domain in model.match.domains if model.match else []:
            if domain in domain_owner:
                problems.append(
                    Problem(str(path), line_of(domain), f"domain '{domain}' is also claimed by {domain_owner[domain]}")
                )
            domain_owner[domain] = path
    return problems


def _line_finder(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(needle: str) -> int | None:
        for number, text in enumerate(lines, 1):
            if needle in text:
                return number
        return None

    return line_of
