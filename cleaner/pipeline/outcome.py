"""What the run keeps of one cleaned document: computed where the document was cleaned."""

from __future__ import annotations

import re

from cleaner.document import Cleaned, Document
from cleaner.errors import CleanerError, Problem, RecordError
from cleaner.pipeline.clean import Pipeline
from cleaner.report import diff, review
from cleaner.report.outcome import Outcome


def outcome(cleaned: Cleaned, pipeline: Pipeline, with_html: bool = True) -> Outcome:
    empty = not cleaned.text
    settings = pipeline.settings
    full = settings.reports == "full"  # else no diff and no review record: the summary's counts only
    with_html = with_html and full
    rows = review.MAX_LINE_CHARS if with_html else -1  # the review rows made in the stats' walk
    record = None if empty else cleaned.record_line(rows)  # first: it counts the stats' lines_out in its walk
    stats = cleaned.stats(rows)
    changed = stats.changed  # (Cleaned.changed, asked once: render_bytes would ask again)
    chars_in = stats.chars_in
    doc = cleaned.doc
    # Outcome's fields by position: a class called with keywords has them put in a dict first.
    return Outcome(
        doc.id,
        doc.source,
        record,
        diff.render_changed(cleaned, settings.layout) if changed and full else b"",  # (diff.render_bytes)
        review.record_data(cleaned) if with_html and changed else None,  # (html.section's)
        stats,
        # flagged: it lost more than the run's share of its characters (not empty)
        not empty and chars_in > 0 and chars_in - stats.chars_out > settings.flag_share * chars_in,
    )


def _failed(doc: Document, message: str) -> Problem:
    """A document's failure at its file and line, as a read failure is placed (a record's source
    is ``<file>:<line>``): summary.json's failures then have one shape, whatever failed."""
    suffix = f":{doc.line}"
    if doc.line is not None and doc.source.endswith(suffix):
        return Problem(doc.source[: -len(suffix)], doc.line, message)
    return Problem(doc.source, None, message)


def cleaned_or_problem(pipeline: Pipeline, doc: Document) -> Cleaned | Problem:
    """Clean one document; a failure becomes the document's Problem, and the run goes on."""
    try:
        return pipeline.clean(doc)
    except CleanerError as exc:  # an expected failure (a page with no text): its own words
        return _failed(doc, str(exc))
    except Exception as exc:  # a bug: say what broke, and clean the next document
        return _failed(doc, f"cleaning failed: {_said(exc)}")


def clean_one(pipeline: Pipeline, doc: Document, with_html: bool = True) -> Outcome | Problem:
    """One document's Outcome, or its Problem: a failure while making its record, diff or review
    costs that document, as a failure while cleaning it does, never the run. (Raised in a worker,
    it would end the run; and the same document fails the same way in any process, so the
    outputs stay the same bytes whatever --workers.)"""
    cleaned = cleaned_or_problem(pipeline, doc)
    if isinstance(cleaned, Problem):
        return cleaned
    try:
        return outcome(cleaned, pipeline, with_html)
    except RecordError as exc:  # a record JSON cannot carry: its own words
        return _failed(doc, f"cannot write its record: {exc}")
    except Exception as exc:  # a bug: say what broke, and go on to the next document
        return _failed(doc, f"writing its outcome failed: {_said(exc)}")


# An object's address in its repr (<Element html at 0x7f...>): another in every run.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _said(exc: Exception) -> str:
    """An unexpected error as its message says it, without the addresses that would make the
    message, and so the run's failure list, differ from run to run."""
    return _ADDRESS.sub("", f"{type(exc).__name__}: {exc}")
