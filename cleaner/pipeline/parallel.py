"""Cleaning batches of documents on several processes, results in input order, memory bounded."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from cleaner import faults
from cleaner.document import Document
from cleaner.errors import Problem
from cleaner.io.readers import Fields, InputFile, Limits, Span, read
from cleaner.pipeline.clean import Pipeline
from cleaner.pipeline.outcome import clean_one
from cleaner.report import html
from cleaner.report.outcome import Outcome


@dataclass(frozen=True, slots=True)
class Start:
    item: InputFile
    index: int  # the file's place among all inputs


@dataclass(frozen=True, slots=True)
class End:
    item: InputFile


@dataclass(slots=True)  # not frozen: one per document, and a frozen __init__ costs twice as much
class Task:
    doc: Document
    with_html: bool


Event = Start | End | Task | Problem  # what the reader side produces, in input order
Result = Start | End | Outcome | Problem  # what comes back, in the same order
# What a worker does with one document: clean it (the default) or, for cleaner.repeated, mine it.
Work = Callable[[Pipeline, Task], Any]

BATCH_DOCS = 64
BATCH_CHARS = 1 << 20


def clean_task(pipeline: Pipeline, task: Task) -> Outcome | Problem:
    return clean_one(pipeline, task.doc, task.with_html)


_worker: tuple[Pipeline, Work] | None = None  # one per worker process, set by _init


def worker_started() -> None:
    """What every worker process does first. A forked worker inherits the CLI's SIGINT and
    SIGTERM handler (raise KeyboardInterrupt). It ignores SIGINT: Ctrl-C reaches the terminal's
    whole process group, the workers too, and it is the run's process that stops them (stop());
    a worker interrupted waiting for work printed a KeyboardInterrupt's stack. SIGTERM ends it:
    the pool terminates its workers with it when one of them dies, and they must then just go.
    And it goes when the run's process dies (a SIGKILL, the OOM killer): else it would wait for
    work forever, holding the work directory's lock (its file descriptor is inherited), so that
    --resume would be refused as "another run"."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import ctypes  # here: only worker processes pay for importing it

    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the process's own symbols, libc's among them
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # Linux; elsewhere there is no prctl
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before prctl: no signal comes
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def stop(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down at once, its workers killed, not waited for: the run is stopping
    (Ctrl-C, SIGTERM, an error), and what a worker has in hand can be a minute's work (a
    group of blocks of up to 64 MB), or never end (a page an extractor's C code is stuck on).
    A kill is safe: a shard counts only once its meta is written (workdir.py), and --resume
    cleans again what a killed worker left unfinished. Returns once the workers are gone, so the
    work directory's lock (their inherited descriptor) is released when this process exits.
    (Python 3.14's ProcessPoolExecutor.kill_workers does the same.)"""
    processes = list((pool._processes or {}).values())  # (shutdown forgets them)
    manager = pool._executor_manager_thread
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()  # (a stopped one too, unlike SIGTERM; one gone already: nothing)
    if manager is not None:
        manager.join()  # it finds them dead and joins them


def _init(pipeline: Pipeline, work: Work) -> None:
    global _worker
    worker_started()
    _worker = (pipeline, work)


def clean_batch(batch: list[Event], pipeline: Pipeline | None = None, work: Work = clean_task) -> list[Any]:
    if pipeline is None:
        assert _worker is not None
        pipeline, work = _worker
    return list(_work_through(batch, pipeline, work))


def _work_through(events: Iterable[Event], pipeline: Pipeline, work: Work) -> Iterator[Any]:
    """Each event's result, in this process."""
    # Whether a fault is injected, asked once, not per document (an unset variable is a KeyError
    # caught inside os.environ.get: as much as the rest of this loop's work for a document).
    armed = bool(os.environ.get(faults.ENV))
    for event in events:
        if isinstance(event, Task):
            if armed:
                faults.document(event.doc.text)
            yield work(pipeline, event)
        else:
            yield event


def events(
    todo: list[tuple[int, InputFile]], fields: Fields, limits: Limits, span: Span | None = None
) -> Iterator[Event]:
    """The input files still to clean (or ``span`` of the one file), in order, as the events
    the cleaning side works through.

    The HTML page shows at most MAX_DOCS documents; whether one gets a section is decided from
    its file's place and its place in the file only (its line, for a JSONL record), so every
    engine, worker count, block split and resumed run renders the same sections (the page then
    takes the first MAX_DOCS of them)."""
    shown = html.MAX_DOCS
    for index, item in todo:
        yield Start(item, index)
        seq = 0
        for doc in read(item, fields, limits, span):
            if isinstance(doc, Problem):
                yield doc
                continue
            place = doc.line - 1 if doc.line is not None else seq
            yield Task(doc, index < shown and place < shown)
            seq += 1
        yield End(item)


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


def tick(result: Any, progress: Callable[[int, int], None] | None) -> None:
    """Report one result to a (documents, input bytes) progress callback."""
    if progress is None or isinstance(result, Start):
        return
    if isinstance(result, End):
        progress(0, result.item.size)
    else:
        progress(1, 0)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def clean_events(events: Iterable[Event], pipeline: Pipeline, workers: int, work: Work = clean_task) -> Iterator[Any]:
    """Every event's result, in order: ``work``'s for a Task, the event itself otherwise. With
    several workers, at most ``2 * workers`` batches are in flight, so the reader never runs
    ahead of the writers by more than that.

    A worker that dies (the OOM killer, a crash in native code) breaks the pool: the batches in
    flight are then retried one at a time in a fresh worker each, and a batch whose worker dies
    again is cleaned document by document, each in a fresh worker, so the one document that
    kills its worker becomes a Problem and every other document is cleaned."""
    if workers <= 1:  # no batches (what is sent to a worker), nor a generator around _work_through's
        return _work_through(events, pipeline, work)
    return _in_pool(events, pipeline, workers, work)


def _in_pool(events: Iterable[Event], pipeline: Pipeline, workers: int, work: Work) -> Iterator[Any]:
    window = 2 * workers
    # No more workers than batches (a short input would fork idle ones): the first batches decide.
    batched = batches(events)
    first = list(islice(batched, workers))
    workers = max(1, len(first))
    pool = _pool(workers, pipeline, work)
    pending: deque[tuple[list[Event], Future[list[Any]]]] = deque()
    try:
        for batch in chain(first, batched):
            pending.append((batch, pool.submit(clean_batch, batch)))
            if len(pending) >= window:
                pool = yield from _next(pending, pool, workers, pipeline, work)
        while pending:
            pool = yield from _next(pending, pool, workers, pipeline, work)
    except BaseException:  # (an interrupt, an error, the results no longer wanted: GeneratorExit)
        stop(pool)
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def _pool(workers: int, pipeline: Pipeline, work: Work) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, initializer=_init, initargs=(pipeline, work))


def _next(
    pending: deque[tuple[list[Event], Future[list[Any]]]],
    pool: ProcessPoolExecutor,
    workers: int,
    pipeline: Pipeline,
    work: Work,
) -> Generator[Any, None, ProcessPoolExecutor]:
    """Yield the oldest batch's results; returns the pool to go on with (a new one if it broke)."""
    try:
        results = pending[0][1].result()
    except BrokenProcessPool:
        suspects = [batch for batch, _ in pending]
        pending.clear()
        pool.shutdown(cancel_futures=True)
        for batch in suspects:
            yield from _isolate(batch, pipeline, work)
        return _pool(workers, pipeline, work)
    pending.popleft()
    yield from results
    return pool


def _alone(batch: list[Event], pipeline: Pipeline, work: Work) -> list[Any]:
    """``batch`` in a worker of its own, so that if it dies nothing else is lost."""
    pool = _pool(1, pipeline, work)
    try:
        return pool.submit(clean_batch, batch).result()
    except KeyboardInterrupt:
        stop(pool)
        raise
    finally:
        pool.shutdown()


def _isolate(batch: list[Event], pipeline: Pipeline, work: Work) -> list[Any]:
    try:
        return _alone(batch, pipeline, work)  # the retry: a worker may die of its neighbours' load
    except BrokenProcessPool:
        pass
    results: list[Any] = []
    for event in batch:
        if not isinstance(event, Task):
            results.append(event)
            continue
        try:
            results.extend(_alone([event], pipeline, work))
        except BrokenProcessPool:
            results.append(Problem(event.doc.source, None, WORKER_DIED))
    return results


WORKER_DIED = "the worker process cleaning this document died (killed, e.g. by the out-of-memory killer); left out"
