"""The review page's data rendered per shard and joined (report/pagedata.py) is the page that one
process writes from every review record in order (the way html.write_page built it before,
kept here as the reference), whatever the shards' boundaries; the files are compared byte for
byte, with the sizes made small so that every file kind is cut and flushed several times."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import mmap
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from cleaner.errors import OutputError
from cleaner.report import html, pagedata, review

SIZES = {"SAMPLE": 3, "PART": 4, "LIST": 5, "DOCS": 3, "BUFFERED": 7}
RULES = ["links.see-also", "credits.source", "site.banner", "byline <b>", "repeated:a site", 'quote"d \\rule']
REPAIRS = ["ftfy:encoding", "whitespace", "nbsp", "re+pair"]  # "re+pair": split into labels not counted as such


def _record(rng: random.Random, n: int, doc_id: str | None = None) -> dict[str, Any]:
    """An invented review record: kept, removed and changed lines in some order, or layout only."""
    rows: list[list[Any]] = []
    removed: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    repaired: Counter[str] = Counter()
    for no in range(1, rng.randint(1, 12) + 1):
        fate = rng.random()
        text = f'Line {no} of document {n}: the council met <again> "today" \\"\\\\\nand voted {rng.randint(0, 99)}.'
        if fate < 0.25:
            rule = rng.choice(RULES)
            rows.append([no, review.DROPPED, rule, text])
            removed[rule] += 1
            chars[rule] += len(text)
        elif fate < 0.35:
            labels = sorted(rng.sample(REPAIRS, rng.randint(1, 2)))
            rows.append([no, review.CHANGED, "+".join(labels), text.upper(), text])
            repaired.update(labels)
        else:
            rows.append([no, review.KEPT, None, text])
    if rng.random() < 0.05:  # a rule that removed blank lines only: counted, nothing to show
        removed["blank.only"] += 1
        chars["blank.only"] += 0
    return {
        "id": doc_id or f"doc-{n}",
        "source": f"corpus.jsonl:{n + 1}",
        "site": rng.choice([None, "a-site"]),
        "chars_in": 500 + n,
        "chars_out": 300 + n,
        "emptied": rng.choice([None, None, None, "credits.source"]),
        "removed": dict(removed),
        "removed_chars": dict(chars),
        "repaired": dict(repaired),
        "lines": rows,
    }


def _whole(doc_id: str, keep: int) -> bool:
    """Whether the page keeps a document whole: its id's BLAKE2b below ``keep`` (of 2**64)."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "big") < keep


