"""Compiled rules and how they act on a document's lines."""

from __future__ import annotations

import re
from bisect import insort
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from cleaner.document import Line
from cleaner.rules.model import (
    BlockRule,
    ExtractRule,
    LineRule,
    Match,
    ReplaceRule,
    RuleBase,
    RuleFile,
    SelectorRule,
    TailRule,
)
from cleaner.rules.safety import MAX_RULE_LINE


@dataclass(slots=True)
class Context:
    """The lines a rule set acts on, with positions fixed before any rule ran."""

    lines: list[Line]
    url: str | None
    meta: dict[str, Any]
    hits: list[int] = field(default_factory=list)  # rows the set's combined line-start pattern matched
    rows: list[Line] = field(init=False)  # the non-blank lines, in order
    _joined: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.rows = [line for line in self.lines if line.alive and not line.blank]

    @property
    def joined(self) -> str:
        """The rows' text, one per line, for the whole-text prefilter of unanchored rules."""
        if self._joined is None:
            self._joined = "\n".join(_scannable(line.text) for line in self.rows)
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


def _scannable(text: str) -> str:
    """What rules see of a line: nothing of one too long to be boilerplate (see safety.py)."""
    return text if len(text) <= MAX_RULE_LINE else ""


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def anchored(pattern: str) -> bool:
    """Whether the pattern can only match at the start of a line (``^...``, no top-level ``|``)."""
    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
    except re.error:
        return False
    first = parsed[0] if len(parsed) else None
    return first is not None and first[0] is re._constants.AT and first[1] is re._constants.AT_BEGINNING  # type: ignore[attr-defined]


class Compiled:
    """A rule ready to run.

    Most rules are anchored at the line start; a rule set joins those into one pattern that is
    matched once per line (``Context.hits``), so a rule only looks at the few rows that can
    match. Other rules first search the whole text once, and skip the document when it fails.
    """

    def __init__(self, rule: RuleBase, trigger: str):
        self.rule = rule
        self.id = rule.id
        self.trigger = trigger
        self.trigger_rx = _compile(trigger)
        self.anchored = anchored(trigger)

    def candidates(self, ctx: Context) -> list[int]:
        """Rows in the rule's window where its trigger may match."""
        window = ctx.window(self.rule)
        if self.anchored:
            return [i for i in ctx.hits if i in window]
        if self.trigger_rx.search(ctx.joined) is None:
            return []
        return [i for i in window if len(ctx.rows[i].text) <= MAX_RULE_LINE]

    def apply(self, ctx: Context) -> None:
        raise NotImplementedError


class CompiledLine(Compiled):
    def __init__(self, rule: LineRule):
        super().__init__(rule, rule.pattern)

    def apply(self, ctx: Context) -> None:
        for i in self.candidates(ctx):
            line = ctx.rows[i]
            if line.alive and self.trigger_rx.search(line.text):
                line.drop(self.id)


class CompiledReplace(Compiled):
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
                ctx.touched(i)
                if line.blank:
                    line.drop(self.id)


class CompiledBlock(Compiled):
    def __init__(self, rule: BlockRule):
        super().__init__(rule, rule.start)
        self.block = rule
        self.end = _compile(rule.end) if rule.end else None
        self.while_ = _compile(rule.while_) if rule.while_ else None

    def _extent(self, rows: list[Line], i: int) -> int:
        """How many rows from ``i`` the block covers (0: no block here)."""
        rule = self.block
        limit = min(len(rows), i + rule.max_lines)
        if rule.lines is not None:
            return min(rule.lines + 1, len(rows) - i)
        if self.end is not None:
            for j in range(i + 1, limit):
                if self.end.search(_scannable(rows[j].text)):
                    return j - i + 1
            return 0
        assert self.while_ is not None
        j = i + 1
        while j < limit and rows[j].alive and self.while_.search(_scannable(rows[j].text)):
            j += 1
        return j - i

    def apply(self, ctx: Context) -> None:
        covered = -1  # blocks do not overlap: a start inside the last block is part of it
        for i in self.candidates(ctx):
            line = ctx.rows[i]
            if i <= covered or not line.alive or not self.trigger_rx.search(line.text):
                continue
            size = self._extent(ctx.rows, i)
            if size >= self.block.min_lines:
                for row in ctx.rows[i : i + size]:
                    row.drop(self.id)
                covered = i + size - 1


class CompiledTail(Compiled):
    def __init__(self, rule: TailRule):
        super().__init__(rule, rule.marker)
        self.tail = rule

    def apply(self, ctx: Context) -> None:
        n = len(ctx.rows)
        # The guard: a marker in the body would eat the article, so only the last part counts.
        first = max(int(n * (1 - self.tail.within_last)), 1)
        for i in self.candidates(ctx):
            if i < first:
                continue
            if ctx.rows[i].alive and self.trigger_rx.search(ctx.rows[i].text):
                for row in ctx.rows[i:]:
                    row.drop(self.id)
                return


def _iso_date(value: str, formats: list[str]) -> str:
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if (parsed.hour, parsed.minute, parsed.second) == (0, 0, 0) and "%H" not in fmt and "%I" not in fmt:
            return parsed.date().isoformat()
        return parsed.isoformat(timespec="minutes")
    return value


