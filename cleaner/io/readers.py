"""Input discovery and reading: plain-text files and JSONL (plain, gzip, zstd)."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import orjson
import zstandard

from cleaner.document import Document, InputRecord
from cleaner.errors import Problem, RecordError, UsageError
from cleaner.io.decode import decode, stray_bytes
from cleaner.io.parquet import SUFFIXES as PARQUET_SUFFIXES
from cleaner.io.parquet import read_parquet
from cleaner.io.web import HTML_SUFFIXES, WARC_SUFFIXES, read_html, read_warc
from cleaner.records import WIDE, WIDENABLE, float_beyond, id_text, json_kind, python_loads, rounded

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".ndjson.gz", ".ndjson.zst")


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


# Cleaning holds each line as objects of its own (about 800 bytes a line at peak, measured),
# so for a document of short lines the line count, not the size, bounds memory. With both
# limits at their defaults a worker peaks under 1.6 GB (README, Failure behaviour).
MAX_DOC_LINES = 500_000
_STR_HEADER = 80  # at most, of a str object: sys.getsizeof minus this is its characters' bytes


@dataclass(frozen=True, slots=True)
class Limits:
    """What a document may cost; a larger one is refused with its reason, not read."""

    max_doc_bytes: int = 64 << 20
    max_doc_lines: int = MAX_DOC_LINES

    @property
    def passing(self) -> int:
        """A text of no more characters than this passes both of over_memory's tests, whatever it
        holds: it has no more lines than characters, and takes at most 4 bytes a character."""
        return min(self.max_doc_lines, self.max_doc_bytes // 2)

    def over_bytes(self, size: int, what: str = "document") -> str:
        return f"{what} is {size} bytes, over --max-doc-bytes {self.max_doc_bytes}; skipped"

    def over_memory(self, text: str) -> str | None:
        """Why cleaning ``text`` would pass the budget, or None. Python holds a text in 1, 2
        or 4 bytes a character (one character beyond U+FFFF makes it 4): a text may take
        twice --max-doc-bytes in memory (any text of the Basic Multilingual Plane), no more."""
        lines = count_lines(text) if len(text) > self.max_doc_lines else 0  # never more lines than characters
        if lines > self.max_doc_lines:
            return f"document has {lines} lines, over --max-doc-lines {self.max_doc_lines}; skipped"
        memory = sys.getsizeof(text) - _STR_HEADER
        if memory > 2 * self.max_doc_bytes:
            return (
                f"document takes {memory} bytes in memory (a character beyond U+FFFF makes each take 4),"
                f" over twice --max-doc-bytes {self.max_doc_bytes}; skipped"
            )
        return None


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    rel: str  # path relative to the input it was found under (see discover): names its documents
    group: str = ""  # the input directory's name (and parents) that its report path adds, if any
    shown: str = ""  # what sources and messages call it, when not its path ("-": stdin, spooled)
    # A WARC's documents are named by their record ids, which only the file's records know: two
    # WARC inputs (copies of a crawl, two runs' shards) may give one id, so with more than one
    # each id is led by the file's name, as other inputs' ids are (``discover``).
    prefix_ids: bool = False

    @property
    def where(self) -> str:
        """The file as records' ``source`` and failure messages name it."""
        return self.shown or str(self.path)

    @property
    def report_name(self) -> str:
        """Where its diff goes in the report directory; unique across input directories."""
        return f"{self.group}/{self.rel}" if self.group else self.rel

    @property
    def size(self) -> int:
        """Its bytes; 0 for a file that cannot be looked at (a broken symlink found in a
        directory): reading it reports why (``read``), as a failure of that file alone."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    @property
    def kind(self) -> str:
        name = self.path.name.lower()  # (DATA.JSONL is JSON Lines too)
        if name.endswith(JSONL_SUFFIXES):
            return "jsonl"
        if name.endswith(HTML_SUFFIXES):
            return "html"
        if name.endswith(WARC_SUFFIXES):
            return "warc"
        if name.endswith(PARQUET_SUFFIXES):
            return "parquet"
        return "text"


SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + HTML_SUFFIXES + WARC_SUFFIXES + PARQUET_SUFFIXES
# What the usage errors list: the suffixes read, compressed variants with their base.
READ = ".txt, .jsonl or .ndjson [.gz|.zst], .parquet, .html[.gz], .warc[.gz]"


def _supported(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES)


def real_path(path: Path) -> Path:
    """``path.resolve()``, but a symlink loop gives a path (where the loop is), as for a dangling
    link, where Python 3.11's resolve raises RuntimeError."""
    return Path(os.path.realpath(path))


