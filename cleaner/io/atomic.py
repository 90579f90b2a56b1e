"""Output files that never exist half-written: write beside, then rename."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from cleaner.errors import UsageError


def umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replaceable(path: Path) -> bool:
    """Whether a rename may land on ``path``: nothing there, or a regular file (never a
    symlink such as /dev/stdout, a device, a FIFO or a directory)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except (FileNotFoundError, NotADirectoryError):  # nothing there (the directory may not exist yet)
        return True


def check_replaceable(path: Path) -> None:
    if not replaceable(path):
        raise UsageError(f"{path} exists and is not a regular file; cleaner only replaces regular files")


def check_new_files(paths: Iterable[Path], overwrite: bool) -> None:
    """The files a command is about to write, refused before anything is written: one already
    there is replaced only with ``overwrite`` (--overwrite). Cleaner cannot tell a file it wrote
    before (a previous run's output, schema or comparison) from one a user wrote or edited
    since, so it takes neither without being asked; a directory, a symlink, a device are
    refused even so (a rename would land on them)."""
    paths = list(paths)
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            raise UsageError(f"{path} is a directory, not a file")
        check_replaceable(path)
    there = [str(path) for path in paths if path.exists()]
    if there and not overwrite:
        if len(there) == 1:
            raise UsageError(f"{there[0]} exists; pass --overwrite to replace it")
        raise UsageError(f"{', '.join(there)} exist; pass --overwrite to replace them")


@contextmanager
def atomic_open(path: Path, sync: bool = True) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename,
    on any error (or KeyboardInterrupt) it is removed and ``path`` is untouched. The file gets
    the permissions any other tool would give it (mkstemp's are 0600, whatever the umask).
    ``sync``: its bytes reach the disk before the rename, so that even a power loss leaves the
    old file or the new one whole; without, that holds for a killed process only (the system
    has the bytes), and no wait for the disk (tens of milliseconds) is made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        check_replaceable(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str, sync: bool = True) -> None:
    with atomic_open(path, sync) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def link_atomic(source: Path, path: Path) -> bool:
    """``path`` made a hard link to ``source`` by one rename, as atomic_open would have written
    it (its bytes synced first, the permissions of the umask): the same file, not a copy, for a
    file never written again. False, with nothing done, where no link can be made (a file system
    without them)."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.part")
        try:
            os.link(source, tmp)
            break
        except FileExistsError:
            continue
        except OSError:
            return False
    else:
        return False
    try:
        os.chmod(tmp, 0o666 & ~umask())
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        check_replaceable(path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
