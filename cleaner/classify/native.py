"""The classifier's compiled halves, when they are there.

pip builds them from the C sources beside this file where the machine has a C compiler (the
extensions are optional in pyproject.toml, so an install without one still succeeds). Each does
exactly what the numpy code it stands in for does, to the bit: tests/test_native.py compares
the two, and ``CLEANER_NATIVE=off`` runs the numpy code (to compare whole runs, or to rule the
extension out when something looks wrong).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

ENV = "CLEANER_NATIVE"


def disabled() -> bool:
    return os.environ.get(ENV, "") == "off"


def load(name: str) -> ModuleType | None:
    """The extension ``cleaner.classify.<name>``, or None: not built, or turned off."""
    if disabled():
        return None
    try:
        return importlib.import_module(f"cleaner.classify.{name}")
    except ImportError:
        return None
