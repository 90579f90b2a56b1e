"""Rule sets: a site's compiled rules (or every generic file's), applied in file order."""

from __future__ import annotations

import re
import time
from typing import Any

from cleaner.document import Line
from cleaner.errors import CleanerError
from cleaner.rules.compiled import Compiled, Context
from cleaner.rules.kinds import SelectorRule, compile_rule
from cleaner.rules.model import Match, RuleFile
from cleaner.rules.regex import Regex
from cleaner.rules.safety import MAX_RULE_LINE
from cleaner.rules.sites import SiteMatcher

# How long the rules may take on one document, all rounds together: a base, and more for a
# longer document (a 500,000-line document takes seconds, more on a loaded machine). Rule
# patterns run in linear time (regex.py), so only a backtracking pattern gets near it.
RULE_BUDGET = 30.0
RULE_BUDGET_PER_LINE = 0.0002


def rule_budget(lines: int) -> float:
    """Seconds the rules may take on a document of ``lines`` lines."""
    return RULE_BUDGET + RULE_BUDGET_PER_LINE * lines


class RuleBudgetExceeded(CleanerError):
    """The rules ran past their time budget on one document; the message names the rule."""


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _combine(rules: list[Compiled]) -> Regex | None:
    """One pattern that matches a line wherever any of the rules' triggers would.
    Rules whose pattern cannot be joined into an RE2 pattern become unanchored."""
    parts: list[str] = []
    for rule in rules:
        if rule.trigger_rx.engine != "re2":
            rule.anchored = False  # lookaround or backreferences: searched on its own
            continue
        # Group names would clash between rules; the combined pattern only needs to match.
        parts.append("(?:" + _NAMED_GROUP.sub("(?:", rule.trigger) + ")")
    return Regex("|".join(parts)) if parts else None


class RuleSet:
    """Compiled rules applied in order: one site's file, or every generic file together."""

    def __init__(self, name: str, path: str, models: list[RuleFile], match: Match | None = None):
        self.name = name
        self.path = path
        self.models = models
        rules = [rule for model in models for rule in model.rules]
        self.selectors = [(r.id, r.selector) for r in rules if isinstance(r, SelectorRule)]
        self.rules = [c for c in map(compile_rule, rules) if c is not None]
        self.matcher = SiteMatcher(match) if match else None
        self.line_start = _combine([rule for rule in self.rules if rule.anchored])
        self.positional = [rule for rule in self.rules if rule.positional]
        self.positional_start = _combine([rule for rule in self.positional if rule.anchored])
        extraction = [m.extraction for m in models if m.extraction is not None]
        self.extraction = extraction[0] if extraction else None

    @classmethod
    def site(cls, model: RuleFile, path: str) -> RuleSet:
        return cls(model.name, path, [model], model.match)

    def apply(
        self,
        lines: list[Line],
        url: str | None,
        meta: dict[str, Any],
        positional_only: bool = False,
        deadline: float | None = None,
    ) -> str | None:
        """Run every rule on ``lines``; returns the URL, which an extract rule may have found.
        ``positional_only``: the set already ran on these lines, which have only lost some
        since; only rules whose outcome depends on where a line stands can act again.
        ``deadline`` (``time.monotonic()``): past it, RuleBudgetExceeded names the rule."""
        rules, line_start = (
            (self.positional, self.positional_start) if positional_only else (self.rules, self.line_start)
        )
        if not rules:
            return url
        ctx = Context(lines, url, meta)
        if line_start is not None:
            match = line_start.test_start
            ctx.hits = [i for i, row in enumerate(ctx.rows) if len(row.text) <= MAX_RULE_LINE and match(row.text)]
        for rule in rules:
            rule.apply(ctx)
            if deadline is not None and time.monotonic() > deadline:
                raise RuleBudgetExceeded(f"rules ran over their time budget on this document (at rule {rule.id})")
        return ctx.url
