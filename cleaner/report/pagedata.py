"""The review page's data (html.py), rendered where the documents are cleaned and joined at the end.

Everything the page needs of one changed document (its whole text for ``d<chunk>.js``, its row
for ``l<chunk>.js``, each removal for ``r<rule>-<part>.js``, its share of the per-rule figures
and of each rule's sample) is rendered by the process that cleaned it, into its shard's ``page``
file (``ShardPage``), and its removals.jsonl line into the shard's ``removals`` file beside it.
What only the whole run knows (a document's number among the changed ones, a rule's number,
which removals fall in which file) is settled by ``Joiner`` in the main process, which maps the
shards' page files in input order and copies their bytes, adding numbers (html.write_page
joins the removals files whole: files.Joined). No JSON is parsed or written per document there,
and no Python code runs per line: _diff.c's join walks a file's E, L and D lines into per-rule
and per-chunk bytearrays, which are written from where they are, so a document costs about the
moving of its review bytes (about 15 us of user CPU on the bench corpus, and the kernel's
writes and fresh pages; it was 50 with a Python loop per line), and two workers are not held
back by it. The bytes are those of one process rendering every record in order, however the
input was cut into shards (tests/test_pagedata.py).

A page file is lines, each tagged by its first byte, in input order:

- ``R"rule"``: the shard's next rule number goes to ``rule`` (numbered as first met);
- ``L<rules>\\t<row>\\t<emptied>``: a changed document begins (the next number); its rules by the
  shard's numbers, its row of ``l<chunk>.js`` without number and rules (JSON text, no tab in it);
- ``D{...}``: its item of ``d<chunk>.js`` (its ``lines`` null when the page does not keep the
  document whole: kept_whole);
- ``E<rule>\\t<rest>``: one of its removals for ``r<rule>-<part>.js``, without the document number
  it begins with (none for a document not kept whole);
- ``T{...}``: last, the shard's per-rule figures and the index of each rule's sample candidates
  (ShardPage.finish), then the candidates' entries, one a line. The join reads the page file up
  to its T line only: it merges the indexes, and reads the entries of the candidates that win
  the run's sample at its end (a shard's sample, up to SAMPLE entries per rule, was most of the
  bytes it parsed when the trailer held them).
"""

from __future__ import annotations

import hashlib
import heapq
import mmap
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from cleaner.errors import OutputError
from cleaner.native import load
from cleaner.report import review

SAMPLE = 50  # removals shown per rule before "all"
PART = 1000  # removals per r<rule>-<part>.js
LIST = 1000  # documents per l<chunk>.js
DOCS = 100  # whole documents per d<chunk>.js
BUFFERED = 20_000  # removals held in memory before they are appended to their rules' files
RELEASE = 8 << 20  # bytes of a mapped page file read before its pages are handed back (_release)
_DONT_NEED = getattr(mmap, "MADV_DONTNEED", None) if hasattr(mmap.mmap, "madvise") else None
DATA_DIR = "review"

# A document's entries in C (cleaner/report/_diff.c), when built: spliced from the JSON of its rows.
_NATIVE = load("cleaner.report._diff")

_DOC_KEYS = ("id", "source", "site", "chars_in", "chars_out", "emptied", "lines")
_REC_KEYS = (*_DOC_KEYS[:-1], "removed", "removed_chars", "repaired", "lines")  # review.record_data's, in order

# A sample candidate: (-key, -document number, -line, entry): a heap of them keeps the SAMPLE
# smallest (key, document, line), a total order (within a rule a document's line is acted on
# once), so the sample is the same whichever shards the candidates were first chosen in.
Candidate = tuple[int, int, int, list[Any]]
# Where a shard's sample entry is: its page file (numbered in the join's order), the entry's first
# byte, its length (without its newline); the join's candidates carry it instead of the entry.
Where = tuple[int, int, int]
Indexed = tuple[int, int, int, Where]


def js(data: Any) -> bytes:
    """JSON safe inside <script> and in a .js file: no "</script>", no "<!--"."""
    return orjson.dumps(data).replace(b"<", b"\\u003c")


def rows_json(rows: list[Any]) -> bytes:
    """orjson.dumps(rows) of a review record's rows: in C when built (_diff.c's rows_json makes the
    texts' UTF-8 where it writes them; CPython's encoding of a line with one curly quote, kept on
    the line for orjson, cost more than the JSON), by orjson when not or when it leaves them."""
    got = None if _NATIVE is None else _NATIVE.rows_json(rows)
    return orjson.dumps(rows) if got is None else got


