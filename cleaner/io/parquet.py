"""Parquet in and out, with pyarrow (``pip install 'cleaner[parquet]'``), a row group at a time.

Reading: every row is a record, as a JSONL line is (every column kept, the text column cleaned
in place); its id is the id column, else ``<file>:<row>`` (rows counted from 1, as lines are).
A map is an object, unless two of its entries share a key: then the list of its [key, value]
pairs, as pyarrow gives it (an object would keep one of the two values). A file two of whose
columns have one name is not read: a record cannot hold both fields.

Writing: records are laid out by columns in row groups of at most ROW_GROUP_ROWS rows or
ROW_GROUP_BYTES of JSON, so memory stays flat whatever the corpus. A column holding cleaner's
``meta`` or ``stats`` (or one it put beside a user's field of that name: ``cleaner_meta``) is
JSON text, marked ``{"cleaner": "json"}`` in the column's field metadata: their keys differ
from record to record (a rule id per removal, the fields a site's rules extract), and a struct
column would give every row every key seen (null where absent), so reading the file back would
not give the record that was written. cleaner reads a marked column back as objects, so
cleaning a Parquet output again changes nothing. The same holds for any column whose values
have no one Arrow type (a number here, text there), and for one whose objects, at any depth, do
not all have the same keys in the same order. Other columns get the Arrow type of their values
(a struct for objects with the same keys); a user's field named ``meta`` that is not an object
stays what it is. A key a Parquet name cannot hold (a lone surrogate: names are UTF-8) names its
column by its JSON escape, the key itself in the field metadata (KEY), read back as the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol

import orjson

from cleaner.document import Document, InputRecord
from cleaner.errors import Problem, RecordError, UsageError
from cleaner.records import (
    PREFIX,
    WIDE,
    float_beyond,
    id_text,
    json_default,
    json_kind,
    own_stats,
    python_json,
    python_loads,
    rounded,
)


class Fields(Protocol):
    """Which columns hold the text, the id, the URL and HTML (cleaner.io.readers.Fields)."""

    text: str
    id: str
    url: str
    html: str | None


SUFFIXES = (".parquet",)
MARK = {b"cleaner": b"json"}
# Field metadata: the record key of a column whose name is the key's JSON escape (a key with a lone
# surrogate, which UTF-8, so a Parquet name, cannot hold), as JSON text.
KEY = b"cleaner_key"
ROW_GROUP_ROWS = 8192
ROW_GROUP_BYTES = 32 << 20
READ_ROWS = 256  # rows decoded at a time when reading: one text each, so a few MB
# pyarrow reads a Parquet schema at most 100 levels deep, the root one of them: a column nested
# deeper is written (it would be) but could not be read back, so it is JSON text.
PARQUET_LEVELS = 100


def pyarrow() -> Any:
    """pyarrow, or a usage error that says how to get it."""
    try:
        import pyarrow.parquet
    except ImportError:
        raise UsageError("Parquet needs pyarrow: pip install 'cleaner[parquet]'") from None
    return pyarrow


def columns(path: Path, names: list[str]) -> Iterator[tuple[Any, ...]] | None:
    """The values of columns ``names`` of a Parquet file, row by row, as read_parquet gives them (a
    column of JSON text decoded; None for a column the file does not have); None when it has none
    of them. ValueError for a file two of whose columns have one name."""
    pa = pyarrow()
    handle = pa.parquet.ParquetFile(path)
    fields = list(handle.schema_arrow)
    keys = [_key(field) for field in fields]
    if (twice := _same_name(keys)) is not None:
        raise ValueError(twice)
    # Selected by name: a column named as another's key is escaped comes along, told apart by _key.
    present = list(dict.fromkeys(field.name for field, key in zip(fields, keys, strict=True) if key in names))
    if not present:
        return None

    def rows() -> Iterator[tuple[Any, ...]]:
        for batch in handle.iter_batches(batch_size=READ_ROWS * 32, columns=present):
            found = {}
            for field, column in zip(batch.schema, batch.columns, strict=True):
                values = _pylist(pa, column)
                if _marked(field):
                    values = [None if value is None else python_loads(value.encode("utf-8")) for value in values]
                found[_key(field)] = values
            for i in range(batch.num_rows):
                yield tuple(found[name][i] if name in found else None for name in names)

    return rows()


def read_parquet(path: Path, where: str, rel: str, fields: Fields, max_bytes: int) -> Iterator[Document | Problem]:
    """The rows of one Parquet file as documents, a batch of rows at a time (as JSONL records:
    ``fields`` names the text, id, URL and HTML columns)."""
    pa = pyarrow()
    row = 0
    try:
        handle = pa.parquet.ParquetFile(path)
        schema = list(handle.schema_arrow)
        keys = [_key(field) for field in schema]
        if (twice := _same_name(keys)) is not None:
            yield Problem(where, None, twice)
            return
        marked = [key for key, field in zip(keys, schema, strict=True) if _marked(field)]
        # The columns whose values may hold NaN or an infinity, which orjson writes as null: a
        # row with one is written by Python's json, as a JSONL record with one is.
        floats = [
            key
            for key, field in zip(keys, schema, strict=True)
            if key in marked or _holds(pa.types.is_floating, field.type)
        ]
        for group in range(handle.metadata.num_row_groups):
            # A row group at a time: one that cannot be read (a corrupt page) is reported and the
            # next one read; iter_batches over the whole file ended with its first error.
            start, size = row, handle.metadata.row_group(group).num_rows
            try:
                for batch in handle.iter_batches(batch_size=READ_ROWS, row_groups=[group]):
                    for values in _rows(pa, batch, keys):
                        row += 1
                        if isinstance(values, Unread):
                            yield Problem(where, row, f"not read: column {values.column!r}: {values.error}")
                            continue
                        yield from _document(values, keys, marked, floats, fields, where, rel, row, max_bytes)
            except (pa.ArrowException, OSError) as exc:
                end = start + size
                yield Problem(where, row + 1, f"rows {row + 1}-{end} (row group {group + 1}) cannot be read: {exc}")
                row = end
    except (pa.ArrowException, OSError, ValueError) as exc:
        yield Problem(where, row + 1, f"cannot read further: {exc}")


class Unread(NamedTuple):
    """A row with a value Python cannot hold: its column and why."""

    column: str
    error: ValueError


def _rows(pa: Any, batch: Any, keys: list[str]) -> Iterator[tuple[Any, ...] | Unread]:
    """A batch's rows as Python values, column by column (maps made objects by _pylist, only where
    a column holds one) and by position (two columns may have one name: a key escaped to another's,
    _field). A row with a value Python cannot hold (a string of bytes that are not UTF-8, a date
    past year 9999) is Unread; the batch failed whole, so each of its rows is then read alone."""
    try:
        columns = [_pylist(pa, column) for column in batch.columns]
    except ValueError:
        for i in range(batch.num_rows):
            values = []
            for key, column in zip(keys, batch.slice(i, 1).columns, strict=True):
                try:
                    values.append(_pylist(pa, column)[0])
                except ValueError as exc:
                    yield Unread(key, exc)
                    break
            else:
                yield tuple(values)
        return
    yield from zip(*columns, strict=True)


def _document(
    values: tuple[Any, ...],
    keys: list[str],
    marked: list[str],
    floats: list[str],
    fields: Fields,
    where: str,
    rel: str,
    row: int,
    max_bytes: int,
) -> Iterator[Document | Problem]:
    """One row as a document (or the problem that keeps it out)."""
    obj = dict(zip(keys, values, strict=True))
    try:
        for name in marked:  # JSON text; null: the record had no such key
            if obj[name] is None:
                del obj[name]
            else:
                obj[name] = python_loads(obj[name].encode("utf-8"))
    except RecordError as exc:
        yield Problem(where, row, f"not read: column {name!r} {exc}")
        return
    lenient = bool(floats) and any(name in obj and float_beyond(obj[name], math.inf, 1) for name in floats)
    text = fields.html or fields.text
    value = obj.get(text)
    if not isinstance(value, str):
        what = "missing" if text not in obj else f"{json_kind(value)}, not a string"
        yield Problem(where, row, f"field '{text}' is {what}")
        return
    if len(value) > max_bytes and len(value.encode("utf-8")) > max_bytes:
        yield Problem(where, row, f"record text is over --max-doc-bytes {max_bytes}; skipped")
        return
    doc_id = obj.get(fields.id)
    link = obj.get(fields.url)
    yield Document(
        id=id_text(doc_id) if doc_id is not None else f"{rel.removesuffix('.parquet')}:{row}",
        text="" if fields.html else value,
        source=f"{where}:{row}",
        url=link if isinstance(link, str) and link else None,
        html=value if fields.html else None,
        line=row,
        record=InputRecord(obj, fields.text, fields.id, fields.url, lenient, bool(fields.html)),
    )


def _marked(field: Any) -> bool:
    """Whether a column is JSON text cleaner wrote (MARK)."""
    return (field.metadata or {}).get(b"cleaner") == b"json"


def _key(field: Any) -> str:
    """The record key a column holds: the one its field metadata names (KEY), else its name."""
    held = (field.metadata or {}).get(KEY)
    if held is not None:
        try:
            key = python_loads(held)
        except (ValueError, RecordError):  # (not cleaner's: its name, as any other reader takes it)
            key = None
        if isinstance(key, str):
            return key
    return field.name


def _same_name(keys: list[str]) -> str | None:
    """What is wrong with a file two of whose columns hold one key, or None. A JSON record cannot
    hold two fields of one name: read as a dict, one column's values would be lost unsaid."""
    first: dict[str, int] = {}
    for number, key in enumerate(keys, 1):
        if key in first:
            return f"columns {first[key]} and {number} are both named {key!r}; a record cannot hold both: not read"
        first[key] = number
    return None


