"""host_of: its fast path reads every URL's host exactly as urlsplit does."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from cleaner import urls
from cleaner.urls import host_of


def by_urlsplit(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
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
    ("example.org/x", ""),
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
