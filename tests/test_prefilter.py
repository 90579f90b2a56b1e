"""The rules' prefilter (cleaner/rules/prefilter.py): it never leaves out a row a rule matches,
and cleaning with it gives exactly what cleaning without it gives."""

from __future__ import annotations

import marshal
import random
import re
import unicodedata
from pathlib import Path

import pytest
import re2

import cleaner.rules.engine as engine
from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.rules import prefilter
from cleaner.rules.book import RuleBook
from cleaner.rules.prefilter import (
    Prefilter,
    alphabet,
    begins,
    dense,
    factors,
    first,
    fold,
    holds,
    meets,
    needed,
    sparse,
    widths,
)
from cleaner.rules.regex import Regex, _compile_re2, to_re2

ROOT = Path(__file__).resolve().parent.parent
needs_hyperscan = pytest.mark.skipif(
    not prefilter.available(), reason="no matcher: neither the C one built nor a hyperscan wheel"
)


def test_factors_of_a_plain_pattern() -> None:
    assert factors(r"^(?i:share on|tweet)\b") == [({"share on", "tweet"}, True)]
    assert factors(r"^Posted in (?:News|Sport)$") == [({"posted i"}, True)]  # cut at 8 characters
    assert factors(r"\s?\[(?i:edit|modifier)\]") == [({"[edit]", "[modifier]"}, False)]
    assert factors(r"^\d+$") is None
    assert factors(r"^(?=x)") is None  # lookaround: RE2 has none, nor a factor here
    assert factors(r"^foo{,3}") is None  # '{,3}': a literal to RE2, a repeat to Python's parser


def test_factors_of_alternatives_that_share_no_string() -> None:
    # A short optional part is spelt out; a longer one is tried once with it, once without.
    assert factors(r"^(?:\* )?(?i:ad|advert)s?$") == [({"* ad", "ad"}, True)]
    assert factors(r"^(?:\w+ )?(?i:ad|advert)s?$") == [({" ad"}, False), ({"ad"}, True)]
    # Anchored, each alternative at the row's start where it can be ("page " there) names fewer
    # rows than one set of them all anywhere in the row (by _share); the dates' own is anywhere.
    assert factors(r"^(?:\d{1,2}\. (?:Jan|Feb)|Page \d+)$") == [({". jan", ". feb"}, False), ({"page "}, True)]
    # Not anchored, the set for them all (not weak) is taken as it is.
    assert factors(r"(?:\d{1,2}\. (?:Jan|Feb)|Page \d+)$") == [({". jan", ". feb", "page "}, False)]


def test_a_negated_character_is_not_read_as_the_literal_before_it() -> None:
    # (Parse nodes are told apart by their op too: ``e`` and ``[^e]`` hold the same small int.)
    for pattern, row in [("^Home[^e]$", "Homex"), ('^"[^"]{1,40}"$', '"a quoted line"'), ("^ab[^b]c$", "abxc")]:
        assert re2.search(to_re2(pattern), row)
        assert Prefilter([pattern]).scan([row, "nothing like it"]) == [{0}], pattern


def test_alternatives_no_weaker_than_their_union_keep_their_starts() -> None:
    # One alternative's factor is short ("»": two bytes, on many rows); the others start the row.
    # Split, the words are looked for at the row's start only; together, anywhere in it.
    pattern = r"^(?:(?i:you are here)(?:\s*:.{0,50})?|(?i:home)\s*[»>]\s*\S.{0,50}|[^»<]{1,20}\s»\s[^»<]{1,20})$"
    assert factors(pattern) == [({"you are "}, True), ({"home"}, True), ({"»"}, False)]
    # Split further, a weak alternative that adds short starts ("a", "b" after an optional word)
    # would name more rows than the one string all alternatives hold: "»".
    assert factors(r"^(?i:post|message)?\s?[^\s»]{1,30}\s»\s.{0,30}$") == [({"»"}, False)]


def test_a_mark_beyond_ascii_beats_a_common_word() -> None:
    # "»" is two bytes, "next" four, but text holds the words far more often than the marks.
    assert factors(r"^(?:\S{1,20}\s){0,3}(?i:next|older|newer)\s*[»›→]$") == [({"»", "›", "→"}, False)]
    assert factors(r"^(?:\S{1,20}\s){0,3}(?i:next|older|newer)\s*[:#]$") == [({"next", "older", "newer"}, False)]


