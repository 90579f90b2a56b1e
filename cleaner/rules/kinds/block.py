"""``block``: drop a start line and the lines that belong to it (a forum user block)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cleaner.document import Line
from cleaner.rules.base import Pattern, RuleBase, Trigger
from cleaner.rules.compiled import Compiled, Context, scannable
from cleaner.rules.regex import Regex


class BlockRule(RuleBase):
    """Drop a block: ``start`` then ``lines`` more lines, or through ``end``, or while ``while``."""

    kind: Literal["block"]
    start: Trigger
    end: Pattern | None = None
    lines: int | None = Field(default=None, ge=1)
    while_: Pattern | None = Field(default=None, alias="while")
    max_lines: int = Field(default=30, ge=1)
    min_lines: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_extent(self) -> BlockRule:
        given = [x for x in (self.end, self.lines, self.while_) if x is not None]
        if len(given) != 1:
            raise ValueError("a block needs exactly one of 'end', 'lines' or 'while'")
        return self


class CompiledBlock(Compiled):
    model = BlockRule

    def __init__(self, rule: BlockRule):
        super().__init__(rule, rule.start)
        self.block = rule
        self.end = Regex(rule.end, rule.id) if rule.end else None
        self.while_ = Regex(rule.while_, rule.id) if rule.while_ else None

    @property
    def positional(self) -> bool:
        return True  # the extent counts lines, so removing one changes it

    def _extent(self, rows: list[Line], i: int) -> int:
        """How many rows from ``i`` the block covers (0: no block here)."""
        rule = self.block
        limit = min(len(rows), i + rule.max_lines)
        if rule.lines is not None:
            return min(rule.lines + 1, len(rows) - i)
        if self.end is not None:
            for j in range(i + 1, limit):
                if self.end.test(scannable(rows[j].text)):
                    return j - i + 1
            return 0
        assert self.while_ is not None
        # A row another rule took before this one (in this pass) is passed over, as the next round,
        # whose rows are the lines left, would: a share bar whose "Email" a widget rule took is still
        # one bar. Only the rows left count towards ``min_lines`` (_counted).
        j = i + 1
        while j < limit and (not rows[j].alive or self.while_.test(scannable(rows[j].text))):
            j += 1
        while j > i + 1 and not rows[j - 1].alive:  # (the block ends at its last row left)
            j -= 1
        return j - i

    def _counted(self, rows: list[Line], i: int, size: int) -> int:
        """The rows of the block at ``i`` that count towards ``min_lines``: those left, for a block
        that runs ``while`` (it passes over rows taken before it); else all of them."""
        if self.while_ is None:
            return size
        return sum(1 for row in rows[i : i + size] if row.alive)

    def apply(self, ctx: Context) -> None:
        covered = -1  # blocks do not overlap: a start inside the last block is part of it
        for i in self.candidates(ctx):
            line = ctx.rows[i]
            if i <= covered or not line.alive or not self.matches(line.text):
                continue
            size = self._extent(ctx.rows, i)
            if self._counted(ctx.rows, i, size) >= self.block.min_lines:
                for row in ctx.rows[i : i + size]:
                    row.drop(self.id)
                covered = i + size - 1
