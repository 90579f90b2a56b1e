"""Within-document dedup: real repeats go, content that merely recurs stays (invented text)."""

from __future__ import annotations

import re

from cleaner.document import Line
from cleaner.steps.dedup import PREFIX, REPEAT, dedup

P1 = "The committee met on Tuesday to discuss the new harbour plans for the town."
P2 = "Residents said they had waited many years for a decision on the old pier."
P3 = "A final vote on the budget is expected before the end of the summer season."
P4 = "The mayor thanked the volunteers who had cleaned the beach every weekend in spring."


def lines(*texts: str) -> list[Line]:
    return [Line(no, text) for no, text in enumerate(texts, 1)]


def fates(*texts: str) -> list[str | None]:
    ls = lines(*texts)
    dedup(ls)
    return [line.dropped_by for line in ls]


def test_a_body_pasted_twice_loses_its_second_copy() -> None:
    assert fates("Harbour news", P1, P2, "Short heading here", P1, P2) == [None, None, None, None, REPEAT, REPEAT]


def test_a_run_of_short_lines_pasted_twice_goes_too() -> None:
    a, b = "Opening hours: ten to six daily", "Closed on public holidays and Sundays"
    assert fates(P1, a, b, P2, a, b) == [None, None, None, None, REPEAT, REPEAT]


def test_team_page_roles_stay() -> None:
    role = "Senior software engineer, platform team"
    assert fates("Anna Berg", role, "Jon Lund", role, "Eva Holm", "Product manager") == [None] * 6


def test_table_rows_and_code_stay() -> None:
    row = "Total\t1,250\t3,400\t4,650"
    code = "    result = compute_totals(rows, strict=True);"
    assert fates(row, P1, row, code, P2, code) == [None] * 6
    assert fates("2019 2020 2021 12.5 13.8 14.2", P1, "2019 2020 2021 12.5 13.8 14.2") == [None] * 3


def test_a_refrain_said_three_times_stays() -> None:
    refrain = "And we sail on home across the silver water tonight"
    assert fates("Verse one begins", refrain, "Verse two begins", refrain, "Verse three", refrain) == [None] * 6


def test_a_long_line_twice_keeps_the_copy_inside_the_prose() -> None:
    headline = "Council approves the long awaited harbour renovation plan at last"
    got = fates("Harbour news", headline, "Home", "Sport", P1, P2, headline, P3, P4, P1.replace("Tuesday", "Monday"))
    assert got == [None, REPEAT, None, None, None, None, None, None, None, None]


def test_the_title_stays_and_its_copy_as_the_headline_goes() -> None:
    # The first line of a crawled page is its title; the page says it again above the article.
    # Were the title to go, and the headline then judged chrome (the classifier), the text would be lost.
    headline = "Council approves the long awaited harbour renovation plan at last"
    got = fates(headline, "Home", "Sport", headline, P1, P2, P3)
    assert got == [None, None, None, REPEAT, None, None, None]


def test_a_long_line_twice_with_no_prose_around_keeps_the_first() -> None:
    headline = "Council approves the long awaited harbour renovation plan at last"
    assert fates(headline, "Home", headline, "Sport") == [None, None, REPEAT, None]


def test_prefix_echo_only_between_near_lines() -> None:
    title = "The committee met on Tuesday to discuss the new harbour plans"
    assert fates(title, P1, P2) == [PREFIX, None, None]
    assert fates(title, "Home", "Sport", P2, P1) == [None, None, None, None, None]


def test_structured_is_the_table_and_code_patterns() -> None:
    """dedup._structured's character tests before its searches are _TABLE and _CODE searched
    whole, on random lines over the characters each branch names (a newline too: $ before it)."""
    import random

    from cleaner.steps.dedup import _CODE, _DIGITS, _TABLE, _structured

    rng = random.Random(11)
    alphabet = [*"{};=()|/#<*", " ", "\t", "\n", "\u3000", "a", "é", "7", "def ", "return", "x(y)", " | ", "//"]
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 9))) for _ in range(50_000)]
    digits = [len(_DIGITS.findall(t)) * 3 > len(t.replace(" ", "")) for t in texts]
    patterns = [_TABLE.search(t) is not None or _CODE.search(t) is not None for t in texts]
    assert [_structured(t) for t in texts] == [p or d for p, d in zip(patterns, digits, strict=True)]
    assert 0.2 < sum(patterns) / len(texts) < 0.9
    for branch in [r"\t", r"\s\|\s", r"^\|", r"[{};]\s*$", r"^\s*(?://|#|/\*|<\w)", r"\w\s*=\s*\S", r"\w\(.*\)\s*;?$"]:
        assert any(re.search(branch, t) and not d for t, d in zip(texts, digits, strict=True)), branch


def test_prose_is_the_sentence_end_pattern() -> None:
    """dedup._prose's string operations are _SENTENCE_END searched, on random lines over the
    characters each part of the pattern names and the whitespace \\s holds (a newline last: $)."""
    import random

    from cleaner.steps.dedup import _SENTENCE_END, _prose

    rng = random.Random(7)
    alphabet = [*".!?…\"'”’»)]", " ", "\n", "\t", "\x1c", "\u3000", "\u00a0", "a", "word", ":", "(", "“"]
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 8))) for _ in range(50_000)]
    expected = [_SENTENCE_END.search(t) is not None for t in texts]
    assert [_prose(t, 0) for t in texts] == expected
    assert 0.2 < sum(expected) / len(texts) < 0.8
    assert [_prose(t, 2) for t in texts] == [e and len(t.split()) >= 2 for t, e in zip(texts, expected, strict=True)]


def test_prose_counts_words_as_a_whole_split() -> None:
    """_prose's word count stops at ``words``: the same answer as counting every word, for any
    ``words`` (none and negative ones too) and whitespace anywhere."""
    import random

    from cleaner.steps.dedup import _prose

    rng = random.Random(5)
    texts = ["".join(rng.choices(["w", " ", "\t", "\u3000", ".", "x y"], k=rng.randint(0, 14))) for _ in range(20_000)]
    for words in [-3, -1, 0, 1, 2, 3, 5, 10]:
        expected = [t.rstrip().rstrip("\"'”’»)]")[-1:] in {*".!?…"} and len(t.split()) >= words for t in texts]
        assert [_prose(t, words) for t in texts] == expected
        assert any(expected) and not all(expected)


def test_a_repeat_inside_the_documents_own_structure_stays() -> None:
    # The same breakfast on two days of a plan: each copy sits between the day's "Breakfast" and
    # "Lunch", lines the plan says every day. A paste stops where the pasted text stops.
    oats = "Porridge with oats, one apple, a spoon of honey and a glass of milk"
    eggs = "Two boiled eggs, rye bread with butter and half a cup of tomatoes"
    soup = "Lentil soup with carrots, a slice of bread and a cup of green tea"
    day = ["Day {}", "Breakfast", "{}", "Lunch", "{}", "Dinner", "Fish and potatoes"]

    def plan(*meals: tuple[str, str]) -> list[str]:
        out: list[str] = []
        for n, (breakfast, lunch) in enumerate(meals, 1):
            out += [day[0].format(n), day[1], breakfast, day[3], lunch, day[5], day[6]]
        return out

    texts = plan((oats, soup), (eggs, soup.replace("tea", "coffee")), (oats, soup), (eggs, soup))
    assert fates(*texts) == [None] * len(texts)
    # The same two lines pasted between lines of their own still go.
    pasted = fates("Harbour news", oats, eggs, "Short heading here", oats, eggs, "The end of it")
    assert pasted == [None, None, None, None, REPEAT, REPEAT, None]
