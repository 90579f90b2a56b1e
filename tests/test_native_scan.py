"""The rules prefilter's C scan (cleaner/rules/_scan.c) against the hyperscan scan and Python
callback it stands in for (Prefilter.rows): the same rows for every pattern, exactly, for the
shipped rules on invented text, the seeds, the rules' own cases and random texts built from
pieces of the literals; hand-made literals with the rows worked out; and that it is built at all."""

from __future__ import annotations

import marshal
import random
from collections.abc import Sequence
from functools import partial
from itertools import product
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cleaner import native
from cleaner.rules import prefilter
from cleaner.rules.book import RuleBook
from cleaner.rules.engine import _Fast
from cleaner.rules.prefilter import Prefilter
from tests.test_prefilter import DENSE_PATTERNS, INVENTED, dense_rows

ROOT = Path(__file__).resolve().parent.parent

prefilter.available()
needs_native = pytest.mark.skipif(prefilter._scan is None, reason="CLEANER_NATIVE=off")
needs_both = pytest.mark.skipif(
    prefilter._scan is None or prefilter._hyperscan() is None, reason="CLEANER_NATIVE=off, or no hyperscan wheel"
)


def test_the_extension_is_built() -> None:
    if native.load("cleaner.rules._scan") is None and not native.disabled():
        pytest.fail("cleaner/rules/_scan.c was not built: is there a C compiler? (`pip install -e .` builds it)")


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Prefilter, Prefilter]]:
    """For each shipped rule set, its prefilter with the C matcher and with hyperscan."""
    book = RuleBook.load([ROOT / "rules"])
    out = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLEANER_CACHE", str(tmp_path_factory.mktemp("cache")))
        for rule_set in [book.generic, *book.sites]:
            assert rule_set is not None
            patterns = _Fast.patterns(rule_set.rules)
            out.append((rule_set.name, Prefilter(patterns, use_native=True), Prefilter(patterns, use_native=False)))
    return out


def _literals(pairs: list[tuple[str, Prefilter, Prefilter]]) -> list[str]:
    """The shipped rules' literals as text (a "\\n" in front: a factor a row starts with)."""
    book = RuleBook.load([ROOT / "rules"])
    out: set[str] = set()
    for rule_set in [book.generic, *book.sites]:
        assert rule_set is not None
        state = prefilter._plan(_Fast.patterns(rule_set.rules))
        out.update(literal.decode("utf-8", "surrogatepass") for literal in state["literals"])
    return sorted(out)


# Pieces a random text is built from besides the literals: separators, characters beyond ASCII
# (two, three and four bytes in UTF-8, a lone surrogate), a newline inside a row (a replace rule
# may write one), and bytes that are in no literal.
NOISE = [
    " ",
    "  ",
    "x",
    "1",
    "\n",
    "\t",
    "é",
    "É",
    "ü",
    "Ü",
    "ß",
    "\u212a",
    "\u017f",
    "€",
    "\U0001f600",
    "\udc80",
    "»",
    "~",
]


def _mangle(rng: random.Random, text: str) -> str:
    """The literal in another case, cut short, cut by a newline, or as it is."""
    roll = rng.random()
    if roll < 0.25:
        return "".join(ch.upper() if rng.random() < 0.5 else ch for ch in text)
    if roll < 0.35:
        return text.upper()
    if roll < 0.45 and len(text) > 2:
        return text[: rng.randrange(1, len(text))]
    if roll < 0.55 and len(text) > 2:
        cut = rng.randrange(1, len(text))
        return text[:cut] + "\n" + text[cut:]  # (joined: a literal across two rows)
    return text


