"""The extraction ensemble's vote (cleaner/steps/extract_vote.py), on invented pages and outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaner.document import Document
from cleaner.pipeline import Pipeline, Settings
from cleaner.rules.book import RuleBook
from cleaner.steps.extract import ExtractOptions
from cleaner.steps.extract_vote import ballots, covered, elected, vote, words

ROOT = Path(__file__).resolve().parent.parent
NAV = "Home News Sport Weather Contact"
P1 = "The river rose by two metres overnight and the old bridge was closed to traffic before dawn."
P2 = "Engineers will inspect the arches on Monday, and the council expects to reopen the bridge within a week."
TEASER = "Engineers will inspect the arches on Monday, read the full story"
SHORT = "Photo gallery"
LEAD = "A long lead paragraph that only two of the three extractors kept, although it is plainly part of the story."
BLOCKS = [NAV, P1, P2, SHORT, LEAD]


def test_words_are_lowercased_word_tokens() -> None:
    assert words("The Bridge, closed: 2 metres!") == ["the", "bridge", "closed", "2", "metres"]
    # Each Han, Hiragana or Katakana character is a word (no spaces between words there); Hangul
    # words are spaced, and stay whole.
    assert words("市議会は test123 한국어 단어") == ["市", "議", "会", "は", "test123", "한국어", "단어"]


def test_alignment_follows_the_outputs_order_not_every_copy() -> None:
    page = words(f"{P2} {P1} {P2}")
    hit = covered(page, words(f"{P1} {P2}"))
    n2, n1 = len(words(P2)), len(words(P1))
    # The output has P1 then P2: the second copy of P2 is aligned, the first is not.
    assert hit == [False] * n2 + [True] * (n1 + n2)


def test_alignment_of_unrelated_text_covers_nothing() -> None:
    assert covered(words(P1), words(NAV)) == [False] * len(words(P1))
    assert covered(words(P1), []) == [False] * len(words(P1))


def test_ballots_name_who_kept_each_block() -> None:
    outputs = {
        "trafilatura": f"{P1}\n{P2}",
        "readability": f"{NAV}\n{P1}\n{P2}\n{LEAD}",
        "resiliparse": f"{P1}\n{P2}\n{SHORT}\n{LEAD}",
    }
    assert ballots(BLOCKS, outputs) == [
        frozenset({"readability"}),
        frozenset({"trafilatura", "readability", "resiliparse"}),
        frozenset({"trafilatura", "readability", "resiliparse"}),
        frozenset({"resiliparse"}),  # two words: kept through the 5-grams that span its neighbours
        frozenset({"readability", "resiliparse"}),
    ]


def test_a_block_needs_half_its_words_covered() -> None:
    # The teaser shares its first seven words (of eleven) with P2 in trafilatura's output.
    assert ballots([TEASER], {"trafilatura": P2}) == [frozenset({"trafilatura"})]
    assert ballots([f"{TEASER} {NAV} and more"], {"trafilatura": P2}) == [frozenset()]


@pytest.mark.parametrize(
    ("voters", "size", "favor", "kept"),
    [
        ({"trafilatura", "readability"}, 3, "balanced", True),
        ({"readability", "resiliparse"}, 14, "balanced", False),  # against trafilatura: too short
        ({"readability", "resiliparse"}, 15, "balanced", True),
        ({"trafilatura"}, 40, "balanced", False),
        ({"trafilatura"}, 3, "recall", True),
        ({"readability", "resiliparse"}, 3, "recall", True),
        ({"resiliparse"}, 40, "recall", False),
        ({"trafilatura", "readability"}, 40, "precision", False),
        ({"trafilatura", "readability", "resiliparse"}, 1, "precision", True),
    ],
)
def test_election(voters: set[str], size: int, favor: str, kept: bool) -> None:
    assert elected(frozenset(voters), 3, size, favor) is kept  # type: ignore[arg-type]


def test_vote_drops_the_losers_with_their_voters_in_the_rule_id() -> None:
    outputs = {
        "trafilatura": f"{P1}\n{P2}",
        "readability": f"{NAV}\n{P1}\n{P2}\n{LEAD}",
        "resiliparse": f"{P1}\n{P2}\n{LEAD}",
    }
    ballot, kept = vote(BLOCKS, outputs, "balanced")
    assert ballot == [
        ("html.vote:readability", NAV),  # one extractor kept the menu: outvoted
        (None, P1),
        (None, P2),
        (None, LEAD),  # two of three, and long enough to outvote trafilatura
    ]
    assert kept == {"readability+resiliparse": 1, "trafilatura+readability+resiliparse": 2}
    ballot, _ = vote(BLOCKS, outputs, "precision")
    assert [rule for rule, _ in ballot] == [
        "html.vote:readability",
        None,
        None,
        "html.vote:readability+resiliparse",
    ]


NAV_PAGE = """<html><head><title>Flood closes the old bridge</title></head><body>
<div class="menu"><p>Home</p><p>News</p><p>Sport</p><p>Weather</p><p>Contact us today for more</p></div>
<article>
<p>The river rose by two metres overnight and the old bridge was closed to traffic before dawn, the police said.</p>
<p>Engineers will inspect the arches on Monday, and the council expects to reopen the bridge within a week or two.</p>
<p>Residents on the east bank were asked to use the ferry, which will run every twenty minutes until further notice.</p>
</article>
<footer><p>Copyright 2024 The Riverside Herald. All rights reserved. Terms of use and privacy policy apply.</p></footer>
</body></html>"""


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return RuleBook.load([ROOT / "rules"])


def test_ensemble_and_fast_profile_on_a_page(book: RuleBook) -> None:
    doc = Document("p", "", "p.html", "https://example.net/flood", html=NAV_PAGE)
    article = (
        "The river rose by two metres overnight and the old bridge was closed to traffic before dawn, the police said.\n\n"
        "Engineers will inspect the arches on Monday, and the council expects to reopen the bridge within a week or two.\n\n"
        "Residents on the east bank were asked to use the ferry, which will run every twenty minutes until further notice.\n"
    )
    ensemble = Pipeline(book).clean(doc)
    assert ensemble.text == article
    assert ensemble.meta["extractors"] == {"trafilatura+readability+resiliparse": 3}
    fast = Pipeline(book, Settings(extraction=ExtractOptions(fast=True))).clean(doc)
    assert fast.text == article
    assert "extractors" not in fast.meta


BESIDE_P = (
    "A second paragraph of the story that only the full-page extractor kept, because it sits in another "
    "container of the page, and it runs well past twenty-five words in all."
)
BESIDE_SHORT = "Read more about the flood in our weekly newsletter"


def test_a_long_block_beside_an_elected_one_stays_in_balanced_mode() -> None:
    blocks = [NAV, P1, BESIDE_P, BESIDE_SHORT, NAV.replace("Home", "Start")]
    outputs = {
        "trafilatura": P1,
        "readability": f"{NAV}\n{P1}",
        "resiliparse": f"{P1}\n{BESIDE_P}\n{BESIDE_SHORT}",
    }
    ballot, kept = vote(blocks, outputs, "balanced")
    assert ballot == [
        ("html.vote:readability", NAV),
        (None, P1),
        (None, BESIDE_P),  # 30 words, one voter, next to P1: part of the article
        ("html.vote:resiliparse", BESIDE_SHORT),  # beside BESIDE_P, which was not elected itself, and short
    ]
    assert kept == {"resiliparse": 1, "trafilatura+readability+resiliparse": 1}
    # Only the blocks some extractor kept are neighbours: a long block two blocks away still stays.
    ballot, _ = vote([P1, "Share this", BESIDE_P], {**outputs, "resiliparse": f"{P1}\n{BESIDE_P}"}, "balanced")
    assert ballot[-1] == (None, BESIDE_P)
    # Alone on the page (no elected neighbour), and in precision or recall mode, it loses.
    assert vote([BESIDE_P], {"resiliparse": BESIDE_P, "trafilatura": "", "readability": ""}, "balanced")[0] == [
        ("html.vote:resiliparse", BESIDE_P)
    ]
    for favor in ("precision", "recall"):
        assert (None, BESIDE_P) not in vote(blocks, outputs, favor)[0]  # type: ignore[arg-type]


def test_a_page_of_one_japanese_paragraph_wins_the_vote_all_three_extractors_gave() -> None:
    """Before: the paragraph was four "words" (runs of \\w between punctuation), too few for one
    5-gram: no extractor covered it, and the page had no main text."""
    paragraph = (
        "市議会は月曜日に会合を開き、来年度の新しい予算について議論しました。"
        "予算には学校と道路の資金が含まれています。議員たちは数時間にわたって議論しました。"
    )
    outputs = {"trafilatura": paragraph, "readability": paragraph, "resiliparse": paragraph}
    ballot, kept = vote([paragraph], outputs, "balanced")
    assert (ballot, kept) == ([(None, paragraph)], {"trafilatura+readability+resiliparse": 1})
