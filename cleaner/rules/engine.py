"""Rule sets: a site's compiled rules (or every generic file's), applied in file order."""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from functools import partial
from itertools import accumulate
from typing import Any

from cleaner.document import Line
from cleaner.errors import CleanerError
from cleaner.rules import prefilter
from cleaner.rules.compiled import ALIVE, REWRITES, Compiled, Context
from cleaner.rules.kinds import SelectorRule, compile_rule
from cleaner.rules.kinds.line import CompiledLine, Plain, walk
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
_TEXT_ANCHOR = re.compile(r"\\[AZz]")  # (a false alarm, \\A, only costs the per-row search)


def _combine(rules: list[Compiled]) -> Regex | None:
    """One pattern that matches a line wherever any of the rules' triggers would."""
    # Group names would clash between rules; the combined pattern only needs to match.
    parts = ["(?:" + _NAMED_GROUP.sub("(?:", rule.trigger) + ")" for rule in rules]
    return Regex("|".join(parts)) if parts else None


# Documents a rule set cleans the plain way before it builds its prefilter (a second or more the
# first time, tens of milliseconds from the cache after): a run of a few documents starts as
# fast as it did.
WARMUP = 8


class _Fast:
    """A rule list's prefilter, and the combined line-start pattern of the anchored rules it has
    no factors for (``Context.hits``)."""

    def __init__(self, rules: list[Compiled]):
        self.rules = rules
        linear = [i for i, rule in enumerate(rules) if rule.trigger_rx.engine == "re2"]
        self.prefilter = prefilter.Prefilter(self.patterns(rules))
        always = set(self.prefilter.always)
        self.filtered = [(rules[linear[k]], k) for k in range(len(linear)) if k not in always]
        filtered = {id(rule) for rule, _ in self.filtered}
        # By the prefilter's pattern index: the rule (by id) it is the trigger of.
        self.by_pattern = {k: id(rule) for rule, k in self.filtered}
        # The same by pattern index, None for a pattern without factors: what the scan's result is keyed by.
        self.keys = tuple(self.by_pattern.get(k) for k in range(self.prefilter.size))
        unfiltered = [r for r in rules if r.anchored and id(r) not in filtered]
        self.line_start = _combine(unfiltered)
        # \A and \z hold at a row's bounds, but only at the text's in the rows joined.
        self.joined = not any(_TEXT_ANCHOR.search(rule.trigger) for rule in unfiltered)
        # The last scan: the lines list it was of, its rows and their texts then, and what it
        # found (``Context.may`` and ``hits``, by row then), and REWRITES.count then. A later round
        # of the same document whose rows kept their text (they only lost some) needs no new scan
        # (``carry``).
        self.memo: tuple[list[Line], list[Line], list[str], dict[int, list[int]], list[int], int] | None = None
        self.carry = prefilter._scan.carry if prefilter._scan is not None else carry
        self.ids = frozenset(id(rule) for rule, _ in self.filtered)
        self.plans: dict[bool, _Plan] = {}  # by positional_only (plan(); RuleSet builds both and reads them)
        # Prefilter.rows(texts, keys, limit), straight into the C scan where there is one (no Python frame).
        matcher = self.prefilter.matcher
        self.scan = partial(prefilter._scan.rows, matcher) if matcher is not None else self.prefilter.rows

    @staticmethod
    def patterns(rules: list[Compiled]) -> list[str]:
        """The triggers the prefilter takes: RE2's (a backtracking one is tested on every row)."""
        return [rule.trigger for rule in rules if rule.trigger_rx.engine == "re2"]

    def plan(self, rules: list[Compiled], positional_only: bool) -> _Plan:
        """How ``apply`` walks ``rules`` (all of the set's, or its positional ones) with this prefilter."""
        plan = self.plans.get(positional_only)
        if plan is None:
            plan = self.plans[positional_only] = _Plan(rules, self.ids)
        return plan

    def idle(self, lines: list[Line], wanted: frozenset[int], last: dict[int, int] | None = None) -> bool:
        """Whether a run of the rules ``wanted`` (the prefilter has each of them) on ``lines`` has
        nothing to do: the last scan was of these lines, found no row for any of them, and its
        rows are still good for them (``carry`` takes them: the rows now kept their text). Then
        ``fill`` would give them no row, so none would run, and it would not scan again.
        When no rule rewrote a row since the scan, the rows now are its rows not dropped since,
        with their text (Rewrites): ``carry`` would take them, and is not asked; and a rule whose
        rows of then all went since has none now (most positional runs that found rows: another
        rule dropped the row first), nor one that acts only on the last N rows (``last``, by rule)
        and whose rows alive all have N rows alive after them (its window, where rows only go,
        is the same rows but for those gone)."""
        memo = self.memo
        if memo is None or memo[0] is not lines:
            return False
        found = memo[3]
        if memo[5] == REWRITES.count:
            if wanted.isdisjoint(found):
                return True
            rows_then = memo[1]
            for rule_id in wanted.intersection(found):
                window = last.get(rule_id, 0) if last else 0
                edge = -1  # (rows alive before it have ``window`` rows alive after them; found once a rule)
                for i in found[rule_id]:
                    if rows_then[i].dropped_by is None:
                        if window:
                            if edge < 0:
                                edge = _edge(rows_then, window)
                            if i < edge:
                                continue
                        return False
            return True
        if not wanted.isdisjoint(found):
            return False
        rows, _ = ALIVE(lines, True)
        return self.carry(memo[1], memo[2], rows, memo[3], memo[4], wanted) is not None

    def fill(self, ctx: Context, wanted: frozenset[int] | None = None) -> None:
        """``ctx.may`` and ``ctx.hits``: from the last scan when the rows kept their text, else
        from a new one. ``wanted``: the rules that will run (a positional-only run's), the only
        ones whose rows are taken from the last scan (a new one gives them all)."""
        memo = self.memo
        rows = ctx.rows
        ctx.filtered = self.ids
        if memo is not None and memo[0] is ctx.lines:
            carried = self.carry(memo[1], memo[2], rows, memo[3], memo[4], wanted)
            if carried is not None:
                ctx.may, ctx.hits = carried
                return
        now = ctx.texts
        # scannable(): a row too long is scanned as "", which the scan reads so itself (the C one
        # without a pass over the lengths in Python, nor a list).
        ctx.may = self.scan(now, self.keys, MAX_RULE_LINE)
        if self.line_start is not None:
            texts = (
                now
                if max(map(len, now), default=0) <= MAX_RULE_LINE
                else [t if len(t) <= MAX_RULE_LINE else "" for t in now]
            )
            ctx.hits = self._hits(ctx, texts)
        # (A copy of ``hits``: a rewritten row is added to it; ``may`` and its lists are not changed.)
        self.memo = (ctx.lines, rows, now, ctx.may, list(ctx.hits), REWRITES.count)

    def _hits(self, ctx: Context, texts: list[str]) -> list[int]:
        assert self.line_start is not None
        if not self.joined:
            match = self.line_start.test_start
            return [i for i, row in enumerate(ctx.rows) if len(row.text) <= MAX_RULE_LINE and match(row.text)]
        # One search of the rows joined instead of one per row. Every match starts at a row's
        # start (each rule is anchored there); a row it does not start on is a hit if a match
        # runs over it (a pattern may match a newline), so every row a rule could match at its
        # start is a hit: the one where the search found a match, or one it ran over.
        starts = list(accumulate((len(text) + 1 for text in texts), initial=0))
        hits: set[int] = set()
        for start, end in self.line_start.spans("\n".join(texts)):
            first = bisect_right(starts, start) - 1
            hits.update(range(first, bisect_right(starts, max(end - 1, start))))
        return sorted(i for i in hits if len(ctx.rows[i].text) <= MAX_RULE_LINE)


