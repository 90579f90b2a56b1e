"""The validated rule files of the last runs, kept in the cache directory (diskcache.py).

Reading the rule files was a tenth of a one-document run's start-up: YAML parsing (libyaml
included), pydantic building the schema of every rule kind, validating, and the book's digest
(a JSON dump of every model). Each run of unchanged rules does the same work to the same
result, so the result (the models and the digest, pickled) is kept under a name made of
everything it depends on: the rule files' paths and bytes, the source of the code that reads
and validates them, the versions of Python, pydantic and PyYAML, and RE2's extension (which
decides whether a pattern compiles). A changed byte anywhere is another name, so a stale entry
is never read; an entry that does not load (cut short, altered, written by other code) is
ignored and the files are read again. Only rule sets without any problem are kept: an error
always comes from the files themselves, with its file and line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from cleaner import diskcache
from cleaner.rules.model import RuleFile

_FORMAT = b"rules 1"  # what an entry holds; another layout is another name

# The code whose output an entry is: the rules package (reading, validating, the models) and
# the classifier's settings, which a rule file holds.
_HERE = Path(__file__).resolve().parent
_CODE = ("classify/config.py", "classify/profiles.py")


@cache
def _code() -> bytes:
    """A digest of the code and libraries that turn rule files into models."""
    import pydantic
    import re2

    digest = hashlib.sha256(_FORMAT)
    sources = sorted(_HERE.rglob("*.py")) + [_HERE.parent / name for name in _CODE]
    for path in sources:
        digest.update(str(path.relative_to(_HERE.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    # PyYAML by its files (importing it costs what a hit saves) and RE2 by its extension's.
    yaml = importlib.util.find_spec("yaml")
    files = [Path(re2._re2.__file__), Path(yaml.origin if yaml is not None and yaml.origin else "-")]
    versions: list[object] = [sys.version, pydantic.VERSION]
    for path in files:
        stat = path.stat()
        versions += [str(path), stat.st_size, stat.st_mtime_ns]
    digest.update(repr(versions).encode())
    return digest.digest()


def key(paths: Sequence[tuple[str, Path]]) -> str | None:
    """The entry's name part for these rule files (as shown, and where to read them), or None
    when a file or the code cannot be read (the files are then read the usual way, which says why)."""
    try:
        digest = hashlib.sha256(_code())
        for shown, path in paths:
            data = path.read_bytes()
            digest.update(f"{len(shown)}:{shown}:{len(data)}:".encode() + data)
    except (OSError, AttributeError, TypeError, ValueError):
        return None
    return digest.hexdigest()[:32]


def _path(name: str) -> Path | None:
    root = diskcache.root()
    return root / f"rules-{name}.pickle" if root is not None else None


def read(name: str) -> tuple[list[tuple[str, RuleFile]], str] | None:
    """The rule files and digest kept under ``name``, or None (none kept, or not loadable)."""
    path = _path(name)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        files, digest = pickle.loads(data)  # (our own entry, named by a digest of what it holds)
    except Exception:  # (cut short or altered: read the files instead)
        return None
    if not (
        isinstance(files, list)
        and isinstance(digest, str)
        and all(
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and type(item[1]) is RuleFile  # (this code's class: the name holds its source)
            for item in files
        )
    ):
        return None
    diskcache.used(path)
    return files, digest


def write(name: str, files: list[tuple[str, RuleFile]], digest: str) -> None:
    """Keep the rule files and digest under ``name`` (written whole or not at all)."""
    path = _path(name)
    if path is None:
        return
    try:
        data = pickle.dumps((files, digest), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    if diskcache.write(path, data):
        diskcache.prune(path.parent)
