"""Bad input: every case reported with its reason, every good document still written."""

from __future__ import annotations

import gzip
import io
import re
import subprocess
import sys
import zlib
from pathlib import Path

import orjson
import pytest
import zstandard

from cleaner.io.readers import decode
from cleaner.pipeline import Pipeline
from cleaner.pipeline.run import Target, run

ROOT = Path(__file__).resolve().parent.parent


def clean(
    tmp_path: Path, *args: str, workers: int = 1, out_name: str = "out"
) -> tuple[subprocess.CompletedProcess[str], list[dict], dict]:
    out = tmp_path / out_name
    done = subprocess.run(
        [
            *(sys.executable, "-m", "cleaner", "clean", *args),
            *("--out", str(out / "clean.jsonl"), "-q", "--workers", str(workers)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    records = (
        [orjson.loads(line) for line in (out / "clean.jsonl").read_bytes().splitlines()]
        if (out / "clean.jsonl").exists()
        else []
    )
    summary = orjson.loads((out / "reports" / "summary.json").read_bytes()) if (out / "reports").exists() else {}
    return done, records, summary


@pytest.mark.parametrize(
    ("data", "text", "meta"),
    [
        ("Le café est très bon.".encode("cp1252"), "Le café est très bon.", {"encoding": "windows-1252"}),
        ("Grüße “aus” München".encode("cp1252"), "Grüße “aus” München", {"encoding": "windows-1252"}),
        ("Déjà vu à Paris, naïve".encode("latin-1"), "Déjà vu à Paris, naïve", {"encoding": "windows-1252"}),
        ("hé ünïcode".encode("utf-16"), "hé ünïcode", {"encoding": "utf-16"}),
        ("\ufeffhé".encode(), "hé", {}),
        (
            "Привет, как дела? Это тестовый текст.".encode("cp1251"),
            "Привет, как дела? Это тестовый текст.",
            {"encoding": "cp1251"},
        ),
        (
            "naïve “quoted” ".encode() + b"caf\xe9",
            "naïve “quoted” café",
            {"encoding": "utf-8", "invalid_utf8_sequences": 1},
        ),
    ],
)
def test_decoding_never_makes_replacement_characters(data: bytes, text: str, meta: dict) -> None:
    assert decode(data) == (text, meta)


def test_mixed_folder_of_text_files(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes("Le café est très bon, disait-il.".encode("cp1252"))
    (corpus / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "c.txt").write_bytes(b"")
    (corpus / "d.txt").write_bytes(b"  \n\t\n")
    done, records, summary = clean(tmp_path, str(corpus))
    assert done.returncode == 1
    assert f"{corpus / 'b.txt'}: binary file (NUL bytes), skipped" in done.stderr
    assert [(r["id"], r["text"], r["meta"]) for r in records] == [
        ("a", "Le café est très bon, disait-il.\n", {"encoding": "windows-1252"})
    ]
    assert summary["emptied"] == [
        {"id": "c", "source": str(corpus / "c.txt"), "rule": "empty-input"},
        {"id": "d", "source": str(corpus / "d.txt"), "rule": "empty-input"},
    ]
    assert [f["file"] for f in summary["failures"]] == [str(corpus / "b.txt")]


GOOD = b'{"id": "good", "text": "A good record that stays."}\n'
# Varied records, so a compressed stream cut near its end still holds the first ones whole.
MANY = b"".join(
    orjson.dumps({"id": f"r{n}", "text": f"Record {n * 7919 % 10007} of many."}) + b"\n" for n in range(3000)
)


@pytest.mark.parametrize(
    ("name", "payload", "problem"),
    [
        ("bad.jsonl", GOOD + b"{not json}\n" + GOOD.replace(b"good", b"good2"), ":2: not valid JSON"),
        (
            "bad.jsonl",
            GOOD + b'{"id": "x", "body": "no text"}\n' + GOOD.replace(b"good", b"good2"),
            ":2: field 'text' is missing",
        ),
        (
            "bad.jsonl",
            GOOD + b'{"id": "x", "text": 42}\n' + GOOD.replace(b"good", b"good2"),
            ":2: field 'text' is a number, not a string",
        ),
        (
            "bad.jsonl",
            GOOD + b'{"id": "x", "text": null}\n' + GOOD.replace(b"good", b"good2"),
            ":2: field 'text' is null, not a string",
        ),
        ("bad.jsonl", GOOD + GOOD.replace(b"good", b"good2") + b'{"id": "cut", "text": "trunc', ":3: not valid JSON"),
        (
            "bad.jsonl.gz",
            gzip.compress(GOOD + GOOD.replace(b"good", b"good2") + MANY)[:-50],
            r":\d+: cannot read further: Compressed file ended",
        ),
        (
            "bad.jsonl.zst",
            zstandard.ZstdCompressor().compress(GOOD + GOOD.replace(b"good", b"good2") + MANY)[:-50],
            r":\d+: cannot read further: zstd stream ended before the end of its frame",
        ),
    ],
)
def test_broken_jsonl_keeps_every_good_record(tmp_path: Path, name: str, payload: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    done, records, summary = clean(tmp_path, str(path))
    assert done.returncode == 1
    assert re.search(re.escape(f"error: {path}") + problem, done.stderr), done.stderr
    assert [r["id"] for r in records][:2] == ["good", "good2"]
    assert len(summary["failures"]) == 1


def _corrupt_gzip(data: bytes) -> bytes:
    """``data`` compressed, then a deflate block of the reserved type: zlib fails there with
    "invalid block type" (not an OSError, as a truncated stream's is)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # (31: a gzip header)
    return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH) + b"\x07" + bytes(8)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_corrupt_gzip_costs_the_rest_of_its_file_only(tmp_path: Path, workers: int) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.jsonl").write_bytes(GOOD)
    (corpus / "b.jsonl.gz").write_bytes(_corrupt_gzip(MANY))
    (corpus / "c.html.gz").write_bytes(_corrupt_gzip(b"<html><body><p>A page of words.</p></body></html>"))
    (corpus / "d.jsonl").write_bytes(GOOD.replace(b"good", b"good2"))
    done, records, summary = clean(tmp_path, str(corpus), workers=workers)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    ids = [r["id"] for r in records]
    kept = len(ids) - 2  # the records of b.jsonl.gz read before the broken block
    assert ids == ["good", *(f"r{n}" for n in range(kept)), "good2"]
    broken = "Error -3 while decompressing data: invalid block type"
    assert [(f["file"], f["line"], f["message"]) for f in summary["failures"]] == [
        (str(corpus / "b.jsonl.gz"), kept + 1, f"cannot read further: {broken}"),
        (str(corpus / "c.html.gz"), None, f"cannot read: {broken}"),
    ]


@pytest.mark.parametrize(("flip", "check"), [(-8, "crc"), (-4, "length")])
def test_a_gzip_member_whose_check_fails_says_which_lines_it_held(tmp_path: Path, flip: int, check: str) -> None:
    """gzip checks a member (its CRC, its length) only at its end, after its lines were read and
    cleaned. Before, the failure said only where reading stopped, as if the lines before it were
    sound; now it names the lines read from that member, which may be corrupt. A member may begin
    inside a line (here line 4): that line is the member's too."""
    lines = [orjson.dumps({"id": f"r{n}", "text": f"Record {n} of a few."}) + b"\n" for n in range(1, 9)]
    first, second = b"".join(lines[:3]) + lines[3][:10], lines[3][10:] + b"".join(lines[4:])
    bad = bytearray(gzip.compress(second))
    bad[flip] ^= 1  # the member's trailer: its CRC, or its length
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(gzip.compress(first) + bytes(bad) + gzip.compress(GOOD))
    done, records, summary = clean(tmp_path, str(path))
    assert done.returncode == 1
    assert [r["id"] for r in records] == [f"r{n}" for n in range(1, 9)]  # written before the check
    crc = zlib.crc32(second)
    broken = f"CRC check failed {hex(crc ^ 1)} != {hex(crc)}" if check == "crc" else "Incorrect length of data produced"
    assert [(f["line"], f["message"]) for f in summary["failures"]] == [
        (
            9,
            f"cannot read further: {broken} (gzip checks a member at its end: lines 4-8, read from that member, may be corrupt)",
        )
    ]
    assert f"error: {path}:9: cannot read further: {broken} (gzip checks" in done.stderr


def test_a_warc_record_cut_short_is_reported(tmp_path: Path) -> None:
    """warcio reads a .warc.gz member that breaks midway as if it ended there: the record is
    refused, not cleaned as a page cut short."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def record(n: int, body: bytes) -> bytes:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                f"https://e.example/{n}", "response", payload=io.BytesIO(body), http_headers=headers
            )
        )
        return buffer.getvalue()

    whole = gzip.compress(record(1, b"<html><body><p>The first page of words.</p></body></html>"), mtime=0)
    words = b" ".join(
        b"word%d" % (n * 7919 % 100003) for n in range(60_000)
    )  # enough that zlib fails past warcio's first read
    second = record(2, b"<html><body><p>" + words + b"</p></body></html>")
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(whole + _corrupt_gzip(second[: len(second) // 2]))
    done, records, summary = clean(tmp_path, str(path))
    assert done.returncode == 1
    assert [r["url"] for r in records] == ["https://e.example/1"]
    [failure] = summary["failures"]
    assert (failure["file"], failure["line"]) == (f"{path}#2", None)
    assert re.fullmatch(
        r"record cut short, \d+ bytes before its end \(a corrupt or truncated file\); skipped", failure["message"]
    )
    # Said once, by cleaner, with its place: not also by warcio, in zlib's words (it wrote them to stderr).
    assert done.stderr.splitlines() == [f"error: {path}#2: {failure['message']}"], done.stderr


def _warc(*pages: tuple[str, bytes]) -> list[bytes]:
    """Each page as an uncompressed WARC response record of its own (its text/html body in a <p>)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    records = []
    for url, words in pages:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        body = io.BytesIO(b"<html><body><article><p>" + words + b"</p></article></body></html>")
        writer.write_record(writer.create_warc_record(url, "response", payload=body, http_headers=headers))
        records.append(buffer.getvalue())
    return records


PAGES = [
    (f"https://e.example/{n}", b"The council met on Monday to discuss the harbour and its fees. " * 4)
    for n in (1, 2, 3)
]


def test_a_warc_response_of_http2_is_read_and_one_of_no_http_is_skipped(tmp_path: Path) -> None:
    """Before: warcio refused any status line but HTTP/1.0 and 1.1 ("HTTP/2 200", which crawlers
    write), and raised out of its iterator: a traceback, no output for any input file."""
    first, second, third = _warc(*PAGES)
    # (the same length: the record's Content-Length still holds)
    path = tmp_path / "crawl.warc"
    path.write_bytes(
        first.replace(b"HTTP/1.1 200", b"HTTP/2   200") + second.replace(b"HTTP/1.1 200", b"FOO/1.1 200") + third
    )
    done, records, summary = clean(tmp_path, str(path), "--fast")
    assert done.returncode == 1, done.stderr
    assert [r["url"] for r in records] == ["https://e.example/1", "https://e.example/3"]
    assert [(f["file"], f["message"]) for f in summary["failures"]] == [
        (f"{path}#2", "its HTTP status line is not one ('FOO/1.1 200 OK'); skipped")
    ]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("cut_at", "message"),
    [
        # before its URI: no length either
        (b"WARC-Record-ID", r"record cut short in its WARC headers \(a corrupt or truncated file\); skipped"),
        # past its URI: warcio goes on to its HTTP headers
        (b"WARC-Date", r"cannot read further: a record cut short \(a corrupt or truncated file\)"),
        # in its HTTP status line
        (b"HTTP/1.1 200", r"record cut short, \d+ bytes before its end \(a corrupt or truncated file\); skipped"),
    ],
)
def test_a_warc_cut_in_its_last_records_headers_is_reported(tmp_path: Path, cut_at: bytes, message: str) -> None:
    """Before: a file cut in a record's WARC headers, or before its HTTP headers ended, lost the
    record unsaid (warcio took the end of the file there for the end of the archive), exit 0; cut
    in its HTTP status line, it raised out of warcio's iterator (a traceback, no output at all)."""
    first, second, _ = _warc(*PAGES)
    path = tmp_path / "crawl.warc"
    path.write_bytes(first + second[: second.index(cut_at) + 4])
    done, records, summary = clean(tmp_path, str(path), "--fast")
    assert done.returncode == 1, done.stderr
    assert [r["url"] for r in records] == ["https://e.example/1"]
    [failure] = summary["failures"]
    assert failure["file"] == f"{path}#2"
    assert re.fullmatch(message, failure["message"]), failure["message"]


@pytest.mark.parametrize("workers", [1, 2])
def test_bytes_that_are_no_warc_record_cost_the_rest_of_their_file_only(tmp_path: Path, workers: int) -> None:
    """Before: warcio's ArchiveLoadFailed derives from Exception alone, and no handler took it:
    a WARC with a junk tail (or a record whose Content-Length is no number) ended the whole run
    with a traceback, nothing written for any input."""
    first, second, _ = _warc(*PAGES)
    path = tmp_path / "crawl.warc"
    path.write_bytes(first + b"this is no WARC record\r\n\r\n" + second)
    other = tmp_path / "other.warc"
    other.write_bytes(second)
    done, records, summary = clean(tmp_path, str(path), str(other), "--fast", workers=workers)
    assert done.returncode == 1, done.stderr
    assert [r["url"] for r in records] == ["https://e.example/1", "https://e.example/2"]
    message = "cannot read further: Invalid WARC record, first line: this is no WARC record"
    assert [(f["file"], f["message"]) for f in summary["failures"]] == [(f"{path}#2", message)]
    assert done.stderr.splitlines() == [f"error: {path}#2: {message}"]


def test_a_file_of_text_named_warc_is_a_failure_not_an_empty_input(tmp_path: Path) -> None:
    """Before: a line of five words reads as an ARC record's header, made a WARC response whose
    length is its fifth word: no document, no failure, exit 0 (a wrong file passed unsaid)."""
    path = tmp_path / "notes.warc"
    path.write_bytes(b"this is not a warc\n")
    first, _, _ = _warc(*PAGES)
    other = tmp_path / "other.warc"
    other.write_bytes(first)
    done, records, summary = clean(tmp_path, str(path), str(other), "--fast")
    assert done.returncode == 1, done.stderr
    assert [r["url"] for r in records] == ["https://e.example/1"]
    message = "not a WARC record: its length is 'warc', not a number"
    assert [(f["file"], f["message"]) for f in summary["failures"]] == [(f"{path}#1", message)]


def test_a_warc_body_whose_content_encoding_breaks_is_reported(tmp_path: Path) -> None:
    """Before: a gzip Content-Encoding that broke midway made warcio write zlib's message to
    stderr (no file, no record) and hand over the body cut there, which was cleaned as a page."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    words = b" ".join(b"word%d" % (n * 7919 % 100003) for n in range(60_000))  # past warcio's first block
    html = b"<html><body><p>" + words + b"</p></body></html>"
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    for n, body, encoding in ((1, html, None), (2, _corrupt_gzip(html), "gzip")):
        fields = [("Content-Type", "text/html"), *([("Content-Encoding", encoding)] if encoding else [])]
        headers = StatusAndHeaders("200 OK", fields, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            f"https://e.example/{n}", "response", payload=io.BytesIO(body), http_headers=headers
        )
        writer.write_record(record)
    path = tmp_path / "crawl.warc"
    path.write_bytes(buffer.getvalue())
    done, records, summary = clean(tmp_path, str(path))
    assert done.returncode == 1
    assert [r["url"] for r in records] == ["https://e.example/1"]
    [failure] = summary["failures"]
    assert (failure["file"], failure["line"]) == (f"{path}#2", None)
    assert (
        failure["message"]
        == "its body cannot be decoded: Error -3 while decompressing data: invalid block type; skipped"
    )
    assert done.stderr.splitlines() == [f"error: {path}#2: {failure['message']}"], done.stderr


def test_a_warc_body_chunked_in_capitals_is_dechunked(tmp_path: Path) -> None:
    """Before: "Transfer-Encoding: Chunked" was compared as written to "chunked", and the chunk
    sizes were cleaned into the page's words (a header's value is case-insensitive)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    html = (
        b"<html><body><article><p>"
        + b"The council met on Monday to discuss the harbour. " * 8
        + b"</p></article></body></html>"
    )
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(html[i : i + 60]), html[i : i + 60]) for i in range(0, len(html), 60))
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    fields = [("Content-Type", "text/html"), ("Transfer-Encoding", "Chunked")]
    headers = StatusAndHeaders("200 OK", fields, protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            "https://e.example/1", "response", payload=io.BytesIO(chunked + b"0\r\n\r\n"), http_headers=headers
        )
    )
    path = tmp_path / "crawl.warc"
    path.write_bytes(buffer.getvalue())
    done, records, _ = clean(tmp_path, str(path), "--fast")
    assert done.returncode == 0, done.stderr
    assert (
        records[0]["text"]
        == "The council met on Monday to discuss the harbour. " * 7
        + "The council met on Monday to discuss the harbour.\n"
    )


