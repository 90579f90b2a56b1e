"""``replace``: rewrite inside lines; a line left blank is dropped."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cleaner.rules.base import Pattern, RuleBase
from cleaner.rules.compiled import Compiled, Context


class ReplaceRule(RuleBase):
    """Replace ``pattern`` with ``with`` inside lines; a line left blank is dropped."""

    kind: Literal["replace"]
    pattern: Pattern
    with_: str = Field(default="", alias="with")


class CompiledReplace(Compiled):
    model = ReplaceRule

    def __init__(self, rule: ReplaceRule):
        super().__init__(rule, rule.pattern)
        self.with_ = rule.with_

    def apply(self, ctx: Context) -> None:
        for i in self.candidates(ctx):
            line = ctx.rows[i]
            if not line.alive:
                continue
            new = self.trigger_rx.sub(self.with_, line.text)
            if new != line.text:
                line.change(new, self.id)
                ctx.touched(i)  # a later rule may match the new text
                if line.blank:
                    line.drop(self.id)
