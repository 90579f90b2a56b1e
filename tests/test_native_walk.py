"""_scan.c's walk (plain line rules run in one call) against its Python twin, kinds/line.py's
walk: the same rows dropped by the same rule, the same place in ``order`` returned, the same
error, on random rows, rules, memos and deadlines; hostile checks that change the lists under
the walk; and a rule set's run with the C walk and with the twin on the shipped rules. And
_scan.c's carry (a scan's rows carried to a later round) against engine.carry, its twin; and
its alive and unchanged against compiled.alive and steps/rules.unchanged_texts."""

from __future__ import annotations

import copy
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cleaner.document import Line
from cleaner.rules import prefilter
from cleaner.rules.book import RuleBook
from cleaner.rules.compiled import alive
from cleaner.rules.engine import carry
from cleaner.rules.kinds.line import Plain, walk
from cleaner.rules.regex import Regex
from cleaner.steps.rules import unchanged_texts

ROOT = Path(__file__).resolve().parent.parent

prefilter.available()
needs_native = pytest.mark.skipif(prefilter._scan is None, reason="CLEANER_NATIVE=off")

# Row texts: what the patterns below match at a start or not, a newline (Regex.test then), empty.
PIECES = ["Share", "share", "Ad", "x", " ", "\n", "é", "Tags:", "", "🙂"]
PATTERNS = [r"^(?i)share\b", r"^Ad\s*$", r"^Tags:", r"^x+", r"^.*é"]


class Text(str):
    """A str subclass: the C walk must not take its memo for one of plain str."""


def _rows(rng: random.Random) -> list[Line]:
    rows = []
    for n in range(rng.randrange(0, 9)):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 4)))
        line = Line(n + 1, Text(text) if rng.random() < 0.1 else text)
        if rng.random() < 0.2:
            line.dropped_by = "earlier"
        rows.append(line)
    return rows


# A rule: its key, id, pattern, memo, and its fifth item ("twin": Regex.native_start's, "none", "": none).
Spec = tuple[int, str, str, dict[str, bool], str] | None


def _case(rng: random.Random) -> tuple[list[Line], dict[int, list[int]], list[int], list[Spec], int, Any]:
    rows = _rows(rng)
    specs: list[Spec] = []
    may: dict[int, list[int]] = {}
    for position in range(rng.randrange(1, 7)):
        if rng.random() < 0.25:
            specs.append(None)
            continue
        # A memo holding some answers, a wrong one among them (it is trusted, as test_start does).
        memo = {str(line.text): rng.random() < 0.5 for line in rows if rng.random() < 0.3}
        key = 1000 + position
        specs.append((key, f"rule-{position}", rng.choice(PATTERNS), memo, rng.choice(["", "twin", "twin", "none"])))
        if rows and rng.random() < 0.8:
            may[key] = sorted(rng.sample(range(len(rows)), rng.randrange(0, len(rows) + 1)))
    order = sorted(rng.sample(range(len(specs)), rng.randrange(0, len(specs) + 1)))
    deadline = rng.choice([None, None, 2.5, 0.5, 10.0])
    return rows, may, order, specs, rng.randrange(-1, len(order) + 2), deadline


def _plain(key: int, rule_id: str, pattern: str, memo: dict[str, bool], twin: str = "") -> Plain:
    """A rule as the engine gives it to walk (CompiledLine.plain), on a Regex of its own."""
    rx = Regex(pattern, rule_id)
    rx._starts = dict(memo)

    def check(text: str) -> bool:
        return rx.test_start(text) if "\n" not in text else rx.test(text)

    if not twin:
        return (key, rule_id, rx._starts, check)
    return (key, rule_id, rx._starts, check, rx.native_start() if twin == "twin" else None)


def _run(fn: Callable[..., int], case: tuple[Any, ...]) -> tuple[Any, ...]:
    rows, may, order, specs, start, deadline = copy.deepcopy(case)
    simple = [_plain(*spec) if spec else None for spec in specs]
    ticks = iter(range(1000))
    try:
        got: Any = fn(rows, may, order, simple, start, deadline, lambda: next(ticks))
    except Exception as error:  # (the same error, both sides)
        got = type(error)
    memos = [dict(entry[2]) if entry else None for entry in simple]
    return got, [(line.text, line.dropped_by) for line in rows], memos


