"""``-`` as input (stdin) and ``--out -`` (stdout), for ``cat x.jsonl | cleaner clean - --out - | next``.

A run reads its inputs more than once (sizes, fingerprint, ``--drop-repeated``'s two passes) and
writes its output whole at the end, so stdin is first copied into a scratch directory cleaner
creates, and ``--out -`` is written there and then copied to stdout. The scratch directory (and
with it the work directory and, unless ``--report`` is given, the reports) is removed at the end:
cleaner created it, so it deletes it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from cleaner.errors import OutputError
from cleaner.io.readers import InputFile

STDIN = "-"
StdinFormat = Literal["jsonl", "txt"]


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh directory, removed with everything in it at the end, however the run ends."""
    root = Path(tempfile.mkdtemp(prefix="cleaner-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


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