def test_widths_only_for_a_pattern_anchored_at_both_ends() -> None:
    assert widths(r"^\(?\d{1,3}\)?$") == (1, 5)
    assert widths(r"^[\p{L}]{2,4}$") == (2, 4)
    assert widths(r"^abc") is None
    assert widths(r"^a$|^bc") is None


def test_alphabet_only_where_every_character_of_a_match_is_known() -> None:
    assert alphabet(r"^\(?\d{1,3}\)?$") == ("()0123456789", True)
    assert alphabet(r"^[<>|]{1,3}$") == ("<>|", False)
    assert alphabet(r"^(?i:ab)$") == ("ABab", True)  # (an ASCII letter's case class reaches past ASCII)
    assert alphabet(r"^[a-c\u00e9]{1,2}$") == ("abc", True)
    for pattern in [r"^a.b$", r"^[^a]{1,3}$", r"^\D{1,2}$", r"^(?i:\u00e9)$", r"^\p{L}{1,3}$", r"^abc", r"^a$|^b$"]:
        assert alphabet(pattern) is None, pattern


def test_needed_characters_are_the_fewest_every_match_holds() -> None:
    assert needed(r"^(?i:mon|tue),? \d{1,2}$") == ("0123456789", True)  # (fewer rows than a space's or a letter's)
    assert needed(r"^(?:mon|tue),? \d{1,2}$") == ("mt", False)
    assert needed(r"^(?:ab?c|\d{2})$") == ("0123456789a", True)  # (one of each alternative's)
    assert needed(r"^x?[|]{1,2}$") == ("|", False)
    for pattern in [r"^a?$", r"^(?:a|b?)$", r"^[^a]{1,3}$", r"^.{1,4}$", r"^(?i:\u00e9)$", r"^abc", r"^\w+ \w+$"]:
        assert needed(pattern) is None, pattern
    # An alternative's lightest alone is not the lightest with the others': "." and "/" and a
    # digit are heavier than a digit, which every alternative needs.
    assert needed(r"^(?:\d{1,2}[./]\d{2}|\d{4})$") == ("0123456789", True)


def test_first_characters_are_those_a_match_can_start_with() -> None:
    assert first(r"^(?i:mon|tue),? \d{1,2}$") == ("MTmt", True)
    assert first(r"^\(?\d{1,3}\)?$") == ("(0123456789", True)
    assert first(r"^(?:[<>]|\b\d)?x{1,3}$") == ("0123456789<>x", True)
    # A caseless character past ASCII: its case class holds ASCII letters only if it folds to one.
    assert first(r"^(?i:\u017f|\u00e9|\u212a)\d$") == ("KSks", True)
    assert first(r"^(?:\u00e9|\u017f)\d$") == ("", True)
    for pattern in [r"^a?$", r"^(?:a|b?)$", r"^.{1,3}$", r"^[^a]b$", r"^abc", r"^\p{L}b$", r"^(?i:\u0130)b$"]:
        assert first(pattern) is None, pattern


def test_dense_counts_what_a_match_holds_but_spaces() -> None:
    assert dense(r"^(?i:follow us)(?:\s+on)?\s*[:|]?\s*$") == 11  # ("follow us" holds a space: no count)
    assert dense(r"^a[ \t\u3000]*b[\s\u2003]{0,3}c\s+$") == 3
    assert dense(r"^\(?\d{1,3}\)?$") == 5
    assert dense(r"^a\sb$") == 2
    # A class or an item that matches another character counts (".", "\S", a class with "|"), and
    # one that can repeat without bound has no bound; nor a pattern not anchored at both ends.
    for pattern in [r"^[\s|]*a$", r"^a.*$", r"^\S+\s*$", r"^a\s*", r"^a$|^b\s*$", r"^[\u3000-\u4000]+$"]:
        assert dense(pattern) is None, pattern
    assert dense(r"^a(?:\s{0,2}b){0,400}$") == 401
    assert dense(r"^a(?:\s{0,2}b){0,1000}$") is None  # (past MAX_WIDTH: it leaves out too few rows)


