"""The diff's C half (cleaner/report/_diff.c) against the Python it stands in for (diff.py's
ops_for, _hunks and render): the same hunks to the character on invented documents, random
documents of every line fate in both layouts, the seeds; the Python way when the layout is not
in line order; bad arguments refused; and that it is built at all."""

from __future__ import annotations

import gc
import hashlib
import heapq
import io
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from cleaner import document, native
from cleaner.document import Cleaned, DocStats, Document, Line
from cleaner.pipeline import Pipeline, clean, outcome
from cleaner.report import diff, pagedata, review, summary
from cleaner.report.outcome import Outcome
from cleaner.steps import base, whitespace
from cleaner.steps.base import State
from cleaner.steps.whitespace import layout
from tests.test_pagedata import edited

ROOT = Path(__file__).resolve().parent.parent
NATIVE = diff._NATIVE

needs_native = pytest.mark.skipif(NATIVE is None, reason="CLEANER_NATIVE=off")

TEXTS = [
    "Alpha line here.",
    "Beta ⟨x⟩ line",
    "",
    "   ",
    "γάμμα\tδέλτα",
    "<b>tag</b>",
    "x" * 50,
    "\u00a0",
    "😀 astral",
    "\u200b",
]
RULES = ["chrome.widget", "links.see-also", "credits.source"]
REPAIRS = ["ftfy:encoding", "whitespace", "replace.x"]


def _document(rng: random.Random, size: int) -> Cleaned:
    """A document whose lines met every fate: kept, removed (by a rule, or a blank let go),
    changed (by repairs, one to blank, or by the layout alone), blank; with or without a final newline."""
    lines = []
    for no in range(1, size + 1):
        line = Line(no, rng.choice(TEXTS))
        fate = rng.random()
        if fate < 0.25:
            line.drop(rng.choice(RULES))
        elif fate < 0.4:
            for label in rng.sample(REPAIRS, rng.randint(1, 2)):
                line.change(line.text + rng.choice(["!", " fixed", ""]), label)
        elif fate < 0.43:
            line.change("", rng.choice(REPAIRS))  # a repair that empties it (zero-width spaces)
        elif fate < 0.48:
            line.text = line.orig.strip()  # changed with no label: the layout's doing
            line.blank = not line.text
        lines.append(line)
    text = "\n".join(line.orig for line in lines) + ("\n" if rng.random() < 0.5 else "")
    return Cleaned(Document("d", text, "d.txt"), lines, "", None, None, {}, text.endswith("\n"))


def _python(cleaned: Cleaned, mode: str) -> str:
    cleaned.layout = None
    return diff.python_hunks(cleaned, mode)


def _c(cleaned: Cleaned, mode: str) -> str | None:
    assert NATIVE is not None
    return NATIVE.hunks(cleaned.lines, layout(cleaned.lines, mode), cleaned.trailing_newline, diff.LAYOUT)


def test_the_extension_is_built() -> None:
    if native.load("cleaner.report._diff") is None and not native.disabled():
        pytest.fail("cleaner/report/_diff.c was not built: is there a C compiler? (`pip install -e .` builds it)")


@needs_native
@pytest.mark.parametrize("mode", ["paragraphs", "lines"])
def test_c_hunks_are_the_python_ones_on_random_documents(mode: str) -> None:
    rng = random.Random(7)
    for size in [*range(0, 12), *(rng.randint(12, 80) for _ in range(1500))]:
        cleaned = _document(rng, size)
        assert _c(cleaned, mode) == _python(cleaned, mode), (size, [repr(line) for line in cleaned.lines])


@needs_native
@pytest.mark.parametrize("mode", ["paragraphs", "lines"])
def test_c_hunks_as_bytes_are_the_python_ones_utf8(mode: str) -> None:
    rng = random.Random(8)
    assert NATIVE is not None
    for size in [*range(0, 12), *(rng.randint(12, 80) for _ in range(500))]:
        cleaned = _document(rng, size)
        got = NATIVE.hunks(cleaned.lines, layout(cleaned.lines, mode), cleaned.trailing_newline, diff.LAYOUT, True)
        assert got == _python(cleaned, mode).encode("utf-8"), (size, [repr(line) for line in cleaned.lines])
        head = rng.choice([b"", b"--- h\n", "\u00e9<".encode() * rng.randint(1, 400)])  # a head past the first room
        with_head = NATIVE.hunks(
            cleaned.lines, layout(cleaned.lines, mode), cleaned.trailing_newline, "layout", True, head
        )
        assert with_head == head + got


@needs_native
@pytest.mark.parametrize("mode", ["paragraphs", "lines"])
def test_c_hunks_after_text_json_copy_its_plain_escapes(mode: str) -> None:
    """After text_json of the layout (Cleaned.record_line's, before the diff), a kept or added
    text that is not ASCII is copied from its escape when nothing in it was escaped (TEXTS hold
    both, "\\t" among them): the same bytes; and from another layout's escapes, not."""
    rng = random.Random(10)
    assert NATIVE is not None
    for size in [*range(0, 12), *(rng.randint(12, 80) for _ in range(500))]:
        cleaned = _document(rng, size)
        out = layout(cleaned.lines, mode)
        for kept in [out, [(line, "".join(list(text))) for line, text in out], out[1:]]:
            assert NATIVE.text_json(kept, whitespace.render(kept)) is not None  # type: ignore[arg-type]
            got = NATIVE.hunks(cleaned.lines, out, cleaned.trailing_newline, diff.LAYOUT, True)
            assert got == _python(cleaned, mode).encode("utf-8"), (size, [repr(line) for line in cleaned.lines])
            cleaned.layout = None


@needs_native
def test_render_bytes_is_render_encoded_and_a_lone_surrogate_is_left_to_python() -> None:
    rng = random.Random(9)
    for size in range(0, 40):
        cleaned = _document(rng, size)
        cleaned.doc = Document("d\u00e9", cleaned.doc.text, "s\u00e9.txt")
        assert diff.render_bytes(cleaned) == diff.render(cleaned).encode("utf-8")
    lines = [Line(1, "kept \udc80"), Line(2, "gone")]
    lines[1].drop("chrome.widget")
    cleaned = Cleaned(Document("d", "kept \udc80\ngone", "d.txt"), lines, "kept \udc80", None, None, {}, False)
    assert NATIVE is not None
    assert NATIVE.hunks(lines, layout(lines), False, diff.LAYOUT, True) is None  # no UTF-8: not an error here
    assert diff.render(cleaned).endswith("-gone\t⟨chrome.widget⟩\n\\ No newline at end of file\n")
    with pytest.raises(UnicodeEncodeError):  # as str.encode says it
        diff.render_bytes(cleaned)


@needs_native
def test_c_hunks_are_the_python_ones_on_the_seeds(pipeline: Pipeline) -> None:
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        cleaned = pipeline.clean(Document(path.stem, path.read_text(encoding="utf-8"), str(path)))
        for mode in ("paragraphs", "lines"):
            assert _c(cleaned, mode) == _python(cleaned, mode), path


