"""Words in scripts that put no spaces between them.

Chinese and Japanese write a sentence without spaces, so whitespace or ``\\w`` runs make a whole
sentence one "word": each Han, Hiragana or Katakana character is counted as a word instead.
(Korean spaces its words, and Hangul stays whole.)
"""

from __future__ import annotations

import re

CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Ideographic spaces and punctuation (、。「」...): between words, not words.
_CJK_PUNCTUATION = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20"
_SPACED = re.compile(f"[{CJK}]|[^\\s{CJK}{_CJK_PUNCTUATION}]+")


def count(text: str) -> int:
    """Words as ``len(text.split())`` counts them, each Han/Kana character one: the same count
    for a text of spaced words (a run between spaces, punctuation included, is a word)."""
    return len(_SPACED.findall(text))
