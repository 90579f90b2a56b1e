"""A list in the body shares one fate: the classifier keeps a list whole once it keeps part of it
(cleaner/classify/lists.py; invented text only)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from cleaner.classify.config import ClassifyConfig
from cleaner.classify.features import extract
from cleaner.classify.lists import item, kept_lists, skeleton
from cleaner.document import Line
from cleaner.rules.load import parse_rule_file
from cleaner.steps.classify import BOILERPLATE, DEFAULT_LIST_RUN, NAV_RUN, SHORT, Classify
from tests.test_classify import Fixed  # a stand-in model: P(content) of each line by its words joined

ROOT = Path(__file__).resolve().parent.parent

TOUR = [
    "May 3 – Springfield, IL @ Civic Hall",
    "May 5 – Rockford, IL @ The Old Mill Arena",
    "May 8 – Madison, WI @ Lakeside Pavilion",
    "May 9 – Duluth, MN @ North Pier Theatre",
    "May 12 – Fargo, ND @ Prairie Stage",
    "May 14 – Omaha, NE @ River Bend Amphitheatre",
]
PROSE = "The band will visit a dozen cities this spring, and tickets go on sale on Friday morning."
AFTER = "Sign up for our weekly letter and never miss a show near you again."


def words(texts: list[str]) -> list[float]:
    return [float(len(text.split())) for text in texts]


def test_a_lines_skeleton_is_its_marks_in_order() -> None:
    assert skeleton(TOUR[0]) == "–,@"
    assert skeleton("Oslo (Pool 2): third visit") == "():"
    assert skeleton("No marks at all here") == ""
    assert skeleton("snake_case stays a word") == ""


def test_sentences_and_counted_menu_items_are_no_list_items() -> None:
    assert item(TOUR[0]) == "–,@"
    # One sentence a paragraph: prose, whose lines all share a full stop.
    for line in ("Click here to read more stories.", 'He said: "Not yet."', "Is it over?", "More to come\u2026"):
        assert item(line) == "", line
    # A count in brackets ends a category menu's or a tag cloud's items.
    for line in ("Local politics and more (12)", "Tags for this week [3]", "Some artist name (1) "):
        assert item(line) == "", line
    # Combining marks belong to their letters: a vowel sign is no punctuation mark.
    assert skeleton("\u0915\u093e\u092e \u2013 \u0928\u092f\u093e, \u0926\u093f\u0932\u094d\u0932\u0940") == "\u2013,"
    assert skeleton("Cafe\u0301 \u2013 Paris, France") == "\u2013,"


def test_a_run_of_one_sentence_paragraphs_is_no_list() -> None:
    texts = [PROSE, *(f"Line {k} of the story says something plain here." for k in "abcdef"), AFTER]
    assert kept_lists(texts, words(texts), [4, 5, 6, 7], 4, 4) == [4, 5, 6, 7]


def test_two_lists_side_by_side_are_judged_apart() -> None:
    other = [f"Team {k} (Pool {k}): a {k} visit" for k in "ABCDE"]
    texts = [*TOUR, *other]
    # The dates: two kept, four below, kept whole. The teams, right after: one kept, four below, they go.
    below = [2, 3, 4, 5, 7, 8, 9, 10]
    assert kept_lists(texts, words(texts), below, 4, 4) == [7, 8, 9, 10]
    # And the other way round: the teams kept whole, the dates (one kept) go.
    below = [1, 2, 3, 4, 5, 6, 9, 10]
    assert kept_lists(texts, words(texts), below, 4, 4) == [1, 2, 3, 4, 5]
    # The teams' first line, right after the dates, the only one of them below: kept with its list.
    assert kept_lists(texts, words(texts), [1, 2, 3, 4, 5, 6], 4, 4) == [1, 2, 3, 4, 5]


def test_a_list_kept_in_part_is_kept_whole() -> None:
    texts = [PROSE, *TOUR, AFTER]
    # The classifier kept the first two dates and the prose, and would drop the other dates and the pitch.
    below = [3, 4, 5, 6, 7]
    assert kept_lists(texts, words(texts), below, 4, 4) == [7]


def test_a_list_kept_in_one_line_only_goes() -> None:
    texts = [PROSE, *TOUR, AFTER]
    below = [2, 3, 4, 5, 6, 7]
    assert kept_lists(texts, words(texts), below, 4, 4) == below


def test_a_list_of_fewer_different_lines_than_the_run_goes() -> None:
    texts = [PROSE, *TOUR[:3], AFTER]
    assert kept_lists(texts, words(texts), [3, 4], 4, 4) == [3, 4]
    assert kept_lists(texts, words(texts), [3, 4], 3, 4) == [4]
    # The same line said again and again is no list (a paste, a widget): it counts once.
    repeated = [PROSE, TOUR[0], TOUR[0], TOUR[0], TOUR[0], TOUR[0], AFTER]
    assert kept_lists(repeated, words(repeated), [3, 4, 5], 4, 4) == [3, 4, 5]


def test_short_items_and_lines_without_marks_make_no_list() -> None:
    # Menus and tag lists are runs of short items.
    menu = ["Arts – Film", "Food – Wine", "Home – Garden", "Travel – Asia", "Work – Jobs", "Cars – Bikes"]
    assert kept_lists(menu, words(menu), [2, 3, 4, 5], 4, 4) == [2, 3, 4, 5]
    assert kept_lists(menu, words(menu), [2, 3, 4, 5], 4, 2) == []  # (with 2-word items counted as long)
    counted = ["Local politics news (12)", "World news today (8)", "Local sport news (31)", "Arts and culture (4)"]
    assert kept_lists(counted, words(counted), [2, 3], 4, 2) == [2, 3]  # counts: no items, however long
    plain = [f"This plain line number {k} has no marks" for k in "abcdef"]
    assert kept_lists(plain, words(plain), [2, 3, 4, 5], 4, 4) == [2, 3, 4, 5]


def test_another_mark_ends_the_list() -> None:
    odd = "May 10 – Sioux Falls, SD @ Falls Park (moved from May 2)"
    texts = [*TOUR[:2], odd, *TOUR[2:]]
    # Lines 0-1 kept, the odd line and the four after it below: the run of four after it has none kept.
    assert kept_lists(texts, words(texts), [2, 3, 4, 5, 6], 4, 4) == [2, 3, 4, 5, 6]
    # Two of the four after it kept: those four stay, the odd line (a list of one) goes.
    assert kept_lists(texts, words(texts), [0, 1, 2, 5, 6], 4, 4) == [0, 1, 2]


def test_a_run_of_zero_turns_it_off() -> None:
    texts = [PROSE, *TOUR, AFTER]
    assert kept_lists(texts, words(texts), [3, 4, 5, 6, 7], 0, 4) == [3, 4, 5, 6, 7]


class Odds(Fixed):
    """The compiled shortcut's answer for the same P: the features' matrix and each line's log-odds."""

    def shortcut(self, texts: list[str], cut: float | None = None, floor: float = -math.inf):
        found = extract(texts)
        odds = np.array([math.log(p) - math.log1p(-p) for p in self.score(found)])
        return found.matrix, odds, float(odds.min())


