"""Input discovery and reading: plain-text files and JSONL (plain, gzip, zstd)."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson
import zstandard
from charset_normalizer import from_bytes

from cleaner.document import Document
from cleaner.errors import Problem, UsageError
from cleaner.web import HTML_SUFFIXES, WARC_SUFFIXES, read_html, read_warc

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")


@dataclass(frozen=True, slots=True)
class Fields:
    """Which JSONL fields hold the text, the id and the URL."""

    text: str = "text"
    id: str = "id"
    url: str = "url"
    html: str | None = None  # a field holding HTML: its text is extracted, ``text`` is not read


@dataclass(frozen=True, slots=True)
class Span:
    """A run of whole lines of a plain JSONL file: bytes ``start`` to ``end``, the first of
    them line ``first_line``. Lets one large file be cleaned in parallel blocks."""

    start: int
    end: int
    first_line: int


@dataclass(frozen=True, slots=True)
class Limits:
    """What a document may cost; a larger one is refused with its reason, not read."""

    max_doc_bytes: int = 64 << 20


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    rel: str  # path relative to the input it was found under (see discover): names its documents
    group: str = ""  # the input directory's name (and parents) that its report path adds, if any

    @property
    def report_name(self) -> str:
        """Where its diff goes in the report directory; unique across input directories."""
        return f"{self.group}/{self.rel}" if self.group else self.rel

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def kind(self) -> str:
        name = self.path.name
        if name.endswith(JSONL_SUFFIXES):
            return "jsonl"
        if name.endswith(HTML_SUFFIXES):
            return "html"
        if name.endswith(WARC_SUFFIXES):
            return "warc"
        return "text"


def _supported(path: Path) -> bool:
    return path.name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES + HTML_SUFFIXES + WARC_SUFFIXES)


def discover(inputs: list[Path]) -> list[InputFile]:
    """The input files, directories recursed in sorted order, each file once, each named
    uniquely among all inputs (see ``_names``). Recursion skips what cleaner itself wrote:
    report directories (they hold REPORT_MARKER), the output JSONL a report names, work
    directories (``.<out>.work``) and mining spill directories."""
    given_files: list[tuple[Path, bool, list[Path]]] = []  # (root, is a directory, files under it)
    seen: set[Path] = set()
    for given in inputs:
        if given.is_dir():
            root, candidates, is_dir = given, _walk(given), True
        elif given.is_file():
            root, candidates, is_dir = given.parent, [given], False
        else:
            raise UsageError(f"{given}: no such file or directory")
        kept = []
        for path in candidates:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            kept.append(path)
        given_files.append((root, is_dir, kept))
    return _names(given_files)


REPORT_MARKER = ".cleaner-report"  # written into every report directory cleaner publishes
# What a report directory holds besides the diffs: no diff may land on one of these names.
REPORT_FILES = frozenset({"index.html", "summary.md", "summary.json", REPORT_MARKER})


def _cleaner_dir(name: str) -> bool:
    return (name.startswith(".") and name.endswith(".work")) or name.startswith(".cleaner-mine-")


def _walk(top: Path) -> list[Path]:
    files: list[Path] = []
    outputs: set[Path] = set()
    for directory, dirs, names in os.walk(top):
        here = Path(directory)
        if REPORT_MARKER in names:
            outputs |= _report_outputs(here)
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not _cleaner_dir(d)]
        files.extend(here / name for name in names if _supported(here / name) and (here / name).is_file())
    return sorted(path for path in files if path.resolve() not in outputs)


def _report_outputs(report: Path) -> set[Path]:
    """The output JSONL a cleaner report directory belongs to (its marker names it)."""
    try:
        out = orjson.loads((report / REPORT_MARKER).read_bytes())["out"]
        return {(report / out).resolve()}
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return set()


def _id_stem(rel: str) -> str:
    """What the ids of a file's documents are built from (see the readers)."""
    kind = InputFile(Path(rel), rel).kind
    if kind == "jsonl":
        return strip_suffix(rel) + ":"  # <file>:<line>
    return strip_suffix(rel) if kind == "text" else rel