def sort_key(doc_id: str, no: int) -> int:
    """Where a removal falls in the sample order: a hash, so the sample is spread over the run."""
    return int.from_bytes(hashlib.blake2b(f"{doc_id}\0{no}".encode(), digest_size=8).digest(), "big")


# Which changed documents the page keeps whole (their d item and their removals in the r files):
# every one while the run's input is within the page's budget (Settings.review_budget), else those
# whose id hashes below a threshold, budget / input of the hash space. Chosen by id, not by place,
# so that they are the same whatever the worker count and however the input is cut; the rest of
# the page (the figures, the list of documents, every rule's sample) and removals.jsonl and the
# diffs still hold every document. A page for a million documents whole was some 7 GB.
EVERY = 1 << 64  # the threshold that keeps every document


def keep_threshold(budget: int | None, input_bytes: int) -> int:
    """kept_whole's threshold for a run of ``input_bytes`` of input (None: no budget)."""
    if budget is None or input_bytes <= budget:
        return EVERY
    return (budget << 64) // input_bytes


def kept_whole(doc_id: str, keep: int) -> bool:
    """Whether the page keeps document ``doc_id`` whole, under keep_threshold's ``keep``."""
    if keep >= EVERY:
        return True
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") < keep


def _offer(heap: list[Candidate], candidate: Candidate) -> None:
    if len(heap) < SAMPLE:
        heapq.heappush(heap, candidate)
    elif candidate[:3] > heap[0][:3]:
        heapq.heapreplace(heap, candidate)


@dataclass(slots=True)
class Tallies:
    """Per rule or repair label: lines and characters removed, documents acted on, lines
    repaired. A shard counts its documents (``add``) into its trailer; the join adds those up."""

    lines: Counter[str] = field(default_factory=Counter)
    chars: Counter[str] = field(default_factory=Counter)
    docs: Counter[str] = field(default_factory=Counter)
    repaired: Counter[str] = field(default_factory=Counter)

    def add(self, rec: dict[str, Any]) -> None:
        """One changed document's review record (in _diff.c's tally when built: a dozen Counter
        updates a document, each a few lookups and a call in Python)."""
        lines_, docs, chars, repaired = self.lines, self.docs, self.chars, self.repaired
        removed, removed_chars, repaired_by = rec["removed"], rec["removed_chars"], rec["repaired"]
        if _NATIVE is not None and _NATIVE.tally(lines_, chars, docs, repaired, removed, removed_chars, repaired_by):
            return
        for rule, lines in removed.items():
            lines_[rule] += lines
            docs[rule] += 1
        for rule, count in removed_chars.items():  # Counter.update, without its isinstance checks
            chars[rule] += count
        for label, lines in repaired_by.items():
            repaired[label] += lines
            docs[label] += 1

    def trailer(self) -> dict[str, Counter[str]]:
        return {"lines": self.lines, "chars": self.chars, "rule_docs": self.docs, "repaired": self.repaired}

    def update(self, trailer: dict[str, Any]) -> None:
        """A shard's tallies, from its trailer."""
        self.lines.update(trailer["lines"])
        self.chars.update(trailer["chars"])
        self.docs.update(trailer["rule_docs"])
        self.repaired.update(trailer["repaired"])


# Past every document number: a Floors stand-in ranks after any real candidate of its key.
_PAST = 1 << 62


class Floors:
    """Per label, the keys (BLAKE2b, ``sort_key``) of the best SAMPLE sample candidates in the
    shards one process wrote before, so that its next shards offer only what can still win.

    A worker's shards each began with empty sample heaps, so each shard rendered, wrote and
    indexed up to SAMPLE candidates per label again (a run of 37 blocks offered 8 times the
    candidates of one shard, and the join merged them all). A shard's heap instead begins with a
    stand-in per key here, (-key, -_PAST, -_PAST - i, None): one beats a candidate only when its
    key is strictly smaller, so a candidate kept out had SAMPLE distinct candidates of this run,
    each strictly before it in the sample order, and cannot be in the run's sample; ties are
    kept, as the order then goes by document number, which a shard does not know. The stand-ins
    are never written (``ShardPage.finish``). Only for shards of the same run and process, each
    unit cleaned once by it (local.py: a worker's own, made afresh in each worker), so the
    stand-ins are of distinct documents of the run's input; the run's sample is then the same
    whatever the blocks, workers and order (tests/test_pagedata.py)."""

    def __init__(self) -> None:
        self.best: dict[str, list[int]] = {}  # per label, ascending, at most SAMPLE

    def heap(self, label: str) -> list[Candidate]:
        """A new shard's sample heap of ``label``: its stand-ins (a list in ascending order is a heap)."""
        keys = self.best.get(label, ())
        return [(-key, -_PAST, -_PAST - i, None) for i, key in enumerate(reversed(keys))]  # type: ignore[misc]

    def add(self, label: str, keys: Iterable[int]) -> None:
        """A finished shard's candidates of ``label``, by key."""
        self.best[label] = heapq.nsmallest(SAMPLE, [*self.best.get(label, ()), *keys])


