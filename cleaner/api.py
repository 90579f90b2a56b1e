"""The Python API: build a cleaner once, then clean texts or records with it.

    from cleaner import Cleaner
    c = Cleaner()                                  # the shipped rules
    result = c.clean("Skip to content\\nThe minister resigned.\\n", url="https://example.com/a")
    result.text, result.removed                    # clean text; {rule id: lines}
    for record in c.clean_records(records):        # lazily, one record at a time
        ...

The command line builds the same object (``Cleaner.pipeline`` is what a run hands to its engine).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from cleaner.document import Cleaned, DocStats, Document
from cleaner.errors import CleanerError, InputError, RecordFailed, UsageError
from cleaner.pipeline import Pipeline, Settings
from cleaner.pipeline.clean import EXTRACTED, extracted_before
from cleaner.records import build, id_text, json_kind
from cleaner.rules.book import RuleBook
from cleaner.rules.load import rule_roots


@dataclass(frozen=True, slots=True)
class Removal:
    """One removed line: its 1-based number in the input, its text, and the rule that removed it."""

    line: int
    text: str
    rule: str


@dataclass(frozen=True, slots=True)
class Result:
    """What cleaning one text gave."""

    text: str  # the clean text ("" when everything was boilerplate)
    url: str | None  # the given URL, or one a rule extracted
    site: str | None  # the site rule file that matched
    meta: dict[str, Any]  # fields rules extracted (date, author, ...)
    removals: tuple[Removal, ...]  # every removed non-blank line, in order
    stats: DocStats

    @property
    def removed(self) -> dict[str, int]:
        """Lines removed per rule id."""
        return self.stats.removed


class Cleaner:
    """Rules and settings, loaded and compiled once; thread-compatible (one per thread) and
    picklable, so it can be shipped to worker processes."""

    def __init__(
        self,
        rules: Iterable[str | Path] = (),
        *,
        default_rules: bool = True,
        settings: Settings | None = None,
    ):
        if isinstance(rules, str | Path):  # one path, not the characters of one
            rules = [rules]
        _check(settings, "settings", Settings, optional=True)
        try:
            paths = [Path(p) for p in rules]
        except TypeError:  # (not an iterable of paths: None, a number, a path that is a number)
            raise InputError(f"rules must be paths of rule files or directories, not {rules!r}", "rules") from None
        self.pipeline = Pipeline(RuleBook.load(rule_roots(paths, default_rules)), settings)

    def clean(self, text: str, url: str | None = None, meta: dict[str, Any] | None = None, id: str = "") -> Result:
        """Clean one text. Raises a ``cleaner.errors.InputError`` for an argument of the wrong
        type (naming it), a ``cleaner.errors.CleanerError`` for a document the rules give up on
        (their time budget); any other exception is a bug."""
        _check(text, "text", str)
        _check(url, "url", str, optional=True)
        _check(meta, "meta", dict, optional=True)
        _check(id, "id", str)
        cleaned = self.pipeline.clean(Document(id=id, text=text, source=id, url=url, meta=dict(meta or {})))
        return _result(cleaned)

    def clean_records(
        self,
        records: Iterable[dict[str, Any]],
        text_field: str = "text",
        url_field: str = "url",
        id_field: str = "id",
        keep_empty: bool = False,
        errors: Errors = "raise",
        on_error: Callable[[RecordFailed], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Each record with its text cleaned in place under ``text_field`` and cleaner's keys
        added or merged as the command line does (cleaner.records; README, "What a run writes"):
        ``url``, ``site``, ``meta`` and ``stats``; every other field is left as it is, in its
        place. ``id`` and ``source`` are not added (records handed over have no file and line).
        A record whose text ends up empty is skipped unless ``keep_empty``. A ``url_field`` that
        is not a string is ignored (and kept, cleaner's url going under ``cleaner_url``).

        A record that cannot be cleaned (not a dict, no ``text_field``, text not a string, rules
        over their time budget) is a ``cleaner.errors.RecordFailed`` naming its 0-based index:
        ``errors="raise"`` raises it and the stream ends there; ``"skip"`` leaves the record out
        and ``"keep"`` yields it unchanged (as the datatrove step keeps a failed document), both
        going on with the next record, as the command line does, and reporting each failure to
        ``on_error`` (default: a warning on the ``cleaner`` logger). With those two any exception
        costs only its record."""
        if errors not in ERRORS:  # here, when called, not at the first record
            raise UsageError(f"errors={errors!r}: expected one of {', '.join(map(repr, ERRORS))}")
        if isinstance(records, str | bytes | dict) or not isinstance(records, Iterable):
            raise InputError(f"records must be an iterable of records (dicts), not {type(records).__name__}", "records")
        for name, value in (("text_field", text_field), ("url_field", url_field), ("id_field", id_field)):
            _check(value, name, str)
        if on_error is not None and not callable(on_error):
            raise InputError(
                f"on_error must be a function of one RecordFailed, not {type(on_error).__name__}", "on_error"
            )
        return self._records(records, text_field, url_field, id_field, keep_empty, errors, on_error)

    def _records(
        self,
        records: Iterable[Any],
        text_field: str,
        url_field: str,
        id_field: str,
        keep_empty: bool,
        errors: Errors,
        on_error: Callable[[RecordFailed], None] | None,
    ) -> Iterator[dict[str, Any]]:
        for index, record in enumerate(records):
            try:
                out = self._clean_record(record, text_field, url_field, id_field, keep_empty)
            except Exception as exc:  # skip/keep: a failure, whatever it is, costs only its record
                if errors == "raise" and not isinstance(exc, CleanerError):
                    raise  # a bug: its own traceback, not wrapped
                failed = RecordFailed(index, exc)
                if errors == "raise":
                    raise failed from exc
                failed.__cause__ = exc
                (on_error or _log_failure)(failed)
                if errors == "keep":
                    yield record
                continue
            if out is not None:
                yield out

    def _clean_record(
        self, record: Any, text_field: str, url_field: str, id_field: str, keep_empty: bool
    ) -> dict[str, Any] | None:
        """One record's output, or None for one whose text ends up empty (not ``keep_empty``)."""
        if not isinstance(record, dict):
            raise InputError(f"not a record (a dict) but {type(record).__name__}")
        if text_field not in record:
            raise InputError(f"no {text_field!r} field", text_field)
        text = record[text_field]
        if not isinstance(text, str):
            raise InputError(f"field {text_field!r} is {json_kind(text)}, not a string", text_field)
        url = record.get(url_field)
        doc_id = record.get(id_field)
        doc_id = "" if doc_id is None else id_text(doc_id)
        # A record cleaner wrote from a page is cleaned as a page's text (its meta says so), as
        # the command line cleans it: cleaning the output again then changes nothing.
        meta = {EXTRACTED: "html"} if extracted_before(record.get("meta")) else {}
        doc = Document(id=doc_id, text=text, source=doc_id, url=url if isinstance(url, str) else None, meta=meta)
        cleaned = self.pipeline.clean(doc)
        if cleaned.empty and not keep_empty:
            return None
        return build(
            record,
            text=cleaned.text,
            url=cleaned.url,
            site=cleaned.site,
            meta=cleaned.meta,
            stats=cleaned.stats(),
            text_field=text_field,
            id_field=id_field,
            url_field=url_field,
        )


Errors = Literal["raise", "skip", "keep"]
ERRORS: tuple[str, ...] = get_args(Errors)
_log = logging.getLogger("cleaner")


def _log_failure(failed: RecordFailed) -> None:
    _log.warning("clean_records: %s", failed)


def _check(value: Any, name: str, kind: type, optional: bool = False) -> None:
    """An argument of ``clean`` of the wrong type is an InputError naming it, not a TypeError
    or AttributeError from deep inside the pipeline."""
    if (value is None and optional) or isinstance(value, kind):
        return
    expected = f"{kind.__name__} or None" if optional else kind.__name__
    raise InputError(f"{name} must be a {expected}, not {type(value).__name__}", name)


def _result(cleaned: Cleaned) -> Result:
    removals = tuple(
        Removal(line.no, line.orig, line.dropped_by)
        for line in cleaned.lines
        if line.dropped_by is not None and line.orig.strip()
    )
    return Result(cleaned.text, cleaned.url, cleaned.site, cleaned.meta, removals, cleaned.stats())