class CompiledExtract(Compiled):
    def __init__(self, rule: ExtractRule):
        super().__init__(rule, rule.pattern)
        self.extract = rule

    def _set(self, ctx: Context, value: str) -> None:
        """The first value found wins; one the document already had is kept."""
        value = _iso_date(value, self.extract.date_formats)
        if self.extract.field == "url":
            ctx.url = ctx.url or value
        else:
            ctx.meta.setdefault(self.extract.field, value)

    def apply(self, ctx: Context) -> None:
        # Every matching line goes, not only the first: a second copy of a metadata line is
        # still metadata, and leaving it would let a second cleaning extract it.
        rule = self.extract
        for i in self.candidates(ctx):
            line = ctx.rows[i]
            found = self.trigger_rx.search(line.text) if line.alive else None
            if found is None:
                continue
            taken = [line]
            if rule.next_line:
                if i + 1 >= len(ctx.rows) or not ctx.rows[i + 1].alive:
                    continue
                taken.append(ctx.rows[i + 1])
                value = ctx.rows[i + 1].text.strip()
            else:
                value = (found.groupdict().get("value") or found.group(0)).strip()
            self._set(ctx, value)
            if not rule.keep:
                for row in taken:
                    row.drop(self.id)


class CompiledSelector(Compiled):
    """Acts on HTML before extraction (steps/extract.py); nothing to do on text."""

    def __init__(self, rule: SelectorRule):
        super().__init__(rule, "(?!)")
        self.anchored = False
        self.selector = rule.selector

    def apply(self, ctx: Context) -> None:
        return


_COMPILERS: dict[type, type[Compiled]] = {
    SelectorRule: CompiledSelector,
    LineRule: CompiledLine,
    ReplaceRule: CompiledReplace,
    BlockRule: CompiledBlock,
    TailRule: CompiledTail,
    ExtractRule: CompiledExtract,
}


def positional(rule: RuleBase) -> bool:
    """Whether removing other lines can change what the rule does: a window (first or last N
    lines), a block's extent, a tail's share of the text, a value on the next line."""
    if rule.where.first or rule.where.last:
        return True
    return isinstance(rule, BlockRule | TailRule) or (isinstance(rule, ExtractRule) and rule.next_line)


def compile_rule(rule: RuleBase) -> Compiled:
    return _COMPILERS[type(rule)](rule)  # type: ignore[arg-type]


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _combine(rules: list[Compiled]) -> re.Pattern[str] | None:
    """One pattern that matches a line wherever any of the rules' triggers would.
    Rules whose pattern cannot be joined (back-references, global flags) become unanchored."""
    parts: list[str] = []
    for rule in rules:
        # Group names would clash between rules; the combined pattern only needs to match.
        part = "(?:" + _NAMED_GROUP.sub("(?:", rule.trigger) + ")"
        try:
            re.compile(part)
        except re.error:
            rule.anchored = False
            continue
        parts.append(part)
    return re.compile("|".join(parts)) if parts else None


class RuleSet:
    """Compiled rules applied in order: one site's file, or every generic file together."""

    def __init__(self, name: str, path: str, models: list[RuleFile], match: Match | None = None):
        self.name = name
        self.path = path
        self.models = models
        self.rules = [compile_rule(rule) for model in models for rule in model.rules]
        self.matcher = SiteMatcher(match) if match else None
        self.selectors = [(r.id, r.selector) for r in self.rules if isinstance(r, CompiledSelector)]
        self.rules = [r for r in self.rules if not isinstance(r, CompiledSelector)]
        self.line_start = _combine([rule for rule in self.rules if rule.anchored])
        self.positional = [rule for rule in self.rules if positional(rule.rule)]
        self.positional_start = _combine([rule for rule in self.positional if rule.anchored])
        extraction = [m.extraction for m in models if m.extraction is not None]
        self.extraction = extraction[0] if extraction else None

    @classmethod
    def site(cls, model: RuleFile, path: str) -> RuleSet:
        return cls(model.name, path, [model], model.match)

    def apply(
        self, lines: list[Line], url: str | None, meta: dict[str, Any], positional_only: bool = False
    ) -> str | None:
        """Run every rule on ``lines``; returns the URL, which an extract rule may have found.
        ``positional_only``: the set already ran on these lines, which have only lost some
        since; only rules whose outcome depends on where a line stands can act again."""
        rules, line_start = (
            (self.positional, self.positional_start) if positional_only else (self.rules, self.line_start)
        )
        if not rules:
            return url
        ctx = Context(lines, url, meta)
        if line_start is not None:
            match = line_start.match
            ctx.hits = [i for i, row in enumerate(ctx.rows) if len(row.text) <= MAX_RULE_LINE and match(row.text)]
        for rule in rules:
            rule.apply(ctx)
        return ctx.url


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class SiteMatcher:
    def __init__(self, match: Match):
        self.domains = tuple(d.lower().lstrip(".") for d in match.domains)
        self.urls = tuple(match.urls)
        self.signature = _compile(match.signature) if match.signature else None
        self.signature_lines = match.signature_lines

    def by_url(self, url: str) -> bool:
        host = host_of(url)
        if any(host == d or host.endswith("." + d) for d in self.domains):
            return True
        return any(fnmatchcase(url, glob) for glob in self.urls)
