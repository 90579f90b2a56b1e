"""A cleaning run: inputs in, clean JSONL and the report directory out."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cleaner.atomic import atomic_open
from cleaner.errors import Problem, UsageError
from cleaner.outcome import Outcome
from cleaner.parallel import End, Event, Start, Task, clean_events
from cleaner.pipeline import Pipeline
from cleaner.readers import Fields, InputFile, Limits, discover, read
from cleaner.report import html
from cleaner.report.summary import Summary, Totals


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


class _Reports:
    """The report directory, built under a temporary name and swapped in at the end."""

    def __init__(self, final: Path):
        self.final = final
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent))
        self.html = html.HtmlReport(self.tmp / "index.html")
        self.summary = Summary()
        self._diff_name = self.tmp
        self._diff: BinaryIO | None = None
        self._diff_ctx: AbstractContextManager[BinaryIO] | None = None

    def start_file(self, item: InputFile) -> None:
        # A .txt input is one document, so this is one diff per document for text, one per JSONL file.
        self._diff_name = self.tmp / f"{item.report_name}.diff"

    def add(self, result: Outcome | Problem) -> None:
        if isinstance(result, Problem):
            self.summary.failure(result)
            return
        self.summary.document(result)
        self.html.add(result.html, result.changed)
        if result.diff:
            if self._diff is None:
                self._diff_ctx = atomic_open(self._diff_name)
                self._diff = self._diff_ctx.__enter__()
            self._diff.write(result.diff.encode("utf-8"))

    def end_file(self, item: InputFile) -> None:
        if self._diff_ctx is not None:
            self._diff_ctx.__exit__(None, None, None)
        self._diff, self._diff_ctx = None, None
        self.summary.end_file(str(item.path))

    def finish(self) -> None:
        self.html.close()
        self.summary.write(self.tmp)
        self.summary.close()
        if self.final.exists():
            shutil.rmtree(self.final)
        self.tmp.rename(self.final)

    def abort(self, exc: BaseException) -> None:
        if self._diff_ctx is not None:
            self._diff_ctx.__exit__(type(exc), exc, exc.__traceback__)
        self.html.abort(exc)
        self.summary.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(
    inputs: list[Path],
    pipeline: Pipeline,
    target: Target,
    fields: Fields | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    on_failure: Callable[[Problem], None] | None = None,
    limits: Limits | None = None,
) -> RunResult:
    """Clean every input into ``target``. Usage errors raise before anything is written."""
    fields = fields or Fields()
    items = discover(inputs)
    if not items:
        raise UsageError("no input files (.txt, .jsonl, .jsonl.gz, .jsonl.zst) found in " + ", ".join(map(str, inputs)))
    target.check()
    reports = _Reports(target.report)
    failed = 0
    try:
        with atomic_open(target.out) as out:
            for result in clean_events(events(items, fields, limits or Limits()), pipeline, workers):
                if isinstance(result, Start):
                    reports.start_file(result.item)
                elif isinstance(result, End):
                    reports.end_file(result.item)
                    if progress is not None:
                        progress(0, result.item.size)
                else:
                    if isinstance(result, Problem):
                        failed += 1
                        if on_failure is not None:
                            on_failure(result)
                    elif result.record is not None:
                        out.write(result.record)
                    reports.add(result)
                    if progress is not None:
                        progress(1, 0)
    except BaseException as exc:
        reports.abort(exc)
        raise
    totals = reports.summary.totals
    reports.finish()
    return RunResult(totals, failed, target.out, target.report)


def events(items: list[InputFile], fields: Fields, limits: Limits) -> Iterator[Event]:
    """The input, in order, as the events the cleaning side works through."""
    seen = 0
    for item in items:
        yield Start(item)
        for doc in read(item, fields, limits):
            if isinstance(doc, Problem):
                yield doc
                continue
            # The page shows the changed documents among the first MAX_DOCS only, so it opens.
            yield Task(doc, seen < html.MAX_DOCS)
            seen += 1
        yield End(item)
