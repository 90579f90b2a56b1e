"""Which documents a site's rule file applies to: by URL (domains, globs) or a text signature."""

from __future__ import annotations

from fnmatch import fnmatchcase

from cleaner.rules.model import Match
from cleaner.rules.regex import Regex
from cleaner.urls import host_of


class SiteMatcher:
    def __init__(self, match: Match):
        self.domains = tuple(d.lower().lstrip(".") for d in match.domains)
        self.urls = tuple(match.urls)
        self.signature = Regex(match.signature) if match.signature else None
        self.signature_lines = match.signature_lines

    def by_url(self, url: str, host: str | None = None) -> bool:
        """Whether the URL is the site's; ``host``: the URL's, if the caller has it already."""
        host = host_of(url) if host is None else host
        if any(host == d or host.endswith("." + d) for d in self.domains):
            return True
        return any(fnmatchcase(url, glob) for glob in self.urls)