def test_a_warc_body_in_brotli_is_decoded_and_the_file_read_on(tmp_path: Path) -> None:
    """Before: warcio sets ``unused_data`` on brotli's Decompressor, which brotli 1.1 on refuses:
    the first ``Content-Encoding: br`` response ended the reading of its file ("cannot read
    further: 'brotli.Decompressor' object has no attribute 'unused_data'"), every later record lost."""
    brotli = pytest.importorskip("brotli")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def page(n: int) -> bytes:
        return (
            b"<html><body><article><p>"
            + b"The council met on Monday to discuss harbour %d. " % n * 8
            + b"</p></article></body></html>"
        )

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    for n, body, encoding in ((1, brotli.compress(page(1)), "br"), (2, page(2), None)):
        fields = [("Content-Type", "text/html"), *([("Content-Encoding", encoding)] if encoding else [])]
        headers = StatusAndHeaders("200 OK", fields, protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                f"https://e.example/{n}", "response", payload=io.BytesIO(body), http_headers=headers
            )
        )
    path = tmp_path / "crawl.warc"
    path.write_bytes(buffer.getvalue())
    done, records, _ = clean(tmp_path, str(path), "--fast")
    assert (done.returncode, done.stderr) == (0, "")
    assert [(r["url"], r["text"]) for r in records] == [
        (
            f"https://e.example/{n}",
            f"The council met on Monday to discuss harbour {n}. " * 7
            + f"The council met on Monday to discuss harbour {n}.\n",
        )
        for n in (1, 2)
    ]


