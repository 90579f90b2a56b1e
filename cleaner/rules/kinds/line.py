"""``line``: drop every line the pattern matches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from cleaner.document import Line
from cleaner.rules.base import RuleBase, Trigger
from cleaner.rules.compiled import Compiled, Context


class LineRule(RuleBase):
    """Drop every line that matches ``pattern``."""

    kind: Literal["line"]
    pattern: Trigger


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

    def plain(self, filtered: frozenset[int]) -> Plain | None:
        """What ``walk`` needs to run the rule as ``apply`` does while no row is rewritten, for a
        rule whose ``apply`` is its inline common case whenever the prefilter has it (``filtered``:
        anchored, no window, on RE2); None for any other rule."""
        where = self.rule.where
        if type(self) is not CompiledLine or not self.anchored or where.first or where.last:
            return None
        rx = self.trigger_rx
        if rx.engine != "re2" or id(self) not in filtered:
            return None

        def check(text: str) -> bool:
            return rx.test_start(text) if "\n" not in text else rx.test(text)

        return (id(self), self.id, rx._starts, check, rx.native_start())


# A rule ``walk`` runs: its key in ``Context.may``, its id, its trigger's memo of answers at a
# row's start (``Regex.test_start``'s, a dict the Regex keeps for good), its test of a row, and
# optionally (None, or left out) Regex.native_start's: how the C walk answers ``test_start`` on a
# row itself (the same answer as the test, which the twin below always calls).
Plain = (
    tuple[int, str, dict[str, bool], Callable[[str], bool]]
    | tuple[int, str, dict[str, bool], Callable[[str], bool], tuple[Any, Any, int, int] | None]
)


def walk(
    rows: list[Line],
    may: dict[int, list[int]],
    order: list[int],
    simple: list[Plain | None],
    start: int,
    deadline: float | None,
    clock: Callable[[], Any],
) -> int:
    """Run the rules at ``order[start:]`` (positions in ``simple``) while each is a plain line
    rule (``simple``'s entry is not None), as their ``apply`` would with no row rewritten: each
    drops the rows of its ``may`` entry its check matches. Returns where it stopped in ``order``,
    or, when a rule ended past ``deadline`` (by ``clock``), -(its index + 1). The twin of
    _scan.c's walk, which looks up the memo itself first (a plain str key runs no Python code),
    and answers a row the memo does not know with the plain's fifth item if it has one."""
    k = max(start, 0)
    while k < len(order):
        plain = simple[order[k]]
        if plain is None:
            break
        key, rule_id, _starts, check = plain[:4]
        found = may.get(key)
        if found is not None:
            for i in found:
                line = rows[i]
                if line.dropped_by is None and check(line.text):
                    line.dropped_by = rule_id
        if deadline is not None and clock() > deadline:
            return -(k + 1)
        k += 1
    return k
