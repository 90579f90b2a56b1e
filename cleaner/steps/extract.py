"""HTML to text: a site's CSS selectors removed with beautifulsoup4, then trafilatura.

What the selectors removed is kept, as lines already dropped by their rule, in front of the
extracted text: the diff report and the stats then show it like any other removal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from cleaner.errors import CleanerError

Favor = Literal["balanced", "precision", "recall"]
TITLE = "html.title"
META_FIELDS = ("title", "author", "date", "sitename")


class ExtractionError(CleanerError):
    """trafilatura found no main text, or took too long."""


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    favor: Favor = "balanced"
    tables: bool = True
    comments: bool = False
    # trafilatura's fallback extractors (readability, jusText): on scrapinghub-aeb they cost a
    # third of the time and lower precision, so they are off unless asked for.
    fallback: bool = False


@dataclass(frozen=True, slots=True)
class Extracted:
    removed: list[tuple[str, str]]  # (rule id, line of text) that selectors took out
    text: str
    meta: dict[str, str]


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise ExtractionError after ``seconds`` (where a timer signal can be used: the main
    thread of a process, which every worker and the CLI run in)."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise ExtractionError(f"extraction took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def strip_selectors(html: str, selectors: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """Remove every element matching a (rule id, CSS selector); return the HTML and what went."""
    from bs4 import BeautifulSoup  # imported here: only HTML input pays for it (start-up time)

    soup = BeautifulSoup(html, "lxml")
    removed: list[tuple[str, str]] = []
    for rule_id, selector in selectors:
        for element in soup.select(selector):
            if element.decomposed:
                continue  # inside an element an earlier selector removed
            for line in element.get_text("\n").split("\n"):
                if line.strip():
                    removed.append((rule_id, line.strip()))
            element.decompose()
    return str(soup), removed


def extract(
    html: str,
    url: str | None,
    selectors: list[tuple[str, str]],
    options: ExtractOptions,
    timeout: float | None,
) -> Extracted:
    import trafilatura  # imported here: only HTML input pays for it (start-up time)

    removed: list[tuple[str, str]] = []
    with deadline(timeout):
        if selectors:  # only pages whose site has selectors pay for a second parse
            html, removed = strip_selectors(html, selectors)
        result = trafilatura.bare_extraction(
            html,
            url=url,
            favor_precision=options.favor == "precision",
            favor_recall=options.favor == "recall",
            include_tables=options.tables,
            include_comments=options.comments,
            fast=not options.fallback,
            with_metadata=True,
            # htmldate's extensive search is most of the metadata's cost; the page's own
            # markup (meta tags, structured data, URL) still gives the date.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    text = getattr(result, "text", None) if result is not None else None
    if not text:
        raise ExtractionError("trafilatura found no main text")
    meta = {name: value for name in META_FIELDS if isinstance(value := getattr(result, name, None), str) and value}
    return Extracted(removed, text, meta)