def test_an_unexpected_error_is_said_without_addresses() -> None:
    """A bug's message names an object by its repr, with its address: another each run, so the
    run's failures differed from run to run (and from -j1 to -j2)."""
    from cleaner.pipeline.outcome import _said

    class Element:
        pass

    thing = Element()
    assert " at 0x" in repr(thing)
    assert _said(KeyError(thing)) == f"KeyError: {repr(thing).split(' at 0x')[0]}>"


def test_invalid_utf8_in_a_records_text_is_read_as_a_text_files_is(tmp_path: Path) -> None:
    """A byte that is not UTF-8 in the text field is read as Windows-1252 (as in a .txt file),
    counted in meta; anywhere else it would change a field written back as read, so the record
    is refused, saying what and where."""
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"id":"t","text":"Le caf\xe9 est bon.","n":1}\n'
        b'{"id":"e","text":"Fine text.","title":"caf\xe9"}\n'
        b'{"id":"s","text":"caf\xe9 \\udc80"}\n'
        b'{"id":"j","text":"caf\xe9"\n'
    )
    done, records, summary = clean(tmp_path, str(data))
    assert done.returncode == 1
    assert [(r["id"], r["text"], r["n"], r["meta"]) for r in records] == [
        ("t", "Le café est bon.\n", 1, {"encoding": "utf-8", "invalid_utf8_sequences": 1})
    ]
    assert [(f["line"], f["message"]) for f in summary["failures"]] == [
        (2, "not valid UTF-8: byte 0xe9 at column 43, outside field 'text'"),
        (3, "not valid UTF-8: byte 0xe9 at column 22"),  # beside an escape that reads as a stray byte does
        (4, "not valid UTF-8: byte 0xe9 at column 22"),  # and not JSON either
    ]


