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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from cleaner.errors import CleanerError
from cleaner.steps.extract_meta import metadata
from cleaner.steps.extract_vote import PRIMARY, vote

Favor = Literal["precision", "balanced", "recall"]
TITLE = "html.title"
# Why a line went, for `cleaner explain` (cleaner/steps/reasons.py).
DESCRIPTIONS = {
    TITLE: "The page's headline at the top of its text: it is kept in meta.title, so the text does not say it twice.",
}


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
    # trafilatura alone (the ensemble's voters cost about as much again), and the author only
    # from the page's markup (meta tags, structured data), not searched for in its body.
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


@cache
def _readability_class() -> Any:
    """readability-lxml's Document, parsing without its cleaner's javascript pass.

    That pass deletes ``on*`` attributes and empties ``javascript:`` links: nothing of the text,
    but it rewrites every link of the page and is a third of readability's time on real pages
    (a tenth of the ensemble's). The rest of its ``_parse`` is kept as it is; links are not
    made absolute, which no text needs."""
    import logging
    from copy import copy

    from readability import Document as Readability
    from readability.cleaners import html_cleaner
    from readability.htmls import build_doc
    from readability.readability import REGEXES

    # readability logs every failure it abstains on with its traceback (log.exception), on
    # stderr through logging's last resort: the page's failure is cleaner's to report, once.
    logging.getLogger("readability.readability").disabled = True
    cleaner = copy(html_cleaner)
    cleaner.javascript = False

    class Quicker(Readability):  # type: ignore[misc]
        def _parse(self, input: str) -> Any:  # readability's signature
            doc, self.encoding = build_doc(input)
            for elem in doc.xpath("//*[@hidden]"):
                elem.drop_tree()
            for elem in doc.xpath("//*[@style]"):
                if REGEXES["displayNoneRe"].search(elem.get("style")):
                    elem.drop_tree()
            return cleaner.clean_html(doc)

    return Quicker


def _readability(html: str) -> str:
    """readability-lxml's article, as text (resiliparse renders its HTML)."""
    from readability.readability import Unparseable
    from resiliparse.parse.html import HTMLTree

    try:
        summary = _readability_class()(html).summary(html_partial=True)
    except Unparseable:  # readability wraps every failure in it; it then abstains
        return ""
    return _text(HTMLTree.parse(summary), main_content=False)


def _trafilatura(tree: Any, url: str | None, options: ExtractOptions, fallback: bool) -> str:
    import trafilatura  # imported here: only HTML input pays for it (start-up time)

    result = trafilatura.bare_extraction(
        tree,  # it works on a copy: the tree stays as parsed
        url=url,
        favor_precision=options.favor == "precision",
        favor_recall=options.favor == "recall",
        include_tables=options.tables,
        include_comments=options.comments,
        fast=not fallback,
        with_metadata=False,  # extract_meta.metadata: the four fields cleaner keeps, for less
    )
    text = getattr(result, "text", None) if result is not None else None
    return text or ""


def _parse(html: str) -> Any:
    """The page as trafilatura's lxml tree (None when there is none): parsed once for the
    metadata and the extraction."""
    from trafilatura.utils import load_html

    return load_html(html)


# The largest page extracted, in UTF-8 bytes (--max-page-bytes). The ensemble takes about 7 s a
# MB of page (a plain page of 4 MB: 31 s), so a larger page would not be done within the default
# 30 s --extract-timeout anyway; and the timer cannot stop a C call (libxml2's parse, resiliparse),
# which on a 50 MB page ran three minutes past it. trafilatura refuses pages over its own
# MAX_FILE_SIZE (20 MB) likewise.
MAX_PAGE_BYTES = 5 << 20


def page_bytes(html: str, cap: int) -> int | None:
    """The page's size in UTF-8 bytes when it is over ``cap``, else None (a page of no more than
    ``cap`` // 4 characters is not counted: no character takes more than 4 bytes)."""
    if len(html) <= cap // 4:
        return None
    size = len(html) if html.isascii() else len(html.encode("utf-8", "surrogatepass"))
    return size if size > cap else None


def extract(
    html: str,
    url: str | None,
    selectors: list[tuple[str, str]],
    options: ExtractOptions,
    timeout: float | None,
    max_bytes: int | None = MAX_PAGE_BYTES,
) -> Extracted:
    """The page's main text. A page over ``max_bytes`` (None: no limit) is refused, not parsed:
    an ExtractionError, the document's failure."""
    if max_bytes is not None and (size := page_bytes(html, max_bytes)) is not None:
        raise ExtractionError(f"page is {size} bytes, over --max-page-bytes {max_bytes}; not extracted")
    removed: list[tuple[str, str]] = []
    # The timer signal alone does not bound a page: readability catches the exception it raises
    # (its summary() returns nothing), trafilatura may too, and a C call (resiliparse) runs on
    # until it returns. So the clock is also read after every stage, and none starts past it.
    end = time.monotonic() + timeout if timeout else None

    def on_time() -> None:
        if end is not None and time.monotonic() > end:
            raise ExtractionError(f"extraction took longer than {timeout:g} s")

    with deadline(timeout):
        if selectors:  # only pages whose site has selectors pay for a second parse
            html, removed = strip_selectors(html, selectors)
            on_time()
        parsed = _parse(html)
        if parsed is None:
            raise ExtractionError("found no main text")
        on_time()
        meta = metadata(parsed, url, byline=not options.fast)
        on_time()
        if options.fast:
            text = _trafilatura(parsed, url, options, bool(options.fallback))
        else:
            from resiliparse.parse.html import HTMLTree

            deep = _depth(parsed) >= DEEP  # before trafilatura, which may change the tree's copy
            main = _trafilatura(parsed, url, options, options.fallback is not False)
            on_time()
            tree = HTMLTree.parse(html)
            blocks = [block.strip() for block in _text(tree, main_content=False).split("\n") if block.strip()]
            on_time()
            outputs = {PRIMARY: main, "readability": _readability(html)}
            on_time()
            # resiliparse's main_content takes time quadratic in the page's nesting (a page of
            # 5,000 nested <div>: 6.2 s; 20,000: 100 s) in C, which no timer interrupts: on
            # such a page it abstains and the two others vote.
            outputs["resiliparse"] = "" if deep else _text(tree, main_content=True)
            on_time()
            ballot, kept = vote(blocks, outputs, options.favor)
            removed += [(rule_id, block) for rule_id, block in ballot if rule_id is not None]
            text = "\n".join(block for rule_id, block in ballot if rule_id is None)
            if kept:
                meta["extractors"] = kept  # elected blocks by who kept them
        on_time()
    if not text:
        raise ExtractionError("found no main text")
    return Extracted(removed, text, meta)


# libxml2 (lxml, trafilatura's parser) nests elements at most 256 deep and puts deeper ones
# beside their parent, so a page whose lxml tree reaches this depth may be nested any deeper.
# resiliparse's main_content at this depth takes about 25 ms; real pages nest 20 to 60 deep.
DEEP = 250


def _depth(tree: Any) -> int:
    """How deep the lxml tree nests (a walk over its elements, about 0.1 us each)."""
    depths = {tree: 0}
    deepest = 0
    for element in tree.iter():
        parent = element.getparent()
        if parent is not None:
            # (.get: the tree may be an element under the document's root, as trafilatura's parse
            # of a page with text before <html> is, whose parent is then not among the walked)
            depth = depths[element] = depths.get(parent, 0) + 1
            deepest = max(deepest, depth)
    return deepest