@needs_native
def test_render_with_c_is_render_in_python(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Title of the piece\nAdvertisement\ndonâ€™t stop\u00a0\n\n\nLast words here."
    cleaned = pipeline.clean(Document("d", text, "in/d.txt"))
    with_c = diff.render(cleaned)
    monkeypatch.setattr(diff, "_NATIVE", None)
    assert with_c == diff.render(cleaned)
    assert with_c.endswith("-Last words here.\t⟨newline⟩\n\\ No newline at end of file\n+Last words here.\t⟨newline⟩\n")


@needs_native
def test_a_layout_out_of_line_order_is_left_to_python() -> None:
    lines = [Line(1, "one"), Line(2, "two"), Line(3, "three")]
    out = layout(lines)
    assert NATIVE is not None
    assert NATIVE.hunks(lines, [out[2], out[1], out[0]], True, "layout") is None
    assert NATIVE.hunks(lines, [*out, (Line(4, "four"), "four")], True, "layout") is None  # not an input line
    assert NATIVE.hunks(lines, [*out, out[0]], True, "layout") is None  # a line twice
    cleaned = Cleaned(Document("d", "one\ntwo\nthree\n", "d.txt"), lines, "three\n\none\n", None, None, {}, True)
    cleaned.layout = [out[4], out[3], out[0]]
    assert diff.render(cleaned) == "--- d.txt\n+++ d.txt (clean) id=d\n" + diff.python_hunks(cleaned)


@needs_native
def test_bad_arguments_are_refused() -> None:
    assert NATIVE is not None
    lines = [Line(1, "one")]
    with pytest.raises(TypeError):
        NATIVE.hunks(lines, [[lines[0], "one"]], True, "layout")
    with pytest.raises(TypeError):
        NATIVE.hunks(lines, [(lines[0], b"one")], True, "layout")
    with pytest.raises(TypeError):
        NATIVE.hunks((lines[0],), [], True, "layout")
    odd = Line(1, "one")
    odd.orig = b"one"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        NATIVE.hunks([odd], [], True, "layout")
    odd = Line(1, "one")
    odd.no = "1"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        NATIVE.hunks([odd], [], True, "layout")


@needs_native
def test_c_hunks_refuse_a_tag_that_is_not_a_str() -> None:
    # range_size bounds each op's UTF-8 from its length and kind: a dropped_by that is not a str
    # must fail as render_range fails on it, not be read as a str.
    assert NATIVE is not None
    lines = [Line(1, "one"), Line(2, "two")]
    lines[1].dropped_by = 7  # type: ignore[assignment]
    with pytest.raises(TypeError):
        NATIVE.hunks(lines, layout(lines), True, "layout", True)


def test_the_size_bound_of_wide_texts_holds_their_utf8() -> None:
    # Diffs of texts of every kind (Latin-1 past ASCII: two bytes a character; BMP: three; astral:
    # four), as long as a buffer's first room and past it: C's bytes are Python's.
    for text in ["\u00e9" * 300, "\u2019" * 700, "\U0001f600" * 200, "a\u00e9\u2019\U0001f600" * 90]:
        lines = [Line(1, text), Line(2, text + "!"), Line(3, "kept")]
        lines[0].drop("chrome.widget")
        lines[1].change(text, "whitespace")
        given = "\n".join(line.orig for line in lines)
        cleaned = Cleaned(Document("d", given, "d.txt"), lines, text + "\nkept\n", None, None, {}, False)
        assert diff.render_bytes(cleaned) == diff.render(cleaned).encode("utf-8")
        assert diff.render_changed(cleaned) == diff.render_bytes(cleaned)


def test_outcome_diff_is_render_bytes(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    # outcome asks the stats whether a document changed and renders it with render_changed: the
    # bytes of render_bytes, b"" for an unchanged document, with C and without.
    texts = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    texts += ["Nothing to clean here.\n", "Nothing to clean here."]
    for native_diff in (diff._NATIVE, None):
        monkeypatch.setattr(diff, "_NATIVE", native_diff)
        for k, text in enumerate(texts):
            cleaned = pipeline.clean(Document(f"d{k}", text, f"in/d{k}.txt"))
            got = outcome.outcome(cleaned, pipeline)
            assert got.diff == diff.render_bytes(cleaned, pipeline.settings.layout)
            assert (got.diff == b"") == (not cleaned.changed)
    assert got.diff == b""  # the last one is unchanged but for its final newline


@needs_native
def test_fastcall_arguments_are_checked_as_parse_tuple_checked_them() -> None:
    # The per-document calls read their arguments from METH_FASTCALL's vector (_diff.c's
    # fast_args): too few or too many, a wrong type, a keyword, each refused as before.
    assert NATIVE is not None
    lines = [Line(1, "one"), Line(2, "two")]
    out = layout(lines)
    calls: list[tuple[Any, tuple[Any, ...], set[int]]] = [  # (and the arguments any object is good for)
        (NATIVE.hunks, (lines, out, True, "layout"), {2}),
        (NATIVE.text_json, (out, "one\n\ntwo\n"), set()),
        (NATIVE.line_counts, (lines,), set()),
        (NATIVE.tally, ({}, {}, {}, {}, {}, {}, {}), set()),
        (NATIVE.totals_add, ({}, {}, {}, {}, {}, {}), set()),
        (NATIVE.split_lines, ("one\ntwo", Line), set()),
        (NATIVE.layout, (lines, True), {1}),
        (NATIVE.page_entries, (b"[]", [], b"d\0", 0, {}, [], 50, 2), {3}),
        (NATIVE.page_add, (b"L\n", [], b"{", False, b"d\0", 0, {}, [], 50, 2), {3, 5}),
        (NATIVE.page_record, ({}, 0, {}, [], 50, 2), {0, 1}),  # (a record of another shape: None)
    ]
    for call, args, free in calls:
        call(*args)  # as given: accepted
        with pytest.raises(TypeError):
            call(*args[:-1])
        with pytest.raises(TypeError):
            call(*args, None, None, None)
        with pytest.raises(TypeError):
            call(*args, extra=1)
        for k in set(range(len(args))) - free:
            with pytest.raises(TypeError):  # (3.0 is no list, dict, type, str, bytes or index)
                call(*args[:k], 3.0, *args[k + 1 :])
    # the optional arguments, and what each kind takes
    assert NATIVE.hunks(lines, out, 0, "layout", 1, bytearray(b"head\n")).startswith(b"head\n@@ -1")
    assert NATIVE.text_json(out, "one\n\ntwo\n", True) == (b'"one\\n\\ntwo\\n"', 2)
    assert len(NATIVE.line_counts(lines, 2000)) == 4
    assert NATIVE.page_entries(memoryview(b"[]"), [], bytearray(b"d\0"), 0, {}, [], True, 2) == (b"", b"", [])
    with pytest.raises(TypeError):
        NATIVE.page_entries("[]", [], b"d\0", 0, {}, [], 50, 2)  # a str is not bytes
    with pytest.raises(OverflowError):
        NATIVE.line_counts(lines, 1 << 70)
    with pytest.raises(OverflowError):  # (an int read straight: one too large either way refused)
        NATIVE.line_counts(lines, -(1 << 63) - 1)
    # an int read straight, -1 among them, as the int of an __index__ or a bool
    for most in (-1, 0, 1, 2000, 1 << 62):
        assert NATIVE.line_counts(lines, most) == NATIVE.line_counts(lines, _Index(most))
    assert NATIVE.line_counts(lines, True) == NATIVE.line_counts(lines, 1)
    # a truth: True and False as PyObject_IsTrue reads them, and any other object's
    assert NATIVE.layout(lines, True) == NATIVE.layout(lines, [0]) != NATIVE.layout(lines, False)
    assert NATIVE.layout(lines, False) == NATIVE.layout(lines, 0)
    with pytest.raises(ZeroDivisionError):  # a truth that fails: its error
        NATIVE.layout(lines, _Untrue())


class _Untrue:
    def __bool__(self) -> bool:
        raise ZeroDivisionError


class _Index:
    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


class _Emptying(Line):
    """A line whose attributes empty the lists being read (code the C half must survive)."""

    __slots__ = ("victims",)

    def __getattribute__(self, name: str) -> object:
        try:
            victims = object.__getattribute__(self, "victims")
        except AttributeError:  # not armed yet
            victims = []
        for victim in victims:
            victim.clear()
        return object.__getattribute__(self, name)


@needs_native
def test_lists_emptied_mid_call_are_read_as_given() -> None:
    lines: list[Line] = [Line(1, "keep me"), Line(2, "drop me"), Line(3, "keep too")]
    lines[1].drop("chrome.widget")
    odd = _Emptying(4, "changed")
    odd.change("Changed", "replace.x")
    lines.append(odd)
    out = layout(lines)
    expected = diff.python_hunks(Cleaned(Document("d", "", "d"), list(lines), "", None, None, {}, True))
    odd.victims = [lines, out]
    assert NATIVE is not None
    assert NATIVE.hunks(lines, out, True, "layout") == expected


# ---- the review page's entries (pagedata.ShardPage._entries) ----

ROW_TEXTS = ["plain", 'a "quoted" <b>word</b>', "back\\slash \\", 'ends in \\"', "", "é ⟨x⟩ 😀", "\x01\n\t", "]["]


def _rows(rng: random.Random, size: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for no in range(1, size + 1):
        text = rng.choice(ROW_TEXTS) + rng.choice(ROW_TEXTS)
        fate = rng.random()
        if fate < 0.3:
            rows.append([no, "-", rng.choice(["rule.a", 'q"uote', "b\\s", "<x>"]), text])
        elif fate < 0.5:
            rows.append([no, "~", rng.choice(["ftfy:encoding", "a+b", 'c"+<d>']), text.upper(), text])
        else:
            rows.append([no, " ", None, text])
    return rows


def _python_entries(rows: list[list[object]]) -> tuple[list[int], list[bytes], bytes]:
    """What _diff.c's entries stands for: pagedata.js of each entry without its "[", and the
    JSON of with_context's rows."""
    acted, rests = [], []
    for i, row in enumerate(rows):
        if row[1] == " ":
            continue
        context = 2 if row[1] == "-" else 0  # a changed row's entry has no context
        before = [r[:4] for r in rows[max(i - context, 0) : i]]
        after = [r[:4] for r in rows[i + 1 : i + 1 + context]]
        entry = [
            row[0],
            row[3] if row[1] == "-" else edited(row[4], row[3]),
            before,
            after,
            row[3] if row[1] == "~" else None,
        ]
        acted.append(i)
        rests.append(pagedata.js(entry)[1:])
    near = orjson.dumps(review.with_context(rows))[1:-1]  # type: ignore[arg-type]
    return acted, rests, near


@needs_native
def test_c_entries_are_the_python_ones() -> None:
    assert NATIVE is not None
    rng = random.Random(3)
    for size in [*range(0, 8), *(rng.randint(8, 40) for _ in range(500))]:
        rows = _rows(rng, size)
        got = NATIVE.entries(orjson.dumps(rows), len(rows), review.CONTEXT)
        assert got == _python_entries(rows), rows


@needs_native
def test_c_entries_of_quotes_and_backslashes_at_every_place() -> None:
    # A string's end is found 16 bytes at a time, then by memchr: an escaped quote, a run of
    # backslashes and the closing quote before, at and past the 16th byte of a string.
    assert NATIVE is not None
    for k in range(0, 40):
        for mark in ['"', "\\", '\\"', "\\\\", "x"]:
            text = "a" * k + mark + "b" * (40 - k)
            rows: list[list[object]] = [
                [1, " ", None, text[: k + 1]],
                [2, "-", "r" * k + mark, text],
                [3, "~", "t" + mark, text[k:], text],
                [4, " ", None, text[:k]],
            ]
            assert NATIVE.entries(orjson.dumps(rows), len(rows), review.CONTEXT) == _python_entries(rows), (k, mark)


@needs_native
def test_c_edits_of_a_changed_rows_original_are_review_edits() -> None:
    """A changed row's original in its entry is review.edit's [prefix, suffix, middle], in code
    points, with the difference anywhere: inside a character's UTF-8 (é and è share their first
    byte, é and © their last, 😀 and 😁 three first, 😀 and 瘀 two last), before an escape or inside one (\n and \t, \u0001 and \u0002), texts empty or
    one the other's prefix or suffix, and the same character repeated across the edit."""
    assert NATIVE is not None
    pieces = [
        "",
        "a",
        " ",
        "  ",
        "é",
        "è",
        "©",
        "😀",
        "😁",
        "瘀",
        '"',
        "\\",
        "\n",
        "\t",
        "\x01",
        "\x02",
        "\u00a0",
        "ab",
    ]
    rng = random.Random(11)
    for _ in range(3000):
        head, tail = (rng.choice(pieces) + rng.choice(pieces) for _ in range(2))
        original = head + rng.choice(pieces) + rng.choice(pieces) + tail
        text = head + rng.choice(pieces) + tail
        rows: list[list[object]] = [[1, "~", "whitespace", text, original], [2, " ", None, "kept"]]
        assert NATIVE.entries(orjson.dumps(rows), len(rows), review.CONTEXT) == _python_entries(rows), rows
        assert review.edit(original, text) == edited(original, text)


@needs_native
@pytest.mark.parametrize(
    "rows",
    [
        [[1, "-", "r", "t", "extra"]],  # a removed row with an original text
        [[1, "~", "r", "t"]],  # a changed row without one
        [[1, "?", "r", "t"]],  # no such fate
        [[1, "--", "r", "t"]],
        [[1, " ", None]],  # too short
        [[1, " ", None, "t", "u", "v"]],  # too long
        [[1, " ", None, ["nested"]]],
        [[1, " ", {"a": 1}, "t"]],
        [[1, "-", "r", "t"], "not a row"],
    ],
)
def test_c_entries_refuse_rows_of_another_shape(rows: list[object]) -> None:
    assert NATIVE is not None
    assert NATIVE.entries(orjson.dumps(rows), len(rows), review.CONTEXT) is None


@needs_native
def test_c_entries_refuse_json_of_another_count() -> None:
    assert NATIVE is not None
    rows = [[1, "-", "r", "t"], [2, " ", None, "u"]]
    blob = orjson.dumps(rows)
    assert NATIVE.entries(blob, 2, 2) is not None
    for count in (0, 1, 3):
        assert NATIVE.entries(blob, count, 2) is None
    for bad in (b"", b"[", b"[]x", blob[:-1], blob + b" ", b'[[1,"-","r","t\\"]]'):
        assert NATIVE.entries(bad, 1, 2) is None
    with pytest.raises(ValueError):
        NATIVE.entries(blob, -1, 2)
    with pytest.raises(TypeError):
        NATIVE.entries("text", 1, 2)


# ---- a document's review rows and counts (review.record_data, DocStats.of) ----


@needs_native
def test_c_review_rows_and_counts_are_the_python_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    assert NATIVE is not None
    monkeypatch.setattr(review, "MAX_LINE_CHARS", 40)  # so that some texts are cut
    rng = random.Random(11)
    cut = 0
    for size in [*range(0, 10), *(rng.randint(10, 60) for _ in range(800))]:
        cleaned = _document(rng, size)
        for line in rng.sample(cleaned.lines, min(2, size)):  # rules that removed blank lines
            if line.blank and rng.random() < 0.5:
                line.drop("blank.rule")
        rows = NATIVE.review_rows(cleaned.lines, review.MAX_LINE_CHARS)
        python = review.python_rows(cleaned)
        if rows is None:  # a text to cut: left to Python
            cut += 1
            assert any(str(row[-1]).endswith(" more characters") for row in python)
        else:
            assert rows == python
            assert [type(v) for row in rows for v in row] == [type(v) for row in python for v in row]
        counts = NATIVE.line_counts(cleaned.lines)
        expected = document.line_counts(cleaned.lines)
        assert counts == expected
        assert [list(d) for d in counts] == [list(d) for d in expected]  # the same key order
        fused = NATIVE.line_counts(cleaned.lines, review.MAX_LINE_CHARS)  # counts and rows in one walk
        assert fused == (*expected, rows)
        assert [list(d) for d in fused[:3]] == [list(d) for d in expected]
        # Rows of exact str and int are left out of the collector's lists (nothing in them can make a cycle).
        assert not any(gc.is_tracked(row) for row in [*(rows or ()), *(fused[3] or ())])
    assert cut > 100


@needs_native
def test_c_counts_of_equal_keys_that_are_other_objects_and_of_many_keys() -> None:
    """line_counts sums in C, a key found by its address, then by its text (at most 32 keys, all
    exact str), else by a dict of every key: equal keys count together, as in the Python twin's
    dicts, which keep the first key object; past 32 keys, and with a str subclass or a key that
    is not a str among them, the same."""
    assert NATIVE is not None
    rng = random.Random(17)
    for distinct in [1, 3, 31, 32, 33, 90]:
        for odd in [None, _Str, "tuple"]:
            names = [f"rule.{k}" for k in range(distinct)]
            lines = []
            for no in range(1, 400):
                line = Line(no, rng.choice(["text", "", "  ", "more text here"]))
                name = rng.choice(names)
                key: object = "".join(name)  # (an equal str, another object: most of the time)
                if rng.random() < 0.5:
                    key = name
                if odd is _Str and rng.random() < 0.05:
                    key = _Str(name)
                elif odd == "tuple" and rng.random() < 0.05:
                    key = (name,)  # (a key that is not a str: it counts under its own)
                if rng.random() < 0.6:
                    line.drop(key)  # type: ignore[arg-type]
                else:
                    line.changed_by = tuple("".join(label) for label in rng.sample(names, min(2, distinct)))
                lines.append(line)
            got, want = NATIVE.line_counts(lines), document.line_counts(lines)
            assert got == want
            for mine, theirs in zip(got, want, strict=True):
                assert [(k, type(k)) for k in mine] == [(k, type(k)) for k in theirs]  # order, first key's type
                assert all(a is b for a, b in zip(mine, theirs, strict=True))  # the first key object kept
                assert all(type(v) is int for v in mine.values())


@needs_native
def test_c_counts_refuse_a_key_that_cannot_be_hashed() -> None:
    assert NATIVE is not None
    lines = [Line(1, "one"), Line(2, "two")]
    lines[0].drop("rule")
    lines[1].drop([])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        NATIVE.line_counts(lines)


@needs_native
def test_c_layout_text_of_texts_of_every_kind_and_length() -> None:
    """layout's text written straight from its texts, each widened to the widest (16 one-byte
    characters at a time to two bytes, with SSE2): render's "\n".join, at every length and kind."""
    assert NATIVE is not None
    rng = random.Random(19)
    alphabets = ["abc ", "abcé", "ab’c", "a😀b", "a\x00\u0100"]
    kinds = 0
    for _ in range(400):
        lines = []
        for no in range(1, rng.randint(1, 12)):
            chars = rng.choice(alphabets)
            line = Line(no, "".join(rng.choice(chars) for _ in range(rng.randint(0, 70))))
            if rng.random() < 0.2:
                line.drop("rule")
            lines.append(line)
        mode = rng.choice(["paragraphs", "lines"])
        out, text = NATIVE.layout(lines, mode == "paragraphs")
        want = whitespace.layout(lines, mode)  # type: ignore[arg-type]
        assert out == want
        assert type(text) is str and text == whitespace.render(want)
        kinds += any(t.isascii() for _, t in out) and max(text, default="a") > "\xff"
    assert kinds > 100  # (ASCII texts widened, in many documents)


@needs_native
def test_c_rows_of_str_subclasses_stay_tracked() -> None:
    assert NATIVE is not None
    odd = Line(1, _Text("kept"))
    plain = Line(2, "plain")
    (row, plain_row) = NATIVE.review_rows([odd, plain], 100)
    assert row == (1, review.KEPT, None, "kept") and plain_row == (2, review.KEPT, None, "plain")
    assert gc.is_tracked(row) and not gc.is_tracked(plain_row)
    *_, fused = NATIVE.line_counts([odd, plain], 100)
    assert fused == [row, plain_row] and gc.is_tracked(fused[0]) and not gc.is_tracked(fused[1])


class _Text(str):
    """A str whose instances carry a __dict__: a row holding one could be part of a cycle."""


@needs_native
def test_record_data_and_stats_with_c_are_the_python_ones(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    records = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        cleaned = pipeline.clean(Document(path.stem, path.read_text(encoding="utf-8"), str(path)))
        records.append(orjson.dumps([review.record_data(cleaned), document.DocStats.of(cleaned).record()]))
    monkeypatch.setattr(review, "_NATIVE", None)
    monkeypatch.setattr(document, "_NATIVE", None)
    python = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        cleaned = pipeline.clean(Document(path.stem, path.read_text(encoding="utf-8"), str(path)))
        python.append(orjson.dumps([review.record_data(cleaned), document.DocStats.of(cleaned).record()]))
    assert records == python


@needs_native
def test_outcome_makes_the_review_rows_with_the_stats(pipeline: Pipeline) -> None:
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        doc = Document(path.stem, path.read_text(encoding="utf-8"), str(path))
        cleaned = pipeline.clean(doc)
        got = outcome.outcome(cleaned, pipeline)
        assert got.review is not None  # every seed is changed
        assert got.review["lines"] is cleaned.rows  # made in the stats' walk, not again
        assert cleaned.rows == review.python_rows(cleaned)
        without = pipeline.clean(doc)
        assert outcome.outcome(without, pipeline, with_html=False).review is None
        assert without.rows is None  # no page: no rows made


@needs_native
def test_c_rows_and_counts_refuse_bad_lines() -> None:
    assert NATIVE is not None
    odd = Line(1, "one")
    odd.orig = b"one"  # type: ignore[assignment]
    odd.drop("rule")
    with pytest.raises(TypeError):
        NATIVE.review_rows([odd], 100)
    with pytest.raises(TypeError):
        NATIVE.line_counts([odd])
    with pytest.raises(TypeError):
        NATIVE.review_rows((Line(1, "one"),), 100)
    with pytest.raises(AttributeError):
        NATIVE.line_counts([object()])


@needs_native
def test_c_rows_and_counts_read_lists_emptied_mid_call() -> None:
    assert NATIVE is not None
    lines: list[Line] = [Line(1, "keep me"), Line(2, "drop me"), _Emptying(3, "changed")]
    lines[1].drop("chrome.widget")
    lines[2].change("Changed", "replace.x")
    cleaned = Cleaned(Document("d", "", "d"), list(lines), "", None, None, {}, True)
    rows, counts = review.python_rows(cleaned), document.line_counts(lines)
    labels = lines[2].changed_by = list(lines[2].changed_by)  # type: ignore[assignment]  # (a list: one to empty)
    lines[2].victims = [lines]  # type: ignore[attr-defined]
    assert NATIVE.review_rows(lines, 100) == rows
    lines[:] = cleaned.lines
    assert NATIVE.line_counts(lines) == counts
    lines[:] = cleaned.lines
    lines[2].victims = [lines, labels]  # type: ignore[attr-defined]
    assert NATIVE.line_counts(lines) == (counts[0], counts[1], {})  # its labels emptied before they are read

    def emptied() -> list[Line]:  # emptied while its second line is read, and only it holds that line
        lines = [Line(1, "kept"), _Emptying(2, "gone"), Line(3, "not met")]
        lines[1].drop("chrome.widget")
        lines[1].victims = [lines]  # type: ignore[attr-defined]
        return lines

    # Read as the twins' for loops read it: the line after the one that empties it is not met.
    want_rows = review.python_rows(Cleaned(Document("d", "", "d"), emptied(), "", None, None, {}, True))
    assert [row[0] for row in want_rows] == [1, 2]
    assert NATIVE.review_rows(emptied(), 100) == want_rows
    assert NATIVE.line_counts(emptied(), 100) == (*document.line_counts(emptied()), want_rows)


@needs_native
def test_c_sort_key_is_blake2b() -> None:
    """pagedata.sort_key's hash in C (RFC 7693), on every length around the 128-byte blocks."""
    assert NATIVE is not None
    rng = random.Random(5)
    for size in [*range(0, 300), 1000, 4096, 5000]:
        data = bytes(rng.randrange(256) for _ in range(size))
        assert NATIVE.sort_key(data) == int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")
    assert NATIVE.sort_key(b"d-1\0007") == pagedata.sort_key("d-1", 7)


@needs_native
@pytest.mark.parametrize("wide", [True, False], ids=["four-wide", "one-by-one"])
def test_c_sort_keys_of_a_document_are_blake2b(wide: bool) -> None:
    """page_add's keys of a document's acted rows made together (four at a time with AVX2, a lane
    each, where the prefix leaves room in one block; a lone key left over one by one): each is
    hashlib's, whatever the count (a last group of 1 to 4), the prefix's length (on both sides
    of the one block) and the number (negative, 19 digits, the next lane's longer or shorter)."""
    assert NATIVE is not None
    rng = random.Random(6)
    numbers = [0, 1, -1, 9, 10, 123456, 2**63 - 1, -(2**63)]
    for size in [*range(0, 24), 60, 100, 103, 104, 105, 108, 127, 128, 129, 300]:
        prefix = bytes(rng.randrange(256) for _ in range(size))
        for count in range(0, 12):
            nos = [rng.choice([*numbers, rng.randrange(-(10**12), 10**12)]) for _ in range(count)]
            want = [int.from_bytes(hashlib.blake2b(prefix + b"%d" % no, digest_size=8).digest(), "big") for no in nos]
            assert NATIVE.sort_keys(prefix, nos, wide) == want
    assert NATIVE.sort_keys(b"d-1\0", [7, 8], wide) == [pagedata.sort_key("d-1", 7), pagedata.sort_key("d-1", 8)]
    with pytest.raises(OverflowError):
        NATIVE.sort_keys(b"d", [2**63], wide)


@needs_native
def test_c_entries_with_a_context_past_every_row() -> None:
    """A context near sys.maxsize takes every row (i + context + 1 overflowed: no row was near)."""
    assert NATIVE is not None
    rows = [[1, " ", None, "a"], [2, "-", "r", "t"], [3, " ", None, "b"]]
    blob = orjson.dumps(rows)
    assert NATIVE.entries(blob, 3, sys.maxsize) == NATIVE.entries(blob, 3, 3)


@needs_native
def test_c_offers_of_a_line_number_past_a_long_long() -> None:
    """offers() keys a row by b"%d" % its line number, any int (it read it as a long long and raised past 2**63)."""
    assert NATIVE is not None
    no = 2**70 + 1
    got = NATIVE.offers([[no, "-", "r", "t"]], [0], [b"rest"], b"d-1\0", 1, {"r": 0}, [[]], 5)
    assert got == (b"E0\trest\n", [(0, 0, -pagedata.sort_key("d-1", no))])


@needs_native
def test_c_offers_to_a_full_heap_compare_as_python_tuples() -> None:
    """A full heap takes a row when (key, -document, -line) > its top's first three, Python's tuple
    order: _diff.c settles it on the keys as C integers where it can (a top key past a long
    long's range either way, a key below LLONG_MIN, a tie going on to the document and line)."""
    assert NATIVE is not None
    rows = [[no, "-", "r", "t"] for no in range(1, 41)]
    keys = [-pagedata.sort_key("d", no) for no in range(1, 41)]
    assert min(keys) < -(2**63) < max(keys)  # rows on either side of a long long's range
    tops = [2**70, -(2**70), 2**63, -(2**63), 0, -1, *keys[:3], *(key + 1 for key in keys[:3])]
    for top in tops:
        for n_top in (-8, -7, -6):
            for no_top in (-2, -1, 0):
                samples = [[(top, n_top, no_top, [])]]
                got = NATIVE.offers(rows, list(range(40)), [b"x"] * 40, b"d\0", 7, {"r": 0}, samples, 1)
                assert got is not None
                taken = [i for _, i, _ in got[1]]
                expected = [i for i, key in enumerate(keys) if (key, -7, -(i + 1)) > (top, n_top, no_top)]
                assert taken == expected, (top, n_top, no_top)
                assert [key for _, _, key in got[1]] == [keys[i] for i in expected]


# ---- a document's lines and their layout (pipeline.split_lines, State.alive, whitespace.laid_out) ----

SPLIT_ALPHABET = ["a", "é", "😀", " ", "\t", "\n", "\r", "\r\n", "\x85", "\u2028", "\x1f", "\u00a0", "\x0b", "\x00"]


def _fields(lines: list[Line]) -> list[tuple[object, ...]]:
    return [
        (
            type(line),
            line.no,
            line.orig,
            line.text,
            line.dropped_by,
            line.changed_by,
            line.blank,
            line.text is line.orig,
        )
        for line in lines
    ]


def _split_both(text: str) -> None:
    assert NATIVE is not None
    want, trailing = clean.python_split_lines(text)
    got, got_trailing = NATIVE.split_lines(text, Line)
    assert (_fields(got), got_trailing) == (_fields(want), trailing), repr(text)
    for line in got:
        assert type(line.orig) is str and type(line.no) is int
    # (every line starts with the one empty changed_by: a change on one line never shows on another)
    for line in got:
        line.change(line.text + "!", "mark")
        assert [other.changed_by for other in got] == [("mark",) if other is line else () for other in got]
        line.changed_by = ()


@needs_native
def test_c_split_lines_is_the_python_one() -> None:
    for text in ["", "\n", "\r", "\r\n", "\n\n", "a", "a\n", "a\r", "a\r\n", "a\r\rb", "a\n\rb\r\n\r\n", " \n\x85"]:
        _split_both(text)
    rng = random.Random(13)
    for size in [*range(12), 40, 300]:
        for _ in range(60):
            _split_both("".join(rng.choice(SPLIT_ALPHABET) for _ in range(size)))
    _split_both(("word " * 9 + "\n") * 20_000 + "\r" + "x" * 100_000)


@needs_native
def test_c_split_lines_of_two_byte_texts_at_every_length() -> None:
    """A two-byte text's lines are cut, and made at their narrowest kind, 8 characters at a time
    (with SSE2): ASCII, Latin-1 and two-byte lines, each length, the break at every place."""
    rng = random.Random(23)
    alphabets = ["ab", "a\x00\x7f", "aé", "a\xff", "a’", "\u0100", "a\uffff\x80", "a\u2028"]
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(0, 6)):
            chars = rng.choice(alphabets)
            parts.append(
                "".join(
                    rng.choice(chars) for _ in range(rng.choice([0, 1, 2, 7, 8, 9, 15, 16, 17, rng.randint(0, 60)]))
                )
            )
        text = "\n".join(parts) + rng.choice(["", "\n", "\n\n", "’"])
        _split_both(text)
        if max(text, default="a") > "\xff":
            got, _ = NATIVE.split_lines(text, Line)  # type: ignore[union-attr]
            assert all(line.orig.isascii() == all(c < "\x80" for c in line.orig) for line in got)
    whole = "’" + "x" * 1000
    _split_both(whole)
    assert NATIVE.split_lines(whole, Line)[0][0].orig is whole  # type: ignore[union-attr]  # (as Python's split)


class _Str(str):
    pass


class _Plain(Line):
    """A subclass: its own slots, an attribute kept in a property, one set through __setattr__."""

    __slots__ = ("_blank", "seen")

    @property  # type: ignore[override]
    def blank(self) -> bool:
        return self._blank

    @blank.setter
    def blank(self, value: bool) -> None:
        self._blank = value


class _Watched(Line):
    __slots__ = ("sets",)

    def __setattr__(self, name: str, value: object) -> None:
        try:
            object.__getattribute__(self, "sets").append(name)
        except AttributeError:
            object.__setattr__(self, "sets", [name])
        object.__setattr__(self, name, value)


@needs_native
def test_c_split_lines_of_str_subclasses_and_line_subclasses() -> None:
    assert NATIVE is not None
    got, trailing = NATIVE.split_lines(_Str("one\r\n \ntwo\n"), Line)
    assert trailing and [(type(line.orig), line.orig, line.blank) for line in got] == [
        (str, "one", False),
        (str, " ", True),
        (str, "two", False),
    ]
    plain, _ = NATIVE.split_lines("x\n  \ny", _Plain)
    assert [(type(line), line.text, line.blank, line._blank) for line in plain] == [
        (_Plain, "x", False, False),
        (_Plain, "  ", True, True),
        (_Plain, "y", False, False),
    ]
    watched, _ = NATIVE.split_lines("x\ny", _Watched)
    assert [sorted(line.sets) for line in watched] == [sorted(Line.__slots__)] * 2  # type: ignore[attr-defined]
    assert _fields(watched) == _fields([_Watched(1, "x"), _Watched(2, "y")])


@needs_native
def test_c_split_lines_refuses_bad_arguments() -> None:
    assert NATIVE is not None
    with pytest.raises(TypeError):
        NATIVE.split_lines(b"one", Line)
    with pytest.raises(TypeError):
        NATIVE.split_lines("one", Line(1, "x"))
    with pytest.raises(TypeError):  # a class that cannot be made
        NATIVE.split_lines("one", type(iter([])))
    with pytest.raises(AttributeError):  # a class without those attributes
        NATIVE.split_lines("one", int)


def _fated(rng: random.Random, size: int) -> list[Line]:
    lines = []
    for no in range(1, size + 1):
        line = Line(no, rng.choice(TEXTS))
        if rng.random() < 0.3:
            line.drop(rng.choice(RULES))
        lines.append(line)
    return lines


@needs_native
@pytest.mark.parametrize("mode", ["paragraphs", "lines"])
def test_c_layout_and_alive_are_the_python_ones(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert NATIVE is not None
    rng = random.Random(15)
    for size in [*range(8), 30, 200]:
        for _ in range(40):
            lines = _fated(rng, size)
            out, text = whitespace.laid_out(lines, mode)  # type: ignore[arg-type]
            want = whitespace.layout(lines, mode)  # type: ignore[arg-type]
            assert out == want and [src for src, _ in out] == [src for src, _ in want]
            assert [type(t) for _, t in out] == [str] * len(out)
            assert text == whitespace.render(want)
            state = State(Document("d", "", "d"), lines, None, {}, True, 0.0)
            with monkeypatch.context() as patched:
                patched.setattr(base, "_NATIVE", None)
                python_alive = state.alive()
            assert state.alive() == python_alive == sum(line.alive for line in lines)


@needs_native
def test_c_layout_and_alive_refuse_bad_lines_and_read_lists_emptied_mid_call() -> None:
    assert NATIVE is not None
    odd = Line(1, "one")
    odd.text = b"one"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        NATIVE.layout([odd], True)
    with pytest.raises(TypeError):
        NATIVE.layout((Line(1, "one"),), True)
    with pytest.raises(TypeError):
        NATIVE.alive((Line(1, "one"),))
    with pytest.raises(AttributeError):
        NATIVE.alive([object()])

    def emptied() -> list[Line]:  # a list emptied while its third line is read
        lines: list[Line] = [Line(1, "keep"), Line(2, ""), _Emptying(3, "gone"), Line(4, "also kept")]
        lines[2].drop("rule")
        lines[2].victims = [lines]  # type: ignore[attr-defined]
        return lines

    def numbered(out: list[tuple[Line | None, str]]) -> list[tuple[int | None, str]]:
        return [(None if src is None else src.no, text) for src, text in out]

    # Read as the twin's for loop reads it: the lines after the one that empties it are not met
    # (and the lines read are held while read: no line is freed under the C).
    want = whitespace.layout(emptied())
    assert numbered(want) == [(1, "keep")]
    out, text = NATIVE.layout(emptied(), True)
    assert numbered(out) == numbered(want) and text == whitespace.render(want)
    lines: list[Line] = [Line(1, "a"), _Emptying(2, "b"), Line(3, "c")]
    lines[1].victims = [lines]  # type: ignore[attr-defined]
    assert NATIVE.alive(lines) == 2  # the two it read: the list is emptied while the second is read


def test_the_pipeline_with_c_lines_and_layout_is_the_python_one(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    texts += ["a\r\nb\rc\n\n\n  \n", "", "\n", "only\n"]
    docs = [Document(f"d{i}", text, "d.txt") for i, text in enumerate(texts)]
    with_c = [
        (c.text, c.layout, [(x.no, x.text, x.dropped_by, x.changed_by) for x in c.lines])
        for c in map(pipeline.clean, docs)
    ]
    monkeypatch.setattr(clean, "_NATIVE", None)
    monkeypatch.setattr(whitespace, "_NATIVE", None)
    monkeypatch.setattr(base, "_NATIVE", None)
    without = [
        (c.text, c.layout, [(x.no, x.text, x.dropped_by, x.changed_by) for x in c.lines])
        for c in map(pipeline.clean, docs)
    ]
    assert [(t, [(s is None, x) for s, x in lay], rest) for t, lay, rest in with_c] == [
        (t, [(s is None, x) for s, x in lay], rest) for t, lay, rest in without
    ]


@needs_native
def test_c_reads_of_subclass_lines_and_empty_slots() -> None:
    assert NATIVE is not None
    lines, _ = NATIVE.split_lines("keep\n\n  \ngone\nchanged\n", _Plain)
    lines[3].drop("rule.x")
    lines[4].change("Changed", "replace.x")
    mixed: list[Line] = [*lines, Line(6, "plain"), _Plain(7, "  ")]
    assert NATIVE.layout(mixed, False) == (whitespace.layout(mixed, "lines"), "keep\n\nChanged\nplain\n")
    cleaned = Cleaned(Document("d", "", "d"), mixed, "", None, None, {}, True)
    assert NATIVE.review_rows(mixed, 100) == review.python_rows(cleaned)
    assert NATIVE.line_counts(mixed) == document.line_counts(mixed)
    assert NATIVE.alive(mixed) == 6
    del mixed[5].dropped_by
    with pytest.raises(AttributeError):
        NATIVE.alive(mixed)


@needs_native
@pytest.mark.parametrize("context", [0, 1, 2, 5, sys.maxsize])
def test_c_offers_carry_the_entries_sample_makes(context: int) -> None:
    """With a context, each candidate carries ShardPage._sample's entry: the row's text, its
    context rows cut to 4 items (none for a changed row), the changed text; one list per candidate."""
    assert NATIVE is not None
    rng = random.Random(context % 97)
    labels = ["rule.a", 'q"uote', "b\\s", "<x>", "ftfy:encoding", "a", "b", 'c"', "<d>"]
    for size in [1, 2, 3, 7, 30]:
        rows = _rows(rng, size)
        acted = [i for i, row in enumerate(rows) if row[1] != " "]
        if not acted:
            continue
        rests = [b"rest%d" % i for i in acted]
        args = (rows, acted, rests, b"doc\0", 7, {label: k for k, label in enumerate(labels)}, [[]] * len(labels), 50)
        plain = NATIVE.offers(*args)
        got = NATIVE.offers(*args, context)
        assert got is not None and plain is not None and got[0] == plain[0]
        assert [candidate[:3] for candidate in got[1]] == plain[1]
        entries = [candidate[3] for candidate in got[1]]
        assert len({id(entry) for entry in entries}) == len(entries)
        for _, i, _, entry in got[1]:
            row = rows[i]
            text, changed = (row[3], None) if row[1] == "-" else (edited(row[4], row[3]), row[3])
            lo, hi = (max(i - context, 0), min(i + context + 1, len(rows))) if row[1] == "-" else (i, i + 1)
            assert entry == [7, row[0], text, [r[:4] for r in rows[lo:i]], [r[:4] for r in rows[i + 1 : hi]], changed]


@needs_native
def test_c_offers_entries_of_rows_that_are_not_lists() -> None:
    assert NATIVE is not None
    rows: list[object] = [(1, " ", None, "a", "extra"), [2, "-", "r", "t"], (3, " ", None, "b")]
    got = NATIVE.offers(rows, [1], [b"x"], b"d\0", 0, {"r": 0}, [[]], 5, 2)
    assert got is not None and got[1][0][3] == [0, 2, "t", [(1, " ", None, "a")], [(3, " ", None, "b")], None]
    with pytest.raises(TypeError):  # a changed row without its original text
        NATIVE.offers([[2, "~", "r", "t"]], [0], [b"x"], b"d\0", 0, {"r": 0}, [[]], 5, 2)


@needs_native
def test_c_lines_out_is_the_python_count() -> None:
    assert NATIVE is not None
    rng = random.Random(3)
    alphabets = [["\n", "a"], ["\n", "é", " "], ["\n", "ā", "x"], ["\n", "😀", "b"]]
    for size in [*range(10), 50, 1000]:
        for _ in range(100):
            text = "".join(rng.choice(rng.choice(alphabets)) for _ in range(size))
            assert NATIVE.lines_out(text) == document.lines_out(text), repr(text)
    # Runs of breaks at every place in and across the C's 8-byte blocks, and texts without a break.
    for wide in ["ā", "😀"]:
        for before in range(10):
            for run in range(6):
                for after in range(10):
                    text = wide * before + "\n" * run + "b" * after + "\n" * (after % 3)
                    assert NATIVE.lines_out(text) == text.count("\n") - text.count("\n\n"), repr(text)
    for text in ["", "\n", "\n\n", "\n\n\n", "a\n\n\nb\n", "\n" * 10_001 + "ā", _Str("a\n\nb\n")]:
        assert NATIVE.lines_out(text) == document.lines_out(text) == text.count("\n") - text.count("\n\n")
    with pytest.raises(TypeError):
        NATIVE.lines_out(b"a\n")


@needs_native
def test_c_offers_and_hunks_numbers_of_every_size() -> None:
    """The E lines' numbers and the sort keys' line numbers, and the hunks' spans, written by hand (not snprintf)."""
    assert NATIVE is not None
    for no in [0, 1, 9, 10, 99, 12345, 2**63 - 1, -(2**63), -5, 2**63, -(2**63) - 1]:
        got = NATIVE.offers([[no, "-", "r", "t"]], [0], [b"rest"], b"d\0", 1, {"r": 0}, [[]], 5)
        assert got == (b"E0\trest\n", [(0, 0, -pagedata.sort_key("d", no))])
    index = {f"r{k}": k for k in range(12)}
    got = NATIVE.offers([[1, "-", "r11", "t"]], [0], [b"x"], b"d\0", 1, index, [[] for _ in range(12)], 5)
    assert got is not None and got[0] == b"E11\tx\n"
    lines = [Line(no, f"line {no}") for no in range(1, 1203)]
    for no in (1, 9, 10, 99, 100, 1000, 1202):
        lines[no - 1].drop("rule.x")
    cleaned = Cleaned(Document("d", "", "d"), lines, "", None, None, {}, False)
    for mode in ("paragraphs", "lines"):
        assert _c(cleaned, mode) == _python(cleaned, mode)


# ---- the record's text as JSON (Cleaned.record_line) ----

# Every byte orjson escapes, and characters of each width (so the text and a line differ in width).
JSON_CHARS = ["a", "b ", '"', "\\", "\t", "\x00", "\x08", "\x0c", "\r", "\x1f", "\x7f", "é", "ā", "“", "😀", "</"]


@needs_native
def test_c_text_json_is_orjsons() -> None:
    assert NATIVE is not None
    rng = random.Random(17)
    for count in [*range(6), *(rng.randint(6, 40) for _ in range(300))]:
        alphabet = rng.sample(JSON_CHARS, rng.randint(1, len(JSON_CHARS)))
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 7, 8, 9, 30]))) for _ in range(count)]
        out = [(None, text) for text in texts]
        rendered = whitespace.render(out)  # type: ignore[arg-type]
        assert NATIVE.text_json(out, rendered) == orjson.dumps(rendered), repr(texts)


