"""cleaner: deterministic, reviewable boilerplate removal for web-text corpora.

The public API is ``Cleaner`` (with ``Result``, ``Removal`` and ``Settings``), see cleaner/api.py;
it is imported on first use, so ``import cleaner.errors`` stays cheap."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Cleaner", "Removal", "Result", "Settings", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Cleaner", "Removal", "Result"):
        from cleaner import api

        return getattr(api, name)
    if name == "Settings":
        from cleaner.pipeline import Settings

        return Settings
    raise AttributeError(f"module 'cleaner' has no attribute {name!r}")
