"""The compiled halves of hot steps, when they are there.

pip builds them from their C sources (``cleaner/*/_*.c``) where the machine has a C compiler
(the extensions are optional in pyproject.toml, so an install without one still succeeds). Each
does exactly what the Python code it stands in for does, to the bit: the tests compare the two
(tests/test_native*.py), and ``CLEANER_NATIVE=off`` runs the Python code (to compare whole runs,
or to rule an extension out when something looks wrong).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

ENV = "CLEANER_NATIVE"
# Every C half, as pyproject.toml's ext-modules name them.
MODULES = (
    "cleaner.classify._lines",
    "cleaner.classify._trees",
    "cleaner.report._diff",
    "cleaner.rules._scan",
    "cleaner.steps._dedup",
    "cleaner.steps._repair",
)


def disabled() -> bool:
    return os.environ.get(ENV, "") == "off"


def load(name: str) -> ModuleType | None:
    """The extension module ``name`` (dotted), or None: not built, or turned off."""
    if disabled():
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def built() -> list[str]:
    """The C halves this process uses (none when turned off)."""
    return [name for name in MODULES if load(name) is not None]
