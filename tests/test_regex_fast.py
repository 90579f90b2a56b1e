"""Regex's fast paths answer as the plain ones: a pattern's ASCII twin (regex.to_re2(...,
ascii=True)) matches an ASCII text exactly as the pattern does (same spans, groups and
replacements; a text beyond ASCII runs on the pattern itself), and the answers kept by text are
RE2's."""

from __future__ import annotations

import random
import re
import zlib
from pathlib import Path

import pytest
import yaml

from cleaner.rules import base, regex
from cleaner.rules.book import RuleBook
from cleaner.rules.regex import Regex, _compile_re2, _NoTwin, to_re2

ROOT = Path(__file__).resolve().parent.parent

# Characters on both sides of every class's ASCII bounds, the spaces \s holds, and words.
ALPHABET = [*"aZz09_ -.,:/|\t\x0b\x1c\x1f!~@[]`{", "Share", "Updated: ", "Jan 08, 2022", " PM", "\n"]


def _rows(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 12))) for _ in range(count)]


def _plain(rx: Regex) -> object:
    """The pattern's own RE2 (Unicode classes), whatever the text."""
    return _compile_re2(to_re2(rx.pattern))


def _same(rx: Regex, text: str) -> None:
    plain = _plain(rx)
    m = plain.search(text)
    found = rx.search(text)
    assert (found is None) == (m is None), (rx.pattern, text)
    if m is not None:
        assert found == regex.Found(m.start(), m.end(), m.groupdict()), (rx.pattern, text)
    assert rx.test(text) == (m is not None)
    assert rx.test_start(text) == (plain.match(text) is not None), (rx.pattern, text)
    assert list(rx.spans(text)) == [(x.start(), x.end()) for x in plain.finditer(text)], (rx.pattern, text)
    assert rx.sub("<\\g<0>>", text) == plain.sub(lambda x: "<" + x.group(0) + ">", text), (rx.pattern, text)


PATTERNS = [
    r"^\w+$",
    r"^[\w .,-]{1,20}Updated: (?P<value>[A-Z][a-z]{2} \d{2}, \d{4})",
    r"(?i)^share\s+\S+$",
    r"[^\w\s]+",
    r"\W\D\S",
    r"^[\d:]+\s*(?:PM|AM)?$",
    r"(?m)^\s*$",
    r"[\w-]+",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_twin_matches_ascii_text_as_the_pattern(pattern: str) -> None:
    rx = Regex(pattern)
    for text in _rows(zlib.crc32(pattern.encode()), 400):
        _same(rx, text)
    assert rx._ascii not in (None, False)  # the twin ran


def test_every_shipped_pattern_has_a_twin_that_matches_as_it_does() -> None:
    book = RuleBook.load([ROOT / "rules"])
    rows = [*_rows(7, 120), "Springfield, ExampleUpdated: Mar 09, 2021, 10:15 AM IST", "Share this", "Advertisement"]
    seen = 0
    for rule_set in [book.generic, *book.sites]:
        assert rule_set is not None
        for rule in rule_set.rules:
            if rule.trigger_rx.engine != "re2":
                continue
            seen += 1
            for text in rows:
                _same(rule.trigger_rx, text)
    assert seen > 20


def test_every_shipped_pattern_compiles_to_a_small_program() -> None:
    # Each process compiles the patterns its documents need. A bounded repeat of a Unicode class
    # (``[\\w.-]{0,20}``) costs about 1,300 RE2 instructions a copy: one rule with a few of them
    # (745,000 instructions) took 0.5 s to compile in every worker. ``+`` and ``*`` cost one copy.
    sizes = {}
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rule in [*(data.get("rules") or []), {"id": path.name, "signature": data.get("signature")}]:
            for key in ("pattern", "start", "while", "end", "until", "marker", "signature"):
                value = rule.get(key)
                for n, item in enumerate(value if isinstance(value, list) else [value]):  # (a list: any item)
                    if isinstance(item, str):
                        sizes[rule["id"], key, n] = _compile_re2(to_re2(item))._regexp.ProgramSize()
    assert len(sizes) > 100 and ("credits.caption-credit", "pattern", 1) in sizes
    assert max(sizes.values()) <= 70_000, sorted(sizes.items(), key=lambda item: -item[1])[:3]


def test_text_beyond_ascii_runs_on_the_pattern_itself() -> None:
    rx = Regex(r"^\w+$")
    assert rx.test("Straße") and rx.test_start("Straße") and rx.search("Straße") == regex.Found(0, 6, {})
    assert rx.sub("x", "Straße") == "x"
    assert not Regex(r"^\s$").test("\u3000x")
    assert Regex(r"^\s$").test("\u3000")  # an ideographic space is \s: not in the twin's class


def test_the_twin_spells_the_classes_in_ascii() -> None:
    assert to_re2(r"\d\w\s", ascii=True) == r"[0-9][0-9A-Za-z_][\t\n\x{0b}\f\r\x{1c}-\x{20}]"
    assert to_re2(r"[^\w.]\D", ascii=True) == r"[^0-9A-Za-z_.][^0-9]"
    assert to_re2(r"[\w-]", ascii=True) == r"[0-9A-Za-z_-]"  # a '-' before ']' is a literal


@pytest.mark.parametrize("pattern", [r"[\s-~]", r"[!-\d]", r"[-\w]", r"[a\w-z]"])
def test_no_twin_where_a_class_bounds_a_range(pattern: str) -> None:
    with pytest.raises(_NoTwin):
        to_re2(pattern, ascii=True)


def test_a_pattern_without_a_twin_still_matches_ascii_text() -> None:
    rx = Regex(r"[\s-~]+")  # \x{3000}-~ is no range RE2 takes: the backtracking engine
    assert rx.test("a b")
    rx = Regex(r"x[-\w]+")
    assert rx.search("x-a_b") == regex.Found(0, 5, {})
    assert rx._ascii is False


def test_answers_are_kept_by_text_and_stay_right() -> None:
    rx = Regex(r"^Share\b")
    assert rx.test_start("Share this") and not rx.test_start("Shared")
    assert rx._starts == {"Share this": True, "Shared": False}
    assert rx.test_start("Share this") and not rx.test_start("Shared")  # (from the memo)
    assert rx.test("x\nShare it") and not rx.test("Shares")
    assert rx._found == {"x\nShare it": True, "Shares": False}
    long = "Share " + "x" * regex.MEMO_TEXT
    assert rx.test_start(long) and long not in rx._starts  # a document, not a row: not kept


def test_the_memo_is_emptied_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regex, "MEMO_SIZE", 3)
    rx = Regex(r"^a")
    for text in ["a", "b", "ab"]:
        rx.test_start(text)
    assert len(rx._starts) == 3
    assert not rx.test_start("ba")
    assert rx._starts == {"ba": False}


