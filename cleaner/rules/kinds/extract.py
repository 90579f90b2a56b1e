"""``extract``: move a line's value into the URL or ``meta`` and drop the line."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from cleaner.rules.base import RuleBase, Trigger
from cleaner.rules.compiled import Compiled, Context
from cleaner.rules.regex import Regex

# With next_line, the line after the label is taken only when it can be a value (a date, a name, a
# place): a label whose value is missing on the page is followed by the body's first paragraph,
# which must not go into meta and out of the text. Longer than this, it is prose.
MAX_VALUE_WORDS = 10
MAX_VALUE_CHARS = 100


class ExtractRule(RuleBase):
    """Move a line into a field (``url`` or ``meta.<field>``) and drop it."""

    kind: Literal["extract"]
    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pattern: Trigger  # the named group ``value`` is the value (with next_line: the next line is)
    next_line: bool = False  # the value is on the next non-blank line (a "Published:" label), if short
    date_formats: list[str] = Field(default_factory=list)  # strptime formats; the first that parses gives an ISO date
    keep: bool = False

    @model_validator(mode="after")
    def _formats_parse(self) -> ExtractRule:
        # A format that cannot read back what it writes would leave every date raw, silently.
        sample = datetime(2001, 2, 3, 4, 5, 6)
        for fmt in self.date_formats:
            try:
                datetime.strptime(sample.strftime(fmt), fmt)
            except ValueError:
                raise ValueError(f"date_formats: {fmt!r} cannot parse a date it formats") from None
        return self

    @model_validator(mode="after")
    def _has_value(self) -> ExtractRule:
        # Without a ``value`` group the whole line would become the value: almost always a
        # mistake, and one that silently fills meta with labels.
        if not self.next_line and "value" not in Regex(self.pattern).group_names():
            raise ValueError("pattern: an extract rule needs a named group (?P<value>...) (or next_line: true)")
        return self


def a_value(text: str) -> bool:
    """Whether the line after a next_line label can be its value: at most MAX_VALUE_WORDS words and
    MAX_VALUE_CHARS characters (a date, a byline), not a paragraph of the body."""
    return len(text) <= MAX_VALUE_CHARS and len(text.split(None, MAX_VALUE_WORDS)) <= MAX_VALUE_WORDS


def iso_date(value: str, formats: list[str]) -> str | None:
    """The value as an ISO date or date-time by the first format that parses it, else None."""
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if (parsed.hour, parsed.minute, parsed.second) == (0, 0, 0) and "%H" not in fmt and "%I" not in fmt:
            return parsed.date().isoformat()
        return parsed.isoformat(timespec="minutes")
    return None


class CompiledExtract(Compiled):
    model = ExtractRule

    def __init__(self, rule: ExtractRule):
        super().__init__(rule, rule.pattern)
        self.extract = rule

    @property
    def positional(self) -> bool:
        return self.extract.next_line or super().positional  # "the next line" moves when lines go

    def _set(self, ctx: Context, value: str) -> None:
        """The first value found wins; one the document already had is kept. A date that none
        of the formats parses is kept as written (the rule's tests check its formats parse)."""
        if self.extract.date_formats:
            value = iso_date(value, self.extract.date_formats) or value
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
                value = ctx.rows[i + 1].text.strip()
                if not a_value(value):  # no value after the label: both lines stay
                    continue
                taken.append(ctx.rows[i + 1])
            else:
                value = found.value(line.text).strip()
            self._set(ctx, value)
            if not rule.keep:
                for row in taken:
                    row.drop(self.id)
