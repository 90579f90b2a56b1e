"""The built-in steps, each on its own, with exact outputs and exact records."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaner.document import Document, Line
from cleaner.pipeline import Pipeline, Settings
from cleaner.pipeline.clean import split_lines
from cleaner.rules.book import RuleBook
from cleaner.steps import repair as repair_module
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


# The line breaks str.splitlines knows besides \n and \r: a line can hold them (lines are cut at
# \n, \r\n and \r), and each is one space, as an NBSP is.
BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\u2028", "\u2029"]


@pytest.mark.parametrize("enabled", [True, False], ids=["ftfy", "no-ftfy"])
@pytest.mark.parametrize("use_c", [True, False], ids=["c", "python"])
def test_a_line_break_within_a_line_is_a_space_as_an_nbsp_is(enabled: bool, use_c: bool, monkeypatch) -> None:
    """Before: ftfy deleted a vertical tab (a soft line break in word processors' exports) and FS,
    GS, RS, gluing the words either side ("Hello\\vworld" became "Helloworld"), and a form feed,
    U+2028 and U+2029 stayed in the text. Each is now a space wherever an NBSP would be one
    (between words, doubled, leading), none trails, and a line of nothing else is blank."""
    if use_c and repair_module._NATIVE is None:
        pytest.skip("CLEANER_NATIVE=off")
    monkeypatch.setattr(repair_module, "_NATIVE", repair_module._NATIVE if use_c else None)
    for mark in [*BREAKS, "\u00a0"]:
        texts = [f"Hello{mark}world", f"Hello {mark} world", f"{mark}Hello", f"Hello{mark}", f"{mark}", "plain"]
        text = "\n".join(texts)
        ls, _ = split_lines(text)
        repair(ls, enabled=enabled, text=text)
        assert [line.text for line in ls] == ["Hello world", "Hello   world", " Hello", "Hello", "", "plain"], mark
        labels = ("whitespace",)
        assert [line.changed_by for line in ls] == [labels, labels, labels, labels, labels, ()], mark


@pytest.mark.parametrize("use_c", [True, False], ids=["c", "python"])
def test_nel_is_ftfys_ellipsis_and_a_space_without_ftfy(use_c: bool, monkeypatch) -> None:
    """U+0085 (NEL) in web text is mostly a Windows-1252 "…" decoded as Latin-1: ftfy's encoding
    fix makes it one. With the encoding repair off it is a line break, so a space."""
    if use_c and repair_module._NATIVE is None:
        pytest.skip("CLEANER_NATIVE=off")
    monkeypatch.setattr(repair_module, "_NATIVE", repair_module._NATIVE if use_c else None)
    for enabled, expected, label in [
        (True, "Wait\u2026 what\u2026", "ftfy:encoding"),
        (False, "Wait  what", "whitespace"),
    ]:
        text = "Wait\x85 what\x85"
        ls, _ = split_lines(text)
        repair(ls, enabled=enabled, text=text)
        assert [(line.text, line.changed_by) for line in ls] == [(expected, (label,))]


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