def _holds(test: Callable[[Any], bool], kind: Any) -> bool:
    """Whether Arrow type ``kind`` is, or holds at any depth, a type ``test`` accepts."""
    return test(kind) or any(_holds(test, kind.field(i).type) for i in range(kind.num_fields))


def _pylist(pa: Any, column: Any) -> list[Any]:
    """A column's values as Python values, each map made an object (_unmapped)."""
    values = column.to_pylist()  # maps as lists of (key, value) pairs: every entry kept
    if _holds(pa.types.is_map, column.type):
        values = [_unmapped(pa, column.type, value) for value in values]
    return values


def _unmapped(pa: Any, kind: Any, value: Any) -> Any:
    """A value of Arrow type ``kind`` as to_pylist gives it, with each map in it made an object,
    as JSON holds it, unless two of its entries share a key: then the list of its [key, value]
    pairs (pyarrow's maps_as_pydicts="lossy" keeps the last value of the key, with only a warning)."""
    if value is None or not _holds(pa.types.is_map, kind):
        return value
    if pa.types.is_map(kind):
        pairs = [[_unmapped(pa, kind.key_type, key), _unmapped(pa, kind.item_type, item)] for key, item in value]
        try:
            entries = dict(pairs)
        except TypeError:  # a key of a nested type (a list): no object holds it
            return pairs
        return entries if len(entries) == len(pairs) else pairs
    if pa.types.is_struct(kind):
        return {field.name: _unmapped(pa, field.type, value[field.name]) for field in kind}
    return [_unmapped(pa, kind.value_type, item) for item in value]  # a list (of maps)