def test_a_stray_byte_in_the_text_is_read_beside_escapes_no_stray_byte_reads_as(tmp_path: Path) -> None:
    """Before: a line with a stray byte in its text was refused whenever it held any surrogate
    escape, even the pair of an emoji in another field. Only the escape of a lone U+DC80-U+DCFF
    (what Python's json and the surrogateescape handler both make of byte 0x80-0xff) is refused
    now; another lone surrogate in the text is U+FFFD, counted, as without a stray byte."""
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"id":"pair","text":"The caf\xe9 met.","title":"Smile \\ud83d\\ude00, skull \\ud83d\\udc80"}\n'
        b'{"id":"lone","text":"The caf\xe9 \\ud83d\\ud83d\\udc80 met \\udc00.","title":"x \\\\udc80"}\n'
        b'{"id":"stray","text":"The caf\xe9 met.","title":"\\ud83d \\udc80"}\n'
    )
    done, records, summary = clean(tmp_path, str(data))
    assert done.returncode == 1
    assert [(r["id"], r["text"], r["title"], r["meta"]) for r in records] == [
        (
            "pair",
            "The café met.\n",
            "Smile \U0001f600, skull \U0001f480",
            {"encoding": "utf-8", "invalid_utf8_sequences": 1},
        ),
        (
            "lone",
            "The café \ufffd\U0001f480 met \ufffd.\n",
            "x \\udc80",
            {"encoding": "utf-8", "invalid_utf8_sequences": 1, "lone_surrogates": 2},
        ),
    ]
    assert b',"title":"x \\\\udc80",' in (tmp_path / "out" / "clean.jsonl").read_bytes()  # as it was
    assert [(f["line"], f["message"]) for f in summary["failures"]] == [
        (3, "not valid UTF-8: byte 0xe9 at column 30"),  # \udc80 alone reads as byte 0x80 does
    ]


