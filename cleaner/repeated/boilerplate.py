"""The lines mined as a site's boilerplate, and the step that drops them (``--drop-repeated``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cleaner import words
from cleaner.document import Line
from cleaner.repeated.keys import GENERIC_PREFIX, SIGNATURE_PREFIX, line_hash, site_hash, site_prefix

if TYPE_CHECKING:
    from cleaner.repeated.counts import LineCounts  # numpy: imported only when mining

RULE_PREFIX = "repeated:"
GENERIC_RULE = RULE_PREFIX + "generic"  # a line found on many unrelated sites
# Why a line went, for `cleaner explain` (cleaner/steps/reasons.py): a label that ends in ':'
# stands for every label it starts, and {} is what follows it (here, the site key).
DESCRIPTIONS = {
    GENERIC_RULE: "A line found on many unrelated sites' documents: template chrome (--drop-repeated).",
    RULE_PREFIX: "A line repeated across many documents of the site {} (--drop-repeated).",
}
# A sentence's end: its mark (Latin or full-width), closing quotes and brackets, then footnote
# or citation marks ("... in 1921.[3]").
_SENTENCE_END = re.compile(r"[.!?…。！？．][\"'”’)\]」』）》〕】]*(?:\[(?:\d{1,3}|[a-z])\])*$")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a line repeated across a site's documents counts as boilerplate.

    A short line (a banner, a menu, "Share this") needs ``min_docs`` documents and
    ``min_share`` of its site's documents. A prose line (``prose_words`` words or more, ending
    like a sentence) is far more often content quoted twice than boilerplate, so it needs
    ``prose_min_docs`` and ``prose_share``. A line counts once per document, so a line quoted
    again and again inside one forum thread is no evidence at all.
    """

    min_docs: int = 3
    min_share: float = 0.05
    prose_words: int = 8
    prose_min_docs: int = 10
    prose_share: float = 0.5
    # Across sites: a line of at least ``min_site_words`` words on ``min_sites`` distinct sites
    # is template chrome. Prose is never dropped for that (syndicated articles repeat verbatim
    # across sites), nor a one-word line ("Introduction" heads articles everywhere), nor a line
    # with a digit: lines are counted with their numbers folded, so one site's "12,50 €" and
    # another's "3,99 €", or recipes' "Cooking time 45 min", were one line on five sites. Numbers
    # are data; a site's own chrome with a number still goes by its site's count.
    min_sites: int = 5
    min_site_words: int = 2

    def passes_across(self, text: str, sites: int) -> bool:
        return (
            sites >= self.min_sites
            and len(text.split()) >= self.min_site_words
            and not any(c.isdigit() for c in text)
            and not self.is_prose(text)
        )

    def is_prose(self, text: str) -> bool:
        return words.count(text) >= self.prose_words and _SENTENCE_END.search(text.rstrip()) is not None

    def passes(self, text: str, docs: int, site_docs: int) -> bool:
        if self.is_prose(text):
            return docs >= max(self.prose_min_docs, self.min_docs) and docs >= self.prose_share * site_docs
        return docs >= self.min_docs and docs >= self.min_share * site_docs


def _first(lines: list[Line]) -> Line | None:
    """The line a signature key is made of (keys.site_key): the first non-blank one."""
    return next((line for line in lines if not line.blank), None)


class Boilerplate:
    """Per site (by hash): its number of documents, and the hashes of its lines repeated enough."""

    def __init__(
        self,
        thresholds: Thresholds,
        site_docs: dict[int, int],
        lines: dict[int, int],
        across: dict[int, int] | None = None,
    ):
        self.thresholds = thresholds
        self.site_docs = site_docs  # site hash -> documents, for the sites that have such lines
        self.lines = lines  # line hash -> documents it occurs in
        self.across = across or {}  # generic line hash -> distinct sites it occurs on
        payload = repr((thresholds, sorted(site_docs.items()), sorted(lines.items()), sorted(self.across.items())))
        payload = payload.encode()
        self.digest = hashlib.sha256(payload).hexdigest()  # part of a resumed run's fingerprint

    @classmethod
    def from_counts(
        cls, counts: LineCounts, thresholds: Thresholds, across: dict[int, int] | None = None
    ) -> Boilerplate:
        """Keep the lines frequent enough for a short line; ``passes`` decides on the text.
        Two reads of the counts, so that only the sites of such lines are held in memory."""
        found = list(counts.frequent(thresholds.min_docs))
        wanted = {site for _, site, _ in found}
        site_docs = {site: docs for site, _, docs in counts.frequent(thresholds.min_docs, sites=True) if site in wanted}
        share = min(thresholds.min_share, thresholds.prose_share)
        lines: dict[int, int] = {}
        sites: dict[int, int] = {}
        for h, site, docs in found:
            if docs >= share * site_docs[site]:
                lines[h] = docs
                sites[site] = site_docs[site]
        return cls(thresholds, sites, lines, across)

    def docs_of(self, key: str) -> int:
        return self.site_docs.get(site_hash(key), 0)

    def drop(self, lines: list[Line], key: str) -> None:
        site_docs = self.site_docs.get(site_hash(key))
        if site_docs is not None:
            prefix = site_prefix(key)
            found = [
                line
                for line in lines
                if line.alive
                and not line.blank
                and (docs := self.lines.get(line_hash(prefix, line.text))) is not None
                and self.thresholds.passes(line.text.strip(), docs, site_docs)
            ]
            if key.startswith(SIGNATURE_PREFIX) and len(found) == 1 and found[0] is _first(lines):
                # The documents of a signature share their first line by construction: that line
                # in all of them is no evidence of a template (three articles under one headline).
                # A second line of the document repeated with it is: a banner goes with its
                # footer, a headline alone stays. (Only kept lines are counted: a footer a rule
                # took is no evidence here, and its banner stays.)
                found = []
            rule_id = RULE_PREFIX + key
            for line in found:
                line.drop(rule_id)
        if self.across:
            for line in lines:
                if not line.alive or line.blank:
                    continue
                sites = self.across.get(line_hash(GENERIC_PREFIX, line.text))
                if sites is not None and self.thresholds.passes_across(line.text.strip(), sites):
                    line.drop(GENERIC_RULE)
