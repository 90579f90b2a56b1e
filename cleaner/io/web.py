"""HTML pages and WARC crawl files as documents (their text is extracted later, in the pipeline,
so that worker processes share that work)."""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from cleaner.document import Document
from cleaner.errors import Problem
from cleaner.io.decode import decode  # the same detection as for text files

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, dict[str, object]]:
    """The page's text: by the charset its HTTP header or <meta> declares, else detected."""

    if declared is None:
        found = _META_CHARSET.search(data[:4096])
        declared = found.group(1).decode("ascii", "ignore") if found else None
    if declared:
        try:
            name = codecs.lookup(declared).name
            if name != "utf-8" or not data.startswith(codecs.BOM_UTF8):
                text = data.decode(name)
                return text, ({} if name == "utf-8" else {"encoding": name})
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: fall back to detection
    return decode(data)


def read_html(path: Path, rel: str, max_bytes: int) -> Iterator[Document | Problem]:
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as handle:
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
        if doc_id.endswith(suffix):
            doc_id = doc_id[: -len(suffix)]
            break
    yield Document(id=doc_id, text="", source=str(path), meta=meta, html=page)


def read_warc(path: Path, max_bytes: int) -> Iterator[Document | Problem]:
    """Every HTML response record; the target URI becomes ``url``, the record id ``id``."""
    from warcio.archiveiterator import ArchiveIterator  # only WARC input pays for importing warcio
    from warcio.exceptions import ArchiveLoadFailed

    n = 0  # records read so far
    try:
        with path.open("rb") as handle:
            records = ArchiveIterator(handle)
            for n, record in enumerate(records, 1):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                content_type = record.http_headers.get_header("Content-Type") or ""
                if "html" not in content_type.lower():
                    continue
                data = record.content_stream().read(max_bytes + 1)
                where = f"{path}#{n}"  # the record's number in the file
                if len(data) > max_bytes:
                    yield Problem(where, None, f"record over --max-doc-bytes {max_bytes}; skipped")
                    continue
                # warcio reads a .gz member that breaks midway as if it ended there (it prints
                # zlib's message and goes on): a record whose block ends before its length is cut.
                raw = record.raw_stream
                raw.read()
                if getattr(raw, "limit", 0) > 0:
                    yield Problem(
                        where,
                        None,
                        f"record cut short, {raw.limit} bytes before its end (a corrupt or truncated file); skipped",
                    )
                    continue
                charset = _HEADER_CHARSET.search(content_type)
                try:
                    page, meta = decode_html(data, charset.group(1) if charset else None)
                except ValueError as exc:
                    yield Problem(where, None, f"cannot decode: {exc}")
                    continue
                record_id = record.rec_headers.get_header("WARC-Record-ID") or where
                url = record.rec_headers.get_header("WARC-Target-URI")
                yield Document(id=record_id.strip("<>"), text="", source=where, url=url, meta=meta, html=page)
    except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
        yield Problem(f"{path}#{n + 1}", None, f"cannot read further: {exc}")