# Patterns whose spaces are unbounded but whose other characters are not (``dense``).
DENSE_PATTERNS = [
    r"^(?i:follow us)(?:\s+on)?\s*[:|]?\s*$",
    r"^\d{1,3}\s*(?:comments?|kommentare)\s*$",
    r"^a[ \t\u3000]*b[\s\u2003]{0,3}c\s+$",
    r"^x(?:\s|\xa0)*y\s*(?i:us)$",
]
# Rows for them: their words in order (the templates) with runs of spaces of several kinds
# (ASCII and past it) between them, some with a word or mark more, or one left out.
DENSE_TEMPLATES = [
    ["follow", "us", "on", ":"],
    ["12", "comments"],
    ["3", "kommentare"],
    ["a", "b", "c"],
    ["x", "y", "us"],
]
DENSE_WORDS = ["FOLLOW", "us", "on", "3", "comment", "a", "b", "c", "x", "y", ":", "|", "zz", "\u00e9", "\u200b", "\n"]
DENSE_SPACES = [" ", " ", "  ", "\t", "\xa0", "\u3000", "\u2003", "\x1c", "\r"]


def dense_rows(rng: random.Random, count: int) -> list[str]:
    rows = []
    for _ in range(count):
        words = list(rng.choice(DENSE_TEMPLATES))
        if words[0] == "follow":
            words[1:1] = [" "]  # ("follow us" as the pattern spells it)
        for _ in range(rng.choice([0, 0, 1, 2, 6])):
            at = rng.randrange(len(words) + 1)
            if rng.random() < 0.3 and at < len(words):
                del words[at]
            else:
                words.insert(at, rng.choice(DENSE_WORDS))
        gaps = ["".join(rng.choice(DENSE_SPACES) for _ in range(rng.choice([0, 1, 1, 2, 5]))) for _ in words]
        rows.append("".join(gap + word for gap, word in zip(gaps, words, strict=True)) + rng.choice(["", " ", "\t"]))
    return rows


def test_a_row_a_pattern_matches_holds_no_more_than_its_dense_bound() -> None:
    """Against RE2 itself: a row the pattern matches is never left out; rows are."""
    rows = set(dense_rows(random.Random(11), 30000))
    for pattern in DENSE_PATTERNS:
        bound = dense(pattern)
        assert bound is not None, pattern
        rx = Regex(pattern)
        matched = [row for row in rows if rx.test(row)]
        assert len(matched) >= 5, pattern  # (the rows reach the patterns' matches)
        assert all(sparse(bound, row) for row in matched), pattern
        assert not all(sparse(bound, row) for row in rows), pattern  # (and the bound leaves rows out)


_ALPHABET_PATTERNS = [
    r"^\(?\d{1,3}\)?$",
    r"^[\s‹›«»<>←→↑↓|·•]{1,12}$",
    r"^(?i:ok|k\d)\s?[|]?$",
    r"^\w{1,4}(?:-\w{1,2})?$",
    r"^(?i:[a-f]{2})\b$",
    r"^(?i:sk|fa)?\s?\d[-|]?$",
    r"^[<>|]{1,3}(?:x\d)?$",
    r"^(?i:\u017f|\u212a|\u00e9)\d$",
    r"^(?:k|[|()]\s?)?[\d_]{1,2}$",
]


