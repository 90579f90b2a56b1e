"""The pipeline: one document in, one Cleaned out, every step recording its edits on the lines."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import islice

from cleaner.classify.config import ClassifyConfig, Profile
from cleaner.document import Cleaned, Document, Line
from cleaner.repeated.boilerplate import Boilerplate
from cleaner.repeated.keys import site_key
from cleaner.rules.book import RuleBook
from cleaner.rules.engine import RuleSet
from cleaner.steps.classify import Classify
from cleaner.steps.dedup import dedup
from cleaner.steps.extract import TITLE, ExtractOptions, extract
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
    extraction: ExtractOptions = field(default_factory=ExtractOptions)  # HTML input; a site may override
    extract_timeout: float | None = 30.0  # seconds per HTML page
    classify: bool = True  # the generic line classifier (cleaner.steps.classify)
    profile: Profile = "balanced"  # its operating point: precision, balanced or recall


def split_lines(text: str) -> tuple[list[Line], bool]:
    """The input's lines; a final newline ends the last line rather than starting a new one."""
    trailing = text.endswith("\n")
    parts = text.split("\n")
    if trailing:
        parts.pop()
    return [Line(no, part) for no, part in enumerate(parts, 1)], trailing


class Pipeline:
    def __init__(
        self,
        book: RuleBook,
        settings: Settings | None = None,
        repeated: Boilerplate | None = None,
        keys: bool = False,
    ):
        self.book = book
        self.settings = settings or Settings()
        self.repeated = repeated  # lines mined as boilerplate (--drop-repeated)
        self.keys = keys or repeated is not None  # whether documents get a site key (cleaner.repeated)
        self._classifiers: dict[tuple[int, bool], Classify | None] = {}
        self.trace_classifier = False  # ``cleaner explain``: keep each line's verdict
        self.last_classifier: Classify | None = None  # the classifier of the last document cleaned

    # --- the line classifier: which one (if any) a document gets -------------------------------
    def classifier(self, site: RuleSet | None, html: bool) -> Classify | None:
        """The generic files' classify settings, under the site file's; None when it is off."""
        cache_key = (id(site), html)
        if cache_key not in self._classifiers:
            config = ClassifyConfig()  # no thresholds: off unless a rule file gives some
            for _, model in self.book.files:
                if model.generic and model.classify is not None:
                    config = model.classify.over(config)
            if site is not None:
                for model in site.models:
                    if model.classify is not None:
                        config = model.classify.over(config)
            profile = config.profile or self.settings.profile
            on = (
                self.settings.classify
                and config.enabled is not False
                and profile in config.thresholds
                and (not html or config.html is True)
            )
            self._classifiers[cache_key] = Classify(config, self.settings.profile) if on else None
        found = self._classifiers[cache_key]
        if found is not None and self.trace_classifier:
            found.trace = {}
        return found

    def with_repeated(self, repeated: Boilerplate | None, keys: bool = False) -> Pipeline:
        return Pipeline(self.book, self.settings, repeated, keys)

    def site_for(self, doc: Document, lines: list[Line]) -> RuleSet | None:
        rows = (line.text for line in lines if line.dropped_by is None and not line.blank)
        return self.book.site_for(doc.url, list(islice(rows, self.book.head_lines)))

    def _extract(self, doc: Document, force_site: RuleSet | None) -> tuple[Document, list[tuple[str, str]]]:
        """The page's text, led by what site selectors removed (lines already dropped)."""
        site = force_site or self.book.site_for(doc.url, [])
        selectors = [*(site.selectors if site else []), *(self.book.generic.selectors if self.book.generic else [])]
        options = self.settings.extraction
        if site is not None and site.extraction is not None:
            chosen = site.extraction.model_dump(exclude_none=True)
            options = replace(options, **chosen)
        assert doc.html is not None
        found = extract(doc.html, doc.url, selectors, options, self.settings.extract_timeout)
        lines = found.text.split("\n")
        # The headline goes to meta.title; leaving it in the text too would say it twice.
        title = found.meta.get("title")
        head = [(TITLE, lines.pop(0))] if title and lines and lines[0].strip() == title.strip() else []
        removed = found.removed + head
        text = "\n".join([line for _, line in removed] + lines)
        meta = {**found.meta, **doc.meta}
        return replace(doc, text=text, html=None, meta=meta), removed

    def clean(self, doc: Document, force_site: RuleSet | None = None, sites: bool = True) -> Cleaned:
        """Clean one document. ``force_site`` skips site matching (rule tests use it);
        ``sites=False`` runs generic rules only."""
        settings = self.settings
        removed: list[tuple[str, str]] = []
        from_html = doc.html is not None
        if doc.html is not None:
            doc, removed = self._extract(doc, force_site)
        lines, trailing = split_lines(doc.text.replace("\r\n", "\n"))
        for line, (rule_id, _) in zip(lines, removed, strict=False):
            line.drop(rule_id)
        repair(lines, settings.unescape_html, enabled=settings.repair, text=doc.text)
        meta = dict(doc.meta)
        url = doc.url
        first_site: RuleSet | None = None
        key: str | None = None
        ran: set[int] = set()  # rule sets run in full; in later rounds only their positional rules can act
        rewrites = self.book.rewrites  # a replace rule can make any rule match anew
        classify: Classify | None = None
        # Removing lines moves the others into or out of a rule's window (the first or last N
        # lines, a site's signature), so rules run again until nothing more goes: that is what
        # makes cleaning the clean output change nothing. Each round only removes, so it ends.
        for round_no in range(MAX_ROUNDS):
            alive = sum(line.alive for line in lines)
            site = force_site or (self.site_for(doc, lines) if sites else None)
            if round_no == 0:
                first_site = site
                classify = self.classifier(site, html=from_html)
                self.last_classifier = classify
            if site is not None:
                url = site.apply(lines, url, meta, positional_only=id(site) in ran and not rewrites)
                ran.add(id(site))
            if self.book.generic is not None:
                url = self.book.generic.apply(lines, url, meta, positional_only=round_no > 0 and not rewrites)
            if round_no == 0 and self.keys:
                key = site_key(site.name if site else None, url, lines)
            if self.repeated is not None and key is not None and (round_no == 0 or rewrites):
                self.repeated.drop(lines, key)  # a line's fate depends on its text alone
            # Prefix dedup and the choice of the copy in the prose look at neighbours, which
            # removals change: dedup runs in every round that follows one.
            if settings.dedup:
                dedup(lines, settings.dedup_min_chars)
            if classify is not None:
                classify(lines)  # every round: its verdicts depend on the neighbours left
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
            key=key,
        )
