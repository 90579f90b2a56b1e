"""The pipeline: one document in, one Cleaned out, every step recording its edits on the lines."""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass, field, replace
from typing import get_args

from cleaner.classify.config import Profile
from cleaner.document import Cleaned, Document, Line
from cleaner.errors import InputError
from cleaner.native import load
from cleaner.repeated.boilerplate import Boilerplate
from cleaner.report.outcome import REVIEW_BUDGET, Reports
from cleaner.report.pagedata import EVERY, keep_threshold
from cleaner.report.summary import FLAG_SHARE
from cleaner.rules.book import RuleBook
from cleaner.rules.compiled import REWRITES
from cleaner.rules.engine import RuleSet, rule_budget
from cleaner.steps.base import State, Step, count_alive
from cleaner.steps.classify import Classify, LineClassifier
from cleaner.steps.dedup import Dedup
from cleaner.steps.extract import MAX_PAGE_BYTES, TITLE, ExtractOptions, extract
from cleaner.steps.repair import Repair
from cleaner.steps.repeated import DropRepeated, SiteKey
from cleaner.steps.rules import FixedSite, GenericRules, MatchSite, SiteRules
from cleaner.steps.whitespace import Layout, laid_out

# The rounds run until nothing more goes (a fixed point: cleaning the output again changes nothing).
# Every document may take MAX_ROUNDS of them; past that (the classifier peeling short lines off an
# end one a round, each that goes making the next the last) they go on only while the live lines
# they visited in all stay under MAX_LINE_VISITS, which bounds the time of a long document that
# would lose a line a round. The bound is a count, not a clock: the same output on every machine.
MAX_ROUNDS = 8
MAX_LINE_VISITS = 1_000_000

# The lines made in C (cleaner/report/_diff.c), when built: no Line.__init__ run per line.
_NATIVE = load("cleaner.report._diff")


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
    max_page_bytes: int | None = MAX_PAGE_BYTES  # a larger HTML page is a failure, not extracted (None: no limit)
    classify: bool = True  # the generic line classifier (cleaner.steps.classify)
    profile: Profile = "balanced"  # its operating point: precision, balanced or recall
    flag_share: float = FLAG_SHARE  # a document losing more than this share of its characters is flagged
    reports: Reports = "full"  # which reports the run writes beside the summary (report/outcome.py)
    # Bytes of input up to which the review page keeps every changed document whole; past them, a
    # share of the documents chosen by id (report/pagedata.py, kept_whole). None: every document.
    review_budget: int | None = REVIEW_BUDGET

    def __post_init__(self) -> None:
        """A setting of the wrong kind is an InputError naming it (the API takes Settings from
        its user): not a TypeError deep inside a step, nor a typo that quietly turns a step off
        (``profile="recal"`` ran no classifier)."""
        for name, allowed in (
            ("layout", get_args(Layout)),
            ("profile", get_args(Profile)),
            ("reports", get_args(Reports)),
        ):
            if getattr(self, name) not in allowed:
                _refuse(name, getattr(self, name), "one of " + ", ".join(map(repr, allowed)))
        for name in ("repair", "unescape_html", "dedup", "classify"):
            if not isinstance(getattr(self, name), bool):
                _refuse(name, getattr(self, name), "True or False")
        if not _number(self.dedup_min_chars, int) or self.dedup_min_chars < 0:
            _refuse("dedup_min_chars", self.dedup_min_chars, "a whole number, 0 or more")
        if self.review_budget is not None and (not _number(self.review_budget, int) or self.review_budget < 0):
            _refuse("review_budget", self.review_budget, "bytes, 0 or more, or None")
        if not _number(self.flag_share) or not 0 <= self.flag_share <= 1:
            _refuse("flag_share", self.flag_share, "a number from 0 to 1")
        if self.extract_timeout is not None and (not _number(self.extract_timeout) or not self.extract_timeout > 0):
            _refuse("extract_timeout", self.extract_timeout, "seconds over 0, or None")
        if self.max_page_bytes is not None and (not _number(self.max_page_bytes, int) or self.max_page_bytes < 1):
            _refuse("max_page_bytes", self.max_page_bytes, "bytes, 1 or more, or None")
        if not isinstance(self.extraction, ExtractOptions):
            _refuse("extraction", self.extraction, "ExtractOptions")


def _number(value: object, kind: type | tuple[type, ...] = (int, float)) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _refuse(name: str, value: object, expected: str) -> None:
    raise InputError(f"Settings({name}={value!r}): expected {expected}", name)


# The line breaks split_lines cuts at.
_BREAKS = re.compile(r"\r\n|\r|\n")
# The meta key that says a text is a page's main text, extracted by cleaner.
EXTRACTED = "extracted_from"


