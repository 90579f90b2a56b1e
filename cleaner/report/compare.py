"""What a rule change does to a corpus: two runs' ``removals.jsonl`` joined by document id.

Reads run outputs only; never cleans. Each line's *fate* in a run is what acted on it: removed
by a rule (``-``), rewritten by a replace rule or a repair (``~``), or nothing. A line whose fate
differs between the runs is a change, counted for the rule that acts on it after (newly removed)
and for the rule that acted before (no longer removed). Documents are compared by characters
kept: newly emptied, newly flagged (lost more than ``flag_share`` of their characters).

A document is matched by its id; documents that share an id in either run (a record's id 5 and
another's "5", whose ids are both "5"; an id said twice; two WARC records of one WARC-Record-ID)
are matched by their id and source (``file:line``), so that one changed in one run only is never
compared with another of its id that changed in the other (``_keyed``).

removals.jsonl lists only the documents a run changed, so a document absent from it was either
kept whole or not in the run at all. The document sets are read from each run's output (named
by its report's marker) and its emptied documents: a document only one run cleaned is counted
apart (``docs_only_base``, ``docs_only_new``), never put down to a rule.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import zstandard

from cleaner.errors import UsageError
from cleaner.io import parquet
from cleaner.io.readers import REPORT_MARKER, open_jsonl, read_marker
from cleaner.records import id_text
from cleaner.repeated.boilerplate import Thresholds
from cleaner.report import review

SAMPLES = 50  # sample lines kept per rule (the Markdown shows fewer)
FLAG_SHARE = 0.5
_PROSE = Thresholds()

Fate = tuple[str, str] | None  # (kind, tag) or None when nothing acted on the line


@dataclass(slots=True)
class ContextLine:
    no: int
    text: str
    before: str | None  # "-rule" / "~label" / None
    after: str | None


@dataclass(slots=True)
class Sample:
    id: str
    source: str
    no: int
    text: str
    before: str | None
    after: str | None
    prose: bool
    context: list[ContextLine]


@dataclass(slots=True)
class RuleChange:
    rule: str
    newly_removed: int = 0  # lines this rule removes now and did not before (kept, or removed by another)
    no_longer_removed: int = 0  # lines it removed before and does not now
    chars_newly_removed: int = 0
    chars_no_longer_removed: int = 0
    prose_newly_removed: int = 0  # newly removed lines that look like sentences
    newly_rewritten: int = 0  # lines kept in both runs that this rule (a replace rule, a repair) now rewrites
    no_longer_rewritten: int = 0
    docs_newly_emptied: int = 0
    docs_newly_flagged: int = 0
    docs: int = 0  # documents where this rule's work changed
    samples: list[Sample] = field(default_factory=list)

    def risk(self) -> tuple[int, ...]:
        return (
            -self.prose_newly_removed,
            -(self.docs_newly_emptied + self.docs_newly_flagged),
            -self.chars_newly_removed,
            -self.newly_removed,
            -self.no_longer_removed,
            -(self.newly_rewritten + self.no_longer_rewritten),
        )


@dataclass(slots=True)
class DocChange:
    id: str
    source: str
    before: str  # "kept" / "flagged" / "emptied"
    after: str
    lost_before: float
    lost_after: float
    rule: str | None  # what the change is put down to


@dataclass(slots=True)
class Comparison:
    base: str
    new: str
    flag_share: float
    docs_compared: int = 0  # documents changed in either run
    docs_differing: int = 0  # ... whose lines or clean length differ between the runs
    lines_newly_removed: int = 0
    lines_no_longer_removed: int = 0
    lines_moved: int = 0  # removed in both runs, by another rule
    rules: list[RuleChange] = field(default_factory=list)
    documents: list[DocChange] = field(default_factory=list)
    more_documents: int = 0
    # Documents only one run cleaned (added to or removed from the corpus): not rule changes.
    # None when a run's output could not be found (its report has no marker naming it): the
    # document sets are then not compared, and a document missing from one run's removals.jsonl
    # is taken as kept whole by it.
    docs_only_base: int | None = None
    docs_only_new: int | None = None

    @property
    def changed(self) -> bool:
        return self.docs_differing > 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["changed"] = self.changed
        return data


def _fates(rec: dict[str, Any] | None) -> dict[int, tuple[str, str]]:
    if rec is None:
        return {}
    return {row[0]: (row[1], row[2]) for row in rec["lines"] if row[1] != review.KEPT}


def _label(fate: Fate) -> str | None:
    return None if fate is None else fate[0] + fate[1]


def _state(rec: dict[str, Any] | None, flag_share: float) -> tuple[str, float]:
    if rec is None or not rec["chars_in"]:
        return "kept", 0.0
    lost = (rec["chars_in"] - rec["chars_out"]) / rec["chars_in"]
    if rec["emptied"] is not None:
        return "emptied", round(lost, 3)
    return ("flagged" if lost > flag_share else "kept"), round(lost, 3)


def _original(row: list[Any]) -> str:
    return row[4] if row[1] == review.CHANGED else row[3]


def _sample_key(doc_id: str, no: int) -> bytes:
    return hashlib.blake2b(f"{doc_id}\0{no}".encode(), digest_size=8).digest()


class _Collector:
    def __init__(self, flag_share: float):
        self.flag_share = flag_share
        self.rules: dict[str, RuleChange] = {}
        self.samples: dict[str, list[tuple[bytes, Sample]]] = {}

    def rule(self, rule: str) -> RuleChange:
        if rule not in self.rules:
            self.rules[rule] = RuleChange(rule)
        return self.rules[rule]

    def sample(self, rule: str, key: bytes, make: Any) -> None:
        kept = self.samples.setdefault(rule, [])
        if len(kept) < SAMPLES or key < kept[-1][0]:
            kept.append((key, make()))
            kept.sort(key=lambda pair: pair[0])
            del kept[SAMPLES:]


def _output(path: Path, removals: Path) -> Path | None:
    """The clean output of the run given as ``path`` (its removals.jsonl is ``removals``): the
    file itself, else what its report's marker names, else ``clean.jsonl`` beside a ``reports/``
    without a marker; None otherwise."""
    if path.is_file():
        return path
    named = read_marker(removals.parent / REPORT_MARKER).get("out")
    if not isinstance(named, str):
        # A report without its marker (tests/golden): the output of the usual layout, beside it.
        beside = removals.parent.parent / "clean.jsonl"
        return beside if removals.parent.name == "reports" and beside.is_file() else None
    out = Path(os.path.normpath(removals.parent / named))  # (lexical, as the marker's relpath was made)
    return out if out.is_file() else None


def _id_hashes(ids: Iterator[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids as sorted 64-bit hashes: 8 bytes a document, so the ids of millions of
    documents are compared without holding them as strings (``hash`` of a str is the same for
    both runs within this process; a collision, about 1 in 10^19 per pair, could hide one
    added document), and how many documents have each."""
    found, counts = np.unique(np.fromiter((hash(doc_id) for doc_id in ids), dtype=np.int64), return_counts=True)
    return found, counts


