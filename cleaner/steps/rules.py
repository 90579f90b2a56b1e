"""The rule steps: find the document's site, run its rules, run the generic rules."""

from __future__ import annotations

from typing import ClassVar

from cleaner import native
from cleaner.document import Line
from cleaner.rules.book import RuleBook
from cleaner.rules.compiled import ALIVE, REWRITES
from cleaner.rules.engine import RuleSet
from cleaner.steps.base import State, count_alive


def unchanged_texts(lines: list[Line], texts: list[str]) -> bool:
    """Whether every line not dropped has its text of then (``texts``, by line). The twin of
    _scan.c's unchanged (texts compared as C compares: ``is``, then ``==``)."""
    for i, line in enumerate(lines):
        then = texts[i]
        if line.dropped_by is None:
            text = line.text
            if not (text is then or text == then):
                return False
    return True


_SCAN = native.load("cleaner.rules._scan")
UNCHANGED = _SCAN.unchanged if _SCAN is not None else unchanged_texts


class MatchSite:
    """The site by URL or, failing that, by a signature over the first lines. Every round:
    removing a banner can bring a signature line into the window, or take it out. A site found
    by URL stays (the document's URL does not change), and so does one found by the same lines."""

    name: ClassVar[str] = "site"

    def __init__(self, book: RuleBook):
        self.book = book
        self._state: State | None = None  # the document of the last call, and what decided its site
        self._by_url = False
        self._head: list[str] | None = None
        self._rows: list[Line] = []  # the rows ``_head`` is the text of
        self._count = -1  # REWRITES.count when they were read

    def __call__(self, state: State) -> None:
        if state.round == 0 or self._state is not state:
            # (Two assignments: four names at once build a tuple and take it apart.)
            self._state, self._by_url = state, False
            self._head, self._count = None, -1
            url = state.doc.url
            # As RuleBook.site_for: a site whose URL matches wins (RuleBook.site_by_url).
            site = self.book.site_by_url(url) if url else None
            self._by_url = site is not None
        elif self._by_url or self._same_head():
            return
        if not self._by_url:
            # The first head_lines lines alive and not blank, and their text: one C call that
            # reads no line past them (a loop here cost a hundred bytecodes a document).
            # (head_lines is 0 or more: the most of the sites' signature_lines, each 1 or more,
            # or 0 for no site.)
            rows, head = ALIVE(state.lines, True, self.book.head_lines)
            self._rows, self._count = rows, REWRITES.count
            if head == self._head:  # the same first lines match the same signature
                return
            self._head = head
            site = self.book.site_by_signature(head)
        # (The site set here, once, not in a method of its own: a frame a document saved.)
        state.site = site
        if state.round == 0:
            state.first_site = site

    def _same_head(self) -> bool:
        """No text changed since the head was read (Rewrites), and lines only go: while its rows
        are all alive, they are still the first ones, and the head is the same. (Counted in one C
        call, not a loop over the rows.)"""
        rows = self._rows
        return self._count == REWRITES.count and count_alive(rows) == len(rows)

    def again(self, state: State) -> bool:
        # Not when the call would do nothing: the site is the URL's, or the head is the same.
        return self._state is not state or not (self._by_url or self._same_head())


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


class _Texts:
    """The rows' text when each rule set last ran in full on the current document.

    A set that ran in full has nothing more to do on lines whose text has not changed since
    then but for its positional rules (whose window moves as lines go): a line rule dropped
    every line it matches, a replace rule changed nothing, or the text would have changed. So
    when no text changed, a later round runs only the positional rules, with the same outcome
    as running them all. (Unless a positional rule rewrites lines: then the run is in full.)

    The rows are the non-blank lines, the set's own (``Context.rows``, taken once for both): in
    the rounds only a replace rule changes a text, and it rewrites rows, so a line blank then
    still has its text."""

    def __init__(self) -> None:
        self.state: State | None = None
        # The lines not dropped then, their text, and REWRITES.count then.
        self.texts: dict[int, tuple[list[Line], list[str], int]] = {}

    def unchanged(self, state: State, rules: RuleSet) -> bool:
        seen = self.texts.get(id(rules)) if self.state is state else None
        if seen is None or rules.positional_rewrites:
            return False
        # (No rule rewrote a row since: no text changed (Rewrites), the lines need no look.)
        return seen[2] == REWRITES.count or UNCHANGED(seen[0], seen[1])

    def settled(self, state: State, rules: RuleSet) -> bool:
        """Whether a run of ``rules`` now would do nothing, told without reading a row (a later
        round's ``again``; False when unsure, and the step decides it in its call): it ran in
        full on these lines and no rule rewrote a row since (Rewrites), so it would run its
        positional rules alone, and the prefilter's last scan gives none of them a row
        (RuleSet.settled). (Were the rows read here, the call would read them again.)"""
        seen = self.texts.get(id(rules)) if self.state is state else None
        return (
            seen is not None
            and seen[2] == REWRITES.count
            and not rules.positional_rewrites
            and rules.settled(state.lines)
        )

    def full_run(self, state: State, rules: RuleSet) -> tuple[list[Line], list[str]]:
        """The rows and their texts now (ALIVE(state.lines, True)), kept for ``unchanged``; the
        set's run takes them too. They are the last full run's (State.full_rows) when no text
        changed since (Rewrites: the rows' blankness with them) and none of them was dropped
        (lines only go: the rows now are those of then still alive), checked by one count; else
        read again. Nothing changes the lists (Context reads them)."""
        if self.state is not state:
            self.state, self.texts = state, {}
        seen = state.full_rows
        if seen is None or seen[0] != REWRITES.count or count_alive(seen[1][0]) != len(seen[1][0]):
            seen = state.full_rows = (REWRITES.count, ALIVE(state.lines, True))
        rows = seen[1]
        self.texts[id(rules)] = (rows[0], rows[1], seen[0])  # (not (*rows, ...): a list made, then a tuple)
        return rows


class SiteRules:
    """The matched site's rules. A set that already ran in full only runs its positional rules
    again (unless a replace rule may have rewritten a line since)."""

    name: ClassVar[str] = "site-rules"

    def __init__(self) -> None:
        self._texts = _Texts()

    def __call__(self, state: State) -> None:
        site = state.site
        if site is None:
            return
        positional_only = id(site) in state.ran and (not state.rewrites or self._texts.unchanged(state, site))
        rows = None if positional_only else self._texts.full_run(state, site)
        state.url = site.apply(state.lines, state.url, state.meta, positional_only, state.deadline, rows)
        state.ran.add(id(site))

    def again(self, state: State) -> bool:
        # No site this round (the site step, before this one, just set it), or a site whose rules
        # would find nothing (_Texts.settled): nothing to run, decided without the call, and the
        # lines need no count after it (most documents' later rounds).
        site = state.site
        return site is not None and not self._texts.settled(state, site)


class GenericRules:
    """Every generic rule file, as one set, after the site's rules."""

    name: ClassVar[str] = "generic-rules"

    def __init__(self, generic: RuleSet):
        self.generic = generic
        self._texts = _Texts()

    def __call__(self, state: State) -> None:
        positional_only = state.round > 0 and (not state.rewrites or self._texts.unchanged(state, self.generic))
        rows = None if positional_only else self._texts.full_run(state, self.generic)
        state.url = self.generic.apply(state.lines, state.url, state.meta, positional_only, state.deadline, rows)

    def again(self, state: State) -> bool:
        return not self._texts.settled(state, self.generic)  # (a later round, as SiteRules.again)
