"""The generic line classifier: rule ids, thresholds, settings from rule files, the shipped model
(invented text only)."""

from __future__ import annotations

import math
import random
from array import array
from itertools import groupby
from pathlib import Path

import numpy as np
import pytest

from cleaner.classify.compiled import KINDS
from cleaner.classify.config import ClassifyConfig
from cleaner.classify.features import INDEX, NAMES, extract
from cleaner.classify.model import Model
from cleaner.document import Document, Line
from cleaner.pipeline import Pipeline, Settings
from cleaner.rules.book import RuleBook
from cleaner.rules.load import parse_rule_file
from cleaner.steps.classify import BOILERPLATE, LABELS, NAV_RUN, SHORT, Classify

ROOT = Path(__file__).resolve().parent.parent
MENU = ["Home", "News", "Sport", "Weather", "Contact"]
PROSE = [
    "The harbour committee met on Tuesday to discuss the plans for the old pier and the new ferry terminal.",
    "Residents said they had waited many years for a decision, and several of them spoke at the meeting.",
    "A final vote on the budget is expected before the end of the summer, the chair of the committee said.",
]
FOOTER = ["Privacy policy", "Terms of use"]
# The classifier's settings alone: the shipped generic rules would take most of these menus first.
CLASSIFY = ROOT / "rules" / "generic" / "classify.yaml"


class Fixed:
    """A stand-in model: P(content) of each line given by its text."""

    def __init__(self, scores: dict[str, float]):
        self.scores = scores

    def score(self, found) -> np.ndarray:
        return np.array([self.scores[words] for words in found.words])

    def shortcut(self, texts: list[str], cut: float | None = None, floor: float = -math.inf) -> None:
        return None  # no shortcut: every document is scored the long way


def lines(*texts: str) -> list[Line]:
    """Lines of a document past its first line, the title, which the classifier never drops (below)."""
    return [Line(no, text) for no, text in enumerate(texts, 2)]


def test_the_first_line_a_pages_title_is_never_the_classifiers() -> None:
    # The first line of crawled text is the page's <title>, most often the article's headline: short,
    # and next to the menu, the classifier would take it as one of the menu's run.
    scores = {"the harbour reopens": 0.001, "home": 0.001, "news": 0.001, "sport": 0.001}
    scores["the long paragraph of content stays here today"] = 0.9
    texts = ["The harbour reopens", "Home", "News", "Sport", "The long paragraph of content stays here today."]
    config = ClassifyConfig(thresholds={"balanced": 0.01}, min_lines=1)

    class Odds(Fixed):  # the compiled shortcut's answer for the same P (the step's other path)
        def shortcut(self, texts: list[str], cut: float | None = None, floor: float = -math.inf):
            found = extract(texts)
            odds = np.array([math.log(p) - math.log1p(-p) for p in self.score(found)])
            return found.matrix, odds, float(odds.min())

    for model in (Fixed(scores), Odds(scores)):
        ls = [Line(no, text) for no, text in enumerate(texts, 1)]
        Classify(config, "balanced", model)(ls)  # type: ignore[arg-type]
        assert [line.dropped_by for line in ls] == [None, NAV_RUN, NAV_RUN, NAV_RUN, None]
        # A first line a rule took leaves none: the line after it is judged as any other.
        ls = [Line(no, text) for no, text in enumerate(texts, 1)]
        ls[0].drop("demo.rule")
        Classify(config, "balanced", model)(ls)  # type: ignore[arg-type]
        assert [line.dropped_by for line in ls] == ["demo.rule", NAV_RUN, NAV_RUN, NAV_RUN, None]


def test_rule_ids_say_what_kind_of_line_went() -> None:
    texts = ["Alpha", "Beta", "Gamma", "A lone label", "Subscribe to our weekly letter for more news today", "Delta"]
    scores = {"alpha": 0.001, "beta": 0.001, "gamma": 0.001, "a lone label": 0.001, "delta": 0.5}
    scores["subscribe to our weekly letter for more news today"] = 0.001
    ls = lines(*texts[:3], "The long paragraph of content stays here today.", *texts[3:])
    scores["the long paragraph of content stays here today"] = 0.9
    config = ClassifyConfig(thresholds={"balanced": 0.01}, min_lines=1)
    Classify(config, "balanced", Fixed(scores))(ls)  # type: ignore[arg-type]
    assert [line.dropped_by for line in ls] == [NAV_RUN, NAV_RUN, NAV_RUN, None, SHORT, BOILERPLATE, None]


