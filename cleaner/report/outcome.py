"""What a run keeps of one cleaned document, rendered where it was cleaned: the record, the diff,
the review record and the counts. The pipeline makes it (pipeline/outcome.py); the summary and
the work directory read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cleaner.document import DocStats

# Which reports a run writes. "full": the per-file diffs, removals.jsonl and the review page
# beside the summary. "summary": summary.json and summary.md only, for a pipeline that cleans
# far more than anyone reviews line by line (the full reports are several times the input's
# size, and making them a fifth to a quarter of a run's time); the clean records are the same bytes.
Reports = Literal["full", "summary"]

# The review page's default budget, in bytes of input: within it, every changed document is on the
# page whole (a run of a sample corpus, a CI check of a rule change); past it, about that much of
# the input's documents are (some 5,000 web pages), so that the page of a whole crawl stays one
# that opens and can be read (whole, it was some 7 GB a million documents). removals.jsonl and the
# diffs hold every document whatever the budget.
REVIEW_BUDGET = 16 << 20


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