def _broken(path: Path) -> str | None:
    """Why ``path``, a symlink, leads nowhere (dangling, a loop), or None if it leads somewhere."""
    try:
        os.stat(path)
        return None
    except OSError as exc:
        try:
            to = os.readlink(path)
        except OSError:  # not a symlink (any more): the file is gone
            return f"cannot read: {exc.strerror or exc}; skipped"
        return f"a broken symlink to {to} ({exc.strerror or exc}); skipped"


def _unlisted(directory: Path) -> str:
    """Why a directory found under an input cannot be read (``_walk``)."""
    try:
        os.scandir(directory).close()
    except OSError as exc:
        return f"cannot list this directory: {exc.strerror or exc}; its files skipped"
    return "could not list this directory when the run began; its files skipped"


def discover(inputs: list[Path | InputFile]) -> list[InputFile]:
    """The input files, directories recursed in sorted order, each file once, each named
    uniquely among all inputs (see ``_names``). Recursion skips what cleaner itself wrote:
    report directories (they hold REPORT_MARKER), the output JSONL a report or an out marker
    (``out_marker``) names, work directories (``.<out>.work``) and mining spill directories.
    A broken symlink found by recursion is an input whose read is a failure. An InputFile
    given (stdin spooled to a file) is taken as it is, in its place among the others: the
    output is in the command line's order (README, "What a run writes")."""
    given_files: list[tuple[Path, bool, list[Path]]] = []  # (root, is a directory, files under it)
    # The command line's order: an InputFile as it is, else the index of its given_files entry
    # (named together by _names, whose ids depend on every input's files).
    order: list[InputFile | int] = []
    seen: set[Path] = set()
    for given in inputs:
        if isinstance(given, InputFile):
            order.append(given)
            continue
        if given.is_dir():
            root, candidates, is_dir = given, _walk(given), True
        elif given.is_file():
            # A file named on the command line is read by its suffix, as in a directory; one of no
            # suffix cleaner reads (a .csv, a .json array, a .txt.gz) would be cleaned as prose.
            if not _supported(given):
                raise UsageError(f"{given}: not a file cleaner reads ({READ})")
            root, candidates, is_dir = given.parent, [given], False
        elif given.exists():  # a FIFO, a device: read more than once (blocks, a second pass), so not read
            raise UsageError(f"{given}: not a regular file or a directory; give its data on stdin (-) instead")
        else:
            raise UsageError(f"{given}: no such file or directory")
        kept = []
        for path in candidates:
            real = real_path(path)
            if real in seen:
                continue
            seen.add(real)
            kept.append(path)
        order.append(len(given_files))
        given_files.append((root, is_dir, kept))
    # (stdin's spooled file keeps its names, ``stdin:<line>`` and ``stdin.jsonl.diff``: a file of
    # that name is named by its parent directories instead, as two inputs' clashing files are)
    taken = [entry for entry in order if isinstance(entry, InputFile)]
    named = iter(_names(given_files, taken))  # given_files' files, in order
    found: list[InputFile] = []
    for entry in order:
        if isinstance(entry, InputFile):
            found.append(entry)
        else:
            found.extend(next(named) for _ in given_files[entry][2])
    if sum(item.kind == "warc" for item in found) > 1:
        found = [replace(item, prefix_ids=True) if item.kind == "warc" else item for item in found]
    return found


REPORT_MARKER = ".cleaner-report"  # written into every report directory cleaner publishes
# Written beside an output whose report is not in the output's directory (``--report`` elsewhere):
# the report's marker, which names the output, is then not where a later run walking a folder
# that holds the output can find it, so this one names it instead (``.clean.jsonl.cleaner-out``).
OUT_MARKER_SUFFIX = ".cleaner-out"


def out_marker(out: Path) -> Path:
    return out.with_name(f".{out.name}{OUT_MARKER_SUFFIX}")


# What a report directory holds besides the diffs: no diff may land on one of these names.
REPORT_FILES = frozenset({"index.html", "summary.md", "summary.json", REPORT_MARKER})


# Mining's spill folders (pipeline/mine.py) are named with this prefix: the walk leaves them out, a
# work directory holding one is cleaner's (pipeline/workdir.py).
SPILL_PREFIX = ".cleaner-mine-"


def _cleaner_dir(path: Path) -> bool:
    """A folder cleaner made, left out of a walk: a run's work directory (``.<out>.work``, holding
    its lock or manifest) or a mining spill folder (``.cleaner-mine-*``, holding only count files).
    A user's folder of such a name, holding anything else, is walked (it was skipped unseen)."""
    name = path.name
    try:
        if name.startswith(".") and name.endswith(".work") and len(name) > len(".work") + 1:
            return (path / "lock").exists() or (path / "run.json").exists()  # (workdir.LOCK, .MANIFEST: io sits below)
        if name.startswith(SPILL_PREFIX):
            return all(p.name.startswith(("counts-", "spread-")) and p.suffix == ".bin" for p in path.iterdir())
    except OSError:
        return False
    return False


