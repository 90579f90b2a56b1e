"""Data safety on the input side (issue 10): decompression bombs, memory per document, review
outputs a crawled document could forge, and small input cases that used to lose a record."""

from __future__ import annotations

import codecs
import gzip
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

from cleaner.document import Document
from cleaner.errors import Problem
from cleaner.io import readers
from cleaner.io.readers import MAX_DOC_LINES, Fields, InputFile, Limits, read
from cleaner.pipeline import Pipeline, Settings, split_lines
from cleaner.pipeline.run import Target, run
from cleaner.printable import printable
from cleaner.report import html, review
from cleaner.report.diff import render
from tests.test_diff import apply

ROOT = Path(__file__).resolve().parent.parent
MB = 1 << 20


def _read(path: Path, limits: Limits | None = None) -> list[str]:
    """Each document's id, or the problem as printed."""
    found = read(InputFile(path, path.name), Fields(), limits or Limits())
    return [str(x) if isinstance(x, Problem) else x.id for x in found]


def test_lines_of_ascii_whitespace_are_no_records(tmp_path: Path) -> None:
    """Blank lines (any ASCII whitespace) are skipped, their numbers counted; a line holding
    another control character is a record, and not JSON."""
    corpus = tmp_path / "c.jsonl"
    record = orjson.dumps({"text": "Some text."}) + b"\n"
    corpus.write_bytes(b"\n" + record + b" \t\r\x0b\x0c\n" + b"\x1c\n" + record + b"  ")
    found = _read(corpus)
    assert found[0] == "c:2" and found[2] == "c:5"
    assert found[1].startswith(f"{corpus}:4: not valid JSON: ")
    assert len(found) == 3


def _blank_runs_corpus() -> tuple[bytes, list[str]]:
    """Records after runs of blank lines of every length around the bulk skip's start (63, 64,
    65), lines of other ASCII whitespace among them, a run longer than any buffer; and the ids
    read ("c:<line>")."""
    record = orjson.dumps({"text": "Some text."}) + b"\n"
    body, ids, line = b"", [], 0
    for length in (0, 1, 63, 64, 65, 64, 130, 200_000, 2, 70):
        blank = b"\n" * (length - 1) + b" \t\r\n" if length else b""  # (the last of a run other whitespace)
        body += blank + record
        line += length + 1
        ids.append(f"c:{line}")
    return body + b"\n" * 100, ids


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_runs_of_blank_lines_are_counted_whatever_their_length(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past _BLANK_RUN blank lines in a row the reader skips them a buffer at a time (a file of
    nothing but line breaks, 30,000 a kilobyte of zstd, took 0.37 µs a line): every record keeps
    its line number, and the skip is what read the long runs."""
    body, ids = _blank_runs_corpus()
    corpus = tmp_path / f"c.jsonl{suffix}"
    corpus.write_bytes(
        {"": body, ".gz": gzip.compress(body), ".zst": zstandard.ZstdCompressor().compress(body)}[suffix]
    )
    skipped: list[int] = []
    skip = readers.skip_blank_lines

    def counted(handle: Any, left: int) -> tuple[int, int]:
        done = skip(handle, left)
        skipped.append(done[1])
        return done

    monkeypatch.setattr(readers, "skip_blank_lines", counted)
    assert _read(corpus) == ids
    assert sum(skipped) > 199_000  # (of the 200,000 in a row: all but the first 64 or so)


def test_skip_blank_lines_stops_at_a_record_at_a_line_not_whole_and_at_its_bytes() -> None:
    def reader(data: bytes) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(data), buffer_size=16)  # (a buffer shorter than the runs)

    handle = reader(b"\n" * 40 + b" \n" + b"{}\n")
    assert readers.skip_blank_lines(handle, 1 << 20) == (42, 41)
    assert handle.read() == b"{}\n"
    handle = reader(b"\n\n  ")  # a last blank line without its line break: not skipped
    assert readers.skip_blank_lines(handle, 1 << 20) == (2, 2)
    assert handle.read() == b"  "
    handle = reader(b"\n" * 30)  # a block's end: no further than its bytes
    assert readers.skip_blank_lines(handle, 10) == (10, 10)
    assert handle.read() == b"\n" * 20
    handle = reader(b"\n\x1c\n")  # (\x1c is no blank for bytes.isspace)
    assert readers.skip_blank_lines(handle, 1 << 20) == (1, 1)


# --- decompression bombs -------------------------------------------------------------------

# Reads the file in a fresh process whose address space is capped at 512 MB over what it holds
# after imports: the old zstd reader decompressed a whole 64 KB input chunk at once (here: all of
# the 300 MB line) and copied what was left on every read, so it died of MemoryError (or ran for
# hours without the cap). Prints what was read and the growth of the peak RSS.
BOMB_READER = """
import resource, sys
from pathlib import Path
from cleaner.errors import Problem
from cleaner.io.readers import Fields, InputFile, Limits, read
vm = int(next(l for l in open('/proc/self/status') if l.startswith('VmSize')).split()[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (512 << 20), resource.RLIM_INFINITY))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
path = Path(sys.argv[1])
for x in read(InputFile(path, path.name), Fields(), Limits(1 << 20)):
    print(str(x) if isinstance(x, Problem) else x.id)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""


def _bomb(path: Path, line_mb: int, long_lines: int) -> None:
    """A JSONL file, compressed as a stream: a good record, one line of ``line_mb`` MB, a good
    record, ``long_lines`` lines of 2 MB, a good record."""
    with path.open("wb") as raw:
        out = (
            zstandard.ZstdCompressor(level=19).stream_writer(raw, closefd=False)
            if path.suffix == ".zst"
            else gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6)
        )
        chunk = b"a" * MB
        out.write(b'{"id": "first", "text": "A good record."}\n{"text": "')
        for _ in range(line_mb):
            out.write(chunk)
        out.write(b'"}\n{"id": "second", "text": "Another good record."}\n')
        for _ in range(long_lines):
            out.write(chunk * 2 + b"\n")
        out.write(b'{"id": "third", "text": "The last good record."}\n')
        out.close()


