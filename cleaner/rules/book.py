"""All loaded rules: the site rule sets, the generic ones, and which site a document belongs to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from cleaner.rules.engine import RuleSet
from cleaner.rules.load import load_rule_files
from cleaner.rules.model import RuleBase


class RuleBook:
    def __init__(self, sets: list[RuleSet]):
        self.sites = [s for s in sets if s.matcher is not None]
        self.generic = [s for s in sets if s.matcher is None]
        self.by_name = {s.name: s for s in self.sites}

    @classmethod
    def load(cls, roots: Iterable[Path]) -> RuleBook:
        return cls([RuleSet(model, str(path)) for path, model in load_rule_files(roots)])

    @classmethod
    def empty(cls) -> RuleBook:
        return cls([])

    def site_for(self, url: str | None, head: list[str]) -> RuleSet | None:
        """The site a document belongs to: by URL when known, else by a text signature.
        Sites are tried in file order, so the outcome never depends on anything else."""
        if url:
            for site in self.sites:
                assert site.matcher is not None
                if site.matcher.by_url(url):
                    return site
        for site in self.sites:
            assert site.matcher is not None
            if site.matcher.by_text(head):
                return site
        return None

    def rules(self) -> Iterator[tuple[RuleSet, RuleBase]]:
        for rule_set in [*self.sites, *self.generic]:
            for rule in rule_set.model.rules:
                yield rule_set, rule