def test_a_str_subclass_is_not_kept() -> None:
    class Odd(str):
        def __hash__(self) -> int:
            return 1

        def __eq__(self, other: object) -> bool:
            return True

    rx = Regex(r"^a")
    assert rx.test_start(Odd("a")) and not rx.test_start("b") and rx.test_start("a")
    assert all(type(k) is str for k in rx._starts)


def test_parts_split_only_an_alternation_of_the_whole_row_with_broad_alternatives() -> None:
    assert regex.parts(r"^(?:a|[^x]{1,3}b|\S.{0,9}c|d)$") == [r"^(?:a|d)$", r"^(?:[^x]{1,3}b)$", r"^(?:\S.{0,9}c)$"]
    assert regex.parts(r"^(?i:ab|(?:\w{1,5}\s){0,3}x)$") == [r"^(?i:ab)$", r"^(?i:(?:\w{1,5}\s){0,3}x)$"]
    assert regex.parts(r"^(?:[^|]|.x)$") == [r"^(?:[^|])$", r"^(?:.x)$"]  # (a '|' in a class splits nothing)
    assert regex.parts("^(?:" + "|".join(f".{k}" for k in range(9)) + ")$")[-1] == "^(?:.5|.6|.7|.8)$"  # MAX_PARTS
    for whole in (
        r"^(?i:a|b)$",  # no broad alternative
        r"^(?:a|.b)c(?:d|.)$",  # not one group
        r"^(?:a)|(?:.b)$",
        r"^(?P<v>a|.b)$",  # a group of another kind: not split
        r"^(?-i:a|.b)$",
        r"(?i)^(?:a|.b)$",
        r"^(?:a|.b)",
        r"^(?:a\)|.b\)$",
        r"^(?:\Qa|.\E|.b)$",
        r"^(?:(?i)a|.b)$",  # flags set in the group hold over the alternatives after them
        r"^(?:x|(?s)a|.b)$",
        r"^(?:[[:digit:]|.]x|.y)$",  # (RE2's class names: the class ends at the second ']')
    ):
        assert regex.parts(whole) == [whole], whole


def test_a_split_pattern_s_tests_leave_its_whole_program_to_search() -> None:
    """A pattern split into parts is tested by its parts' programs alone: a line rule's tests do
    not compile its whole program (search, spans and sub compile it when they are first asked)."""
    pattern = r"^(?:home|[^x]{1,3} comments|\S.{0,9} replies)$"
    assert len(regex.parts(pattern)) == 3
    for text, hit in (("home", True), ("12 comments", True), ("Straße replies", True), ("Straße", False)):
        rx = Regex(pattern, "r")
        if rx._names is None:  # (a pattern the verdicts did not know is compiled whole at once)
            del rx._re2, rx._tests
        assert rx.test_start(text) is hit and rx.test(text) is hit, text
        with pytest.raises(AttributeError):
            Regex._re2.__get__(rx, Regex)  # not compiled: its slot is unset
        assert len(rx._tests) == 3
        assert (rx.search(text) is not None) is hit  # the whole (or its ASCII twin), compiled now
        if not text.isascii():
            assert Regex._re2.__get__(rx, Regex) is _compile_re2(to_re2(pattern))
        assert rx._re2 is _compile_re2(to_re2(pattern))  # asked for: compiled