@pytest.mark.slow  # a scale test: `make test-slow` (CI) runs it
@pytest.mark.parametrize(("suffix", "line_mb"), [(".zst", 300), (".gz", 100)])
def test_compressed_bomb_is_refused_line_by_line_in_bounded_memory(tmp_path: Path, suffix: str, line_mb: int) -> None:
    path = tmp_path / f"bomb.jsonl{suffix}"
    _bomb(path, line_mb, long_lines=20)
    assert path.stat().st_size < 1 * MB  # a small file...
    done = subprocess.run(
        [sys.executable, "-c", BOMB_READER, str(path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *lines, growth = done.stdout.splitlines()
    size = line_mb * MB + len('{"text": "') + len('"}')
    assert lines == [
        "first",
        f"{path}:2: record is {size} bytes, over --max-doc-bytes 1048576; skipped",
        "second",
        *(f"{path}:{n}: record is {2 * MB} bytes, over --max-doc-bytes 1048576; skipped" for n in range(4, 24)),
        "third",
    ]
    assert int(growth) < 100  # MB: ...that expands to hundreds of MB, never held


def test_truncated_and_multi_frame_zstd(tmp_path: Path) -> None:
    frames = [
        zstandard.ZstdCompressor(write_checksum=n % 2 == 0).compress(
            b"".join(orjson.dumps({"id": f"{n}-{i}", "text": f"Record {i} of frame {n}."}) + b"\n" for i in range(3))
        )
        for n in range(3)
    ]
    whole = tmp_path / "whole.jsonl.zst"
    whole.write_bytes(b"".join(frames))
    assert _read(whole) == [f"{n}-{i}" for n in range(3) for i in range(3)]
    for cut in (1, 4, 8):  # inside the checksum, the last block, the frame header
        cut_path = tmp_path / f"cut{cut}.jsonl.zst"
        cut_path.write_bytes(b"".join(frames)[:-cut] if cut < 8 else b"".join(frames[:2]) + frames[2][:5])
        found = _read(cut_path)
        assert found[-1].startswith(f"{cut_path}:")
        assert found[-1].endswith(": cannot read further: zstd stream ended before the end of its frame")
        assert found[:6] == [f"{n}-{i}" for n in range(2) for i in range(3)]


# --- memory per document -------------------------------------------------------------------


def test_document_over_the_line_limit_is_refused(tmp_path: Path) -> None:
    many = tmp_path / "many.txt"
    many.write_text("x\n" * (MAX_DOC_LINES + 1), encoding="utf-8")
    assert _read(many) == [
        f"{many}: document has {MAX_DOC_LINES + 1} lines, over --max-doc-lines {MAX_DOC_LINES}; skipped"
    ]
    lone_cr = tmp_path / "cr.txt"
    lone_cr.write_text("a\rb\rc\r", encoding="utf-8")  # lines as the pipeline cuts them
    assert _read(lone_cr, Limits(max_doc_lines=2)) == [
        f"{lone_cr}: document has 3 lines, over --max-doc-lines 2; skipped"
    ]
    assert _read(lone_cr, Limits(max_doc_lines=3)) == ["cr"]
    wide = tmp_path / "wide.txt"  # 604 bytes on disk, 4 a character in memory
    wide.write_text("a" * 600 + "😀", encoding="utf-8")
    assert _read(wide, Limits(max_doc_bytes=1000)) == [
        f"{wide}: document takes 2400 bytes in memory (a character beyond U+FFFF makes each take 4),"
        " over twice --max-doc-bytes 1000; skipped"
    ]
    assert _read(wide, Limits(max_doc_bytes=1200)) == ["wide"]
    assert _read(wide, Limits(max_doc_bytes=1199)) != ["wide"]
    records = tmp_path / "r.jsonl"
    records.write_bytes(
        orjson.dumps({"id": "ok", "text": "one\ntwo"})
        + b"\n"
        + orjson.dumps({"id": "big", "text": "1\n2\n3\n4"})
        + b"\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", str(records), "--max-doc-lines", "3", "-q",
         "--out", str(tmp_path / "o" / "clean.jsonl")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == f"error: {records}:2: document has 4 lines, over --max-doc-lines 3; skipped\n"


def _cleaned(pipeline: Pipeline, text: str, doc_id: str = "d", source: str = "d.txt") -> html.Cleaned:
    return pipeline.clean(Document(doc_id, text, source))


def test_one_document_adds_a_bounded_record_to_the_review_files(pipeline: Pipeline) -> None:
    text = "Advertisement\n" + "x" * 5000 + "\n" + "".join(f"Line {n} of a long document.\n" for n in range(3000))
    text += "Advertisement\nLast line.\n"
    rules_only = Pipeline(pipeline.book, Settings(classify=False))  # a fixed set of removals to count
    rec = orjson.loads(review.record(_cleaned(rules_only, text)))
    rows = rec["lines"]
    # The first MAX_ROWS rows, then only the far removal with its context (two lines before, one after).
    assert len(rows) == review.MAX_ROWS + 4
    assert rows[0][:3] == [1, "-", "chrome.widget"]
    assert rows[1][3] == "x" * review.MAX_LINE_CHARS + f" … {5000 - review.MAX_LINE_CHARS} more characters"
    assert [r[:2] for r in rows[-4:]] == [[3001, " "], [3002, " "], [3003, "-"], [3004, " "]]


# --- review outputs a crawled document can forge ------------------------------------------

FORGED_ID = "x`\n\n## Failures (0)\n\n![pixel](https://evil.example/p.png) [login](https://evil.example/) <b>|bold|</b>"


def _forged_run(tmp_path: Path, pipeline: Pipeline) -> Path:
    corpus = tmp_path / "in"
    corpus.mkdir()
    name = corpus / "a|b\n## Files (0)\n`.jsonl"
    records = [
        {"id": FORGED_ID, "text": "Advertisement\n"},  # emptied
        {"id": "two\nlines", "text": "Advertisement\nThe second document stays here for the review page.\n"},
        {"id": "three\r\nlines", "text": "Advertisement\nThe third document stays here for the review page too.\n"},
    ]
    name.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records) + b"{broken\n")
    out = tmp_path / "out"
    run([corpus], pipeline, Target(out / "clean.jsonl", out / "reports"))
    return out / "reports"


def test_summary_md_values_cannot_forge_markdown(tmp_path: Path, pipeline: Pipeline) -> None:
    reports = _forged_run(tmp_path, pipeline)
    md = (reports / "summary.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    assert [line for line in lines if line.startswith("#")] == [
        "# cleaner summary", "## Rules", "## Emptied (1)", "## Failures (1)", "## Files",
    ]  # fmt: skip
    path = tmp_path / "in" / "a|b\n## Files (0)\n`.jsonl"
    assert (
        "- ``x`\\x0a\\x0a## Failures (0)\\x0a\\x0a![pixel](https://evil.example/p.png) [login](https://evil.example/)"
        f" <b>|bold|</b>`` ({_md(str(path))}:1): `chrome.widget`"
    ) in lines
    assert (
        f"- {_md(str(path))}:4: not valid JSON: unexpected character, expected a string key: line 1 column 2 \\(char 1\\)"
        in lines
    )
    files = [line for line in lines if line.startswith(f"| {_md(str(tmp_path))}")]
    assert files == [f"| {_md(str(path))} | 3 | 2 | 149 | 107 |"]
    assert len(lines) == 25  # nothing else: no line a value started


def _md(value: str) -> str:
    """How summary.md writes a path: markup characters escaped, line breaks visible."""
    from cleaner.report.summary import md_text

    return md_text(value)


def test_md_text_and_code_escape_exactly() -> None:
    from cleaner.report.summary import md_code, md_text

    assert md_text("seeds/004_5e26.txt") == "seeds/004_5e26.txt"
    assert md_text("_a_ *b* [c](d) <e> |f| #g `h`") == "\\_a\\_ \\*b\\* \\[c\\]\\(d\\) \\<e\\> \\|f\\| \\#g \\`h\\`"
    assert md_text("a\nb\x1b[2J") == "a\\\\x0ab\\\\x1b\\[2J"
    assert md_code("links.see-also") == "`links.see-also`"
    assert md_code("a``b") == "```a``b```"
    assert md_code("`a") == "`` `a ``"
    assert md_code("a|b") == "`a|b`" and md_code("a|b", cell=True) == "`a\\|b`"


def test_review_files_keep_every_document_whatever_the_ids(tmp_path: Path, pipeline: Pipeline) -> None:
    reports = _forged_run(tmp_path, pipeline)
    records = [orjson.loads(line) for line in (reports / "removals.jsonl").read_bytes().splitlines()]
    assert [r["id"] for r in records] == [FORGED_ID, "two\nlines", "three\r\nlines"]
    listing = (reports / "review" / "l0.js").read_text(encoding="utf-8")
    assert listing.count("\n") == 1  # one line of JSON: no id can break out of it
    assert "<" not in listing and "## Failures" in listing  # present only as escaped JSON text


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    name = tmp_path / "evil\x1b]0;pwned\x07.txt"
    name.write_text("Advertisement\nThe \x1b[2Jtext\x9b31m stays \u202eand is shown.\n", encoding="utf-8")
    explain = subprocess.run(
        [sys.executable, "-m", "cleaner", "explain", str(name)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert explain.returncode == 0
    assert not any(c in explain.stdout + explain.stderr for c in "\x1b\x07\x9b\u202e")
    assert "The \\x1b[2Jtext\\x9b31m stays \\u202eand is shown." in explain.stdout
    assert "# evil\\x1b]0;pwned\\x07" in explain.stdout
    broken = tmp_path / "bad\x1b[31m.jsonl"
    broken.write_bytes(b"{not json}\n")
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", str(broken), "--out", str(tmp_path / "o" / "c.jsonl")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "\x1b" not in done.stdout + done.stderr
    assert f"error: {printable(str(broken))}:1: not valid JSON" in done.stderr


def test_printable() -> None:
    assert printable("a\tb\nc\x00\x7f\x85\u200f") == "a\\x09b\\x0ac\\x00\\x7f\\x85\\u200f"
    assert printable("a\tb\nc\x1b", keep="\n\t") == "a\tb\nc\\x1b"
    assert printable("Grüße “aus” München") == "Grüße “aus” München"


# --- smaller input cases -------------------------------------------------------------------

GOOD = [{"id": "one", "text": "The first record stays."}, {"id": "two", "text": "The second record stays."}]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_with_a_bom_keeps_its_first_record(tmp_path: Path, suffix: str) -> None:
    data = codecs.BOM_UTF8 + b"".join(orjson.dumps(r) + b"\n" for r in GOOD)
    compress = {".jsonl": bytes, ".jsonl.gz": gzip.compress, ".jsonl.zst": zstandard.ZstdCompressor().compress}
    path = tmp_path / f"bom{suffix}"
    path.write_bytes(compress[suffix](data))
    assert _read(path) == ["one", "two"]
    # A BOM then a blank line (spaces, CRLF, nothing at all): the blank line is skipped as any is,
    # the records after it read with their line numbers.
    records = [orjson.dumps(r) + b"\n" for r in GOOD]
    for head in (b"\n", b"  \r\n", b""):
        path.write_bytes(compress[suffix](codecs.BOM_UTF8 + head + b"".join(records)))
        assert _read(path) == ["one", "two"]
        path.write_bytes(compress[suffix](codecs.BOM_UTF8 + head + b"{}\n" + records[0]))
        assert _read(path) == [f"{path}:{1 + bool(head)}: field 'text' is missing", "one"]
    path.write_bytes(compress[suffix](codecs.BOM_UTF8))  # a BOM and nothing else: no record, no failure
    assert _read(path) == []


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_lone_cr_is_a_line_break(pipeline: Pipeline, newline: str) -> None:
    text = newline.join(["Advertisement", "The ministers met on Friday in Brussels.", "", "They agreed.", ""])
    lines, trailing = split_lines(text)
    assert [line.orig for line in lines] == [
        "Advertisement",
        "The ministers met on Friday in Brussels.",
        "",
        "They agreed.",
    ]
    assert trailing
    cleaned = _cleaned(pipeline, text)
    assert cleaned.text == "The ministers met on Friday in Brussels.\n\nThey agreed.\n"
    assert cleaned.removed() == {"chrome.widget": 1}
    assert apply(text.replace("\r\n", "\n").replace("\r", "\n"), render(cleaned)) == cleaned.text
    assert _cleaned(pipeline, cleaned.text).text == cleaned.text  # idempotent


def test_mixed_line_ends_number_lines_as_the_diff_does(pipeline: Pipeline) -> None:
    text = "Advertisement\r\nFirst line of the story.\rSecond line of the story.\nAdvertisement\r"
    cleaned = _cleaned(pipeline, text)
    assert [(line.no, line.orig, line.dropped_by) for line in cleaned.lines] == [
        (1, "Advertisement", "chrome.widget"),
        (2, "First line of the story.", None),
        (3, "Second line of the story.", None),
        (4, "Advertisement", "chrome.widget"),
    ]
    assert cleaned.text == "First line of the story.\n\nSecond line of the story.\n"


def test_an_id_that_is_not_a_string_is_named_by_its_json_text(tmp_path: Path) -> None:
    """Before: the reports named such an id by Python's text (True, {'a': 1}), which is not what the
    record says and is also a string id's. Now by its JSON text, whichever json read the line; the
    record keeps its id as it was."""
    path = tmp_path / "ids.jsonl"
    path.write_bytes(
        b'{"id":true,"text":"A boolean id."}\n'
        b'{"id":{"a":1,"b":[null,2.5e-05]},"text":"An object id."}\n'
        b'{"id":1.0,"text":"A float id."}\n'
        b'{"id":5,"text":"An integer id."}\n'
        b'{"id":123456789012345678901234567890,"text":"A wide integer id."}\n'
        b'{"id":NaN,"text":"Not a number."}\n'
        b'{"id":1e400,"text":"No float holds it."}\n'
        b'{"id":false,"text":"A stray caf\xe9 byte."}\n'
        b'{"id":"True","text":"A string id."}\n'
    )
    docs = [d for d in read(InputFile(path, path.name), Fields()) if isinstance(d, Document)]
    assert [d.id for d in docs] == [
        "true",
        '{"a":1,"b":[null,0.000025]}',
        "1.0",
        "5",
        "123456789012345678901234567890",
        "NaN",
        "1e400",
        "false",
        "True",
    ]
    assert [d.record.fields["id"] for d in docs[:3] if d.record is not None] == [
        True,
        {"a": 1, "b": [None, 2.5e-05]},
        1.0,
    ]


def test_values_orjson_refuses_in_unused_fields_keep_the_record(tmp_path: Path) -> None:
    path = tmp_path / "lenient.jsonl"
    path.write_bytes(
        b'{"id": "nan", "text": "Not a number elsewhere.", "score": NaN, "max": Infinity}\n'
        b'{"id": "big", "text": "A huge number elsewhere.", "n": 1e400}\n'
        b'{"id": "sur", "text": "A lone surrogate elsewhere.", "title": "\\ud800"}\n'
        b'{"id": "in-text", "text": "A lone \\udc00 surrogate in the text.", "url": "https://e.example/\\ud83d"}\n'
        b'{"id": "pair", "text": "A real pair \\ud83d\\ude00 stays."}\n'
        b"{broken\n"
    )
    found = list(read(InputFile(path, path.name), Fields()))
    docs = [d for d in found if isinstance(d, Document)]
    assert [(d.id, d.text, d.url, d.meta) for d in docs] == [
        ("nan", "Not a number elsewhere.", None, {}),
        ("big", "A huge number elsewhere.", None, {}),
        ("sur", "A lone surrogate elsewhere.", None, {}),
        ("in-text", "A lone \ufffd surrogate in the text.", "https://e.example/\ufffd", {"lone_surrogates": 2}),
        ("pair", "A real pair 😀 stays.", None, {}),
    ]
    assert [str(p) for p in found if isinstance(p, Problem)] == [
        f"{path}:6: not valid JSON: unexpected character, expected a string key: line 1 column 2 (char 1)"
    ]