def _edge(rows: list[Line], window: int) -> int:
    """Where the ``window``-th row alive counted from the end stands (0 when there are fewer):
    a row alive has ``window`` rows alive after it exactly when it stands before that one.
    (One walk from the end for a rule, not one of the window's size after each of its rows.)"""
    seen = 0
    for j in range(len(rows) - 1, -1, -1):
        if rows[j].dropped_by is None:
            seen += 1
            if seen == window:
                return j
    return 0


def carry(
    rows_then: list[Line],
    texts_then: list[str],
    rows_now: list[Line],
    may_then: dict[int, list[int]],
    hits_then: list[int],
    wanted: frozenset[int] | None,
) -> tuple[dict[int, list[int]], list[int]] | None:
    """``Context.may`` and ``hits`` of the rows now from a scan of the rows then (by row then),
    or None when a row now is not one of then (in the same order) or its text is not then's:
    then it needs a scan. ``wanted``: the rules whose rows are taken (None: all). The twin of
    _scan.c's carry (rows compared as ``is``, texts as ``==`` after ``is``, as C compares)."""
    n = len(rows_then)
    if len(texts_then) != n:
        raise ValueError("a text for each row")
    pos = [-1] * n  # by row then: where it is now
    j = 0
    for k, row in enumerate(rows_now):
        while j < n and rows_then[j] is not row:
            j += 1
        if j >= n:
            return None
        text, then = row.text, texts_then[j]
        if not (text is then or text == then):
            return None
        pos[j] = k
        j += 1
    may: dict[int, list[int]] = {}
    for rule_id, found in list(may_then.items()):
        if wanted is not None and rule_id not in wanted:
            continue
        now = [pos[i] for i in found if pos[i] >= 0]
        if now:
            may[rule_id] = now
    return may, [pos[i] for i in hits_then if pos[i] >= 0]


