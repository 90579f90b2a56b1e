"""``replace``: rewrite inside lines; a line left blank is dropped."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cleaner.rules.base import Pattern, RuleBase
from cleaner.rules.compiled import Compiled, Context
from cleaner.rules.regex import Regex


class ReplaceRule(RuleBase):
    """Replace ``pattern`` with ``with`` inside lines; a line left blank is dropped."""

    kind: Literal["replace"]
    pattern: Pattern
    with_: str = Field(default="", alias="with")

    @model_validator(mode="after")
    def _template_reads(self) -> ReplaceRule:
        # Refused here, not on the first line the rule matches: there every document it matched
        # would fail, with no rule named.
        problem = Regex(self.pattern).template_problem(self.with_)
        if problem is not None:
            raise ValueError(f"with: {problem}")
        return self


class CompiledReplace(Compiled):
    model = ReplaceRule

    def __init__(self, rule: ReplaceRule):
        super().__init__(rule, rule.pattern)
        self.with_ = rule.with_

    def apply(self, ctx: Context) -> None:
        for i in self.candidates(ctx):
            line = ctx.rows[i]
            # (A candidate is a row holding the pattern's strings, most often with no match: RE2's
            # test answers that without submatches, where sub would search with them, in Python.)
            if not line.alive or not self.trigger_rx.test(line.text):
                continue
            new = self.trigger_rx.sub(self.with_, line.text)
            if new != line.text:
                line.change(new, self.id)
                ctx.touched(i)  # a later rule may match the new text
                if line.blank:
                    line.drop(self.id)