@needs_native
def test_c_text_json_of_another_text_or_no_utf8_is_none() -> None:
    assert NATIVE is not None
    out = [(None, "Alpha “one”"), (None, ""), (None, "beta 😀")]
    rendered = "Alpha “one”\n\nbeta 😀\n"
    assert NATIVE.text_json(out, rendered) == orjson.dumps(rendered)
    for other in [
        "",
        rendered[:-1],
        rendered + "\n",
        rendered.replace("one", "onE"),
        rendered.replace("😀", "😁"),
        rendered.replace("\n\n", "\nx"),
        "Alpha one\n\nbeta x\n",
        "Alpha “one”\n\nbeta 😀 \n",
    ]:
        assert NATIVE.text_json(out, other) is None, repr(other)
    # A Latin-1 line in a wider text (read 8 characters at a time, then 4, then 1): a character
    # differing anywhere, by its low byte or only by its high one ("š" is U+0161, "a" 0x61), is seen.
    line = "abcdefghijklmnopqrstuvwxyz0123456789A"  # 37: four blocks of 8, one of 4, one more
    for wide in ["“", "😀"]:
        out = [(None, line), (None, wide)]
        rendered = f"{line}\n{wide}\n"
        assert NATIVE.text_json(out, rendered) == orjson.dumps(rendered)
        for i in range(len(line)):
            for other in ["X", "š"]:
                assert NATIVE.text_json(out, rendered[:i] + other + rendered[i + 1 :]) is None, (i, other)
    assert NATIVE.text_json([(None, "a\ud800")], "a\ud800\n") is None  # a lone surrogate: orjson's to refuse
    assert NATIVE.text_json([], "") == b'""'
    with pytest.raises(TypeError):
        NATIVE.text_json([("a", b"x")], "x\n")


