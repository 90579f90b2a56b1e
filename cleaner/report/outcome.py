"""What a run keeps of one cleaned document, rendered where it was cleaned: the record, the diff,
the review record and the counts. The pipeline makes it (pipeline/outcome.py); the summary and
the work directory read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cleaner.document import DocStats


@dataclass(slots=True)
class Outcome:
    """Small and picklable: it crosses from a worker process to the writer."""

    id: str
    source: str
    record: bytes | None  # the JSONL line, None when the document ended up empty
    diff: bytes  # the .diff file's text (UTF-8), b"" when nothing changed
    review: dict[str, Any] | None  # the review record (report/review.py), for changed documents
    stats: DocStats
    flagged: bool = False  # lost more than the run's --flag-share of its characters
