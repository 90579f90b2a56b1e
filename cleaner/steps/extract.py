"""HTML to text: a site's CSS selectors removed with beautifulsoup4, then an ensemble of
extractors (trafilatura, readability-lxml, resiliparse) voting on each block of the page
(cleaner/steps/extract_vote.py), or trafilatura alone with ``fast``.

What the selectors removed, and the blocks that lost the vote, are kept as lines already
dropped by their rule in front of the extracted text: the diff report and the stats then show
them like any other removal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from cleaner.errors import CleanerError
from cleaner.steps.extract_vote import PRIMARY, vote

Favor = Literal["precision", "balanced", "recall"]
TITLE = "html.title"
META_FIELDS = ("title", "author", "date", "sitename")


class ExtractionError(CleanerError):
    """No extractor found main text, or extraction took too long."""


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    favor: Favor = "balanced"
    tables: bool = True
    comments: bool = False
    # trafilatura's fallback extractors (readability, jusText): None is on in the ensemble,
    # where its voters keep the precision they cost, and off with ``fast``.
    fallback: bool | None = None
    # trafilatura alone: the ensemble's voters cost about 1.3 times trafilatura's time.
    fast: bool = False


@dataclass(frozen=True, slots=True)
class Extracted:
    removed: list[tuple[str, str]]  # (rule id, line of text) that selectors or the vote took out
    text: str
    meta: dict[str, object]


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


def _text(tree: Any, main_content: bool) -> str:
    from resiliparse.extract.html2text import extract_plain_text  # HTML input only (start-up time)

    return extract_plain_text(
        tree,
        preserve_formatting=True,
        main_content=main_content,
        list_bullets=False,
        alt_texts=False,
        links=False,
        form_fields=False,
        noscript=False,
    )


def _readability(html: str) -> str:
    """readability-lxml's article, as text (resiliparse renders its HTML)."""
    from readability import Document as Readability
    from readability.readability import Unparseable
    from resiliparse.parse.html import HTMLTree

    try:
        summary = Readability(html).summary(html_partial=True)
    except Unparseable:  # readability wraps every failure in it; it then abstains
        return ""
    return _text(HTMLTree.parse(summary), main_content=False)


def _trafilatura(html: str, url: str | None, options: ExtractOptions, fallback: bool) -> tuple[str, dict[str, object]]:
    import trafilatura  # imported here: only HTML input pays for it (start-up time)

    result = trafilatura.bare_extraction(
        html,
        url=url,
        favor_precision=options.favor == "precision",
        favor_recall=options.favor == "recall",
        include_tables=options.tables,
        include_comments=options.comments,
        fast=not fallback,
        with_metadata=True,
        # htmldate's extensive search is most of the metadata's cost; the page's own
        # markup (meta tags, structured data, URL) still gives the date.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = getattr(result, "text", None) if result is not None else None
    meta: dict[str, object] = {
        name: value for name in META_FIELDS if isinstance(value := getattr(result, name, None), str) and value
    }
    return text or "", meta


def extract(
    html: str,
    url: str | None,
    selectors: list[tuple[str, str]],
    options: ExtractOptions,
    timeout: float | None,
) -> Extracted:
    removed: list[tuple[str, str]] = []
    with deadline(timeout):
        if selectors:  # only pages whose site has selectors pay for a second parse
            html, removed = strip_selectors(html, selectors)
        if options.fast:
            text, meta = _trafilatura(html, url, options, bool(options.fallback))
        else:
            from resiliparse.parse.html import HTMLTree

            main, meta = _trafilatura(html, url, options, options.fallback is not False)
            tree = HTMLTree.parse(html)
            blocks = [block.strip() for block in _text(tree, main_content=False).split("\n") if block.strip()]
            outputs = {PRIMARY: main, "readability": _readability(html), "resiliparse": _text(tree, main_content=True)}
            ballot, kept = vote(blocks, outputs, options.favor)
            removed += [(rule_id, block) for rule_id, block in ballot if rule_id is not None]
            text = "\n".join(block for rule_id, block in ballot if rule_id is None)
            if kept:
                meta["extractors"] = kept  # elected blocks by who kept them
    if not text:
        raise ExtractionError("found no main text")
    return Extracted(removed, text, meta)