def test_document_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000, encoding="utf-8")
    done, records, _ = clean(tmp_path, str(big), "--max-doc-bytes", "1000000")
    assert done.returncode == 1
    assert f"{big}: document is 1500000 bytes, over --max-doc-bytes 1000000; skipped" in done.stderr
    assert records == []
    data = tmp_path / "big.jsonl"
    data.write_bytes(orjson.dumps({"text": "x" * 2_000_000}) + b"\n" + GOOD)
    done, records, _ = clean(tmp_path, str(data), "--max-doc-bytes", "1000000", "--overwrite")
    assert f"{data}:1: record is 2000011 bytes, over --max-doc-bytes 1000000; skipped" in done.stderr
    assert [r["id"] for r in records] == ["good"]


@pytest.mark.slow  # a scale test: `make test-slow` (CI) runs it
def test_huge_documents_are_cleaned(tmp_path: Path, pipeline: Pipeline) -> None:
    one_line = tmp_path / "one-line.txt"
    one_line.write_text("Advertisement\n" + "aaaa " * 10_000_000 + "\n", encoding="utf-8")  # 50 MB on one line
    many = tmp_path / "many-lines.txt"
    many.write_text("".join(f"line {n}\n" for n in range(500_000)), encoding="utf-8")  # --max-doc-lines
    result = run([one_line, many], pipeline, Target(tmp_path / "o" / "clean.jsonl", tmp_path / "o" / "r"))
    assert result.failed == 0 and result.totals.docs_out == 2
    assert result.totals.removed["chrome.widget"] == 1


