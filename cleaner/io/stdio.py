"""``-`` as input (stdin) and ``--out -`` (stdout), for ``cat x.jsonl | cleaner clean - --out - | next``.

A run reads its inputs more than once (sizes, fingerprint, ``--drop-repeated``'s two passes) and
writes its output whole at the end, so stdin is first copied into a scratch directory cleaner
creates, and ``--out -`` is written there and then copied to stdout. The scratch directory (and
with it the work directory and, unless ``--report`` is given, the reports) is removed at the end:
cleaner created it, so it deletes it.

A run killed with SIGKILL (the OOM killer, ``kill -9``, a container stop) never reaches that
end, and leaves its scratch directory (all of stdin, the shards, the staged outputs) in the temp
directory. So every scratch directory holds a marker file, ``.cleaner-scratch``, locked with
``flock`` by the run's process for the whole run (its workers die with it), and a run that makes
a scratch directory first removes this host's ``cleaner-<host>-*`` directories of the temp
directory whose marker nobody holds: runs that died. The marker is locked before it gets its
name, so a live run's directory never shows an unlocked one, and it is removed last, so a
directory half removed still has it; a directory without the marker, a symlink, another user's
directory, another host's (a temp directory shared over the network, whose locks may be each
host's own) are never touched. Where the temp directory's file system has no ``flock``, the run
goes on without a marker, and a SIGKILL leaves its directory as before."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Literal

from cleaner.errors import OutputError
from cleaner.io.readers import InputFile

STDIN = "-"
StdinFormat = Literal["jsonl", "txt"]


MARKER = ".cleaner-scratch"


def prefix() -> str:
    """The scratch directories' name prefix: ``cleaner-<host>-``, so that a run sweeps only the
    directories of its own host's runs (see the module)."""
    host = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "_" for c in socket.gethostname()[:40])
    return f"cleaner-{host or 'host'}-"


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh directory, removed with everything in it at the end, however the run ends; one a
    SIGKILL left behind is removed by the next run that makes one (its marker's lock is gone)."""
    temp = tempfile.gettempdir()
    sweep(temp)
    root = Path(tempfile.mkdtemp(prefix=prefix(), dir=temp))
    held: int | None = None
    try:
        held = _hold(root)
        yield root
    finally:
        _remove(str(root))  # the lock still held: no sweeper races this
        if held is not None:
            os.close(held)


def _hold(root: Path) -> int | None:
    """The marker of the fresh directory ``root``, locked, as an open descriptor. Created and
    locked under another name, then renamed (the lock is the inode's): a sweeper never sees the
    marker of a live run unlocked. None where the file system has no flock: no marker."""
    pending = root / f"{MARKER}.new"
    fd = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(pending, root / MARKER)
    except OSError:
        os.close(fd)
        pending.unlink(missing_ok=True)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _remove(path: str) -> None:
    """The directory and everything in it, its marker last: a removal cut short (a kill) leaves a
    directory that still has its marker, for the next sweep."""
    try:
        entries = os.listdir(path)
    except OSError:
        return
    for name in entries:
        if name != MARKER:
            full = os.path.join(path, name)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full, ignore_errors=True)
            else:
                with suppress(OSError):
                    os.unlink(full)
    with suppress(OSError):
        os.unlink(os.path.join(path, MARKER))
    with suppress(OSError):
        os.rmdir(path)


def sweep(temp: str) -> None:
    """Remove the scratch directories in ``temp`` of this host's runs that died. Never fails the run."""
    try:
        names = os.listdir(temp)
    except OSError:
        return
    uid, ours = os.geteuid(), prefix()
    for name in names:
        if name.startswith(ours):
            _reclaim(os.path.join(temp, name), uid)


def _reclaim(path: str, uid: int) -> None:
    """Remove ``path`` if it is a directory of ours (not a symlink) holding a marker (a regular
    file) whose lock is free: its run is gone. Anything else, or any error, leaves it be."""
    try:
        dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        found = os.fstat(dir_fd)
        if found.st_uid != uid:
            return
        # (read-write: an exclusive flock over NFS needs a descriptor open for writing)
        fd = os.open(MARKER, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a live run holds it
            # still the marker in place, in the directory at that name (no other sweeper removed it)
            if os.path.samestat(os.fstat(fd), os.stat(MARKER, dir_fd=dir_fd, follow_symlinks=False)) and (
                os.path.samestat(found, os.lstat(path))
            ):
                _remove(path)
        finally:
            os.close(fd)
    except OSError:
        return
    finally:
        os.close(dir_fd)


def spool_stdin(root: Path, fmt: StdinFormat) -> InputFile:
    """stdin copied into ``root`` as one input file, named ``-`` in sources and messages; its
    records' ids are ``stdin:<line>`` (one text document: ``stdin``)."""
    name = f"stdin.{fmt}"
    path = root / "stdin" / name
    path.parent.mkdir()
    with path.open("wb") as handle:
        shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
    return InputFile(path, name, shown=STDIN)


def emit(path: Path) -> None:
    """The file's bytes on stdout. A reader that stops early (``| head``) is not an error; a
    stdout that cannot take them (a disk full, an I/O error) is an OutputError."""
    try:
        with path.open("rb") as records:
            shutil.copyfileobj(records, sys.stdout.buffer, 1 << 20)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _drop_stdout()
    except OSError as exc:
        if exc.filename is not None:  # reading the scratch file, not writing stdout
            raise
        raise stdout_failed(exc) from None


def stdout_failed(exc: OSError) -> OutputError:
    """The error for a write to stdout that failed (not a closed pipe). What stdout still
    buffers is dropped: Python flushing it at exit would fail again, with a traceback."""
    _drop_stdout()
    return OutputError(f"cannot write to stdout: {exc.strerror or exc}")


def _drop_stdout() -> None:
    """Point stdout at nothing, so that Python's flush at exit neither fails nor reports the
    pipe (or the disk) again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
