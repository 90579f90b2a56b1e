"""The character classes of the repair step's gate (steps/repair.py), kept in the cache directory.

The gate (which lines can need ftfy) is made of ftfy's own tables: the characters its
single-byte codecs decode bytes to, its control characters, its HTML entity pattern. Reading
them means importing ftfy, a tenth of a second at every start, though most documents have no
line the gate lets through. So the classes are computed once per ftfy (its files' sizes and
times, and this module's source, name the entry: diskcache.py) and read from there after; ftfy
is imported when a line needs it. With no cache (CLEANER_CACHE=off, a read-only home) they are
computed at each start, as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path

from cleaner import diskcache

# MacRoman puts curly quotes and dashes at lead bytes; as leads they would stand for rare
# scripts (Armenian, Hebrew), while as themselves they are in every other English sentence.
_TYPOGRAPHY = set("“”‘’–—…•‚„«»")
KEYS = ("lead", "cont", "control", "entity")


def _decoded(first: int, last: int) -> set[str]:
    """The characters the single-byte codecs ftfy knows turn bytes first..last into."""
    from ftfy import chardata

    chars: set[str] = set()
    for encoding in chardata.CHARMAP_ENCODINGS:
        chars.update(bytes(range(first, last + 1)).decode(encoding, errors="ignore"))
    return chars


def _char_class(chars: set[str]) -> str:
    """A class of exactly ``chars``, written as ranges: listing 2,600 characters one by one
    made compiling it a noticeable part of start-up."""
    points = sorted(map(ord, chars))
    parts: list[str] = []
    start = prev = points[0]
    for point in [*points[1:], -1]:
        if point == prev + 1:
            prev = point
            continue
        parts.append(f"\\U{start:08x}" + (f"-\\U{prev:08x}" if prev > start else ""))
        start = prev = point
    return "[" + "".join(parts) + "]"


def computed() -> dict[str, str]:
    """The gate's parts from ftfy's tables: a UTF-8 lead byte (0xC2-0xF4) and a continuation
    byte (0x80-0xBF) as some single-byte codec reads them, the control characters ftfy
    removes or fixes (C1, escape, lone surrogates), and its HTML entity pattern."""
    from ftfy import chardata

    control = (
        {chr(c) for c in chardata.CONTROL_CHARS}
        | {"\x1b"}
        | {chr(c) for c in range(0x80, 0xA0)}
        | {chr(c) for c in range(0xD800, 0xE000)}
    )
    return {
        "lead": _char_class(_decoded(0xC2, 0xF4) - _TYPOGRAPHY),
        "cont": _char_class(_decoded(0x80, 0xBF)),
        "control": _char_class(control),
        "entity": chardata.HTML_ENTITY_RE.pattern,
    }


def _entry() -> Path | None:
    """The cache file for the installed ftfy, or None (no cache, or ftfy not in files)."""
    root = diskcache.root()
    spec = importlib.util.find_spec("ftfy")  # finds the package without importing it
    if root is None or spec is None or not spec.submodule_search_locations:
        return None
    home = Path(next(iter(spec.submodule_search_locations)))
    try:
        stats = [(name, *_stat(home / name)) for name in ("__init__.py", "chardata.py", "bad_codecs/sloppy.py")]
        source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    except OSError:
        return None
    key = json.dumps([source, str(home), stats])
    return root / f"repair-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _stat(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_size, found.st_mtime_ns


@cache
def gate() -> dict[str, str]:
    """The gate's parts (``computed()``), from the cache when they are there."""
    path = _entry()
    if path is not None:
        try:
            parts = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(parts, dict) and all(isinstance(parts.get(key), str) for key in KEYS):
                diskcache.used(path)
                return {key: parts[key] for key in KEYS}
        except (OSError, ValueError):
            pass
    parts = computed()
    if path is not None and diskcache.write(path, json.dumps(parts).encode("utf-8")):
        diskcache.prune(path.parent)
    return parts
