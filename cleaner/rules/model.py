"""The rule-file schema. One YAML file per site (or per generic concern), validated by pydantic."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import soupsieve
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cleaner.classify.config import ClassifyConfig
from cleaner.rules.safety import risk

RULE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"
SITE_ID = r"^[a-z0-9][a-z0-9_-]*$"


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"regex does not compile: {exc}") from None
    danger = risk(pattern)
    if danger:
        raise ValueError(f"regex refused: {danger}")
    return pattern


# Every regex in a rule file is compiled when the file is validated, so errors carry its line.
Regex = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Where(Strict):
    """Limit a rule to the first or last N non-blank lines of the document."""

    first: int | None = Field(default=None, ge=1)
    last: int | None = Field(default=None, ge=1)


class Case(Strict):
    """A test case: ``input`` must clean to ``output`` (compared after paragraph layout)."""

    name: str | None = None
    input: str
    output: str
    input_url: str | None = None  # the document's URL, if it has one
    url: str | None = None  # the URL expected after cleaning
    meta: dict[str, str] | None = None  # metadata fields expected after cleaning


class RuleBase(Strict):
    id: str = Field(pattern=RULE_ID)
    description: str = Field(min_length=1)
    where: Where = Where()
    tests: list[Case] = Field(min_length=1)


class LineRule(RuleBase):
    """Drop every line that matches ``pattern``."""

    kind: Literal["line"]
    pattern: Regex


class BlockRule(RuleBase):
    """Drop a block: ``start`` then ``lines`` more lines, or through ``end``, or while ``while``."""

    kind: Literal["block"]
    start: Regex
    end: Regex | None = None
    lines: int | None = Field(default=None, ge=1)
    while_: Regex | None = Field(default=None, alias="while")
    max_lines: int = Field(default=30, ge=1)
    min_lines: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_extent(self) -> BlockRule:
        given = [x for x in (self.end, self.lines, self.while_) if x is not None]
        if len(given) != 1:
            raise ValueError("a block needs exactly one of 'end', 'lines' or 'while'")
        return self


class TailRule(RuleBase):
    """Drop the ``marker`` line and everything after it, if it falls in the last part of the text."""

    kind: Literal["tail"]
    marker: Regex
    within_last: float = Field(default=0.3, gt=0, le=0.5)


class ExtractRule(RuleBase):
    """Move a line into a field (``url`` or ``meta.<field>``) and drop it."""

    kind: Literal["extract"]
    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pattern: Regex  # the named group ``value`` (else the whole match) is the value
    next_line: bool = False  # the value is on the next non-blank line (a "Published:" label)
    date_formats: list[str] = []  # strptime formats; the first that parses gives an ISO date
    keep: bool = False


class ReplaceRule(RuleBase):
    """Replace ``pattern`` with ``with`` inside lines; a line left blank is dropped."""

    kind: Literal["replace"]
    pattern: Regex
    with_: str = Field(default="", alias="with")


def _css(selector: str) -> str:
    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        raise ValueError(f"CSS selector does not parse: {exc}") from None
    return selector


class SelectorRule(RuleBase):
    """For HTML input: remove the elements matching a CSS selector before extraction.
    Its test cases give HTML as ``input``."""

    kind: Literal["selector"]
    selector: Annotated[str, Field(min_length=1), AfterValidator(_css)]


Rule = Annotated[
    LineRule | BlockRule | TailRule | ExtractRule | ReplaceRule | SelectorRule,
    Field(discriminator="kind"),
]


class Extraction(Strict):
    """trafilatura's options for a site's pages (unset: the command line's)."""

    favor: Literal["balanced", "precision", "recall"] | None = None
    tables: bool | None = None
    comments: bool | None = None
    fallback: bool | None = None


class Match(Strict):
    """Which documents a site file applies to."""

    domains: list[str] = []
    urls: list[str] = []  # fnmatch globs over the whole URL
    signature: Regex | None = None  # regex over the first ``signature_lines`` non-blank lines
    signature_lines: int = Field(default=5, ge=1, le=50)

    @model_validator(mode="after")
    def _something(self) -> Match:
        if not (self.domains or self.urls or self.signature):
            raise ValueError("match needs at least one of 'domains', 'urls' or 'signature'")
        return self


class RuleFile(Strict):
    """A rule file: a site (with ``match``) or a generic set (without)."""

    name: str = Field(pattern=SITE_ID)
    description: str = Field(min_length=1)
    match: Match | None = None
    extraction: Extraction | None = None
    classify: ClassifyConfig | None = None  # the line classifier's settings (cleaner.classify)
    rules: list[Rule] = []

    @model_validator(mode="after")
    def _something_to_do(self) -> RuleFile:
        if not self.rules and self.classify is None:
            raise ValueError("rules: a rule file needs at least one rule (or a 'classify' section)")
        return self

    @property
    def generic(self) -> bool:
        return self.match is None
