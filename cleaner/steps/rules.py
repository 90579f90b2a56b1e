"""The rule steps: find the document's site, run its rules, run the generic rules."""

from __future__ import annotations

from itertools import islice
from typing import ClassVar

from cleaner.rules.book import RuleBook
from cleaner.rules.engine import RuleSet
from cleaner.steps.base import State


class MatchSite:
    """The site by URL or, failing that, by a signature over the first lines. Every round:
    removing a banner can bring a signature line into the window, or take it out."""

    name: ClassVar[str] = "site"

    def __init__(self, book: RuleBook):
        self.book = book

    def __call__(self, state: State) -> None:
        rows = (line.text for line in state.lines if line.dropped_by is None and not line.blank)
        state.site = self.book.site_for(state.doc.url, list(islice(rows, self.book.head_lines)))
        if state.round == 0:
            state.first_site = state.site

    def again(self, state: State) -> bool:
        return True


class FixedSite:
    """A given site (rule test cases run as a document of the rule's site), or none."""

    name: ClassVar[str] = "site"

    def __init__(self, site: RuleSet | None):
        self.site = site

    def __call__(self, state: State) -> None:
        state.site = self.site
        if state.round == 0:
            state.first_site = self.site

    def again(self, state: State) -> bool:
        return False


class SiteRules:
    """The matched site's rules. A set that already ran in full only runs its positional rules
    again (unless a replace rule may have rewritten a line)."""

    name: ClassVar[str] = "site-rules"

    def __call__(self, state: State) -> None:
        site = state.site
        if site is None:
            return
        positional_only = id(site) in state.ran and not state.rewrites
        state.url = site.apply(state.lines, state.url, state.meta, positional_only, state.deadline)
        state.ran.add(id(site))

    def again(self, state: State) -> bool:
        return True


class GenericRules:
    """Every generic rule file, as one set, after the site's rules."""

    name: ClassVar[str] = "generic-rules"

    def __init__(self, generic: RuleSet):
        self.generic = generic

    def __call__(self, state: State) -> None:
        positional_only = state.round > 0 and not state.rewrites
        state.url = self.generic.apply(state.lines, state.url, state.meta, positional_only, state.deadline)

    def again(self, state: State) -> bool:
        return True