def test_a_row_a_pattern_matches_holds_only_its_alphabet_and_a_needed_character() -> None:
    """Against RE2 itself, on rows of ASCII and other characters (digits and spaces of other
    scripts, KELVIN SIGN, LONG S, marks): a row the pattern matches is never left out."""
    pool = "ab kKsSfF0189_-|()<>\t\x1c\xa0\u2003\u0663\uff11\u212a\u017f\u00e9‹›•é中\n"
    rng = random.Random(7)
    rows = {"".join(rng.choice(pool) for _ in range(rng.randint(1, 6))) for _ in range(40000)}
    own = 0
    for pattern in _ALPHABET_PATTERNS:
        allowed = alphabet(pattern)
        rx = Regex(pattern)
        matched = [row for row in rows if rx.test(row)]
        assert matched, pattern  # (the rows reach the patterns' matches)
        if allowed is not None:  # (none for a caseless character past ASCII)
            assert all(holds(allowed, row) for row in matched), pattern
            assert not all(holds(allowed, row) for row in rows), pattern  # (and the alphabet leaves rows out)
        need = needed(pattern)
        if need is not None:  # (none where most rows would hold one: a space)
            assert all(meets(need, row) for row in matched), pattern
            assert not all(meets(need, row) for row in rows), pattern
        start = first(pattern)
        assert start is not None, pattern
        assert all(begins(start, row) for row in matched), pattern
        assert not all(begins(start, row) for row in rows), pattern
        # (rows the alphabet and the needed characters keep, the first characters leave out)
        kept = [row for row in rows if (allowed is None or holds(allowed, row)) and (need is None or meets(need, row))]
        own += not all(begins(start, row) for row in kept)
    assert sum(alphabet(pattern) is not None for pattern in _ALPHABET_PATTERNS) >= 8
    assert sum(needed(pattern) is not None for pattern in _ALPHABET_PATTERNS) >= 4
    assert own >= 4


def test_fold_gives_a_case_class_one_spelling() -> None:
    assert fold("ÜBER Straße") == "über straße"
    assert fold("ΣΟΦΟΣ ſ µ") == "σοφοσ s μ"  # FINAL SIGMA, LONG S, MICRO SIGN: their class's
    assert fold("\u212a") == "k"  # KELVIN SIGN


def _cased() -> str:
    """Every character with a case in Python's tables (planes 0 and 1; none past them)."""
    return "".join(
        ch
        for ch in map(chr, range(0x20000))
        if not 0xD800 <= ord(ch) < 0xE000
        and (ch.lower() != ch or ch.upper() != ch or ch in prefilter._SPECIAL or ch in prefilter._PAIRS)
    )


def test_no_character_past_plane_1_has_a_case() -> None:
    assert not [cp for cp in range(0x20000, 0x110000) if chr(cp).lower() != chr(cp) or chr(cp).upper() != chr(cp)]


@pytest.mark.slow
def test_every_character_in_an_re2_case_orbit_folds_alike() -> None:
    """The guarantee behind scanning for a folded factor: RE2's (?i)c matches only characters
    that fold to what c folds to (else the scan would miss a row RE2 matches)."""
    cased = _cased()
    everything = "".join(chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000 and cp != 0x0A)
    # 1. Every character that RE2 folds with a cased one is cased for Python too.
    together = re2.compile("(?i)[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in cased) + "]")
    assert set(together.findall(everything)) <= set(cased)
    # 2. Within the cased, each orbit folds to one spelling.
    wrong = []
    for ch in cased:
        orbit = re2.compile(f"(?i)\\x{{{ord(ch):x}}}").findall(cased)
        if len(fold(ch)) == 1 and {fold(x) for x in orbit} != {fold(ch)}:
            wrong.append((ch, orbit))
    assert not wrong, f"Unicode {unicodedata.unidata_version}: {wrong[:5]}"


@pytest.mark.slow
def test_the_spellings_table_holds_every_folding_character() -> None:
    table = prefilter._folds_to()
    for ch in _cased():
        folded = fold(ch)
        if len(folded) == 1 and folded != ch and not ch.isascii():
            assert ch in table[folded], ch


def _rows() -> list[str]:
    """Rows to scan: every line of the seeds and of the rule files' test cases, and the same
    in other cases and spellings (upper, title, KELVIN SIGN, LONG S, no-break spaces)."""
    book = RuleBook.load([ROOT / "rules"])
    lines: set[str] = set()
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines.update(path.read_text(encoding="utf-8").split("\n"))
    for placed in book.rules():
        for case in placed.rule.cases():
            lines.update(case.input.split("\n"))
    variants: set[str] = set()
    for line in lines:
        if line.strip() and len(line) <= 500:
            variants.update(
                {
                    line,
                    line.upper(),
                    line.lower(),
                    line.title(),
                    line.swapcase(),
                    line.replace("k", "\u212a").replace("s", "\u017f"),
                    line.replace(" ", "\xa0"),
                    "  " + line,
                }
            )
    return sorted(variants)