@needs_native
def test_the_c_walk_is_its_python_twin_on_random_cases() -> None:
    rng = random.Random(7)
    returned = set()
    for _ in range(3000):
        case = _case(rng)
        c, python = _run(prefilter._scan.walk, case), _run(walk, case)
        assert c == python, case
        returned.add(c[0] if isinstance(c[0], type) else (c[0] > 0) - (c[0] < 0))
    assert returned == {-1, 0, 1}  # (stopped past a deadline, at nothing, after some rules)


@needs_native
def test_the_c_walk_answers_rows_itself_as_test_start_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows no memo knows, answered from C (Regex.native_start: the ASCII twin on an ASCII row,
    the pattern's own RE2 on another, a lone surrogate passed as test_start encodes it), not by
    the check: the same drops and memos as the twin's test_start, a memo that fills up emptied as
    _remember empties it, a long row not kept; the check is asked only of a row with a newline."""
    monkeypatch.setattr("cleaner.rules.regex.MEMO_SIZE", 3)
    texts = ["Share this", "Ad", "x", "Tags: a", "share it", "Sharex", "Ad ", "é Share", "Share\nit", "Ad"]
    texts += ["Share " + "y" * 300, "ée", "é" + "y" * 300, "Ad\u00a0", "Share\ud800", "xé", "🙂 Tags:", "Ad\u3000 "]
    for pattern in PATTERNS:
        outcomes = []
        for fn in (walk, prefilter._scan.walk):
            rows = [Line(n, text) for n, text in enumerate(texts)]
            rx = Regex(pattern, "r")
            rx._starts.clear()
            asked: list[str] = []

            def check(text: str, rx: Regex = rx, asked: list[str] = asked) -> bool:
                asked.append(text)
                return rx.test_start(text) if "\n" not in text else rx.test(text)

            twin = rx.native_start()
            assert twin is not None
            rx._test_on("")  # (the ASCII twins compiled: the C asks them from the first row on)
            got = fn(rows, {1: list(range(len(rows)))}, [0], [(1, "r", rx._starts, check, twin)], 0, None, None)
            outcomes.append((got, [line.dropped_by for line in rows], dict(rx._starts)))
            if fn is not walk:
                assert all("\n" in text for text in asked), asked
        assert outcomes[0] == outcomes[1], pattern
        assert len(outcomes[0][2]) <= 3 and all(len(text) <= 200 for text in outcomes[0][2])
    assert Regex(r"^(?=a)b").native_start() is None  # (backtracking: no twin)


@needs_native
def test_the_c_walk_answers_a_row_past_ascii_on_the_patterns_own_re2() -> None:
    """A row past ASCII runs the pattern's Unicode RE2, never the ASCII twin (whose classes hold
    no character past ASCII): ``\\w``, ``\\s`` and ``\\d`` match such characters there; and an RE2
    not compiled yet (``_re2`` unset, as a Regex the verdicts knew starts) is compiled when asked."""
    texts = ["Straße", "a\u00a0b", "٣٤", "Stra", "a b", "34", "a\u2028b"]
    for pattern, hits in (
        (r"^\w+$", [1, 0, 1, 1, 0, 1, 0]),
        (r"^a\sb$", [0, 1, 0, 0, 1, 0, 1]),
        (r"^\d+$", [0, 0, 1, 0, 0, 1, 0]),
    ):
        rx = Regex(pattern, "r")
        rx._test_on("")
        if rx._names is None:
            del rx._re2, rx._tests  # (unset: Regex.__getattr__ compiles them when the walk asks)
        rows = [Line(n, text) for n, text in enumerate(texts)]
        plain: Plain = (1, "r", rx._starts, lambda text: pytest.fail(text), rx.native_start())
        assert prefilter._scan.walk(rows, {1: list(range(len(rows)))}, [0], [plain], 0, None, None) == 1
        assert [line.dropped_by == "r" for line in rows] == [bool(hit) for hit in hits], pattern
        assert rx._starts == {text: bool(hit) for text, hit in zip(texts, hits, strict=True)}


@needs_native
def test_the_c_walk_leaves_a_row_to_the_check_until_the_twin_is_compiled() -> None:
    """The twins are compiled when test_start first needs them (not when the plan is made): the
    first ASCII row goes to the check, the next ones the C answers; a pattern without a twin
    (``_ascii_tests`` False) is the check's on every row."""
    rows = [Line(1, "Share a"), Line(2, "Share b"), Line(3, "Share c")]
    for twin, asked_rows in ((None, ["Share a"]), (False, ["Share a", "Share b", "Share c"])):
        rx = Regex(r"^Share\b", "r")
        rx._ascii_tests = twin  # (None: not compiled yet; False: the pattern has none, see regex.to_re2)
        asked: list[str] = []

        def check(text: str, rx: Regex = rx, asked: list[str] = asked) -> bool:
            asked.append(text)
            return rx.test_start(text)

        simple: list[Plain | None] = [(1, "r", rx._starts, check, rx.native_start())]
        for line in rows:
            line.dropped_by = None
        assert prefilter._scan.walk(rows, {1: [0, 1, 2]}, [0], simple, 0, None, None) == 1
        assert asked == asked_rows
        assert [line.dropped_by for line in rows] == ["r"] * 3