def test_threshold_is_strict_and_profile_picks_it() -> None:
    scores = {"one": 0.02, "two": 0.05}
    config = ClassifyConfig(thresholds={"precision": 0.02, "balanced": 0.03, "recall": 0.06}, min_lines=2)
    for profile, expected in (("precision", [None, None]), ("balanced", [SHORT, None]), ("recall", [SHORT, SHORT])):
        ls = lines("One", "Two")
        Classify(config, profile, Fixed(scores))(ls)  # type: ignore[arg-type]
        assert [line.dropped_by for line in ls] == expected, profile


def test_a_site_profile_wins_over_the_command_line() -> None:
    config = ClassifyConfig(profile="precision", thresholds={"precision": 0.001, "balanced": 0.5}, min_lines=1)
    ls = lines("One")
    Classify(config, "balanced", Fixed({"one": 0.01}))(ls)  # type: ignore[arg-type]
    assert ls[0].dropped_by is None


def test_settings_merge_site_over_generic() -> None:
    generic = ClassifyConfig(thresholds={"precision": 0.01, "balanced": 0.02}, short_words=4)
    site = ClassifyConfig(thresholds={"balanced": 0.1}, enabled=True)
    merged = site.over(generic)
    assert merged.thresholds == {"precision": 0.01, "balanced": 0.1}
    assert merged.short_words == 4 and merged.enabled is True


def test_shipped_model_drops_a_menu_run_and_keeps_the_prose() -> None:
    pipeline = Pipeline(RuleBook.load([CLASSIFY]))
    cleaned = pipeline.clean(Document("d", "\n".join([*MENU, *PROSE, *FOOTER]) + "\n", "d.txt"))
    fates = [line.dropped_by for line in cleaned.lines]
    assert fates == [None, NAV_RUN, NAV_RUN, NAV_RUN, NAV_RUN, None, None, None, SHORT, SHORT]
    assert cleaned.removed() == {NAV_RUN: 4, SHORT: 2}
    # Cleaning the clean text again removes nothing more.
    again = pipeline.clean(Document("d", cleaned.text, "d.txt"))
    assert again.text == cleaned.text


def test_a_site_file_can_turn_it_off(tmp_path: Path) -> None:
    site = tmp_path / "harbour.yaml"
    site.write_text(
        "name: harbour\ndescription: A test site.\nmatch: {domains: [harbour.example]}\nclassify: {enabled: false}\n",
        encoding="utf-8",
    )
    model, problems = parse_rule_file(site)
    assert problems == [] and model is not None and model.classify == ClassifyConfig(enabled=False)
    pipeline = Pipeline(RuleBook.load([CLASSIFY, site]))
    text = "\n".join([*MENU, *PROSE]) + "\n"
    on_site = pipeline.clean(Document("d", text, "d", url="https://www.harbour.example/a"))
    elsewhere = pipeline.clean(Document("d", text, "d", url="https://other.example/a"))
    assert on_site.removed() == {}
    assert elsewhere.removed() == {NAV_RUN: 4}


def test_off_by_option_and_for_html_and_without_thresholds() -> None:
    text = "\n".join([*MENU, *PROSE]) + "\n"
    assert Pipeline(RuleBook.load([CLASSIFY]), Settings(classify=False)).clean(Document("d", text, "d")).removed() == {}
    assert Pipeline(RuleBook.empty()).clean(Document("d", text, "d")).removed() == {}
    assert Pipeline(RuleBook.load([ROOT / "rules"])).classifier.choose(None, html=True) is None