def extracted_before(meta: object) -> bool:
    """Whether a ``meta`` (a record's, or one given to the API) says its text is one cleaner
    extracted from a page: it is cleaned as a page's extracted text is (the classifier's ``html``
    setting), so that cleaning the output of a page again changes nothing, as cleaning any
    output again does."""
    return isinstance(meta, dict) and meta.get(EXTRACTED) == "html"


def split_lines(text: str) -> tuple[list[Line], bool]:
    """The input's lines, cut at \\n, \\r\\n or a lone \\r (old Mac files, and records that
    kept only the \\r of their line ends); a final break ends the last line rather than
    starting a new one. The clean text always uses \\n."""
    if _NATIVE is not None:
        return _NATIVE.split_lines(text, Line)
    return python_split_lines(text)


def python_split_lines(text: str) -> tuple[list[Line], bool]:
    """split_lines in Python: the twin of _diff.c's split_lines."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    trailing = text.endswith("\n")
    parts = text.split("\n")
    if trailing:
        parts.pop()
    return [Line(no, part) for no, part in enumerate(parts, 1)], trailing


class Pipeline:
    """The per-document pipeline: HTML extraction when the input is a page, the ``before``
    steps once, the ``rounds`` steps until a round removes nothing, then the layout.

    Adding a step is one class in ``cleaner/steps/`` (see ``steps/base.py``) and one line in
    ``round_steps()`` (or ``before_steps()``)."""

    def __init__(
        self,
        book: RuleBook,
        settings: Settings | None = None,
        repeated: Boilerplate | None = None,
        keys: bool = False,
        site: Step | None = None,
    ):
        self.book = book
        self.settings = settings or Settings()
        self.repeated = repeated  # lines mined as boilerplate (--drop-repeated)
        self.keys = keys or repeated is not None  # whether documents get a site key (cleaner.repeated)
        self.before = self.before_steps()
        self.site_step: Step = site or MatchSite(book)
        # The built-in site steps drop no line and rewrite none, so the lines are not counted after
        # them (on a real page a count reads some 400 Line objects, 150 misses); a site step given
        # here may do anything, and is counted after as every other step is.
        self._uncounted: Step | None = self.site_step if type(self.site_step) in (MatchSite, FixedSite) else None
        self.rounds = self.round_steps(self.site_step)
        self.review_keep = EVERY  # which documents the review page keeps whole (for_input)

    def before_steps(self) -> list[Step]:
        return [Repair(self.settings.repair, self.settings.unescape_html)]

    def round_steps(self, site: Step) -> list[Step]:
        """The steps of each round, in order; ``site`` decides the document's site."""
        steps: list[Step] = [site, SiteRules()]
        if self.book.generic is not None:
            steps.append(GenericRules(self.book.generic))
        if self.keys:
            steps.append(SiteKey())
        if self.repeated is not None:
            steps.append(DropRepeated(self.repeated))
        if self.settings.dedup:
            steps.append(Dedup(self.settings.dedup_min_chars))
        steps.append(LineClassifier(self.book.files, self.settings.classify, self.settings.profile))
        return steps

    @property
    def classifier(self) -> LineClassifier:
        return next(step for step in self.rounds if isinstance(step, LineClassifier))

    @property
    def trace_classifier(self) -> bool:
        """``cleaner explain --features``: keep each line's verdict."""
        return self.classifier.trace

    @trace_classifier.setter
    def trace_classifier(self, on: bool) -> None:
        self.classifier.trace = on

    @property
    def last_classifier(self) -> Classify | None:
        """The classifier the last document cleaned got (None: off for it)."""
        return self.classifier.last

    def with_repeated(self, repeated: Boilerplate | None, keys: bool = False) -> Pipeline:
        # (A site step given to this pipeline, or a fixed site, is kept; the default is made anew.)
        site = None if type(self.site_step) is MatchSite else self.site_step
        return Pipeline(self.book, self.settings, repeated, keys, site)

    def for_input(self, input_bytes: int) -> Pipeline:
        """This pipeline for a run of ``input_bytes`` of input: its review page keeps every
        changed document whole within the settings' review_budget, a share of them past it."""
        run = copy.copy(self)
        run.review_keep = keep_threshold(self.settings.review_budget, input_bytes)
        return run

    def for_site(self, site: RuleSet | None, settings: Settings | None = None) -> Pipeline:
        """This pipeline with the site fixed (rule test cases run as a document of their site;
        generic rules' cases as a document of none), and other ``settings`` if given."""
        return Pipeline(self.book, settings or self.settings, self.repeated, self.keys, FixedSite(site))

    def _extract(self, doc: Document) -> tuple[Document, list[tuple[str, str]]]:
        """The page's text, led by what site selectors removed (lines already dropped)."""
        fixed = next((step.site for step in self.rounds if isinstance(step, FixedSite)), None)
        site = fixed or self.book.site_for(doc.url, [])
        selectors = [*(site.selectors if site else []), *(self.book.generic.selectors if self.book.generic else [])]
        options = self.settings.extraction
        if site is not None and site.extraction is not None:
            chosen = site.extraction.model_dump(exclude_none=True)
            options = replace(options, **chosen)
        assert doc.html is not None
        found = extract(
            doc.html, doc.url, selectors, options, self.settings.extract_timeout, self.settings.max_page_bytes
        )
        # Cut where split_lines will cut the text (a removed element's "&#13;" is a lone \r): each
        # removed piece is then one line, dropped by its own rule in start(), none by another's.
        lines = _BREAKS.split(found.text)
        # The headline goes to meta.title; leaving it in the text too would say it twice.
        title = found.meta.get("title")
        head = [(TITLE, lines.pop(0))] if title and lines and lines[0].strip() == title.strip() else []
        removed = [(rule_id, piece) for rule_id, block in found.removed for piece in _BREAKS.split(block)] + head
        text = "\n".join([line for _, line in removed] + lines)
        meta = {**found.meta, **doc.meta, EXTRACTED: "html"}
        return replace(doc, text=text, html=None, meta=meta), removed

    def start(self, doc: Document) -> State:
        """The document as lines, ready for the steps (for a page: its extracted text)."""
        removed: list[tuple[str, str]] = []
        from_html = doc.html is not None
        extracted = (
            from_html
            or extracted_before(doc.meta)  # (the API's: clean(meta=...), clean_records)
            or (doc.record is not None and extracted_before(doc.record.fields.get("meta")))
        )
        if from_html:
            doc, removed = self._extract(doc)
        lines, trailing = split_lines(doc.text)
        if removed:  # (a page's: what its site selectors removed leads its text)
            for line, (rule_id, _) in zip(lines, removed, strict=False):
                line.drop(rule_id)
        # (The fields by position, in their order: a class called with keywords has them put in
        # a dict first, once a document.)
        return State(
            doc,
            lines,
            doc.url,  # url
            dict(doc.meta),  # meta
            trailing,  # trailing_newline
            time.monotonic() + rule_budget(len(lines)),  # deadline
            self.book.rewrites,  # rewrites
            extracted,  # from_html
        )

    def clean(self, doc: Document) -> Cleaned:
        """Clean one document."""
        state = self.start(doc)
        # (Each step is called by its ``__call__``, looked up as a method: a call of the instance
        # goes through the type's call slot, a C frame of its own; the method's frame is pushed
        # by the interpreter inline, with no bound method made.)
        for step in self.before:
            step.__call__(state)
        # Removing lines moves the others into or out of a rule's window (the first or last N
        # lines, a site's signature), so the steps run again until nothing more goes: that is
        # what makes cleaning the clean output change nothing. Each round only removes, so it ends.
        # (A round's count of the lines left is the next one's count before it: counted once.)
        steps, lines, rewrites, site = self.rounds, state.lines, REWRITES, self._uncounted
        before = count_alive(lines)
        # After each step, a stamp of the lines: the rows rewritten so far less the lines alive.
        # Lines only go and rewrites only add up, so any drop or rewrite raises the stamp, and it
        # stays put while nothing changes. ``reach``: where in a round the stamp last rose (the
        # index of the last step that acted; -1: none did). Every step after it left the lines as
        # it found them.
        # The first round calls every step (state.round is 0, as State is made): no step's
        # ``again`` is asked, and no round before it can end it early.
        stamp, reach = rewrites.count - before, -1
        left = before
        for i, step in enumerate(steps):
            step.__call__(state)
            if step is not site:
                left = count_alive(lines)
                if rewrites.count - left != stamp:
                    stamp, reach = rewrites.count - left, i
        visits = before
        while left != before and not (state.round + 1 >= MAX_ROUNDS and visits >= MAX_LINE_VISITS):
            state.round += 1
            last, reach, before = reach, -1, left
            for i, step in enumerate(steps):
                if step.again(state):
                    step.__call__(state)
                    if step is not site:
                        left = count_alive(lines)
                        if rewrites.count - left != stamp:
                            stamp, reach = rewrites.count - left, i
                # Nearly every document takes two rounds, the second finding nothing. Once this
                # round has changed nothing so far, and no step after this one changed anything
                # in the last round, those steps would see the lines they saw and left as they
                # were then, and find nothing again (Step: a step is a function of the lines):
                # this round would change nothing, the fixed point. They need not be called.
                if reach < 0 and i >= last:
                    break
            visits += before
        first = state.first_site
        out, text = laid_out(state.lines, self.settings.layout)
        return Cleaned(  # (by position, as State above)
            state.doc,
            state.lines,
            text,
            state.url,
            first.name if first is not None else None,  # site
            state.meta,
            state.trailing_newline,
            state.key,
            out,  # layout
        )
