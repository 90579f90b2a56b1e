"""Each rule kind acting on its own, the rule-file shorthands, and what a hostile rule file cannot do.

The YAML cases inside rules/ test the shipped rules; these test the kinds themselves, so a
mutation that disables a kind (or the reruns a rewrite needs) fails here even if no shipped
rule uses it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cleaner.document import Document
from cleaner.errors import RuleError
from cleaner.pipeline import Pipeline
from cleaner.rules.book import RuleBook
from cleaner.rules.compiled import _top_level_bar, anchored
from cleaner.rules.kinds.extract import MAX_VALUE_CHARS, MAX_VALUE_WORDS
from cleaner.rules.load import case_lines, load_rule_files

HEAD = "name: demo\ndescription: A demo set.\nrules:\n"


def clean(tmp_path: Path, rules: str, text: str) -> tuple[str, dict[str, int]]:
    (tmp_path / "r.yaml").write_text(HEAD + rules, encoding="utf-8")
    cleaned = Pipeline(RuleBook.load([tmp_path / "r.yaml"])).clean(Document(id="d", text=text, source="t"))
    return cleaned.text, cleaned.removed()


def problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rule_files([tmp_path / "r.yaml"])
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


BODY = [f"Paragraph {n} of the article says something of substance." for n in range(1, 9)]

TAIL = """  - id: demo.comments
    kind: tail
    description: The comment section and all after it.
    marker: '^Comments \\(\\d+\\)$'
    keeps: [x]
"""


def test_tail_drops_the_marker_and_the_rest_near_the_end(tmp_path: Path) -> None:
    text = "\n".join([*BODY, "Comments (2)", "Great piece!", "I disagree."]) + "\n"
    got, removed = clean(tmp_path, TAIL, text)
    assert got == "\n\n".join(BODY) + "\n"
    assert removed == {"demo.comments": 3}


def test_tail_never_acts_in_the_body(tmp_path: Path) -> None:
    # The marker in the first 70% of the text would eat the article: it stays.
    text = "\n".join([BODY[0], "Comments (2)", *BODY[1:]]) + "\n"
    got, removed = clean(tmp_path, TAIL, text)
    assert got == "\n\n".join([BODY[0], "Comments (2)", *BODY[1:]]) + "\n"
    assert removed == {}


REPLACE = """  - id: demo.share
    kind: line
    description: A share bar, once the ad label before it is gone.
    pattern: '^Share this$'
    keeps: [x]
  - id: demo.ad-label
    kind: replace
    description: An ad label glued to the start of a line.
    pattern: '^ADVERTISEMENT\\s*'
    with: ''
    keeps: [x]
"""


BLOCK = """  - id: demo.widget
    kind: line
    description: A widget label another rule takes first.
    pattern: '^Email$'
    keeps: [x]
  - id: demo.bar
    kind: block
    description: Two or more network names in a row.
    start: '^(?:Facebook|Twitter|Telegram)$'
    while: '^(?:Facebook|Twitter|Telegram|Email)$'
    min_lines: 2
    keeps: [x]
"""


def test_a_block_passes_over_rows_taken_before_it_and_counts_only_the_rows_left(tmp_path: Path) -> None:
    # "Email" goes first (demo.widget): the bar is still one bar, as the next round would see it, and
    # Telegram after it goes with the two names before (had the block stopped at "Email", it would have
    # taken those two and left Telegram alone for the next round); a name alone next to a taken row is
    # no run of two.
    bar = ["Facebook", "Twitter", "Email", "Telegram"]
    text = "\n".join([BODY[0], *bar, BODY[1], "Facebook", "Email", BODY[2]]) + "\n"
    got, removed = clean(tmp_path, BLOCK, text)
    assert got == "\n\n".join([BODY[0], BODY[1], "Facebook", BODY[2]]) + "\n"
    assert removed == {"demo.widget": 2, "demo.bar": 3}


def test_replace_rewrites_and_an_earlier_rule_sees_the_new_text(tmp_path: Path) -> None:
    # demo.share runs before demo.ad-label: only a second round lets it see "Share this".
    text = "ADVERTISEMENT Share this\nADVERTISEMENT The minister resigned.\nADVERTISEMENT\n"
    got, removed = clean(tmp_path, REPLACE, text)
    assert got == "The minister resigned.\n"
    assert removed == {"demo.share": 1, "demo.ad-label": 1}


def test_replace_with_a_group_reference(tmp_path: Path) -> None:
    rule = """  - id: demo.price
    kind: replace
    description: Keep the amount of a price label.
    pattern: '^Price: (?P<amount>\\d+) EUR$'
    with: '\\g<amount> euros'
    keeps: [x]
