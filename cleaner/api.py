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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleaner.document import Cleaned, DocStats, Document
from cleaner.pipeline import Pipeline, Settings
from cleaner.records import build
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
        self.pipeline = Pipeline(RuleBook.load(rule_roots([Path(p) for p in rules], default_rules)), settings)

    def clean(self, text: str, url: str | None = None, meta: dict[str, Any] | None = None, id: str = "") -> Result:
        """Clean one text. Raises a ``cleaner.errors.CleanerError`` for a document the rules give
        up on (their time budget); any other exception is a bug."""
        cleaned = self.pipeline.clean(Document(id=id, text=text, source=id, url=url, meta=dict(meta or {})))
        return _result(cleaned)

    def clean_records(
        self,
        records: Iterable[dict[str, Any]],
        text_field: str = "text",
        url_field: str = "url",
        id_field: str = "id",
        keep_empty: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Each record with its text cleaned in place under ``text_field`` and cleaner's keys
        added or merged as the command line does (cleaner.records; README, "What a run writes"):
        ``url``, ``site``, ``meta`` and ``stats``; every other field is left as it is, in its
        place. ``id`` and ``source`` are not added (records handed over have no file and line).
        A record whose text ends up empty is skipped unless ``keep_empty``."""
        for record in records:
            url = record.get(url_field)
            doc_id = record.get(id_field)
            doc_id = "" if doc_id is None else str(doc_id)
            doc = Document(id=doc_id, text=record[text_field], source=doc_id, url=url if isinstance(url, str) else None)
            cleaned = self.pipeline.clean(doc)
            if cleaned.empty and not keep_empty:
                continue
            yield build(
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


def _result(cleaned: Cleaned) -> Result:
    removals = tuple(
        Removal(line.no, line.orig, line.dropped_by)
        for line in cleaned.lines
        if line.dropped_by is not None and line.orig.strip()
    )
    return Result(cleaned.text, cleaned.url, cleaned.site, cleaned.meta, removals, cleaned.stats())
