"""HTML pages and WARC crawl files as documents (their text is extracted later, in the pipeline,
so that worker processes share that work)."""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from cleaner.document import Document
from cleaner.errors import Problem
from cleaner.io.decode import decode  # the same detection as for text files

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # what WHATWG sniffs first
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, dict[str, object]]:
    """The page's text: by its BOM, else the charset its HTTP header or <meta> declares, else
    detected (the order of the WHATWG encoding sniffing algorithm)."""
    if data.startswith(_BOMS):  # a BOM outranks any declaration; decode() drops it
        return decode(data)
    if declared is None:
        found = _META_CHARSET.search(_COMMENT.sub(b"", data[:4096]))  # (a browser's pre-scan skips comments)
        declared = found.group(1).decode("ascii", "ignore") if found else None
        # A <meta> that says UTF-16 was itself read as ASCII, so the page cannot be UTF-16:
        # WHATWG reads it as UTF-8 (decoding it as UTF-16 makes CJK garbage of the page).
        if declared and _lookup(declared) in ("utf-16", "utf-16-le", "utf-16-be"):
            declared = "utf-8"
    if declared and (name := _lookup(declared)):
        try:
            text = data.decode(name)
            return text, ({} if name == "utf-8" else {"encoding": name})
        except (UnicodeDecodeError, LookupError, ValueError, TypeError):
            pass  # a wrong declaration: fall back to detection
    wide = _utf16_without_bom(data)
    if wide is not None:
        try:
            return data.decode(wide), {"encoding": wide}
        except UnicodeDecodeError:
            pass
    return decode(data)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 with no BOM, told by its NUL bytes: markup is mostly ASCII, which UTF-16 writes as
    the character's byte beside a NUL, always on the same side. Such bytes are valid UTF-8 (NUL
    is), so detection took the page for UTF-8 and its markup for text: the whole page, tags and
    all, came out as the clean text."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 16:
        return None
    for nuls, others, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if nuls.count(0) >= 0.5 * len(nuls) and others.count(0) <= 0.05 * len(others):
            return name
    return None


# What browsers decode a label as (the WHATWG Encoding Standard): a legacy charset's superset, in
# which its pages are written in practice (a GB2312 page holds GBK characters, a Shift_JIS page
# Windows' extensions such as circled numbers); decoded strictly as the subset, one such character
# made the whole page fall back to detection. By Python's name for the label.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
# Codecs Python has that are no page's charset: bytes to bytes (hex, base64, zlib), text to text
# (rot13), or not a charset (punycode, idna, escapes).
_NOT_CHARSETS = frozenset({"punycode", "idna", "unicode_escape", "raw_unicode_escape", "undefined", "utf_7"})


def _lookup(charset: str) -> str | None:
    """Python's codec for a declared charset, as a browser reads it (_SUPERSETS); None for a label
    it does not know or that names no charset (then the page's bytes decide)."""
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError):  # (ValueError: a label with a NUL)
        return None
    name = info.name.replace("-", "_")
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_CHARSETS:
        return None
    return _SUPERSETS.get(name, info.name)


def read_html(path: Path, rel: str, max_bytes: int) -> Iterator[Document | Problem]:
    try:
        with gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except (EOFError, zlib.error) as exc:  # a truncated or corrupt .gz (an OSError is the caller's to report)
        yield Problem(str(path), None, f"cannot read: {exc}")
        return
    if len(data) > max_bytes:
        yield Problem(str(path), None, f"page over --max-doc-bytes {max_bytes}; skipped")
        return
    try:
        page, meta = decode_html(data)
    except ValueError as exc:
        yield Problem(str(path), None, f"cannot decode: {exc}")
        return
    doc_id = rel
    for suffix in HTML_SUFFIXES:
        if doc_id.lower().endswith(suffix):
            doc_id = doc_id[: -len(suffix)]
            break
    yield Document(id=doc_id, text="", source=str(path), meta=meta, html=page)


# What reading a WARC can raise: a corrupt .gz, warcio's bugs on a malformed record (an attribute
# of a header it expects), and warcio's own failures (_warcio_errors).
_READ_ERRORS = (EOFError, OSError, ValueError, zlib.error, AttributeError, TypeError, KeyError, IndexError)
_TRUNCATED = "a corrupt or truncated file"
_DRAIN = 1 << 16  # bytes of a record's rest read at a time (a large record is not held whole)
# An HTTP response's protocol: warcio's own check knows only HTTP/1.0 and 1.1, and crawlers write "HTTP/2".
_HTTP_PROTOCOL = re.compile(r"HTTP/\d(?:\.\d)?")


