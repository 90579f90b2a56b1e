"""The rule-file schema. One YAML file per site (or per generic concern), validated by pydantic.

The rules themselves are in ``kinds/``, one module per kind."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from cleaner.classify.config import ClassifyConfig
from cleaner.rules.base import Case, RuleBase, Strict, Trigger, Where
from cleaner.rules.kinds import (
    KINDS,
    BlockRule,
    ExtractRule,
    LineRule,
    ReplaceRule,
    Rule,
    SelectorRule,
    TailRule,
)
from cleaner.urls import UrlGlob, domain_problem

SITE_ID = r"^[a-z0-9][a-z0-9_-]*$"


class Extraction(Strict):
    """trafilatura's options for a site's pages (unset: the command line's)."""

    favor: Literal["precision", "balanced", "recall"] | None = None
    tables: bool | None = None
    comments: bool | None = None
    fallback: bool | None = None


def _url_glob(glob: str) -> str:
    UrlGlob(glob)  # (a glob that does not read as a URL is refused with its file and line)
    return glob


def _domain(domain: str) -> str:
    problem = domain_problem(domain)  # (a domain that is no host would match no page, unsaid)
    if problem is not None:
        raise ValueError(problem)
    return domain


def matched_domain(domain: str) -> str:
    """A ``domains`` entry as hosts are matched against it (sites.py): lower case (as hosts are
    read, urls.host_of), without a leading dot."""
    return domain.lower().lstrip(".")


class Match(Strict):
    """Which documents a site file applies to."""

    domains: list[Annotated[str, AfterValidator(_domain)]] = Field(default_factory=list)  # urls.domain_problem
    urls: list[Annotated[str, AfterValidator(_url_glob)]] = Field(default_factory=list)  # urls.UrlGlob
    signature: Trigger | None = None  # regex over the first ``signature_lines`` non-blank lines
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
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_to_do(self) -> RuleFile:
        if not self.rules and self.classify is None:
            raise ValueError("rules: a rule file needs at least one rule (or a 'classify' section)")
        return self

    @property
    def generic(self) -> bool:
        return self.match is None


__all__ = [
    "KINDS",
    "BlockRule",
    "Case",
    "ExtractRule",
    "Extraction",
    "LineRule",
    "Match",
    "ReplaceRule",
    "Rule",
    "RuleBase",
    "RuleFile",
    "SelectorRule",
    "TailRule",
    "Where",
]
