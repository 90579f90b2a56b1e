"""A cleaning run: inputs in, clean JSONL and the report directory out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cleaner.errors import Problem, UsageError
from cleaner.outcome import Outcome
from cleaner.parallel import End, Result, Start, clean_events, events, tick
from cleaner.pipeline import Pipeline
from cleaner.readers import Fields, InputFile, Limits, discover
from cleaner.repeated.boilerplate import Thresholds
from cleaner.repeated.mine import mine
from cleaner.report.summary import Totals
from cleaner.workdir import Shard, WorkDir, fingerprint
from cleaner.writers import output_format


@dataclass(slots=True)
class RunResult:
    totals: Totals
    failed: int
    out: Path
    report: Path


@dataclass(frozen=True, slots=True)
class Target:
    out: Path  # the clean JSONL
    report: Path  # the report directory
    overwrite: bool = False

    def check(self) -> None:
        if self.out.exists() and not self.overwrite:
            raise UsageError(f"{self.out} exists; pass --overwrite to replace it")
        if self.out.is_dir():
            raise UsageError(f"{self.out} is a directory, not a file")
        for directory in (self.out.parent, self.report.parent):
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"{directory}: cannot create: {exc.strerror}") from None
            probe = directory / ".cleaner-write-test"
            try:
                probe.touch()
                probe.unlink()
            except OSError as exc:
                raise UsageError(f"{directory}: not writable: {exc.strerror}") from None


Progress = Callable[[int, int], None]  # (documents just done, input bytes just done)
# Another way to clean the files still to do into the work directory (cleaner.ray_engine).
Engine = Callable[
    [Pipeline, list[tuple[int, InputFile]], WorkDir, Fields, Limits, Callable[[Problem], None] | None], None
]


def run(
    inputs: list[Path | InputFile],
    pipeline: Pipeline,
    target: Target,
    fields: Fields | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    on_failure: Callable[[Problem], None] | None = None,
    limits: Limits | None = None,
    resume: bool = False,
    engine: Engine | None = None,
    repeated: Thresholds | None = None,
) -> RunResult:
    """Clean every input into ``target``. Usage errors raise before anything is written.

    Each input file becomes a shard in a work directory beside the output (see workdir.py);
    the outputs are assembled from the shards at the end. ``resume`` keeps the shards an
    interrupted run finished and cleans only the rest. ``repeated``: first mine every input
    for lines repeated across a site's documents (cleaner.repeated), then drop them too; the
    mining pass reports to ``progress`` as well, so the inputs are gone through twice.
    """
    output_format(target.out)  # an output name of no known format is a usage error, before anything
    fields = fields or Fields()
    limits = limits or Limits()
    items = discover(inputs)
    if not items:
        raise UsageError(
            "no input files (.txt, .jsonl[.gz|.zst], .html[.gz], .warc[.gz]) in " + ", ".join(map(str, inputs))
        )
    target.check()
    if repeated is not None:
        found = mine(items, pipeline, repeated, fields, limits, workers, target.out.parent, progress)
        pipeline = pipeline.with_repeated(found)
    digest = pipeline.repeated.digest if pipeline.repeated is not None else None
    work = WorkDir(
        target.out, items, fingerprint(items, (pipeline.settings, pipeline.book.digest, digest, fields, limits)), resume
    )
    todo = []
    for index, item in enumerate(items):
        meta = work.meta(index)
        if meta is None:
            todo.append((index, item))
        elif progress is not None:
            progress(meta["totals"]["docs_in"], item.size)
    if engine is not None:
        engine(pipeline, todo, work, fields, limits, on_failure)
    else:
        consume(clean_events(events(todo, fields, limits), pipeline, workers), work.shard, on_failure, progress)
    totals = work.assemble(target.out, target.report)
    return RunResult(totals, totals.docs_failed, target.out, target.report)


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
            if isinstance(result, Start):
                shard = open_shard(result.index, result.item)
            elif isinstance(result, End):
                assert shard is not None
                shard.commit()
                shard = None
            else:
                assert shard is not None
                if isinstance(result, Problem):
                    shard.summary.failure(result)
                    if on_failure is not None:
                        on_failure(result)
                else:
                    _add(shard, result)
            tick(result, progress)
    finally:
        if shard is not None:
            shard.abandon()


def _add(shard: Shard, result: Outcome) -> None:
    if result.record is not None:
        shard.write("jsonl", result.record)
    if result.diff:
        shard.write("diff", result.diff.encode("utf-8"))
    if result.html is not None:
        shard.write("html", result.html.encode("utf-8"))
    shard.summary.document(result)