class _Fake:
    """A stand-in for a Regex whose twins' Matches are ``matches``."""

    def __init__(self, *matches: Any):
        self._ascii_tests = matches


@needs_native
def test_a_bad_twin_is_an_error_not_a_crash() -> None:
    rows = [Line(1, "Share")]
    for match in (lambda *args: [], lambda *args: [("x", 1)], lambda *args: 1 / 0, lambda *args: [[None]]):
        twin = (_Fake(match), None, 200, 1024)
        with pytest.raises((IndexError, TypeError, ZeroDivisionError)):
            prefilter._scan.walk(rows, {1: [0]}, [0], [(1, "r", {}, bool, twin)], 0, None, None)
    with pytest.raises(TypeError):
        prefilter._scan.walk(rows, {1: [0]}, [0], [(1, "r", {}, bool, (1, 2))], 0, None, None)
    with pytest.raises(AttributeError):
        prefilter._scan.walk(rows, {1: [0]}, [0], [(1, "r", {}, bool, (object(), None, 200, 9))], 0, None, None)
    for tests in ([bool], (), "Match"):  # (not a tuple of Matches)
        fake = _Fake()
        fake._ascii_tests = tests
        with pytest.raises(TypeError):
            prefilter._scan.walk(rows, {1: [0]}, [0], [(1, "r", {}, bool, (fake, None, 200, 9))], 0, None, None)
    twin = (_Fake(lambda *args: [(0, 5)]), None, "big", 1024)
    with pytest.raises(TypeError):
        prefilter._scan.walk(rows, {1: [0]}, [0], [(1, "r", {}, bool, twin)], 0, None, None)
    assert rows[0].dropped_by is None
    found = _Fake(lambda anchor, data, start, end: [(0 if data == b"Share" and (start, end) == (0, 5) else -1, 5)])
    assert prefilter._scan.walk(rows, {1: [0]}, [0], [(1, "r", {}, bool, (found, None, 200, 9))], 0, None, None) == 1
    assert rows[0].dropped_by == "r"


@needs_native
def test_the_c_walk_looks_a_rules_match_up_once_for_its_rows() -> None:
    """The twins' Matches are read once for a rule's ASCII rows (and once for its others), not at
    every row; a rule after it reads its own again."""
    reads: list[str] = []

    class Counted:
        def __init__(self, name: str):
            self.name = name

        def __get__(self, obj: Any, owner: Any) -> Any:
            reads.append(self.name)
            return (lambda anchor, data, start, end: [(0, end)],)

    class Twin:
        _ascii_tests = Counted("ascii")
        _tests = Counted("re2")

    rows = [Line(n, text) for n, text in enumerate(["a", "é", "b", "ü", "c", "d"])]
    simple: list[Plain | None] = [(k, f"r{k}", {}, bool, (Twin(), None, 200, 1024)) for k in (1, 2)]
    assert prefilter._scan.walk(rows, {1: [0, 1, 2, 3], 2: [4, 5]}, [0, 1], simple, 0, None, None) == 2
    assert [line.dropped_by for line in rows] == ["r1"] * 4 + ["r2"] * 2
    assert reads == ["ascii", "re2", "ascii"]