def read_warc(path: Path, max_bytes: int, prefix: str = "") -> Iterator[Document | Problem]:
    """Every HTML response record; the target URI becomes ``url``, the record id ``id`` (led by
    ``prefix/`` if given: the file's name, when several WARC files are read). A record id an
    earlier document of the file had (WARC files concatenated, a record written twice) is
    followed by ``#`` and the record's number in the file, as its source is: ids stay unique,
    as they are across WARC files, and a report or compare never takes two documents for one."""
    from warcio.archiveiterator import ArchiveIterator  # only WARC input pays for importing warcio

    errors = _READ_ERRORS + _warcio_errors()
    n = 0  # records read so far
    ids: set[str] = set()  # the documents' record ids so far (some 100 bytes a record)
    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        records.loader = _loader()
        records.reader = _reader(records.reader)
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except errors as exc:
                # warcio's iterator is a generator, dead once it has raised: the file's later
                # records cannot be reached; those before are kept.
                yield Problem(f"{path}#{n + 1}", None, f"cannot read further: {str(exc).strip()}")
                return
            n += 1
            where = f"{path}#{n}"  # the record's number in the file
            length = record.rec_headers.get_header("Content-Length")
            if length is None:
                # warcio reads a header block that the file's end cuts as if it ended there: a
                # record with no length is the last one of a truncated file (or no record at all).
                yield Problem(where, None, f"record cut short in its WARC headers ({_TRUNCATED}); skipped")
                continue
            if not length.strip().isdigit():
                # A line of five words reads as an old ARC record's header (its fifth word the
                # length), which the loader makes a WARC response: a file of text, or of junk, gave
                # no document and no failure, exit 0. No record's length can be found past it.
                yield Problem(where, None, f"not a WARC record: its length is {length[:40]!r}, not a number")
                return
            if record.rec_type != "response":
                continue
            if not record.rec_headers.get_header("WARC-Target-URI"):
                yield Problem(where, None, "response record without WARC-Target-URI; skipped")
                continue
            if record.http_headers is None:
                continue
            content_type = record.http_headers.get_header("Content-Type") or ""
            html = "html" in content_type.lower()
            try:
                body = _content(record) if html else None
                data = body.read(max_bytes + 1) if body is not None else b""
                # warcio reads a .gz member that breaks midway as if it ended there (it prints
                # zlib's message and goes on): a record whose block ends before its length is cut.
                # (Every response's, a page's or not: its HTTP headers may be what the cut took.)
                raw = record.raw_stream
                while raw.read(_DRAIN):
                    pass
            except errors as exc:
                yield Problem(where, None, f"cannot read further: {exc}")
                return
            if getattr(raw, "limit", 0) > 0:
                yield Problem(
                    where, None, f"record cut short, {raw.limit} bytes before its end ({_TRUNCATED}); skipped"
                )
                continue
            protocol = record.http_headers.protocol
            if not _HTTP_PROTOCOL.fullmatch(protocol):
                # (Read without warcio's check, which ended the file's iterator on the first such record.)
                line = f"{protocol} {record.http_headers.statusline}".strip()
                yield Problem(where, None, f"its HTTP status line is not one ({line[:60]!r}); skipped")
                continue
            if not html:
                continue
            assert body is not None
            if len(data) > max_bytes:
                yield Problem(where, None, f"record over --max-doc-bytes {max_bytes}; skipped")
                continue
            failed = getattr(body, "failed", None)
            if failed is not None:  # (its Content-Encoding's stream broke: the page would be cut)
                yield Problem(where, None, f"its body cannot be decoded: {failed}; skipped")
                continue
            charset = _HEADER_CHARSET.search(content_type)
            try:
                page, meta = decode_html(data, charset.group(1) if charset else None)
            except ValueError as exc:
                yield Problem(where, None, f"cannot decode: {exc}")
                continue
            record_id = record.rec_headers.get_header("WARC-Record-ID") or where
            url = record.rec_headers.get_header("WARC-Target-URI")
            record_id = record_id.strip("<>")
            while record_id in ids:
                record_id = f"{record_id}#{n}"
            ids.add(record_id)
            yield Document(
                id=f"{prefix}/{record_id}" if prefix else record_id,
                text="",
                source=where,
                url=url,
                meta=meta,
                html=page,
            )


def _warcio_errors() -> tuple[type[Exception], ...]:
    """warcio's own exceptions, which derive from Exception alone: bytes that are no WARC record
    (a file's junk tail, a Content-Length that is no number) raised ArchiveLoadFailed through
    every handler, and the whole run ended with a traceback, nothing written."""
    from warcio.bufferedreaders import ChunkedDataException
    from warcio.exceptions import ArchiveLoadFailed
    from warcio.statusandheaders import StatusAndHeadersParserException

    return (ArchiveLoadFailed, ChunkedDataException, StatusAndHeadersParserException)


