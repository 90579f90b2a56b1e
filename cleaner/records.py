"""The output record: the input record with its text cleaned in place and cleaner's keys added.

One function, ``build``, makes the record for the command line (every input format) and for the
Python API (``Cleaner.clean_records``), so both write the same thing (README, "What a run writes"):

- every field of the input record comes out unchanged and in its place, except the text field,
  which holds the clean text under its own name (unless the text came from another field, an
  HTML one: then a text field the record has is its own, and the clean text goes beside it);
- cleaner's keys are ``id`` (first, only when the record has none), then ``source``, ``url``,
  ``site``, the text field (when the record had none, as for HTML in another field), ``meta``
  and ``stats``, appended in that order when the record lacks them;
- a key the record already has is kept: ``source`` as it is (the first provenance), ``url`` and
  ``site`` filled only when null, a ``meta`` object merged (its keys kept, new ones added after
  them), cleaner's own ``stats`` (an object with ``chars_in``) folded with this run's;
- a key of the same name that is not of cleaner's kind (``meta`` not an object, ``stats``
  without ``chars_in``, a ``url`` or ``site`` that is not a string) is never overwritten:
  cleaner's value goes under ``cleaner_<key>`` (merged the same way if that exists too).

So cleaning cleaner's own output again changes nothing: every key is already there and agrees.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from cleaner.errors import RecordError

PREFIX = "cleaner_"
CLASH = object()  # what a merge returns when the record's value is not of cleaner's kind
_SURROGATE = re.compile("[\ud800-\udfff]")

# Python's json reads and writes a value with one C call per level of nesting, counted against the
# recursion limit (1,000) with the frames of whoever calls it; below this depth it never runs out,
# in a worker as in the main process, so the output is the same bytes whatever --workers.
MAX_DEPTH = 500
# orjson (3.13) reads an integer wider than 64 bits as the nearest float rather than refusing it;
# such a float is at least this large. A real float that large Python's json reads the same.
WIDE = float(1 << 63)
WIDENABLE = frozenset((float, dict, list))  # the types of values that may hold such a float
_NESTING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')  # a string (skipped) or a bracket
_INFINITIES = (math.inf, -math.inf)


class RawNumber:
    """A JSON number no float holds, kept as its text: ``1e400`` (a float: infinity, which JSON
    cannot write: Infinity is not JSON) or ``1e-400`` (a float: 0.0, another value). Valid JSON,
    so a record holding one is written back with it as it was (python_json, json_default)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other: object) -> bool:
        return type(other) is RawNumber and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"RawNumber({self.text!r})"

    def __reduce__(self) -> tuple[type, tuple[str]]:  # (to a worker and back)
        return (RawNumber, (self.text,))


def _exact_float(token: str) -> float | RawNumber:
    """A JSON number with a fraction or an exponent, as Python's json reads it (parse_float): its
    float, unless the float is not the number (RawNumber): infinite, or zero for a number whose
    digits are not all zeros (1e-400, a number below the smallest float)."""
    value = float(token)
    if value in _INFINITIES or (value == 0.0 and any(c in "123456789" for c in token.lower().partition("e")[0])):
        return RawNumber(token)
    return value


def json_kind(value: Any) -> str:
    """A value as a message names it: in JSON's words ("null", "a number"), as a record's author knows
    them, not Python's type names ("NoneType", "int")."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # (before int: a bool is one)
        return "a boolean"
    if isinstance(value, int | float | RawNumber):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _fill(old: Any, new: Any) -> Any:
    """``url`` and ``site``: a string is kept, null is filled; anything else is a clash."""
    if old is None:
        return new
    return old if isinstance(old, str) else CLASH


def _merge_meta(old: Any, new: dict[str, Any]) -> Any:
    if not isinstance(old, dict):
        return CLASH
    merged = dict(old)
    for key, value in new.items():
        merged.setdefault(key, value)
    return merged


def own_stats(value: Any) -> bool:
    """Whether ``value`` is stats cleaner wrote: an object with ``chars_in`` and, if present,
    ``removed`` and ``repaired`` objects of counts."""
    if not isinstance(value, dict) or not isinstance(value.get("chars_in"), int):
        return False
    return all(isinstance(value.get(key, {}), dict) for key in ("removed", "repaired"))


def _add_counts(old: dict[str, Any], new: dict[str, int]) -> dict[str, Any]:
    summed = dict(old)
    for key, count in new.items():
        before = summed.get(key, 0)
        summed[key] = before + count if type(before) is int else before  # (a bool is an int: not a count)
    return summed


def _fold_stats(old: Any, new: dict[str, Any]) -> Any:
    """A previous run's stats and this run's: what came in is the first run's, what goes out is
    this run's, and removals and repairs add up. Keys cleaner does not write are kept."""
    if not own_stats(old):
        return CLASH
    folded = dict(old)
    folded.setdefault("lines_in", new["lines_in"])
    folded["chars_out"] = new["chars_out"]
    folded["lines_out"] = new["lines_out"]
    folded["removed"] = _add_counts(old.get("removed", {}), new["removed"])
    folded["repaired"] = _add_counts(old.get("repaired", {}), new["repaired"])
    return folded