@needs_hyperscan
def test_the_scan_names_every_row_a_rule_matches(book: RuleBook) -> None:
    rows = _rows()
    sets = [book.generic, *book.sites]
    for rule_set in sets:
        assert rule_set is not None
        rules = [rule for rule in rule_set.rules if rule.trigger_rx.engine == "re2"]
        found = Prefilter([rule.trigger for rule in rules]).scan(rows)
        for k, rule in enumerate(rules):
            matched = {i for i, row in enumerate(rows) if rule.trigger_rx.test(row)}
            missed = matched - found[k]
            assert not missed, f"{rule.id}: {[rows[i] for i in sorted(missed)][:3]}"


@needs_hyperscan
def test_the_scan_leaves_most_rows_out(book: RuleBook) -> None:
    """It is a filter: on the content of the seeds (the lines they keep), few candidates."""
    assert book.generic is not None
    rules = book.generic.rules
    rows = [line for path in sorted((ROOT / "seeds").glob("*.txt")) for line in path.read_text().split("\n") if line]
    found = Prefilter([rule.trigger for rule in rules]).scan(rows)
    assert sum(map(len, found)) < len(rows) * len(rules) / 10


def test_many_phrases_after_an_optional_bullet_keep_their_length() -> None:
    """An optional bullet and space before many phrases at the row's start is thousands of
    strings (\\s is spelt out there): they stay long enough to leave out a row that only shares
    the phrases' first letters (cut to two or three, they named most rows of a text)."""
    words = ["agree", "accept", "consent", "confirm", "declare", "allow", "authorise", "acknowledge"]
    phrases = [f"{first} {second} the" for first in ["i", "we", "you", "they", "people"] for second in words]
    strings = {f"*{space}{phrase}" for space in ["", *prefilter._SPACES] for phrase in phrases} | set(phrases)
    assert sum(map(prefilter._count, strings)) > 1000
    kept = prefilter._shorter(strings, True)
    assert min(map(len, kept)) >= prefilter.LONG
    assert "za" not in kept and all(not row.startswith(tuple(kept)) for row in ["iago", "weather", "your turn", "* yo"])


# Pieces of rows for the alternatives' test, besides the words of each pattern: spaces, marks and
# digits its alternatives hold or leave out.
PIECES = [*" .,:|-1/2»›→©", "\u00a0", "\u2014", "12:30", " says: ", "\u212a", "\u017f", "\u00e9"]


def _shipped_split(book: RuleBook) -> list[str]:
    """The shipped patterns the prefilter scans for as several alternatives (``_plan``)."""
    patterns = {
        rule.trigger
        for rule_set in [book.generic, *book.sites]
        if rule_set is not None
        for rule in rule_set.rules
        if rule.trigger_rx.engine == "re2"
    }
    return sorted(pattern for pattern in patterns if len(prefilter._plan([pattern])["real"]) > 1)