def _names(given_files: list[tuple[Path, bool, list[Path]]]) -> list[InputFile]:
    """Name each file by its path under the input it was found in: the id is built from
    ``rel`` and the diff goes to ``group/rel`` (a directory input's name, then ``rel``). With
    one input that is all. When two inputs would give two documents one id or two diffs one
    path (``a/corpus`` and ``b/corpus``), or a diff would land on a report file (an input
    directory named ``index.html``), the inputs involved are named by one more of their parent
    directories, until every name is unique: ``a/corpus/doc`` and ``b/corpus/doc``."""
    parts = [root.resolve().parts[1:] for root, _, _ in given_files]
    ids = [0] * len(given_files)  # how many parent names each input's ids carry
    reports = [1 if is_dir else 0 for _, is_dir, _ in given_files]  # ... and its report paths

    def label(i: int, depth: int) -> str:
        return "/".join(parts[i][len(parts[i]) - depth :]) if depth else ""

    def rels(i: int) -> list[str]:
        return [path.relative_to(given_files[i][0]).as_posix() for path in given_files[i][2]]

    def clashes(names: dict[str, set[int]]) -> set[int]:
        return {i for owners in names.values() if len(owners) > 1 for i in owners}

    def deepen(found: set[int], depths: list[int], what: str) -> None:
        for i in sorted(found):
            if depths[i] >= len(parts[i]):
                raise UsageError(f"{given_files[i][0]}: cannot give its {what} names that no other input has")
            depths[i] += 1

    while True:
        id_names: dict[str, set[int]] = {}
        for i in range(len(given_files)):
            for rel in rels(i):
                id_names.setdefault(_id_stem("/".join(filter(None, (label(i, ids[i]), rel)))), set()).add(i)
        if found := clashes(id_names):
            deepen(found, ids, "documents")
            reports = [max(r, d) for r, d in zip(reports, ids, strict=True)]  # a report path holds the id's
            continue
        report_names: dict[str, set[int]] = {}
        reserved: set[int] = set()
        for i in range(len(given_files)):
            for rel in rels(i):
                name = "/".join(filter(None, (label(i, reports[i]), rel))) + ".diff"
                report_names.setdefault(name, set()).add(i)
                if name.split("/", 1)[0] in REPORT_FILES:
                    reserved.add(i)
        if found := clashes(report_names) | reserved:
            deepen(found, reports, "diffs")
            continue
        break
    found_files: list[InputFile] = []
    for i, (root, _, files) in enumerate(given_files):
        prefix = label(i, ids[i])
        group = "/".join(parts[i][len(parts[i]) - reports[i] : len(parts[i]) - ids[i]])  # reports >= ids
        for path in files:
            rel = path.relative_to(root).as_posix()
            found_files.append(InputFile(path, f"{prefix}/{rel}" if prefix else rel, group))
    return found_files


def strip_suffix(name: str) -> str:
    for suffix in JSONL_SUFFIXES + TEXT_SUFFIXES + WARC_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Read a byte that is not part of valid UTF-8 as Windows-1252 (Latin-1 where it has none)."""
    assert isinstance(error, UnicodeDecodeError)
    byte = error.object[error.start : error.start + 1]
    try:
        return byte.decode("windows-1252"), error.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), error.start + 1


codecs.register_error("cleaner-cp1252", _cp1252_fallback)


def decode(data: bytes) -> tuple[str, dict[str, object]]:
    """Bytes to text, and what ``meta`` should say about it (nothing for clean UTF-8).

    A BOM decides; then UTF-8; a UTF-8 text with a few stray bytes (a Latin-1 name pasted in)
    keeps its UTF-8 and reads those bytes as Windows-1252, counted in ``invalid_utf8_sequences``;
    text with no valid UTF-8 beyond ASCII goes to charset-normalizer. Never U+FFFD.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), ({} if encoding == "utf-8-sig" else {"encoding": encoding})
    try:
        return data.decode("utf-8"), {}
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data) is not None:
        # Each maximal invalid run becomes one U+FFFD under "replace": that counts the runs.
        strays = data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())
        return data.decode("utf-8", errors="cleaner-cp1252"), {"encoding": "utf-8", "invalid_utf8_sequences": strays}
    western = _as_western(data)
    if western is not None:
        return western, {"encoding": "windows-1252"}
    # Without NUL bytes the text is not UTF-16/32, whatever a short sample suggests.
    wide = [] if b"\x00" in data else ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
    best = from_bytes(data, cp_exclusion=wide).best()
    if best is None:
        raise ValueError("not text: no character encoding fits")
    return str(best), {"encoding": best.encoding}


def _as_western(data: bytes) -> str | None:
    """The text as Windows-1252 when that reads as Western European text: most letters ASCII,
    some accented. Detectors guess Baltic or Central European code pages for short French or
    German text; Cyrillic or Greek read as Windows-1252 is nearly all accented letters."""
    try:
        text = data.decode("windows-1252")
    except UnicodeDecodeError:
        return None
    letters = [c for c in text if c.isalpha()]
    accented = sum(not c.isascii() for c in letters)
    return text if letters and accented <= 0.3 * len(letters) else None


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _read_text(item: InputFile, limits: Limits) -> Iterator[Document | Problem]:
    size = item.size
    if size > limits.max_doc_bytes:
        yield Problem(
            str(item.path), None, f"document is {size} bytes, over --max-doc-bytes {limits.max_doc_bytes}; skipped"
        )
        return
    data = item.path.read_bytes()
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield Problem(str(item.path), None, "binary file (NUL bytes), skipped")
        return
    try:
        text, meta = decode(data)
    except (ValueError, UnicodeDecodeError) as exc:
        yield Problem(str(item.path), None, f"cannot decode: {exc}")
        return
    yield Document(id=strip_suffix(item.rel), text=text, source=str(item.path), meta=meta)