def test_walk_drops_the_rows_a_rule_matches_and_stops_at_a_rule_it_does_not_run() -> None:
    rows = [Line(1, "Share this"), Line(2, "Shared files"), Line(3, "Share\nit"), Line(4, "Ad")]
    rx = Regex(r"^Share\b", "share")
    rx._starts.clear()
    rx._starts["Shared files"] = True  # a (wrong) memo is trusted: the walk is test_start's
    ad = Regex(r"^Ad$", "ad")

    def check(rx: Regex) -> Callable[[str], bool]:
        return lambda text: rx.test_start(text) if "\n" not in text else rx.test(text)

    simple: list[Plain | None] = [(1, "share", rx._starts, check(rx)), None, (3, "ad", ad._starts, check(ad))]
    may = {1: [0, 1, 2, 3], 3: [3]}
    fns = [walk] if prefilter._scan is None else [walk, prefilter._scan.walk]
    for fn in fns:
        for line in rows:
            line.dropped_by = None
        assert fn(rows, may, [0, 1, 2], simple, 0, None, None) == 1
        assert [line.dropped_by for line in rows] == ["share", "share", "share", None]
        assert fn(rows, may, [0, 1, 2], simple, 2, None, None) == 3
        assert rows[3].dropped_by == "ad"
        assert fn(rows, may, [0, 2], simple, 0, 0.5, lambda: 1.0) == -1  # over the deadline at order[0]


@needs_native
@pytest.mark.parametrize("harm", ["clear rows", "clear found", "shrink found", "raise"])
def test_a_check_that_changes_the_lists_under_the_walk_is_an_error_not_a_crash(harm: str) -> None:
    def build() -> tuple[list[Line], dict[int, list[int]], list[Plain | None]]:
        rows = [Line(n, f"row {n}") for n in range(5)]
        found = [0, 1, 2, 3, 4]

        def check(text: str) -> bool:
            if harm == "clear rows":
                rows.clear()
            elif harm == "clear found":
                found.clear()
            elif harm == "shrink found":
                del found[-2:]
            else:
                raise ValueError(text)
            return True

        return rows, {9: found}, [(9, "hostile", {}, check)]

    outcomes = []
    for fn in (walk, prefilter._scan.walk):
        rows, may, simple = build()
        try:
            got: Any = fn(rows, may, [0], simple, 0, None, None)
        except Exception as error:
            got = type(error)
        outcomes.append((got, [line.dropped_by for line in rows]))
    if harm == "clear found":  # (the twin iterates the list as Python does: it stops too)
        assert outcomes[0] == outcomes[1] == (1, ["hostile"] + [None] * 4)
    elif harm == "shrink found":
        assert outcomes[0] == outcomes[1] == (1, ["hostile", "hostile", None, None, None])  # (cut at each check)
    else:
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][0] in (IndexError, ValueError)


@needs_native
def test_bad_arguments_raise_type_errors() -> None:
    walk_c = prefilter._scan.walk
    with pytest.raises(TypeError):
        walk_c([], {}, [0], [(1, "a", [], None)], 0, None, None)  # a memo that is not a dict
    with pytest.raises(TypeError):
        walk_c([], {1: (0,)}, [0], [(1, "a", {}, None)], 0, None, None)  # rows not in a list
    with pytest.raises(IndexError):
        walk_c([], {}, [5], [None], 0, None, None)


@needs_native
def test_a_rule_set_walks_its_line_rules_in_c_as_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generic rules on the seeds and the rules' own cases: the same drops with either walk."""
    book = RuleBook.load([ROOT / "rules"])
    generic = book.generic
    assert generic is not None
    texts = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    texts += [case.input for placed in book.rules() for case in placed.rule.cases()]
    monkeypatch.setattr("cleaner.rules.engine.WARMUP", 0)
    results = []
    for native_walk in (True, False):
        generic._fast = None
        fast = generic._prefilter()
        assert fast is not None
        plan = fast.plan(generic.rules, False)
        plan.walk = prefilter._scan.walk if native_walk else walk
        assert any(entry is not None for entry in plan.simple)
        out = []
        for text in texts:
            lines = [Line(n + 1, row) for n, row in enumerate(text.split("\n"))]
            generic.apply(lines, None, {})
            out.append([(line.text, line.dropped_by) for line in lines])
        results.append(out)
    assert results[0] == results[1]
    assert any(line[1] for doc in results[0] for line in doc)