@needs_native
def test_record_lines_with_c_text_are_orjsons(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds' records, and one whose text is not its layout's (set by hand): the same lines."""
    paths = sorted((ROOT / "seeds").glob("*.txt"))
    docs = [Document(p.stem, p.read_text(encoding="utf-8") + '\n"quoted" \\ “curly”\x01\n', str(p)) for p in paths]
    cleaned = [pipeline.clean(doc) for doc in docs]
    cleaned[0].text = cleaned[0].text.upper()
    lines = [c.record_line() for c in cleaned]
    assert all(c.layout is not None for c in cleaned)
    monkeypatch.setattr(document, "_NATIVE", None)
    assert lines == [c.record_line() for c in cleaned]
    assert lines[0] == orjson.dumps(cleaned[0].record(), option=orjson.OPT_APPEND_NEWLINE)


@needs_native
def test_c_text_json_counts_lines_out() -> None:
    """With count, text_json also gives lines_out(text) (runs of empty texts included), or -1
    when it cannot know it: a text holding a "\\n" (a run could then span it), or not the layout's text."""
    assert NATIVE is not None
    rng = random.Random(29)
    alphabet = ["", "", "", "a", " ", "“x”", "\t", "😀", "a\nb", "\n"]
    for size in [*range(8), *(rng.randint(8, 30) for _ in range(2000))]:
        texts = [rng.choice(alphabet) for _ in range(size)]
        out = [(None, text) for text in texts]
        rendered = whitespace.render(out)  # type: ignore[arg-type]
        got, count = NATIVE.text_json(out, rendered, True)
        assert got == orjson.dumps(rendered), repr(texts)
        expected = -1 if any("\n" in text for text in texts) else document.lines_out(rendered)
        assert count == expected, repr(texts)
    for texts, expected in [([], 0), ([""], 1), (["", ""], 1), (["a", "", "", "b"], 3), (["a", "", "", ""], 2)]:
        out = [(None, text) for text in texts]
        assert NATIVE.text_json(out, whitespace.render(out), True)[1] == expected, texts  # type: ignore[arg-type]
    assert NATIVE.text_json([(None, "a")], "b\n", True) == (None, -1)


@needs_native
def test_c_rows_reuse_the_escapes_text_json_kept() -> None:
    """text_json keeps each layout text's escape (and holds the text) until page_add or the next
    text_json; the rows' JSON copies a row's text from there when the row holds that very str: the
    same bytes as orjson's, for texts of every escape and width, rows met in order, out of order,
    past the entries looked at, dropped rows between (another str), and equal texts that are other
    objects. What is held is let go: by page_add, by a text_json whose text is not the layout's."""
    assert NATIVE is not None
    rng = random.Random(31)
    for count in [*range(1, 6), *(rng.randint(6, 40) for _ in range(300))]:
        texts = ["".join(rng.choice(JSON_CHARS) for _ in range(rng.randint(0, 30))) for _ in range(count)]
        out = [(None, text) for text in texts]
        rendered = whitespace.render(out)  # type: ignore[arg-type]
        before = [sys.getrefcount(text) for text in texts]
        assert NATIVE.text_json(out, rendered) == orjson.dumps(rendered), repr(texts)
        held = [after - b for after, b in zip([sys.getrefcount(text) for text in texts], before, strict=True)]
        assert held == [sum(other is text for other in texts) for text in texts]  # once per entry
        places = sorted(rng.sample(range(count), rng.randint(0, count)))
        if rng.random() < 0.3:
            rng.shuffle(places)
        rows: list[Any] = []
        for i in places:
            if rng.random() < 0.2:  # a dropped line between: a text not among the layout's
                rows.append((i, "-", "rule.x", texts[rng.randrange(count)] + "!"))
            text = texts[i] if rng.random() < 0.9 else "".join(list(texts[i]))  # (an equal str, another object)
            rows.append((i, " ", None, text) if rng.random() < 0.7 else (i, "~", "a+b", text, texts[i][::-1]))
        assert NATIVE.rows_json(rows) == orjson.dumps(rows), repr(rows)
        holding = [sys.getrefcount(text) for text in texts]
        got = NATIVE.page_add(b"D", rows, b"{", False, b"d\0", 0, {}, [], 3, 2)  # (no samples to hold a row)
        assert got is not None and got[0].startswith(b"D" + orjson.dumps(rows).replace(b"<", b"\\u003c") + b"}\n")
        let_go = [h - after for h, after in zip(holding, [sys.getrefcount(text) for text in texts], strict=True)]
        assert let_go == held  # page_add let them go
    texts = ["one “x”", "two"]
    out = [(None, text) for text in texts]
    before = [sys.getrefcount(text) for text in texts]
    assert NATIVE.text_json(out, "one “x”\ntwo\n") is not None
    assert NATIVE.text_json(out, "one “x”\ntwo!\n") is None  # not the layout's text: nothing kept
    assert [sys.getrefcount(text) for text in texts] == before


@needs_native
def test_stats_counted_by_the_record_line_are_the_python_ones(pipeline: Pipeline) -> None:
    """record_line, asked first (as pipeline.outcome does), counts the stats' lines_out in its walk:
    the same stats as counted on their own, by the Python twins."""
    paths = sorted((ROOT / "seeds").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in paths] + ["a\n\n\n\nb\n\n", "\n\n“x”\n\n\n", "one\n \ntwo"]
    for k, text in enumerate(texts):
        cleaned = pipeline.clean(Document(str(k), text, "t"))
        assert cleaned.layout is not None and cleaned._stats is None
        cleaned.record_line()
        assert cleaned._stats is not None
        lines_out = cleaned._stats.lines_out
        assert lines_out == document.lines_out(cleaned.text), repr(cleaned.text)
        cleaned._stats = None
        assert cleaned.stats().lines_out == lines_out


@needs_native
@pytest.mark.parametrize("context", [0, 2, sys.maxsize])
def test_c_page_entries_are_entries_then_offers(context: int) -> None:
    """page_entries, one walk, gives what entries then offers (with the context) give: the same E
    lines, near and candidates with their entries, on random rows (lists and tuples), half-full
    and full heaps; None where either gives None (a label not numbered, JSON not of the rows)."""
    assert NATIVE is not None
    rng = random.Random(41 + context % 7)
    labels = ["rule.a", 'q"uote', "b\\s", "<x>", "ftfy:encoding", "a", "b", 'c"', "<d>"]
    index = {label: k for k, label in enumerate(labels)}
    for size in [*range(0, 6), *(rng.randint(6, 40) for _ in range(300))]:
        rows: list[object] = [tuple(row) if rng.random() < 0.5 else row for row in _rows(rng, size)]
        blob = orjson.dumps(rows)
        key = rng.choice([1, 2**63, 2**64])  # the heaps' smallest: none beaten, some, all
        samples = [[(-key, -3, -1, [])] * rng.choice([1, 3]) for _ in labels]
        split = NATIVE.entries(blob, len(rows), context)
        assert split is not None
        offered = NATIVE.offers(rows, split[0], split[1], b"doc\0", 7, index, samples, 3, context)
        assert offered is not None
        got = NATIVE.page_entries(blob, rows, b"doc\0", 7, index, samples, 3, context)
        assert got == (offered[0], split[2], offered[1]), rows
        some = [row for row in rows if row[1] != " "]  # type: ignore[index]
        if some:
            assert NATIVE.page_entries(blob, rows, b"doc\0", 7, {}, samples, 3, context) is None
            assert NATIVE.page_entries(blob[:-1], rows, b"doc\0", 7, index, samples, 3, context) is None
            assert NATIVE.page_entries(blob, rows[:-1], b"doc\0", 7, index, samples, 3, context) is None
    with pytest.raises(ValueError):
        NATIVE.page_entries(b"[]", [], b"d\0", 0, {}, [], 3, -1)
    with pytest.raises(ValueError):
        NATIVE.page_entries(b"[]", [], b"d\0", 0, {}, [], 0, 2)
    with pytest.raises(TypeError):
        NATIVE.page_entries("[]", [], b"d\0", 0, {}, [], 3, 2)


def _page_pieces(
    rows: list[Any], acted: bool, index: dict[str, int], samples: list[Any], context: int
) -> tuple[bytes, bytes, Any] | None:
    """What page_add stands for: rows_json and page_entries' pieces, joined as ShardPage.add writes them."""
    assert NATIVE is not None
    lines = NATIVE.rows_json(rows)
    if lines is None:
        return None
    e_lines, near, candidates = b"", b"", None
    if acted:
        got = NATIVE.page_entries(lines, rows, b"doc\0", 7, index, samples, 3, context)
        if got is None:
            return None
        e_lines, near, candidates = got
        lines = NATIVE.rows_json([row[:4] for row in rows])  # the D line's changed rows without their original text
    return b"R<x>\nL0\tD" + lines.replace(b"<", b"\\u003c") + b"}\n" + e_lines, b"{<t>" + near + b"]}\n", candidates


@needs_native
@pytest.mark.parametrize("context", [0, 2, sys.maxsize])
def test_c_page_add_is_rows_json_and_page_entries_joined(context: int) -> None:
    """page_add writes the rows' JSON where the D line holds it and the E lines after it, in one
    buffer: the bytes and candidates of rows_json and page_entries, on random rows with "<" (the D
    line escaped, the walk reading the JSON as it was) and without (the walk reading the D line's
    JSON, in a buffer not let grow: its E lines' room made from a bound, here stressed by rows of
    many labels and a context past every row); None where they give None."""
    assert NATIVE is not None
    rng = random.Random(43 + context % 7)
    for size in [*range(0, 6), *(rng.randint(6, 40) for _ in range(300))]:
        rows: list[Any] = [tuple(row) for row in _rows(rng, size)]
        if rng.random() < 0.5:  # no "<" anywhere: the D line's JSON is the walk's
            rows = [tuple(x.replace("<", "(") if isinstance(x, str) else x for x in row) for row in rows]
        if rng.random() < 0.2:  # a changed row of many labels (a bound counted per label)
            rows = [(*row[:2], "+".join(rng.choices("ab", k=30)), *row[3:]) if row[1] == "~" else row for row in rows]
        labels = {
            label for row in rows if row[1] != " " for label in (row[2].split("+") if row[1] == "~" else [row[2]])
        }
        index = {label: k for k, label in enumerate(sorted(labels))}
        key = rng.choice([1, 2**63, 2**64])  # the heaps' smallest: none beaten, some, all
        samples = [[(-key, -3, -1, [])] * rng.choice([1, 3]) for _ in index]
        acted = bool(labels)
        got = NATIVE.page_add(b"R<x>\nL0\tD", rows, b"{<t>", acted, b"doc\0", 7, index, samples, 3, context)
        assert got == _page_pieces(rows, acted, index, samples, context), rows
        if acted:
            assert NATIVE.page_add(b"", rows, b"", True, b"doc\0", 7, {}, samples, 3, context) is None
            lists = [list(row) for row in rows]
            assert NATIVE.page_add(b"", lists, b"", True, b"doc\0", 7, index, samples, 3, context) is None
    for odd in [(1 << 64, "-", "a", "x"), (1, "-", "a", "\ud800"), (1, " ", 3, "x")]:  # left to orjson
        assert NATIVE.page_add(b"", [odd], b"", False, b"d\0", 0, {"a": 0}, [[]], 3, 2) is None
    for odd in [
        (1, "x", "a", "t"),
        (1, "~", "a", "t"),
        (1, "-", "a", "t", "u"),
        (1, "--", "a", "t"),
        (1, "\x01", "a", "t"),
    ]:
        # fates and items split_rows refuses (the spans page_add notes as it writes): None, as page_entries
        assert NATIVE.page_entries(orjson.dumps([odd]), [odd], b"d\0", 0, {"a": 0}, [[]], 3, 2) is None
        assert NATIVE.page_add(b"", [odd], b"", True, b"d\0", 0, {"a": 0}, [[]], 3, 2) is None
        assert NATIVE.page_add(b"", [odd], b"", False, b"d\0", 0, {"a": 0}, [[]], 3, 2) is not None
    with pytest.raises(ValueError):
        NATIVE.page_add(b"", [], b"", True, b"d\0", 0, {}, [], 3, -1)
    with pytest.raises(ValueError):
        NATIVE.page_add(b"", [], b"", True, b"d\0", 0, {}, [], 0, 2)


@needs_native
@pytest.mark.parametrize("context", [0, 2])
def test_c_page_add_offers_its_candidates_as_offer_all_does(context: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With offer set, page_add offers its candidates to the sample heaps itself, after its walk,
    as ShardPage._offer_all offers the ones it hands back: each checked again against its heap as
    the candidates before it left it (a full heap's least rises as they go in), ties of key and
    document settled by the line, then pushed or put in place of the least by heapq. The same
    bytes, no candidate handed back, the same heaps; nothing offered when it gives None."""
    assert NATIVE is not None
    rng = random.Random(17 + context)
    for size in [rng.randint(1, 30) for _ in range(300)]:
        rows: list[Any] = [tuple(row) for row in _rows(rng, size)]
        labels = sorted(
            {label for row in rows if row[1] != " " for label in (row[2].split("+") if row[1] == "~" else [row[2]])}
        )
        index = {label: k for k, label in enumerate(labels)}
        sample = rng.choice([1, 2, 3, 5])
        monkeypatch.setattr(pagedata, "SAMPLE", sample)
        keys = [-pagedata.sort_key("doc", row[0]) for row in rows]  # the rows' own: ties of key
        heaps = []
        for _ in labels:
            heap = [
                (rng.choice([rng.choice(keys), -rng.getrandbits(64)]), -rng.choice([6, 7, 8]), -rng.randint(0, 60), [])
                for _ in range(rng.randint(0, sample))
            ]
            heapq.heapify(heap)
            heaps.append(heap)
        args = (b"L0\tD", rows, b"{", bool(labels), b"doc\0", 7, index)
        theirs = [list(heap) for heap in heaps]
        want = NATIVE.page_add(*args, theirs, sample, context)
        assert want is not None
        shard = pagedata.ShardPage(io.BytesIO(), io.BytesIO())
        shard.samples = theirs
        shard._offer_all(7, want[2] or [])
        mine = [list(heap) for heap in heaps]
        assert NATIVE.page_add(*args, mine, sample, context, True) == (*want[:2], [] if labels else None)
        assert mine == theirs
    odd = (1, "~", "re+pair", "x", "y")  # a label split into ones not numbered: None, nothing offered
    heaps = [[]]
    assert NATIVE.page_add(b"", [odd], b"", True, b"d\0", 0, {"re+pair": 0}, heaps, 3, 2, True) is None
    assert heaps == [[]]


@needs_native
def test_c_page_add_looks_a_label_up_again_after_code_ran() -> None:
    """A run of rows of one rule looks the rule up once (the last label's number kept), but not
    across a comparison that ran code: the number a label has when its row is offered, as
    ShardPage._labelled reads it, even where that code renumbers it."""
    assert NATIVE is not None
    index = {"a": 0, "b": 1}

    class Renumberer:  # a heap's top of another kind: compared by beats, which runs its code
        def __eq__(self, other: object) -> bool:
            index["a"] = 1 - index["a"]
            return False

        def __lt__(self, other: object) -> bool:
            return False

        __gt__ = __lt__
        __hash__ = object.__hash__

    rows: list[Any] = [(no, "-", "a", f"line {no}") for no in range(1, 6)]
    got = NATIVE.page_add(b"D", rows, b"{", True, b"d\0", 0, index, [[(Renumberer(), 0, 0, [])] for _ in "ab"], 1, 2)
    assert got is not None
    numbers = [line.split(b"\t")[0] for line in got[0].split(b"\n") if line.startswith(b"E")]
    assert numbers == [b"E0", b"E1", b"E0", b"E1", b"E0"]
    index = {"a": 0}  # no code run: one number throughout
    got = NATIVE.page_add(b"D", rows, b"{", True, b"d\0", 0, index, [[]], 1, 2)
    assert got is not None
    assert [line[:3] for line in got[0].split(b"\n") if line.startswith(b"E")] == [b"E0\t"] * 5


_SHRINKING_ROW = """
import orjson
from cleaner.report import diff

rows = [[1, "-", "a", "text one"], [2, " ", None, "ctx"], [3, "~", "a", "NEW", "new"]]
blob = orjson.dumps(rows)


class Shrinker:
    # A heap's smallest key whose comparison empties the row being offered (and the changed one)
    def __eq__(self, other):
        rows[0].clear()
        rows[2].clear()
        return False

    def __lt__(self, other):
        return True

    __gt__ = __lt__
    __hash__ = object.__hash__


for call in ("page_entries", "offers"):
    rows[:] = [[1, "-", "a", "text one"], [2, " ", None, "ctx"], [3, "~", "a", "NEW", "new"]]
    samples = [[(Shrinker(), -3, -1, [])]]
    try:
        if call == "page_entries":
            diff._NATIVE.page_entries(blob, rows, b"doc\\0", 7, {"a": 0}, samples, 1, 2)
        else:
            acted, rests, _ = diff._NATIVE.entries(blob, len(rows), 2)
            diff._NATIVE.offers(rows, acted, rests, b"doc\\0", 7, {"a": 0}, samples, 1, 2)
    except TypeError as error:
        print(call, "TypeError", error)
    else:
        print(call, "no error")
"""


@needs_native
def test_a_row_emptied_by_a_comparison_is_refused_not_read() -> None:
    """offers and page_entries read a row's items for a sample's entry after comparing with the
    heap's smallest, which can run code that empties the row (a list): it is checked again there
    (was a read past the emptied list's items: a crash). In a child process: a crash fails here."""
    import os
    import subprocess

    root = str(Path(__file__).resolve().parent.parent)  # (this checkout's cleaner, not another one installed)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _SHRINKING_ROW], capture_output=True, text=True, timeout=120, cwd=root, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "page_entries TypeError rows must be lists or tuples of 4 or 5 items, a row's fate a str",
        "offers TypeError rows must be lists or tuples of 4 or 5 items, a row's fate a str",
    ]


# ---- a shard's tallies (pagedata.Tallies.add) ----


def _tallied(records: list[dict[str, Any]]) -> list[list[tuple[str, int]]]:
    tallies = pagedata.Tallies()
    for rec in records:
        tallies.add(rec)
    return [list(counter.items()) for counter in tallies.trailer().values()]  # key order too


@needs_native
def test_c_tallies_are_the_python_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    labels = ["chrome.nav", "credits.source", "ftfy", "replace.x", "ü.rule", "a"]

    def counts() -> dict[str, int]:
        return {label: rng.choice([1, 2, 7, 300, 2**70]) for label in rng.sample(labels, rng.randint(0, 4))}

    records = [{"removed": counts(), "removed_chars": counts(), "repaired": counts()} for _ in range(300)]
    records.append({"removed": {"odd": 1.5}, "removed_chars": {"odd": 3}, "repaired": {}})  # not an int: Python's
    records.append({"removed": {"a": 1}, "removed_chars": {"a": True}, "repaired": {}})
    with_c = _tallied(records)
    assert NATIVE is not None and NATIVE.tally({}, {}, {}, {}, {"a": 1}, {"a": 2.0}, {}) is None  # nothing added
    monkeypatch.setattr(pagedata, "_NATIVE", None)
    assert with_c == _tallied(records)
    assert ("odd", 1.5) in with_c[0] and ("a", sum(r["removed_chars"].get("a", 0) for r in records)) in with_c[1]


def _file_totals(stats: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]) -> list[list[tuple[str, Any]]]:
    file = summary.FileSummary(io.BytesIO())
    for removed, chars, repaired in stats:
        doc = DocStats(10, 5, 3, 2, True, removed, chars, repaired, None)
        file.document(Outcome("id", "src", b"", b"", None, doc))
    t = file.totals
    return [list(counter.items()) for counter in (t.removed, t.removed_chars, t.repaired)]  # key order too


@needs_native
def test_c_file_totals_are_the_python_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    labels = ["chrome.nav", "credits.source", "ftfy", "replace.x", "ü.rule", "a"]

    def counts() -> dict[str, Any]:
        return {label: rng.choice([1, 2, 7, 300, 2**70]) for label in rng.sample(labels, rng.randint(0, 4))}

    stats = [(counts(), counts(), counts()) for _ in range(300)]
    stats.append(({"odd": 1.5}, {"odd": 3}, {}))  # not an int: Python's
    stats.append(({"a": 1}, {"a": True}, {}))
    with_c = _file_totals(stats)
    assert NATIVE is not None and NATIVE.totals_add({}, {}, {}, {"a": 1}, {"a": 2.0}, {}) is None  # nothing added
    into = Counter({"b": 1})
    assert NATIVE.totals_add(into, {}, {}, {"a": 2, "b": 3}, {}, {}) is True
    assert list(into.items()) == [("b", 4), ("a", 2)]
    monkeypatch.setattr(summary, "_NATIVE", None)
    assert with_c == _file_totals(stats)
    assert ("odd", 1.5) in with_c[0] and ("a", sum(c.get("a", 0) for _, c, _ in stats)) in with_c[1]


@needs_native
def test_c_tallies_refuse_what_is_not_a_dict() -> None:
    assert NATIVE is not None
    with pytest.raises(TypeError):
        NATIVE.tally({}, {}, {}, {}, [("a", 1)], {}, {})
    with pytest.raises(TypeError):
        NATIVE.tally({}, {}, {}, {}, {"a": 1}, {"a": "x"}.items(), {})


# ---- the texts' UTF-8 made in C (_diff.c's put_utf8: text_json, hunks, rows_json) ----

# Texts of each width whose first character that is not plain ASCII (or is escaped in JSON) falls
# at every place of the blocks put_utf8 reads at once (16 characters, or 8 of a two-byte text;
# from U+8000 a two-byte character is negative as a signed 16-bit number),
# then runs of them, then each kind of character at every place of a block's tail.
_ODD = [*'"\\\n\x00\x1f\x7fé\xff', "\u07ff", "\u0800", "“", "\u7fff", "\u8000", "中", "\uffff", "😀"]


def _utf8_texts() -> list[str]:
    rng = random.Random(5)
    texts = []
    for wide in ["", "é", "“", "😀"]:  # (what sets the str's width, at its end)
        for odd in _ODD:
            for at in range(40):
                texts.append("a" * at + odd + "b" * rng.randint(0, 20) + wide)
        for _ in range(300):
            texts.append("".join(rng.choice([*_ODD, "x", "y z"]) for _ in range(rng.randint(0, 70))) + wide)
    return texts


@needs_native
def test_c_rows_json_is_orjsons() -> None:
    assert NATIVE is not None
    texts = _utf8_texts()
    for k, text in enumerate(texts):
        other = texts[-k - 1]
        rows = [(k, " ", None, text), (-k, "-", "rule.x", other), (1 << 62, "~", "a+b", text[::-1], other)]
        rows.append((k, text[:1], text[:1], text[1:2]))  # (a fate of one character: written without a call)
        assert NATIVE.rows_json(rows) == orjson.dumps(rows), repr(text)
    assert NATIVE.rows_json([]) == b"[]"
    many = [(i, " ", None, text) for i, text in enumerate(texts)]
    assert pagedata.rows_json(many) == orjson.dumps(many)


@needs_native
def test_c_rows_json_leaves_other_rows_to_orjson() -> None:
    assert NATIVE is not None

    class Text(str):
        pass

    for rows in [
        [[1, " ", None, "a"]],  # read back from JSON: lists
        [(True, " ", None, "a")],  # not an int of its own (orjson writes true)
        [(1 << 64, " ", None, "a")],  # past 64 bits
        [(1, " ", None, Text("a"))],
        [(1, " ", None, "a", None)],  # None only as the tag
        [(1, " ", None)],
        [(1, " ", None, "a\ud800")],  # no UTF-8
        ((1, " ", None, "a"),),
    ]:
        assert NATIVE.rows_json(rows) is None, rows
    assert pagedata.rows_json([[1, " ", None, "a"]]) == b'[[1," ",null,"a"]]'
    with pytest.raises(orjson.JSONEncodeError):  # orjson says why, as before
        pagedata.rows_json([(1, " ", None, "a\ud800")])


@needs_native
def test_c_text_json_and_hunks_write_each_texts_utf8() -> None:
    assert NATIVE is not None
    texts = _utf8_texts()
    out = [(None, text.replace("\n", " ")) for text in texts]
    rendered = whitespace.render(out)  # type: ignore[arg-type]
    assert NATIVE.text_json(out, rendered) == orjson.dumps(rendered)
    for text in texts:
        one = [(None, text)]
        assert NATIVE.text_json(one, text + "\n", True) == (orjson.dumps(text + "\n"), -1 if "\n" in text else 1)
    # the diff: every line dropped, then every line changed, each written as CPython encodes it
    lines = [Line(no, text.replace("\n", " ")) for no, text in enumerate(texts, 1)]
    for line in lines[::2]:
        line.drop("rule.x")
    for line in lines[1::4]:
        line.change(line.text[::-1] + "“", "replace.x")
    cleaned = Cleaned(Document("d", "", "d"), lines, "", None, None, {}, True)
    got = NATIVE.hunks(lines, layout(lines), True, diff.LAYOUT, True)
    assert got == _python(cleaned, "paragraphs").encode("utf-8")
    # a text whose UTF-8 CPython already keeps (asked for it once): copied from there, the same
    cached = "“cached” text, and more of it"
    cached.encode("utf-8")  # (does not keep it)
    orjson.dumps(cached)  # keeps it
    assert NATIVE.rows_json([(1, " ", None, cached)]) == orjson.dumps([(1, " ", None, cached)])


class _Text(str):
    """A str subclass: letting one go may run code of the caller's (a finalizer calling in)."""


@needs_native
def test_c_text_json_holds_no_str_subclass() -> None:
    """text_json keeps the layout's exact str texts (held until page_add or the next text_json) but no str subclass
    (letting one go could run its finalizer while the kept texts are let go); the record is orjson's either way."""
    assert NATIVE is not None
    sub, plain = _Text("one"), "".join(["tw", "o"])
    out = [(None, sub), (None, plain)]
    rendered = whitespace.render(out)  # type: ignore[arg-type]
    before = (sys.getrefcount(sub), sys.getrefcount(plain))
    assert NATIVE.text_json(out, rendered) == orjson.dumps(rendered)
    after = (sys.getrefcount(sub), sys.getrefcount(plain))  # (not in the assert: its rewriting holds what it reads)
    assert after == (before[0], before[1] + 1)
    assert NATIVE.text_json([(None, "x")], "x\n") is not None  # (lets the kept texts go)
    after = (sys.getrefcount(sub), sys.getrefcount(plain))
    assert after == before


@needs_native
def test_c_walks_of_long_lists_of_mixed_classes_and_emptied_ahead() -> None:
    """The walks ask for lines and texts ahead of the one they read (_diff.c's prefetch_lines):
    lists longer than that distance, of lines of several classes (the reader's class changes
    ahead of it), their answers the twins'; and a long list emptied early in the walk."""
    assert NATIVE is not None
    rng = random.Random(31)
    kinds = [Line, Line, _Plain, _Emptying]
    for size in [*range(0, 26), 60]:
        for _ in range(10):
            cleaned = _document(rng, size)
            mixed = []
            for line in cleaned.lines:
                other = rng.choice(kinds)(line.no, line.orig)
                other.text, other.blank = line.text, line.blank
                other.dropped_by, other.changed_by = line.dropped_by, line.changed_by
                mixed.append(other)
            cleaned.lines = mixed
            for mode in ("paragraphs", "lines"):
                out, text = NATIVE.layout(mixed, mode == "paragraphs")
                want = whitespace.layout(mixed, mode)  # type: ignore[arg-type]
                assert out == want and text == whitespace.render(want)
                assert _c(cleaned, mode) == _python(cleaned, mode)
            assert NATIVE.line_counts(mixed) == document.line_counts(mixed)
            assert NATIVE.review_rows(mixed, 1000) == review.python_rows(cleaned)

    def emptied() -> list[Line]:  # 30 lines, emptied while its third is read
        lines: list[Line] = [Line(no, f"line {no}") for no in range(1, 31)]
        lines[2] = _Emptying(3, "empties")
        lines[2].victims = [lines]  # type: ignore[attr-defined]
        return lines

    assert [src.no for src, _ in NATIVE.layout(emptied(), True)[0] if src] == [1, 2, 3]
    assert NATIVE.line_counts(emptied()) == document.line_counts(emptied()[:3])
    assert [row[0] for row in NATIVE.review_rows(emptied(), 100)] == [1, 2, 3]
