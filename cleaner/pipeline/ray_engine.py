"""`cleaner clean --engine ray`: the same cleaning, on a Ray cluster, with Ray Data.

The input files still to clean become a Ray Dataset, one row per file, or per block of about
BLOCK_BYTES for a large plain JSONL file; each row is cleaned by a Ray task running exactly
the local engine's code (read, clean, write the shard into the run's work directory). The
driver joins a split file's block shards into its shard, then assembles the outputs from the
shards as a local run does, so the records and reports are the same bytes. The work directory
must be on a filesystem every node reaches (a local disk for one machine, a shared mount for a
cluster).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cleaner.errors import Problem, UsageError
from cleaner.io.readers import Fields, InputFile, Limits, Span, spans
from cleaner.pipeline.clean import Pipeline
from cleaner.pipeline.parallel import clean_events, events
from cleaner.pipeline.workdir import Shard, WorkDir

BLOCK_BYTES = 64 << 20  # a plain JSONL file larger than this is cleaned in blocks of about this size


class RayEngine:
    def __init__(self, address: str | None = None):
        self.address = address

    def __call__(
        self,
        pipeline: Pipeline,
        todo: list[tuple[int, InputFile]],
        work: WorkDir,
        fields: Fields,
        limits: Limits,
        on_failure: Callable[[Problem], None] | None,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise UsageError("--engine ray needs Ray: pip install 'cleaner[ray]'") from None
        if not ray.is_initialized():
            _keeping_sigterm(
                lambda: ray.init(
                    address=self.address, include_dashboard=False, log_to_driver=False, logging_level="ERROR"
                )
            )
        # stderr is for cleaner's own diagnostics: no Ray Data progress, plan or notice logs there (its
        # errors still show; a failed task raises, and cleaner reports it). (Set once
        # ray.data is imported: its import configures its loggers, a level set before is undone.)
        context = ray.data.DataContext.get_current()
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context.enable_progress_bars = False
        if not todo:
            return
        items = dict(todo)
        rows = []
        blocks: dict[int, int] = {}  # file index -> number of blocks, for the files split up
        for index, item in todo:
            cut = spans(item, BLOCK_BYTES)
            base = {
                "index": index,
                "path": str(item.path),
                "rel": item.rel,
                "group": item.group,
                "shown": item.shown,  # (stdin's spool is "-" in sources and messages, as with the local engine)
                "prefix_ids": item.prefix_ids,
            }
            if cut is None:
                rows.append({**base, "block": -1, "start": 0, "end": 0, "first_line": 0})
                continue
            blocks[index] = len(cut)
            for n, span in enumerate(cut):
                rows.append({**base, "block": n, "start": span.start, "end": span.end, "first_line": span.first_line})
        clean_block = _block_cleaner(pipeline, work.root, fields, limits)
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map(clean_block, num_cpus=1)
        # Rows come back in any order: failures are reported in input order, as a local run does.
        done = sorted(dataset.iter_rows(), key=lambda row: (row["index"], row["block"]))
        for index, count in blocks.items():
            work.merge(index, items[index], count)
        for row in done:
            for failure in row["failures"]:
                if on_failure is not None:
                    on_failure(Problem(failure["file"], failure["line"], failure["message"]))


def _keeping_sigterm(start: Callable[[], object]) -> None:
    """Run ``start`` (ray.init), then give SIGTERM back to the handler it had. Ray's core installs
    a handler of its own in the driver, which prints a native stack and aborts the process (exit
    134) or lets the run go on, depending on where the signal finds it; the command line's handler
    stops the run as Ctrl-C does: resumable, one line on stderr, exit 130. (Python's handler can
    only be set from the main thread, where the CLI runs.)"""
    previous = signal.getsignal(signal.SIGTERM)
    start()
    if callable(previous) and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


def _block_cleaner(
    pipeline: Pipeline, root: Path, fields: Fields, limits: Limits
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The function each Ray task runs on one input file or one block of it (shipped to the
    nodes with its closure)."""

    def clean_block(row: dict[str, Any]) -> dict[str, Any]:
        from cleaner.pipeline.run import consume

        item = InputFile(Path(row["path"]), row["rel"], row["group"], row["shown"], row["prefix_ids"])
        block = row["block"] if row["block"] >= 0 else None
        span = Span(row["start"], row["end"], row["first_line"]) if block is not None else None
        failures: list[dict[str, Any]] = []

        def failed(problem: Problem) -> None:
            failures.append({"file": problem.file, "line": problem.line, "message": problem.message})

        results = clean_events(events([(row["index"], item)], fields, limits, span), pipeline, workers=1)
        consume(results, lambda index, item: Shard(root, index, item, block, keep=pipeline.review_keep), failed)
        return {"index": row["index"], "block": row["block"], "failures": failures}

    return clean_block
