"""The page join's C half (_diff.c's join and cut) against its Python twin (pagedata.Joiner._line
and pagedata._cut): the same review files and the same errors on page files with every kind of
line, well formed or damaged."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import orjson
import pytest

from cleaner.report import files, html, pagedata

NATIVE = pagedata._NATIVE
needs_native = pytest.mark.skipif(NATIVE is None, reason="CLEANER_NATIVE=off")

SIZES = {"PART": 4, "LIST": 5, "DOCS": 3, "BUFFERED": 7}
NAMES = ["links.see-also", "credits.source", 'quote"d \\rule', "byline <b>"]
TEXT = b'ab,[]"\\<\xc3\xa9 0123456789\t-+_'  # JSON-ish bytes, tabs and digits included


def _text(rng: random.Random, most: int = 30) -> bytes:
    return bytes(rng.choice(TEXT) for _ in range(rng.randint(0, most)))


def _number(rng: random.Random, good: int) -> bytes:
    """A shard rule number: mostly one in range, sometimes one only Python reads (or refuses)."""
    if rng.random() < 0.9:
        return b"%d" % rng.randrange(good) if good else b"0"
    return rng.choice(
        [b"", b"-1", b" 1", b"1_0", b"+1", b"007", b"%d" % good, b"9" * 19, b"99999999999999999999", b"x"]
    )


def _page(rng: random.Random, damaged: bool) -> bytes:
    lines: list[bytes] = []
    rules = 0
    for _ in range(rng.randint(0, 60)):
        kind = rng.random()
        if kind < 0.1 or rules == 0:
            lines.append(b"R" + orjson.dumps(rng.choice(NAMES)) + b"\n")
            rules += 1
        elif kind < 0.6:
            number = _number(rng, rules) if damaged else b"%d" % rng.randrange(rules)
            lines.append(b"E" + number + b"\t" + _text(rng) + b"\n")
        elif kind < 0.8:
            mine = b",".join(
                _number(rng, rules) if damaged else b"%d" % rng.randrange(rules) for _ in range(rng.randint(0, 4))
            )
            fields = [mine, _text(rng).replace(b"\t", b""), rng.choice([b"null", b'"credits.source"'])]
            if damaged and rng.random() < 0.1:
                fields = fields[: rng.randint(1, 2)] if rng.random() < 0.5 else [*fields, b"x"]
            lines.append(b"L" + b"\t".join(fields) + b"\n")
        else:
            lines.append(b"D" + _text(rng, 200) + b"\n")
        if damaged and rng.random() < 0.02:
            lines.append(rng.choice([b"\n", b"Q{}\n", b"E", b"L1\t", b"D"]))
    data = b"".join(lines)
    if damaged and data and rng.random() < 0.3:
        data = data[:-1]  # the last line without its newline
    return data


def _join(tmp: Path, pages: list[Path], native: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, bytes], str]:
    """The review files joined from ``pages`` and the error, if any (its type and words)."""
    monkeypatch.setattr(pagedata, "_NATIVE", NATIVE if native else None)
    out = tmp / ("c" if native else "py")
    out.mkdir()
    error = ""
    try:
        html.write_page(out / "index.html", pages)
    except Exception as exc:  # the same error either way is what is tested
        error = f"{type(exc).__name__}: {exc}"
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return files, error


@needs_native
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("damaged", [False, True], ids=["good", "damaged"])
def test_c_join_writes_the_files_python_writes(
    tmp_path: Path, seed: int, damaged: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SIZES.items():
        monkeypatch.setattr(pagedata, name, value)
    rng = random.Random(seed * 2 + damaged)
    errors = 0
    for k in range(50):
        case = tmp_path / f"case{k}"
        case.mkdir()
        pages = []
        for shard in range(rng.randint(1, 3)):
            page = case / f"{shard:06d}.page"
            page.write_bytes(_page(rng, damaged))
            pagedata.removals_file(page).write_bytes(b'{"id": "x"}\n' * shard)
            pages.append(page)
        expected = _join(case, pages, False, monkeypatch)
        got = _join(case, pages, True, monkeypatch)
        assert got == expected, (k, [p.read_bytes() for p in pages])
        errors += bool(expected[1])
    if damaged:
        assert errors > 5  # damaged files do reach Python's errors
    else:
        assert errors == 0


@needs_native
def test_c_join_of_lines_of_megabytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "000000.page"
    big = b"x" * (3 << 20)
    page.write_bytes(b'R"a"\nL0\t"d",null,null\t"a"\nD' + big + b"\nE0\t" + big + b"\n")
    pagedata.removals_file(page).write_bytes(b"")
    expected = _join(tmp_path, [page], False, monkeypatch)
    got = _join(tmp_path, [page], True, monkeypatch)
    assert got == expected
    assert expected[0]["review/d0.js"] == b"cleanerLoaded('d',[0,[" + big + b"]]);\n"
    assert expected[0]["review/r0-0.js"] == b"cleanerLoaded('r',[0,0,[[0," + big + b"]]);\n"


def _call(block: bytes, numbers: list[object], sinks: list[object], n: int = 0, room: int = 100) -> tuple[object, ...]:
    assert NATIVE is not None
    listing, whole = bytearray(), bytearray()
    got = NATIVE.join(block, 0, n, numbers, sinks, listing, whole, room, room, room)
    return (*got, bytes(listing), bytes(whole))


@needs_native
@pytest.mark.parametrize("start", [b"", b"held", b"cut off: "], ids=["empty", "held", "offset"])
def test_c_join_grows_its_bytearrays_to_the_bytes_appended(start: bytes) -> None:
    """The join grows a sink past its allocation by half at once (then down to its size): the
    sinks, the listing and the documents hold exactly what was appended, over many overflows,
    from a sink with bytes in it, or with bytes cut off its front (a bytearray's offset), and
    take more afterwards."""
    rng = random.Random(5)
    sink = bytearray(start)
    if start.startswith(b"cut"):
        del sink[:5]
    expected = bytes(sink)
    lines = []
    for _ in range(3000):
        rest = bytes(rng.choice(b"abc,[]") for _ in range(rng.choice([1, 7, 300, 5000])))
        lines.append(b"E0\t" + rest + b"\n")
        expected += b"[%d,%s\n" % (0, rest)
    lines.append(b'L\t"d"\tnull\n')
    lines.append(b"D" + b"y" * 70_000 + b"\n")
    listing, whole = bytearray(b"L" * 9), bytearray()
    assert NATIVE is not None
    block = b"".join(lines)
    pos, n, added, listed, wholes = NATIVE.join(block, 0, 0, [0], [sink], listing, whole, 10**6, 5, 5)
    assert (pos, n, added, listed, wholes) == (len(block), 1, 3000, 1, 1)
    assert bytes(sink) == expected
    assert bytes(listing) == b"L" * 9 + b',[1,"d",[],null]'
    assert bytes(whole) == b"," + b"y" * 70_000
    sink += b"more"
    assert bytes(sink) == expected + b"more"


@needs_native
def test_c_join_leaves_to_python_what_it_cannot_read_as_given() -> None:
    block = b"E0\tab\nL0\trow\tnull\nD{}\nE1\tcd\n"
    sinks: list[object] = [bytearray(), bytearray()]
    assert _call(block, [1, 0], sinks) == (len(block), 1, 2, 1, 1, b",[1,row,[1],null]", b",{}")
    assert sinks == [bytearray(b"[1,cd\n"), bytearray(b"[0,ab\n")]

    class Number(int):
        pass

    class Sink(bytearray):
        pass

    for numbers, slots in [
        ([True], [bytearray()]),  # not an exact int
        ([Number(0)], [bytearray()]),
        ([1], [bytearray()]),  # no sink of that number
        ([-1], [bytearray()]),
        ([1 << 70], [bytearray()]),
        ([0], [None]),
        ([0], [Sink()]),
        ([], [bytearray()]),
    ]:
        assert _call(b"E0\tab\n", numbers, slots)[:3] == (0, 0, 0), numbers
    assert _call(b"L0\trow\tnull\n", [0], [], n=(1 << 63) - 1)[:2] == (0, (1 << 63) - 1)
    assert _call(b"L\trow\tnull\n", [], [], n=-1)[:4] == (11, 0, 0, 1)  # no rules
    assert _call(b"E0\tab\n", [0], [bytearray()], n=-1)[:3] == (6, -1, 1)  # before any document: Python's "[-1,"
    for stop in [b'R"a"\n', b"T{}\n", b"\n", b"E0\tno newline", b"L0\trow\n", b"L0\ta\tb\tc\n", b"E0 ab\n"]:
        assert _call(stop, [0], [bytearray()])[:3] == (0, 0, 0), stop
    assert _call(b"D1\nD2\nD3\n", [], [], room=2)[0] == 6  # stops once a room is full


@needs_native
def test_c_join_refuses_bad_arguments_and_held_buffers() -> None:
    assert NATIVE is not None
    sink = bytearray()
    with pytest.raises(ValueError):
        NATIVE.join(b"D\n", 3, 0, [], [], bytearray(), bytearray(), 1, 1, 1)
    with pytest.raises(ValueError):
        NATIVE.join(b"D\n", -1, 0, [], [], bytearray(), bytearray(), 1, 1, 1)
    with pytest.raises(TypeError):
        NATIVE.join(b"D\n", 0, 0, (), [], bytearray(), bytearray(), 1, 1, 1)
    with pytest.raises(TypeError):
        NATIVE.join(b"D\n", 0, 0, [], [], b"", bytearray(), 1, 1, 1)
    with memoryview(sink), pytest.raises(BufferError):
        NATIVE.join(b"E0\tx\n", 0, 0, [0], [sink], bytearray(), bytearray(), 1, 1, 1)
    assert NATIVE.join(b"", 0, 0, [], [], bytearray(), bytearray(), 1, 1, 1) == (0, 0, 0, 0, 0)
    assert NATIVE.join(memoryview(b"D\n"), 0, 0, [], [], bytearray(), bytearray(), 1, 1, 1)[0] == 2


@needs_native
def test_c_cut_is_the_python_one() -> None:
    rng = random.Random(3)
    for _ in range(500):
        sink = bytearray(b"".join(_text(rng, 8).replace(b"\n", b"") + b"\n" for _ in range(rng.randint(0, 12))))
        if rng.random() < 0.3:
            sink += _text(rng, 8).replace(b"\n", b"")  # an unfinished entry
        mine = bytearray(sink)
        start = 0
        while True:
            count = rng.randint(0, 5)
            entries = sink[start:].split(b"\n")[:-1][:count]  # each ended by its newline
            expected = pagedata._cut(sink, start, count)
            assert NATIVE.cut(mine, start, count) == expected, (sink, start, count)
            assert mine == sink
            end, taken = expected
            assert taken == len(entries) and sink[start : end - 1] == b",".join(entries) if taken else end == start
            if taken == 0 and count:
                break
            start = end
    with pytest.raises(ValueError):
        NATIVE.cut(bytearray(b"a\n"), 3, 1)
    with pytest.raises(TypeError):
        NATIVE.cut(b"a\n", 0, 1)  # in place: a bytearray only
    assert NATIVE.cut(bytearray(b"a\nb"), 2, 5) == (2, 0)  # an unfinished entry is not one
    assert pagedata._cut(bytearray(b"a\nb"), 2, 5) == (2, 0)
    sink = bytearray(b"a\nbc\nd\n")
    assert NATIVE.cut(sink, 0, 2) == (5, 2) and sink == bytearray(b"a,bc\nd\n")  # the last newline is kept


@pytest.mark.parametrize("kernel", [True, False], ids=["copy_file_range", "buffer"])
def test_a_removals_file_is_appended_whole(tmp_path: Path, kernel: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard's removals file goes to the end of removals.jsonl, in the kernel or, where it
    cannot, through a buffer (from the first byte, after what the writer holds)."""
    source = tmp_path / "a.removals"
    data = bytes(random.Random(1).randrange(256) for _ in range(300_000))
    source.write_bytes(data)
    if not kernel:
        calls = []
        copy = os.copy_file_range

        def refuse(*args: object) -> int:
            calls.append(args)
            if len(calls) > 1:
                raise OSError(18, "Invalid cross-device link")
            return copy(*args[:2], 1000)  # type: ignore[arg-type]  # some, then a refusal

        monkeypatch.setattr(files.os, "copy_file_range", refuse)
    with (tmp_path / "out").open("wb") as out:
        out.write(b"held")
        with source.open("rb") as handle:
            assert files.append(handle, out) == len(data)
        out.write(b"after")
    assert kernel or len(calls) == 2
    assert (tmp_path / "out").read_bytes() == b"held" + data + b"after"
    buffer = io.BytesIO(b"x")
    buffer.seek(1)
    with source.open("rb") as handle:
        assert files.append(handle, buffer) == len(data)
    assert buffer.getvalue() == b"x" + data


def test_a_file_is_appended_where_the_os_has_no_copy_file_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS and Windows have no os.copy_file_range: the buffer does it all."""
    source = tmp_path / "a.removals"
    source.write_bytes(b"one\ntwo\n")
    monkeypatch.delattr(files.os, "copy_file_range", raising=False)
    with (tmp_path / "out").open("wb") as out:
        out.write(b"held\n")
        with source.open("rb") as handle:
            assert files.append(handle, out) == 8
    assert (tmp_path / "out").read_bytes() == b"held\none\ntwo\n"


def test_a_synced_output_hands_its_bytes_to_the_disk_as_they_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """files.Synced: the bytes of append, each SYNC_AHEAD of them synced once they are in the
    file (what the writer held too), so the output's final fsync has only the rest to write."""
    monkeypatch.setattr(files, "SYNC_AHEAD", 1000)
    synced: list[bytes] = []
    target = tmp_path / "out"
    monkeypatch.setattr(files, "_datasync", lambda fd: synced.append(target.read_bytes()))
    sources = []
    for i, size in enumerate((400, 500, 0, 300, 2500, 10)):
        source = tmp_path / f"{i}.removals"
        source.write_bytes(bytes([65 + i]) * size)
        sources.append(source)
    with target.open("wb") as out:
        out.write(b"held")
        output = files.Synced(out)
        for source in sources:
            with source.open("rb") as handle:
                output.append(handle)
        assert output.unsynced == 10
    whole = target.read_bytes()
    assert whole == b"held" + b"".join(source.read_bytes() for source in sources)
    assert synced == [whole[: 4 + 1200], whole[: 4 + 3700]]  # over 1000 unsynced: after the fourth file, the fifth


@pytest.mark.parametrize("links", [True, False], ids=["links", "no-links"])
@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_a_joined_output_is_its_files_in_order_and_a_lone_one_is_linked(
    tmp_path: Path, links: bool, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """files.Joined (removals.jsonl): the files' bytes one after the other, in place when whole;
    a lone file is the same file (a link, synced), where links can be made."""
    monkeypatch.setattr(files, "SYNC_AHEAD", 100)
    if not links:

        def refuse(*args: object) -> None:
            raise OSError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", refuse)
    synced: list[int] = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or fsync(fd))
    sources = []
    for i in range(count):
        source = tmp_path / f"{i}.removals"
        source.write_bytes(bytes([65 + i]) * (150 + i))
        sources.append(source)
    target = tmp_path / "out" / "removals.jsonl"
    target.parent.mkdir()
    target.write_bytes(b"an older one")
    with files.Joined(target) as joined:
        for source in sources:
            joined.add(source)
        assert target.read_bytes() == b"an older one"  # not in place before it is whole
        joined.finish()
    assert target.read_bytes() == b"".join(source.read_bytes() for source in sources)
    linked = bool(sources) and target.stat().st_ino == sources[0].stat().st_ino
    assert linked == (count == 1 and links)
    assert synced and [p.name for p in target.parent.iterdir()] == ["removals.jsonl"]


def test_a_joined_output_that_fails_is_not_put_in_place(tmp_path: Path) -> None:
    """An error before finish: no output, no temporary file, its files as they were."""
    sources = [tmp_path / "a.removals", tmp_path / "b.removals"]
    for source in sources:
        source.write_bytes(b"x\n")
    target = tmp_path / "out" / "removals.jsonl"
    target.parent.mkdir()
    for added in (sources[:1], sources):
        with pytest.raises(KeyError), files.Joined(target) as joined:
            for source in added:
                joined.add(source)
            raise KeyError("a failure before it was whole")
        assert list(target.parent.iterdir()) == [] and sources[0].read_bytes() == b"x\n"


@needs_native
@pytest.mark.parametrize("cut_off", [0, 5], ids=["plain", "offset"])
def test_c_empty_keeps_the_allocation_the_join_fills_again(cut_off: int) -> None:
    """A flush empties the sinks keeping their memory (a freed one was a page fault per 4 KB taken
    again): the join then appends into that room, under half of it too (where PyByteArray_Resize
    would move it down), and the bytearray is as if it had been cleared and appended to."""
    assert NATIVE is not None
    sink = bytearray(b"z" * 100_000)
    del sink[:cut_off]  # (a bytearray's offset: its bytes begin past its allocation's start)
    room = sink.__alloc__()
    NATIVE.empty(sink)
    assert sink == bytearray() and sink.__alloc__() == room
    whole = bytearray(b"w" * 50_000)
    NATIVE.empty(whole)
    block = b"E0\tab\nD{}\nE0\t" + b"c" * 60_000 + b"\n"
    assert NATIVE.join(block, 0, 3, [0], [sink], bytearray(), whole, 10, 10, 10) == (len(block), 3, 2, 0, 1)
    assert sink == b"[3,ab\n[3," + b"c" * 60_000 + b"\n" and sink.__alloc__() == room
    assert whole == b",{}"
    sink += b"more"  # Python's own appending after it
    assert sink.endswith(b"c\nmore") and len(sink) == 60_014
    big = bytearray(b"x" * 10)
    NATIVE.empty(big)
    NATIVE.join(b"E0\t" + b"y" * 200_000 + b"\n", 0, 0, [0], [big], bytearray(), bytearray(), 10, 10, 10)
    assert big == b"[0," + b"y" * 200_000 + b"\n"  # past its room: grown as before
    with memoryview(sink), pytest.raises(BufferError):
        NATIVE.empty(sink)
    with pytest.raises(TypeError):
        NATIVE.empty(b"x")
    NATIVE.empty(bytearray())  # (no allocation at all)


@needs_native
def test_c_join_takes_every_line_it_reads_after_a_flush_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flush does not hand the next line to Python (whose bytearray += moved a sink's kept room
    down to its size): only R lines reach _line, however often the files are written."""
    for name, value in SIZES.items():
        monkeypatch.setattr(pagedata, name, value)
    rng = random.Random(11)
    tags: list[int] = []
    line = pagedata.Joiner._line

    def spy(self: pagedata.Joiner, path: Path, text: bytes, n: int, numbers: list[int], base: int) -> int:
        tags.append(text[0])
        return line(self, path, text, n, numbers, base)

    monkeypatch.setattr(pagedata.Joiner, "_line", spy)
    out = tmp_path / "review"
    out.mkdir()
    joiner = pagedata.Joiner(out)
    for shard in range(4):
        page = tmp_path / f"{shard:06d}.page"
        page.write_bytes(_page(rng, False))
        pagedata.removals_file(page).write_bytes(b"")
        joiner.add(page)
    assert len(list(out.glob("r*.js"))) > 5 and len(list(out.glob("d*.js"))) > 5  # written on the way
    assert tags and set(tags) == {ord("R")}


@needs_native
def test_c_join_keeps_an_emptied_listing_s_room() -> None:
    """An L line is written in the room extend() made, and the listing cut to it there (not moved
    down to fit, as PyByteArray_Resize does under half its allocation)."""
    assert NATIVE is not None
    listing = bytearray(b"x" * 100_000)
    room = listing.__alloc__()
    NATIVE.empty(listing)
    block = b'L3,1\t"d",null\tnull\nL\t"e"\tnull\n'
    assert NATIVE.join(block, 0, 0, [0, 5, 2, 9], [], listing, bytearray(), 9, 9, 9) == (len(block), 2, 0, 2, 0)
    assert listing == b',[1,"d",null,[5,9],null],[2,"e",[],null]' and listing.__alloc__() == room


@needs_native
def test_a_flush_keeps_the_memory_of_a_sink_with_bytes_and_hands_back_an_idle_ones() -> None:
    """pagedata._empty, what the flushes call: a sink that held bytes since the last flush keeps its
    room for the next; one that held none (a rule no longer met) hands its room back, so a run that
    meets rule after rule does not keep the peak of each."""
    sink = bytearray(b"e" * 100_000)
    room = sink.__alloc__()
    pagedata._empty(sink)
    assert sink == bytearray() and sink.__alloc__() == room
    pagedata._empty(sink)  # nothing since: idle
    assert sink == bytearray() and sink.__alloc__() < 100