@dataclass(frozen=True, slots=True)
class _RunIds:
    found: np.ndarray | None  # the hashed ids of the documents the run cleaned; None: not known
    counts: np.ndarray | None  # how many of them have each (None with found)
    shared: np.ndarray  # the hashed ids two or more of them have (of its changed ones, when found is None)

    def only(self, other: _RunIds) -> int:
        """How many of this run's documents the other run did not clean: of an id both runs
        have, those past the other's count (an id said twice in one run, once in the other, is
        one document more). Both sets known."""
        assert self.found is not None and self.counts is not None
        assert other.found is not None and other.counts is not None
        _, mine, theirs = np.intersect1d(self.found, other.found, assume_unique=True, return_indices=True)
        there = np.zeros_like(self.counts)
        there[mine] = other.counts[theirs]
        return int(np.maximum(self.counts - there, 0).sum())


class _NoIds(Exception):
    """The output's records do not carry the documents' ids under the run's id field."""


def _id_field(removals: Path) -> str:
    """The field the run read the documents' ids from (its report's marker says; ``id`` for a
    marker of an older cleaner): its output records hold each document's id there."""
    return marked_id_field(removals) or "id"


def marked_id_field(removals: Path) -> str | None:
    """The id field the run's report marker records; None for a marker of an older cleaner (or none)."""
    field = read_marker(removals.parent / REPORT_MARKER).get("id_field")
    return field if isinstance(field, str) else None


def check_id_fields(base: object, base_field: str | None, new: object, new_field: str | None) -> None:
    """UsageError when both runs name their id fields and the fields differ: a document's id in
    one run is another value in the other, so no document could be matched (every one would be
    "only in BASE" and "only in NEW", and the comparison would say nothing changed). A run whose
    marker names none (an older cleaner) is compared as before."""
    if base_field is not None and new_field is not None and base_field != new_field:
        raise UsageError(
            f"{base} and {new} used different id fields ('{base_field}' and '{new_field}'): "
            "their documents cannot be matched; compare runs cleaned with the same --id-field"
        )


def _doc_id(value: Any, fallback: Any) -> str:
    """A record's id as the reader made it the document's (records.id_text of the value: a string
    as it is, another JSON value as its JSON text); a record without the run's id field is of a
    text file, a page or a WARC record, whose id is written under ``id`` whatever --id-field says
    (records.plain): ``fallback``."""
    if value is None:
        value = fallback
        if value is None:
            raise _NoIds
    return value if type(value) is str else id_text(value)