def test_a_rule_file_needs_rules_or_a_classify_section(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("name: empty\ndescription: Nothing.\n", encoding="utf-8")
    model, problems = parse_rule_file(path)
    assert model is None
    assert [p.message for p in problems] == ["rules: a rule file needs at least one rule (or a 'classify' section)"]


def test_features_see_neighbours_and_language() -> None:
    found = extract(["Home", "News", *PROSE])
    m = found.matrix
    assert found.language == "English"
    assert m[:, INDEX["words"]].tolist() == [1, 1, 19, 18, 20]
    assert m[:, INDEX["short_run"]].tolist() == [2, 2, 0, 0, 0]
    assert m[:, INDEX["dist_long"]].tolist() == [2, 1, 0, 0, 0]
    assert m[:, INDEX["sentence_end"]].tolist() == [0, 0, 1, 1, 1]
    german = extract(["Die Sitzung des Ausschusses fand am Dienstag statt, und viele Bürger waren dabei."])
    assert german.language == "German"


def test_model_refuses_other_features() -> None:
    with np.load(ROOT / "cleaner" / "classify" / "model.npz") as data:
        arrays = {key: data[key] for key in data.files}
    assert tuple(str(n) for n in arrays["names"]) == NAMES
    arrays["names"] = np.array([*NAMES[:-1], "other"])
    with pytest.raises(ValueError, match="make train"):
        Model(arrays)


def test_long_documents_are_left_alone_and_trees_run_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner.classify import model as model_module
    from cleaner.steps import classify as step

    monkeypatch.setattr(step, "MAX_ROWS", 6)
    pipeline = Pipeline(RuleBook.load([CLASSIFY]))
    text = "\n".join([*MENU, *PROSE]) + "\n"  # eight rows, over the limit of six
    assert pipeline.clean(Document("d", text, "d")).removed() == {}
    model = Model.load()
    found = extract([*MENU, *PROSE])
    whole = model.score(found)
    monkeypatch.setattr(model_module, "CHUNK", 3)
    assert np.array_equal(model.score(found), whole)


def test_a_very_long_line_is_read_by_its_head() -> None:
    long_line = "word " * 5000
    found = extract(["Home", long_line])
    assert found.matrix[1, INDEX["log_chars"]] == pytest.approx(np.log1p(len(long_line.strip())))
    assert found.matrix[1, INDEX["words"]] == 400  # the first 2,000 characters


def test_a_short_document_is_left_alone() -> None:
    scores = {"one": 0.001, "two": 0.001, "three": 0.001}
    config = ClassifyConfig(thresholds={"balanced": 0.01})  # at least five lines by default
    ls = lines("One", "Two", "Three")
    Classify(config, "balanced", Fixed(scores))(ls)  # type: ignore[arg-type]
    assert [line.dropped_by for line in ls] == [None, None, None]
    Classify(ClassifyConfig(thresholds={"balanced": 0.01}, min_lines=3), "balanced", Fixed(scores))(ls)  # type: ignore[arg-type]
    assert [line.dropped_by for line in ls] == [NAV_RUN, NAV_RUN, NAV_RUN]


def _grouped_rules(words: list[float], below: list[int], short_words: float, nav_run: float) -> list[str | None]:
    """The rule ids as the step once made them: every row grouped into runs of short rows."""
    rules: list[str | None] = [None] * len(words)
    runs: list[int] = []
    for short, run in groupby(words, key=lambda count: count < short_words):
        size = len(list(run))
        runs += [size if short else 0] * size
    for i in below:
        if words[i] >= short_words:
            rules[i] = BOILERPLATE
        else:
            rules[i] = NAV_RUN if runs[i] >= nav_run else SHORT
    return rules


def test_rule_ids_measure_only_the_runs_of_rows_below_as_a_grouping_of_every_row_does() -> None:
    # (the step measures a run from a row below out to its ends; a run measured once serves the
    # other rows below in it, in any order they come)
    rng = random.Random(15)
    for _ in range(4_000):
        n = rng.randint(0, 30)
        words = [rng.choice([0.0, 1.0, 2.0, 3.0, 3.5, 4.0, 5.0, 9.0, math.nan]) for _ in range(n)]
        below = sorted(rng.sample(range(n), rng.randint(0, n)))
        if rng.random() < 0.2:
            rng.shuffle(below)
        short_words, nav_run = rng.choice([4, 3.5, 1]), rng.choice([3, 1, 2.5, 7, 0])
        config = ClassifyConfig(thresholds={"balanced": 0.01}, short_words=4, nav_run=3)
        step = Classify(config, "balanced")
        step.short_words, step.nav_run = short_words, nav_run
        expected = _grouped_rules(words, below, short_words, nav_run)
        assert step._rules(words, below) == expected
        assert step._kinds(words, below) == [expected[i] for i in below]
        # (the step's own call on the shortcut's words: the C where it is built, else the twin)
        kinds = KINDS(memoryview(array("d", words)), below, short_words, nav_run, LABELS)
        assert kinds == [expected[i] for i in below]


def test_rows_below_are_those_not_above_the_cut_when_all_are_below_the_floor() -> None:
    config = ClassifyConfig(thresholds={"balanced": 0.02})
    step = Classify(config, "balanced")
    cut, floor = step._cut, step._floor
    rng = random.Random(16)
    for _ in range(2_000):
        values = [rng.choice([cut + 1, math.inf, floor - 1, -math.inf, cut, 50.0]) for _ in range(rng.randint(0, 12))]
        assert step._below(np.array(values)) == [i for i, x in enumerate(values) if x < floor]
        # one value within the band (or NaN): the probabilities decide every row, as Model.probability
        for odd in ((cut + floor) / 2, math.nan):
            at = rng.randint(0, len(values))
            mixed = [*values[:at], odd, *values[at:]]
            p = Model.probability(np.array(mixed)).tolist()
            assert step._below(np.array(mixed)) == [i for i, score in enumerate(p) if score < 0.02]
