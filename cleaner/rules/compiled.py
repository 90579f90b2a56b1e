"""What a compiled rule acts on (``Context``) and what every compiled rule has (``Compiled``)."""

from __future__ import annotations

import re
from bisect import insort
from itertools import islice
from typing import Any, ClassVar

from cleaner import native
from cleaner.document import Line
from cleaner.rules.base import RuleBase
from cleaner.rules.regex import Regex
from cleaner.rules.safety import MAX_RULE_LINE


def alive(lines: list[Line], nonblank: bool, limit: int = -1) -> tuple[list[Line], list[str]]:
    """The lines not dropped (and, ``nonblank``, not blank), in order, and their texts; with a
    ``limit`` of 0 or more, only the first ``limit`` of them (the lines after are not read). The
    twin of _scan.c's alive (one C call, where a list comprehension per list took a few
    microseconds for every rule set and round)."""
    # ``dropped_by is None`` is ``Line.alive`` without the property call.
    kept = (line for line in lines if line.dropped_by is None and not (nonblank and line.blank))
    rows = list(kept if limit < 0 else islice(kept, limit))
    return rows, [row.text for row in rows]


_SCAN = native.load("cleaner.rules._scan")
ALIVE = _SCAN.alive if _SCAN is not None else alive


class Rewrites:
    """How many rows rules rewrote, in this process (``Context.touched`` counts them).

    In the rounds a line's text changes only by a replace rule (State.rewrites): while the count
    is what it was at some point, no line's text changed since, so a later round's rows are the
    rows of then less the lines dropped since, with their text of then. What looked at every row
    to make sure of it (the rule steps' checks, ``_Fast.idle``) reads the count instead."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


REWRITES = Rewrites()


class Context:
    """The lines a rule set acts on, with positions fixed before any rule ran. (A plain slotted
    class: one is made per rule set and round, and a dataclass's ``__init__`` with default
    factories and ``__post_init__`` cost several times more.)"""

    __slots__ = ("_joined", "filtered", "hits", "lines", "may", "meta", "rewritten", "rows", "texts", "url")

    def __init__(
        self, lines: list[Line], url: str | None, meta: dict[str, Any], rows: tuple[list[Line], list[str]] | None = None
    ):
        self.lines = lines
        self.url = url
        self.meta = meta
        self.hits: list[int] = []  # rows the set's combined line-start pattern matched
        # Per rule (by id), the rows its trigger may match on, from the prefilter (prefilter.py); a
        # rule without an entry finds its rows as before the prefilter: ``hits``, or every row.
        self.may: dict[int, list[int]] = {}  # (only the rules with rows)
        self.filtered: frozenset[int] = frozenset()  # the rules the prefilter has: absent from ``may``, no row
        self.rewritten: set[int] = set()  # rows a replace rule rewrote
        # The non-blank lines, in order, and their texts as the context was made (``rows``: the
        # caller's ALIVE(lines, True), taken with nothing changed since).
        self.rows, self.texts = rows if rows is not None else ALIVE(lines, True)
        self._joined: str | None = None

    @property
    def joined(self) -> str:
        """The rows' text, one per line, for the whole-text prefilter of unanchored rules."""
        if self._joined is None:
            self._joined = "\n".join(scannable(line.text) for line in self.rows)
        return self._joined

    def window(self, rule: RuleBase) -> range:
        n = len(self.rows)
        start = n - rule.where.last if rule.where.last else 0
        stop = min(rule.where.first, n) if rule.where.first else n
        return range(max(start, 0), stop)

    def touched(self, i: int) -> None:
        """A rule rewrote row ``i``: every later rule must look at it again."""
        if i not in self.hits:
            insort(self.hits, i)
        self.rewritten.add(i)
        REWRITES.count += 1


def scannable(text: str) -> str:
    """What rules see of a line: nothing of one too long to be boilerplate (see safety.py)."""
    return text if len(text) <= MAX_RULE_LINE else ""


_LEADING_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
# What _top_level_bar acts on outside a class: at the top level; inside a group, where a "|"
# changes nothing (most of a long list of phrases).
_SPECIAL = (re.compile(r"[\\\[()]").search, re.compile(r"[\\\[()|]").search)