def scores(kept: int) -> dict[str, float]:
    """The prose and the first ``kept`` dates likely content, the rest of the dates and the pitch not."""
    texts = [PROSE, *TOUR, AFTER]
    joined = extract(texts).words
    return {w: 0.9 if i <= kept else 0.001 for i, w in enumerate(joined)}


def test_the_step_keeps_the_list_and_drops_the_rest_on_both_paths() -> None:
    config = ClassifyConfig(thresholds={"balanced": 0.01})
    for model in (Fixed(scores(2)), Odds(scores(2))):
        ls = [Line(no, text) for no, text in enumerate([PROSE, *TOUR, AFTER], 1)]
        Classify(config, "balanced", model)(ls)  # type: ignore[arg-type]
        assert [line.dropped_by for line in ls] == [None] * 7 + [BOILERPLATE], type(model).__name__
    for model in (Fixed(scores(1)), Odds(scores(1))):  # one date kept: the list is not kept
        ls = [Line(no, text) for no, text in enumerate([PROSE, *TOUR, AFTER], 1)]
        Classify(config, "balanced", model)(ls)  # type: ignore[arg-type]
        assert [line.dropped_by for line in ls] == [None, None] + [BOILERPLATE] * 6, type(model).__name__


def test_the_step_counts_words_as_the_classifier_does_and_short_items_make_no_list() -> None:
    menu = ["Arts – Film, TV", "Food – Wine, Beer", "Home – Garden, DIY", "Travel – Asia, Europe", "Work – Jobs, Pay"]
    texts = [PROSE, *menu, AFTER]
    joined = extract(texts).words
    scores = {w: 0.9 if i <= 2 else 0.001 for i, w in enumerate(joined)}
    config = ClassifyConfig(thresholds={"balanced": 0.01})
    # 3 words each: short under short_words 4 (a nav run, no list), long under 3 (a list, kept whole).
    for short_words, expected in ((4, [NAV_RUN] * 3), (3, [None] * 3)):
        for model in (Fixed(scores), Odds(scores)):
            ls = [Line(no, text) for no, text in enumerate(texts, 1)]
            step = Classify(config, "balanced", model)  # type: ignore[arg-type]
            step.short_words = short_words
            step(ls)
            assert [line.dropped_by for line in ls][3:6] == expected, (short_words, type(model).__name__)


