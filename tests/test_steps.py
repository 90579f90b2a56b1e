"""The built-in steps, each on its own, with exact outputs and exact records."""

from __future__ import annotations

from pathlib import Path

from cleaner.document import Document, Line
from cleaner.pipeline import Pipeline, Settings
from cleaner.pipeline.clean import split_lines
from cleaner.rules.book import RuleBook
from cleaner.steps.dedup import PREFIX, REPEAT, dedup
from cleaner.steps.repair import repair
from cleaner.steps.whitespace import layout_text


def lines(*texts: str) -> list[Line]:
    return [Line(n, t, t) for n, t in enumerate(texts, 1)]


def test_repair_fixes_mojibake_and_records_it() -> None:
    ls = lines("I donâ€™t know", "caf\u00c3\u00a9 & bar", "plain ASCII line", "Tom &amp; Jerry")
    repair(ls)
    assert [line.text for line in ls] == ["I don’t know", "café & bar", "plain ASCII line", "Tom & Jerry"]
    assert [line.changed_by for line in ls] == [("ftfy:encoding",), ("ftfy:encoding",), (), ("ftfy:html",)]


def test_repair_leaves_curly_quotes_ligatures_and_width_alone() -> None:
    ls = lines("“quoted” ﬁne ＦＵＬＬ")
    repair(ls)
    assert ls[0].text == "“quoted” ﬁne ＦＵＬＬ" and ls[0].changed_by == ()


def test_repair_can_leave_entities() -> None:
    ls = lines("Tom &amp; Jerry")
    repair(ls, unescape_html=False)
    assert ls[0].text == "Tom &amp; Jerry"


def test_whitespace_turns_nbsp_into_spaces_and_strips_trailing_space() -> None:
    ls = lines("Watch:\u00a0this\u00a0 ", "ok", "\ufeffBOM")
    repair(ls, enabled=False)
    assert [line.text for line in ls] == ["Watch: this", "ok", "BOM"]
    assert [line.changed_by for line in ls] == [("whitespace",), (), ("whitespace",)]


def test_whitespace_is_found_before_a_lone_carriage_return() -> None:
    # The document-level gate once looked for trailing whitespace only before \n: a line ended
    # by a lone \r kept its trailing space, and cleaning the output again changed it.
    text = "first\rsecond \rthird"
    ls, _ = split_lines(text)
    repair(ls, text=text)
    assert [line.text for line in ls] == ["first", "second", "third"]
    assert [line.changed_by for line in ls] == [(), ("whitespace",), ()]


def test_layout_makes_every_line_a_paragraph() -> None:
    assert layout_text("a\nb\n\n\n\nc") == "a\n\nb\n\nc\n"
    assert layout_text("a\nb\n\n\n\nc", "lines") == "a\nb\n\nc\n"
    assert layout_text("\n\n") == ""


def test_dedup_keeps_the_first_copy_and_drops_a_prefix_echo() -> None:
    body = "The source noted that NATO was in talks with Russia on this issue. Earlier, it said more."
    ls = lines(
        "The source noted that NATO was in talks with Russia on this issue",
        body,
        "A second paragraph that is long enough to count.",
        body,
        "Short",
        "Short",
    )
    dedup(ls)
    assert [line.dropped_by for line in ls] == [PREFIX, None, None, REPEAT, None, None]


def test_empty_document_is_left_out_and_says_what_emptied_it() -> None:
    pipeline = Pipeline(RuleBook.load([Path("rules")]))
    cleaned = pipeline.clean(Document("x", "Advertisement\n\nShare this article\n", "x.txt"))
    assert cleaned.text == "" and cleaned.empty
    assert cleaned.emptied_by() == "chrome.widget"
    assert pipeline.clean(Document("y", "  \n", "y.txt")).emptied_by() == "empty-input"


def test_steps_can_be_turned_off() -> None:
    pipeline = Pipeline(RuleBook.empty(), Settings(repair=False, dedup=False))
    text = "donâ€™t\n\ndonâ€™t stop me now, I am having such a good time\n\ndonâ€™t stop me now, I am having such a good time\n"
    assert pipeline.clean(Document("x", text, "x")).text == text


def test_stats_count_text_lines_not_blank_separators() -> None:
    pipeline = Pipeline(RuleBook.empty())
    cleaned = pipeline.clean(Document("d", "One line here.\n\n\nTwo lines here.\nThree.\n", "d.txt"))
    assert cleaned.text == "One line here.\n\nTwo lines here.\n\nThree.\n"
    stats = cleaned.record()["stats"]
    assert (stats["lines_in"], stats["lines_out"], stats["chars_in"], stats["chars_out"]) == (5, 3, 40, 40)
