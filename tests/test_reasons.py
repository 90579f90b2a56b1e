"""Why a line went or changed (cleaner/steps/reasons.py): `cleaner explain`'s legend."""

from __future__ import annotations

from pathlib import Path

from cleaner.classify.config import ClassifyConfig
from cleaner.document import Line
from cleaner.repeated import boilerplate
from cleaner.rules.book import RuleBook
from cleaner.rules.load import rule_roots
from cleaner.steps import classify, dedup, extract, extract_vote, repair, whitespace
from cleaner.steps.reasons import BUILT_IN, UNKNOWN, Reason, Reasons, acted, first_sentence

ROOT = Path(__file__).resolve().parent.parent


def test_every_built_in_label_is_described_where_it_is_made() -> None:
    reasons = Reasons(RuleBook.load(rule_roots([])))
    made = [
        *classify.LABELS,
        dedup.REPEAT,
        dedup.PREFIX,
        whitespace.LABEL,
        repair.LABEL,
        repair.ENCODING,
        repair.HTML,
        extract.TITLE,
        f"{extract_vote.VOTE}:readability",
        boilerplate.GENERIC_RULE,
        f"{boilerplate.RULE_PREFIX}example.com",
    ]
    assert [label for label in made if reasons.of(label).text == UNKNOWN] == []


def test_a_family_names_what_follows_its_prefix() -> None:
    reasons = Reasons(RuleBook([]))
    assert reasons.of("html.vote:readability+resiliparse") == Reason(
        "html.vote:readability+resiliparse",
        BUILT_IN,
        "A block of the page that lost the extractors' vote: only readability+resiliparse kept it.",
    )
    assert reasons.of("repeated:dailygazette.co.uk").text == (
        "A line repeated across many documents of the site dailygazette.co.uk (--drop-repeated)."
    )
    assert reasons.of("repeated:generic").text == (
        "A line found on many unrelated sites' documents: template chrome (--drop-repeated)."
    )
    assert reasons.of("ftfy:surrogates").text == "Repaired by ftfy's surrogates fix."
    assert reasons.of("ftfy").text == "Repaired by ftfy."
    assert reasons.of("nobody.knows") == Reason("nobody.knows", "?", UNKNOWN)


def test_a_classifier_removal_names_its_threshold_and_profile() -> None:
    book = RuleBook.load([ROOT / "rules" / "generic" / "classify.yaml"])
    config = ClassifyConfig(thresholds={"precision": 0.01, "recall": 0.04})
    reason = Reasons(book).of(classify.SHORT, classify.Classify(config, "recall"))
    assert reason.source == str(ROOT / "rules" / "generic" / "classify.yaml")
    assert reason.text == (
        "A short line on its own (a label, a button, a date) the line classifier scored unlikely to be content: "
        "P(content) under 0.04 (profile recall)."
    )
    assert Reasons(RuleBook([])).of(classify.SHORT).source == BUILT_IN  # no file configures it


def test_acted_gives_each_shown_label_once_in_order() -> None:
    lines = [Line(n, text) for n, text in enumerate(["a", "b", "c", "d", "e"], 1)]
    lines[0].change("A", "ftfy:encoding+ftfy:html")
    lines[1].drop("html.vote:readability+resiliparse")
    lines[2].change("C", "whitespace")
    lines[2].drop("links.see-also")  # a dropped line shows its rule only
    lines[3].change("D", "ftfy:html")
    lines[4].drop("links.see-also")
    assert acted(lines) == ["ftfy:encoding", "ftfy:html", "html.vote:readability+resiliparse", "links.see-also"]


def test_first_sentence_ends_outside_quotes_and_brackets() -> None:
    assert first_sentence('The footer ("Posted in X. Bookmark it.", "Tags: a") under\n  a post. More here.') == (
        'The footer ("Posted in X. Bookmark it.", "Tags: a") under a post.'
    )
    assert first_sentence("A date (e.g. 3. Mai) alone. Then more.") == "A date (e.g. 3. Mai) alone."
    assert first_sentence("One line, no full stop") == "One line, no full stop"
    assert first_sentence("Ends here.") == "Ends here."
