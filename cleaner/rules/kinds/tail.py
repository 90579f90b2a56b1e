"""``tail``: drop a marker line and the rest, when the marker is near the end."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cleaner.rules.base import RuleBase, Trigger
from cleaner.rules.compiled import Compiled, Context


class TailRule(RuleBase):
    """Drop the ``marker`` line and everything after it, if it falls in the last part of the text."""

    kind: Literal["tail"]
    marker: Trigger
    within_last: float = Field(default=0.3, gt=0, le=0.5)


class CompiledTail(Compiled):
    model = TailRule

    def __init__(self, rule: TailRule):
        super().__init__(rule, rule.marker)
        self.tail = rule

    @property
    def positional(self) -> bool:
        return True  # "the last part of the text" moves when lines go

    def apply(self, ctx: Context) -> None:
        n = len(ctx.rows)
        # The guard: a marker in the body would eat the article, so only the last part counts.
        first = max(int(n * (1 - self.tail.within_last)), 1)
        for i in self.candidates(ctx):
            if i < first:
                continue
            if ctx.rows[i].alive and self.matches(ctx.rows[i].text):
                for row in ctx.rows[i:]:
                    row.drop(self.id)
                return
