"""The mining pass: every document cleaned as usual, the lines it keeps counted per site key."""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from cleaner import faults
from cleaner.errors import Problem
from cleaner.io.readers import SPILL_PREFIX, Fields, InputFile, Limits
from cleaner.io.stdio import scratch
from cleaner.pipeline.clean import Pipeline
from cleaner.pipeline.outcome import cleaned_or_problem
from cleaner.pipeline.parallel import Task, clean_events, events, tick
from cleaner.repeated.boilerplate import Boilerplate, Thresholds
from cleaner.repeated.keys import line_hash, site_hash, site_prefix
from cleaner.repeated.spread import GENERIC_PREFIX, SeenDocuments, SiteSpread


@dataclass(frozen=True, slots=True)
class Mined:
    key: str | None
    hashes: list[int]  # distinct, sorted: a line counts once per document
    generic: list[int] = field(default_factory=list)  # the same lines hashed for counting across sites


def mine_one(pipeline: Pipeline, task: Task) -> Mined | Problem:
    """What the rules and steps leave of the document is what may repeat (run in workers)."""
    cleaned = cleaned_or_problem(pipeline, task.doc)  # a Problem goes to mine's on_problem
    if isinstance(cleaned, Problem):
        return cleaned
    if cleaned.key is None:
        return Mined(None, [])
    prefix = site_prefix(cleaned.key)
    kept = [line.text for line in cleaned.lines if line.alive and not line.blank]
    return Mined(
        cleaned.key,
        sorted({line_hash(prefix, text) for text in kept}),
        sorted({line_hash(GENERIC_PREFIX, text) for text in kept}),
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
    on_problem: Callable[[Problem], None] | None = None,
) -> Boilerplate:
    """Count every kept line of every document per site key, and on how many sites it occurs;
    the lines frequent enough are the site's boilerplate, or every site's. A document seen
    before (same site key, same kept lines: a crawl's duplicate page) is counted once.
    Counting order does not matter, so any worker count finds the same.

    Each document that cannot be read or cleaned is handed to ``on_problem``: `cleaner suggest`
    reports it there; `clean --drop-repeated` gives none, since its cleaning pass reads the same
    input and reports the same problems.

    The counts spill into ``spill_dir`` (a run's work directory, which it sweeps), else into a
    scratch directory of the temp directory (io/stdio.py): one a SIGKILL left there, counts and
    all, is removed by the next run that makes one (`suggest`, `explain --drop-repeated`)."""
    from cleaner.repeated.counts import LineCounts  # numpy: only runs that mine pay for importing it

    miner = pipeline.with_repeated(None, keys=True)
    todo = list(enumerate(items))
    with (
        nullcontext(spill_dir) if spill_dir is not None else scratch() as where,
        tempfile.TemporaryDirectory(prefix=SPILL_PREFIX, dir=where) as tmp,
    ):
        counts = LineCounts(Path(tmp))
        spread = SiteSpread(Path(tmp))
        seen = SeenDocuments()
        for result in clean_events(events(todo, fields or Fields(), limits or Limits()), miner, workers, mine_one):
            if isinstance(result, Mined) and result.key is not None:
                fingerprint = (
                    result.key.encode("utf-8", "surrogatepass") + b"\x00" + array("Q", result.hashes).tobytes()
                )
                if not seen.seen(fingerprint):
                    site = site_hash(result.key)
                    counts.add(site, result.hashes)
                    spread.add(site, result.generic)
                    faults.point("mined")
            elif isinstance(result, Problem) and on_problem is not None:
                on_problem(result)
            tick(result, progress)
        return Boilerplate.from_counts(counts, thresholds, dict(spread.frequent(thresholds.min_sites)))
