"""The work directory of a run: one finished shard per input file, then one assembly.

Each input file's records, diff, review page data (report/pagedata.py), counts and notes are
written under temporary names and renamed into place when the file is done, its ``meta.json``
last: a shard with a meta is complete, one without is not there. A run killed at any point
leaves only complete shards, and ``--resume`` skips them. A file cut into blocks (cleaned by several workers or Ray
tasks) has a shard per block, and its own meta, naming how many, once they are all finished:
its parts are then its blocks' parts in order.

The outputs are built from the shards, in input order, in ``publish/`` inside the work
directory (shards are read, never moved or changed, so a kill during assembly loses nothing; a
report outside the output's directory is built beside itself, on its own file system, see
staging_root), then published by renames: the report directory first, ``clean.jsonl`` last. The manifest
records which inode each staged output has, so a resumed run recognises an output the killed
run had already published as its own (and may replace it without ``--overwrite``). Only then is
the work directory removed, meta files first, so a kill while removing it still resumes.

One run at a time: the work directory holds a lock file, taken with ``flock`` for the whole run.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from cleaner import faults
from cleaner.errors import Problem, UsageError
from cleaner.io import writers
from cleaner.io.atomic import check_replaceable, write_atomic
from cleaner.io.readers import REPORT_MARKER, SPILL_PREFIX, InputFile, out_marker, output_digest, real_path
from cleaner.report import files, html
from cleaner.report.outcome import Outcome, Reports
from cleaner.report.pagedata import EVERY, Floors, ShardPage
from cleaner.report.summary import FLAG_SHARE, FileSummary, Totals, write_summary

MANIFEST = "run.json"
LOCK = "lock"
PUBLISH = "publish"
STAGING = "reports"  # the report being built, in the publish directory (WorkDir.publish)
REPLACED = "replaced-report"  # a previous report moved aside, in the publish directory
# A report outside its output's directory is built beside it, in ``.<report name>.staging.work``
# (staging_root): a walk leaves it out as it does a work directory (it holds LOCK).
STAGING_SUFFIX = ".staging.work"


PARTS = ("jsonl", "diff", "page", "removals", "notes")
# What a shard holds changes with cleaner's versions: a resumed run never reads the shards of
# another format (before SHARD_FORMAT 2, review records stood where the page files are now;
# before 3, a page file's trailer held its samples' entries, which now follow it, indexed; before
# 4, every document's D line held its rows, and the trailer did not count those kept whole).
SHARD_FORMAT = 4


def shard_base(index: int, block: int | None = None) -> str:
    """The name its shard's files start with: ``000007`` for input file 7, ``000007.b00002``
    for block 2 of it."""
    return f"{index:06d}" if block is None else f"{index:06d}.b{block:05d}"


_BUFFER = 1 << 18

# The names of a shard's files (Shard, WorkDir.join): what WorkDir.discard may remove.
_SHARD_FILE = re.compile(r"(\d{6})(?:\.b\d{5})?\.(?:" + "|".join(PARTS) + r"|meta\.json)(?:\.part)?")


def _block_sizes(root: Path, base: str) -> dict[str, int] | bool | None:
    """The part sizes a block's meta records (None: an older meta recording none); False when
    the block's meta is missing or unreadable."""
    try:
        meta = orjson.loads((root / f"{base}.meta.json").read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return False
    return meta.get("sizes") if isinstance(meta, dict) else False


def _parts_intact(root: Path, base: str, sizes: dict[str, int] | bool | None) -> bool:
    """Whether every part of shard ``base`` is there, of the size its meta records (of any size
    for a meta recording none)."""
    if sizes is False:
        return False
    for name in PARTS:
        try:
            size = (root / f"{base}.{name}").stat().st_size
        except OSError:
            return False
        if isinstance(sizes, dict) and sizes.get(name) != size:
            return False
    return True


class Shard:
    """The outputs of one input file (or of one block of it) while it is being cleaned.
    ``floors``: what the process's earlier shards of this run sampled (pagedata.Floors)."""

    def __init__(
        self,
        directory: Path,
        index: int,
        item: InputFile,
        block: int | None = None,
        floors: Floors | None = None,
        keep: int = EVERY,
    ):
        self.directory = directory
        self.index = index
        self.item = item
        self.base = shard_base(index, block)
        self.parts = {name: directory / f"{self.base}.{name}" for name in PARTS}
        # A document's record and diff are each about the size of io's default buffer (the file
        # system's 4 KB block), so most writes went straight to a system call; a buffer of
        # _BUFFER takes ~60 documents' parts per call (5 of them open per shard: 1.25 MB).
        self._handles: dict[str, BinaryIO] = {
            name: path.with_name(path.name + ".part").open("wb", buffering=_BUFFER) for name, path in self.parts.items()
        }
        self.summary = FileSummary(self._handles["notes"])
        self.page = ShardPage(self._handles["page"], self._handles["removals"], floors, keep)
        self._records, self._diffs = self._handles["jsonl"].write, self._handles["diff"].write

    def add(self, outcome: Outcome) -> None:
        """One cleaned document into the shard: its record, diff, review section and counts."""
        if outcome.record is not None:
            self._records(outcome.record)
        if outcome.diff:
            self._diffs(outcome.diff)
        if outcome.review is not None:
            self.page.add(outcome.review)
        self.summary.document(outcome)

    def commit(self) -> None:
        self.page.finish()
        for name, handle in self._handles.items():
            handle.close()
            handle_path = self.parts[name].with_name(self.parts[name].name + ".part")
            handle_path.replace(self.parts[name])
        faults.point("shard-parts")
        meta = {
            "file": self.item.where,
            "report_name": self.item.report_name,
            "totals": self.summary.totals.as_dict(),
            # Each part's size, so that a resumed run can tell a part gone or cut short since
            # (deleted by hand, a disk restored) and clean the file again (WorkDir.meta).
            "sizes": {name: path.stat().st_size for name, path in self.parts.items()},
        }
        write_atomic(self.directory / f"{self.base}.meta.json", orjson.dumps(meta), sync=False)  # see meta()

    def abandon(self) -> None:
        for handle in self._handles.values():
            handle.close()


def fingerprint(items: list[InputFile], settings: Any) -> str:
    """What a resumed run must share with the interrupted one: inputs, rules, settings, and
    the format of the shards."""
    digest = hashlib.sha256(repr((SHARD_FORMAT, settings)).encode())
    for item in items:
        try:
            stat = item.path.stat()
        except OSError:  # a broken symlink: a failure of its own (readers.read), and a part of the key
            digest.update(f"{item.path}\0broken\0".encode())
            continue
        digest.update(f"{item.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def work_root(out: Path) -> Path:
    return out.parent / f".{out.name}.work"


def _manifest(root: Path) -> dict[str, Any] | None:
    try:
        return orjson.loads((root / MANIFEST).read_bytes())
    except (FileNotFoundError, NotADirectoryError, orjson.JSONDecodeError):
        return None


def _inode(path: Path) -> list[int]:
    stat = path.lstat()
    return [stat.st_dev, stat.st_ino]


def published_here(out: Path, path: Path) -> bool:
    """Whether ``path`` is an output that the (interrupted) run of ``out`` published itself."""
    manifest = _manifest(work_root(out))
    if manifest is None:
        return False
    try:
        return _inode(path) in manifest.get("published", {}).values()
    except OSError:
        return False


def staging_root(out: Path, report: Path) -> Path | None:
    """Where the report ``report`` of the run writing ``out`` is built when it is not in the
    output's directory: a hidden directory beside it, ``.<report name>.staging.work``, so that it
    is built on the report's own file system and published by a rename there, wherever the work
    directory is (beside --out, on another disk; in $TMPDIR, a tmpfs, for --out -). None for a
    report in the output's directory: built in the work directory, beside it."""
    if real_path(report.parent) == real_path(out.parent):
        return None
    return report.parent / f".{report.name}{STAGING_SUFFIX}"


# What a staging directory holds before its manifest names it as one (a run killed as it made it):
# its lock, and write_atomic's temporary file of the manifest.
_STAGING_START = re.compile(rf"{re.escape(LOCK)}|\.{re.escape(MANIFEST)}\..*\.part")


def _staging_ours(root: Path) -> bool:
    """Whether ``root`` is a staging directory cleaner made (staging_root): a directory (not a
    symlink) whose manifest says so, or holding no more than a run made before its manifest."""
    if root.is_symlink() or not root.is_dir():
        return False
    manifest = _manifest(root)
    if manifest is not None:
        return isinstance(manifest, dict) and "staging" in manifest
    try:
        return all(_STAGING_START.fullmatch(path.name) for path in root.iterdir())
    except OSError:
        return False


def check_staging_root(out: Path, report: Path) -> None:
    """The report's staging directory must be absent or cleaner's own (see check_work_root), and
    not in use by another run (whose lock is tried, and let go at once)."""
    root = staging_root(out, report)
    if root is None or not (root.exists() or root.is_symlink()):
        return
    if not _staging_ours(root):
        raise UsageError(f"{root} exists and is not a cleaner staging directory; move it away")
    try:
        fd = os.open(root / LOCK, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return  # (none yet: nobody holds it)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UsageError(_staging_busy(root, report)) from None
    finally:
        os.close(fd)


def _staging_busy(root: Path, report: Path) -> str:
    return (
        f"another cleaner run is writing the report {report} ({root} is locked); "
        "wait for it to finish or use another --report"
    )


def filling_here(out: Path, report: Path) -> set[str] | None:
    """The paths the (interrupted) run of ``out`` was moving into the report directory
    ``report`` (WorkDir._publish_report), or None if it was not writing into this directory."""
    manifest = _manifest(work_root(out))
    filling = manifest.get("filling") if manifest is not None else None
    try:
        if not isinstance(filling, dict) or filling.get("report") != _inode(report):
            return None
    except OSError:
        return None
    paths = filling.get("paths")
    return set(paths) if isinstance(paths, list) and all(isinstance(p, str) for p in paths) else None


def needs_out_marker(out: Path, report: Path) -> bool:
    """Whether the output needs its own marker (readers.out_marker): its report is not in its
    directory, so a run walking a folder that holds the output may not find the report's marker,
    which names it."""
    return not real_path(report).is_relative_to(real_path(out).parent)


def check_work_root(out: Path) -> None:
    """The work directory must be absent or cleaner's own: cleaner deletes only what it made."""
    root = work_root(out)
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise UsageError(f"{root} exists and is not a cleaner work directory; move it away")
    # (A run killed while mining, before its manifest, leaves the lock and mining's spill folder:
    # cleaner's own, and the next run, resumed or not, starts over and removes them at its end.)
    if root.is_dir() and _manifest(root) is None and {p.name for p in root.iterdir() if not _spill(p)} - {LOCK}:
        raise UsageError(f"{root} exists and is not a cleaner work directory; move it away")


def _spill(path: Path) -> bool:
    """Mining's spill folder (pipeline/mine.py: tempfile's, named ``.cleaner-mine-*``)."""
    return path.name.startswith(SPILL_PREFIX) and path.is_dir() and not path.is_symlink()


class WorkDir:
    """The locked work directory of the run writing ``out``; ``start`` before the shards.
    ``report``: where the report goes (the default, ``reports`` beside ``out``, is built in the
    work directory; one elsewhere in its own staging directory, see staging_root)."""

    def __init__(self, out: Path, report: Path | None = None):
        self.root = work_root(out)
        self.out = out
        self.report = report if report is not None else out.parent / "reports"
        self.items: list[InputFile] = []
        self.published: list[Path] = []  # the outputs assemble() has put in place, in order
        made = not self.root.exists()
        self._lock: int | None = _lock(
            self.root,
            f"another cleaner run is writing {out} (its work directory {self.root} is locked); "
            "wait for it to finish or use another --out",
        )
        beside = staging_root(out, self.report)
        # Where the report is built, and a previous one moved aside: on the report's file system.
        self.publish = beside if beside is not None else self.root / PUBLISH
        self._staging_lock: int | None = None
        if beside is not None:
            try:
                self._staging_lock = _hold_staging(beside, self.report)
            except BaseException:
                if made:  # (nothing in it yet but the lock)
                    (self.root / LOCK).unlink(missing_ok=True)
                    self.root.rmdir()
                self.close()
                raise

    def start(self, items: list[InputFile], key: str, resume: bool) -> None:
        self.items = items
        manifest = _manifest(self.root)
        if resume and manifest is not None:
            if manifest.get("key") != key:
                raise UsageError(
                    f"{self.root}: the interrupted run had other inputs, rules or settings; run again without --resume"
                )
            return
        # What a killed run published stays its: the start's checks let this run replace it
        # (published_here, filling_here), and so must the end's.
        kept = {name: manifest[name] for name in ("published", "filling") if name in (manifest or {})}
        _clear(self.root, keep_lock=True)
        write_atomic(self.root / MANIFEST, orjson.dumps({"key": key, **kept}))

    def meta(self, index: int) -> dict[str, Any] | None:
        """File ``index``'s meta, or None if its shard is not finished. A meta is renamed into
        place whole but not synced to the disk first (the wait, tens of milliseconds a shard,
        idled a worker's core): what a power loss may leave of it (nothing, or part) is a shard
        not there either, cleaned again by --resume. (A shard's other files were never synced.)"""
        try:
            meta = orjson.loads((self.root / f"{index:06d}.meta.json").read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return None
        if not isinstance(meta, dict) or "totals" not in meta:
            return None
        # The meta alone is not enough: a part missing or of another size (removed, truncated
        # since) would stop the assembly with an error that --resume meets again, forever.
        blocks = meta.get("blocks")
        bases = [shard_base(index)] if blocks is None else [shard_base(index, b) for b in range(blocks)]
        for base in bases:
            sizes = meta.get("sizes") if blocks is None else _block_sizes(self.root, base)
            if not _parts_intact(self.root, base, sizes):
                return None
        return meta

    def failures(self, index: int, meta: dict[str, Any]) -> Iterator[Problem]:
        """The failures a finished file's shard noted, in order."""
        for note in self._notes_of(index, meta):
            if note["kind"] == "failure":
                yield Problem(note["file"], note["line"], note["message"])

    def discard(self, indexes: set[int]) -> None:
        """Remove what the unfinished (or no longer intact) shards of the files ``indexes`` left,
        metas first: those files are cleaned again from nothing. Only files of a shard's own
        names go (_SHARD_FILE); the directory is listed once, however many files there are."""
        found = [
            path
            for path in self.root.iterdir()
            if (match := _SHARD_FILE.fullmatch(path.name)) and int(match.group(1)) in indexes
        ]
        for path in sorted(found, key=lambda p: (not p.name.endswith(".meta.json"), p.name)):
            path.unlink(missing_ok=True)

    def shard(self, index: int, item: InputFile, keep: int = EVERY) -> Shard:
        return Shard(self.root, index, item, keep=keep)

    def join(self, index: int, item: InputFile, blocks: int) -> None:
        """A split file's shard: the shards of its blocks, read in their order where its own
        files would be (nothing is copied). Its meta, written once every block's is, counts
        them all and says how many blocks there are."""
        totals = Totals()
        for block in range(blocks):
            meta = orjson.loads((self.root / f"{shard_base(index, block)}.meta.json").read_bytes())
            totals.add(Totals.from_dict(meta["totals"]))
        meta = {"file": item.where, "report_name": item.report_name, "totals": totals.as_dict(), "blocks": blocks}
        write_atomic(self.root / f"{shard_base(index)}.meta.json", orjson.dumps(meta), sync=False)  # see meta()

    merge = join  # the Ray engine's name for it

    def parts(self, index: int, meta: dict[str, Any], part: str) -> list[Path]:
        """The files holding ``part`` of a finished file's shard, in order."""
        blocks = meta.get("blocks")
        if blocks is None:
            return [self.root / f"{shard_base(index)}.{part}"]
        return [self.root / f"{shard_base(index, block)}.{part}" for block in range(blocks)]

    def staging(self, fresh: bool = True) -> Path:
        """The report directory being built, in the publish directory; ``fresh``: emptied first
        (a killed run's staging is rebuilt the same)."""
        staging = self.publish / STAGING
        if fresh:
            shutil.rmtree(self.root / PUBLISH, ignore_errors=True)
            if self.publish != self.root / PUBLISH:
                for name in (STAGING, REPLACED):
                    shutil.rmtree(self.publish / name, ignore_errors=True)
                (self.root / PUBLISH).mkdir()  # (the output is built there, beside it)
            staging.mkdir(parents=True)
        return staging

    def staged_out(self) -> Path:
        """Where the output is built before it is published."""
        return self.root / PUBLISH / self.out.name

    def assemble(
        self,
        out: Path,
        report: Path,
        flag_share: float = FLAG_SHARE,
        page_built: bool = False,
        reports: Reports = "full",
        id_field: str = "id",
        overwrite: bool = False,
    ) -> Totals:
        """Build the outputs in staging from the shards, publish them by renames (the report
        directory, then the JSONL), then remove the work directory. ``page_built``: the review
        page, the diffs and a plain JSONL output's records are in staging already (joined from
        the shards as they were finished, see page.py). ``reports``: "summary" leaves out the
        review page and removals.jsonl (its shards hold no diff and no review record)."""
        found = [self.meta(i) for i in range(len(self.items))]
        assert all(found), "every input file has a finished shard"
        metas: list[dict[str, Any]] = found  # type: ignore[assignment]
        staging = self.staging(fresh=not page_built)
        faults.point("assemble")
        for i, meta in enumerate(metas if not page_built else []):
            diffs = [path for path in self.parts(i, meta, "diff") if path.stat().st_size]
            if diffs:
                target = staging / f"{meta['report_name']}.diff"
                target.parent.mkdir(parents=True, exist_ok=True)
                link_or_copy(diffs, target)
        totals = write_summary(staging, lambda: self._files(metas), lambda: self._notes(metas), flag_share)
        if not page_built and reports == "full":
            html.write_page(
                staging / "index.html", (path for i, meta in enumerate(metas) for path in self.parts(i, meta, "page"))
            )
        staged_out = self.staged_out()
        records = [path for i, meta in enumerate(metas) for path in self.parts(i, meta, "jsonl")]
        if writers.output_format(out) == "jsonl":  # the shards' bytes as they are: not written twice
            if not page_built:  # (else page.py has appended them already)
                link_or_copy(records, staged_out)
            with staged_out.open("rb") as handle:
                os.fsync(handle.fileno())
        else:
            with staged_out.open("wb") as handle:  # in the format the name asks for (cleaner/io/writers.py)
                writers.write(out, records, handle)
                handle.flush()
                os.fsync(handle.fileno())
        # The marker lists every path the report holds, so that --overwrite can tell them from
        # files added to it since (foreign_paths) and replace only a report holding nothing else;
        # and the output's size, so that a later run over a folder holding the output skips it
        # only while it is this output (readers._output: a file put in its place is input).
        size, digest = staged_out.stat().st_size, output_digest(staged_out)
        # And the field its records hold the documents' ids in (``cleaner compare`` reads them).
        marker = {
            "out": os.path.relpath(out.absolute(), report.absolute()),
            "out_size": size,
            "out_digest": digest,
            "id_field": id_field,
            "paths": _paths(staging),
        }
        (staging / REPORT_MARKER).write_bytes(orjson.dumps(marker) + b"\n")
        faults.point("staged-report")
        faults.point("staged-out")
        if not overwrite:  # (before the manifest names this run's outputs: see published_here)
            self._refuse_written_since(out, report)
        self._check_report(report)
        manifest = _manifest(self.root) or {}
        if report.is_dir():  # written into (_publish_report): the report keeps its inode
            # Its own without --overwrite (published_here) once this run has begun writing into
            # it, unless it holds another run's report, which only --overwrite replaces.
            ours = not any(report.iterdir()) or published_here(out, report)
            manifest["published"] = {"report": _inode(report)} if ours else {}
            manifest["filling"] = {"report": _inode(report), "paths": marker["paths"]}
        else:
            manifest["published"] = {"report": _inode(staging)}
            manifest.pop("filling", None)
        manifest["published"]["out"] = _inode(staged_out)
        write_atomic(self.root / MANIFEST, orjson.dumps(manifest))
        with _signals_held():  # (an interrupt meanwhile: once the report is all in place)
            self._publish_report(staging, report, self.publish / REPLACED)
            self.published.append(report)
        faults.point("report-published")
        if needs_out_marker(out, report):  # (before the output: it is never there without)
            where = os.path.relpath(report.absolute(), out.absolute().parent)
            write_atomic(out_marker(out), orjson.dumps({"report": where, "size": size, "digest": digest}) + b"\n")
        check_replaceable(out)
        with _signals_held():
            staged_out.replace(out)
            self.published.append(out)
        faults.point("out-published")
        self.close(remove=True)
        return totals

    def _refuse_written_since(self, out: Path, report: Path) -> None:
        """Without --overwrite, an output or a report that is there now (and that no run of this
        work directory published) came while this run cleaned: another run's, or the user's. The
        start's checks (run.Target) saw none; it is not replaced either, and the cleaned files
        stay here for --resume."""
        then = (
            f"the cleaned input files are kept in {self.root}: move it away, or pass --overwrite to "
            "replace it, and run the same command with --resume"
        )
        if (out.exists() or out.is_symlink()) and not published_here(out, out):
            raise UsageError(f"{out} was written while this run cleaned; {then}")
        if report.is_dir() and any(report.iterdir()) and not published_here(out, report):
            raise UsageError(f"{report} holds a report written while this run cleaned; {then}")

    def _check_report(self, report: Path) -> None:
        """A report directory there now must still be one cleaner may write into (checked at the
        start too: again, for what came since): empty, a previous report holding nothing cleaner
        did not write, or one this work directory's run was writing into (filling_here)."""
        if report.is_symlink() or (report.exists() and not report.is_dir()):
            raise UsageError(f"{report} is not a directory; cleaner will not replace it")
        if report.is_dir() and any(report.iterdir()):
            filled = filling_here(self.out, report)
            if not (report / REPORT_MARKER).is_file() and filled is None:
                raise UsageError(f"{report} is not a cleaner report directory; cleaner will not replace it")
            if found := foreign_paths(report, filled):
                raise UsageError(
                    f"{foreign_message(report, found)}; then run the same command with --resume "
                    f"(the cleaned input files are kept in {self.root})"
                )

    def _publish_report(self, staging: Path, report: Path, aside: Path) -> None:
        """Put the staged report into place: renamed there when there is none; into a directory
        that is there (an empty one, the user's; a previous report), its entries are moved, so
        that it stays the same directory, of the same mode, owner and group. Moved in the same
        order as a whole report is published: what it held first (a previous report, checked
        by _check_report) is moved aside into the publish directory, all but its marker, which
        goes on naming the output it is the report of; then the new entries, and the new marker
        last of all, over the old one. What was moved aside is deleted with the work directory
        (close): its files with the shards', by several threads, once the JSONL is published too
        (removed one at a time before that, the 411 files of a report of 20,000 documents waited
        0.07 to 1.6 s for the device, online discard, on a loaded machine)."""
        if not report.exists():
            staging.replace(report)
            return
        aside.mkdir(exist_ok=True)
        for name in sorted(os.listdir(report)):
            if name != REPORT_MARKER:
                os.rename(report / name, aside / name)
        faults.point("report-aside")
        for name in sorted(os.listdir(staging)):
            if name != REPORT_MARKER:
                os.rename(staging / name, report / name)
                faults.point("report-filling")
        os.rename(staging / REPORT_MARKER, report / REPORT_MARKER)
        staging.rmdir()

    def close(self, remove: bool = False) -> None:
        """Release the lock; with ``remove``, delete the work directory first (meta files
        before anything else, so a kill midway leaves shards that simply are not there). A
        staging directory beside the report goes in either case: all it holds is rebuilt by
        the next run (the staging) or was to be deleted (a previous report moved aside)."""
        if self._staging_lock is not None:
            _remove_staging(self.publish)
            os.close(self._staging_lock)
            self._staging_lock = None
        if self._lock is None:
            return
        if remove:
            _clear(self.root, keep_lock=True)
            (self.root / LOCK).unlink(missing_ok=True)
            self.root.rmdir()
        os.close(self._lock)
        self._lock = None

    def _files(self, metas: list[dict[str, Any]]) -> Iterator[tuple[str, Totals]]:
        for meta in metas:
            yield meta["file"], Totals.from_dict(meta["totals"])

    def _notes(self, metas: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for i, meta in enumerate(metas):
            yield from self._notes_of(i, meta)

    def _notes_of(self, index: int, meta: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The notes of a finished file's shard (summary.FileSummary's), in order."""
        for path in self.parts(index, meta, "notes"):
            with path.open("rb") as notes:
                for line in notes:
                    yield orjson.loads(line)


_REMOVERS = 8

# What a report of an older cleaner, whose marker lists no paths, may hold: these names at its
# top, review/*.js, and .diff files (named by the input files, so anywhere under it). Nothing else
# is taken for cleaner's. compare.* are written into a report after it is published (clean
# --baseline, compare --out), so they are in no marker's list either.
_OWN_NAMES = frozenset({"summary.json", "summary.md", "removals.jsonl", "index.html"})
_COMPARE_NAMES = frozenset({"compare.md", "compare.json", "compare.html"})


def _paths(report: Path) -> list[str]:
    """Every file and directory under ``report`` (directories ending in ``/``), sorted."""
    found: list[str] = []

    def visit(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    found.append(f"{prefix}{entry.name}/")
                    visit(Path(entry.path), f"{prefix}{entry.name}/")
                elif prefix or entry.name != REPORT_MARKER:  # the marker is cleaner's, listed or not
                    found.append(prefix + entry.name)

    visit(report, "")
    return sorted(found)


def _listed(report: Path) -> set[str] | None:
    """The paths the report's marker lists; None for a marker that lists none (an older cleaner's)."""
    try:
        paths = orjson.loads((report / REPORT_MARKER).read_bytes()).get("paths")
    except (OSError, orjson.JSONDecodeError, AttributeError):
        return None
    return set(paths) if isinstance(paths, list) and all(isinstance(p, str) for p in paths) else None


def _own_by_name(rel: str) -> bool:
    """Whether an older cleaner's report may hold the file ``rel`` (see _OWN_NAMES)."""
    top, _, rest = rel.partition("/")
    if not rest:
        return rel in _OWN_NAMES or rel.endswith(".diff")
    if top == "review":
        return "/" not in rest and rest.endswith(".js")
    return rel.endswith(".diff")


def foreign_paths(report: Path, filled: set[str] | None = None) -> list[str]:
    """What the report directory ``report`` holds that cleaner did not write there, sorted
    (directories ending in ``/``, each named and not gone into): paths its marker does not list,
    or, a marker of an older cleaner, paths not of cleaner's names; symlinks and other non-files
    always. --overwrite replaces only a report for which this is empty. ``filled``: the paths a
    run was moving into it when it stopped (filling_here), cleaner's too; a directory without a
    marker holds only those."""
    listed = _listed(report)
    if listed is None and filled is not None and not (report / REPORT_MARKER).is_file():
        listed = set()
    found: list[str] = []

    def visit(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if listed is None or rel + "/" in listed or (filled is not None and rel + "/" in filled):
                        visit(Path(entry.path), rel + "/")
                    else:
                        found.append(rel + "/")
                elif not entry.is_file(follow_symlinks=False) or not (
                    rel == REPORT_MARKER
                    or rel in _COMPARE_NAMES
                    or (filled is not None and rel in filled)
                    or (rel in listed if listed is not None else _own_by_name(rel))
                ):
                    found.append(rel)

    visit(report, "")
    return found


def foreign_message(report: Path, found: list[str]) -> str:
    """One line naming the first of ``found`` (foreign_paths)."""
    shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    return (
        f"--report {report} holds {shown}, which cleaner did not write; cleaner replaces only its own "
        f"reports: move {'it' if len(found) == 1 else 'them'} away or choose another path"
    )


def _remove(path: Path) -> None:
    path.unlink()


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back while an output is put in place (a report's entries moved
    into a directory, a few renames): one that comes meanwhile is acted on once that is done, so
    that an interrupt never leaves a report half moved in, and the outputs the run says it
    published are those in place. (Handlers are the main thread's: elsewhere, nothing is held.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held: dict[int, Any] = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(number)
        if handler is None or handler == signal.SIG_IGN:  # (set outside Python; or ignored anyway)
            continue
        held[number] = handler
        signal.signal(number, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
    if caught:
        signal.raise_signal(caught[0])


def _hold_staging(root: Path, report: Path) -> int:
    """Make (or take back) the staging directory ``root`` of the report ``report`` and hold its
    lock; one a killed run left (its lock free) is emptied first: it was cleaner's to rebuild."""
    if (root.exists() or root.is_symlink()) and not _staging_ours(root):  # (checked at the start too)
        raise UsageError(f"{root} exists and is not a cleaner staging directory; move it away")
    fd = _lock(root, _staging_busy(root, report))
    try:
        _clear(root, keep_lock=True)
        write_atomic(root / MANIFEST, orjson.dumps({"staging": str(report)}), sync=False)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _remove_staging(root: Path) -> None:
    """Remove a staging directory (its lock held): as a work directory (_clear: its manifest
    last, so a kill midway leaves one still marked as cleaner's), then its lock. What cannot be
    removed stays, for the next run to take back."""
    try:
        _clear(root, keep_lock=True)
        (root / LOCK).unlink(missing_ok=True)
        root.rmdir()
    except OSError:
        pass


def _clear(root: Path, keep_lock: bool) -> None:
    """Remove a work (or staging) directory's files: the metas, then the rest, the manifest last
    (each group gone before the next is begun). A group's files are removed by a few threads at
    once: on a file system mounted with online discard, removing a file whose blocks were
    written (every meta is fsynced) waits milliseconds for the device, and the waits overlap.
    So are the files in its directories (publish/: a staging, a replaced report), which are
    then removed deepest first."""
    phases: tuple[list[Path], list[Path], list[Path]] = ([], [], [])
    directories: list[Path] = []
    for path in root.iterdir():
        if keep_lock and path.name == LOCK:
            continue
        if path.is_dir() and not path.is_symlink():
            _tree(path, phases[1], directories)
        else:
            phases[0 if path.name.endswith(".meta.json") else 2 if path.name == MANIFEST else 1].append(path)
    with ThreadPoolExecutor(_REMOVERS) as removers:
        for phase in phases:
            list(removers.map(_remove, sorted(phase)))
            if phase is phases[1]:
                for directory in directories:
                    directory.rmdir()


def _tree(directory: Path, found: list[Path], directories: list[Path]) -> None:
    """The files under ``directory`` (not following links) into ``found``; it and the directories
    under it into ``directories``, each after those under it."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _tree(Path(entry.path), found, directories)
            else:
                found.append(Path(entry.path))
    directories.append(directory)


def link_or_copy(sources: list[Path], target: Path) -> None:
    """A shard's diff (or a plain JSONL output's records) into staging without consuming the
    shard: a link to its one file, else its files one after the other (copied in the kernel).
    A shard's files are never written again once committed, so the link is as good as a copy."""
    if len(sources) == 1:
        try:
            os.link(sources[0], target)
            return
        except OSError:
            pass
    with target.open("wb") as out:
        files.append_files(sources, out)


def _lock(root: Path, busy: str) -> int:
    """Create the work directory if needed and hold its lock file; refuse if another run does
    (``busy``: the message). The lock file is removed with the work directory, so after locking
    check that the file locked is still the one in place (else another run just finished: lock
    the new one)."""
    for _ in range(100):
        try:
            root.mkdir(exist_ok=True)
            fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise UsageError(f"{root}: cannot create the work directory: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(busy) from None
        try:
            if os.path.samestat(os.fstat(fd), os.stat(root / LOCK)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise UsageError(f"{root}: cannot lock the work directory")
