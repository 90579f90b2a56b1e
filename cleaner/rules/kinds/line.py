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
        found = ctx.may.get(id(self))
        where = self.rule.where
        if found is not None and not ctx.rewritten and self.anchored and not where.first and not where.last:
            # The common case, inline: the prefilter's rows are the candidates as they are
            # (Compiled.candidates), and ``matches`` is an anchored test unless a row holds a newline.
            rx = self.trigger_rx
            for i in found:
                line = rows[i]
                if line.dropped_by is None:
                    text = line.text
                    if rx.test_start(text) if "\n" not in text else rx.test(text):
                        line.dropped_by = self.id
            return
        for i in self.candidates(ctx):
            line = rows[i]
            if line.dropped_by is None and self.matches(line.text):  # (Line.alive, then drop)
                line.dropped_by = self.id