def _record_ids(out: Path, field: str) -> Iterator[str]:
    """The documents' ids of a JSONL output's records."""
    with open_jsonl(out) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise UsageError(f"{out}:{number}: not a cleaner output record: {exc}") from None
            if type(record) is not dict:
                raise UsageError(f"{out}:{number}: not a cleaner output record: not an object")
            yield _doc_id(record.get(field), record.get("id"))


def _parquet_ids(out: Path, field: str) -> Iterator[str]:
    """The documents' ids of a Parquet output's rows."""
    rows = parquet.columns(out, [field, "id"])
    if rows is None:
        raise _NoIds
    return (_doc_id(value, fallback) for value, fallback in rows)


def _run_ids(path: Path, removals: Path) -> _RunIds:
    """The hashed ids of the documents the run cleaned: its output's records (JSONL or Parquet, each
    id where the run's id field is) and the documents it emptied (in no output, always in
    removals.jsonl), with those two or more documents share. ``found`` is None if its output is
    not found, or if its records' ids are not the ids its removals.jsonl names: every document a
    run changed is among those it cleaned, so a set missing one of them is some other field, which
    would make documents look absent and their rule changes vanish; the shared ids are then those
    of its changed documents."""
    changed, counts = _id_hashes(rec["id"] for rec in review.load_removals(removals))
    unknown = _RunIds(None, None, changed[counts > 1])
    out = _output(path, removals)
    if out is None:
        return unknown
    field = _id_field(removals)
    if out.name.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst")):
        records = _record_ids(out, field)
    elif out.name.endswith(parquet.SUFFIXES):
        try:
            records = _parquet_ids(out, field)
        except (UsageError, _NoIds):  # no pyarrow here, or no such column: the sets are not compared
            return unknown
        except (OSError, ValueError) as exc:  # (a file pyarrow cannot open: its ArrowInvalid is a ValueError)
            raise UsageError(f"{out}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    else:
        return unknown

    def ids() -> Iterator[Any]:
        yield from records
        for rec in review.load_removals(removals):
            if rec["emptied"] is not None:
                yield rec["id"]

    try:
        found, counts = _id_hashes(ids())
    except _NoIds:
        return unknown
    except (OSError, ValueError, EOFError, zlib.error, zstandard.ZstdError) as exc:  # (a file cut short, corrupt)
        raise UsageError(f"{out}: cannot read: {getattr(exc, 'strerror', None) or exc or type(exc).__name__}") from None
    return _RunIds(found, counts, found[counts > 1]) if np.isin(changed, found, assume_unique=True).all() else unknown


def _keyed(records: Iterator[dict[str, Any]], shared: set[int]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each removals record with the key it is matched by in the other run: its id, or, for an id
    two or more documents have in either run (``shared``, hashed), its id and source, and which
    of its id and source it is (a WARC whose records share an id and a source). Matched by the
    order of the documents of an id instead, a document changed in one run only was compared with
    another of its id changed in the other (5 and "5": a removal by one rule put down as another's)."""
    seen: dict[tuple[str, str], int] = {}
    for rec in records:
        doc_id = rec["id"]
        if hash(doc_id) not in shared:
            yield doc_id, rec
            continue
        where = (doc_id, rec["source"])
        count = seen.get(where, 0)
        seen[where] = count + 1
        yield (*where, count), rec


def _absent(ids: np.ndarray | None, doc_id: Any) -> bool:
    """Whether the run of ``ids`` is known not to have had the document."""
    if ids is None:
        return False
    at = int(np.searchsorted(ids, hash(doc_id)))
    return at == len(ids) or int(ids[at]) != hash(doc_id)


def compare(base_path: Path, new_path: Path, flag_share: float = FLAG_SHARE, max_documents: int = 200) -> Comparison:
    """Compare two run outputs (report dir, output dir or clean JSONL of each)."""
    base_file, new_file = review.removals_path(base_path), review.removals_path(new_path)
    check_id_fields(base_path, marked_id_field(base_file), new_path, marked_id_field(new_file))
    result = Comparison(str(base_path), str(new_path), flag_share)
    base_run, new_run = _run_ids(base_path, base_file), _run_ids(new_path, new_file)
    base_ids, new_ids = base_run.found, new_run.found
    if base_ids is not None and new_ids is not None:
        result.docs_only_base = base_run.only(new_run)
        result.docs_only_new = new_run.only(base_run)
    else:
        base_ids = new_ids = None  # both sets or neither: one alone says nothing of the other
    shared = set(np.union1d(base_run.shared, new_run.shared).tolist())
    base = dict(_keyed(review.load_removals(base_file), shared))
    collector = _Collector(flag_share)
    for key, new in _keyed(review.load_removals(new_file), shared):
        old = base.pop(key, None)
        if old is None and _absent(base_ids, new["id"]):
            continue  # a document only the new run had: counted in docs_only_new
        _document(result, collector, old, new)
    for old in base.values():  # changed only in the base run
        if not _absent(new_ids, old["id"]):  # (else only the base run had it: docs_only_base)
            _document(result, collector, old, None)
    for rule, kept in collector.samples.items():
        samples = [sample for _, sample in kept]
        samples.sort(key=lambda s: (s.id, s.no))
        collector.rules[rule].samples = samples
    result.rules = sorted(collector.rules.values(), key=lambda r: (r.risk(), r.rule))
    result.documents.sort(key=lambda d: (d.after != "emptied", -(d.lost_after - d.lost_before), d.id))
    result.more_documents = max(len(result.documents) - max_documents, 0)
    del result.documents[max_documents:]
    return result


def _document(
    result: Comparison, collector: _Collector, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> None:
    result.docs_compared += 1
    either = new if new is not None else old
    assert either is not None
    before, after = _fates(old), _fates(new)
    rows = {row[0]: row for rec in (old, new) if rec is not None for row in rec["lines"]}
    numbers = [row[0] for row in sorted(rows.values(), key=lambda r: r[0])]
    touched: set[str] = set()
    newly: dict[str, int] = {}
    for position, no in enumerate(numbers):
        was, now = before.get(no), after.get(no)
        if was == now:
            continue
        text = _original(rows[no])
        removed_now = now is not None and now[0] == review.DROPPED
        removed_was = was is not None and was[0] == review.DROPPED
        if removed_now and not removed_was:
            result.lines_newly_removed += 1
        elif removed_was and not removed_now:
            result.lines_no_longer_removed += 1
        elif removed_now and removed_was:
            result.lines_moved += 1
        prose = _PROSE.is_prose(text)

        def make(
            no: int = no, position: int = position, was: Fate = was, now: Fate = now, prose: bool = prose
        ) -> Sample:
            around = numbers[max(position - review.CONTEXT, 0) : position + review.CONTEXT + 1]
            context = [ContextLine(n, _original(rows[n]), _label(before.get(n)), _label(after.get(n))) for n in around]
            return Sample(
                either["id"], either["source"], no, _original(rows[no]), _label(was), _label(now), prose, context
            )

        key = _sample_key(either["id"], no)
        if removed_now or removed_was:  # a removal changed: put it down to the removal rules only
            gained = [now[1]] if removed_now and now != was else []  # type: ignore[index]
            lost = [was[1]] if removed_was and now != was else []  # type: ignore[index]
        else:  # both rewrite (or keep) the line: the labels that differ
            labels_was = set(was[1].split("+")) if was is not None else set()
            labels_now = set(now[1].split("+")) if now is not None else set()
            gained, lost = sorted(labels_now - labels_was), sorted(labels_was - labels_now)
        for label in gained:
            change = collector.rule(label)
            if removed_now:
                change.newly_removed += 1
                change.chars_newly_removed += len(text)
                change.prose_newly_removed += prose and not removed_was
                newly[label] = newly.get(label, 0) + len(text)
            else:
                change.newly_rewritten += 1
        for label in lost:
            change = collector.rule(label)
            if removed_was:
                change.no_longer_removed += 1
                change.chars_no_longer_removed += len(text)
            else:
                change.no_longer_rewritten += 1
        for label in (*gained, *lost):
            touched.add(label)
            collector.sample(label, key, make)
    state_before, lost_before = _state(old, collector.flag_share)
    state_after, lost_after = _state(new, collector.flag_share)
    chars_differ = (old or {}).get("chars_out", either["chars_in"]) != (new or {}).get("chars_out", either["chars_in"])
    if touched or chars_differ or state_before != state_after:
        result.docs_differing += 1
    for label in touched:
        collector.rule(label).docs += 1
    if state_before != state_after:
        culprit = max(sorted(newly), key=newly.__getitem__) if newly else None
        if culprit is None and new is not None and new["emptied"] not in (None, "empty-input"):
            culprit = new["emptied"]
        if culprit is not None and state_after in ("emptied", "flagged"):
            change = collector.rule(culprit)
            if state_after == "emptied":
                change.docs_newly_emptied += 1
            else:
                change.docs_newly_flagged += 1
        result.documents.append(
            DocChange(either["id"], either["source"], state_before, state_after, lost_before, lost_after, culprit)
        )