def test_alternatives_are_each_alternative_of_the_whole_row_with_the_group_s_flags() -> None:
    assert regex.alternatives(r"^(?i:home|news \| more|[|]x)$") == [
        r"^(?i:home)$",
        r"^(?i:news \| more)$",
        r"^(?i:[|]x)$",
    ]
    assert regex.alternatives(r"^(a|b(?:c|d))$") == [r"^(a)$", r"^(b(?:c|d))$"]
    for other in (r"^(?:a|b)x$", r"^a|b$", r"^(?P<v>a|b)$", r"^(?:[[:alpha:]|]x|y)$", r"^(?:(?i)a|b)$"):
        assert regex.alternatives(other) is None, other


def test_an_alternative_that_is_a_group_s_alternation_is_split_too() -> None:
    """A YAML list of whole-row patterns is joined as ``^(?:A|B)$`` (rules/base.py), and a branch
    that is itself an alternation in a group is taken apart as well; under a flag it is not (its
    branches would lose the flag)."""
    assert regex.alternatives(r"^(?:(?i:home|news)|(?:a|b(?:c|d))x|y)$") == [
        r"^(?i:home)$",
        r"^(?i:news)$",
        r"^(?:(?:a|b(?:c|d))x)$",
        r"^(?:y)$",
    ]
    assert regex.alternatives(r"^(?i:(?:a|b)|c)$") == [r"^(?i:(?:a|b))$", r"^(?i:c)$"]


@pytest.mark.parametrize(
    ("items", "joined"),
    [
        ([r"^(?i:home|news)$", r"^a\d+b$"], r"^(?:(?i:home|news)|a\d+b)$"),
        ([r"^a$", r"^b|c$"], r"(?:(?:^a$)|(?:^b|c$))"),  # (a branch with a top-level bar: ^b or c$)
        ([r"^a\$", r"^b$"], r"^(?:a\$|b$)"),  # (an escaped dollar sign ends no row)
        ([r"^a$", r"b$"], r"(?:(?:^a$)|(?:b$))"),
    ],
)
def test_a_list_of_patterns_is_one_alternation(items: list[str], joined: str) -> None:
    """Whole-row branches are joined between one ``^`` and ``$``, which the prefilter splits into
    its branches again (each filtered by its own literals and lengths); other lists keep their
    anchors, so the joined pattern matches where one of them does."""
    assert base._alternatives(items) == joined
    rx = re.compile(joined)
    for text in ["home", "NEWS", "a12b", "a", "b", "c", "xc", "bx", "a$", "ab"]:
        assert (rx.search(text) is not None) == any(re.search(item, text) for item in items), text


# Pieces of rows for the parts' test: words the shipped alternatives start with and end on, and
# characters past ASCII (spaces, dashes, arrows, letters) that their classes hold or leave out.
PIECES = [*"ab .,:|-1", "\u00a0", "\u2014", "\u00bb", "\u2192", "\u00e9", "\u3000", "Stra\u00dfe", "12:30", " says: "]
PIECES += ["comment by ", "next", "page 2 of 3", "you are here", "Home \u203a ", "reply", "1 2 3", "\u2190 "]


def test_a_split_pattern_answers_as_the_whole() -> None:
    """``test`` and ``test_start`` on the parts of a pattern (regex.parts) are the whole
    pattern's RE2: synthetic alternations and the shipped patterns that split, on rows past
    ASCII and not, near matches among them."""
    rng = random.Random(11)
    alternatives = [r"a\s?b", r"[^\s.]{1,3}(?:\s\w{1,4}){0,2}:", r"\S.{0,5}\s\|", r"(?i:next)\s*[»→]", r"\d{1,2}:\d{2}"]
    patterns = [f"^(?:{'|'.join(rng.sample(alternatives, rng.randrange(2, 5)))})$" for _ in range(30)]
    book = RuleBook.load([ROOT / "rules"])
    shipped = {
        rule.trigger_rx.pattern
        for rule_set in [book.generic, *book.sites]
        if rule_set is not None
        for rule in rule_set.rules
        if rule.trigger_rx.engine == "re2"
    }
    split = sorted(pattern for pattern in shipped if len(regex.parts(pattern)) > 1)
    assert len(split) >= 3
    for pattern in [*patterns, *split]:
        rx = Regex(pattern)
        assert len(rx._tests) == len(regex.parts(pattern)) > (pattern not in patterns), pattern
        plain = _plain(rx)
        for _ in range(300):
            text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 9)))
            assert rx.test_start(text) == (plain.match(text) is not None), (pattern, text)
            assert rx.test(text + "\n" + text) == (plain.search(text + "\n" + text) is not None), (pattern, text)
