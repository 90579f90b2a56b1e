"""The review page of a run with several workers, joined while they clean (see local.py)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from cleaner.pipeline.workdir import WorkDir
from cleaner.report import html


class Page:
    """The review page, joined on a thread of the main process from the shards' page files
    (report/pagedata.py: rendered by the workers) as the units come back in order, while the
    workers go on cleaning: joining reads every changed document's line of them (a few
    microseconds each), so it overlaps the cleaning instead of following it. The files finished
    by an interrupted run are read in their place."""

    def __init__(self, work: WorkDir):
        self.work = work
        self._queue: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._abandoned = False
        self._done_before: list[int] = []  # files of an interrupted run, by index, not yet added
        self._next = 0  # the index of the file whose fragments come next

    def start(self, todo: set[int]) -> None:
        """Start building (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self._done_before = [i for i in range(len(self.work.items)) if i not in todo]
        staging = self.work.staging()
        self._thread = threading.Thread(target=self._build, args=(staging / "index.html",), daemon=True)
        self._thread.start()

    def add(self, index: int, fragment: Path) -> None:
        """The next fragment, of file ``index`` (after those of earlier files done before)."""
        self._before(index)
        self._queue.put(fragment)

    def _before(self, index: int) -> None:
        """Hand over the fragments of the files an interrupted run finished, up to ``index``."""
        while self._done_before and self._done_before[0] < index:
            done = self._done_before.pop(0)
            meta = self.work.meta(done)
            assert meta is not None
            for fragment in self.work.parts(done, meta, "page"):
                self._queue.put(fragment)

    def _build(self, path: Path) -> None:
        try:
            html.write_page(path, self._fragments())
        except BaseException as exc:  # handed to the main thread by finish()
            self._error = exc

    def _fragments(self) -> Iterator[Path]:
        while True:
            fragment = self._queue.get()
            if self._abandoned:
                raise _Abandoned
            if fragment is None:
                return
            yield fragment

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