def _walk(top: Path) -> list[Path]:
    files: list[Path] = []
    outputs: set[Path] = set()
    # A symlinked directory is followed, as a symlinked file is (a corpus assembled from links to
    # its shards); each real directory once, so a link to an ancestor ends there.
    visited = {os.path.realpath(top)}
    # A directory that cannot be listed (no permission) is an input whose read is a failure, as a
    # broken symlink is: os.walk passed over it unsaid, and its files were lost with exit 0.
    unlisted: list[OSError] = []
    for directory, dirs, names in os.walk(top, followlinks=True, onerror=unlisted.append):
        here = Path(directory)
        if REPORT_MARKER in names and read_marker(here / REPORT_MARKER):  # (a file of that name that is
            outputs |= _report_outputs(here)  # no marker of cleaner's hides nothing)
            dirs[:] = []
            continue
        kept = []
        for d in sorted(dirs):  # (in order: which path reaches a directory twice linked is fixed)
            real = os.path.realpath(here / d)
            if not _cleaner_dir(here / d) and real not in visited:
                visited.add(real)
                kept.append(d)
        dirs[:] = kept
        for name in names:
            path = here / name
            if name.startswith(".") and name.endswith(OUT_MARKER_SUFFIX) and len(name) > len(OUT_MARKER_SUFFIX) + 1:
                marker = read_marker(path)
                outputs |= _output(
                    path.with_name(name[1 : -len(OUT_MARKER_SUFFIX)]), marker.get("size"), marker.get("digest")
                )
            elif _supported(path) and (path.is_file() or (path.is_symlink() and _broken(path) is not None)):
                files.append(path)  # a broken symlink too, not skipped unseen: its read reports it (read())
    files += [Path(error.filename) for error in unlisted if error.filename is not None]
    return sorted(path for path in files if real_path(path) not in outputs)


def _report_outputs(report: Path) -> set[Path]:
    """The output JSONL a cleaner report directory belongs to (its marker names it)."""
    marker = read_marker(report / REPORT_MARKER)
    out = marker.get("out")
    return _output(report / out, marker.get("out_size"), marker.get("out_digest")) if isinstance(out, str) else set()


def read_marker(path: Path) -> dict[str, Any]:
    """A marker's JSON object (REPORT_MARKER, out_marker); empty if it cannot be read."""
    try:
        found = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return found if isinstance(found, dict) else {}


DIGESTED = 1 << 16  # bytes of each end of an output its markers' digest reads


