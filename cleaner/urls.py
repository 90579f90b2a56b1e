"""URL helpers shared by rule matching and site keys (a bottom layer: imports nothing of cleaner)."""

from __future__ import annotations

from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The URL's host, lower case; empty for a URL that does not parse."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
