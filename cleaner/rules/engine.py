"""Compiled rules and how they act on a document's lines."""

from __future__ import annotations

import re
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
    TailRule,
)


@dataclass(slots=True)
class Context:
    """The lines a rule set acts on, with positions fixed before any rule ran."""

    lines: list[Line]
    url: str | None
    meta: dict[str, Any]
    rows: list[Line] = field(init=False)  # the non-blank lines, in order
    joined: str = field(init=False)  # their text, one per line, for whole-text prefilters

    def __post_init__(self) -> None:
        self.rows = [line for line in self.lines if line.alive and not line.blank]
        self.joined = "\n".join(line.text for line in self.rows)

    def window(self, rule: RuleBase) -> range:
        n = len(self.rows)
        start = n - rule.where.last if rule.where.last else 0
        stop = min(rule.where.first, n) if rule.where.first else n
        return range(max(start, 0), stop)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


class Compiled:
    """A rule ready to run. ``prefilter`` is searched once over the whole text: a rule whose
    pattern matches nowhere in the document costs one C-level scan, not one per line."""

    def __init__(self, rule: RuleBase, prefilter: str):
        self.rule = rule
        self.id = rule.id
        self.prefilter = _compile(prefilter)

    def apply(self, ctx: Context) -> None:
        if self.prefilter.search(ctx.joined) is None:
            return
        self.act(ctx)

    def act(self, ctx: Context) -> None:
        raise NotImplementedError


class CompiledLine(Compiled):
    def __init__(self, rule: LineRule):
        super().__init__(rule, rule.pattern)
        self.rx = _compile(rule.pattern)

    def act(self, ctx: Context) -> None:
        for i in ctx.window(self.rule):
            line = ctx.rows[i]
            if line.alive and self.rx.search(line.text):
                line.drop(self.id)


class CompiledReplace(Compiled):
    def __init__(self, rule: ReplaceRule):
        super().__init__(rule, rule.pattern)
        self.rx = _compile(rule.pattern)
        self.with_ = rule.with_

    def act(self, ctx: Context) -> None:
        for i in ctx.window(self.rule):
            line = ctx.rows[i]
            if line.alive:
                line.change(self.rx.sub(self.with_, line.text), self.id)
                if line.blank:
                    line.drop(self.id)


class CompiledBlock(Compiled):
    def __init__(self, rule: BlockRule):
        super().__init__(rule, rule.start)
        self.block = rule
        self.start = _compile(rule.start)
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
                if self.end.search(rows[j].text):
                    return j - i + 1
            return 0
        assert self.while_ is not None
        j = i + 1
        while j < limit and rows[j].alive and self.while_.search(rows[j].text):
            j += 1
        return j - i

    def act(self, ctx: Context) -> None:
        window = ctx.window(self.rule)
        i = window.start
        while i < window.stop:
            line = ctx.rows[i]
            if line.alive and self.start.search(line.text):
                size = self._extent(ctx.rows, i)
                if size >= self.block.min_lines:
                    for row in ctx.rows[i : i + size]:
                        row.drop(self.id)
                    i += size
                    continue
            i += 1


class CompiledTail(Compiled):
    def __init__(self, rule: TailRule):
        super().__init__(rule, rule.marker)
        self.tail = rule
        self.marker = _compile(rule.marker)

    def act(self, ctx: Context) -> None:
        n = len(ctx.rows)
        # The guard: a marker in the body would eat the article, so only the last part counts.
        first = max(int(n * (1 - self.tail.within_last)), 1)
        for i in ctx.window(self.rule):
            if i < first:
                continue
            if ctx.rows[i].alive and self.marker.search(ctx.rows[i].text):
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
        self.rx = _compile(rule.pattern)

    def _set(self, ctx: Context, value: str) -> None:
        """The first value found wins; one the document already had is kept."""
        value = _iso_date(value, self.extract.date_formats)
        if self.extract.field == "url":
            ctx.url = ctx.url or value
        else:
            ctx.meta.setdefault(self.extract.field, value)

    def act(self, ctx: Context) -> None:
        # Every matching line goes, not only the first: a second copy of a metadata line is
        # still metadata, and leaving it would let a second cleaning extract it.
        rule = self.extract
        for i in ctx.window(rule):
            line = ctx.rows[i]
            found = self.rx.search(line.text) if line.alive else None
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


_COMPILERS: dict[type, type[Compiled]] = {
    LineRule: CompiledLine,
    ReplaceRule: CompiledReplace,
    BlockRule: CompiledBlock,
    TailRule: CompiledTail,
    ExtractRule: CompiledExtract,
}


def compile_rule(rule: RuleBase) -> Compiled:
    return _COMPILERS[type(rule)](rule)  # type: ignore[arg-type]


class RuleSet:
    """The compiled rules of one file, applied in file order."""

    def __init__(self, model: RuleFile, path: str):
        self.name = model.name
        self.path = path
        self.model = model
        self.rules = [compile_rule(rule) for rule in model.rules]
        self.matcher = SiteMatcher(model.match) if model.match else None

    def apply(self, lines: list[Line], url: str | None, meta: dict[str, Any]) -> str | None:
        """Run every rule on ``lines``; returns the URL, which an extract rule may have found."""
        ctx = Context(lines, url, meta)
        for rule in self.rules:
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

    def by_text(self, head: list[str]) -> bool:
        if self.signature is None:
            return False
        return self.signature.search("\n".join(head[: self.signature_lines])) is not None
