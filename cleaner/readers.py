"""Input discovery and reading: plain-text files and JSONL (plain, gzip, zstd)."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson
import zstandard
from charset_normalizer import from_bytes

from cleaner.document import Document
from cleaner.errors import Problem, UsageError

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")


@dataclass(frozen=True, slots=True)
class Fields:
    """Which JSONL fields hold the text, the id and the URL."""

    text: str = "text"
    id: str = "id"
    url: str = "url"


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    rel: str  # path relative to the input it was found under: names its documents
    group: str = ""  # the name of the input directory it was found in, if any

    @property
    def report_name(self) -> str:
        """Where its diff goes in the report directory; unique across input directories."""
        return f"{self.group}/{self.rel}" if self.group else self.rel

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def kind(self) -> str:
        return "jsonl" if self.path.name.endswith(JSONL_SUFFIXES) else "text"


def _supported(path: Path) -> bool:
    return path.name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES)


def discover(inputs: list[Path]) -> list[InputFile]:
    """The input files, directories recursed in sorted order, each file once."""
    found: list[InputFile] = []
    seen: set[Path] = set()
    for given in inputs:
        if given.is_dir():
            root = given
            candidates = sorted(p for p in given.rglob("*") if p.is_file() and _supported(p))
            prefix = given.resolve().name
        elif given.is_file():
            root, candidates, prefix = given.parent, [given], ""
        else:
            raise UsageError(f"{given}: no such file or directory")
        for path in candidates:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            found.append(InputFile(path, path.relative_to(root).as_posix(), prefix))
    return found


def strip_suffix(name: str) -> str:
    for suffix in JSONL_SUFFIXES + TEXT_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text: UTF-8 when it is, else the charset charset-normalizer finds."""
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ValueError("not text: no character encoding fits")
    return str(best), best.encoding


def _read_text(item: InputFile) -> Iterator[Document | Problem]:
    data = item.path.read_bytes()
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield Problem(str(item.path), None, "binary file (NUL bytes), skipped")
        return
    try:
        text, encoding = decode(data)
    except ValueError as exc:
        yield Problem(str(item.path), None, str(exc))
        return
    meta = {} if encoding == "utf-8" else {"encoding": encoding}
    yield Document(id=strip_suffix(item.rel), text=text, source=str(item.path), meta=meta)


def open_jsonl(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.name.endswith(".zst"):
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(path.open("rb")))
    return path.open("rb")


def _record(item: InputFile, number: int, raw: bytes, fields: Fields) -> Document | Problem:
    where = str(item.path)
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Problem(where, number, f"not valid JSON: {exc}")
    if not isinstance(obj, dict):
        return Problem(where, number, "a JSONL record must be an object")
    text = obj.get(fields.text)
    if not isinstance(text, str):
        what = "missing" if text is None else f"a {type(text).__name__}, not a string"
        return Problem(where, number, f"field '{fields.text}' is {what}")
    doc_id = obj.get(fields.id)
    url = obj.get(fields.url)
    return Document(
        id=str(doc_id) if doc_id is not None else f"{strip_suffix(item.rel)}:{number}",
        text=text,
        source=f"{where}:{number}",
        url=url if isinstance(url, str) and url else None,
    )


def _read_jsonl(item: InputFile, fields: Fields) -> Iterator[Document | Problem]:
    number = 0
    try:
        with open_jsonl(item.path) as handle:
            for number, raw in enumerate(handle, 1):
                if raw.strip():
                    yield _record(item, number, raw, fields)
    except (OSError, EOFError, ValueError, zstandard.ZstdError) as exc:
        # A truncated or corrupt compressed file: keep what was read, report where it broke.
        yield Problem(str(item.path), number + 1, f"cannot read further: {exc}")


def read(item: InputFile, fields: Fields) -> Iterator[Document | Problem]:
    """The documents of one input file, in order; a Problem for each one that cannot be read."""
    try:
        if item.kind == "jsonl":
            yield from _read_jsonl(item, fields)
        else:
            yield from _read_text(item)
    except OSError as exc:
        yield Problem(str(item.path), None, f"cannot read: {exc.strerror or exc}")
