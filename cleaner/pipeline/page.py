"""The review page, the diffs and the records of a run with several workers, joined while they
clean (see local.py)."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cleaner.io import writers
from cleaner.pipeline.workdir import WorkDir, link_or_copy, shard_base
from cleaner.report import files, html
from cleaner.report.outcome import Reports

# A unit's shard as the thread gets it: its file's index, its base name, whether it is the file
# (unsplit: its diff is linked, not copied); None once every unit is handed over.
_Part = tuple[int, str, bool]


class Page:
    """The outputs joined from the shards on a thread of the main process, as the units come
    back in order, while the workers go on cleaning: the review page (from the shards' page
    files, report/pagedata.py: rendered by the workers), each input file's diff and, for a
    plain JSONL output, the records (their bytes appended in the kernel, report/files.py). So
    that this overlaps the cleaning instead of following it: what the run does after its last
    worker is done is no longer than one unit's share. The files finished by an interrupted run
    are read in their place. Everything goes into the work directory's staging (WorkDir.staging),
    which assemble() publishes; a killed run's staging is rebuilt from the shards."""

    def __init__(self, work: WorkDir, reports: Reports = "full"):
        self.work = work
        self.reports = reports  # "summary": the records only (no review page, and the diffs are empty)
        self._queue: queue.SimpleQueue[_Part | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._abandoned = False
        self._done_before: list[int] = []  # files of an interrupted run, by index, not yet added
        self._diff: tuple[int, BinaryIO] | None = None  # the split file whose diff is being appended to
        self._records: files.Synced | None = None  # the staged plain JSONL output, if the output is one

    def start(self, todo: set[int]) -> None:
        """Start building (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self._done_before = [i for i in range(len(self.work.items)) if i not in todo]
        staging = self.work.staging()
        self._thread = threading.Thread(target=self._build, args=(staging,), daemon=True)
        self._thread.start()

    def add(self, index: int, block: int | None) -> None:
        """The next unit back: file ``index`` or block ``block`` of it (after the files before it
        that an interrupted run finished)."""
        self._before(index)
        self._queue.put((index, shard_base(index, block), block is None))

    def _before(self, index: int) -> None:
        """Hand over the shards of the files an interrupted run finished, up to ``index``."""
        while self._done_before and self._done_before[0] < index:
            done = self._done_before.pop(0)
            meta = self.work.meta(done)
            assert meta is not None
            blocks = meta.get("blocks")
            if blocks is None:
                self._queue.put((done, shard_base(done), True))
            for block in range(blocks or 0):
                self._queue.put((done, shard_base(done, block), False))

    def _build(self, staging: Path) -> None:
        try:
            if writers.output_format(self.work.out) == "jsonl":  # other formats are written by assemble()
                self._records = files.Synced(self.work.staged_out().open("wb"))  # assemble() fsyncs it
            if self.reports == "full":
                html.write_page(staging / "index.html", self._fragments(staging))
            else:  # no page: the fragments walked for the records joined on the way (the diffs are empty)
                for _ in self._fragments(staging):
                    pass
            self._close_diff()
            if self._records is not None:
                self._records.target.close()
        except BaseException as exc:  # handed to the main thread by finish()
            self._error = exc
            self._close_diff()
            if self._records is not None:
                self._records.target.close()

    def _fragments(self, staging: Path) -> Iterator[Path]:
        """The page files in order, for html.write_page; the records and diffs appended on the way."""
        root = self.work.root
        while True:
            part = self._queue.get()
            if self._abandoned:
                raise _Abandoned
            if part is None:
                return
            index, base, whole = part
            if self._records is not None:
                with (root / f"{base}.jsonl").open("rb") as records:
                    self._records.append(records)
            self._add_diff(staging, index, root / f"{base}.diff", whole)
            yield root / f"{base}.page"

    def _add_diff(self, staging: Path, index: int, diff: Path, whole: bool) -> None:
        """A unit's diff into its file's: a whole file's linked, a split file's blocks appended;
        none for a file with nothing changed (as assemble() does it)."""
        if self._diff is not None and self._diff[0] != index:
            self._close_diff()
        if not os.stat(diff).st_size:
            return
        target = staging / f"{self.work.items[index].report_name}.diff"
        if whole:
            target.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy([diff], target)
            return
        if self._diff is None:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._diff = (index, target.open("wb"))
        with diff.open("rb") as source:
            files.append(source, self._diff[1])

    def _close_diff(self) -> None:
        if self._diff is not None:
            self._diff[1].close()
            self._diff = None

    def abandon(self) -> None:
        """The run failed: stop building (the staging is rebuilt by the next run)."""
        if self._thread is None:
            return
        self._abandoned = True
        self._queue.put(None)
        self._thread.join()

    def finish(self) -> None:
        """Every unit is back: hand over the rest, wait for the page; its error, if any, is the run's."""
        assert self._thread is not None
        self._before(len(self.work.items))
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class _Abandoned(Exception):
    pass
