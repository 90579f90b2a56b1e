"""A page's title, author, date and site name, from trafilatura's metadata functions.

``trafilatura.extract_metadata`` also finds categories, tags and a licence, which cleaner does not
keep: on real pages those searches (XPath over every link of the page) are two fifths of its time,
and its metadata is a third of trafilatura's whole extraction. This runs the same steps, in the
same order, for the four fields cleaner keeps, so they come out as ``extract_metadata`` gives them
(tests/test_extract_meta.py holds them equal).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

META_FIELDS = ("title", "author", "date", "sitename")
# htmldate's extensive search is most of the date's cost; the page's own markup (meta tags,
# structured data, URL) still gives it.
DATE_PARAMS: dict[str, Any] = {"extensive_search": False, "original_date": True}


def metadata(tree: Any, url: str | None, byline: bool = True) -> dict[str, object]:
    """The fields of META_FIELDS found on ``tree`` (an lxml tree, left unchanged). Without
    ``byline``, the author comes from the page's markup only (meta tags, structured data), not
    from a search of its body: that search, on a copy of the page, is half of the rest's time."""
    from htmldate import find_date
    from trafilatura import metadata as tm

    found = tm.examine_meta(tree)
    if found.author and " " not in found.author:  # a handle or a single word is not an author's name
        found.author = None
    with suppress(Exception):  # trafilatura guards its JSON-LD reader the same way (its bugs)
        found = tm.extract_meta_json(tree, found)
    title = found.title or tm.extract_title(tree)
    author = found.author or (tm.extract_author(tree) if byline else None)
    page_url = found.url or tm.extract_url(tree, url)
    date = find_date(tree, **DATE_PARAMS, url=page_url)
    sitename = found.sitename or tm.extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")  # a Twitter handle
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    elif page_url and (match := tm.META_URL.match(page_url)):
        sitename = match[1]
    found.title, found.author, found.date, found.sitename = title, author, date, sitename
    found.clean_and_trim()  # as extract_metadata leaves them: trimmed, unescaped, length-capped
    return {name: value for name in META_FIELDS if isinstance(value := getattr(found, name), str) and value}