def _carry_case(rng: random.Random) -> tuple[Any, ...]:
    """Rows then and texts then; the rows now: some of them (in order, or not), a text changed,
    a row that was not there; what the scan found then, with a key ``wanted`` may leave out."""
    rows_then = [Line(n, rng.choice(["a", "b", Text("a"), ""])) for n in range(rng.randrange(0, 8))]
    texts_then = [line.text for line in rows_then]
    rows_now = [line for line in rows_then if rng.random() < 0.7]
    roll = rng.random()
    if roll < 0.1 and rows_now:
        rng.choice(rows_now).text = "changed"
    elif roll < 0.15:
        rows_now.insert(rng.randrange(len(rows_now) + 1), Line(99, "new"))
    elif roll < 0.2 and len(rows_now) > 1:
        rows_now.reverse()
    elif roll < 0.25 and rows_now:
        rows_now.append(rows_now[0])  # (a row twice)
    n = len(rows_then)
    may_then = {
        key: sorted(rng.sample(range(n), rng.randrange(1, n + 1))) for key in range(3) if n and rng.random() < 0.8
    }
    hits_then = sorted(rng.sample(range(n), rng.randrange(0, n + 1)))
    wanted = rng.choice([None, frozenset(), frozenset({0, 2}), {1}])
    return rows_then, texts_then, rows_now, may_then, hits_then, wanted


def _carried(fn: Callable[..., Any], case: tuple[Any, ...]) -> Any:
    try:
        return fn(*case)
    except Exception as error:
        return type(error)


@needs_native
def test_the_c_carry_is_its_python_twin_on_random_cases() -> None:
    rng = random.Random(11)
    kinds = set()
    for _ in range(3000):
        case = _carry_case(rng)
        got = _carried(prefilter._scan.carry, case)
        assert got == _carried(carry, case), case
        kinds.add("none" if got is None else "empty" if got == ({}, []) else "carried")
    assert kinds == {"none", "empty", "carried"}


def test_carry_takes_the_rows_found_then_to_where_they_are_now() -> None:
    rows = [Line(n, text) for n, text in enumerate(["a", "b", "c", "d"])]
    fns = [carry] if prefilter._scan is None else [carry, prefilter._scan.carry]
    for fn in fns:
        texts = [line.text for line in rows]
        may = {7: [0, 2, 3], 8: [1], 9: [2]}
        assert fn(rows, texts, [rows[0], rows[2], rows[3]], may, [1, 3], None) == ({7: [0, 1, 2], 9: [1]}, [2])
        assert fn(rows, texts, [rows[2]], may, [], frozenset({7, 8})) == ({7: [0]}, [])
        assert fn(rows, texts, [rows[2], rows[0]], may, [], None) is None  # (not in their order)
        assert fn(rows, texts, [Line(5, "a")], may, [], None) is None  # (not a row then)
        with pytest.raises(ValueError):
            fn(rows, texts[:3], rows, may, [], None)
        rows[1].text = "B"
        assert fn(rows, texts, rows, may, [], None) is None  # (a text changed)
        rows[1].text = "b"


@needs_native
def test_carry_with_hostile_input_is_an_error_not_a_crash() -> None:
    rows = [Line(n, "x") for n in range(3)]
    texts = ["x", "x", "x"]

    class Eq(str):
        def __eq__(self, other: object) -> bool:
            rows.clear()  # the rows then go while they are walked
            texts.clear()
            return True

        __hash__ = str.__hash__

    rows[0].text = Eq("y")
    for fn in (carry, prefilter._scan.carry):
        rows[:] = [Line(n, "x") for n in range(3)]
        rows[0].text = Eq("y")
        texts[:] = ["x", "x", "x"]
        now = list(rows)
        got = _carried(fn, (rows, texts, now, {1: [0, 5]}, [-1], None))
        assert got in (None, IndexError, ValueError)
    with pytest.raises(TypeError):
        prefilter._scan.carry([], [], [], {1: (0,)}, [], None)
    with pytest.raises(TypeError):
        prefilter._scan.carry([], [], [], {}, [], [1])
    with pytest.raises(IndexError):
        prefilter._scan.carry([Line(1, "a")], ["a"], [], {1: [3]}, [], None)


