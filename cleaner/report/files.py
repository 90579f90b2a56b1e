"""Whole files appended to an output, in the kernel where it can: the main process joins every
shard's removals and diff files, and bytes that pass through it cost it CPU its workers lack."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import BinaryIO


def append(source: BinaryIO, target: BinaryIO) -> None:
    """Copy ``source`` (from its start) to the end of ``target``: by copy_file_range (the bytes
    stay in the kernel), else, on a file system or kernel without it, through a buffer."""
    copied = 0
    copy_range = getattr(os, "copy_file_range", None)  # (Linux only)
    try:
        if copy_range is not None:
            target.flush()
            source_fd, target_fd = source.fileno(), target.fileno()
            while done := copy_range(source_fd, target_fd, 1 << 30):
                copied += done
            return
    except (OSError, io.UnsupportedOperation):  # EXDEV, ENOSYS, EINVAL; not a file
        pass
    source.seek(copied)
    target.seek(0, os.SEEK_END)
    shutil.copyfileobj(source, target, 1 << 20)


def append_files(sources: list[Path], target: BinaryIO) -> None:
    """Each of ``sources``, in order, to the end of ``target``."""
    for path in sources:
        with path.open("rb") as source:
            append(source, target)
