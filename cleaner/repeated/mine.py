"""The mining pass: every document cleaned as usual, the lines it keeps counted per site key."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cleaner.errors import Problem
from cleaner.outcome import cleaned_or_problem
from cleaner.parallel import Task, clean_events, events, tick
from cleaner.pipeline import Pipeline
from cleaner.readers import Fields, InputFile, Limits
from cleaner.repeated.boilerplate import Boilerplate, Thresholds
from cleaner.repeated.keys import line_hash, site_hash, site_prefix


@dataclass(frozen=True, slots=True)
class Mined:
    key: str | None
    hashes: list[int]  # distinct, sorted: a line counts once per document


def mine_one(pipeline: Pipeline, task: Task) -> Mined | Problem:
    """What the rules and steps leave of the document is what may repeat (run in workers)."""
    cleaned = cleaned_or_problem(pipeline, task.doc)  # a Problem is reported by the cleaning pass
    if isinstance(cleaned, Problem):
        return cleaned
    if cleaned.key is None:
        return Mined(None, [])
    prefix = site_prefix(cleaned.key)
    return Mined(
        cleaned.key, sorted({line_hash(prefix, line.text) for line in cleaned.lines if line.alive and not line.blank})
    )


def mine(
    items: list[InputFile],
    pipeline: Pipeline,
    thresholds: Thresholds,
    fields: Fields | None = None,
    limits: Limits | None = None,
    workers: int = 1,
    spill_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Boilerplate:
    """Count every kept line of every document per site key; the lines frequent enough are
    the site's boilerplate. Counting order does not matter, so any worker count finds the same."""
    from cleaner.repeated.counts import LineCounts  # numpy: only runs that mine pay for importing it

    miner = pipeline.with_repeated(None, keys=True)
    todo = list(enumerate(items))
    with tempfile.TemporaryDirectory(prefix=".cleaner-mine-", dir=spill_dir) as tmp:
        counts = LineCounts(Path(tmp))
        for result in clean_events(events(todo, fields or Fields(), limits or Limits()), miner, workers, mine_one):
            if isinstance(result, Mined) and result.key is not None:
                counts.add(site_hash(result.key), result.hashes)
            tick(result, progress)
        return Boilerplate.from_counts(counts, thresholds)