def test_output_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", "seeds", "--out", str(blocker / "sub" / "clean.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert f"error: {blocker / 'sub'}: cannot create: Not a directory" in done.stderr


def test_a_value_is_named_in_json_s_words() -> None:
    from cleaner.records import json_kind

    values = [None, True, 0, 1.5, "x", [1], (1,), {"a": 1}, b"x"]
    assert [json_kind(v) for v in values] == [
        "null",
        "a boolean",
        "a number",
        "a number",
        "a string",
        "an array",
        "an array",
        "an object",
        "a bytes",
    ]


def test_a_record_that_fails_to_clean_is_placed_at_its_file_and_line(tmp_path: Path) -> None:
    """Before: summary.json had {"file": "x.jsonl:2", "line": null} for a record that failed while
    cleaning (a page with no text), {"file": "x.jsonl", "line": 2} for one that failed to read."""
    path = tmp_path / "pages.jsonl"
    page = (
        "<html><head><title>Council</title></head><body><article><p>The city council met on Monday to discuss the new"
        " budget for the coming year, which includes funding for schools and roads.</p><p>Members debated for several"
        " hours before voting to approve the proposal by a narrow margin of seven to six.</p></article></body></html>"
    )
    path.write_bytes(b"".join(orjson.dumps({"html": html}) + b"\n" for html in (page, "<html><body></body></html>", 7)))
    done, records, summary = clean(tmp_path, str(path), "--html-field", "html")
    assert done.returncode == 1
    assert len(records) == 1
    assert summary["failures"] == [
        {"file": str(path), "line": 2, "message": "found no main text"},
        {"file": str(path), "line": 3, "message": "field 'html' is a number, not a string"},
    ]
    assert done.stderr.splitlines() == [f"error: {path}:{f['line']}: {f['message']}" for f in summary["failures"]]