def output_digest(path: Path) -> str:
    """What a marker records of the output besides its size: a digest of its first and last
    DIGESTED bytes. A file of the same size put in its place (a user's edit of one record, a
    regenerated file) is then told from it, without reading a large output whole."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        digest.update(handle.read(DIGESTED))
        end = os.fstat(handle.fileno()).st_size
        if end > 2 * DIGESTED:
            handle.seek(end - DIGESTED)
        digest.update(handle.read(DIGESTED))  # the last bytes, or the rest of a smaller file
    return digest.hexdigest()


def _output(path: Path, size: Any, digest: Any = None) -> set[Path]:
    """The output a marker names, to be skipped: while it is that output, of the size (and the
    digest, output_digest) the marker records. A file of another size or bytes put in its place
    since (the output deleted, a user's file of the same name) is not cleaner's, and is input.
    A marker of an older cleaner records no size (or no digest: then the size alone decides):
    its output is skipped by name, as it was; and so is the output while a run's work directory
    is beside it (``.<name>.work``): a run publishing a new output writes its markers first, so the
    output there until the rename, or left there by a kill, is the previous run's."""
    if isinstance(size, int) and not isinstance(size, bool) and not path.with_name(f".{path.name}.work").is_dir():
        try:
            if path.stat().st_size != size or (isinstance(digest, str) and output_digest(path) != digest):
                return set()
        except OSError:
            pass  # nothing there (or a broken symlink): nothing is skipped either way
    return {real_path(path)}


def _id_stem(rel: str) -> str:
    """What the ids of a file's documents are built from (see the readers)."""
    kind = InputFile(Path(rel), rel).kind
    if kind == "jsonl":
        return strip_suffix(rel) + ":"  # <file>:<line>
    return strip_suffix(rel) if kind == "text" else rel


def _names(given_files: list[tuple[Path, bool, list[Path]]], taken: list[InputFile]) -> list[InputFile]:
    """Name each file by its path under the input it was found in: the id is built from
    ``rel`` and the diff goes to ``group/rel`` (a directory input's name, then ``rel``). With
    one input that is all. When two inputs would give two documents one id or two diffs one
    path (``a/corpus`` and ``b/corpus``), or a diff would land on a report file (an input
    directory named ``index.html``), the inputs involved are named by one more of their parent
    directories, until every name is unique: ``a/corpus/doc`` and ``b/corpus/doc``. The names of
    the files ``taken`` (stdin's) are kept: an input clashing with one is named further instead."""
    parts = [root.resolve().parts[1:] for root, _, _ in given_files]
    ids = [0] * len(given_files)  # how many parent names each input's ids carry
    reports = [1 if is_dir else 0 for _, is_dir, _ in given_files]  # ... and its report paths

    def label(i: int, depth: int) -> str:
        return "/".join(parts[i][len(parts[i]) - depth :]) if depth else ""

    def rels(i: int) -> list[str]:
        return [path.relative_to(given_files[i][0]).as_posix() for path in given_files[i][2]]

    def clashes(names: dict[str, set[int]]) -> set[int]:
        return {i for owners in names.values() if len(owners) > 1 for i in owners if i >= 0}

    def deepen(found: set[int], depths: list[int], what: str) -> None:
        for i in sorted(found):
            if depths[i] >= len(parts[i]):
                raise UsageError(f"{given_files[i][0]}: cannot give its {what} names that no other input has")
            depths[i] += 1

    while True:
        id_names: dict[str, set[int]] = {_id_stem(item.rel): {-1} for item in taken}
        for i in range(len(given_files)):
            for rel in rels(i):
                id_names.setdefault(_id_stem("/".join(filter(None, (label(i, ids[i]), rel)))), set()).add(i)
        if found := clashes(id_names):
            deepen(found, ids, "documents")
            reports = [max(r, d) for r, d in zip(reports, ids, strict=True)]  # a report path holds the id's
            continue
        report_names: dict[str, set[int]] = {item.report_name + ".diff": {-1} for item in taken}
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
    lower = name.lower()
    for suffix in JSONL_SUFFIXES + TEXT_SUFFIXES + WARC_SUFFIXES + PARQUET_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _read_text(item: InputFile, limits: Limits) -> Iterator[Document | Problem]:
    size = item.size
    if size > limits.max_doc_bytes:
        yield Problem(item.where, None, limits.over_bytes(size))
        return
    data = item.path.read_bytes()
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield Problem(item.where, None, "binary file (NUL bytes), skipped")
        return
    try:
        text, meta = decode(data)
    except (ValueError, UnicodeDecodeError) as exc:
        yield Problem(item.where, None, f"cannot decode: {exc}")
        return
    yield Document(id=strip_suffix(item.rel), text=text, source=item.where, meta=meta)


# A record is about the size of io's default buffer (8 KB), so that buffer cost a read() system
# call every two or three records; this one, one per few hundred.
_READ_BUFFER = 1 << 20


# A run of blank lines this long is skipped a buffer at a time (skip_blank_lines), not a readline
# each: a compressed file of nothing but line breaks (30,000 of them a kilobyte of zstd) took
# 0.37 µs a line, two minutes for 10 KB of zstd, hours for a megabyte. Shorter runs, as a JSONL
# file may hold between records, are read as any line is: a peek copies the buffer.
_BLANK_RUN = 64
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # not bytes.isspace's


def skip_blank_lines(handle: IO[bytes], left: int) -> tuple[int, int]:
    """Skip the whole blank lines (bytes.isspace) at ``handle``'s position, within ``left`` bytes,
    a buffer at a time: the bytes and the lines skipped. It stops before the first line holding
    anything else, or a blank one the buffer does not hold whole."""
    skipped = lines = 0
    while left > skipped:
        ahead = handle.peek(1)[: left - skipped]  # type: ignore[attr-defined]  # (every reader open_jsonl makes has peek)
        found = _NOT_BLANK.search(ahead)
        cut = ahead.rfind(b"\n", 0, found.start() if found else len(ahead)) + 1
        if cut == 0:
            break
        handle.read(cut)
        skipped += cut
        lines += ahead.count(b"\n", 0, cut)
        if found:
            break
    return skipped, lines


def open_jsonl(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed as a stream: a read never decompresses more than it returns
    (plus one buffer), so a small file that expands to gigabytes costs no more memory than a
    line's cap (``_lines``). gzip's reader works so already; zstd's is the library's own."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        return io.BufferedReader(_ZstdReader(path), buffer_size=1 << 16)  # type: ignore[arg-type]
    return path.open("rb", buffering=_READ_BUFFER)


class _ZstdReader(io.RawIOBase):
    """zstandard's stream reader, which says so when the file is cut short: the library's reader
    just stops, so at its end the frames are walked (headers only) to check the last one is whole."""

    def __init__(self, path: Path):
        self._path = path
        self._raw = path.open("rb")
        self._stream = zstandard.ZstdDecompressor().stream_reader(self._raw, read_across_frames=True, closefd=False)
        self._checked = False  # whether the frames were found whole, once the stream ended

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = self._stream.readinto(buffer)
        if size == 0 and not self._checked:
            _check_frames(self._path)
            self._checked = True
        return size

    def close(self) -> None:
        self._stream.close()
        self._raw.close()
        super().close()


_ZSTD_MAGIC, _ZSTD_SKIPPABLE = 0xFD2FB528, 0x184D2A50
_ZSTD_BLOCK_RLE, _ZSTD_BLOCK_RESERVED = 1, 3


def _check_frames(path: Path) -> None:
    """Raise EOFError unless the file is whole zstd (or skippable) frames. Follows frame and
    block headers and seeks over their contents: a few small reads per 128 KB of output."""
    with path.open("rb") as handle:
        end = os.fstat(handle.fileno()).st_size

        def take(size: int) -> int:
            """The next ``size`` bytes as a little-endian number."""
            data = handle.read(size)
            if len(data) < size:
                raise EOFError("zstd stream ended before the end of its frame")
            return int.from_bytes(data, "little")

        def skip(size: int) -> None:
            if handle.seek(size, io.SEEK_CUR) > end:
                raise EOFError("zstd stream ended before the end of its frame")

        while handle.tell() < end:
            magic = take(4)
            if magic & 0xFFFFFFF0 == _ZSTD_SKIPPABLE:
                skip(take(4))
                continue
            if magic != _ZSTD_MAGIC:
                raise zstandard.ZstdError("not a zstd frame")
            descriptor = take(1)
            single_segment = descriptor >> 5 & 1
            skip(
                (0 if single_segment else 1) + (0, 1, 2, 4)[descriptor & 3] + (single_segment, 2, 4, 8)[descriptor >> 6]
            )
            last = 0
            while not last:
                header = take(3)
                last, kind, size = header & 1, header >> 1 & 3, header >> 3
                if kind == _ZSTD_BLOCK_RESERVED:
                    raise zstandard.ZstdError("corrupt zstd block")
                skip(1 if kind == _ZSTD_BLOCK_RLE else size)
            skip(4 * (descriptor >> 2 & 1))  # the checksum


_SURROGATE = re.compile("[\ud800-\udfff]")
_STRAY = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as the surrogateescape handler reads it
_NOT_STRAY = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # a lone surrogate no stray byte reads as
_STRAY_ESCAPE = re.compile(rb"\\u[dD][cC][89a-fA-F]")  # an escape reading as a stray byte does, unless paired
# A string's escapes, each whole (so that \\ is one, and the u after it a letter), a surrogate's
# code (group 1) apart. Python's json pairs a high surrogate escape with a low one right after it.
_ESCAPES = re.compile(rb"\\(?:u([dD][89a-fA-F][0-9a-fA-F]{2})|.)", re.DOTALL)


class _Rounded(Exception):
    """orjson read an integer wider than 64 bits as a float (records.WIDE), or maybe a number
    too small for a float as 0.0 (records.rounded)."""


def _utf8(value: str, replaced: list[int]) -> str:
    """The value with lone surrogates (which UTF-8 cannot hold) as U+FFFD; counts them."""
    value, count = _SURROGATE.subn("\ufffd", value)
    replaced[0] += count
    return value


def _same_id_and_url(record: dict[str, Any], id_field: str, url_field: str) -> None:
    """The record's id and URL, written back as read, made the document's: a lone surrogate in
    them U+FFFD too (README, Failure behaviour), so that the record names what the reports name."""
    for key in (id_field, url_field):
        value = record.get(key)
        if type(value) is str:
            record[key] = _SURROGATE.sub("\ufffd", value)


def _read_exactly(raw: bytes, name: str, strict: Exception) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """A line read by Python's json, and what the document's meta says of it; or why not."""
    try:
        return python_loads(raw), {}
    except RecordError as exc:
        return f"not read: record {exc}"
    except UnicodeDecodeError as bad:
        return _stray_bytes_in_text(raw, name, bad)
    except ValueError:
        return f"not valid JSON: {strict}"


def _escapes_a_stray(raw: bytes) -> bool:
    """Whether the line holds the escape of a lone surrogate U+DC80-U+DCFF, which Python's json
    reads as the character the surrogateescape handler makes of a stray byte (\\udce9, 0xe9).
    Any other escape cannot be taken for one: the pair \\ud83d\\udc80 is one character, 💀."""
    if _STRAY_ESCAPE.search(raw) is None:  # (most lines: no escape of the kind at all)
        return False
    high_end = -1  # where the last high surrogate escape ended, while the next may pair with it
    for found in _ESCAPES.finditer(raw):
        code = -1 if found[1] is None else int(found[1], 16)
        if 0xD800 <= code < 0xDC00:
            high_end = found.end()
            continue
        if 0xDC80 <= code <= 0xDCFF and found.start() != high_end:  # (right after a high one: its pair)
            return True
        high_end = -1
    return False


def _stray_bytes_in_text(raw: bytes, name: str, bad: UnicodeDecodeError) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """A record whose bytes that are not UTF-8 are all in its text field (``name``): read as a
    .txt file's are (cleaner.io.decode.stray_bytes), every other field as it is. Anywhere else
    they would change a field cleaner writes back as read: then why the line is refused. So is a
    line holding an escape that reads as a stray byte does (_escapes_a_stray): the two could not
    be told apart."""
    why = f"not valid UTF-8: byte 0x{raw[bad.start]:02x} at column {bad.start + 1}"
    if _escapes_a_stray(raw):
        return why
    try:
        obj = python_loads(raw, "surrogateescape")
    except (ValueError, RecordError):
        return why
    text = obj.get(name) if type(obj) is dict else None
    if type(text) is not str:
        return why
    strays = len(_STRAY.findall(text))
    if strays != len(_STRAY.findall(raw.decode("utf-8", "surrogateescape"))):
        return f"{why}, outside field '{name}'"
    # Any other lone surrogate in the text (an escape, \ud800) is U+FFFD, as in a text of no stray
    # byte (_utf8): UTF-8 cannot hold it, nor the surrogateescape handler give it back as a byte.
    text, lone = _NOT_STRAY.subn("\ufffd", text)
    obj[name], meta = stray_bytes(text.encode("utf-8", "surrogateescape"))
    if lone:
        meta["lone_surrogates"] = lone
    return obj, meta


def _read_jsonl(item: InputFile, fields: Fields, limits: Limits, span: Span | None) -> Iterator[Document | Problem]:
    """The records of ``item`` (of ``span`` only, if given), numbered by line, the memory budget
    checked (as _within_limits checks it); a line over --max-doc-bytes is skipped a megabyte at a time,
    never held. One generator for the lines, the records and the limits, each record made in its
    loop with the fields' names looked up once a file: they were three generators and a call, a
    frame resumed or made each per record (with Document's keywords, 2.1 of the 14.5 µs a bench
    record took to read in a run)."""
    number = 0
    where = item.where
    limit = limits.max_doc_bytes
    within = limits.passing
    left = sys.maxsize  # the bytes of the span still to read (without one: the whole file)
    html, text_field, id_field, url_field = fields.html, fields.text, fields.id, fields.url
    name = html or text_field
    loads = orjson.loads
    widenable = WIDENABLE
    try:
        with open_jsonl(item.path) as handle:
            if span is not None:
                handle.seek(span.start)
                number, left = span.first_line - 1, span.end - span.start
            readline = handle.readline
            blank = 0  # blank lines in a row just before this one
            while left > 0:
                raw = readline(limit + 1)
                if not raw:
                    break
                number += 1
                size = len(raw)
                if size > limit and not raw.endswith(b"\n"):
                    while raw and not raw.endswith(b"\n"):
                        raw = readline(1 << 20)
                        size += len(raw)
                    left -= size
                    yield Problem(where, number, limits.over_bytes(size - bool(raw), "record"))  # without the newline
                    continue
                left -= size
                if number == 1 and raw.startswith(codecs.BOM_UTF8):  # a BOM before the first line
                    raw = raw[len(codecs.BOM_UTF8) :]  # (before the blank test: a BOM, then a blank line)
                if raw.isspace() or not raw:  # a blank line is no record (strip() would copy the line)
                    blank += 1
                    if blank >= _BLANK_RUN:
                        skipped, lines = skip_blank_lines(handle, left)
                        number += lines
                        left -= skipped
                    continue
                blank = 0
                # A line orjson refuses but Python's json accepts (NaN, Infinity, a number too
                # large for a float, a lone surrogate escape), or one where orjson read an integer
                # wider than 64 bits as a float or a number too small for one as 0.0, is read as
                # Python's json reads it, exactly: such a value in a field cleaner does not use
                # must not cost the record, nor change.
                try:
                    obj = loads(raw)
                    if type(obj) is dict:
                        for value in obj.values():  # (about 0.3 µs a record of three strings)
                            if (
                                type(value) in widenable
                                and float_beyond(value, WIDE, 1, True)
                                and rounded(value, raw, 1)
                            ):
                                raise _Rounded  # (1: the record; True: a zero too, see rounded)
                    lenient = False
                    meta = {}
                except (orjson.JSONDecodeError, _Rounded) as strict:
                    exact = _read_exactly(raw, name, strict)
                    if type(exact) is str:
                        yield Problem(where, number, exact)
                        continue
                    obj, meta = exact
                    lenient = True
                if type(obj) is not dict:
                    yield Problem(where, number, "a JSONL record must be an object")
                    continue
                text = obj.get(name)
                if type(text) is not str:
                    what = "missing" if name not in obj else f"{json_kind(text)}, not a string"
                    yield Problem(where, number, f"field '{name}' is {what}")
                    continue
                doc_id = obj.get(id_field)
                if type(doc_id) is not str:  # (most ids: no call) another kind's JSON text: 1.0, true
                    doc_id = id_text(doc_id) if doc_id is not None else f"{strip_suffix(item.rel)}:{number}"
                url = obj.get(url_field)
                url = url if type(url) is str and url else None
                if lenient:  # only Python's json can have read a lone surrogate
                    replaced = [0]
                    text, doc_id = _utf8(text, replaced), _utf8(doc_id, replaced)
                    url = _utf8(url, replaced) if url is not None else None
                    if replaced[0]:  # (added to those _stray_bytes_in_text replaced in the text)
                        meta["lone_surrogates"] = meta.get("lone_surrogates", 0) + replaced[0]
                        _same_id_and_url(obj, id_field, url_field)
                if len(text) > within and not html:
                    reason = limits.over_memory(text)
                    if reason is not None:
                        yield Problem(where, number, reason)
                        continue
                # Document's fields by position (id, text, source, url, meta, html, line, record):
                # a class called with keywords has them put in a dict first (0.45 µs, 0.2 by position).
                yield Document(
                    doc_id,
                    "" if html else text,
                    f"{where}:{number}",
                    url,
                    meta,
                    text if html else None,
                    number,
                    InputRecord(obj, text_field, id_field, url_field, lenient, bool(html)),
                )
    except (OSError, EOFError, ValueError, zlib.error, zstandard.ZstdError) as exc:
        # A truncated or corrupt compressed file: keep what was read, report where it broke.
        yield Problem(item.where, number + 1, f"cannot read further: {exc}{_unchecked(item.path, exc, number)}")


# What gzip's reader says when a member's check, at its end, fails: its CRC or its length.
_GZIP_CHECKS = ("CRC check failed", "Incorrect length of data produced")


def _unchecked(path: Path, exc: Exception, read: int) -> str:
    """What a failure says of the lines read before it (``read`` of them), besides itself: for a
    gzip member whose check failed, that the lines read from it may be corrupt, since gzip checks
    a member only at its end, after its lines were read (and cleaned, and written); "" for any
    other failure, which is where the data broke."""
    if not isinstance(exc, gzip.BadGzipFile) or not str(exc).startswith(_GZIP_CHECKS):
        return ""
    first = _failed_member_start(path)
    if first is None:  # (the file changed since, or cannot be read again)
        return " (gzip checks a member at its end: the lines read from that member may be corrupt)"
    if first > read:  # no line of it was read
        return ""
    lines = f"line {first}" if first == read else f"lines {first}-{read}"
    return f" (gzip checks a member at its end: {lines}, read from that member, may be corrupt)"


def _failed_member_start(path: Path) -> int | None:
    """The line (as _read_jsonl numbers them) holding the first byte of the first gzip member of
    ``path`` whose check fails; None if none does. gzip's reader tells no member's start, so this
    reads the file again, a buffer at a time, once a check has failed: the cost of a failure only."""
    newlines, first = 0, 1
    inflate = zlib.decompressobj(31)  # (31: one gzip member, its header and its checks)
    between = False  # after a member: gzip skips the zeros that may pad it
    with path.open("rb") as raw:
        pending = b""
        while True:
            if not pending:
                pending = raw.read(1 << 16)
                if not pending:
                    return None
            if between:
                pending = pending.lstrip(b"\0")
                if not pending:
                    continue
                between = False
            try:
                out = inflate.decompress(pending, 1 << 20)
            except zlib.error as exc:
                return first if str(exc).endswith(("incorrect data check", "incorrect length check")) else None
            newlines += out.count(b"\n")
            pending = inflate.unconsumed_tail
            if inflate.eof:  # the next member, if any, starts on the line this one ended in
                pending, between, first = inflate.unused_data, True, newlines + 1
                inflate = zlib.decompressobj(31)


def count_lines(text: str) -> int:
    """Lines as pipeline.split_lines cuts them: at \\n, \\r\\n or a lone \\r."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (not text.endswith(("\n", "\r")) and bool(text))


def _within_limits(found: Iterator[Document | Problem], limits: Limits) -> Iterator[Document | Problem]:
    """The documents, with those whose cleaning would pass the memory budget refused."""
    within = limits.passing
    for doc in found:
        if isinstance(doc, Document) and len(doc.text) > within:
            reason = limits.over_memory(doc.text)
            if reason is not None:
                file = doc.source.rpartition(":")[0] if doc.line is not None else doc.source
                doc = Problem(file, doc.line, reason)
        yield doc


def read(
    item: InputFile, fields: Fields, limits: Limits | None = None, span: Span | None = None
) -> Iterator[Document | Problem]:
    """The documents of one input file (of ``span`` of it, if given), in order; a Problem for
    each one that cannot be read or is over the limits."""
    limits = limits or Limits()
    if item.path.is_symlink() and (broken := _broken(item.path)) is not None:
        return iter([Problem(item.where, None, broken)])
    if item.path.is_dir():  # (one _walk could not list)
        return iter([Problem(item.where, None, _unlisted(item.path))])
    if item.kind == "jsonl":  # _read_jsonl itself: no generator around it to resume per record
        return _read_jsonl(item, fields, limits, span)
    return _read_other(item, fields, limits)


def _read_other(item: InputFile, fields: Fields, limits: Limits) -> Iterator[Document | Problem]:
    try:
        if item.kind == "html":
            yield from read_html(item.path, item.rel, limits.max_doc_bytes)
        elif item.kind == "warc":
            yield from read_warc(item.path, limits.max_doc_bytes, strip_suffix(item.rel) if item.prefix_ids else "")
        elif item.kind == "parquet":
            yield from _within_limits(
                read_parquet(item.path, item.where, item.rel, fields, limits.max_doc_bytes), limits
            )
        else:
            yield from _within_limits(_read_text(item, limits), limits)
    except OSError as exc:
        yield Problem(item.where, None, f"cannot read: {exc.strerror or exc}")


def spans(item: InputFile, size: int) -> list[Span] | None:
    """A plain JSONL file over ``size`` bytes cut into spans of about ``size`` bytes at line
    ends; None for any other file (compressed files cannot be entered in the middle)."""
    cut = iter_spans(item, size)
    return None if cut is None else list(cut)


def iter_spans(item: InputFile, size: int | Callable[[int], int]) -> Iterator[Span] | None:
    """``spans``, each as soon as the file is read up to its end (a caller can start on the
    first ones while the rest of the file is still to count). ``size`` may instead say how large
    the span starting at a byte offset should be (the file is cut if it is over the first's)."""
    sized = size if callable(size) else lambda _start: size
    if item.kind != "jsonl" or item.path.name.lower().endswith((".gz", ".zst")) or item.size <= sized(0):
        return None
    return _spans(item, sized)


def _spans(item: InputFile, sized: Callable[[int], int]) -> Iterator[Span]:
    start, first, line, pos = 0, 1, 1, 0
    size = sized(0)
    with item.path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            at = 0
            while pos + len(chunk) - start > size:  # the next cut falls in this chunk or later
                nl = chunk.find(b"\n", max(at, start + size - pos))
                if nl < 0:
                    break
                line += newlines(chunk, at, nl + 1)
                yield Span(start, pos + nl + 1, first)
                start, first, at = pos + nl + 1, line, nl + 1
                size = sized(start)
            line += newlines(chunk, at, len(chunk))
            pos += len(chunk)
    if start < pos:
        yield Span(start, pos, first)


# newlines() steps from line to line while they average at least this many bytes, PROBE at a time.
LONG_LINE = 512
PROBE = 64


def newlines(chunk: bytes, start: int, end: int) -> int:
    """chunk.count(b"\\n", start, end), faster where lines are long (a JSONL record is a document):
    count tests a byte at a time (about 0.4 ns a byte: 25 ms of the main process's CPU for the
    planning of a 60 MB input, before and while the workers clean), find is memchr (a few cycles
    for 64 bytes) at a Python step a line. So lines are found one by one while PROBE of them
    span LONG_LINE bytes each on average, and the rest is counted once they do not."""
    found = 0
    while True:
        mark = start
        for _ in range(PROBE):
            nl = chunk.find(b"\n", start, end)
            if nl < 0:
                return found
            found += 1
            start = nl + 1
        if start - mark < PROBE * LONG_LINE:  # short lines: a step each costs more than counting
            return found + chunk.count(b"\n", start, end)
