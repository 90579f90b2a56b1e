"""host_of: its fast path reads every URL's host exactly as urlsplit does."""

from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

import pytest

from cleaner import urls
from cleaner.urls import host_of


def by_urlsplit(url: str) -> str:
    """urlsplit's host, and for a URL written without its scheme ("example.org/x": urlsplit reads
    it all as a path), the host of the URL with "//" before it (its first part, when that has a dot)."""
    try:
        parts = urlsplit(url)
        if parts.hostname is None and not parts.scheme and not url.startswith("/") and "." in url.split("/")[0]:
            parts = urlsplit("//" + url)
        return (parts.hostname or "").lower()
    except ValueError:
        return ""


CASES = [
    ("https://News.Example.COM/a/b?c=1#d", "news.example.com"),
    ("http://example.org", "example.org"),
    ("http://example.org:8080/x", "example.org"),
    ("https://user:pw@Example.org:99/", "example.org"),
    ("http://[::1]:80/x", "::1"),
    ("http://[::1/x", ""),  # unbalanced bracket: urlsplit raises
    ("http://Ex%41mple.org/", "ex%41mple.org"),
    ("http://a.b\t.c/x", "a.b.c"),  # a tab is deleted before the split
    ("  https://lead.example/x", "lead.example"),
    ("https://trail.example/x  ", "trail.example"),
    ("http:///path", ""),
    ("http://?q", ""),
    ("http://host#frag", "host"),
    ("HTTPS://Upper.Example/", "upper.example"),
    ("ftp://files.example/x", "files.example"),
    ("https://bücher.example/", "bücher.example"),
    ("//no.scheme/x", "no.scheme"),
    ("example.org/x", "example.org"),  # no scheme: the host first (before, "": no site matched it)
    ("WWW.Example.org/x?q=1", "www.example.org"),
    ("mailto:a@example.org", ""),  # a scheme of no host
    ("index/x", ""),  # no dot: no host
    ("https://host:port/x", "host"),
    ("", ""),
]


@pytest.mark.parametrize(("url", "host"), CASES)
def test_host_of_reads_the_host_as_urlsplit_does(url: str, host: str) -> None:
    assert by_urlsplit(url) == host
    assert host_of(url) == host


def test_the_fast_path_takes_plain_urls_and_leaves_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(urls, "_host_by_urlsplit", lambda url: asked.append(url) or by_urlsplit(url))
    assert host_of("https://News.Example.COM:443/a?b#c") == "news.example.com"
    assert asked == []  # a plain URL: no urlsplit
    for url in ("https://u@host/", "http://[::1]/", "http://a\tb/", "HTTP://x/", "https://bücher.example/"):
        host_of(url)
    assert len(asked) == 5


def test_host_of_agrees_with_urlsplit_on_random_urls() -> None:
    pieces = ["http", "https", "HTTP", ":", "//", "/", "?", "#", "@", "[", "]", "%", ":80", "\t", "\n", " ", "\x00",
              "a", "B", "ex.org", "ü", "-", ".", "x:y", "::1", "\r"]  # fmt: skip
    rng = random.Random(15)
    for _ in range(20000):
        url = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        assert host_of(url) == by_urlsplit(url), url
    for _ in range(5000):
        url = rng.choice(["http://", "https://"]) + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 7)))
        assert host_of(url) == by_urlsplit(url), url


NEWS = "https://*.example.com/news/*"
GLOBS = [
    # Another site's page naming the site's URL: in its query, or its host in the path.
    (NEWS, "https://www.other.org/share?u=https://www.example.com/news/1", False),
    (NEWS, "https://other.org/a.example.com/news/x", False),
    (NEWS, "https://other.org/news/x?next=https://www.example.com/news/1", False),
    (NEWS, "https://www.example.com.other.org/news/1", False),  # the host glob is anchored
    (NEWS, "https://www.example.com@other.org/news/1", False),  # a user name is not the host
    (NEWS, "https://www.example.com/share?u=/news/1", False),  # the query is no path
    (NEWS, "https://www.example.com/other/news/1", False),  # the path glob is anchored too
    # The site's pages: any subdomain, any depth under /news/, a query, a port, any case of host.
    (NEWS, "https://www.example.com/news/1", True),
    (NEWS, "https://a.b.example.com/news/1", True),
    (NEWS, "https://www.example.com/news/a/b", True),
    (NEWS, "https://www.example.com/news/1?page=2#top", True),
    (NEWS, "https://www.example.com:8443/news/1", True),
    (NEWS, "https://WWW.Example.COM/news/1", True),
    (NEWS, "https://example.com/news/1", False),  # "*." is a subdomain: list the domain for it
    (NEWS, "http://www.example.com/news/1", False),  # the scheme as written...
    ("*://www.example.com/news/*", "http://www.example.com/news/1", True),  # ...or any
    ("http*://www.example.com/news/*", "https://www.example.com/news/1", True),
    (NEWS, "https://www.example.com/News/1", False),  # paths keep their case
    ("https://www.example.com:8443/*", "https://www.example.com:8443/a", True),  # a port written is matched
    ("https://www.example.com:8443/*", "https://www.example.com/a", False),
    ("https://www.example.com", "https://www.example.com/", True),  # no path is the root
    ("https://www.example.com", "https://www.example.com/a", False),
    ("https://www.example.com/search?q=*", "https://www.example.com/search?q=x", True),  # a query written is matched
    ("https://www.example.com/search?q=*", "https://www.example.com/search?p=x", False),
    ("https://www.example.com/search?q=*", "https://www.example.com/search", False),
    ("https://*/news/*", "https://anything.example/news/1", True),
    (NEWS, "https://www.example.com:port/news/1", False),  # no URL: a port that is no number
    (NEWS, "not a url", False),
]


@pytest.mark.parametrize(("glob", "url", "expected"), GLOBS)
def test_a_url_glob_matches_each_part_of_the_url_in_its_own_part(glob: str, url: str, expected: bool) -> None:
    assert urls.UrlGlob(glob).matches(url) is expected


@pytest.mark.parametrize(
    ("glob", "message"),
    [
        ("*.example.com/news/*", "URL glob '*.example.com/news/*' needs a scheme: 'https://...', or '*://...' for any"),
        ("https:///news/*", "URL glob 'https:///news/*' needs a host, '*' for any"),
        ("https://example.com/a#b", "URL glob 'https://example.com/a#b' has a '#': a URL's fragment is never matched"),
        (
            "https://u@example.com/*",
            "URL glob 'https://u@example.com/*' has a '@': globs match the host, not user names",
        ),
    ],
)
def test_a_url_glob_that_does_not_read_as_a_url_is_refused(glob: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        urls.UrlGlob(glob)