def _fresh_stats(old: Any, new: dict[str, Any]) -> Any:
    """A previous run's stats replaced by this run's, which cleaned the same source again (an
    HTML field the record keeps): added up, each run would count the page's removals once more.
    Keys cleaner does not write are kept."""
    return {**old, **new} if own_stats(old) else CLASH


Merge = Callable[[Any, Any], Any]


def build(
    fields: dict[str, Any] | None,
    *,
    text: str,
    url: str | None,
    site: str | None,
    meta: dict[str, Any],
    stats: Any,  # cleaner.document.DocStats (records sits below document)
    id: str | None = None,
    source: str | None = None,
    text_field: str = "text",
    id_field: str = "id",
    url_field: str = "url",
    page: bool = False,
) -> dict[str, Any]:
    """The output record for one input record (``fields``; None or {} for a text file, a page,
    a WARC record: then it is exactly id, source, url, site, text, meta, stats). ``id`` and
    ``source`` are added only when given (the API does not know where records came from).
    ``page``: the text was extracted from an HTML field the record keeps (--html-field), which
    the next run extracts again: the record's own stats of cleaner's are replaced, not added to
    (_fresh_stats), and a text the record has is its own (_put_page_text)."""
    if not fields:
        record: dict[str, Any] = {} if id is None else {id_field: id}
    elif id is None or id_field in fields:
        record = dict(fields)
    else:
        record = {id_field: id, **fields}
    # cleaner's keys in their order, each merged with the record's own where it has one (_put).
    if source is not None and "source" not in record:  # a source the record has is kept as it is
        record["source"] = source
    _put(record, url_field, url, _fill)
    _put(record, "site", site, _fill)
    if page:
        _put_page_text(record, text_field, text)  # (before meta: it asks the record's own)
    else:
        record[text_field] = text  # cleaned in place, or added where today's record has it
    _put(record, "meta", meta, _merge_meta)
    _put(record, "stats", stats.record(), _fresh_stats if page else _fold_stats)
    return record


def plain(
    text: Any, url: str | None, site: str | None, meta: dict[str, Any], stats: Any, id: str, source: str
) -> dict[str, Any]:
    """``build(None, ...)`` with ``id`` and ``source``, for a document that is not a record (a
    text file, a page, a WARC record, the bench's): exactly id, source, url, site, text, meta,
    stats in that order, with no record's keys to merge with, made as one dict display. Asked
    once a document: build's keywords and its five _put calls cost about 1K instructions."""
    return {"id": id, "source": source, "url": url, "site": site, "text": text, "meta": meta, "stats": stats.record()}


def _put(record: dict[str, Any], key: str, value: Any, merge: Merge) -> None:
    """record[key] = value, merged with the record's own (``merge``), or beside it on a clash."""
    if key not in record:  # (most records: no merge to ask)
        record[key] = value
        return
    name = key
    while name in record:
        merged = merge(record[name], value)
        if merged is not CLASH:
            record[name] = merged
            return
        name = PREFIX + name  # a clash: the record's value stays, ours goes beside it
    record[name] = value


def _names(record: dict[str, Any], key: str) -> Iterator[str]:
    """The names the record has of ``key``, ``cleaner_<key>``, ``cleaner_cleaner_<key>``...: where
    _put looks for the record's own value and for cleaner's."""
    while key in record:
        yield key
        key = PREFIX + key


def _page_output(record: dict[str, Any]) -> bool:
    """Whether the record is one cleaner wrote from an HTML field: its meta (the first object of
    its _names, where _merge_meta merged) says the text was extracted from HTML (the pipeline's
    EXTRACTED; records sits below it) and it has cleaner's own stats."""
    meta = next((record[name] for name in _names(record, "meta") if type(record[name]) is dict), None)
    if meta is None or meta.get("extracted_from") != "html":
        return False
    return any(own_stats(record[name]) for name in _names(record, "stats"))


def _put_page_text(record: dict[str, Any], key: str, text: Any) -> None:
    """The clean text of a page read from another field of the record (--html-field): at ``key``,
    filling a null there as _fill does; where the record has a text of its own, it is never
    overwritten, and the clean text goes under ``cleaner_<key>`` (or the first such name free), as
    for any clash. A record cleaner wrote so before (_page_output) holds the last run's text at
    the last of those names: it is replaced, so cleaning the output again changes nothing."""
    last, name = None, key
    while record.get(name) is not None:
        last, name = name, PREFIX + name
    record[last if last is not None and _page_output(record) else name] = text


