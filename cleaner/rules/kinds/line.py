"""``line``: drop every line the pattern matches."""

from __future__ import annotations

from typing import Literal

from cleaner.rules.base import Pattern, RuleBase
from cleaner.rules.compiled import Compiled, Context


class LineRule(RuleBase):
    """Drop every line that matches ``pattern``."""

    kind: Literal["line"]
    pattern: Pattern


class CompiledLine(Compiled):
    model = LineRule

    def __init__(self, rule: LineRule):
        super().__init__(rule, rule.pattern)

    def apply(self, ctx: Context) -> None:
        rows = ctx.rows
        for i in self.candidates(ctx):
            line = rows[i]
            if line.dropped_by is None and self.matches(line.text):  # (Line.alive, then drop)
                line.dropped_by = self.id