_QUIET: dict[str, Any] = {}


def _quiet(name: str) -> Any:
    """warcio's reader class ``name`` (of warcio.bufferedreaders) without the line it writes to
    stderr when a compressed stream breaks past its first block (zlib's message, with no place):
    it reads on as if the stream ended there, as warcio's own does, and keeps the message in
    ``failed``, for read_warc to report with the record's place. Only that branch of warcio's
    ``_decompress`` is its own; the rest (a first block that is not compressed after all) is
    warcio's."""
    found = _QUIET.get(name)
    if found is None:
        from warcio import bufferedreaders

        class Quiet(getattr(bufferedreaders, name)):  # type: ignore[misc]
            failed: str | None = None
            DECOMPRESSORS: ClassVar[dict[str, Any]] = {
                **bufferedreaders.BufferedReader.DECOMPRESSORS,
                **_brotli_decompressor(),
            }

            def _decompress(self, data: bytes) -> bytes:
                if self.decompressor and data and self.num_block_read:
                    try:
                        return self.decompressor.decompress(data)  # type: ignore[no-any-return]
                    except Exception as exc:  # (zlib.error, brotli's: what warcio's own catch takes)
                        self.failed = str(exc) or type(exc).__name__
                        return b""
                return super()._decompress(data)  # type: ignore[no-any-return]

        found = _QUIET[name] = Quiet
    return found


class _Brotli:
    """A brotli decompressor as warcio's readers use one (``decompress``, ``unused_data``).
    warcio registers brotli's own Decompressor and sets ``unused_data`` on it, which that class
    (brotli 1.1 on, FastWARC's dependency) refuses: an AttributeError that ended the reading of
    the whole file at its first ``Content-Encoding: br`` response."""

    unused_data = None  # (brotli keeps no bytes past its stream: a body holds one)

    def __init__(self) -> None:
        import brotli

        self._decompressor = brotli.Decompressor()
        # (brotli's is ``process``; brotlicffi's and brotlipy's, of the same module name, ``decompress``)
        self.decompress = getattr(self._decompressor, "process", None) or self._decompressor.decompress


def _brotli_decompressor() -> dict[str, Any]:
    """warcio's entry for ``br``, when brotli is installed (else none: a br body is undecoded
    bytes, reported as no text)."""
    try:
        import brotli  # noqa: F401
    except ImportError:
        return {}
    return {"br": _Brotli}


def _reader(given: Any) -> Any:
    """The archive's reader (a .warc.gz's members), quiet (_quiet): a member that breaks is a
    record cut short, which read_warc reports. Made before any byte is read, as ArchiveIterator
    made ``given``."""
    return _quiet("DecompressingBufferedReader")(given.stream, block_size=given.block_size)


def _content(record: Any) -> Any:
    """The record's HTTP body, decoded: warcio's ``content_stream()``, with quiet readers for a
    Content-Encoding or a chunked body (_quiet: a body that breaks is reported, not kept cut)."""
    headers = record.http_headers
    if not headers:
        return record.raw_stream
    encoding = headers.get_header("content-encoding")
    if encoding:
        encoding = encoding.lower()
        # (the quiet readers' decompressors: warcio's, and br's where brotli is installed)
        if encoding not in _quiet("BufferedReader").get_supported_decompressors():
            encoding = None
    # (a header's value is case-insensitive: "Chunked" is chunked too, which warcio's own test misses)
    if (headers.get_header("transfer-encoding") or "").strip().lower() == "chunked":
        return _quiet("ChunkedDataReader")(record.raw_stream, decomp_type=encoding)
    if encoding:
        return _quiet("BufferedReader")(record.raw_stream, decomp_type=encoding)
    return record.raw_stream


def _loader() -> Any:
    """warcio's record loader, taking a response record with no WARC-Target-URI: warcio's own
    calls ``None.startswith`` on it, which ends its iterator and with it the rest of the file.
    Read with an empty URI, the record has no HTTP headers, and read_warc reports it."""
    from warcio.recordloader import ArcWarcRecordLoader

    class Loader(ArcWarcRecordLoader):  # type: ignore[misc]
        def load_http_headers(self, rec_type: str, uri: str | None, stream: Any, length: Any) -> Any:
            try:
                return super().load_http_headers(rec_type, uri or "", stream, length)
            except EOFError:
                # The file ended in the record's WARC headers or before its HTTP headers: warcio's
                # iterator takes an EOFError for the file's end, and the record was lost unsaid.
                raise ValueError(f"a record cut short ({_TRUNCATED})") from None

    # Its HTTP status lines unchecked: warcio raises on one it does not know ("HTTP/2 200", a line cut
    # short), which ends its iterator and with it the file; read_warc checks the protocol itself.
    return Loader(verify_http=False)