def _random_texts(literals: list[str], count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        rows = []
        for _ in range(rng.randrange(0, 12)):
            parts = []
            for _ in range(rng.randrange(0, 6)):
                if rng.random() < 0.5:
                    parts.append(_mangle(rng, rng.choice(literals)))
                else:
                    parts.append(rng.choice(NOISE))
            row = "".join(parts)
            # A row that is only a literal (without its "\n", which the join puts before it).
            rows.append(row if rng.random() < 0.8 else rng.choice(literals).lstrip("\n"))
        if rng.random() < 0.5:
            # Split at the newlines inside rows (most documents), or not (rows a rule rewrote).
            rows = "\n".join(rows).split("\n")
        docs.append(rows)
    return docs


def _seed_rows() -> list[list[str]]:
    return [path.read_text(encoding="utf-8").split("\n") for path in sorted((ROOT / "seeds").glob("*.txt"))]


def _case_rows() -> list[list[str]]:
    book = RuleBook.load([ROOT / "rules"])
    return [case.input.split("\n") for placed in book.rules() for case in placed.rule.cases()]


def _outcome(found: Prefilter, rows: list[str]) -> object:
    """The rows found, or the error: a text that is not ASCII and has a row with a newline in it
    counts more rows than there are, and a pattern with row lengths then looks past the list."""
    try:
        got = found.rows(rows)
    except IndexError as error:
        return str(error)
    assert all(rows == sorted(set(rows)) for rows in got.values())
    return got


def _same(pairs: list[tuple[str, Prefilter, Prefilter]], docs: list[list[str]]) -> None:
    for name, c, hs in pairs:
        # Keys as the engine's: some patterns left out (None), the others under a key of their own.
        keys = tuple(None if k % 3 == 1 else f"rule-{k}" for k in range(c.size))
        for rows in docs:
            assert _outcome(c, rows) == _outcome(hs, rows), (name, rows)
            assert _keyed(c, rows, keys) == _keyed(hs, rows, keys) == _rekeyed(_outcome(c, rows), keys)


def _keyed(found: Prefilter, rows: list[str], keys: tuple[str | None, ...]) -> object:
    try:
        return found.rows(rows, keys)
    except IndexError as error:
        return str(error)


def _rekeyed(outcome: object, keys: tuple[str | None, ...]) -> object:
    if not isinstance(outcome, dict):
        return outcome
    return {keys[k]: rows for k, rows in outcome.items() if keys[k] is not None}


@needs_both
def test_c_rows_are_hyperscan_rows_on_invented_seed_and_case_texts(
    pairs: list[tuple[str, Prefilter, Prefilter]],
) -> None:
    invented = [text.split("\n") for text in INVENTED]
    docs = [*invented, *([row.upper() for row in rows] for rows in invented), *_seed_rows(), *_case_rows()]
    docs += [[], [""], ["", ""], ["\n"], ["a\nb", "Share on"]]
    _same(pairs, docs)
    # The scan finds something on these (a comparison of two empty results proves nothing).
    assert sum(len(c.rows(rows)) for _, c, _ in pairs for rows in invented) > 10


@needs_both
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_c_rows_are_hyperscan_rows_on_random_texts(pairs: list[tuple[str, Prefilter, Prefilter]], seed: int) -> None:
    docs = _random_texts(_literals(pairs), 400, seed)
    _same(pairs, docs)
    generic = pairs[0][1]
    assert sum(len(found) for found in map(partial(_outcome, generic), docs) if isinstance(found, dict)) > 400


def _matcher(
    literals: list[bytes],
    owners: list[list[int]],
    size: int,
    counted: Sequence[int] = (),
    lengths: Sequence[tuple[int, int, int]] = (),
) -> Any:
    return prefilter._scan.build(literals, owners, size, list(counted), list(lengths))


@needs_native
def test_rows_of_hand_made_literals() -> None:
    scan = prefilter._scan.rows
    # Overlapping literals, one inside another, ASCII in either case, a row-start one.
    m = _matcher([b"he", b"she", b"hers", b"\nab", b"\xc3\xbc"], [[0], [1], [2, 0], [3], [4]], 5)
    assert scan(m, ["she", "HERS", "xab", "ab", "Ab\u00fc", "\u00dc"]) == {0: [0, 1], 1: [0], 2: [1], 3: [3, 4], 4: [4]}
    # Not ASCII: a row starts after each newline, one inside a row too (as the Python code counts).
    assert scan(m, ["\u00fc", "x\nhe"]) == {4: [0], 0: [2]}
    # ASCII: rows as the texts' lengths say.
    assert scan(m, ["u", "x\nhe"]) == {0: [1]}
    # A literal across the join's newline matches, on the row its end is on.
    m = _matcher([b"a\nb"], [[1]], 2)
    assert scan(m, ["xa", "bx", "a"]) == {1: [1]}
    # Row lengths: pattern 0 keeps rows of 2 or 3 characters; pattern 1 has no literal: every row.
    m = _matcher([b"ab"], [[0]], 2, counted=[1], lengths=[(0, 2, 3), (1, 0, 1)])
    assert scan(m, ["ab", "abcd", "", "x", "abc"]) == {0: [0, 4], 1: [3]}
    assert scan(m, ["abcd"]) == {}
    assert scan(_matcher([], [], 3, counted=[2]), ["a", "b"]) == {2: [0, 1]}
    # Sets of characters: pattern 0's rows hold only "a" and "b" (or a newline), pattern 1's only
    # "(", ")" and characters past ASCII, pattern 3's a digit or a character past ASCII at least;
    # pattern 2 has its row lengths alone. As Prefilter._by_length.
    lengths: list[tuple[Any, ...]] = [
        (0, 1, 3, ("ab", False), None),
        (1, 1, 3, ("()", True), None),
        (2, 1, 3),
        (3, 1, 4, None, ("0123456789", True)),
    ]
    m = _matcher([b"ab"], [[2]], 4, counted=[0, 1, 3], lengths=lengths)
    for texts, expected in [
        (["ab", "ax", "b\nx", "()", "abab", "xab", "a1"], {0: [0, 2], 1: [2, 3], 2: [0, 5], 3: [2, 6]}),
        (["(\u00e9)", "ab", "\u00e9", "a\u00e9", "(1)"], {0: [1], 1: [0, 2], 2: [1], 3: [0, 2, 3, 4]}),
    ]:
        assert scan(m, texts) == expected
        twin = SimpleNamespace(counted=[0, 1, 3], lengths=lengths)
        found = {2: [row for row, text in enumerate(texts) if "ab" in text]}
        Prefilter._by_length(twin, found, texts)  # type: ignore[arg-type]
        assert found == expected
    # Keyed: each pattern's rows under its key, a pattern whose key is None left out.
    m = _matcher([b"ab", b"cd"], [[0], [1, 2]], 3)
    assert list(scan(m, ["cd", "ab"], ("a", None, 7)).items()) == [(7, [0]), ("a", [1])]
    assert scan(m, ["cd", "ab"], None) == {1: [0], 2: [0], 0: [1]}
    for keys in [("a", None), ["a", None, 7], ("a", None, 7, 8)]:
        with pytest.raises(ValueError):
            scan(m, ["ab"], keys)


@needs_native
def test_rows_of_a_pattern_scanned_as_its_alternatives() -> None:
    """Scanned patterns 0 and 2 are alternatives of pattern 0, 1 is pattern 1 (``real``): pattern
    0's rows are the union of its alternatives' (each with its own bounds), each once, in order,
    as Prefilter._by_pattern gives them; the keys are by pattern."""
    scan = prefilter._scan.rows
    m = prefilter._scan.build([b"ab", b"cd", b"\nxy"], [[0], [1], [2]], 3, [], [(0, 2, 2), (2, 3, 5)], [0, 1, 0])
    texts = ["ab", "xyz", "cd", "abc", "xy", "xyzab"]
    assert list(scan(m, texts).items()) == [(0, [0, 1, 5]), (1, [2])]
    twin = SimpleNamespace(real=[0, 1, 0])
    assert Prefilter._by_pattern(twin, {0: [0], 2: [1, 5], 1: [2]}) == {0: [0, 1, 5], 1: [2]}  # type: ignore[arg-type]
    assert scan(m, texts, ("a", None)) == {"a": [0, 1, 5]}
    assert scan(m, ["abc", "xy"]) == {}  # (each alternative's rows left out by its bounds)
    with pytest.raises(ValueError):
        scan(m, texts, ("a", None, "c"))  # (a key per pattern, not per scanned one)
    # A pattern's rows come where its first alternative that keeps a row is (Prefilter._by_length
    # leaves out one that keeps none): the first alternative's one row is too long for it.
    m = prefilter._scan.build([b"ab", b"cd", b"ef"], [[0], [1], [2]], 3, [], [(0, 2, 2)], [0, 1, 0])
    assert list(scan(m, ["abc", "cd", "ef"]).items()) == [(1, [1]), (0, [2])]
    assert list(scan(m, ["ab", "cd", "ef"]).items()) == [(0, [0, 2]), (1, [1])]
    # An alternative with row lengths and no factors has every row its lengths keep.
    m = prefilter._scan.build([b"ab"], [[0]], 2, [1], [(1, 1, 1)], [0, 0])
    assert scan(m, ["x", "ab", "cab", "y"]) == {0: [0, 1, 2, 3]}
    # The matcher's spare tables, after a call of more hits than they keep room for, and after a
    # call refused, are as new.
    many = ["ab"] * 70_000
    assert scan(m, many) == {0: list(range(70_000))}
    with pytest.raises(TypeError):
        scan(m, ["ab", 1])
    assert scan(m, ["x", "ab", "cab", "y"]) == {0: [0, 1, 2, 3]}
    # A matcher of more patterns than spare tables are kept for makes its tables at each call.
    m = prefilter._scan.build([b"ab"], [[69_999]], 70_000, [], [])
    assert [scan(m, texts) for texts in (["x", "ab"], ["ab", "abab"], ["ab"])] == [
        {69_999: [1]},
        {69_999: [0, 1]},
        {69_999: [0]},
    ]
    for real in ([0, 1], [0, 2, 2], [0, -1, 1]):  # (one per scanned pattern; each pattern scanned)
        with pytest.raises(ValueError):
            prefilter._scan.build([b"ab"], [[0]], 3, [], [], real)


@needs_native
def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        _matcher([b""], [[0]], 1)
    with pytest.raises(ValueError):
        _matcher([b"ab"], [[1]], 1)
    with pytest.raises(ValueError):
        _matcher([b"ab"], [[0], [0]], 1)
    with pytest.raises(ValueError):
        _matcher([b"ab"], [[0]], 1, lengths=[(0, 1, 2), (0, 1, 3)])
    with pytest.raises(ValueError):  # (a set's characters are ASCII: the others are one flag)
        _matcher([b"ab"], [[0]], 1, lengths=[(0, 1, 2, ("a\u00e9", False), None)])
    for bad in ["ab", ("ab",), (b"ab", True)]:
        with pytest.raises(TypeError):
            _matcher([b"ab"], [[0]], 1, lengths=[(0, 1, 2, None, bad)])
    with pytest.raises(TypeError):
        prefilter._scan.rows(_matcher([b"ab"], [[0]], 1), [b"ab"])
    # (was a signed overflow sizing the tables by pattern, then a MemoryError by chance)
    with pytest.raises(ValueError):
        _matcher([b"ab"], [[0]], 2**31 - 1)
    # The per-document calls read their arguments themselves (METH_FASTCALL), as
    # PyArg_ParseTuple did: their count, the lists and dicts, an index.
    m = _matcher([b"ab"], [[0]], 1)
    scan = prefilter._scan
    assert scan.rows(m, ["xab"], None, -1) == scan.rows(m, ["xab"]) == {0: [0]}
    assert scan.rows(m, ["xab"], None, 2) == {}  # (a text past the limit is read as "")
    bad_calls: list[tuple[Any, tuple[Any, ...], type[Exception]]] = [
        (scan.rows, (m,), TypeError),
        (scan.rows, (m, ("ab",)), TypeError),
        (scan.rows, (m, [], None, 1, 2), TypeError),
        (scan.rows, (m, [], None, "1"), TypeError),
        (scan.rows, (m, [], None, 2**70), OverflowError),
        (scan.alive, ([],), TypeError),
        (scan.alive, ((), True), TypeError),
        (scan.unchanged, ([], ()), TypeError),
        (scan.carry, ([], [], [], [], [], None), TypeError),  # (may_then: a dict)
        (scan.walk, ([], {}, [], [], "0", None, None), TypeError),
        (scan.walk, ([], {}, [], []), TypeError),
    ]
    for call, args, error in bad_calls:
        with pytest.raises(error):
            call(*args)
    assert scan.alive([], True) == ([], []) and scan.unchanged([], []) is True
    assert scan.carry([], [], [], {}, [], None) == ({}, [])
    assert scan.walk([], {}, [], [], 0, None, None) == 0


@needs_both
def test_each_matcher_has_its_own_cache_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The C matcher's entry holds the literals and no database; both load and scan alike."""
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path))
    book = RuleBook.load([ROOT / "rules"])
    assert book.generic is not None
    patterns = _Fast.patterns(book.generic.rules)
    built = [Prefilter(patterns, use_native=flag) for flag in (True, False)]
    entries = sorted(tmp_path.glob("prefilter-*.state"))
    assert len(entries) == 2
    databases = sorted(len(path.with_suffix(".hsdb").read_bytes()) for path in entries)
    assert databases[0] == 0 and databases[1] > 0
    for path in entries:
        state = marshal.loads(path.read_bytes())
        assert len(state["literals"]) == len(state["owners"]) > 100
        assert all(type(literal) is bytes for literal in state["literals"])
    assert prefilter.cached(patterns)
    loaded = [Prefilter(patterns, use_native=flag) for flag in (True, False)]
    rows = [row for text in INVENTED for row in text.split("\n")]
    found = built[1].rows(rows)
    assert found and all(prefilter_.rows(rows) == found for prefilter_ in [*built, *loaded])


