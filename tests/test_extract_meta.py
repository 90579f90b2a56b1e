"""The page's metadata (cleaner/steps/extract_meta.py): trafilatura's fields, for less."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from cleaner.io.web import decode_html
from cleaner.steps.extract_meta import DATE_PARAMS, META_FIELDS, metadata

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "html"
URLS = dict(line.split("\t") for line in (FIXTURES / "meta.tsv").read_text().splitlines())
PAGE = """<html><head><title>Ministers meet in Brussels | Example News</title>
<meta name="author" content="jdoe"><meta property="article:published_time" content="2022-03-04T10:00:00Z">
</head><body><h1>Ministers meet in Brussels</h1><p class="byline">By <a rel="author">Jane Doe</a></p>
<p>The foreign ministers of the alliance met in Brussels on Friday to discuss the situation on the border.</p>
</body></html>"""


def _trafilatura(tree: object, url: str | None) -> dict[str, object]:
    found = extract_metadata(tree, url, dict(DATE_PARAMS), False)  # type: ignore[arg-type]
    return {name: value for name in META_FIELDS if (value := getattr(found, name))}


def test_fields_of_an_invented_page() -> None:
    tree = load_html(PAGE)
    # A one-word author tag is a handle: the byline gives the name; the site comes from the URL.
    assert metadata(tree, "https://www.example.com/world/a") == {
        "title": "Ministers meet in Brussels",
        "author": "Jane Doe",
        "date": "2022-03-04",
        "sitename": "example.com",
    }
    # Without the byline search (--fast), only the markup's author counts, and a handle is none.
    assert metadata(tree, "https://www.example.com/world/a", byline=False) == {
        "title": "Ministers meet in Brussels",
        "date": "2022-03-04",
        "sitename": "example.com",
    }


@pytest.mark.parametrize("page_id", sorted(URLS))
def test_the_same_fields_as_trafilatura(page_id: str) -> None:
    page, _ = decode_html(gzip.decompress((FIXTURES / f"{page_id}.html.gz").read_bytes()))
    tree = load_html(page)
    assert metadata(tree, URLS[page_id]) == _trafilatura(load_html(page), URLS[page_id])
    assert metadata(load_html(PAGE), None) == _trafilatura(load_html(PAGE), None)