"""
    got, _ = clean(tmp_path, rule, "Price: 12 EUR\n")
    assert got == "12 euros\n"


def test_a_rewrite_that_makes_two_paragraphs_equal_is_deduplicated(tmp_path: Path) -> None:
    text = f"{BODY[0]}\nADVERTISEMENT {BODY[0]}\n{BODY[1]}\n"
    got, removed = clean(tmp_path, REPLACE, text)
    assert got == f"{BODY[0]}\n\n{BODY[1]}\n"
    assert removed == {"dedup.repeat": 1}


def test_pattern_list_is_one_pattern_and_keeps_are_cases(tmp_path: Path) -> None:
    rule = """  - id: demo.nav
    kind: line
    description: Navigation labels.
    why: Every page of the site has them.
    pattern:
      - '^Home$'
      - '^Contact us$'
    keeps: ['Home is where the heart is, she said.']
    tests:
      - input: "Home\\nContact us\\nThe minister resigned.\\n"
        output: "The minister resigned.\\n"
"""
    got, removed = clean(tmp_path, rule, "Home\nThe minister resigned.\nContact us\n")
    assert got == "The minister resigned.\n"
    assert removed == {"demo.nav": 2}
    (model,) = [m for _, m in load_rule_files([tmp_path / "r.yaml"])]
    nav = model.rules[0]
    assert nav.pattern == "^(?:Home|Contact us)$"  # (whole-row branches: one alternation, base._alternatives)
    assert nav.why == "Every page of the site has them."
    assert [(c.name, c.input, c.output) for c in nav.cases()][1:] == [
        ("keeps[0]", "Home is where the heart is, she said.", "Home is where the heart is, she said.")
    ]
    assert case_lines(tmp_path / "r.yaml") == {("demo.nav", None): 4, ("demo.nav", 0): 13, ("demo.nav", 1): 11}


def test_a_replacement_is_refused_unless_its_groups_and_escapes_read_alike_on_both_engines(tmp_path: Path) -> None:
    """A group the pattern lacks failed every document the rule matched, naming no rule; any escape
    but a group and a backslash meant one thing on RE2 and another on the backtracking engine."""
    rule = "  - id: demo.edit\n    kind: replace\n    description: d\n    pattern: '{p}'\n    with: '{w}'\n    keeps: [x]\n"
    re2_pattern, backtracking = " \\[(?P<x>edit)\\]", " \\[(?P<x>edit)\\](?=$)"
    for pattern in (re2_pattern, backtracking):
        refused = {
            w: problems(tmp_path, HEAD + rule.format(p=pattern, w=w))
            for w in ("\\2", "\\g<nope>", "\\n", "\\0", "a\\", "\\g<2>", "\\100")
        }
        assert refused == {
            "\\2": ["r.yaml:4: rules.0: with: the pattern has no group \\2 (it has 1)"],
            "\\g<nope>": ["r.yaml:4: rules.0: with: the pattern has no group named 'nope'"],
            "\\n": ["r.yaml:4: rules.0: with: '\\n' is not an escape of a replacement (use \\1, \\g<name> or \\\\)"],
            "\\0": ["r.yaml:4: rules.0: with: '\\0' is not a group of a replacement (use \\g<N>)"],
            "a\\": ["r.yaml:4: rules.0: with: '\\' is not an escape of a replacement (use \\1, \\g<name> or \\\\)"],
            "\\g<2>": ["r.yaml:4: rules.0: with: the pattern has no group \\g<2> (it has 1)"],
            "\\100": ["r.yaml:4: rules.0: with: '\\100' is not a group of a replacement (use \\g<N>)"],
        }
        for w, out in (("<\\1>", "<edit>"), ("<\\g<x>>", "<edit>"), ("<\\g<0>>", "< [edit]>"), ("\\\\1", "\\1")):
            assert clean(tmp_path, rule.format(p=pattern, w=w), "Title [edit]\n")[0] == f"Title{out}\n"


def test_a_pattern_that_picks_lines_must_not_match_an_empty_string(tmp_path: Path) -> None:
    """Before: ``Share|`` (a stray bar), ``^(Home)?`` or ``x*`` passed validation, and the rule took
    every line of every document (a signature: every document was the site's)."""
    line = "  - id: demo.r\n    kind: line\n    description: d\n    pattern: '{p}'\n    keeps: [x]\n"
    said = "the pattern matches an empty string, so it matches every line (an empty alternative '|', or all of it optional: '?', '*')"
    for pattern in ("Share|", "^(Home)?", "x*", "\\s*$", "(?=a)"):
        assert problems(tmp_path, HEAD + line.format(p=pattern)) == [f"r.yaml:7: rules.0.pattern: {said}"]
    site = "name: demo\ndescription: d\nmatch:\n  signature: '^(Site)?'\nrules:\n" + line.format(p="^Share$")
    assert problems(tmp_path, site) == [f"r.yaml:4: match.signature: {said}"]
    for allowed in ("^\\s*$", "^Share$", "^(?:Home|Contact)$"):  # blank lines only; a whole line
        assert clean(tmp_path, line.format(p=allowed), "Share\nThe minister resigned.\n")[0].endswith("resigned.\n")
    # A replace rule may match an empty string: where to insert is what it says.
    replace = "  - id: demo.r\n    kind: replace\n    description: d\n    pattern: '(?<=\\d)(?=(?:\\d{3})+$)'\n    with: ','\n    keeps: [x]\n"
    assert clean(tmp_path, replace, "Raised 1000000\n")[0] == "Raised 1,000,000\n"


def test_extract_needs_a_value_group_and_formats_that_parse(tmp_path: Path) -> None:
    rule = "  - id: demo.date\n    kind: extract\n    description: d\n    field: date\n    pattern: '{p}'\n{extra}    keeps: [x]\n"
    assert problems(tmp_path, HEAD + rule.format(p="^Posted .*$", extra="")) == [
        "r.yaml:4: rules.0: pattern: an extract rule needs a named group (?P<value>...) (or next_line: true)"
    ]
    assert problems(tmp_path, HEAD + rule.format(p="^(?P<value>.*)$", extra="    date_formats: ['%d %Q']\n")) == [
        "r.yaml:4: rules.0: date_formats: '%d %Q' cannot parse a date it formats"
    ]


def test_next_line_takes_a_value_not_the_paragraph_after_a_bare_label(tmp_path: Path) -> None:
    """A "Published:" label whose date is missing from the page is followed by the body: its first
    paragraph stays in the text (and out of meta), and so does the label; a short value goes."""
    rule = """  - id: demo.published
    kind: extract
    description: The label and the date after it.
    field: date
    pattern: '^Published:$'
    next_line: true
    keeps: [x]
"""
    paragraph = "The council met on Monday to vote on the budget for the coming year, the mayor said."
    text = f"Headline\n\nPublished:\n\n{paragraph}\n\nMore of the article.\n"
    assert clean(tmp_path, rule, text) == (text, {})
    got, removed = clean(tmp_path, rule, "Headline\nPublished:\n7 ene 2022 16:24 GMT\nThe article.\n")
    assert (got, removed) == ("Headline\n\nThe article.\n", {"demo.published": 2})
    ten = " ".join(["word"] * MAX_VALUE_WORDS)
    assert clean(tmp_path, rule, f"Published:\n{ten}\nThe article.\n")[1] == {"demo.published": 2}
    assert clean(tmp_path, rule, f"Published:\n{ten} more\nThe article.\n")[1] == {}
    long = "x" * MAX_VALUE_CHARS
    assert clean(tmp_path, rule, f"Published:\n{long}\nThe article.\n")[1] == {"demo.published": 2}
    assert clean(tmp_path, rule, f"Published:\n{long}x\nThe article.\n")[1] == {}


def test_unknown_key_gets_a_hint(tmp_path: Path) -> None:
    text = HEAD + "  - id: demo.x\n    kind: line\n    description: d\n    patern: '^x$'\n    keeps: [x]\n"
    assert "r.yaml:7: rules.0.patern: Extra inputs are not permitted; did you mean 'pattern'?" in problems(
        tmp_path, text
    )


def test_duplicate_id_is_reported_at_its_own_line_not_the_first_mention(tmp_path: Path) -> None:
    # The id also appears, earlier, inside another rule's description: a text search finds that.
    one = HEAD + "  - id: demo.x\n    kind: line\n    description: d\n    pattern: '^x$'\n    keeps: [y]\n"
    two = (
        "name: other\ndescription: mentions demo.x here\nrules:\n"
        "  - id: other.y\n    kind: line\n    description: not demo.x\n    pattern: '^y$'\n    keeps: [x]\n"
        "  - id: demo.x\n    kind: line\n    description: d\n    pattern: '^z$'\n    keeps: [x]\n"
    )
    (tmp_path / "a.yaml").write_text(one, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(two, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rule_files([tmp_path])
    assert [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems] == [
        "b.yaml:9: rule id 'demo.x' is also defined in a.yaml"
    ]


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        laughs.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = HEAD.replace("rules:\n", "") + "\n".join(laughs) + "\nrules: *j\n"
    assert problems(tmp_path, text) == ["r.yaml:4: YAML syntax error: aliases (*name) are not allowed in rule files"]


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, HEAD + "  - " + "[" * 20000 + "]" * 20000 + "\n") == [
        "r.yaml:4: YAML syntax error: nested deeper than 32 levels"
    ]


def test_validate_and_test_speak_github_annotations(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cleaner.cli import app

    bad = HEAD + "  - id: demo.x\n    kind: line\n    description: d\n    pattern: '(unclosed'\n    keeps: [x]\n"
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "validate", str(tmp_path / "bad.yaml"), "--output-format", "github"])
    assert result.exit_code == 2
    path = str(tmp_path / "bad.yaml").replace(":", "%3A").replace(",", "%2C")
    assert result.stdout == (
        f"::error file={path},line=7,title=invalid rule file::"
        "rules.0.pattern: regex does not compile: missing ) at position 9\n"
    )
    failing = HEAD + (
        "  - id: demo.x\n    kind: line\n    description: d\n    pattern: '^x$'\n"
        '    tests:\n      - input: "x\\ny\\n"\n        output: "x\\ny\\n"\n'
    )
    (tmp_path / "bad.yaml").write_text(failing, encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "test", str(tmp_path / "bad.yaml"), "--output-format", "json"])
    assert result.exit_code == 1
    import json

    (problem,) = json.loads(result.stdout)
    assert (problem["file"], problem["line"]) == (str(tmp_path / "bad.yaml"), 9)
    assert problem["message"].startswith("FAIL demo.x[0]: output differs")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("^Share on", True),
        ("(?i)^share on", True),
        ("^(?:Tweet|Share)$", True),
        ("^a|b", False),  # the alternative "b" may match anywhere
        ("^(?:a)|b", False),
        ("^[|]x", True),  # a bar in a class, escaped, or in a group is no alternation
        ("^\\|x", True),
        ("^[]|]x", True),
        ("^(a|b)", True),
        ("^[[:alpha:]|]x", True),  # a POSIX class, as RE2 reads it
        ("x^", False),
        ("^?a", False),  # an optional anchor anchors nothing
        ("\\bShare", False),
        ("^\\Q(\\E|x", False),  # RE2's quoted text: "(" is a literal there, so "|x" is an alternative
        ("", False),
        ("^(a|b)|c", False),  # back at the top level after a group
        ("^(?:(a|b)|c)d", True),
        ("^(a)(b|c)|d", False),
        ("^a\\(|b", False),  # an escaped "(" opens no group
        ("^[(]|b", False),  # nor does one in a class
        ("^a)|b", True),  # (a ")" too many, which RE2 refuses: the scan counts the "|" as nested)
    ],
)
def test_a_pattern_is_anchored_only_when_every_match_starts_a_line(pattern: str, expected: bool) -> None:
    assert anchored(pattern) is expected


def _bar_by_character(pattern: str) -> bool:
    """compiled._top_level_bar read one character at a time: the oracle of its jumps."""
    depth, i, n = 0, 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):
                i += 1
            while i < n and pattern[i] != "]":
                if pattern[i] == "\\":
                    i += 1
                elif pattern.startswith("[:", i):
                    end = pattern.find(":]", i + 2)
                    i = end + 1 if end != -1 else i
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        i += 1
    return False


def test_the_top_level_bar_jumps_to_what_matters() -> None:
    rnd = random.Random(7)
    for _ in range(20000):
        pattern = "".join(rnd.choice("\\[]()|^:ab") for _ in range(rnd.randint(0, 16)))
        assert _top_level_bar(pattern) is _bar_by_character(pattern), pattern