@needs_native
@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not marshal",
        marshal.dumps([1, 2]),
        marshal.dumps({"always": [], "counted": [], "lengths": [], "owners": [[0]], "literals": ["ab"]}),
    ],
)
def test_a_bad_cache_entry_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes) -> None:
    """An entry cut short, altered or of another layout is ignored: the prefilter is built from
    the patterns (and the entry written again)."""
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path))
    patterns = [r"^Share this$", r"(?i)read more", r"^\S{1,3}$"]
    rows = ["Share this", "READ MORE here", "x", "Share this article"]
    expected = Prefilter(patterns, use_native=True).rows(rows)
    (entry,) = tmp_path.glob("prefilter-*.state")
    good = entry.read_bytes()
    entry.write_bytes(content)
    assert Prefilter(patterns, use_native=True).rows(rows) == expected
    assert entry.read_bytes() == good


@needs_native
def test_the_c_matcher_needs_no_hyperscan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where hyperscan has no wheel, the C matcher is the prefilter: built, stored, loaded."""
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path))
    monkeypatch.setattr(prefilter, "hyperscan", None)
    monkeypatch.setattr(prefilter, "_hyperscan", lambda: None)
    assert prefilter.available()
    patterns = [r"^Share this$", r"(?i)read more", r"^\S{1,3}$", r"^\S+$"]  # (the last: on every row)
    rows = ["Share this", "READ MORE here", "x", "Share this article"]
    expected = {0: [0], 1: [1], 2: [2]}
    built = Prefilter(patterns)
    assert built.rows(rows) == expected and built.always == [3]
    assert prefilter.cached(patterns)
    assert Prefilter(patterns).rows(rows) == expected


@needs_native
def test_rows_of_no_texts_are_those_of_two_newlines() -> None:
    # "\n" + "\n".join([]) + "\n" is "\n\n" (was "\n": no row), as for [""]; the Python code's rows
    scan = prefilter._scan.rows
    assert scan(_matcher([b"\n\n"], [[0]], 1), []) == {0: [0]}
    assert scan(_matcher([b"\n"], [[0]], 1), []) == {0: [-1, 0]}
    assert scan(_matcher([b"\n"], [[0]], 1), [""]) == {0: [-1, 0]}
    assert scan(_matcher([b"\nab"], [[0]], 1), []) == {}


def _naive_rows(by_literal: dict[bytes, list[int]], texts: list[str]) -> dict[int, list[int]]:
    """Prefilter.rows worked out by hand for rows without a newline: every literal (lowered: ASCII
    case ignored) wherever it ends in "\\n" + "\\n".join(texts) + "\\n", on the row of its last byte."""
    data = ("\n" + "\n".join(texts) + "\n").encode("utf-8", "surrogatepass").lower()
    sizes = sorted({len(literal) for literal in by_literal})
    found: dict[int, set[int]] = {}
    row = -1
    for end in range(len(data)):
        for size in sizes:
            for p in by_literal.get(data[end - size + 1 : end + 1], []) if end + 1 >= size else []:
                found.setdefault(p, set()).add(row)
        if data[end] == 10:
            row += 1
    return {p: sorted(rows) for p, rows in found.items()}


@needs_native
def test_a_long_scan_in_two_halves_finds_the_rows_of_one() -> None:
    # From 256 characters on, the texts' second half is scanned alongside the first (after a
    # newline the automaton is in one state whatever came before): the rows must be those of
    # one scan, also at the rows around where the halves meet and after a newline inside a row
    # of the first half (rows counted after each newline: the text is not ASCII).
    scan = prefilter._scan.rows
    # (Literals no text below holds, that leave the root on seven more letters: a matcher of few
    # literals passes over the bytes at the root, and is scanned as one stream: ``sparse``.)
    dense = {bytes([x, y]): [4] for x, y in zip(b"fhjlnpr", b"gikmoqs", strict=True)}
    by_literal = {b"\nab": [1], b"cd": [2], b"\xc3\xa9x": [3], b"b\xc3\xa9": [0, 3], **dense}
    m = _matcher(list(by_literal), list(by_literal.values()), 5)
    # (the halves: rows 0 to 2, and 3 on, whose first row starts with a match)
    texts = ["x" * 99 + "c", "d\u00e9x" + "y" * 97, "y" * 100, "b" + "\u00e9" * 99, "ab" + "z" * 98, "cd" * 50]
    assert scan(m, texts) == _naive_rows(by_literal, texts) == {3: [1, 3], 0: [3], 1: [4], 2: [5]}
    inside = ["\u00e9x\nab" + "q" * 95, *texts]  # (a newline in the first half's first row)
    assert scan(m, inside) == _naive_rows(by_literal, inside)
    assert scan(m, inside)[1] == [1, 6]
    # A literal with a newline past its first byte: the state after a newline depends on what
    # came before ("c" then "\nd"), so the texts are scanned as one stream.
    joined = {b"c\nd": [0], b"cd": [1]}
    m = _matcher(list(joined), list(joined.values()), 2)
    long = ["c" + "y" * 199, "q" * 199 + "c", "d" + "y" * 199, "y" * 199 + "c"]
    assert scan(m, long) == _naive_rows(joined, long) == {0: [2]}
    # Random texts over an alphabet the literals are made of, long enough to be split (or not);
    # also with no literal holding a newline (the newline's class is then in none: its steps
    # still count the rows).
    rng = random.Random(5)
    unstarted = {b"ab": [1], b"cd": [2], b"\xc3\xa9x": [3], b"b\xc3\xa9": [0, 3], **dense}
    for literals in (by_literal, {**by_literal, **joined}, unstarted):
        m = _matcher(list(literals), list(literals.values()), 5)
        for _ in range(300):
            # (not ASCII: _naive_rows counts rows after each newline, as the scan does then)
            texts = [
                "".join(rng.choices("abcdxy\u00e9\u0100\n ", k=rng.randrange(120))) for _ in range(rng.randrange(9))
            ]
            texts.append("\u00e9")
            assert scan(m, texts) == _naive_rows(literals, texts), texts
    # Texts of each kind side by side in the two halves (``pair_loops``: an ASCII text's loop
    # feeds its bytes without a test for a character past 0x7F): ASCII, one byte, two bytes.
    alphabets = ("abcdxy ", "abcdxy\u00e9 ", "abcdxy\u00e9\u0100 ")
    seen = set()
    m = _matcher(list(unstarted), list(unstarted.values()), 5)
    for _ in range(300):
        texts = []
        for _ in range(rng.randrange(2, 9)):
            letters = rng.choice(alphabets)
            texts.append("".join(rng.choices(letters, k=rng.randrange(40, 120))))
        texts.append("\u00e9")  # (not ASCII: rows after each newline, as _naive_rows counts them)
        seen.update((a.isascii(), max(a, default="a") > "\xff") for a in texts)
        assert scan(m, texts) == _naive_rows(unstarted, texts), texts
    assert seen == {(True, False), (False, False), (False, True)}


@needs_native
def test_a_sparse_scan_passes_over_what_leaves_the_root_there() -> None:
    # Few literals (a site's): at the root, a byte no literal starts with is passed over without
    # a look-up; not a newline, which starts a row (the text is not ASCII: rows after each one).
    scan = prefilter._scan.rows
    m = _matcher([b"ab"], [[0]], 1)
    assert scan(m, ["\u00e9", "x\nab", "xab"]) == {0: [2, 3]}
    # Random texts, also with a literal of one byte (the root records it) and one beyond ASCII.
    rng = random.Random(7)
    for literals in ({b"ab": [0]}, {b"\nab": [0], b"cd": [1]}, {b"q": [0], b"\xc3\xa9x": [1], b"ab": [0, 1]}):
        m = _matcher(list(literals), list(literals.values()), 2)
        for _ in range(300):
            texts = [
                "".join(rng.choices("abcdqxy\u00e9\u0100\n ", k=rng.randrange(40))) for _ in range(rng.randrange(6))
            ]
            texts.append("\u00e9")  # (not ASCII: as _naive_rows counts rows)
            assert scan(m, texts) == _naive_rows(literals, texts), texts


@needs_native
def test_a_sparse_scan_passes_over_blocks_of_what_leaves_the_root_there() -> None:
    # Long runs of characters the root stays at, passed over 16 bytes (8 two-byte characters) at a
    # time: every stop (a literal's first byte, in either case; a newline; a character past ASCII)
    # at every place in a block, in texts of one and two bytes a character, ASCII ones too; and a
    # matcher with more stops than a block's compares take (passed over one by one).
    scan = prefilter._scan.rows
    rng = random.Random(11)
    many = {f"{d}a".encode(): [0] for d in "012345678"}  # (nine stops and the newline)
    for literals in (
        {b"ab": [0]},
        {b"\nab": [0], b"cd": [1]},
        {b"q": [0], b"\xc3\xa9x": [1], b"ab": [0, 1], b"\xc4\x80": [1]},
        many,
    ):
        m = _matcher(list(literals), list(literals.values()), 2)
        for _ in range(300):
            wide = rng.random() < 0.4
            ascii = not wide and rng.random() < 0.3
            stops = "aAbcdCqQ0458" + ("" if ascii else "\n\u00e9\u0100")
            texts = []
            for _ in range(rng.randrange(1, 5)):
                chars = rng.choices("xyz ", k=rng.randrange(80))
                for _ in range(rng.randrange(4)):
                    chars.insert(rng.randrange(len(chars) + 1), rng.choice(stops))
                texts.append("".join(chars))
            if wide:
                texts.append("\u0100")
            elif not ascii:
                texts.append("\u00e9")
            # (an ASCII call's rows are its texts, one each here: no newline in them)
            assert scan(m, texts) == _naive_rows(literals, texts), texts


@needs_native
def test_rows_of_an_automaton_past_16_bit_states() -> None:
    # Every 4-letter string over 18 letters (and the 2-letter ones, and a few beyond ASCII): over
    # 100,000 states, so the shallow states' table has children it cannot code in 16 bits (a
    # state of depth 3 among the first 2048 has its children past 32,767), which the scan must
    # reach by the trie itself, with the same rows as everywhere else.
    alphabet = "abcdefghijklmnopqr"
    fours = ["".join(chars) for chars in product(alphabet, repeat=4)]
    literals = [x.encode() for x in fours] + [a.encode() + b.encode() for a in "aq" for b in alphabet]
    literals += ["\u00fcb".encode(), "q\u00e9\u00e9".encode()]
    owners = [[k % 7] for k in range(len(fours))] + [[7 + k % 2] for k in range(2 * len(alphabet))] + [[9], [10]]
    assert len(literals) > 100_000
    m = _matcher(literals, owners, 11)
    rng = random.Random(5)
    pieces = [*alphabet, *alphabet.upper(), " ", "x", "\u00fc", "\u00e9", "zz", *rng.sample(fours, 20)]
    docs = [["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30))) for _ in range(rng.randrange(0, 8))]]
    docs += [
        ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30))) for _ in range(rng.randrange(0, 8))]
        for _ in range(300)
    ]
    docs += [["qrqr", "QRQRqrqr"], ["r\u00fcbb", "pqrs"]]
    by_literal: dict[bytes, list[int]] = {}
    for literal, own in zip(literals, owners, strict=True):
        by_literal.setdefault(literal.lower(), []).extend(own)
    total = 0
    for texts in docs:
        expected = _naive_rows(by_literal, texts)
        assert prefilter._scan.rows(m, texts) == expected, texts
        total += len(expected)
    assert total > 1000


@needs_native
def test_rows_of_deep_chains_past_the_table() -> None:
    # Past the table's 2048 states the trie is numbered depth first (a chain of single children on
    # consecutive states, each sibling block whole, the table cut where a block starts): long
    # literals that overlap (failure links into deep states), pieces of them in the texts (walks
    # down the chains, out at every depth), the three-letter strings to fill the table; rows as
    # worked out by hand, in one stream and in two halves.
    rng = random.Random(13)
    letters = "abcdefghijklm"
    threes = ["".join(chars) for chars in product(letters, repeat=3)]
    longs = ["".join(rng.choices("abcde", k=rng.randrange(8, 31))) for _ in range(200)]
    pieces = [w[i : i + rng.randrange(4, 12)] for w in longs[:60] for i in (rng.randrange(len(w) - 3),)]
    literals = [x.encode() for x in threes + longs + pieces]
    owners = [[k % 5] for k in range(len(threes))] + [[5 + k % 17, 22] for k in range(len(longs) + len(pieces))]
    m = _matcher(literals, owners, 23)
    by_literal: dict[bytes, list[int]] = {}
    for literal, own in zip(literals, owners, strict=True):
        by_literal.setdefault(literal, []).extend(own)
    total = 0
    for k in range(400):
        parts = [*rng.sample(longs, 3), *rng.sample(pieces, 3), "x", " ", "\u00e9", "abcde", "EDCBA"]
        texts = ["".join(rng.choice(parts) for _ in range(rng.randrange(0, 25))) for _ in range(rng.randrange(1, 8))]
        if k % 2:
            texts.append("\u00e9")  # (not ASCII: rows after each newline, as _naive_rows counts them)
        expected = _naive_rows(by_literal, texts)
        assert prefilter._scan.rows(m, texts) == expected, texts
        total += sum(map(len, expected.values()))
    assert total > 10_000


@needs_native
def test_rows_of_states_of_many_patterns() -> None:
    # A state's one pattern is kept in its node, more in ``outs``, 65,535 or more with their count
    # first: a literal of 65,534 patterns whose suffix has one (65,535 at its state), one of
    # 70,000 (and 70,001, 70,002 at the states its suffixes reach), of two, of none.
    for many in (65_534, 70_000):
        literals = [b"ab", b"xab", b"b", b"yb", b"zz"]
        owners = [list(range(many)), [many], [many + 1], [many + 2, many + 3], [many + 1]]
        m = _matcher(literals, owners, many + 4)
        by_literal = dict(zip(literals, owners, strict=True))
        for texts in (["xab", "yb", "b"], ["b", "ab zz"], ["zyb"], ["q", "xa", "xxab"], ["", "y"]):
            expected = _naive_rows(by_literal, texts)
            assert prefilter._scan.rows(m, texts) == expected, texts
        expected = {**{p: [0] for p in range(many + 1)}, many + 1: [0, 1], many + 2: [1], many + 3: [1]}
        assert prefilter._scan.rows(m, ["xab", "yb"]) == expected


class _Emptying:
    """An index whose __index__ empties a list (Python code run while build() reads it)."""

    def __init__(self, victim: list[Any], value: int) -> None:
        self.victim, self.value = victim, value

    def __index__(self) -> int:
        self.victim.clear()
        return self.value


@needs_native
def test_build_holds_what_it_reads() -> None:
    # Each list emptied while build() reads it, by an __index__ run in the middle (before: the
    # literals, owners, counted or lengths were read after the list had freed them).
    scan = prefilter._scan.rows
    literals = [b"ab%d" % k for k in range(50)]
    owners = [[k % 3] for k in range(50)]
    texts = ["ab7", "xx", "ab12 ab4", "a"]
    expected = scan(_matcher(literals, owners, 4, counted=[3], lengths=[(3, 1, 2), (1, 3, 9)]), texts)
    assert expected == {1: [0, 2], 0: [2], 3: [1, 3]}

    def built(at: str, victim: str) -> Any:
        args = {
            "literals": list(literals),
            "owners": [list(own) for own in owners],
            "counted": [3, 3],  # (twice: the second is read after the list was emptied)
            "lengths": [(3, 1, 2), (1, 3, 9)],
        }
        emptying = args[victim]
        if at == "counted":
            args["counted"][0] = _Emptying(emptying, 3)
        elif at == "lengths":
            args["lengths"][0] = (3, _Emptying(emptying, 1), 2)
        else:
            args["owners"][0] = [_Emptying(emptying, 0)]
        return prefilter._scan.build(args["literals"], args["owners"], 4, args["counted"], args["lengths"])

    for at, victim in [
        ("lengths", "literals"),
        ("lengths", "owners"),
        ("lengths", "lengths"),
        ("counted", "counted"),
        ("counted", "literals"),
        ("owners", "owners"),
        ("owners", "literals"),
    ]:
        assert scan(built(at=at, victim=victim), texts) == expected, (at, victim)


@needs_native
def test_row_lengths_are_those_of_the_texts_as_called() -> None:
    # A collection while the results are made (CPython 3.11 collects in an allocation) runs a
    # finalizer that makes every text too long for the patterns' row lengths: the rows are still
    # those of the texts as they were (before: the lengths were read from the list as it is then).
    import gc

    size = 400
    m = _matcher([b"ab"], [list(range(size))], size, lengths=[(p, 1, 5) for p in range(size)])
    texts = ["ab", "xab"]
    expected = {p: [0, 1] for p in range(size)}
    assert prefilter._scan.rows(m, list(texts)) == expected

    class Trap:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            texts[:] = ["ab" * 10] * len(texts)

    threshold = gc.get_threshold()
    gc.collect()
    try:
        gc.set_threshold(50)
        Trap()
        found = prefilter._scan.rows(m, texts)
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    assert texts == ["ab" * 10] * 2  # (the collection did run, mid-call)
    assert found == expected


@needs_both
def test_a_limit_reads_the_longer_texts_as_empty(pairs: list[tuple[str, Prefilter, Prefilter]]) -> None:
    # ``limit`` (the engine's MAX_RULE_LINE): a text longer than it is read as "", by the C scan
    # itself and by Prefilter.rows's hyperscan path, as the list with those texts made "" reads.
    # Long texts that hold literals (their rows would be found) and are the only text beyond
    # ASCII (read as "", the rest is an ASCII call: rows by the texts' lengths), on both halves.
    rng = random.Random(7)
    literals = _literals(pairs)
    docs = _random_texts(literals, 60, 11)
    for rows in docs:
        for _ in range(rng.randrange(3)):
            at = rng.randrange(len(rows) + 1)
            rows.insert(at, "\u00e9 " + " ".join(rng.choice(literals).lstrip("\n") for _ in range(40)))
    limit = 120
    found = 0
    for name, c, hs in pairs:
        keys = tuple(None if k % 3 == 1 else f"rule-{k}" for k in range(c.size))
        for rows in docs:
            cut = [row if len(row) <= limit else "" for row in rows]
            for key in (None, keys):
                want = _keyed(c, cut, key) if key is not None else _outcome(c, cut)
                for matcher in (c, hs):
                    try:
                        got: object = matcher.rows(rows, key, limit)
                    except IndexError as error:
                        got = str(error)
                    assert got == want, (name, rows)
            found += any(len(row) > limit for row in rows) and isinstance(want, dict) and bool(want)
    assert found > 20  # (documents with a long text, and rows found in them)
    # The C scan's own argument: -1 (the default) reads every text whole.
    generic = pairs[0][1]
    texts = ["share on facebook " * 20, "\u00e9"]
    scan = prefilter._scan.rows
    assert scan(generic.matcher, texts, None, -1) == scan(generic.matcher, texts)
    assert (
        scan(generic.matcher, texts, None, 10) == scan(generic.matcher, ["", "\u00e9"]) != scan(generic.matcher, texts)
    )


@needs_both
def test_rows_by_first_characters_are_the_python_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Patterns whose rows must start with some characters (prefilter.first), alone or with an
    # alphabet and needed ones: the C scan keeps the rows Prefilter._by_length keeps, on rows
    # that start with them or not, with ASCII and other characters, a newline, or empty.
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path))
    patterns = [
        r"^a.{1,3}$",
        r"^(?i:\u017fa|\u00e9a|ka)\d?$",
        r"^(?:\d{1,2}[./]\d{2}|\d{4}|x.a)$",
        r"^[(|]a\)?$",
        r"^[a-h].{1,3}[a-h]{2}$",  # (no other set: the first character alone is read)
    ]
    assert all(prefilter.first(pattern) is not None for pattern in patterns)
    assert prefilter.alphabet(patterns[-1]) is None and prefilter.needed(patterns[-1]) is None
    c, hs = Prefilter(patterns, use_native=True), Prefilter(patterns, use_native=False)
    assert c.matcher is not None
    rng = random.Random(5)
    pool = [
        "a",
        "A",
        "ka",
        "Ka",
        "\u212aa",
        "\u017fa",
        "sa",
        "\u00e9a",
        "1",
        "12",
        ".",
        "/",
        "x",
        "(",
        "|",
        ")",
        " ",
        "\n",
    ]
    docs = [
        ["".join(rng.choice(pool) for _ in range(rng.randrange(0, 5))) for _ in range(rng.randrange(1, 9))]
        for _ in range(600)
    ]
    kept = left = 0
    for rows in docs:
        want = _outcome(hs, rows)
        assert _outcome(c, rows) == want, rows
        if isinstance(want, dict):
            kept += sum(map(len, want.values()))
            # (rows the first characters leave out: the literals are on them, their length fits)
            left += sum(
                1
                for k, pattern in enumerate(patterns)
                for row, text in enumerate(rows)
                if row not in want.get(k, []) and 1 <= len(text) <= 4 and "\n" not in text and "a" in text.lower()
            )
    assert kept > 300 and left > 300


@needs_both
def test_rows_by_dense_bounds_are_the_python_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Patterns whose rows hold a bounded count of characters other than spaces (prefilter.dense),
    # their spaces unbounded: the C scan keeps the rows Prefilter._by_length keeps, on rows with
    # spaces of several kinds, ASCII and past it, longer than the bound or not, with a newline.
    monkeypatch.setenv("CLEANER_CACHE", str(tmp_path))
    patterns = [*DENSE_PATTERNS, r"^(?i:share)\s{0,3}(?:on)?\s?$"]  # (and one bounded in length too)
    c, hs = Prefilter(patterns, use_native=True), Prefilter(patterns, use_native=False)
    assert c.matcher is not None
    assert sum(len(entry) == 7 for entry in c.lengths) >= 3  # (the bound is asked of the scan)
    plain = Prefilter(patterns, use_native=False)
    plain.lengths = [entry[:6] for entry in plain.lengths]  # (the same without the bound)
    rng = random.Random(3)
    left = 0
    for _ in range(800):
        rows = dense_rows(rng, rng.randrange(1, 9))
        want = _outcome(hs, rows)
        assert _outcome(c, rows) == want, rows
        if isinstance(want, dict):
            left += sum(len(set(found) - set(want.get(k, []))) for k, found in plain.rows(rows).items())
    assert left > 50  # (rows the bound leaves out)
