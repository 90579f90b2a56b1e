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


def _folder() -> Path:
    spec = importlib.util.find_spec("justext")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("justext (its stoplists) is not installed")
    return Path(spec.submodule_search_locations[0]) / "stoplists"


def stoplist(language: str) -> frozenset[str]:
    """``justext.get_stoplist(language)``, read without importing justext: its package imports
    lxml, a fifth of a second of every run's start-up for two dozen word lists."""
    data = (_folder() / f"{language}.txt").read_bytes()
    return frozenset(w.decode("utf8").lower() for w in data.splitlines())


@lru_cache(maxsize=1)
def stopword_languages() -> dict[str, int]:
    """Each stopword with the bit mask of the languages whose stoplist holds it.

    Each file is folded whole, not word by word (half of this function's share of a run's
    start-up): the casefold() of a word (justext lowers it first: casefold() does as much) is that of
    its line in the file, since casefold() reads no context."""
    folder = _folder()
    masks: dict[str, int] = {}
    get = masks.get
    for bit, language in enumerate(LANGUAGES):
        flag = 1 << bit
        text = (folder / f"{language}.txt").read_bytes().decode("utf8")
        for key in set(text.casefold().splitlines()):
            masks[key] = get(key, 0) | flag
    return masks
