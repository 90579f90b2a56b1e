"""The clean records in the format the output's name asks for: ``.jsonl``, ``.jsonl.gz``,
``.jsonl.zst`` or ``.parquet``. Workers always write JSONL shards (cleaner/pipeline/workdir.py); the one
output file is made from them at the end, in input order, here."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import IO

import zstandard

from cleaner.errors import UsageError

FORMATS = {".jsonl": "jsonl", ".jsonl.gz": "jsonl.gz", ".jsonl.zst": "jsonl.zst", ".parquet": "parquet"}
STDOUT = "-"  # --out -: JSONL records on stdout


def output_format(out: Path) -> str:
    """The format an output name asks for; a usage error for any other name (nothing written)."""
    if str(out) == STDOUT:
        return "jsonl"
    for suffix, name in FORMATS.items():
        if out.name.endswith(suffix):
            if name == "parquet":
                from cleaner.io.parquet import pyarrow

                pyarrow()  # not installed: say so now, before the run
            return name
    raise UsageError(f"--out {out}: the name must end in one of {', '.join(FORMATS)}")


def write(out: Path, shards: list[Path], handle: IO[bytes]) -> None:
    """The records of ``shards`` (JSONL files), in order, into ``handle`` as ``out`` asks.
    Compressed output is deterministic (no time or name in the gzip header), so the output is
    the same bytes whatever the worker count or a resume."""
    fmt = output_format(out)
    if fmt == "parquet":
        from cleaner.io.parquet import write_parquet

        write_parquet(shards, handle)
        return
    if fmt == "jsonl.gz":
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as packed:
            _copy(shards, packed)
    elif fmt == "jsonl.zst":
        with zstandard.ZstdCompressor(level=3).stream_writer(handle, closefd=False) as packed:
            _copy(shards, packed)
    else:
        _copy(shards, handle)


def _copy(shards: list[Path], handle: IO[bytes]) -> None:
    for shard in shards:
        with shard.open("rb") as records:
            shutil.copyfileobj(records, handle, 1 << 20)