def _merge_step_info(old: Any, new: dict[str, Any]) -> Any:
    """The datatrove step's ``metadata["cleaner"]`` and a value already there: cleaner's own
    (an object with cleaner's ``stats``, or only the ``error`` of a document it gave up on) is
    merged as a record's keys are (``site`` filled, ``meta`` merged, ``stats`` folded; an
    ``error`` replaced by this run's outcome); anything else is a clash."""
    if not isinstance(old, dict):
        return CLASH
    failed_before = set(old) == {"error"} and isinstance(old["error"], str)
    if not failed_before and not own_stats(old.get("stats")):
        return CLASH
    merged = {key: value for key, value in old.items() if key != "error"}  # this run's outcome says
    if "error" in new:
        merged["error"] = new["error"]
        return merged
    _put(merged, "site", new["site"], _fill)
    _put(merged, "meta", new["meta"], _merge_meta)
    _put(merged, "stats", new["stats"], _fold_stats)
    return merged


def put_step_info(metadata: dict[str, Any], info: dict[str, Any]) -> None:
    """``metadata["cleaner"] = info`` for the datatrove step, by the record's rule: a user's
    value of that name is never overwritten (cleaner's goes under ``cleaner_cleaner``), a
    previous cleaner run's is merged (_merge_step_info)."""
    _put(metadata, "cleaner", info, _merge_step_info)


def json_default(value: Any) -> Any:
    """Values a Parquet column holds and JSON does not: bytes as base64 text, decimals and
    durations as text, dates and times as ISO 8601 (as orjson writes them itself). For orjson,
    a RawNumber as its text (python_json writes it its own way)."""
    if type(value) is RawNumber:
        return orjson.Fragment(value.text)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def float_beyond(value: Any, bound: float, depth: int = 0, zero: bool = False) -> bool:
    """Whether ``value`` holds a float not strictly between -bound and bound (NaN is never
    between), or with ``zero`` a float zero (orjson reads 1e-400 as 0.0); True as well when,
    with the ``depth`` levels of arrays and objects around it, it nests deeper than MAX_DEPTH,
    which Python's json then refuses to read, whatever the stack (orjson reads 1,024 levels).
    Each scalar is checked in its container's loop, without a call: it runs on every JSONL
    record's values."""
    kind = type(value)
    if kind is float:
        return not -bound < value < bound or (zero and not value)
    if kind is dict:
        value = value.values()
    elif kind is not list:
        return False
    if depth == MAX_DEPTH:
        return True
    for item in value:
        kind = type(item)
        if kind is float:
            if not -bound < item < bound or (zero and not item):
                return True
        elif (kind is dict or kind is list) and float_beyond(item, bound, depth + 1, zero):
            return True
    return False


# What a number orjson reads as 0.0 while it is not zero (below 2.5e-324) is written with: an
# exponent of three digits, or (for one of two digits at most) 200 zeros. Only a line holding a
# float zero is searched for it; one found in a string costs the line Python's json, which reads
# every number exactly (RawNumber), nothing more.
_TINY = re.compile(rb"[eE]-\d{3}|0{200}")


def rounded(value: Any, raw: bytes, depth: int = 0) -> bool:
    """Whether orjson may have read a number of ``value`` (read by it from the JSON ``raw``, at
    ``depth``; one in which ``float_beyond(value, WIDE, depth, zero=True)`` found a float) as
    another: a float of WIDE or more (an integer wider than 64 bits), a zero where ``raw`` may
    hold a number too small for a float (_TINY); or whether it nests too deep (float_beyond).
    Such a line is read by Python's json (python_loads), which reads it exactly."""
    return float_beyond(value, WIDE, depth) or _TINY.search(raw) is not None


def _survey(value: Any, limit: int) -> tuple[bool, bool]:
    """Whether ``value`` nests objects and arrays more than ``limit`` levels deep, and whether it
    holds a float (a subclass too: Python's json writes it as a float)."""
    floats = False
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        kind = type(value)
        if kind is dict:
            children = value.values()
        elif kind is list or kind is tuple:
            children = value
        else:
            floats = floats or isinstance(value, float)
            continue
        if depth > limit:
            return True, floats
        stack.extend((child, depth + 1) for child in children)
    return False, floats