@needs_hyperscan
def test_a_pattern_scanned_as_its_alternatives_names_every_row_it_matches(
    book: RuleBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pattern that is an alternation of the whole row is scanned for as each alternative
    (``_plan``): every row RE2 matches is named all the same (random rows of the pattern's own
    words, in either case, and marks), and fewer rows are named than by the whole's factors and
    bounds (the heading words: a row of a word's length that starts with it)."""
    rng = random.Random(5)
    split = _shipped_split(book)
    assert len(split) >= 10
    fewer = 0
    for pattern in split:
        words = re.findall(r"[^\W\d_]{2,}(?: [^\W\d_]{2,})?", pattern) or PIECES
        rows = []
        for _ in range(300):
            row = "".join(
                rng.choice([*words, *PIECES]) if rng.random() < 0.6 else " " for _ in range(rng.randrange(1, 7))
            )
            rows.append(rng.choice([row, row.strip(), row.upper(), row.title(), rng.choice(words)]))
        # (RE2 on the whole pattern, compiled as the rules compile it, with their room for a large
        # program: Regex.test splits some patterns as the scan does, regex._split.)
        whole_rx = _compile_re2(to_re2(pattern))
        matched = {i for i, row in enumerate(rows) if whole_rx.search(row)}
        found = Prefilter([pattern]).scan(rows)[0]
        assert matched <= found, (pattern, [rows[i] for i in sorted(matched - found)][:3])
        with monkeypatch.context() as patched:
            patched.setattr(prefilter, "alternatives", lambda _: None)
            patched.setattr(prefilter, "_cache_path", lambda *_: None)  # (built, not loaded)
            whole = Prefilter([pattern]).scan(rows)[0]
        fewer += len(found) < len(whole)
    assert fewer >= len(split) // 2


def test_a_cached_prefilter_that_does_not_name_its_patterns_is_built_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A cache entry whose ``real`` (the pattern each scanned one is an alternative of) does not
    cover the rule set's patterns in order is not this rule set's: it is built again, not read."""
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path))
    patterns = ["^(?i:home|news|contact us)$", "^share on (?:facebook|twitter)$"]
    rows = ["Home", "news", "Share on twitter", "a paragraph of text"]
    expected = Prefilter(patterns).scan(rows)
    (state_path,) = tmp_path.glob("prefilter-*.state")
    state = marshal.loads(state_path.read_bytes())
    assert state["real"] == [0, 0, 0, 1]
    for real in ([0, 0, 0, 0], [0, 1, 0, 1], [1, 1, 1, 1], [0, 0, 0, "1"], None):
        state_path.write_bytes(marshal.dumps({**state, "real": real}))
        assert Prefilter(patterns).scan(rows) == expected, real
        assert marshal.loads(state_path.read_bytes())["real"] == [0, 0, 0, 1]  # (stored again)


INVENTED = [
    "Home › News › World\nThe council met on Tuesday to discuss the budget.\nShare on Facebook\nTweet\n"
    "Tags: budget, council\n\nRelated articles\nMore from the council\n© 2024 Example Media. All rights reserved.",
    "Zum Inhalt springen\nDer Stadtrat tagte am Dienstag über den Haushalt.\nTEILEN\nKommentare (3)\n"
    "Schlagwörter: Haushalt\nImpressum | Datenschutz",
    "Cookies: we use cookies to improve your experience. Accept\nThe river rose by two metres overnight.\n"
    "Advertisement\n12\nBack to top\nSubscribe to our newsletter\n\u212aelvin \u017fign rows",
    "== Section ==\nA paragraph of an encyclopedia article [edit]\nRetrieved from \u201chttps://example.org\u201d\n",
]


def _outcome(pipeline: Pipeline, doc: Document) -> tuple[object, ...]:
    cleaned = pipeline.clean(doc)
    lines = [(line.text, line.dropped_by, tuple(line.changed_by)) for line in cleaned.lines]
    return cleaned.text, cleaned.url, cleaned.site, tuple(sorted(cleaned.meta.items())), tuple(lines)


@needs_hyperscan
def test_cleaning_with_the_prefilter_is_cleaning_without_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The lasting form of the differential check: the same documents, through the plain engine
    (as on a platform without a matcher) and through the prefilter, give the same everything."""
    book_path = [ROOT / "rules"]
    docs = [Document(f"invented-{i}", text, "test") for i, text in enumerate(INVENTED)]
    docs += [
        Document(path.stem, path.read_text(encoding="utf-8"), "seed") for path in sorted((ROOT / "seeds").glob("*.txt"))
    ]
    book = RuleBook.load(book_path)
    for placed in book.rules():
        for i, case in enumerate(placed.rule.cases()):
            docs.append(Document(f"{placed.rule.id}-{i}", case.input, "case", case.input_url))
    monkeypatch.setattr(prefilter, "available", lambda: False)
    plain = Pipeline(RuleBook.load(book_path))
    expected = [_outcome(plain, doc) for doc in docs]
    monkeypatch.undo()
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(engine, "WARMUP", 0)
    fast = Pipeline(RuleBook.load(book_path))
    assert [_outcome(fast, doc) for doc in docs] == expected
    assert fast.book.generic is not None and fast.book.generic._fast is not None  # the prefilter ran
    assert prefilter.cached(engine._Fast.patterns(fast.book.generic.rules))  # and is in the cache now
    # The first documents of a run, before the prefilter is built (none in the cache): each
    # rule's own pattern stands in for the combined line-start one, which is never compiled.
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(engine, "WARMUP", 10**9)
    warming = Pipeline(RuleBook.load(book_path))
    assert [_outcome(warming, doc) for doc in docs] == expected
    assert warming.book.generic is not None and warming.book.generic._fast is None
    assert warming.book.generic._starts == {}
    # With the database in the cache, the prefilter is loaded for the first document.
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path / "cache"))
    loaded = Pipeline(RuleBook.load(book_path))
    assert loaded.book.generic is not None
    assert [_outcome(loaded, doc) for doc in docs[:1]] == expected[:1]
    assert loaded.book.generic._fast is not None
    assert [_outcome(loaded, doc) for doc in docs[1:]] == expected[1:]


