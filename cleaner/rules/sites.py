"""Which documents a site's rule file applies to: by URL (domains, globs) or a text signature."""

from __future__ import annotations

from cleaner.rules import prefilter
from cleaner.rules.model import Match, matched_domain
from cleaner.rules.regex import Regex
from cleaner.urls import UrlGlob, host_of


class SiteMatcher:
    def __init__(self, match: Match):
        self.domains = tuple(map(matched_domain, match.domains))
        self.urls = tuple(UrlGlob(glob) for glob in match.urls)  # (each checked when the file was validated)
        self.signature = Regex(match.signature) if match.signature else None
        self.signature_lines = match.signature_lines
        self._needs: list[str] | bool | None = False  # what a text the signature matches holds (see may_match)

    def by_url(self, url: str, host: str | None = None) -> bool:
        """Whether the URL is the site's; ``host``: the URL's, if the caller has it already."""
        return self.by_domain(host_of(url) if host is None else host) or self.by_glob(url)

    def by_domain(self, host: str) -> bool:
        """Whether the host is one of the site's domains or under one."""
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def by_glob(self, url: str) -> bool:
        """Whether the URL matches one of the site's URL globs."""
        return any(glob.matches(url) for glob in self.urls)

    def needs(self) -> list[str] | None:
        """The strings (folded) one of which every text the signature matches holds; None: no such list."""
        if self._needs is False:
            found = prefilter.factors(self.signature.pattern) if self.signature is not None else None
            self._needs = (
                None if found is None else [("\n" if start else "") + s for strings, start in found for s in strings]
            )
        return self._needs  # type: ignore[return-value]

    def may_match(self, text: str) -> bool:
        """False when the signature cannot match ``text`` (lines joined): it lacks every string
        one of which each match holds (prefilter.factors, looked for in the folded text)."""
        needs = self.needs()
        if needs is None:
            return True
        folded = _folded(text)
        return any(need in folded for need in needs)


# The last texts folded, and their folds: every site's signature looks at the same first lines of
# a document (RuleBook.site_by_signature passes each site with the same signature_lines the one
# string), folded once for all. A few are kept: sites that look at 2, 3 or 4 lines alternate.
# (Held here, so a text looked up by identity is alive: its id is not reused.)
_KEEP = 4
_last: list[tuple[str, str]] = []


def _folded(text: str) -> str:
    """``text`` folded, with a newline before it (so a need that starts a line is found at its start)."""
    for seen, folded in _last:
        if seen is text:
            return folded
    folded = prefilter.fold("\n" + text)
    if len(_last) >= _KEEP:
        del _last[0]
    _last.append((text, folded))
    return folded


def fold_lines(folded: list[str], n: int) -> str:
    """What ``_folded`` gives for the first ``n`` lines joined, from the lines folded one by one
    (``prefilter.fold``: one fold of each line serves every site, whatever its line count). The
    same text: folding is by character but for a capital sigma, whose final form depends on the
    letters around it, which a newline cuts off as the end of the text does (and which fold
    makes the one sigma anyway); tests/test_rules_fast.py checks it."""
    return "\n" + "\n".join(folded[:n])