class _Plan:
    """A rule list as ``apply`` walks it with the prefilter: a rule the prefilter has and found
    no row for is skipped without a call (until a replace rule rewrites a row: from then on
    every rule runs, to look at the rewritten rows)."""

    def __init__(self, rules: list[Compiled], filtered: frozenset[int]):
        self.rules = rules
        self.position = {id(rule): i for i, rule in enumerate(rules)}
        self.ids = frozenset(self.position)
        # Every rule the prefilter has is in the list (a run of all the set's rules): every key of
        # ``Context.may`` has a position, looked up without a test (``order``).
        self.complete = filtered <= self.ids
        self.always = [i for i, rule in enumerate(rules) if id(rule) not in filtered]  # run on every document
        # By rule: N for a line rule that acts only on the last N rows (on its candidates there).
        self.last = {
            id(rule): rule.rule.where.last
            for rule in rules
            if type(rule) is CompiledLine and rule.rule.where.last and not rule.rule.where.first
        }
        # The first unanchored rule fixes the text of ``Context.joined`` when it looks at it, run
        # or skipped (Compiled.candidates): no rule after it may run before that text is fixed.
        self.unanchored = next((i for i, rule in enumerate(rules) if not rule.anchored), len(rules))
        # By position: what ``walk`` needs to run the rule there, or None (it runs in Python).
        self.simple: list[Plain | None] = [
            rule.plain(filtered) if isinstance(rule, CompiledLine) else None for rule in rules
        ]
        # _scan.c's walk, or its Python twin (CLEANER_NATIVE=off, or no C matcher).
        self.walk = prefilter._scan.walk if prefilter._scan is not None else walk

    def order(self, may: dict[int, list[int]]) -> list[int]:
        """The positions of the rules to run, in order, while no row is rewritten."""
        position = self.position
        if self.complete and not self.always:  # (most runs: a look-up each, no test, no comprehension's frame)
            return sorted(map(position.__getitem__, may))
        found = [position[rule_id] for rule_id in may if rule_id in position]
        return sorted(found + self.always) if self.always else sorted(found)


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
        for rule in self.rules:
            if rule.trigger_rx.engine != "re2":
                rule.anchored = False  # lookaround or backreferences: cannot join the line-start pattern
        self.positional = [rule for rule in self.rules if rule.positional]
        # A positional replace rule can rewrite lines on a run of the positional rules alone.
        self.positional_rewrites = any(rule.rule.kind == "replace" for rule in self.positional)  # type: ignore[attr-defined]
        self._starts: dict[bool, Regex | None] = {}  # built on first use (start-up time)
        self._fast: _Fast | None = None
        self._cleaned = 0
        extraction = [m.extraction for m in models if m.extraction is not None]
        self.extraction = extraction[0] if extraction else None

    @classmethod
    def site(cls, model: RuleFile, path: str) -> RuleSet:
        return cls(model.name, path, [model], model.match)

    def __getstate__(self) -> dict[str, Any]:
        # Prefilters (hyperscan databases, C matchers) do not pickle: a worker process builds its own.
        return {**self.__dict__, "_starts": {}, "_fast": None, "_cleaned": 0}

    def line_start(self, positional_only: bool = False) -> Regex | None:
        """The combined line-start pattern of the (positional) anchored rules."""
        if positional_only not in self._starts:
            rules = self.positional if positional_only else self.rules
            self._starts[positional_only] = _combine([rule for rule in rules if rule.anchored])
        return self._starts[positional_only]

    def _start_patterns(self, positional_only: bool) -> list[Regex]:
        """What finds the rows an anchored rule may match (``Context.hits``) without the
        prefilter: the combined line-start pattern; or, for the first documents of a run that
        will build the prefilter, each anchored rule's own pattern, which find the same rows (the
        combined one is their alternation) without compiling it (a third of a second: a
        one-document run's largest cost)."""
        if prefilter.available():
            rules = self.positional if positional_only else self.rules
            return [rule.trigger_rx for rule in rules if rule.anchored]
        combined = self.line_start(positional_only)
        return [combined] if combined is not None else []

    def _prefilter(self) -> _Fast | None:
        """The prefilter of all the rules (a run of the positional ones uses it too), from the
        WARMUP-th document on: a run of a few documents does not wait for it (see WARMUP)."""
        if self._fast is None:
            # From the first document when building it is loading it from the cache.
            warm = self._cleaned >= WARMUP or prefilter.cached(_Fast.patterns(self.rules))
            if not warm or not prefilter.available():
                return None
            fast = _Fast(self.rules)
            # (Both plans now: ``apply`` reads them by kind of run, without a call.)
            fast.plan(self.rules, False)
            fast.plan(self.positional, True)
            self._fast = fast
        return self._fast

    def settled(self, lines: list[Line]) -> bool:
        """Whether a run of the positional rules on ``lines`` (``apply``, ``positional_only``) would
        do nothing: there are none, or the prefilter's last scan was of these lines and gives none
        of them a row (``_Fast.idle``; most later rounds). False when that is not known (no
        prefilter yet: ``apply`` counts the run towards building it)."""
        if not self.positional:
            return True
        fast = self._fast
        if fast is None:
            return False
        plan = fast.plans[True]
        return not plan.always and fast.idle(lines, plan.ids, plan.last)

    def apply(
        self,
        lines: list[Line],
        url: str | None,
        meta: dict[str, Any],
        positional_only: bool = False,
        deadline: float | None = None,
        rows: tuple[list[Line], list[str]] | None = None,
    ) -> str | None:
        """Run every rule on ``lines``; returns the URL, which an extract rule may have found.
        ``positional_only``: the set already ran on these lines, which have only lost some
        since; only rules whose outcome depends on where a line stands can act again.
        ``deadline`` (``time.monotonic()``): past it, RuleBudgetExceeded names the rule.
        ``rows``: ALIVE(lines, True) of now, if the caller has it (``Context``)."""
        rules = self.positional if positional_only else self.rules
        if not rules:
            return url
        fast = self._fast
        if fast is None:  # (counted only until the prefilter is built, WARMUP's count: past 256
            self._cleaned += 1  # a count made a new int object every call)
            fast = self._prefilter()
        if positional_only and fast is not None and self.settled(lines):
            return url
        ctx = Context(lines, url, meta, rows)
        if fast is None:
            starts = self._start_patterns(positional_only)
            ctx.hits = [
                i
                for i, row in enumerate(ctx.rows)
                if len(row.text) <= MAX_RULE_LINE and any(start.test_start(row.text) for start in starts)
            ]
            for rule in rules:
                rule.apply(ctx)
                if deadline is not None and time.monotonic() > deadline:
                    raise RuleBudgetExceeded(f"rules ran over their time budget on this document (at rule {rule.id})")
            return ctx.url
        plan = fast.plans[positional_only]
        fast.fill(ctx, plan.ids if positional_only else None)
        # The rules the prefilter found rows for (and those it has none of), in order: the others
        # would find no candidate (Compiled.candidates). Once a row is rewritten, every rule runs.
        order = plan.order(ctx.may)
        n, unanchored, simple = len(rules), plan.unanchored, plan.simple
        k, m = 0, len(order)  # (k: where i is in ``order``, while no row is rewritten)
        i = order[0] if order else n
        while i < n:
            if simple[i] is not None and not ctx.rewritten:
                # A run of plain line rules in one call. They only drop rows, so the text of
                # ``ctx.joined`` is the same whether it is fixed before them or after.
                k = plan.walk(ctx.rows, ctx.may, order, simple, k, deadline, time.monotonic)
                if k < 0:
                    rule_id = rules[order[-k - 1]].id
                    raise RuleBudgetExceeded(f"rules ran over their time budget on this document (at rule {rule_id})")
                i = order[k] if k < m else n
                continue
            if i > unanchored and ctx._joined is None:
                ctx.joined  # noqa: B018  (as the first unanchored rule would have, had it run)
            rule = rules[i]
            rule.apply(ctx)
            if deadline is not None and time.monotonic() > deadline:
                raise RuleBudgetExceeded(f"rules ran over their time budget on this document (at rule {rule.id})")
            if ctx.rewritten:
                i += 1
            else:
                k += 1
                i = order[k] if k < m else n
        return ctx.url
