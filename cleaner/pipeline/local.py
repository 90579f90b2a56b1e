"""The local engine: input files (and blocks of large JSONL files) cleaned on worker processes,
each worker reading its own part of the input and writing its own shard.

With several workers the main process only plans and keeps order: it cuts the inputs into
units (a whole file, or a block of whole lines of a plain JSONL file, as the Ray engine does),
hands out groups of units, reports each unit's failures and progress in input order when it
comes back, and joins a split file's block shards into the file's shard (a meta naming them,
no copy). Meanwhile a thread of it joins the review page, the diffs and the records from the
shards already back (page.py; the page files are rendered by the workers: report/pagedata.py),
so that it overlaps the cleaning.
No document and no cleaned record crosses between processes: what does is a unit's name (a
path and a byte range) out and its count and failures back, a few hundred bytes per unit of
hundreds of documents. So the main process spends next to nothing per document, and two workers scale
with the cores instead of waiting on the main process's reading, (un)pickling and writing.

The shards are the ones a single process writes (workdir.py), a block's shards joined in line
order, so the outputs are the same bytes whatever the worker count; a killed run leaves
complete shards only, and --resume cleans the rest.

A worker that dies (the OOM killer, a crash in native code) breaks the pool: the groups in
flight are retried one at a time in a fresh worker each, and a unit whose worker dies again is
cleaned the per-document way (parallel.py: documents read here, batches isolated down to the
one document that kills its worker), so that document becomes a Problem and the rest is kept.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from pathlib import Path

from cleaner import faults
from cleaner.document import Document
from cleaner.errors import Problem
from cleaner.io.readers import Fields, InputFile, Limits, Span, iter_spans
from cleaner.pipeline.clean import Pipeline
from cleaner.pipeline.outcome import clean_one
from cleaner.pipeline.page import Page
from cleaner.pipeline.parallel import End, Result, Start, clean_events, events, stop, tick, worker_started
from cleaner.pipeline.workdir import Shard, WorkDir
from cleaner.report.outcome import Outcome
from cleaner.report.pagedata import Floors

Progress = Callable[[int, int], None]  # (documents just done, input bytes just done)

# A plain JSONL file is cut into blocks so that each worker gets about BLOCKS_PER_WORKER of the
# run's input bytes at a time: enough pieces that the last one leaves the other workers idle
# only briefly, few enough that opening and joining shards costs nothing per document.
BLOCKS_PER_WORKER = 16
MIN_BLOCK = 256 << 10
MAX_BLOCK = 64 << 20
TAIL_BLOCKS = 4
GROUP_UNITS = 64  # small files handed out together, so a directory of tiny files costs few round trips

# Invented text that takes a document through the steps that load something the first time
# (ftfy's import for the mojibake, the classifier's model, the rules' first regexes): see warm().
WARM_TEXT = (
    "Home | News | Sport | Contact\n"
    "The council met on Monday to vote on the budget for the coming year.\n"
    "The caf\u00c3\u00a9 on the corner served coffee to the members after the vote.\n"
    "See also: Budget talks stall\n"
    "Copyright 2024 Example Media. All rights reserved.\n"
)


@dataclass(frozen=True, slots=True)
class Unit:
    """What one worker cleans into one shard: a whole input file, or block ``block`` of it."""

    index: int  # the file's place among all inputs
    item: InputFile
    size: int  # its input bytes, for progress
    span: Span | None = None
    block: int | None = None
    blocks: int = 0  # on a split file's last block: how many blocks it was cut into (else 0)


@dataclass(slots=True)
class Done:
    """What comes back of a unit: its document count and failures (for the progress bar and
    stderr; the shard holds them too)."""

    docs: int = 0
    failures: list[Problem] = field(default_factory=list)


def block_size(total: int, workers: int) -> int:
    return min(MAX_BLOCK, max(MIN_BLOCK, total // (workers * BLOCKS_PER_WORKER)))


def plan(todo: Iterable[tuple[int, InputFile]], block: int, workers: int = 0) -> Iterator[Unit]:
    """The units of the files to clean, in input order. A large file's blocks are found as it
    is read (its lines counted): the first go to the workers while the rest is still to count,
    not after the whole file is read. A block is handed out once the next is found (or the
    file's end), so the last one is known as such. With ``workers``, the blocks shrink over the
    run's last bytes (see tail_block)."""
    todo = [(index, item, item.size) for index, item in todo]
    left = sum(size for _, _, size in todo)  # the run's bytes from the current file's start on
    for index, item, size in todo:
        cut = iter_spans(item, partial(tail_block, block, left, workers) if workers else block)
        left -= size
        if cut is None:
            yield Unit(index, item, size)
            continue
        previous: Span | None = None
        n = -1
        for n, span in enumerate(cut):
            if previous is not None:
                yield Unit(index, item, previous.end - previous.start, previous, n - 1)
            previous = span
        if previous is not None:
            yield Unit(index, item, previous.end - previous.start, previous, n, n + 1)


def tail_block(block: int, left: int, workers: int, start: int) -> int:
    """The size of the block at byte ``start`` of a file when ``left`` bytes of the run are left
    from the file's start: ``block``, but over the run's last bytes a (workers * TAIL_BLOCKS)th of
    what is left (not under MIN_BLOCK). Blocks of one size leave a worker idle at the end for up
    to a block's time while another finishes its last; shrinking ones end them within a small
    block of each other, and the main process's last joins follow sooner."""
    return max(MIN_BLOCK, min(block, (left - start) // (workers * TAIL_BLOCKS)))


def groups(units: Iterable[Unit], block: int) -> Iterator[list[Unit]]:
    """Consecutive units handed out together: up to about ``block`` bytes or GROUP_UNITS units."""
    group: list[Unit] = []
    size = 0
    for unit in units:
        if group and (size + unit.size > block or len(group) >= GROUP_UNITS):
            yield group
            group, size = [], 0
        group.append(unit)
        size += unit.size
    if group:
        yield group


def consume(
    results: Iterable[Result],
    open_shard: Callable[[int, InputFile], Shard],
    on_failure: Callable[[Problem], None] | None = None,
    progress: Progress | None = None,
) -> None:
    """Write results into their shards; a shard is committed when its file's End arrives."""
    shard: Shard | None = None
    try:
        for result in results:
            if isinstance(result, Outcome):  # the common case first: one per document
                assert shard is not None
                shard.add(result)
            elif isinstance(result, Start):
                shard = open_shard(result.index, result.item)
            elif isinstance(result, End):
                assert shard is not None
                shard.commit()
                shard = None
                faults.point("shard")
            else:
                assert shard is not None
                shard.summary.failure(result)
                if on_failure is not None:
                    on_failure(result)
            if progress is not None:
                tick(result, progress)
    finally:
        if shard is not None:
            shard.abandon()


def warm(pipeline: Pipeline) -> None:
    """Clean WARM_TEXT here, before the workers are forked: what the pipeline loads on its first
    document (about 100 ms: ftfy's import, the classifier's model, compiled patterns) is then
    loaded once and inherited by every worker (its pages shared copy-on-write, in the cache
    once), instead of loaded by each worker on its own. The text is invented, never the
    input's: a document that crashes native code must do so in a worker (isolated, see
    Local._isolate), not here. What it leaves behind is caches only, whose state does not
    change any output (the outputs are the same whatever the worker count)."""
    clean_one(pipeline, Document(id="warm", text=WARM_TEXT, source="warm"), True)


def clean_unit(
    pipeline: Pipeline,
    root: Path,
    unit: Unit,
    fields: Fields,
    limits: Limits,
    workers: int = 1,
    floors: Floors | None = None,
) -> Done:
    """Read and write one unit's shard in this process, cleaning in it too (or, with ``workers``,
    on processes of parallel.py's own, document batches sent out: the way a unit whose worker
    died is cleaned, so the one document that kills its worker is found). ``floors``: the
    process's earlier shards' samples (a worker's, see _init)."""
    done = Done()

    def count(docs: int, _: int) -> None:
        done.docs += docs

    results = clean_events(events([(unit.index, unit.item)], fields, limits, unit.span), pipeline, workers)
    keep = pipeline.review_keep

    def shard(index: int, item: InputFile) -> Shard:
        return Shard(root, index, item, unit.block, floors, keep)

    consume(results, shard, done.failures.append, count)
    return done


_context: tuple[Pipeline, Path, Fields, Limits, Floors] | None = None  # one per worker process, set by _init


def _init(pipeline: Pipeline, root: Path, fields: Fields, limits: Limits) -> None:
    """A worker's start. Its Floors are its own, made here, not inherited: they may only hold
    what this process sampled, each unit of which it cleans once (pagedata.Floors)."""
    global _context
    worker_started()
    _context = (pipeline, root, fields, limits, Floors())


def _clean_group(group: list[Unit]) -> list[Done]:
    assert _context is not None
    pipeline, root, fields, limits, floors = _context
    return [clean_unit(pipeline, root, unit, fields, limits, floors=floors) for unit in group]


class Local:
    """One run of the local engine over the files still to clean, into ``work``'s shards."""

    def __init__(
        self,
        pipeline: Pipeline,
        work: WorkDir,
        fields: Fields,
        limits: Limits,
        workers: int,
        on_failure: Callable[[Problem], None] | None = None,
        progress: Progress | None = None,
        idle: Callable[[], None] | None = None,
    ):
        self.pipeline, self.work, self.fields, self.limits = pipeline, work, fields, limits
        self.workers, self.on_failure, self.progress = workers, on_failure, progress
        self.idle = idle
        self.size = workers  # the pool's: no more than the groups to clean (__call__)
        self.page = Page(work, pipeline.settings.reports)

    def __call__(self, todo: list[tuple[int, InputFile]]) -> bool:
        """Clean ``todo`` into shards; True when the review page was built too (in staging)."""
        if self.workers <= 1:  # in this process, document by document (progress per document)
            results = clean_events(events(todo, self.fields, self.limits), self.pipeline, 1)
            keep = self.pipeline.review_keep
            consume(results, lambda index, item: self.work.shard(index, item, keep), self.on_failure, self.progress)
            return False
        block = block_size(sum(item.size for _, item in todo), self.workers)
        window = 2 * self.workers  # groups in flight: each is a name, so this only keeps workers fed
        cleaning = {index for index, _ in todo}
        # No more workers than groups: a worker with nothing to do still costs a fork and its
        # start-up, on the cores the busy ones need (a one-file run gets one worker, still a
        # process of its own so that a crash in it is isolated). The first groups decide it;
        # the rest are planned as they are handed out.
        planned = groups(plan(todo, block, self.workers), block)
        first = list(islice(planned, self.workers))
        self.size = max(1, len(first))
        # Only when two workers or more would each load it, and only if they are forked (a
        # spawned worker starts from nothing).
        if self.size > 1 and multiprocessing.get_start_method() == "fork":
            warm(self.pipeline)
        pool = self._pool(self.size)
        pending: deque[tuple[list[Unit], Future[list[Done]]]] = deque()
        try:
            for group in chain(first, planned):
                pending.append((group, pool.submit(_clean_group, group)))  # forks a worker while some are missing
                if len(pending) >= window:
                    self.page.start(cleaning)  # after the forks: no thread is forked
                    self._wait()
                    pool = self._next(pending, pool)
            self.page.start(cleaning)
            self._wait()
            while pending:
                pool = self._next(pending, pool)
        except BaseException:
            stop(pool)  # first: the groups in flight are not waited for
            self.page.abandon()
            raise
        finally:
            pool.shutdown(cancel_futures=True)
        self.page.finish()
        return True

    def _wait(self) -> None:
        """The first wait for the workers: this process is idle until their first group is back,
        so it runs ``idle`` then (what it will need after the run, e.g. the CLI's imports for its
        totals table), off the time the run takes. On this thread, not another: no thread may be
        running while a worker is forked (a pool that breaks is made again)."""
        idle, self.idle = self.idle, None
        if idle is not None:
            idle()

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            workers, initializer=_init, initargs=(self.pipeline, self.work.root, self.fields, self.limits)
        )

    def _next(
        self, pending: deque[tuple[list[Unit], Future[list[Done]]]], pool: ProcessPoolExecutor
    ) -> ProcessPoolExecutor:
        """Take the oldest group's results; returns the pool to go on with (a new one if it broke)."""
        group, future = pending[0]
        try:
            results = future.result()
        except BrokenProcessPool:
            suspects = list(pending)
            pending.clear()
            pool.shutdown(cancel_futures=True)
            pool = self._pool(self.size)
            for group, future in suspects:
                for unit, done in zip(group, self._isolate(group, future), strict=True):
                    self._done(unit, done)
            return pool
        pending.popleft()
        for unit, done in zip(group, results, strict=True):
            self._done(unit, done)
        return pool

    def _done(self, unit: Unit, done: Done) -> None:
        """Report a unit that came back, in input order; join a split file's blocks once its
        last one is back."""
        if self.on_failure is not None:
            for problem in done.failures:
                self.on_failure(problem)
        if self.progress is not None:
            self.progress(done.docs, unit.size)
        faults.point("unit")
        self.page.add(unit.index, unit.block)
        if unit.blocks:  # the file's last block: every earlier one is back too
            self.work.join(unit.index, unit.item, unit.blocks)

    def _isolate(self, group: list[Unit], future: Future[list[Done]]) -> list[Done]:
        """A group in flight when the pool broke: its results if it had finished, else the group
        again in a worker of its own (a worker may die of its neighbours' load), else unit by
        unit the per-document way."""
        try:
            return list(future.result())
        except BrokenProcessPool:
            pass
        alone = self._pool(1)
        try:
            return list(alone.submit(_clean_group, group).result())
        except BrokenProcessPool:
            pass
        except KeyboardInterrupt:
            stop(alone)
            raise
        finally:
            alone.shutdown()
        # Unit by unit, documents read here and sent out in batches (parallel.py isolates them).
        return [
            clean_unit(self.pipeline, self.work.root, unit, self.fields, self.limits, self.workers) for unit in group
        ]