def test_sets_of_characters_go_first_to_the_patterns_that_have_no_factors() -> None:
    """A pattern with no factors (a code token: a bounded run of some characters) is filtered by
    its row lengths and sets of characters alone. The sets are few (MAX_SETS); before, they went
    in the rule set's order, and a rule file that added patterns with bounds before it took them
    all: the token's rows were then every row of its lengths (176 candidate rows a real page, not 0.1)."""
    factored = [f"^(?:word{n}|term{n}) [a-z]{{1,9}}$" for n in range(prefilter.MAX_SETS)]
    token = "^[a-z_]{3,20}$"
    plan = prefilter._plan([*factored, token])
    [entry] = [entry for entry in plan["lengths"] if plan["real"][entry[0]] == len(factored)]
    assert entry[1:4] == (3, 20, ("_abcdefghijklmnopqrstuvwxyz", False))


def test_sets_of_characters_go_next_to_the_patterns_whose_factors_are_weak() -> None:
    """After the patterns with no factors, the sets go to those whose factors are short strings
    found anywhere in a row (a weekday's two letters, "do", "mo": in many words), which name many
    rows, before those with long or line-start factors, which name few. In the rule set's order,
    a rule split into its branches came last and its weekday branch got none: 37 candidate rows a
    real page, not 19."""
    strong = [f"^(?:headword{n}|termword{n}) [a-z]{{1,9}}$" for n in range(prefilter.MAX_SETS)]
    weak = "^[0-9]{1,2}[ .,:-]?(?:mo|do)$"
    plan = prefilter._plan([*strong, weak])
    [entry] = [entry for entry in plan["lengths"] if plan["real"][entry[0]] == len(strong)]
    assert prefilter._weak(prefilter.factors(weak) or [])
    assert entry[1:4] == (3, 5, (" ,-.0123456789:dmo", False))  # (its alphabet: a set of its own)


def test_no_shipped_rule_is_a_candidate_on_most_rows_of_prose(book: RuleBook) -> None:
    """The prefilter names the rows a rule may match: a rule it names on most rows costs an RE2
    test on each of them, on every page. The rows here are the rule files' own keep cases (the
    prose nearest the rules, which they must leave), and no generic rule may be a candidate on a
    third of them (the most, a dateline rule, is on a fifth: they are its near misses). A branch
    with no literal but a space (a name and a date in figures) was a candidate on every row."""
    import yaml

    rows: set[str] = set()
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", []):
            for case in rule.get("tests") or []:
                if isinstance(case.get("output"), str):
                    rows.update(line for line in case["output"].split("\n") if len(line) >= 20)
    texts = sorted(rows)
    assert len(texts) >= 400
    assert book.generic is not None
    shares = {
        rule.id: len(Prefilter([rule.trigger]).scan(texts)[0]) / len(texts)
        for rule in book.generic.rules
        if rule.trigger_rx.engine == "re2"
    }
    assert max(shares.values()) < 1 / 3, sorted(shares.items(), key=lambda item: -item[1])[:3]
    every = r"^\p{Lu}\p{Ll}+(?: \p{Lu}\p{Ll}+)+ \d{4}-\d{2}-\d{2} \d{1,2}:\d{2}(?::\d{2})?$"
    assert len(Prefilter([every]).scan(texts)[0]) == len(texts)  # (what the bound is for)