def test_list_run_comes_from_the_rule_file_and_zero_turns_it_off() -> None:
    model, problems = parse_rule_file(ROOT / "rules" / "generic" / "classify.yaml")
    assert problems == [] and model is not None and model.classify is not None
    assert model.classify.list_run == DEFAULT_LIST_RUN == 4
    config = ClassifyConfig(thresholds={"balanced": 0.01}, list_run=0)
    ls = [Line(no, text) for no, text in enumerate([PROSE, *TOUR, AFTER], 1)]
    Classify(config, "balanced", Fixed(scores(2)))(ls)  # type: ignore[arg-type]
    assert [line.dropped_by for line in ls] == [None, None, None] + [BOILERPLATE] * 5
    # A run longer than the list: the list is not one.
    config = ClassifyConfig(thresholds={"balanced": 0.01}, list_run=7)
    ls = [Line(no, text) for no, text in enumerate([PROSE, *TOUR, AFTER], 1)]
    Classify(config, "balanced", Fixed(scores(2)))(ls)  # type: ignore[arg-type]
    assert [line.dropped_by for line in ls] == [None, None, None] + [BOILERPLATE] * 5
    assert SHORT not in [line.dropped_by for line in ls]


# An invented article whose tour dates the shipped model keeps in part: near the end of the text its
# verdicts drift with the position, and without lists it drops the last seven dates with the footer.
ARTICLE = [
    "Home",
    "News",
    "Music",
    "Tour",
    "The band announced on Monday that it will return to the road this spring for its first tour in six years.",
    "The singer said the group had spent the winter rehearsing new songs in a small studio near the coast.",
    "Tickets for every show go on sale on Friday morning through the venues and the band's own website.",
    "The new album, the band's ninth, is due out in the autumn, and two of its songs will be played on the tour.",
    "The band's tour dates",
    *TOUR,
    "May 16 – Wichita, KS @ Grand Hall Music Center",
    "May 19 – Tulsa, OK @ Brady Street Theater",
    "May 21 – Dallas, TX @ Lone Star Pavilion",
    "May 23 – Austin, TX @ Riverside Stage",
    "Reporting by a staff writer",
    "Sign up for our newsletter",
    "Trending",
    "Privacy Policy",
    "Terms of Use",
]
DATES = range(9, 19)  # the dates' places in ARTICLE


def test_the_shipped_model_keeps_the_whole_list_and_drops_the_footer(tmp_path: Path) -> None:
    from cleaner.document import Document
    from cleaner.pipeline import Pipeline
    from cleaner.rules.book import RuleBook

    off = tmp_path / "classify.yaml"
    off.write_text((ROOT / "rules" / "generic" / "classify.yaml").read_text().replace("list_run: 4 ", "list_run: 0 "))
    doc = Document("tour", "\n".join(ARTICLE) + "\n", "tour.txt")
    fates = {}
    for name, rules in (("on", ROOT / "rules" / "generic" / "classify.yaml"), ("off", off)):
        cleaned = Pipeline(RuleBook.load([rules])).clean(doc)
        fates[name] = [line.dropped_by for line in cleaned.lines]
    assert [fates["off"][i] for i in DATES] == [None] * 3 + [BOILERPLATE] * 7
    assert [fates["on"][i] for i in DATES] == [None] * 10
    assert fates["on"][19:] == fates["off"][19:] and all(fates["on"][19:])  # the footer goes either way
    assert fates["on"][:9] == fates["off"][:9]


def test_explain_says_a_line_under_the_threshold_was_kept_as_one_of_a_list(tmp_path: Path) -> None:
    import subprocess
    import sys

    doc = tmp_path / "tour.txt"
    doc.write_text("\n".join(ARTICLE) + "\n")
    args = ["explain", str(doc), "--features", "--no-default-rules", "--rules", "rules/generic/classify.yaml"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "cleaner", *args], cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    shown = done.stdout.splitlines()
    noted = [shown[k - 1].split()[0] for k, line in enumerate(shown) if "(kept: one of a list)" in line]
    assert noted and set(noted) <= {str(i + 1) for i in DATES}
    # A line of the list another step removes after the classifier kept it: no note on it.
    doc.write_text("\n".join([*ARTICLE[:9], *(f"Source: {date}" for date in ARTICLE[9:19]), *ARTICLE[19:]]) + "\n")
    args[-1] = "rules/generic"
    done = subprocess.run([sys.executable, "-m", "cleaner", *args], cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    shown = done.stdout.splitlines()
    assert "<- credits.source" in done.stdout
    assert not [
        shown[k - 1] for k, line in enumerate(shown) if "(kept: one of a list)" in line and " - " in shown[k - 1]
    ]