def open_jsonl(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.name.endswith(".zst"):
        return io.BufferedReader(_ZstdReader(path))
    return path.open("rb")


class _ZstdReader(io.RawIOBase):
    """A zstd stream that says so when it is cut short (the library's reader just stops)."""

    def __init__(self, path: Path):
        self._raw = path.open("rb")
        self._decompressor = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._raw.read(1 << 16)
            if not chunk:
                if not self._decompressor.eof:
                    raise EOFError("zstd stream ended before the end of its frame")
                return 0
            if self._decompressor.eof:  # another frame follows
                self._decompressor = zstandard.ZstdDecompressor().decompressobj()
            self._pending = self._decompressor.decompress(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._raw.close()
        super().close()


def _record(item: InputFile, number: int, raw: bytes, fields: Fields) -> Document | Problem:
    where = str(item.path)
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Problem(where, number, f"not valid JSON: {exc}")
    if not isinstance(obj, dict):
        return Problem(where, number, "a JSONL record must be an object")
    name = fields.html or fields.text
    text = obj.get(name)
    if not isinstance(text, str):
        what = "missing" if text is None else f"a {type(text).__name__}, not a string"
        return Problem(where, number, f"field '{name}' is {what}")
    doc_id = obj.get(fields.id)
    url = obj.get(fields.url)
    return Document(
        id=str(doc_id) if doc_id is not None else f"{strip_suffix(item.rel)}:{number}",
        text="" if fields.html else text,
        source=f"{where}:{number}",
        url=url if isinstance(url, str) and url else None,
        html=text if fields.html else None,
        line=number,
    )


def _lines(handle: IO[bytes], limit: int, span: Span | None = None) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines (of ``span`` only, if given); None for a line over ``limit`` bytes,
    which is skipped, not held."""
    number, left = 0, None
    if span is not None:
        handle.seek(span.start)
        number, left = span.first_line - 1, span.end - span.start
    while left is None or left > 0:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        size = len(raw)
        if size > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(1 << 20)
                size += len(raw)
            raw = None
        if left is not None:
            left -= size
        yield number, raw


def _read_jsonl(item: InputFile, fields: Fields, limits: Limits, span: Span | None) -> Iterator[Document | Problem]:
    number = 0
    try:
        with open_jsonl(item.path) as handle:
            for number, raw in _lines(handle, limits.max_doc_bytes, span):
                if raw is None:
                    yield Problem(
                        str(item.path), number, f"record over --max-doc-bytes {limits.max_doc_bytes}; skipped"
                    )
                elif raw.strip():
                    yield _record(item, number, raw, fields)
    except (OSError, EOFError, ValueError, zstandard.ZstdError) as exc:
        # A truncated or corrupt compressed file: keep what was read, report where it broke.
        yield Problem(str(item.path), number + 1, f"cannot read further: {exc}")


def read(
    item: InputFile, fields: Fields, limits: Limits | None = None, span: Span | None = None
) -> Iterator[Document | Problem]:
    """The documents of one input file (of ``span`` of it, if given), in order; a Problem for
    each one that cannot be read."""
    limits = limits or Limits()
    try:
        if item.kind == "jsonl":
            yield from _read_jsonl(item, fields, limits, span)
        elif item.kind == "html":
            yield from read_html(item.path, item.rel, limits.max_doc_bytes)
        elif item.kind == "warc":
            yield from read_warc(item.path, limits.max_doc_bytes)
        else:
            yield from _read_text(item, limits)
    except OSError as exc:
        yield Problem(str(item.path), None, f"cannot read: {exc.strerror or exc}")


def spans(item: InputFile, size: int) -> list[Span] | None:
    """A plain JSONL file over ``size`` bytes cut into spans of about ``size`` bytes at line
    ends; None for any other file (compressed files cannot be entered in the middle)."""
    if item.kind != "jsonl" or item.path.name.endswith((".gz", ".zst")) or item.size <= size:
        return None
    cuts: list[Span] = []
    start, first, line, pos = 0, 1, 1, 0
    with item.path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            at = 0
            while pos + len(chunk) - start > size:  # the next cut falls in this chunk or later
                nl = chunk.find(b"\n", max(at, start + size - pos))
                if nl < 0:
                    break
                line += chunk.count(b"\n", at, nl + 1)
                cuts.append(Span(start, pos + nl + 1, first))
                start, first, at = pos + nl + 1, line, nl + 1
            line += chunk.count(b"\n", at)
            pos += len(chunk)
    if start < pos:
        cuts.append(Span(start, pos, first))
    return cuts
