"""URL helpers shared by rule matching and site keys: a URL's host, site files' domains and URL globs (a bottom layer: imports nothing of cleaner)."""

from __future__ import annotations

import fnmatch
import re
from urllib.parse import urlsplit

# An http(s) URL whose host urlsplit would read off plainly: ASCII (no IDNA check), no tab or
# newline (which urlsplit deletes first), and a netloc (up to the first "/", "?" or "#") with no
# user, no bracketed IPv6 and no "%" zone. Its host is the netloc up to a ":", lower case.
_PLAIN = re.compile(r"https?://([^/?#@\[\]%\t\r\n]*)(?:[/?#][^\t\r\n]*)?", re.ASCII)


def host_of(url: str) -> str:
    """The URL's host, lower case; empty for a URL that does not parse."""
    if url.isascii() and (plain := _PLAIN.fullmatch(url)) is not None:
        return plain[1].partition(":")[0].lower()  # (urlsplit's, a fifth of the time: tests/test_urls.py)
    return _host_by_urlsplit(url)


def _host_by_urlsplit(url: str) -> str:
    """host_of the long way (every URL the fast path leaves to it). A URL written without its
    scheme, as some datasets store them ("www.example.com/a"), has its host first: urlsplit reads
    it all as a path, and no site's domain matched it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        if host is None and not parts.scheme and not url.startswith("/") and "." in url.partition("/")[0]:
            host = urlsplit("//" + url).hostname
        return (host or "").lower()
    except ValueError:
        return ""


# What no host holds, each with what it says a domain has instead (``domain_problem``), in the
# order they are told: a URL says more than the "/" it has.
_NOT_IN_HOSTS = (
    ("://", "a URL"),
    ("*", "a wildcard"),
    ("/", "a path"),
    ("?", "a query"),
    ("#", "a fragment"),
    ("@", "a user name"),
    ("[", "brackets"),
    (":", "a port"),
)
_HOST = re.compile(r"\.?[^\s/:*?#@\[\]%\\.]+(?:\.[^\s/:*?#@\[\]%\\.]+)*")  # labels, a leading "." (see domain_problem)


def domain_problem(domain: str) -> str | None:
    """What is wrong with ``domain`` as a site file's ``domains`` entry, with how to write it;
    None for a host name, which holds that host and its subdomains (a leading "." changes nothing),
    or an IPv6 address. Anything else would never be a URL's host, so it would match no page (and
    '' matched the pages of no host): '*.example.com', 'https://example.com', 'example.com/',
    'example.com:8080', ' example.com'."""
    if _HOST.fullmatch(domain) or (":" in domain and _ipv6(domain)):
        return None
    if not domain.strip():
        what = "empty"
    elif domain != domain.strip():
        what = "spaces around it"
    elif any(char.isspace() for char in domain):
        what = "a space"
    else:
        what = next((said for part, said in _NOT_IN_HOSTS if part in domain), "not a host name")
    host = _host_in(domain)
    how = f"the host alone: {host}" if host and host != domain else "a host alone, as example.com"
    return f"{domain!r} is not a host ({what}): write {how}; it covers its subdomains"


def _ipv6(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _host_in(domain: str) -> str | None:
    """The host a ``domains`` entry that is no host seems to mean (the host of a URL, without
    its port, a wildcard's label, spaces or dots around it), lower case; None when that is no
    host either."""
    text = domain.strip()
    text = text.partition("://")[2] if "://" in text else text
    text = re.split(r"[/?#]", text, maxsplit=1)[0].rpartition("@")[2].partition(":")[0]
    text = text.lstrip("*.").rstrip(".").lower()
    return text if _HOST.fullmatch(text) else None


class UrlGlob:
    """A site file's URL glob, ``SCHEME://HOST[:PORT][PATH][?QUERY]``, read as a URL is read and
    matched part by part against the URL's parts, each part whole (fnmatch's ``*`` and ``[...]``).

    One glob over the whole URL let ``*`` run across ``/``, ``?`` and the host, so a site's glob
    matched another site's pages (``https://other.example/share?u=https://www.site.example/news/1``
    for ``https://*.site.example/news/*``). Here a ``*`` in the host stays in the URL's host
    (``*.site.example``: any subdomain, not the bare domain), a ``*`` in the path may cross ``/``
    (``/news/*`` holds ``/news/a/b``) but only over the path, and the query is matched only when
    the glob has one (``?`` starts it, as in a URL; it is no wildcard). A glob without a port
    holds every port, as ``domains`` does; the scheme and host are matched in lower case."""

    __slots__ = ("_host", "_path", "_port", "_query", "_scheme", "glob")

    def __init__(self, glob: str):
        self.glob = glob
        scheme, sep, rest = glob.partition("://")
        if not sep or not scheme:
            raise ValueError(f"URL glob {glob!r} needs a scheme: 'https://...', or '*://...' for any")
        if "#" in rest:
            raise ValueError(f"URL glob {glob!r} has a '#': a URL's fragment is never matched")
        cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        netloc, rest = rest[:cut], rest[cut:]
        if "@" in netloc:
            raise ValueError(f"URL glob {glob!r} has a '@': globs match the host, not user names")
        host, colon, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
        if not host:
            raise ValueError(f"URL glob {glob!r} needs a host, '*' for any")
        path, question, query = rest.partition("?")
        self._scheme = _part(scheme.lower())
        self._host = _part(host.lower())
        self._port = _part(port) if colon else None
        self._path = _part(path or "/")  # no path is the root, as in the URL
        self._query = _part(query) if question else None

    def matches(self, url: str) -> bool:
        """Whether ``url`` is one of the glob's: every part of the glob matches that part whole."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:  # (an unbalanced "[" or a port that is no number: no URL to match)
            return False
        return bool(
            self._scheme.match(parts.scheme)
            and self._host.match((parts.hostname or "").lower())
            and (self._port is None or self._port.match("" if port is None else str(port)))
            and self._path.match(parts.path or "/")
            and (self._query is None or self._query.match(parts.query))
        )


def _part(glob: str) -> re.Pattern[str]:
    """One part of a URL glob as a regex matching a whole string (fnmatch's translation)."""
    return re.compile(fnmatch.translate(glob))
