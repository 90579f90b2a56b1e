"""Whole files appended to an output, in the kernel where it can: the main process joins every
shard's removals and diff files, and bytes that pass through it cost it CPU its workers lack."""

from __future__ import annotations

import io
import os
import shutil
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from cleaner.io.atomic import atomic_open, link_atomic

# Bytes appended to a Synced output between two hand-overs to the disk.
SYNC_AHEAD = 8 << 20
_datasync = getattr(os, "fdatasync", os.fsync)  # (macOS has no fdatasync)


def append(source: BinaryIO, target: BinaryIO) -> int:
    """Copy ``source`` (from its start) to the end of ``target``: by copy_file_range (the bytes
    stay in the kernel), else, on a file system or kernel without it, through a buffer. How many
    bytes were copied."""
    copied = 0
    copy_range = getattr(os, "copy_file_range", None)  # (Linux only)
    try:
        if copy_range is not None:
            target.flush()
            source_fd, target_fd = source.fileno(), target.fileno()
            while done := copy_range(source_fd, target_fd, 1 << 30):
                copied += done
            return copied
    except (OSError, io.UnsupportedOperation):  # EXDEV, ENOSYS, EINVAL; not a file
        pass
    source.seek(copied)
    end = target.seek(0, os.SEEK_END)
    shutil.copyfileobj(source, target, 1 << 20)
    return copied + target.tell() - end


def append_files(sources: list[Path], target: BinaryIO) -> None:
    """Each of ``sources``, in order, to the end of ``target``."""
    for path in sources:
        with path.open("rb") as source:
            append(source, target)


class Synced:
    """An output that is fsynced once it is whole (the staged clean.jsonl, removals.jsonl), its
    appended bytes handed to the disk SYNC_AHEAD at a time as they come. The final fsync waits
    for every byte not yet written back (about 40 ms for each of those two files at 20,000
    documents), and with workers it came after the last one was done, when nothing else runs;
    the page thread appends while they clean, so its syncs overlap the cleaning, and the final
    one has only the last bytes to write. The same bytes are written either way."""

    def __init__(self, target: BinaryIO):
        self.target = target
        self.unsynced = 0

    def append(self, source: BinaryIO) -> None:
        self.unsynced += append(source, self.target)
        if self.unsynced >= SYNC_AHEAD:
            self.target.flush()
            _datasync(self.target.fileno())
            self.unsynced = 0


class Joined:
    """An output made of whole files one after the other (removals.jsonl of the shards'), its
    files appended as they come (Synced); ``finish`` puts it in place, whole and synced, by one
    rename (io/atomic.py; an error before removes it). The first file is held until a second
    comes: a lone one (a run of one unit, as a one-worker run on one input file is) is linked
    instead, its bytes (72 MB at 20,000 bench documents) neither copied in the kernel nor written
    to the disk twice. A shard's files are never written again once committed (workdir.py), so
    the link is as good as a copy."""

    def __init__(self, path: Path):
        self.path = path
        self._held: Path | None = None
        self._stack = ExitStack()  # the output being appended to, once there are two files
        self._out: Synced | None = None

    def __enter__(self) -> Joined:
        return self

    def add(self, source: Path) -> None:
        if self._out is None and self._held is None:
            self._held = source
            return
        self._open()
        self._append(source)

    def finish(self) -> None:
        """Every file is added: the output into place."""
        if self._out is None and (self._held is None or not link_atomic(self._held, self.path)):
            self._open()  # none at all, or a file system without links
        self._stack.close()  # (atomic_open's end: synced, renamed)

    def _open(self) -> None:
        if self._out is None:
            self._out = Synced(self._stack.enter_context(atomic_open(self.path)))
            if self._held is not None:
                self._append(self._held)
                self._held = None

    def _append(self, source: Path) -> None:
        assert self._out is not None
        with source.open("rb") as handle:
            self._out.append(handle)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> bool:
        return self._stack.__exit__(kind, error, trace)  # an error before finish: removed (atomic_open)
