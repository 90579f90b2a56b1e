"""The work directory of a run: one finished shard per input file, then one assembly.

Each input file's records, diff, HTML fragment, counts and notes are written under temporary
names and renamed into place when the file is done, its ``meta.json`` last: a shard with a
meta is complete, one without is not there. A run killed at any point leaves only complete
shards, and ``--resume`` skips them. The final outputs are always assembled from the shards, in
input order, so a resumed run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from cleaner import writers
from cleaner.atomic import atomic_open, write_atomic
from cleaner.errors import UsageError
from cleaner.readers import InputFile
from cleaner.report import html
from cleaner.report.summary import FileSummary, Totals, write_summary

MANIFEST = "run.json"


PARTS = ("jsonl", "diff", "html", "notes")


class Shard:
    """The outputs of one input file (or of one block of it) while it is being cleaned."""

    def __init__(self, directory: Path, index: int, item: InputFile, block: int | None = None):
        self.directory = directory
        self.index = index
        self.item = item
        self.base = f"{index:06d}" if block is None else f"{index:06d}.b{block:05d}"
        self.parts = {name: directory / f"{self.base}.{name}" for name in PARTS}
        self._handles: dict[str, BinaryIO] = {
            name: path.with_name(path.name + ".part").open("wb") for name, path in self.parts.items()
        }
        self.summary = FileSummary(self._handles["notes"])

    def write(self, part: str, data: bytes) -> None:
        self._handles[part].write(data)

    def commit(self) -> None:
        for name, handle in self._handles.items():
            handle.close()
            handle_path = self.parts[name].with_name(self.parts[name].name + ".part")
            handle_path.replace(self.parts[name])
        meta = {
            "file": self.item.where,
            "report_name": self.item.report_name,
            "totals": self.summary.totals.as_dict(),
        }
        write_atomic(self.directory / f"{self.base}.meta.json", orjson.dumps(meta))

    def abandon(self) -> None:
        for handle in self._handles.values():
            handle.close()


def fingerprint(items: list[InputFile], settings: Any) -> str:
    """What a resumed run must share with the interrupted one: inputs, rules, settings."""
    digest = hashlib.sha256(repr(settings).encode())
    for item in items:
        stat = item.path.stat()
        digest.update(f"{item.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


class WorkDir:
    def __init__(self, out: Path, items: list[InputFile], key: str, resume: bool):
        self.root = out.parent / f".{out.name}.work"
        self.items = items
        manifest = self.root / MANIFEST
        if resume and manifest.exists():
            if orjson.loads(manifest.read_bytes()).get("key") != key:
                raise UsageError(
                    f"{self.root}: the interrupted run had other inputs, rules or settings; run again without --resume"
                )
        else:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root.mkdir(parents=True)
            write_atomic(manifest, orjson.dumps({"key": key}))

    def meta(self, index: int) -> dict[str, Any] | None:
        path = self.root / f"{index:06d}.meta.json"
        return orjson.loads(path.read_bytes()) if path.exists() else None

    def shard(self, index: int, item: InputFile) -> Shard:
        return Shard(self.root, index, item)

    def merge(self, index: int, item: InputFile, blocks: int) -> None:
        """One file's shard from the shards of its blocks, as if it had been cleaned in one go."""
        shard = self.shard(index, item)
        for block in range(blocks):
            base = self.root / f"{index:06d}.b{block:05d}"
            meta = base.with_name(base.name + ".meta.json")
            shard.summary.totals.add(Totals.from_dict(orjson.loads(meta.read_bytes())["totals"]))
            for part in PARTS:
                path = base.with_name(f"{base.name}.{part}")
                with path.open("rb") as handle:
                    while chunk := handle.read(1 << 20):
                        shard.write(part, chunk)
        shard.commit()
        for block in range(blocks):
            for path in self.root.glob(f"{index:06d}.b{block:05d}.*"):
                path.unlink()

    def assemble(self, out: Path, report: Path) -> Totals:
        """The final JSONL and report directory from the shards, then the work dir goes."""
        metas = [self.meta(i) for i in range(len(self.items))]
        assert all(metas), "every input file has a finished shard"
        with atomic_open(out) as handle:  # in the format the name asks for (cleaner/writers.py)
            writers.write(out, [self.root / f"{i:06d}.jsonl" for i in range(len(self.items))], handle)
        staging = self.root / "reports"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for i, meta in enumerate(metas):
            diff = self.root / f"{i:06d}.diff"
            if diff.stat().st_size:
                target = staging / f"{meta['report_name']}.diff"  # type: ignore[index]
                target.parent.mkdir(parents=True, exist_ok=True)
                diff.replace(target)
        totals = write_summary(staging, lambda: self._files(metas), self._notes)
        fragments = [self.root / f"{i:06d}.html" for i in range(len(self.items))]
        html.write_page(staging / "index.html", fragments, totals.docs_changed)
        if report.exists():
            shutil.rmtree(report)
        staging.replace(report)
        shutil.rmtree(self.root)
        return totals

    def _files(self, metas: list[dict[str, Any] | None]) -> Iterator[tuple[str, Totals]]:
        for meta in metas:
            assert meta is not None
            yield meta["file"], Totals.from_dict(meta["totals"])

    def _notes(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self.items)):
            with (self.root / f"{i:06d}.notes").open("rb") as notes:
                for line in notes:
                    yield orjson.loads(line)
