"""A cleaning run: inputs in, clean JSONL and the report directory out."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from cleaner.errors import InterruptedAfterPublishing, OutputError, Problem, UsageError
from cleaner.io.atomic import check_new_files
from cleaner.io.readers import READ, REPORT_MARKER, Fields, InputFile, Limits, discover, out_marker, real_path
from cleaner.io.writers import output_format
from cleaner.pipeline.clean import Pipeline
from cleaner.pipeline.local import Local, Progress, consume
from cleaner.pipeline.workdir import (
    WorkDir,
    check_staging_root,
    check_work_root,
    filling_here,
    fingerprint,
    foreign_message,
    foreign_paths,
    needs_out_marker,
    published_here,
    work_root,
)
from cleaner.repeated.boilerplate import Thresholds
from cleaner.report.summary import Totals

__all__ = ["Engine", "Progress", "RunResult", "Target", "consume", "run"]  # consume: the Ray engine's


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

    def followed(self) -> Target:
        """The target with ``--report`` given as a symlink to a directory replaced by that
        directory: the report is published by a rename onto its path, which would replace the
        link, so it is published where the link leads (the link stays), and every check is made
        on that directory."""
        if not self.report.is_symlink():
            return self
        try:
            real = self.report.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # dangling, or a loop (RuntimeError)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "a symlink loop"
            raise UsageError(
                f"--report {self.report} is a symlink to {os.readlink(self.report)}, which cannot be followed: {reason}"
            ) from None
        if not real.is_dir():
            raise UsageError(f"--report {self.report} is a symlink to {real}, which is not a directory")
        return replace(self, report=real)

    def check(self, inputs: list[Path | InputFile], items: list[InputFile]) -> None:
        """Refuse, before anything is written, every output that could destroy what cleaner
        did not make: cleaner deletes and replaces only its own outputs. ``items``: the input
        files found in ``inputs`` (discover)."""
        self._check_places(inputs)
        self._check_found(items)
        self._check_out()
        self._check_report()
        check_work_root(self.out)
        check_staging_root(self.out, self.report)
        created: list[Path] = []  # the directories made here: removed again if a check fails
        try:
            for directory in (self.out.parent, self.report.parent):
                _make_directory(directory, created)
                try:
                    # A file of a name no other has (O_TMPFILE where there is one: no name at all, so
                    # not even a kill leaves it behind), gone when closed: never a file of the user's.
                    with tempfile.TemporaryFile(prefix=".cleaner-write-test-", dir=directory):
                        pass
                except OSError as exc:
                    raise UsageError(f"{directory}: not writable: {exc.strerror}") from None
        except UsageError:
            for directory in reversed(created):  # (deepest first; one holding anything stays)
                with suppress(OSError):
                    directory.rmdir()
            raise

    def _real_places(self) -> tuple[Path, Path, Path]:
        """Where --out, --report and the work directory really are (symlinks followed)."""
        return real_path(self.out), real_path(self.report), real_path(work_root(self.out))

    def _check_places(self, inputs: list[Path | InputFile]) -> None:
        """No output may be, hold or lie inside an input, the other output or the work directory."""
        out, report, work = self._real_places()
        places = [(f"--out {self.out}", out), (f"--report {self.report}", report)]
        paths = [given.path if isinstance(given, InputFile) else given for given in inputs]  # stdin: its spool
        others = [(f"the input {given}", real_path(given)) for given in paths]
        others += [*places, (f"the work directory {work_root(self.out)}", work)]
        for name, path in places:
            for other_name, other in others:
                if other_name == name:
                    continue
                if path == other:
                    raise UsageError(f"{name} is {other_name}; choose another path")
                if path in other.parents:
                    raise UsageError(f"{name} contains {other_name}; choose another path")
                if other in path.parents:
                    raise UsageError(f"{name} lies inside {other_name}; choose another path")

    def _check_found(self, items: list[InputFile]) -> None:
        """No input file found in a directory may be an output or lie inside one: a symlink
        there can lead anywhere (the checks above see the directory, not where its links go)."""
        out, report, work = self._real_places()
        for item in items:
            if not item.path.is_symlink():  # a file under an input directory lies where it is
                continue
            path = real_path(item.path)
            if path == out:
                raise UsageError(f"--out {self.out} is the input {item.path}; choose another path")
            for name, place in ((f"--report {self.report}", report), (f"the work directory {work}", work)):
                if place in path.parents:
                    raise UsageError(f"the input {item.path} lies inside {name}; choose another path")

    def _check_out(self) -> None:
        # (One the interrupted run of this --out published itself is replaced by its --resume.)
        check_new_files([self.out], self.overwrite or published_here(self.out, self.out))
        marker = out_marker(self.out)
        if needs_out_marker(self.out, self.report) and (marker.exists() or marker.is_symlink()):
            # The run replaces it: only if it is cleaner's (this run's name for it could be a user's).
            try:
                ours = stat.S_ISREG(marker.lstat().st_mode) and "report" in orjson.loads(marker.read_bytes())
            except (OSError, orjson.JSONDecodeError, TypeError):
                ours = False
            if not ours:
                raise UsageError(f"{marker} exists and is not cleaner's; move it away")

    def _check_report(self) -> None:
        """The report directory must be absent, empty, or a report cleaner wrote (it holds
        REPORT_MARKER; or the interrupted run of this --out was writing into it), and replacing
        a report needs --overwrite. One that is there is written into (the report's entries are
        moved in, workdir.WorkDir._publish_report): it must be on its parent's file system,
        where the report is built."""
        report = self.report
        if report.is_symlink():  # (followed first, see followed)
            raise UsageError(f"--report {report} is a symlink; cleaner will not replace it")
        if report.exists() and not report.is_dir():
            raise UsageError(f"--report {report} is not a directory")
        if not report.exists():
            return
        if report.stat().st_dev != report.parent.stat().st_dev:
            raise UsageError(
                f"--report {report} is a mount point: cleaner builds the report beside it, on "
                f"{report.parent}'s file system, and cannot move it in; give a directory inside it"
            )
        if not any(report.iterdir()):
            return
        filled = filling_here(self.out, report)
        if not (report / REPORT_MARKER).is_file() and filled is None:
            raise UsageError(
                f"--report {report} is a directory with files that cleaner did not write; "
                "cleaner only replaces its own reports: choose another path"
            )
        if found := foreign_paths(report, filled):  # replacing the report would delete them
            raise UsageError(foreign_message(report, found))
        if not self.overwrite and not published_here(self.out, report):
            raise UsageError(f"{report} holds a previous report; pass --overwrite to replace it")


def _make_directory(directory: Path, created: list[Path]) -> None:
    """``directory`` and the parents it lacks, each one made appended to ``created``."""
    missing = []
    while not (directory.exists() or directory.is_symlink()) and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:  # (made meanwhile by another process: not ours)
            continue
        except OSError as exc:
            raise UsageError(f"{missing[0]}: cannot create: {exc.strerror}") from None
        created.append(path)


# Another way to clean the files still to do into the work directory (cleaner.pipeline.ray_engine).
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
    idle: Callable[[], None] | None = None,
) -> RunResult:
    """Clean every input into ``target``. Usage errors raise before anything is written.

    Each input file becomes a shard in a work directory beside the output (see workdir.py);
    the outputs are assembled from the shards at the end. ``resume`` keeps the shards an
    interrupted run finished and cleans only the rest. ``repeated``: first mine every input
    for lines repeated across a site's documents (cleaner.repeated), then drop them too; the
    mining pass reports to ``progress`` as well, so the inputs are gone through twice.
    ``idle``: what to do while worker processes clean (Local._wait), e.g. the caller's imports
    for after the run; it may not be called at all.
    """
    fields = fields or Fields()
    limits = limits or Limits()
    output_format(target.out)  # an output name of no known format is a usage error, before anything
    items = discover(inputs)
    if not items:
        raise UsageError(f"no input files ({READ}) in " + ", ".join(map(str, inputs)))
    target = target.followed()
    target.check(inputs, items)
    work = WorkDir(target.out, target.report)  # locked: a second run on the same --out is refused here
    try:
        if repeated is not None:
            from cleaner.pipeline.mine import mine  # numpy: only --drop-repeated needs it

            found = mine(items, pipeline, repeated, fields, limits, workers, work.root, progress)
            pipeline = pipeline.with_repeated(found)
        pipeline = pipeline.for_input(sum(item.size for item in items))
        digest = pipeline.repeated.digest if pipeline.repeated is not None else None
        work.start(items, fingerprint(items, (pipeline.settings, pipeline.book.digest, digest, fields, limits)), resume)
        todo = []
        for index, item in enumerate(items):
            meta = work.meta(index)
            if meta is None:
                todo.append((index, item))
                continue
            if on_failure is not None:
                # Said again: the run that cleaned this file was interrupted, and the resumed run's
                # exit code 1 would otherwise name no failure (they are in summary.json all the same).
                for problem in work.failures(index, meta):
                    on_failure(problem)
            if progress is not None:
                progress(meta["totals"]["docs_in"], item.size)
        work.discard({index for index, _ in todo})  # shards killed midway or no longer intact
        page_built = False
        if engine is not None:
            engine(pipeline, todo, work, fields, limits, on_failure)
        else:
            page_built = Local(pipeline, work, fields, limits, workers, on_failure, progress, idle)(todo)
        settings = pipeline.settings
        totals = work.assemble(
            target.out, target.report, settings.flag_share, page_built, settings.reports, fields.id, target.overwrite
        )
    except OSError as exc:  # disk full, a quota, a directory gone: the finished shards stay
        cause = (f"{exc.filename}: " if exc.filename else "") + str(exc.strerror or exc)
        raise OutputError(
            f"{cause}; the finished input files are kept in {work.root}: fix this and run the same command with --resume",
            cause,
            tuple(work.published),
        ) from None
    except KeyboardInterrupt:
        if work.published:  # (what the caller says of it must name them)
            raise InterruptedAfterPublishing(tuple(work.published)) from None
        raise
    finally:
        work.close()
    return RunResult(totals, totals.docs_failed, target.out, target.report)