def _reference(path: Path, records: list[dict[str, Any]], keep: int = 1 << 64) -> None:
    """The page as html.write_page built it from every record in order, in one process; past
    the budget (``keep`` under 2**64) the documents not kept whole have no lines in their d
    item and no entries in the r files, and are in the samples all the same."""
    directory = path.parent / pagedata.DATA_DIR
    directory.mkdir(parents=True)
    sample, part, size_list, size_docs, buffered_max = (
        SIZES[k] for k in ("SAMPLE", "PART", "LIST", "DOCS", "BUFFERED")
    )
    index: dict[str, int] = {}
    lines: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    repaired: Counter[str] = Counter()
    written: Counter[int] = Counter()
    samples: dict[int, list[tuple[int, list[Any]]]] = {}
    buffer: dict[int, list[list[Any]]] = {}
    buffered = [0]
    chunks: dict[str, list[Any]] = {"l": [], "d": []}
    counts = {"l": 0, "d": 0}

    def number(rule: str) -> int:
        return index.setdefault(rule, len(index))

    def flush() -> None:
        for i, entries in sorted(buffer.items()):
            while entries:
                p, filled = divmod(written[i], part)
                take = entries[: part - filled]
                del entries[: len(take)]
                with (directory / f"r{i}-{p}.js").open("ab") as out:
                    out.write(b"cleanerLoaded('r'," + pagedata.js([i, p, take]) + b");\n")
                written[i] += len(take)
        buffer.clear()
        buffered[0] = 0

    def add_chunk(kind: str, item: Any, size: int, force: bool = False) -> None:
        if item is not None:
            chunks[kind].append(item)
        if chunks[kind] and (force or len(chunks[kind]) == size):
            chunk = counts[kind] // size
            data = b"cleanerLoaded('" + kind.encode() + b"'," + pagedata.js([chunk, chunks[kind]]) + b");\n"
            (directory / f"{kind}{chunk}.js").write_bytes(data)
            counts[kind] += len(chunks[kind])
            chunks[kind] = []

    layout_only = 0
    kept = 0
    with (path.parent / review.REMOVALS).open("wb") as removals:
        for n, rec in enumerate(records):
            whole = _whole(rec["id"], keep)
            kept += whole
            removals.write(review.removals_line(rec))
            for rule, count in rec["removed"].items():
                lines[rule] += count
                docs[rule] += 1
            for rule, count in rec["removed_chars"].items():
                chars[rule] += count
                number(rule)
            for label, count in rec["repaired"].items():
                repaired[label] += count
                docs[label] += 1
            acted = sorted({*rec["removed_chars"], *rec["repaired"]})
            for label in acted:
                number(label)
            for label, entry, key in _entries(n, rec):
                i = number(label)
                heap = samples.setdefault(i, [])
                if len(heap) < sample:
                    heapq.heappush(heap, (-key, entry))
                elif -key > heap[0][0]:
                    heapq.heapreplace(heap, (-key, entry))
                if not whole:
                    continue
                buffer.setdefault(i, []).append(entry)
                buffered[0] += 1
                if buffered[0] >= buffered_max:
                    flush()
            layout_only += not acted
            row = [n, rec["id"], rec["source"], rec["site"], rec["chars_in"], rec["chars_out"]]
            add_chunk("l", [*row, sorted(index[a] for a in acted), rec["emptied"]], size_list)
            keys = ("id", "source", "site", "chars_in", "chars_out", "emptied")
            # a changed row without its original text (the document view shows a row as cleaned)
            shown = [r[:4] for r in rec["lines"]] if whole else None
            add_chunk("d", {**{key: rec[key] for key in keys}, "lines": shown}, size_docs)
    flush()
    for i, heap in samples.items():
        chosen = sorted((entry for _, entry in heap), key=lambda e: (e[0], e[1]))
        (directory / f"s{i}.js").write_bytes(b"cleanerLoaded('s'," + pagedata.js([i, chosen]) + b");\n")
    add_chunk("l", None, size_list, force=True)
    add_chunk("d", None, size_docs, force=True)
    table = []
    for rule, i in index.items():
        kind = "removed" if rule in chars else "changed"
        table.append(
            {
                "i": i,
                "rule": rule,
                "kind": kind,
                "lines": lines[rule] if rule in chars else repaired[rule],
                "chars": chars[rule],
                "docs": docs[rule],
                "entries": written[i],
                "parts": -(-written[i] // part),
            }
        )
    table.sort(key=lambda r: (r["kind"] != "removed", -r["chars"], -r["lines"], r["rule"]))
    sizes = {"sample": sample, "part": part, "list": size_list, "docs": size_docs}
    data = {
        "documents": len(records),
        "whole": kept,
        "layout_only": layout_only,
        "rules": table,
        "sizes": sizes,
        "dir": "review",
    }
    with path.open("wb") as out:
        html._write_html(out, data)


def edited(original: str, text: str) -> list[Any]:
    """review.edit's [prefix, suffix, middle], told another way: the common prefix, then the
    common suffix of what is left of each."""
    prefix = next(
        (k for k, (a, b) in enumerate(zip(original, text, strict=False)) if a != b), min(len(original), len(text))
    )
    left, right = original[prefix:][::-1], text[prefix:][::-1]
    suffix = next((k for k, (a, b) in enumerate(zip(left, right, strict=False)) if a != b), min(len(left), len(right)))
    return [prefix, suffix, original[prefix : len(original) - suffix]]


def _entries(n: int, rec: dict[str, Any]) -> Iterator[tuple[str, list[Any], int]]:
    rows = rec["lines"]
    for i, row in enumerate(rows):
        if row[1] == review.KEPT:
            continue
        context = review.CONTEXT if row[1] == review.DROPPED else 0  # a changed row's entry: none
        before = [r[:4] for r in rows[max(i - context, 0) : i]]
        after = [r[:4] for r in rows[i + 1 : i + 1 + context]]
        text = row[3] if row[1] == review.DROPPED else edited(row[4], row[3])
        entry = [n, row[0], text, before, after, row[3] if row[1] == review.CHANGED else None]
        labels = [row[2]] if row[1] == review.DROPPED else row[2].split("+")
        key = int.from_bytes(hashlib.blake2b(f"{rec['id']}\0{row[0]}".encode(), digest_size=8).digest(), "big")
        for label in labels:
            yield label, entry, key


def _joined(
    tmp: Path,
    records: list[dict[str, Any]],
    cuts: list[int],
    workers: list[pagedata.Floors] | None = None,
    keep: int = pagedata.EVERY,
) -> Path:
    """The page from the records cut into shards at ``cuts``; with ``workers``, the shards are
    written in a shuffled order, each by one of them (the Floors of a worker process)."""
    tmp.mkdir()
    spans = list(enumerate(zip([0, *cuts], [*cuts, len(records)], strict=True)))
    writers: list[pagedata.Floors | None] = [None]
    if workers is not None:
        random.Random(len(cuts)).shuffle(spans)
        writers = list(workers)
    for k, (start, end) in spans:
        pagedata.page_files(records[start:end], tmp / f"{k:06d}.page", writers[k % len(writers)], keep)
    parts = [tmp / f"{k:06d}.page" for k in range(len(spans))]
    (tmp / "reports").mkdir()
    html.write_page(tmp / "reports" / "index.html", parts)
    return tmp / "reports"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SIZES.items():
        monkeypatch.setattr(pagedata, name, value)


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("native", [True, False], ids=["c", "python"])
@pytest.mark.parametrize("keep", [pagedata.EVERY, pagedata.EVERY * 2 // 5], ids=["every", "budget"])
def test_joined_shards_give_the_page_of_one_process_rendering_every_record(
    tmp_path: Path, seed: int, native: bool, keep: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also past the review budget (``keep``: about two documents in five kept whole)."""
    if native and pagedata._NATIVE is None:
        pytest.skip("cleaner/report/_diff.c not built")
    if not native:
        monkeypatch.setattr(pagedata, "_NATIVE", None)
    rng = random.Random(seed)
    records = [_record(rng, n) for n in range(60)]
    for n in range(3, 60, 7):  # records made another way than review.record_data: their keys in another order
        records[n] = dict(reversed(records[n].items()))
    for n in range(1, 60, 4):  # rows as review_rows makes them where documents are cleaned: tuples
        records[n]["lines"] = [tuple(row) for row in records[n]["lines"]]
    _reference(tmp_path / "one" / "index.html", records, keep)
    expected = _files(tmp_path / "one")
    assert sum(name.startswith("review/r") for name in expected) > (10 if keep == pagedata.EVERY else 5)
    assert any(data.count(b"cleanerLoaded") > 1 for data in expected.values())  # flushes inside a part
    whole = sum(_whole(rec["id"], keep) for rec in records)
    assert whole == 60 if keep == pagedata.EVERY else 15 < whole < 35
    for k, cuts in enumerate([[], [1, 2, 30], sorted(rng.sample(range(1, 60), 12)), [59]]):
        got = _files(_joined(tmp_path / f"cut{k}", records, cuts, keep=keep))
        assert sorted(got) == sorted(expected)
        for name in expected:
            assert got[name] == expected[name], (cuts, name)


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize("seed", range(3))
def test_page_files_of_record_data_records_with_c_are_the_python_ones(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records as review.record_data makes them (its keys in its order, rows as tuples) take
    _diff.c's page_add, the page file's bytes and the removals line each in one buffer: the
    same files as the Python way, for documents with a "<" (the D line escaped) and without,
    first labels met, labels split at "+" (re+pair: left to the pieces' way), full heaps."""
    if pagedata._NATIVE is None:
        pytest.skip("cleaner/report/_diff.c not built")
    rng = random.Random(seed)
    records = [_record(rng, n) for n in range(60)]
    for n, rec in enumerate(records):
        rows = [tuple(row) for row in rec["lines"]]
        if n % 3:  # no "<": the walk reads the D line's JSON
            rows = [tuple(x.replace("<", "(") if isinstance(x, str) else x for x in row) for row in rows]
        rec["lines"] = rows
    files = {}
    native_module = pagedata._NATIVE
    for native, keep in itertools.product((True, False), (pagedata.EVERY, pagedata.EVERY // 2)):
        monkeypatch.setattr(pagedata, "_NATIVE", native_module if native else None)
        path = tmp_path / f"{native}-{keep}.page"
        pagedata.page_files(records, path, pagedata.Floors(), keep)
        files[native, keep] = (path.read_bytes(), pagedata.removals_file(path).read_bytes())
    for keep in (pagedata.EVERY, pagedata.EVERY // 2):
        assert files[True, keep] == files[False, keep]
    assert b"\\u003c" in files[True, pagedata.EVERY][0] and b"<" in files[True, pagedata.EVERY][1]
    # past the budget: the same removals, fewer page bytes (D lines of null rows, fewer E lines)
    assert files[True, pagedata.EVERY // 2][1] == files[True, pagedata.EVERY][1]
    assert b'"lines":null}' in files[True, pagedata.EVERY // 2][0]
    assert len(files[True, pagedata.EVERY // 2][0]) < 0.8 * len(files[True, pagedata.EVERY][0])


@pytest.mark.usefixtures("small")
def test_page_files_with_a_plus_in_a_rule_and_labels_not_ascii_with_c_are_the_python_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """page_add reads the "+"s of an ASCII tag in place (CPython counts a wider one's): a changed
    row's labels split at each (a label holding one, "ré+pair", not numbered as such: the pieces'
    way), a removed row's rule one label whatever it holds. The same files as the Python way."""
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "RULES", [*RULES, "a+rule", "règle+b"])
    monkeypatch.setattr(module, "REPAIRS", [*REPAIRS, "ftfy:é", "ré+pair", "ü+"])
    native = pagedata._NATIVE
    for seed in range(3):
        (tmp_path / str(seed)).mkdir()
        test_page_files_of_record_data_records_with_c_are_the_python_ones(tmp_path / str(seed), seed, monkeypatch)
        monkeypatch.setattr(pagedata, "_NATIVE", native)  # (the Python way's, set by the call, undone)


class _Text(str):
    pass


@pytest.mark.usefixtures("small")
def test_page_records_fields_made_in_c_are_the_python_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """page_record writes a record's fields' JSON itself (the L line, the D line's head, the
    removals line's head) and tallies it: the same files as the Python way, for ids, sources,
    sites and emptied texts that JSON escapes or that hold a "<" (escaped in the page, not in
    removals.jsonl), that are not ASCII or are None; a label both removed and repaired; and the
    values it leaves to Python (an int past a C long long, a bool, a str subclass, a Counter)."""
    if pagedata._NATIVE is None:
        pytest.skip("cleaner/report/_diff.c not built")
    rng = random.Random(5)
    texts = [
        'a <b> "c" \\ d',
        "tab\tnew\nline\x01\x1f\x7f",
        "é ü <ï>",
        "日本語 <x>",
        "\U0001f600 emoji",
        "",
        "</script>",
    ]
    records = []
    for n in range(60):
        rec = _record(rng, n)
        rec["lines"] = [tuple(row) for row in rec["lines"]]
        rec["id"] = f"{rng.choice(texts)}-{n}"
        rec["source"] = rng.choice([None, rng.choice(texts)])
        rec["site"] = rng.choice([None, rng.choice(texts)])
        rec["emptied"] = rng.choice([None, rng.choice(texts)])
        records.append(rec)
    for rec in records[5:7]:  # a label removed by a rule and repaired: one number
        rec["lines"] += [(98, review.DROPPED, "credits.source", "y"), (99, review.CHANGED, "credits.source", "X", "x")]
        rec["removed"]["credits.source"] = rec["removed"].get("credits.source", 0) + 1
        rec["removed_chars"]["credits.source"] = rec["removed_chars"].get("credits.source", 0) + 1
        rec["repaired"]["credits.source"] = 1
    records[7]["chars_in"] = 1 << 63  # (orjson writes up to 64 bits unsigned)
    records[8]["chars_out"] = True
    records[9]["id"] = _Text("sub")
    records[10]["site"] = _Text("sub")
    records[11]["removed_chars"] = Counter(records[11]["removed_chars"])
    records[12]["repaired"] = {**records[12]["repaired"], "ftfy:encoding": True}
    records[13]["chars_in"] = -5
    made: list[bool] = []  # per record, whether page_record made its bytes

    class Counted:
        def __getattr__(self, name: str) -> Any:
            return getattr(native_module, name)

        def page_record(self, *args: Any) -> Any:
            got = native_module.page_record(*args)
            made.append(got is not None)
            return got

    native_module = pagedata._NATIVE
    files = {}
    for native in (True, False):
        monkeypatch.setattr(pagedata, "_NATIVE", Counted() if native else None)
        path = tmp_path / f"{native}.page"
        pagedata.page_files(records, path, pagedata.Floors(), pagedata.EVERY // 2)  # (some kept whole)
        files[native] = (path.read_bytes(), pagedata.removals_file(path).read_bytes())
    assert files[True] == files[False]
    assert b'"lines":null}' in files[True][0] and b'"lines":[[' in files[True][0]
    assert b"\\u003c/script>" in files[True][0] and b"</script>" in files[True][1]
    # (the records that first meet a label number it the Python way; 7 to 12 are left to it)
    assert sum(made) > 40 and all(made[5:7]) and not any(made[7:13])


# page_record with an index key of a str subclass (a record the Python way numbered its label:
# ShardPage.index then holds it), whose __eq__, run by the index lookup of an exact str label,
# changes the record's counts meanwhile: grown past the room made for their numbers, or the
# label looked up let go of. Run in a child, a crash being what it guards against.
_CHANGED_IN_LOOKUP = """
import sys
from cleaner.report import _diff, review

class Label(str):
    counts = None
    def __eq__(self, other):
        counts, Label.counts = Label.counts, None
        if counts is not None:
            if sys.argv[1] == "grow":
                for i in range(100_000):
                    counts[f"x{i}"] = 1
            else:  # the label let go of, and the index changed under the lookup (which then looks again)
                counts.clear()
                del index[self]
                index[Label(self)] = 0
        return str.__eq__(self, other)
    __hash__ = str.__hash__

for how in ("grow", "drop"):
    sys.argv[1:] = [how]
    chars = {"".join(["a", "b"]): 1}  # (a str of its own: the record's the only reference)
    rec = {"id": "d", "source": "s", "site": None, "chars_in": 3, "chars_out": 1, "emptied": None,
           "removed": {"ab": 1}, "removed_chars": chars, "repaired": {}, "lines": [(1, "-", "ab", "abc")]}
    index = {Label("ab"): 0, **{f"x{i}": i + 1 for i in range(100_000)}}
    Label.counts = chars
    got = _diff.page_record(rec, 0, index, [[] for _ in index], 50, review.CONTEXT)
    print(how, got is None)
"""


def test_page_record_survives_counts_changed_by_an_index_lookup() -> None:
    if pagedata._NATIVE is None:
        pytest.skip("cleaner/report/_diff.c not built")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(
        [sys.executable, "-c", _CHANGED_IN_LOOKUP], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # grown: left to Python (which refuses a dict changed while it is read); dropped: made
    assert done.stdout.split() == ["grow", "True", "drop", "False"]


@pytest.mark.usefixtures("small")
def test_the_sample_of_duplicate_ids_is_the_same_whatever_the_shards(tmp_path: Path) -> None:
    """A removal's sample key is a hash of its document id and line: documents of one id tie, and
    the sample takes the first documents among them (the smallest key, document, line), in any shard."""
    rng = random.Random(7)
    records = [_record(rng, n, doc_id="same") for n in range(40)]
    one = _files(_joined(tmp_path / "one", records, []))
    for k, cuts in enumerate([[5, 6, 20], [39], list(range(1, 40))]):
        assert _files(_joined(tmp_path / f"cut{k}", records, cuts)) == one
    samples = [orjson.loads(data[len("cleanerLoaded('s',") : -3]) for name, data in one.items() if "/s" in name]
    assert samples
    for _, entries in samples:
        keys = sorted((e[1], e[0]) for e in entries)  # one id: the key follows the line; then the document
        assert len(entries) <= SIZES["SAMPLE"]
        assert [(e[1], e[0]) for e in sorted(entries, key=lambda e: (e[1], e[0]))] == keys


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize("same_id", [False, True], ids=["ids", "one-id"])
@pytest.mark.parametrize("native", [True, False], ids=["c", "python"])
def test_shards_written_with_floors_give_the_same_page(
    tmp_path: Path, same_id: bool, native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's shards offer their samples only what beats the best of its earlier shards
    (Floors): the page is the one of a single shard, whatever the cuts, the number of workers
    and the order the shards are written in; one id everywhere (keys tie) included."""
    if native and pagedata._NATIVE is None:
        pytest.skip("cleaner/report/_diff.c not built")
    if not native:
        monkeypatch.setattr(pagedata, "_NATIVE", None)
    rng = random.Random(13)
    records = [_record(rng, n, doc_id="same" if same_id else None) for n in range(80)]
    expected = _files(_joined(tmp_path / "one", records, []))  # (one id: as the test above compares)
    for k, cuts in enumerate([[40], [1, 2, 30, 31, 50], sorted(rng.sample(range(1, 80), 20)), list(range(1, 80))]):
        for workers in (1, 2):
            floors = [pagedata.Floors() for _ in range(workers)]
            got = _files(_joined(tmp_path / f"cut{k}-{workers}", records, cuts, floors))
            assert got == expected, (cuts, workers)


@pytest.mark.usefixtures("small")
def test_floors_keep_out_what_earlier_shards_beat(tmp_path: Path) -> None:
    """A shard written after others by the same process indexes fewer candidates than one
    written alone (what the floors are for): the same records, the same page."""
    rng = random.Random(17)
    records = [_record(rng, n) for n in range(60)]
    floors = pagedata.Floors()
    pagedata.page_files(records[:40], tmp_path / "first.page", floors)
    pagedata.page_files(records[40:], tmp_path / "after.page", floors)
    pagedata.page_files(records[40:], tmp_path / "alone.page")
    after = _trailer_line((tmp_path / "after.page").read_bytes())[0]["samples"]
    alone = _trailer_line((tmp_path / "alone.page").read_bytes())[0]["samples"]
    assert sum(map(len, after)) < sum(map(len, alone))
    for kept, offered in zip(after, alone, strict=True):  # the same candidates, fewer of them
        assert [c[:3] for c in kept] == [c[:3] for c in offered[: len(kept)]]


def test_a_page_file_line_of_another_kind_is_refused(tmp_path: Path) -> None:
    part = tmp_path / "000000.page"
    part.write_bytes(b'Q{"what": 1}\n')
    pagedata.removals_file(part).write_bytes(b"")
    (tmp_path / "reports").mkdir()
    with pytest.raises(OutputError, match="not a page file of this cleaner"):
        html.write_page(tmp_path / "reports" / "index.html", [part])
    shutil.rmtree(tmp_path / "reports")


def _trailer_line(data: bytes) -> tuple[dict[str, Any], int]:
    """A page file's T line, parsed, and where the line after it begins."""
    pos = 0
    while data[pos : pos + 1] != b"T":
        pos = data.index(b"\n", pos) + 1
    end = data.index(b"\n", pos) + 1
    return orjson.loads(data[pos + 1 : end]), end


@pytest.mark.usefixtures("small")
def test_a_page_file_ends_with_its_sample_indexed_best_first(tmp_path: Path) -> None:
    """After the T line, the entries of each rule's sample candidates, best first, each where
    its index says and as js(entry) writes it; nothing after."""
    rng = random.Random(3)
    records = [_record(rng, n) for n in range(25)]
    part = tmp_path / "000000.page"
    pagedata.page_files(records, part)
    data = part.read_bytes()
    trailer, end = _trailer_line(data)
    assert trailer["at"] == end and trailer["docs"] == 25
    names = [orjson.loads(line[1:]) for line in data[:end].splitlines() if line.startswith(b"R")]
    offered: dict[str, list[tuple[int, int, int, list[Any]]]] = {}
    for n, rec in enumerate(records):
        for label, entry, key in _entries(n, rec):
            offered.setdefault(label, []).append((key, n, entry[1], entry))
    last = end
    assert len(trailer["samples"]) == len(names)
    for name, candidates in zip(names, trailer["samples"], strict=True):
        best = sorted(offered.get(name, []), key=lambda c: c[:3])[: SIZES["SAMPLE"]]
        assert [c[:3] for c in candidates] == [list(b[:3]) for b in best]
        for (_, _, _, start, length), (_, _, _, entry) in zip(candidates, best, strict=True):
            assert data[end + start : end + start + length + 1] == pagedata.js(entry) + b"\n"
            last = max(last, end + start + length + 1)
    assert last == len(data)


@pytest.mark.usefixtures("small")
def test_the_join_reads_only_the_sample_entries_that_win(tmp_path: Path) -> None:
    """The entries of candidates that a sample of the whole run does not take are never read:
    made unreadable, the page is the same. A winner's, made unreadable, is an error."""
    rng = random.Random(5)
    records = [_record(rng, n) for n in range(60)]
    expected = _files(_joined(tmp_path / "whole", records, [10, 25, 40]))
    parts = sorted((tmp_path / "whole").glob("*.page"))
    ranked: dict[str, list[tuple[int, int, int, Path, int, int]]] = {}
    base = 0
    for part in parts:
        data = part.read_bytes()
        trailer, end = _trailer_line(data)
        names = [orjson.loads(line[1:]) for line in data[:end].splitlines() if line.startswith(b"R")]
        for name, candidates in zip(names, trailer["samples"], strict=True):
            for key, n, no, start, length in candidates:
                ranked.setdefault(name, []).append((key, n + base, no, part, end + start, length))
        base += trailer["docs"]
    losers, winners = [], []
    for candidates in ranked.values():
        candidates.sort()
        winners += candidates[: SIZES["SAMPLE"]]
        losers += candidates[SIZES["SAMPLE"] :]
    assert len(losers) > 10

    def spoil(places: list[tuple[int, int, int, Path, int, int]]) -> None:
        for *_, part, start, length in places:
            with part.open("r+b") as handle:
                handle.seek(start)
                handle.write(b"x" * (length + 1))  # no JSON, no newline

    spoil(losers)
    shutil.rmtree(tmp_path / "whole" / "reports")
    (tmp_path / "whole" / "reports").mkdir()
    html.write_page(tmp_path / "whole" / "reports" / "index.html", parts)
    assert _files(tmp_path / "whole" / "reports") == expected
    spoil(winners[-1:])
    with pytest.raises(OutputError, match="its sample is not where its T line says"):
        html.write_page(tmp_path / "whole" / "reports" / "index.html", parts)


@pytest.mark.usefixtures("small")
def test_page_files_that_cannot_be_mapped_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    records = [_record(rng, n) for n in range(30)]
    mapped = _files(_joined(tmp_path / "mapped", records, [7, 8, 20]))

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no mmap here")

    monkeypatch.setattr(pagedata.mmap, "mmap", refuse)
    assert _files(_joined(tmp_path / "read", records, [7, 8, 20])) == mapped


@pytest.mark.usefixtures("small")
def test_the_join_hands_back_a_mapped_page_files_pages_as_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat: a page file's mapped pages are handed back behind the join (a one-worker
    run's single page file would otherwise all count in the main process), page-aligned, in
    order, and the page is the same as one joined without handing any back."""
    rng = random.Random(5)
    records = [_record(rng, n) for n in range(60)]
    kept = _files(_joined(tmp_path / "kept", records, []))
    handed: list[tuple[int, int]] = []
    real = pagedata._release

    def spy(block: Any, start: int, pos: int) -> int:
        end = real(block, start, pos)
        handed.append((start, end))
        return end

    monkeypatch.setattr(pagedata, "RELEASE", 1)
    monkeypatch.setattr(pagedata, "_release", spy)
    assert _files(_joined(tmp_path / "handed", records, [])) == kept
    page = (tmp_path / "handed" / "000000.page").stat().st_size
    assert handed and all(end % mmap.PAGESIZE == 0 for _, end in handed)
    assert all(start == (handed[k - 1][1] if k else 0) for k, (start, _) in enumerate(handed))
    assert handed[-1][1] > page // 2  # most of the file, not only its first pages


def _loaded(path: Path) -> Any:
    """The data of a review/*.js file: cleanerLoaded(kind, data);"""
    raw = path.read_text(encoding="utf-8")
    return orjson.loads(raw[raw.index(",") + 1 : raw.rindex(")")])


@pytest.mark.parametrize("native", [True, False], ids=["c", "python"])
def test_a_removal_is_shown_in_context_a_repair_on_its_own(
    tmp_path: Path, native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A removed line's entry carries the lines around it; a changed line's entry carries only its
    text before and after (judged on that: the repairs, whitespace most, made most of the r files'
    bytes with context), and its row in the document view no original text (the view shows the
    document as cleaned). removals.jsonl keeps both in full, with context."""
    if native and pagedata._NATIVE is None:
        pytest.skip("cleaner/report/_diff.c not built")
    if not native:
        monkeypatch.setattr(pagedata, "_NATIVE", None)
    rows = [
        (1, " ", None, "Before."),
        (2, "-", "links.see-also", "See also: more"),
        (3, " ", None, "Middle."),
        (4, "~", "whitespace", "Fixed line.", "Fixed  line. "),
        (5, " ", None, "After."),
    ]
    rec = {
        "id": "doc",
        "source": "in.jsonl:1",
        "site": None,
        "chars_in": 60,
        "chars_out": 40,
        "emptied": None,
        "removed": {"links.see-also": 1},
        "removed_chars": {"links.see-also": 14},
        "repaired": {"whitespace": 1},
        "lines": rows,
    }
    reports = _joined(tmp_path / "page", [rec], [])
    removal, repair = (_loaded(reports / "review" / f"r{i}-0.js")[2][0] for i in (0, 1))
    assert removal == [
        0,
        2,
        "See also: more",
        [[1, " ", None, "Before."]],
        [[3, " ", None, "Middle."], [4, "~", "whitespace", "Fixed line."]],
        None,
    ]
    assert repair == [0, 4, [6, 0, " line. "], [], [], "Fixed line."]  # "Fixed " shared, then the original's rest
    assert _loaded(reports / "review" / "s1.js")[1] == [repair]
    doc = _loaded(reports / "review" / "d0.js")[1][0]
    assert doc["lines"] == [list(row[:4]) for row in rows]
    assert orjson.loads((reports / review.REMOVALS).read_bytes())["lines"] == [list(row) for row in rows]
