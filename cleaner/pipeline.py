"""The pipeline: one document in, one Cleaned out, every step recording its edits on the lines."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from cleaner.document import Cleaned, Document, Line
from cleaner.rules.book import RuleBook
from cleaner.rules.engine import RuleSet
from cleaner.steps.dedup import dedup
from cleaner.steps.repair import repair
from cleaner.steps.whitespace import Layout, layout, render

MAX_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class Settings:
    """The built-in steps, each of which can be turned off or tuned."""

    repair: bool = True
    unescape_html: bool = True
    dedup: bool = True
    dedup_min_chars: int = 20
    layout: Layout = "paragraphs"


def split_lines(text: str) -> tuple[list[Line], bool]:
    """The input's lines; a final newline ends the last line rather than starting a new one."""
    trailing = text.endswith("\n")
    parts = text.split("\n")
    if trailing:
        parts.pop()
    return [Line(no, part) for no, part in enumerate(parts, 1)], trailing


class Pipeline:
    def __init__(self, book: RuleBook, settings: Settings | None = None):
        self.book = book
        self.settings = settings or Settings()

    def site_for(self, doc: Document, lines: list[Line]) -> RuleSet | None:
        rows = (line.text for line in lines if line.dropped_by is None and not line.blank)
        return self.book.site_for(doc.url, list(islice(rows, self.book.head_lines)))

    def clean(self, doc: Document, force_site: RuleSet | None = None, sites: bool = True) -> Cleaned:
        """Clean one document. ``force_site`` skips site matching (rule tests use it);
        ``sites=False`` runs generic rules only."""
        settings = self.settings
        lines, trailing = split_lines(doc.text.replace("\r\n", "\n"))
        repair(lines, settings.unescape_html, enabled=settings.repair, text=doc.text)
        meta = dict(doc.meta)
        url = doc.url
        first_site: RuleSet | None = None
        # Removing lines moves the others into or out of a rule's window (the first or last N
        # lines, a site's signature), so rules run again until nothing more goes: that is what
        # makes cleaning the clean output change nothing. Each round only removes, so it ends.
        for round_no in range(MAX_ROUNDS):
            alive = sum(line.alive for line in lines)
            site = force_site or (self.site_for(doc, lines) if sites else None)
            if round_no == 0:
                first_site = site
            if site is not None:
                url = site.apply(lines, url, meta)
            if self.book.generic is not None:
                url = self.book.generic.apply(lines, url, meta)
            # Removing lines never makes two paragraphs equal, so later rounds need dedup
            # again only when a replace rule may have rewritten one.
            if settings.dedup and (round_no == 0 or self.book.rewrites):
                dedup(lines, settings.dedup_min_chars)
            if sum(line.alive for line in lines) == alive:
                break
        text = render(layout(lines, settings.layout))
        return Cleaned(
            doc=doc,
            lines=lines,
            text=text,
            url=url,
            site=first_site.name if first_site is not None else None,
            meta=meta,
            trailing_newline=trailing,
        )