def _lines(rng: random.Random) -> list[Line]:
    lines = [Line(n, rng.choice(["a", " ", "", "b", Text("a")])) for n in range(rng.randrange(0, 10))]
    for line in lines:
        if rng.random() < 0.3:
            line.dropped_by = "r"
    return lines


@needs_native
def test_the_c_alive_and_unchanged_are_their_python_twins_on_random_lines() -> None:
    rng = random.Random(5)
    answers = set()
    for _ in range(3000):
        lines = _lines(rng)
        for nonblank in (True, False):
            c, python = prefilter._scan.alive(lines, nonblank), alive(lines, nonblank)
            assert c == python and all(a is b for a, b in zip(c[0], python[0], strict=True))
            # With a limit (MatchSite's head): the first rows of the whole answer, as many as asked.
            limit = rng.randrange(-2, 6)
            c = prefilter._scan.alive(lines, nonblank, limit)
            assert c == alive(lines, nonblank, limit)
            assert c == ((python[0][:limit], python[1][:limit]) if limit >= 0 else python)
        texts = [line.text for line in lines]
        for line in lines:  # then some go, and some change
            roll = rng.random()
            if roll < 0.15:
                line.dropped_by = "later"
            elif roll < 0.2:
                line.text = "changed"
        answer = prefilter._scan.unchanged(lines, texts)
        assert answer is unchanged_texts(lines, texts)
        answers.add(answer)
    assert answers == {True, False}


def test_alive_and_unchanged_by_hand() -> None:
    lines = [Line(1, "a"), Line(2, "  "), Line(3, "b"), Line(4, "c")]
    lines[2].dropped_by = "r"
    pairs = [(alive, unchanged_texts)]
    if prefilter._scan is not None:
        pairs.append((prefilter._scan.alive, prefilter._scan.unchanged))
    for alive_fn, unchanged_fn in pairs:
        assert alive_fn(lines, True) == ([lines[0], lines[3]], ["a", "c"])
        assert alive_fn(lines, False) == ([lines[0], lines[1], lines[3]], ["a", "  ", "c"])
        assert alive_fn(lines, True, 1) == ([lines[0]], ["a"])
        assert alive_fn(lines, False, 2) == ([lines[0], lines[1]], ["a", "  "])
        assert alive_fn(lines, True, 0) == ([], []) and alive_fn(lines, True, 5) == alive_fn(lines, True)
        assert alive_fn(lines, True, -1) == alive_fn(lines, True)
        # The lines past the limit are not read (one that cannot be read is not met).
        assert alive_fn([lines[0], object()], True, 1) == ([lines[0]], ["a"])  # type: ignore[list-item]
        assert unchanged_fn(lines, ["a", "  ", "changed while dropped", "c"]) is True
        assert unchanged_fn(lines, ["a", "  ", "b", "C"]) is False
        with pytest.raises(IndexError):
            unchanged_fn(lines, ["a"])


