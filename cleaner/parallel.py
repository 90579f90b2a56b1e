"""Cleaning batches of documents on several processes, results in input order, memory bounded."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from cleaner.document import Document
from cleaner.errors import Problem
from cleaner.outcome import Outcome, clean_one
from cleaner.pipeline import Pipeline
from cleaner.readers import InputFile


@dataclass(frozen=True, slots=True)
class Start:
    item: InputFile
    index: int  # the file's place among all inputs


@dataclass(frozen=True, slots=True)
class End:
    item: InputFile


@dataclass(frozen=True, slots=True)
class Task:
    doc: Document
    with_html: bool


Event = Start | End | Task | Problem  # what the reader side produces, in input order
Result = Start | End | Outcome | Problem  # what comes back, in the same order

BATCH_DOCS = 64
BATCH_CHARS = 1 << 20

_pipeline: Pipeline | None = None  # one per worker process, set by _init


def _init(pipeline: Pipeline) -> None:
    global _pipeline
    _pipeline = pipeline


def clean_batch(batch: list[Event], pipeline: Pipeline | None = None) -> list[Result]:
    pipeline = pipeline or _pipeline
    assert pipeline is not None
    return [clean_one(pipeline, e.doc, e.with_html) if isinstance(e, Task) else e for e in batch]


def batches(events: Iterable[Event]) -> Iterator[list[Event]]:
    """Consecutive events in groups small enough to keep memory flat, large enough to amortize."""
    batch: list[Event] = []
    chars = 0
    for event in events:
        batch.append(event)
        if isinstance(event, Task):
            chars += len(event.doc.text)
        if len(batch) >= BATCH_DOCS or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def clean_events(events: Iterable[Event], pipeline: Pipeline, workers: int) -> Iterator[Result]:
    """Every event's result, in order. With several workers, at most ``2 * workers`` batches
    are in flight, so the reader never runs ahead of the writers by more than that."""
    if workers <= 1:
        for batch in batches(events):
            yield from clean_batch(batch, pipeline)
        return
    window = 2 * workers
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(pipeline,)) as pool:
        pending: deque[Future[list[Result]]] = deque()
        for batch in batches(events):
            pending.append(pool.submit(clean_batch, batch))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
