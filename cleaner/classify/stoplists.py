"""jusText's stoplists (from Wikipedia word frequencies) of the languages a crawl mostly holds,
read without importing justext, and each stopword's languages as one bit mask."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

# The document's language is the one whose stoplist covers most of its words.
LANGUAGES = (
    "English",
    "German",
    "French",
    "Spanish",
    "Italian",
    "Portuguese",
    "Dutch",
    "Polish",
    "Russian",
    "Czech",
    "Swedish",
    "Danish",
    "Turkish",
    "Ukrainian",
    "Hungarian",
    "Romanian",
)


def stoplist(language: str) -> frozenset[str]:
    """``justext.get_stoplist(language)``, read without importing justext: its package imports
    lxml, a fifth of a second of every run's start-up for two dozen word lists."""
    spec = importlib.util.find_spec("justext")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("justext (its stoplists) is not installed")
    data = (Path(spec.submodule_search_locations[0]) / "stoplists" / f"{language}.txt").read_bytes()
    return frozenset(w.decode("utf8").lower() for w in data.splitlines())


@lru_cache(maxsize=1)
def stopword_languages() -> dict[str, int]:
    """Each stopword with the bit mask of the languages whose stoplist holds it."""
    masks: dict[str, int] = {}
    for bit, language in enumerate(LANGUAGES):
        for word in stoplist(language):
            key = word.casefold()
            masks[key] = masks.get(key, 0) | (1 << bit)
    return masks