def _loads(line: bytes) -> tuple[dict[str, Any], bool]:
    """A record of a shard, and whether it is read by Python's json (as the JSONL reader reads
    it: a record orjson refuses, as NaN, or one it rounds, an integer wider than 64 bits)."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return python_loads(line), True
    if float_beyond(record, WIDE, 0, True) and rounded(record, line):  # (a zero too: 1e-400, records.rounded)
        return python_loads(line), True
    return record, False


Group = tuple[list[dict[str, Any]], list[bool]]  # records, and whether each was read by Python's json


def _groups(lines: Iterable[bytes]) -> Iterator[Group]:
    group: list[dict[str, Any]] = []
    lenient: list[bool] = []
    size = 0
    for line in lines:
        record, python = _loads(line)
        group.append(record)
        lenient.append(python)
        size += len(line)
        if len(group) >= ROW_GROUP_ROWS or size >= ROW_GROUP_BYTES:
            yield group, lenient
            group, lenient, size = [], [], 0
    if group:
        yield group, lenient


def _json_text(value: Any, lenient: bool) -> str:
    """A value of a JSON column as text: by Python's json for a record read by it (NaN stays
    NaN) and for what orjson cannot write (records.python_json), else by orjson."""
    if not lenient:
        try:
            return orjson.dumps(value, default=json_default).decode()
        except TypeError:  # orjson.JSONEncodeError
            pass
    return python_json(value)


def _levels(pa: Any, kind: Any) -> int:
    """The levels of Parquet schema a column of Arrow type ``kind`` takes: a list two (its group
    and its repeated group), a struct or a map one, a value one."""
    deepest = 0
    stack = [(kind, 1)]
    while stack:
        kind, level = stack.pop()
        deepest = max(deepest, level)
        step = 2 if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind) else 1
        stack.extend((kind.field(i).type, level + step) for i in range(kind.num_fields))
    return deepest


def _ours(record: dict[str, Any]) -> Iterator[str]:
    """The keys of a record holding cleaner's ``meta`` and ``stats``. records.build puts each at the
    first of ``meta``, ``cleaner_meta``, ``cleaner_cleaner_meta``... that the record lacks or whose
    value it merges with (an object; for stats, cleaner's own), so the first such value is
    cleaner's and any before it, and any ``cleaner_*`` the record merely has, the user's."""
    for name, own in (("meta", _is_object), ("stats", own_stats)):
        while name in record:
            if own(record[name]):
                yield name
                break
            name = PREFIX + name


def _is_object(value: Any) -> bool:
    return type(value) is dict


Shapes = dict[tuple[str | None, ...], tuple[str, ...]]  # the keys of the objects at each place in a column


def _same_keys(value: Any, shapes: Shapes) -> bool:
    """Whether every object in ``value`` has at least one key, and the keys, in their order, that
    the objects at its place (keys down to it, None for a list's item) had in the column's earlier
    values (``shapes``, filled as it goes). A struct column gives objects of other keys every key
    seen, null where absent, and its field order; and Parquet cannot hold a struct of no field."""
    stack: list[tuple[Any, tuple[str | None, ...]]] = [(value, ())]
    while stack:
        value, place = stack.pop()
        if type(value) is dict:
            keys = tuple(value)
            if not keys or shapes.setdefault(place, keys) != keys:
                return False
            stack.extend((item, (*place, key)) for key, item in value.items())
        elif type(value) is list:
            stack.extend((item, (*place, None)) for item in value)
    return True


def _field(pa: Any, key: str, kind: Any, as_json: bool) -> Any:
    """The column of record key ``key``: JSON text (MARK), or of Arrow type ``kind`` (all null:
    a string column, as url often is). A key with a lone surrogate, which a Parquet name (UTF-8)
    cannot hold, names it by its JSON escape, the key kept in the field metadata (KEY): a record
    is never refused for a key JSONL writes as that escape."""
    metadata = dict(MARK) if as_json else {}
    name = key
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        escaped = python_json(key)
        name, metadata[KEY] = escaped[1:-1], escaped.encode("utf-8")
    return pa.field(name, pa.string() if as_json or kind == pa.null() else kind, metadata=metadata or None)


def _schema(pa: Any, lines: Iterable[bytes]) -> tuple[Any, list[str], set[str]]:
    """The schema every row group is written with, the record key of each of its columns and the
    keys written as JSON text: columns in order of first appearance, each of the one type its
    values have in every group; JSON text for a column holding cleaner's meta or stats, for one
    whose values have no one type or whose objects have other keys (_same_keys), for one holding
    integers and floats in one place (Arrow made ``2`` a ``2.0``), and for one nested deeper than
    Parquet is read back."""
    types: dict[str, Any] = {}
    shapes: dict[str, Shapes] = {}
    numbers: dict[str, dict[tuple[Any, ...], set[type]]] = {}  # per column, the kinds of number per place
    as_json: set[str] = set()
    for group, _ in _groups(lines):
        names = dict.fromkeys(key for record in group for key in record)
        as_json.update(key for record in group for key in _ours(record))
        for name in names:
            types.setdefault(name, pa.null())
            if name in as_json:
                continue
            values = [record.get(name) for record in group]
            kinds = numbers.setdefault(name, {})
            for value in values:
                _number_kinds(value, (), kinds)
            if any(len(found) > 1 for found in kinds.values()):
                as_json.add(name)
                continue
            try:
                found = pa.array(values).type
                # (by a name of its own: a Parquet name is UTF-8, which a key may not be, see _field)
                types[name] = (
                    pa.unify_schemas(
                        [pa.schema([("_", types[name])]), pa.schema([("_", found)])], promote_options="permissive"
                    )
                    .field("_")
                    .type
                )
            # (OverflowError: an integer wider than 64 bits; UnicodeEncodeError: a lone surrogate)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, ValueError):
                as_json.add(name)
                continue
            if _holds(pa.types.is_struct, found):  # (a column with no object in it needs no walk)
                column = shapes.setdefault(name, {})
                if not all(_same_keys(value, column) for value in values):
                    as_json.add(name)
    as_json.update(name for name, kind in types.items() if _levels(pa, kind) >= PARQUET_LEVELS)
    keys = list(types)
    return pa.schema([_field(pa, key, types[key], key in as_json) for key in keys]), keys, as_json


def _number_kinds(value: Any, place: tuple[Any, ...], kinds: dict[tuple[Any, ...], set[type]]) -> None:
    """Note the kind of each number in ``value`` (int or float) by its place: an object's key, or
    a list's items (None)."""
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        kinds.setdefault(place, set()).add(float if isinstance(value, float) else int)
    elif isinstance(value, dict):
        for key, item in value.items():
            _number_kinds(item, (*place, key), kinds)
    elif isinstance(value, list):
        for item in value:
            _number_kinds(item, (*place, None), kinds)


def write_parquet(shards: list[Path], handle: IO[bytes]) -> None:
    """The records of the shards (JSONL), in order, as one Parquet file: one pass for the schema,
    one to write, a row group at a time."""
    pa = pyarrow()

    def lines() -> Iterator[bytes]:
        for shard in shards:
            with shard.open("rb") as records:
                yield from records

    schema, keys, as_json = _schema(pa, lines())
    with pa.parquet.ParquetWriter(handle, schema, compression="zstd") as writer:
        for group, lenient in _groups(lines()):
            columns = []
            for key, field in zip(keys, schema, strict=True):
                if key in as_json:  # JSON text, null where the record has no such key
                    values = [
                        _json_text(record[key], python) if key in record else None
                        for record, python in zip(group, lenient, strict=True)
                    ]
                else:
                    values = [record.get(key) for record in group]
                columns.append(pa.array(values, type=field.type))
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), row_group_size=ROW_GROUP_ROWS)