class ShardPage:
    """The page file of one shard, written document by document where the shard is cleaned.
    ``floors``: the earlier shards' best sample keys of the process writing it (see Floors)."""

    def __init__(self, out: BinaryIO, removals: BinaryIO, floors: Floors | None = None, keep: int = EVERY):
        self.out = out
        self.removals = removals
        self.floors = floors
        self.keep = keep  # kept_whole's threshold: which documents the page keeps whole
        self.kept = 0  # documents kept whole
        self.index: dict[str, int] = {}
        self.tallies = Tallies()
        self.samples: list[list[Candidate]] = []
        self.count = 0
        self.layout_only = 0

    def _number(self, rule: str, new: list[bytes]) -> int:
        i = self.index.get(rule)
        if i is None:
            i = self.index[rule] = len(self.index)
            self.samples.append([] if self.floors is None else self.floors.heap(rule))
            new.append(b"R" + orjson.dumps(rule) + b"\n")
        return i

    def add(self, rec: dict[str, Any]) -> None:
        """One changed document's review record (review.record_data).

        Each row is turned into JSON once, and the D line, the removals line and every E entry
        are spliced from those bytes (orjson writes a list as "[" items joined by "," "]", and a
        dict the same way): the entries repeat the rows around each removal, and encoding them
        again was most of this step. The bytes are those of encoding each whole, as the plain
        version in tests/test_pagedata.py does (the files are compared byte for byte)."""
        n = self.count
        self.count += 1
        whole = kept_whole(rec["id"], self.keep)
        self.kept += whole
        if _NATIVE is not None:
            # _diff.c's page_record: the page_add call below with its bytes (the L line, the D
            # line's head, the removals line's head, the id's) made in C from the record's
            # fields, and the record tallied there, where most of add's own time went (~4 us of
            # ~6 a bench document); None, with nothing done, for a record of other keys or
            # types, or a label first met here (numbered below).
            t = self.tallies
            got = _NATIVE.page_record(
                rec, n, self.index, self.samples, SAMPLE, review.CONTEXT, t.lines, t.chars, t.docs, t.repaired, whole
            )
            if got is not None:
                page, line, candidates = got
                self.layout_only += candidates is None  # (None: no label acted)
                self.removals.write(line)
                self.out.write(page)
                return
        self.tallies.add(rec)
        new: list[bytes] = []
        removed_chars, repaired = rec["removed_chars"], rec["repaired"]
        acted = {*removed_chars, *repaired}
        index = self.index
        if not index.keys() >= acted:  # a label first met here: its rules numbered first, then the rest by name
            for rule in removed_chars:
                self._number(rule, new)
            for label in sorted(acted):
                self._number(label, new)
        mine = sorted(map(index.__getitem__, acted))  # (no comprehension's frame, once a document)
        doc_id = rec["id"]
        dumps = orjson.dumps
        self.layout_only += not acted
        row = js([doc_id, rec["source"], rec["site"], rec["chars_in"], rec["chars_out"]])[1:-1]
        emptied = rec["emptied"]  # None but for a document that ended up empty
        listed = b"L%b\t%b\t%b\n" % (
            dumps(mine)[1:-1],  # "1,4,7": orjson writes a list of ints as that, in brackets
            row,
            b"null" if emptied is None else js(emptied),
        )
        if tuple(rec) != _REC_KEYS:  # not record_data's: its D line's head made from its keys
            head = dumps({key: rec[key] for key in _DOC_KEYS[:-1]})[:-1] + b',"lines":'
            self._pieces(n, rec, acted, new, listed, head, None, whole)
            return
        # record_data's: the D line's head is its JSON up to "removed"
        body = dumps({**rec, "lines": []})
        head = body[: body.index(b',"removed":')] + b',"lines":'  # (no string holds ,": each " is \")
        if _NATIVE is not None:
            # _diff.c's page_add: the page file's bytes of the document and its removals line, each
            # made in one buffer (the rows' JSON, the entries and page_entries' offers in one call,
            # no copy of either joined on, one write each); None when its rows are not
            # review_rows' tuples, or a label is split into one not numbered (the pieces' way).
            got = _NATIVE.page_add(
                b"".join([*new, listed, b"D", head.replace(b"<", b"\\u003c")]),
                rec["lines"],
                body[:-2],
                bool(acted),
                f"{doc_id}\0".encode(),
                n,
                index,
                self.samples,
                SAMPLE,
                review.CONTEXT,
                True,  # its candidates offered there, after its walk, as _offer_all offers them
                whole,
            )
            if got is not None:
                page, line, _ = got
                self.removals.write(line)
                self.out.write(page)
                return
        self._pieces(n, rec, acted, new, listed, head, body, whole)

    def _pieces(
        self,
        n: int,
        rec: dict[str, Any],
        acted: set[str],
        new: list[bytes],
        listed: bytes,
        head: bytes,
        body: bytes | None,
        whole: bool = True,
    ) -> None:
        """add's writing of a document's rows, entries and removals line, from the JSON of its
        rows (``body``: the record's JSON without them, for record_data's records); without
        ``whole``, its D line's rows are null and it has no E lines (see kept_whole)."""
        doc_id = rec["id"]
        rows = rec["lines"]
        dumps = orjson.dumps
        lines = rows_json(rows)  # not escaped for <script>
        entries: list[bytes] = []
        near = b""  # review.with_context(rows)'s JSON, for removals.jsonl
        # _diff.c's entries and offers in one call (each entry put straight into its E line; the
        # sample heaps only read, the candidates offered here in order): None when the rows are
        # not of a record's shape (every label is numbered above).
        got = None
        if _NATIVE is not None and acted:
            prefix = f"{doc_id}\0".encode()
            got = _NATIVE.page_entries(lines, rows, prefix, n, self.index, self.samples, SAMPLE, review.CONTEXT)
        if got is not None:
            e_lines, near, candidates = got
            entries = [e_lines]
            if candidates:
                self._offer_all(n, candidates)
        elif acted:  # (C not built, or rows not of a record's shape)
            each = [dumps(row) for row in rows]  # each row's JSON
            entries, near_rows = self._entries(n, doc_id, rows, each, new)
            near = b",".join(near_rows)
        if body is not None:
            self.removals.write(b"".join((body[:-2], near, b"]}\n")))  # (near copied once, not twice)
        else:
            self.removals.write(_removals_line(rec, near))
        # Written in pieces: the rows' JSON (most of the D line) and the entries are not copied
        # into one string first (the writer's buffer takes them, or the file a large one).
        out = self.out
        out.write(b"".join([*new, listed, b"D", head.replace(b"<", b"\\u003c")]))
        if not whole:
            out.write(b"null}\n")
            return
        if acted:  # a changed row without its original text, which the document view does not show
            lines = rows_json([row[:4] for row in rows])
        out.write(lines.replace(b"<", b"\\u003c"))
        out.write(b"}\n")
        out.writelines(entries)

    def _entries(
        self, n: int, doc_id: str, rows: list[Any], whole: list[bytes], new: list[bytes]
    ) -> tuple[list[bytes], list[bytes]]:
        """The E lines of a document's acted rows (offered to their labels' samples), and the
        JSON of the rows removals.jsonl keeps (with_context's)."""
        dumps = orjson.dumps
        # r[:4] of each row: a changed row's JSON without its last item (its original text).
        short = [j if len(r) == 4 else j[: -len(dumps(r[4])) - 2] + b"]" for r, j in zip(rows, whole, strict=True)]
        prefix = f"{doc_id}\0".encode()
        context, dropped, kept = review.CONTEXT, review.DROPPED, review.KEPT
        size = len(rows)
        entries: list[bytes] = []
        near: list[bytes] = []
        taken = 0  # rows before this one are in near, or left out
        for i, row in enumerate(rows):
            fate = row[1]
            if fate == kept:
                continue
            lo, hi = max(i - context, 0), min(i + context + 1, size)
            if hi > taken:
                near += whole[max(lo, taken) : hi]
                taken = hi
            no = row[0]
            if fate == dropped:
                text, last, labels = row[3], b"null", [row[2]]
            else:  # a changed row is judged on its own text, before and after: no context
                text, last, labels = review.edit(row[4], row[3]), dumps(row[3]), row[2].split("+")
                lo, hi = i, i + 1
            rest = b"".join(
                [
                    b"%d," % no,
                    dumps(text),
                    b",[",
                    b",".join(short[lo:i]),
                    b"],[",
                    b",".join(short[i + 1 : hi]),
                    b"],",
                    last,
                    b"]",
                ]
            ).replace(b"<", b"\\u003c")  # js(entry) without its "[": "[n," is the join's to write
            self._labelled(prefix, labels, n, rows, i, rest, new, entries)
        return entries, near

    def _offer_all(self, n: int, candidates: list[tuple[int, int, int, list[Any]]]) -> None:
        """page_entries' candidates of document ``n`` (label number, row, key, entry), offered in
        order: each is checked again, as the ones before it may have filled its heap."""
        samples = self.samples
        for i_label, _, key, entry in candidates:
            heap = samples[i_label]
            no = entry[1]
            if len(heap) < SAMPLE or (key, -n, -no) > heap[0][:3]:
                _offer(heap, (key, -n, -no, entry))

    def _labelled(
        self,
        prefix: bytes,
        labels: list[str],
        n: int,
        rows: list[Any],
        i: int,
        rest: bytes,
        new: list[bytes],
        entries: list[bytes],
    ) -> None:
        """Row ``i``'s E line under each of its labels (numbered when new) onto ``entries``, the
        row offered to each label's sample under its key: BLAKE2b of the document and line number."""
        digest = hashlib.blake2b(prefix + b"%d" % rows[i][0], digest_size=8).digest()
        key = -int.from_bytes(digest, "big")
        for label in labels:
            i_label = self.index.get(label)
            if i_label is None:
                i_label = self._number(label, new)
            self._sample(i_label, key, n, rows, i)
            entries += (b"E%d\t" % i_label, rest, b"\n")

    def _sample(self, i_label: int, key: int, n: int, rows: list[Any], i: int) -> None:
        """Offer document ``n``'s row ``i`` to label ``i_label``'s sample; its entry (the row with
        its context) is made only when the heap takes it."""
        heap = self.samples[i_label]
        row = rows[i]
        no = row[0]
        if len(heap) < SAMPLE or (key, -n, -no) > heap[0][:3]:
            context = review.CONTEXT if row[1] == review.DROPPED else 0  # (no context for a changed row)
            lo, hi = max(i - context, 0), min(i + context + 1, len(rows))
            before = [r[:4] for r in rows[lo:i]]
            after = [r[:4] for r in rows[i + 1 : hi]]
            text, changed = (row[3], None) if row[1] == review.DROPPED else (review.edit(row[4], row[3]), row[3])
            _offer(heap, (key, -n, -no, [n, no, text, before, after, changed]))

    def finish(self) -> None:
        """The shard is complete: its figures and the index of its sample candidates, the T line,
        then the candidates' entries (see ``Joiner._trailer``: the join reads only the index, and
        at its end the entries of the candidates that won).

        Per rule number, best first, each candidate is indexed as [key, document (numbered in
        the shard), line, start, length]: its entry, js(entry), is at ``start`` from the first
        entry and ``length`` bytes long, followed by a newline (the join renumbers its document)."""
        index: list[list[list[int]]] = []
        entries: list[bytes] = []
        start = 0
        floors = self.floors
        for rule, heap in zip(self.index, self.samples, strict=True):
            ranked = sorted([c for c in heap if c[3] is not None], reverse=True)  # not Floors' stand-ins
            if floors is not None:
                floors.add(rule, [-c[0] for c in ranked])
            made = [js(c[3]) for c in ranked]
            row = []
            for (key, n, no, _), entry in zip(ranked, made, strict=True):
                row.append([-key, -n, -no, start, len(entry)])
                start += len(entry) + 1
            index.append(row)
            entries += made
        trailer = {
            "docs": self.count,
            "whole": self.kept,
            "layout_only": self.layout_only,
            **self.tallies.trailer(),
            "samples": index,
        }
        # Where the entries begin in the file, which the T line says: its digits are part of its
        # own length, so they are counted until the two agree (once more at most).
        head = b"T" + orjson.dumps(trailer)[:-1] + b',"at":'
        where = self.out.tell() + len(head) + 2  # and "}\n"
        at = where + 1
        while where + len(b"%d" % at) != at:
            at = where + len(b"%d" % at)
        self.out.write(head + b"%d}\n" % at)
        if entries:
            entries.append(b"")  # each entry followed by its newline, in one copy
            self.out.write(b"\n".join(entries))


