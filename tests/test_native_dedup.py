"""The dedup step's C keys (cleaner/steps/_dedup.c) against dedup.py's own: the same exact and
head keys, character for character, on invented lines, the seeds and random strings over an
alphabet of spaces, punctuation and characters whose folding changes their length."""

from __future__ import annotations

import random

import pytest

from cleaner import native
from cleaner.steps import dedup
from tests.test_native import PIECES, _seed_lines

needs_native = pytest.mark.skipif(dedup._NATIVE is None, reason="CLEANER_NATIVE=off")

LINES = [
    "",
    "   ",
    "The Harbour  Committee met\ton Tuesday.",
    "  «Quoted» — text… with “curly” ‘marks’ & [brackets] {braces} a_b ¡Hola! ¿Qué?",
    "Straße \u0130stanbul \ufb01sh \u1e9e \u01c5 \u0390",  # folds to more characters
    "x" * 150 + " ß" * 30,  # the cut falls inside what folding lengthens
    "\u00a0nbsp\u2003em\u3000ideographic\x1cfile\x85next",
    "¿Qué?¡Sí!«a»–b—c…d·e•f“g”h‘i’j",
]
# dedup's own punctuation beside the classifier's pieces
ALPHABET = [*PIECES, *"“”‘’–—…«»·•¡¿$%&+=^`{}~"]


def _random_lines(count: int) -> list[str]:
    rng = random.Random(5)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 80))) for _ in range(count)]


def test_the_extension_is_built() -> None:
    if native.load("cleaner.steps._dedup") is None and not native.disabled():
        pytest.fail("cleaner/steps/_dedup.c was not built: is there a C compiler? (`pip install -e .` builds it)")


@needs_native
@pytest.mark.parametrize("texts", [LINES, _seed_lines(), _random_lines(20_000)], ids=["invented", "seeds", "random"])
@pytest.mark.parametrize(("cut", "chars"), [(160, 40), (3, 2), (0, 5)])
def test_c_keys_are_the_python_keys(texts: list[str], cut: int, chars: int) -> None:
    exact, heads = dedup._NATIVE.keys(texts, cut, chars)
    assert exact == [dedup._exact_key(t) for t in texts]
    assert heads == [dedup._words_key(t[:cut])[:chars] for t in texts]


@needs_native
def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        dedup._NATIVE.keys([b"x"], 1, 1)
    with pytest.raises(ValueError):
        dedup._NATIVE.keys(["x"], -1, 1)


class _Text(str):
    pass


@needs_native
def test_huge_lines_and_subclasses_are_the_python_keys() -> None:
    texts = [
        "\u00df" * 300_000,
        "\u0390" * 100_000,
        "\U0001f600" * 300_000,
        " " * 300_000,
        _Text("  A\u00df  b. "),
        _Text(""),
    ]
    exact, heads = dedup._NATIVE.keys(texts, 160, 40)
    assert exact == [dedup._exact_key(t) for t in texts]
    assert heads == [dedup._words_key(t[:160])[:40] for t in texts]
    assert dedup._NATIVE.keys([], 1, 1) == ([], [])
