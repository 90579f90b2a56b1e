"""A cleaning run: inputs in, clean JSONL and the report directory out."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

from cleaner.atomic import atomic_open
from cleaner.document import Cleaned, Document
from cleaner.errors import Problem, UsageError
from cleaner.pipeline import Pipeline
from cleaner.readers import Fields, InputFile, discover, read
from cleaner.report import diff, html
from cleaner.report.summary import Summary, Totals


@dataclass(slots=True)
class Outcome:
    """What the run keeps of one cleaned document: small, picklable, rendered already."""

    id: str
    source: str
    record: bytes | None  # the JSONL line, None when the document ended up empty
    diff: str
    html: str | None
    chars_in: int
    chars_out: int
    changed: bool
    removed: dict[str, int] = field(default_factory=dict)
    removed_chars: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)
    emptied_by: str | None = None


def outcome(cleaned: Cleaned, pipeline: Pipeline) -> Outcome:
    empty = cleaned.empty
    return Outcome(
        id=cleaned.doc.id,
        source=cleaned.doc.source,
        record=None if empty else orjson.dumps(cleaned.record()) + b"\n",
        diff=diff.render(cleaned, pipeline.settings.layout),
        html=html.section(cleaned) if cleaned.changed else None,
        chars_in=len(cleaned.doc.text),
        chars_out=len(cleaned.text),
        changed=cleaned.changed,
        removed=cleaned.removed(),
        removed_chars=cleaned.removed_chars(),
        repaired=cleaned.repaired(),
        emptied_by=cleaned.emptied_by(),
    )


def clean_one(pipeline: Pipeline, doc: Document) -> Outcome | Problem:
    try:
        return outcome(pipeline.clean(doc), pipeline)
    except Exception as exc:
        return Problem(doc.source, None, f"cleaning failed: {type(exc).__name__}: {exc}")


@dataclass(slots=True)
class RunResult:
    totals: Totals
    failures: list[str]
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
        self.html.add(result.html)
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
) -> RunResult:
    """Clean every input into ``target``. Usage errors raise before anything is written."""
    fields = fields or Fields()
    items = discover(inputs)
    if not items:
        raise UsageError("no input files (.txt, .jsonl, .jsonl.gz, .jsonl.zst) found in " + ", ".join(map(str, inputs)))
    target.check()
    reports = _Reports(target.report)
    failures: list[str] = []
    try:
        with atomic_open(target.out) as out:
            for item in items:
                reports.start_file(item)
                for doc in read(item, fields):
                    result = doc if isinstance(doc, Problem) else clean_one(pipeline, doc)
                    if isinstance(result, Problem):
                        failures.append(str(result))
                    elif result.record is not None:
                        out.write(result.record)
                    reports.add(result)
                    if progress is not None:
                        progress(1, 0)
                reports.end_file(item)
                if progress is not None:
                    progress(0, item.size)
    except BaseException as exc:
        reports.abort(exc)
        raise
    totals = reports.summary.totals
    reports.finish()
    return RunResult(totals, failures, target.out, target.report)
