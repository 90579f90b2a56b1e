"""Read rule files: YAML with line numbers, pydantic validation, cross-file checks."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from cleaner.errors import Problem, RuleError
from cleaner.rules.base import Case, Where
from cleaner.rules.kinds import MODELS
from cleaner.rules.model import KINDS, Extraction, Match, RuleFile, matched_domain
from cleaner.rules.regex import save_verdicts

if TYPE_CHECKING:
    import yaml

# PyYAML is imported on first use (``_yaml``): importing it compiles its resolvers' patterns, a
# few tens of milliseconds, and a run whose rules come from the cache directory (stored.py)
# reads no YAML at all.

Loc = tuple[str | int, ...]


MAX_DEPTH = 32  # a rule file is a few levels deep; 20,000 nested '[' would blow the stack


def __getattr__(name: str) -> Any:
    # (``load.yaml`` as when it was imported at the top: tests reach PyYAML through it.)
    if name == "yaml":
        return _yaml()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _yaml() -> Any:
    import yaml

    return yaml


@cache
def _loader_class() -> Any:
    yaml = _yaml()

    class _Loader(yaml.SafeLoader):  # type: ignore[name-defined,misc]
        """PyYAML's safe loader, minus what lets a small hostile file cost a lot.

        Rule files come from pull requests and CI validates them. An alias makes one node count
        many times (9 levels of 9 aliases is 387 million nodes to walk: "billion laughs"), so aliases
        are refused; so is nesting deeper than MAX_DEPTH, which would otherwise end in a
        RecursionError traceback."""

        def __init__(self, stream: str):
            super().__init__(stream)
            self._depth = 0

        def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed in rule files", event.start_mark
                )
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    event = self.peek_event()
                    raise yaml.composer.ComposerError(
                        None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark
                    )
                return super().compose_node(parent, index)  # type: ignore[no-any-return]
            finally:
                self._depth -= 1

    return _Loader


def _read(loader: Any) -> tuple[yaml.Node | None, Any]:
    """The one document's node tree and its data, by ``loader`` (then disposed of)."""
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data, by PyYAML's Python loader:
    the reference, and the one whose error messages rule authors see."""
    return _read(_loader_class()(text))


def _compose_fast(text: str) -> tuple[yaml.Node | None, Any] | None:
    """The same as ``_compose`` on libyaml (PyYAML's C extension), ten times faster; None when
    the file needs the Python loader: libyaml is missing, or the file holds what ``_Loader``
    refuses (an alias, deep nesting, a character PyYAML does not read) or any YAML error, so
    every refusal and every message stays the Python loader's, word for word.

    Rule files are read at every start, and the pure-Python parser was a fifth of a second."""
    yaml = _yaml()
    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is None or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    try:
        # A first pass over the events, which libyaml produces without recursion, so composing
        # (which recurses) never meets an alias or a nesting _Loader would refuse.
        depth = 0
        for event in yaml.parse(text, Loader=c_loader):
            if isinstance(event, yaml.AliasEvent):
                return None
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth >= MAX_DEPTH - 1:  # near the limit: _Loader decides exactly
                    return None
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return _read(c_loader(text))
    except yaml.YAMLError:
        return None


class _Positions:
    """Maps a path inside a YAML document (keys and list indexes) to its 1-based line."""

    def __init__(self, node: yaml.Node):
        self.lines: dict[Loc, int] = {}
        self.duplicates: list[tuple[str, int]] = []
        self._walk(node, ())

    def _walk(self, node: yaml.Node, loc: Loc) -> None:
        yaml = _yaml()
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


def _real_loc(loc: Loc) -> Loc:
    """Drop the union tags pydantic inserts after a list index (``rules.0.line.pattern``)."""
    out: list[str | int] = []
    for part in loc:
        if part in KINDS and out and isinstance(out[-1], int):
            continue
        out.append(part)
    return tuple(out)


def _key_names() -> list[str]:
    """Every key a rule file may hold, for "did you mean" hints."""
    models = [RuleFile, Match, Extraction, Where, Case, *MODELS]
    return sorted({field.alias or name for model in models for name, field in model.model_fields.items()})


def _hint(loc: Loc, message: str) -> str:
    if message == "Extra inputs are not permitted" and loc and isinstance(loc[-1], str):
        close = difflib.get_close_matches(loc[-1], _key_names(), n=1)
        if close:
            return f"{message}; did you mean '{close[0]}'?"
    return message


def parse_rule_file(path: Path, display: str | None = None) -> tuple[RuleFile | None, list[Problem]]:
    """Parse and validate one file; returns the model or the problems, each with its line."""
    model, problems, _ = _parse(path, display)
    return model, problems


def _parse(path: Path, display: str | None = None) -> tuple[RuleFile | None, list[Problem], _Positions | None]:
    name = display or str(path)
    yaml = _yaml()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, None, f"cannot read: {exc}")], None
    try:
        node, data = _compose_fast(text) or _compose(text)
    except yaml.YAMLError as exc:
        # Where the construct that broke begins (an unclosed quote's line), when PyYAML says
        # (its context), else where it noticed (for an unclosed quote: the end of the file).
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        said = f"{reason} ({context})" if context else reason
        return None, [Problem(name, line, f"YAML syntax error: {said}")], None
    except RecursionError:
        return None, [Problem(name, None, f"YAML nested too deep (more than {MAX_DEPTH} levels)")], None
    if node is None or not isinstance(data, dict):
        return None, [Problem(name, 1, "a rule file must be a mapping with 'name', 'description' and 'rules'")], None
    positions = _Positions(node)
    problems = [Problem(name, line, f"duplicate key '{key}'") for key, line in positions.duplicates]
    try:
        model = RuleFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = _real_loc(tuple(err["loc"]))
            message = _hint(loc, err["msg"].removeprefix("Value error, "))
            field = ".".join(str(p) for p in loc)
            problems.append(Problem(name, positions.line_of(loc), f"{field}: {message}" if field else message))
        return None, problems, positions
    if problems:
        return None, problems, positions
    return model, [], positions


# The rules shipped with cleaner: rules/ at the top of the repository, which the package
# reaches through the cleaner/shipped_rules symlink (and a wheel carries as package data).
SHIPPED = Path(__file__).resolve().parent.parent / "shipped_rules"
# ``cleaner suggest``'s drafts (its default --out, rules/suggested/): for review, so not among the
# shipped rules every run loads; given with --rules, they are loaded as any other file.
DRAFTS = "suggested"


def _drafts() -> Path:
    return SHIPPED.resolve() / DRAFTS


def rule_roots(extra: Iterable[Path], shipped: bool = True) -> list[Path]:
    """The shipped rules (unless ``shipped`` is False), then ``extra`` on top; a path inside
    the shipped folder is not loaded twice."""
    home, drafts = SHIPPED.resolve(), _drafts()
    roots = [_display(SHIPPED)] if shipped else []
    for path in extra:
        resolved = path.resolve()
        shipped_file = resolved == home or (
            home in resolved.parents and resolved != drafts and drafts not in resolved.parents
        )
        if shipped and shipped_file:
            continue
        roots.append(path)
    return roots


def _display(path: Path) -> Path:
    """The shipped folder as the user can open it: relative to the working directory when it
    is below it (a checkout), else absolute."""
    real = path.resolve()
    try:
        return real.relative_to(Path.cwd())
    except ValueError:
        return real


RULE_SUFFIXES = (".yaml", ".yml")  # a rule file's, in any case (as input files' are: ACME.YAML)


def rule_paths(root: Path) -> list[Path]:
    """Every rule file under ``root`` (or ``root`` itself), in a stable order. A directory that
    holds none is refused (RuleError): a mistyped or empty --rules folder would otherwise add
    nothing, unsaid, to a run or to a CI check."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise RuleError([Problem(str(root), None, "no such rule file or directory")])
    found = sorted(p for p in root.rglob("*") if p.suffix.lower() in RULE_SUFFIXES and p.is_file())
    if root.resolve() == SHIPPED.resolve():  # (the drafts under it are not shipped rules: DRAFTS)
        drafts = _drafts()
        found = [p for p in found if drafts not in p.resolve().parents]
    if not found:
        raise RuleError([Problem(str(root), None, "no rule files (*.yaml, *.yml) in this directory; nothing loaded")])
    return found


def rule_files(roots: Iterable[Path]) -> list[Path]:
    """Every rule file under ``roots`` (``rule_paths``), each once, where it is first met: a
    file given twice (a folder and a file in it, ``-r ok -r ok/acme.yaml``, or through a
    symlink) would clash with itself, its every rule id "also defined" in it."""
    seen: set[Path] = set()
    found: list[Path] = []
    for root in roots:
        for path in rule_paths(root):
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                found.append(path)
    return found


def load_rule_files(roots: Iterable[Path]) -> list[tuple[Path, RuleFile]]:
    """Load and validate every rule file; raise one RuleError listing every problem found."""
    loaded: list[tuple[Path, RuleFile]] = []
    positions: dict[Path, _Positions] = {}
    problems: list[Problem] = []
    for path in rule_files(roots):
        model, found, where = _parse(path)
        problems.extend(found)
        if model is not None and where is not None:
            loaded.append((path, model))
            positions[path] = where
    problems.extend(_cross_file_problems(loaded, positions))
    save_verdicts()  # the patterns validation compiled: the next run need not (regex.py)
    if problems:
        raise RuleError(problems)
    return loaded


def _cross_file_problems(loaded: list[tuple[Path, RuleFile]], positions: dict[Path, _Positions]) -> list[Problem]:
    """Names, rule ids and domains used twice; each reported at the line of its second use."""
    problems: list[Problem] = []
    rule_owner: dict[str, Path] = {}
    site_owner: dict[str, Path] = {}
    domain_owner: dict[str, tuple[Path, str]] = {}  # by domain as matched (SiteMatcher's): its file, as written
    for path, model in loaded:
        line_of = positions[path].line_of
        if model.name in site_owner:
            problems.append(
                Problem(str(path), line_of(("name",)), f"name '{model.name}' is also used by {site_owner[model.name]}")
            )
        site_owner[model.name] = path
        for index, rule in enumerate(model.rules):
            if rule.id in rule_owner:
                where = line_of(("rules", index, "id"))
                problems.append(
                    Problem(str(path), where, f"rule id '{rule.id}' is also defined in {rule_owner[rule.id]}")
                )
            rule_owner[rule.id] = path
        for index, domain in enumerate(model.match.domains if model.match else []):
            # Compared as matched, not as written: ACME.com and acme.com hold the same hosts, and
            # one file would take them all, unseen.
            matched = matched_domain(domain)
            if matched in domain_owner:
                where = line_of(("match", "domains", index))
                owner, written = domain_owner[matched]
                said = "" if written == domain else f" (as '{written}')"
                problems.append(Problem(str(path), where, f"domain '{domain}' is also claimed by {owner}{said}"))
            domain_owner.setdefault(matched, (path, domain))
    return problems


def case_lines(path: Path) -> dict[tuple[str, int | None], int]:
    """The line of every test case in a valid rule file, by (rule id, case index), ``keeps``
    after ``tests`` as in ``RuleBase.cases()``, and of each rule itself, by (rule id, None);
    for messages that point at a failing case or at a rule none of whose cases it acts in."""
    model, _, positions = _parse(path)
    if model is None or positions is None:
        return {}
    found: dict[tuple[str, int | None], int] = {}
    for r, rule in enumerate(model.rules):
        found[(rule.id, None)] = positions.line_of(("rules", r))
        for c in range(len(rule.tests)):
            found[(rule.id, c)] = positions.line_of(("rules", r, "tests", c))
        for k in range(len(rule.keeps)):
            found[(rule.id, len(rule.tests) + k)] = positions.line_of(("rules", r, "keeps", k))
    return found