@needs_native
def test_alive_reads_slots_in_place_only_when_set_and_blank_a_bool() -> None:
    """The C reads a line's three slots in place, borrowed, when all are set and ``blank`` is a
    bool; a line with another ``blank`` (truth-tested) or an empty slot is read the generic way,
    in the same list: the twin's answer, or its AttributeError."""
    rng = random.Random(25)
    for _ in range(2000):
        lines = _lines(rng)
        for line in lines:
            if rng.random() < 0.3:
                line.blank = rng.choice([0, 1, "", "x", None, [], [0]])  # type: ignore[assignment]
        for nonblank in (True, False):
            c, python = prefilter._scan.alive(lines, nonblank), alive(lines, nonblank)
            assert c == python and all(a is b for a, b in zip(c[0], python[0], strict=True))
    for slot in ("dropped_by", "text", "blank"):
        lines = [Line(1, "a"), Line(2, "b"), Line(3, "c")]
        delattr(lines[1], slot)
        for nonblank in (True, False):
            if slot == "blank" and not nonblank:  # (not read: the line is kept)
                assert prefilter._scan.alive(lines, nonblank) == alive(lines, nonblank)
                continue
            first = lines[0]  # (a name: the assert's rewriting holds what an item would give)
            before = sys.getrefcount(first)
            with pytest.raises(AttributeError):
                prefilter._scan.alive(lines, nonblank)
            assert sys.getrefcount(first) == before  # (the row read before it let go)
            with pytest.raises(AttributeError):
                alive(lines, nonblank)


class _Growing(Line):
    """A Line whose ``dropped_by`` read (the generic way) adds lines to a list: ``victims``, once."""

    __slots__ = ("victims",)

    def __getattribute__(self, name: str) -> Any:
        if name == "dropped_by":
            victims = object.__getattribute__(self, "victims")
            if victims:
                victims.pop().extend(Line(10 + k, f"added {k}") for k in range(9))
        return object.__getattribute__(self, name)


@needs_native
def test_alive_keeps_what_a_list_lengthened_while_read_holds_and_lets_go_on_an_error() -> None:
    # The C holds the rows kept in an array made for the list's length as called: a read that
    # adds lines grows it (as the twin's comprehension sees them too).
    for nonblank in (True, False):
        lines: list[Line] = [_Growing(1, "a"), Line(2, " "), Line(3, "b")]
        lines[0].victims = [lines]  # type: ignore[attr-defined]
        got = prefilter._scan.alive(lines, nonblank)
        assert len(lines) == 12 and len(got[0]) == (11 if nonblank else 12)
        lines[0].victims = [lines[:0]]  # type: ignore[attr-defined]  # (adds to a copy: lines stay)
        assert got == alive(lines, nonblank)
    # A line that cannot be read: an error, the rows read before it let go.
    kept = Line(1, "kept")
    before = sys.getrefcount(kept)
    with pytest.raises(AttributeError):
        prefilter._scan.alive([kept, object()], True)  # type: ignore[list-item]
    assert sys.getrefcount(kept) == before


class _Shouted(Line):
    """A Line whose attributes are not read from their slots: the C reads its text the generic way."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        return value.upper() if name == "text" else value


@needs_native
def test_alive_unchanged_carry_and_walk_read_a_line_class_of_their_own_the_generic_way() -> None:
    """The C reads a Line's slots straight (steps/_held.h) and anything else through getattr,
    in one list of both, the class changing from one line to the next."""
    lines = [Line(1, "a"), _Shouted(2, "b"), Line(3, " "), _Shouted(4, " "), Line(5, "c"), _Shouted(6, "d")]
    lines[4].dropped_by = "r"
    for nonblank in (True, False):
        assert prefilter._scan.alive(lines, nonblank) == alive(lines, nonblank)
    assert prefilter._scan.alive(lines, True) == ([lines[0], lines[1], lines[5]], ["a", "B", "D"])
    assert prefilter._scan.unchanged(lines, ["a", "B", " ", " ", "x", "D"]) is True
    assert prefilter._scan.unchanged(lines, ["a", "b", " ", " ", "x", "D"]) is False
    rows = [lines[0], lines[1], lines[5]]
    assert prefilter._scan.carry(rows, ["a", "B", "D"], rows[1:], {7: [0, 2]}, [1], None) == ({7: [1]}, [0])
    assert prefilter._scan.carry(rows, ["a", "b", "D"], rows[1:], {7: [0, 2]}, [1], None) is None
    rx = Regex(r"^[A-Z]$")
    simple: list[Plain | None] = [(7, "demo.caps", rx._starts, rx.test_start)]
    assert prefilter._scan.walk(rows, {7: [0, 1, 2]}, [0], simple, 0, None, None) == 1
    assert [line.dropped_by for line in lines] == [None, "demo.caps", None, None, "r", "demo.caps"]
