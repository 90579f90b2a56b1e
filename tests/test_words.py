"""Counting words where a script puts no spaces between them (cleaner/words.py)."""

from __future__ import annotations

from cleaner import words


def test_spaced_text_counts_as_split_does() -> None:
    for text in ["", "  ", "Share this", "e-mail it's 10:15 — (see above).", "한국어 단어 둘"]:
        assert words.count(text) == len(text.split())


def test_each_han_or_kana_character_is_a_word_and_punctuation_none() -> None:
    assert words.count("市議会は test123") == 5
    assert words.count("会合を開き、来年度。") == 8  # 、 and 。 are between words
    assert words.count("「ホーム」") == 3
