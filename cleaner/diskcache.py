"""The user cache directory: what cleaner derives from its rules and dependencies, kept between runs.

Each entry is named by everything it depends on, so one made by other code, another RE2 or
other rules is never read: the prefilter's literals and hyperscan databases (rules/prefilter.py), the list
of patterns RE2 compiled (rules/regex.py), the validated rule files (rules/stored.py) and the repair gate's
classes (steps/repair_gate.py).
``~/.cache/cleaner`` (``$XDG_CACHE_HOME``); ``CLEANER_CACHE=DIR`` puts it in DIR,
``CLEANER_CACHE=off`` keeps none (everything is derived again at each run). Nothing here is
needed: a missing, unreadable or read-only directory only costs time.

The directory is pruned when an entry is added: of each kind, the ``KEEP`` entries used last
stay; the others go once unused for ``MAX_AGE``, or when there are more than ``MAX_ENTRIES``
(a test suite makes many small rule sets: they must not push out the one a user runs every
day). Only files whose names cleaner gives its entries are ever deleted.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

KEEP = 8  # entries of each kind always kept (a prefilter database of the shipped rules is about 1 MB)
MAX_AGE = 7 * 86400.0  # seconds unused after which an entry past the KEEP newest goes
MAX_ENTRIES = 64  # entries of each kind past which the ones used least recently go
STALE_TEMP = 3600.0  # seconds after which a temporary file no process renamed is left over

# The names cleaner gives its entries: (kind, entry) for each; a temporary file while it is written.
# An entry is "<kind>-<32 hex>" with one of its kind's suffixes; a temporary name is
# tempfile.mkstemp's: ".<kind>-", then 8 characters of its alphabet (lower-case letters, digits, "_").
SUFFIXES = {"prefilter": (".state", ".hsdb", ".json"), "re2": (".txt",), "repair": (".json",), "rules": (".pickle",)}
ENTRY = re.compile(r"^(prefilter|re2|repair|rules)-([0-9a-f]{32})(\.[a-z]+)$")
TEMP = re.compile(r"^\.(?:prefilter|re2|repair|rules)-[a-z0-9_]{8}$")


def root() -> Path | None:
    """The cache directory (not necessarily there yet), or None when CLEANER_CACHE=off."""
    setting = os.environ.get("CLEANER_CACHE", "")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "cleaner"
    try:
        return Path.home() / ".cache" / "cleaner"
    except (RuntimeError, KeyError):
        return None  # no home directory to find


def write(path: Path, content: bytes) -> bool:
    """Write the file whole or not at all (another process may be writing it too); False if
    the directory cannot be written (a read-only home: the next run derives it again)."""
    kind = path.name.split("-", 1)[0]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def used(path: Path) -> None:
    """Mark an entry as just used (its modification time), so pruning keeps it."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(
    directory: Path, keep: int = KEEP, most: int = MAX_ENTRIES, age: float = MAX_AGE, now: float | None = None
) -> list[Path]:
    """Delete the entries of each kind past the ``keep`` used last that are unused for ``age``
    seconds or past the ``most`` used last, and temporary files older than STALE_TEMP; returns
    what was deleted. Only names ``ENTRY`` or ``TEMP`` match are touched: the
    directory may be one the user named (CLEANER_CACHE=DIR) and hold anything else."""
    now = time.time() if now is None else now
    entries: dict[tuple[str, str], float] = {}
    files: dict[tuple[str, str], list[Path]] = {}
    deleted: list[Path] = []
    try:
        listing = list(os.scandir(directory))
    except OSError:
        return deleted
    for item in listing:
        try:
            if not item.is_file(follow_symlinks=False):
                continue
            mtime = item.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        path = Path(item.path)
        found = ENTRY.match(item.name)
        if found is not None and found.group(3) in SUFFIXES[found.group(1)]:
            key = (found.group(1), found.group(2))
            entries[key] = max(entries.get(key, 0.0), mtime)
            files.setdefault(key, []).append(path)
        elif TEMP.match(item.name) and now - mtime > STALE_TEMP:
            deleted.append(path)
    for kind in {kind for kind, _ in entries}:
        ranked = sorted((key for key in entries if key[0] == kind), key=lambda k: (entries[k], k[1]), reverse=True)
        for rank, key in enumerate(ranked):
            if rank >= most or (rank >= keep and now - entries[key] > age):
                deleted.extend(files[key])
    gone: list[Path] = []
    for path in deleted:
        try:
            path.unlink()
            gone.append(path)
        except OSError:
            pass
    return sorted(gone)