def anchored(pattern: str) -> bool:
    """Whether the pattern can only match at the start of a line: ``^`` first (after global
    flags), not repeated, and no ``|`` outside a group. Read off the text in one pass: Python's
    regex parser took a third of a second over the shipped rules, at every start."""
    rest = pattern
    while flags := _LEADING_FLAGS.match(rest):
        rest = rest[flags.end() :]
    if not rest.startswith("^") or rest[1:2] in ("?", "*", "+", "{") or "\\Q" in rest:
        return False  # "not anchored" is always safe: the rule is then searched on every row
    # (\Q...\E quotes RE2's text: the scan below would read brackets inside it; left unanchored.)
    return not _top_level_bar(rest)


def _top_level_bar(pattern: str) -> bool:
    """Whether the pattern has an alternation outside every group (escapes and classes skipped)."""
    if "|" not in pattern:
        return False  # (most patterns: nothing to read)
    depth, i, n = 0, 0, len(pattern)
    # Only the characters _SPECIAL finds change anything: it jumps over the others (the read,
    # character by character, was a start-up cost: 60 patterns of the shipped rules).
    while (found := _SPECIAL[depth == 0](pattern, i)) is not None:
        i = found.start()
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):  # a "]" first in a class is a literal
                i += 1
            while i < n and pattern[i] != "]":
                if pattern[i] == "\\":
                    i += 1
                elif pattern.startswith("[:", i):  # a POSIX class, as RE2 reads it
                    end = pattern.find(":]", i + 2)
                    i = end + 1 if end != -1 else i
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        i += 1
    return False


class Compiled:
    """A rule ready to run: one subclass per kind, beside its schema in ``kinds/``.

    Most rules are anchored at the line start; a rule set joins those into one pattern that is
    matched once per line (``Context.hits``), so a rule only looks at the few rows that can
    match. Other rules first search the whole text once, and skip the document when it fails.
    """

    model: ClassVar[type[RuleBase]]  # the schema this compiles

    def __init__(self, rule: RuleBase, trigger: str):
        self.rule = rule
        self.id = rule.id
        self.trigger = trigger
        self.trigger_rx = Regex(trigger, rule.id)
        self.anchored = anchored(trigger)

    @property
    def positional(self) -> bool:
        """Whether removing other lines can change what the rule does: by default only a
        window (the first or last N lines); kinds with an extent say so themselves."""
        return bool(self.rule.where.first or self.rule.where.last)

    def candidates(self, ctx: Context) -> list[int]:
        """Rows in the rule's window where its trigger may match.

        With the prefilter, the rows it names plus the rows rewritten since it scanned. The rule
        then acts on exactly the rows it would act on without it: where its trigger matches, in
        ``hits`` (anchored: a row the trigger matches at its start is a hit, and so is a rewritten
        one) or in the window if the whole-text test passes (unanchored: that test is made as
        before, on the text as it was when the first unanchored rule asked for it)."""
        rows = ctx.may.get(id(self))
        if rows is None and id(self) in ctx.filtered:
            rows = []
        if rows is None:
            window = ctx.window(self.rule)
            if self.anchored:
                return [i for i in ctx.hits if i in window]
            if not self.trigger_rx.test(ctx.joined):
                return []
            return [i for i in window if len(ctx.rows[i].text) <= MAX_RULE_LINE]
        if ctx.rewritten:
            rows = sorted(ctx.rewritten.union(rows))
        where = self.rule.where
        if self.anchored:
            if not where.first and not where.last:
                return rows  # (every row is in the window; the list is not changed by its users)
            window = ctx.window(self.rule)
            return [i for i in rows if i in window]
        window = ctx.window(self.rule)
        joined = ctx.joined
        rows = [i for i in rows if i in window and len(ctx.rows[i].text) <= MAX_RULE_LINE]
        return rows if rows and self.trigger_rx.test(joined) else []

    def matches(self, text: str) -> bool:
        """Whether the trigger matches ``text`` (a row's). An anchored trigger can only match at
        the row's start (after a newline too, but a row has none unless a replace rule wrote one),
        so RE2 makes one anchored pass there instead of a search: on a cold cache, a third of the
        time or less."""
        if self.anchored and "\n" not in text:
            return self.trigger_rx.test_start(text)
        return self.trigger_rx.test(text)

    def apply(self, ctx: Context) -> None:
        raise NotImplementedError