class _Removals:
    """r<rule>-<part>.js: every removal of each rule, PART per file, appended BUFFERED at a time.

    A rule's removals wait in one bytearray, each as ``[<document>,<the rest>`` and a newline
    (JSON holds none), so the join's C half (_diff.c's join) appends them without a Python object
    per removal, and a flush finds PART of them by their newlines."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.written: Counter[int] = Counter()  # removals written per rule number
        self.sinks: list[bytearray] = []  # per rule number: its removals not written yet
        self.buffered = 0

    def add(self, i: int, prefix: bytes, rest: bytes) -> None:
        sink = self.sinks[i]
        sink += prefix
        sink += rest
        sink += b"\n"
        self.buffered += 1
        if self.buffered >= BUFFERED:
            self.flush()

    def flush(self) -> None:
        cut = _cut if _NATIVE is None else _NATIVE.cut
        for i, sink in enumerate(self.sinks):
            start = 0
            while start < len(sink):
                part, filled = divmod(self.written[i], PART)
                end, taken = cut(sink, start, PART - filled)
                if not taken:  # an entry without its newline: none is (add and join end each)
                    break
                with (self.directory / f"r{i}-{part}.js").open("ab") as out, memoryview(sink) as view:
                    out.write(b"cleanerLoaded('r',[%d,%d,[" % (i, part))
                    out.write(view[start : end - 1])
                    out.write(b"]]);\n")
                self.written[i] += taken
                start = end
            _empty(sink)
        self.buffered = 0


def _empty(array: bytearray) -> None:
    """``array`` emptied for the next flush's bytes: its allocation kept in C (_diff.c's empty;
    bytearray.clear hands it back, and taking it again was a page fault per 4 KB the join wrote).
    One that held nothing since the last flush hands it back: a rule no longer met (a corpus in
    order of site meets each site's rules in turn) keeps no memory, so what is kept is at most
    about the bytes of one flush, whatever the run's length and number of rules."""
    if _NATIVE is None:
        array.clear()
    elif array:
        _NATIVE.empty(array)
    else:  # idle since the last flush: its room handed back (clear() of an empty one keeps it)
        array.append(0)
        array.clear()


def _cut(sink: bytearray, start: int, count: int) -> tuple[int, int]:
    """Up to ``count`` of the entries of ``sink`` from ``start`` (each ends with a newline), the
    newlines between them made commas in place: where they end (sink[start:end - 1] is them,
    joined by ","); how many they are."""
    end, taken = start, 0
    while taken < count and (newline := sink.find(b"\n", end)) >= 0:
        if taken:
            sink[end - 1] = 44  # ","
        end = newline + 1
        taken += 1
    return end, taken


class _Chunks:
    """Numbered files of ``size`` items each (JSON text): cleanerLoaded(kind, [chunk, items])."""

    def __init__(self, directory: Path, kind: str, size: int):
        self.directory, self.kind, self.size = directory, kind, size
        self.pieces = bytearray()  # "," and the item, per item (appended by _diff.c's join too)
        self.pending = 0  # items in pieces
        self.count = 0  # items written before them

    def add(self, item: bytes) -> None:
        self.pieces += b","
        self.pieces += item
        self.added(1)

    def added(self, items: int) -> None:
        """``items`` were appended to pieces: write the chunk when it is full."""
        self.pending += items
        if self.pending >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            chunk = self.count // self.size
            with (self.directory / f"{self.kind}{chunk}.js").open("wb") as out, memoryview(self.pieces) as view:
                out.write(b"cleanerLoaded('%s',[%d,[" % (self.kind.encode(), chunk))
                out.write(view[1:])
                out.write(b"]]);\n")
            self.count += self.pending
            _empty(self.pieces)
            self.pending = 0


class Joiner:
    """The run's page data from its shards' page files, in input order: review/ (html.write_page
    joins their removals files)."""

    def __init__(self, directory: Path):
        self.index: dict[str, int] = {}
        self.tallies = Tallies()
        self.samples: dict[int, list[Indexed]] = {}
        self.entries = _Removals(directory)
        self.listing = _Chunks(directory, "l", LIST)
        self.whole = _Chunks(directory, "d", DOCS)
        self.directory = directory
        self.total = 0
        self.kept = 0  # documents kept whole (kept_whole)
        self.layout_only = 0
        self._ended = False  # the page file being read is at its T line: the rest is its sample
        self.pages: list[Path] = []  # the page files added, in order

    def _number(self, rule: str) -> int:
        if rule not in self.index:
            self.index[rule] = len(self.index)
            self.entries.sinks.append(bytearray())
        return self.index[rule]

    def add(self, path: Path) -> None:
        """One shard's page file."""
        numbers: list[int] = []  # the shard's rule number -> the run's
        base = self.total
        n = base - 1
        self._ended = False
        self.pages.append(path)
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size:
                with _mapped(handle, size) as block:
                    n = self._lines(path, block, 0, size, n, numbers, base)
        self.total = n + 1

    def _lines(
        self, path: Path, block: bytes | mmap.mmap, pos: int, stop: int, n: int, numbers: list[int], base: int
    ) -> int:
        """The lines of block[pos:stop] (each with its newline, but for a file's last): the
        document number ``n`` they leave."""
        released = 0  # the mapped pages before this are handed back
        with memoryview(block)[:stop] as view:
            while pos < stop and not self._ended:
                flushed = False
                if _NATIVE is not None:  # E, L and D lines, up to a line of another kind or a flush
                    pos, n, flushed = self._native(view, pos, n, numbers)
                # After a flush the next line is the C half's again: Python's appending to a sink
                # (bytearray +=) moved its kept room down to its size, to be taken again.
                if not flushed and pos < stop:
                    end = block.find(b"\n", pos, stop) + 1 or stop
                    n = self._line(path, block[pos:end], n, numbers, base)
                    pos = end
                if pos - released >= RELEASE and isinstance(block, mmap.mmap):
                    released = _release(block, released, pos)
        return n

    def _native(self, block: memoryview, pos: int, n: int, numbers: list[int]) -> tuple[int, int, bool]:
        """_diff.c's join: the lines from ``pos`` as _line adds them, until a line it leaves to
        _line or a file to write (BUFFERED removals, a full chunk); whether it stopped for the
        latter (each room is at least 1: it took a line), so that it reads the next line too."""
        assert _NATIVE is not None
        entries, listing, whole = self.entries, self.listing, self.whole
        room = (BUFFERED - entries.buffered, listing.size - listing.pending, whole.size - whole.pending)
        pos, n, added, listed, wholes = _NATIVE.join(
            block, pos, n, numbers, entries.sinks, listing.pieces, whole.pieces, *room
        )
        entries.buffered += added
        if entries.buffered >= BUFFERED:
            entries.flush()
        full = added >= room[0] or listed >= room[1] or wholes >= room[2]
        listing.added(listed)
        whole.added(wholes)
        return pos, n, full

    def _line(self, path: Path, line: bytes, n: int, numbers: list[int], base: int) -> int:
        """One line of a page file (with its newline, but for a file's last): the document
        number ``n`` it leaves."""
        tag = line[0]
        if tag == 69:  # E
            tab = line.index(b"\t")
            self.entries.add(numbers[int(line[1:tab])], b"[%d," % n, line[tab + 1 : -1])
        elif tag == 76:  # L
            n += 1
            mine, row, emptied = line[1:-1].split(b"\t")
            rules = _renumber(mine, numbers) if mine else b""
            self.listing.add(b"[%d,%s,[%s],%s]" % (n, row, rules, emptied))
        elif tag == 68:  # D
            self.whole.add(line[1:-1])
        elif tag == 82:  # R
            numbers.append(self._number(orjson.loads(line[1:])))
        elif tag == 84:  # T: the shard's last line but for its sample's entries, read only if chosen
            self._trailer(orjson.loads(line[1:]), numbers, base)
            self._ended = True
        else:  # a work directory damaged by something else: its shards cannot be trusted
            raise OutputError(f"{path}: not a page file of this cleaner ({line[:20]!r}); run again without --resume")
        return n

    def _trailer(self, trailer: dict[str, Any], numbers: list[int], base: int) -> None:
        self.tallies.update(trailer)
        self.kept += trailer["whole"]
        self.layout_only += trailer["layout_only"]
        at = trailer["at"]
        page = len(self.pages) - 1
        for mine, candidates in enumerate(trailer["samples"]):
            if not candidates:
                continue
            heap = self.samples.setdefault(numbers[mine], [])
            # Best first (ShardPage.finish sorts them; adding base keeps the order): once the
            # full heap refuses one, it refuses the rest, and their tuples are not made. Only
            # where its entry is is kept: the winners' are read at the end (finish).
            for key, n, no, start, length in candidates:
                candidate = (-key, -(n + base), -no, (page, at + start, length))
                if len(heap) < SAMPLE:
                    heapq.heappush(heap, candidate)
                elif candidate[:3] > heap[0][:3]:
                    heapq.heapreplace(heap, candidate)
                else:
                    break

    def finish(self) -> dict[str, Any]:
        """Write the rest of review/; the page's own data."""
        self.entries.flush()
        chosen = {i: sorted(heap, key=lambda c: (c[1], c[2]), reverse=True) for i, heap in self.samples.items()}
        rests = _read_entries(self.pages, (c[3] for heap in chosen.values() for c in heap))
        for i, heap in chosen.items():  # in document order, then line; each entry renumbered
            items = b",".join([b"[%d,%s" % (-c[1], _after_document(rests[c[3]])) for c in heap])
            # Written as the other review/ files are, not each synced and renamed into place
            # (a fsync each, at the run's end): review/ is in the staged report, which a run
            # that is stopped builds again, and which is published whole (workdir.py).
            with (self.directory / f"s{i}.js").open("wb") as out:
                out.write(b"cleanerLoaded('s',[%d,[%s]]);\n" % (i, items))
        self.listing.flush()
        self.whole.flush()
        return {
            "documents": self.total,
            "whole": self.kept,
            "layout_only": self.layout_only,
            "rules": self._table(),
            "sizes": {"sample": SAMPLE, "part": PART, "list": LIST, "docs": DOCS},
            "dir": DATA_DIR,
        }

    def _table(self) -> list[dict[str, Any]]:
        rows = []
        written = self.entries.written
        tallies = self.tallies
        for rule, i in self.index.items():
            removed = rule in tallies.chars
            rows.append(
                {
                    "i": i,
                    "rule": rule,
                    "kind": "removed" if removed else "changed",
                    "lines": tallies.lines[rule] if removed else tallies.repaired[rule],
                    "chars": tallies.chars[rule],
                    "docs": tallies.docs[rule],
                    "entries": written[i],
                    "parts": -(-written[i] // PART),
                }
            )
        rows.sort(key=lambda r: (r["kind"] != "removed", -r["chars"], -r["lines"], r["rule"]))
        return rows


@contextmanager
def _mapped(handle: BinaryIO, size: int) -> Iterator[bytes | mmap.mmap]:
    """The file's bytes where the kernel has them (no copy), or read where it cannot map them."""
    try:
        mapped = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # a file system that does not map files
        yield handle.read()
        return
    with mapped:
        yield mapped


def _release(block: mmap.mmap, start: int, pos: int) -> int:
    """Hand back the mapped pages of ``block`` from ``start`` to ``pos`` (read and done with):
    a page file's pages would otherwise all count in the main process's memory, which then grew
    with the corpus (a one-worker run's single page file of 50,000 documents: 600 MB). Where the
    OS cannot be told, they stay until the file is unmapped. Where the next one starts."""
    end = pos - pos % mmap.PAGESIZE
    if _DONT_NEED is not None and end > start:
        block.madvise(_DONT_NEED, start, end - start)
    return end


def _read_entries(pages: list[Path], places: Iterable[Where]) -> dict[Where, bytes]:
    """The sample entries at ``places`` in their page files (each file opened once, read in order)."""
    got: dict[Where, bytes] = {}
    handle: BinaryIO | None = None
    opened = -1
    try:
        for place in sorted(set(places)):
            page, start, length = place
            path = pages[page]
            if page != opened:
                if handle is not None:
                    handle.close()
                handle, opened = path.open("rb"), page
            handle.seek(start)
            data = handle.read(length + 1)
            if len(data) != length + 1 or data[-1] != 10:  # each entry ends with its newline
                raise OutputError(f"{path}: its sample is not where its T line says; run again without --resume")
            got[place] = data[:-1]
    finally:
        if handle is not None:
            handle.close()
    return got


def _after_document(entry: bytes) -> bytes:
    """A sample entry's JSON after its "[<document>," (what the join renumbers)."""
    return entry[entry.index(b",") + 1 :]


def _renumber(mine: bytes, numbers: list[int]) -> bytes:
    """A document's rules, given by its shard's numbers, by the run's (sorted, as JSON text)."""
    return b",".join(b"%d" % i for i in sorted(numbers[int(i)] for i in mine.split(b",")))


def _removals_line(rec: dict[str, Any], near: bytes) -> bytes:
    """review.removals_line(rec), given the JSON of its rows with_context keeps."""
    if next(reversed(rec)) != "lines":  # not a record_data record: "lines" is not where it splices
        return review.removals_line(rec)
    return orjson.dumps({**rec, "lines": []})[:-2] + near + b"]}\n"


def removals_file(page: Path) -> Path:
    """The removals file beside a page file."""
    return page.with_suffix(".removals")


def page_files(records: Iterable[dict[str, Any]], path: Path, floors: Floors | None = None, keep: int = EVERY) -> None:
    """Write a page file of ``records`` (review.record_data) to ``path``, and its removals file:
    for tests and tools."""
    with path.open("wb") as out, removals_file(path).open("wb") as removals:
        page = ShardPage(out, removals, floors, keep)
        for rec in records:
            page.add(rec)
        page.finish()