def _raw_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON ``raw`` nests more than ``limit`` levels deep (brackets in strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # (it cannot be deeper than its brackets)
        return False
    depth = 0
    for token in _NESTING.finditer(raw):
        mark = token[0][0]
        if mark == 0x5B or mark == 0x7B:  # [ {
            depth += 1
            if depth > limit:
                return True
        elif mark != 0x22:  # ] }, not a string
            depth -= 1
    return False


def python_loads(raw: bytes, errors: str = "surrogatepass") -> Any:
    """One JSON value read by Python's json, which keeps what orjson refuses or rounds: NaN,
    Infinity, an integer of any width, a lone surrogate escape, and (as a RawNumber) a number
    too large or too small for a float. ``errors`` as for bytes.decode (json.loads of bytes
    passes surrogates). RecordError when it nests deeper than MAX_DEPTH, ValueError when it is
    not JSON or not UTF-8."""
    if _raw_deeper_than(raw, MAX_DEPTH):
        raise RecordError(f"nested deeper than {MAX_DEPTH} levels")
    return json.loads(raw.decode("utf-8", errors), parse_float=_exact_float)


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found[0]):04x}"


# A token of the JSON text Python's json writes: a string (group 1, skipped whole, so that digits
# in it are not taken for a number) or a number outside strings (group 2).
_TOKEN = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*")|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)')


def _as_orjson(found: re.Match[str]) -> str:
    """A float as orjson writes it (0.000032, 1e-7; Python's repr: 3.2e-05, 1e-07); an integer
    (no point, no exponent: Python writes every float with one) and a string as they are."""
    number = found[2]
    if number is None or ("." not in number and "e" not in number):
        return found[0]
    return orjson.dumps(float(number)).decode("ascii")  # (the repr reads back as the same float)


def _python_json(value: Any, mark: str, numbers: list[str]) -> str:
    """json.dumps of ``value``, each RawNumber written as the string ``mark`` and its text
    appended to ``numbers``: Python's json writes no text of a caller's as it is."""

    def default(item: Any) -> Any:
        if type(item) is RawNumber:
            numbers.append(item.text)
            return mark
        return json_default(item)

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default)


def python_json(value: Any) -> str:
    """``value`` as JSON text by Python's json: exact where orjson cannot write a value (an
    integer wider than 64 bits, nesting deeper than 254 levels, a key not a string) or writes
    it as null (NaN, Infinity). A lone surrogate, which UTF-8 cannot hold, is written as its
    escape (\\ud800), which reads back as the same string. A float is written as orjson writes
    it, not by its repr: a record read by Python's json (a stray byte in its text) and the same
    record cleaned again, read by orjson, must give the same bytes. A RawNumber is written as
    its text. RecordError when nested deeper than MAX_DEPTH."""
    deep, floats = _survey(value, MAX_DEPTH)
    if deep:
        raise RecordError(f"nested deeper than {MAX_DEPTH} levels")
    numbers: list[str] = []
    mark = "\0cleaner-number"
    text = _python_json(value, mark, numbers)
    if numbers:
        # Each RawNumber is a string token "mark" in the text, to be put back as its text; a
        # value of the record's own might be that string, or hold it: then another mark, until
        # the text holds each of them exactly once (json.dumps writes NUL as \u0000).
        quoted, attempt = json.dumps(mark), 0
        while text.count(quoted) != len(numbers):
            attempt += 1
            mark = f"\0cleaner-number-{attempt}"
            quoted = json.dumps(mark)
            numbers.clear()
            text = _python_json(value, mark, numbers)
        texts = iter(numbers)

        def token(found: re.Match[str]) -> str:
            return next(texts) if found[1] == quoted else _as_orjson(found)

        text = _TOKEN.sub(token, text)
    elif floats:
        text = _TOKEN.sub(_as_orjson, text)
    return _SURROGATE.sub(_escape, text)


def id_text(value: Any) -> str:
    """A record's id (a value of its id field) as the reports, diffs and failures name it: a string
    as it is, a value of JSON's other kinds as its JSON text, as the record holds it (true, 1.0,
    {"a":1}: Python's text, True or {'a': 1}, is not what the record says, and is a string id's
    too), anything else (an object given to the API) as str() makes it. An integer's text is its
    JSON text; the rest are rare, and python_json writes them exactly (NaN, as orjson does not)."""
    kind = type(value)
    if kind is str or kind is int:
        return str(value)
    if isinstance(value, bool | int | float | list | dict | RawNumber):
        return python_json(value)
    return str(value)


def orjson_line(record: dict[str, Any]) -> bytes:
    """One JSONL line by orjson; TypeError for what it cannot write (see python_json)."""
    return orjson.dumps(record, default=json_default, option=orjson.OPT_APPEND_NEWLINE)  # (no copy to add it)


def dumps(record: dict[str, Any], lenient: bool = False) -> bytes:
    """One JSONL line. A record read by Python's json (``lenient``: it may hold NaN or
    Infinity, which orjson would write as null) is written by it too, as is one orjson cannot
    write (python_json); RecordError for one nested deeper than MAX_DEPTH."""
    if not lenient:
        try:
            return orjson_line(record)
        except TypeError:  # orjson.JSONEncodeError
            pass
    return python_json(record).encode("utf-8") + b"\n"
