"""The dedup step's C half (cleaner/steps/_dedup.c) against the Python it stands in for: the
same exact keys and groups, the same prefix echoes, and the same fate for every line after
dedup(), on invented lines, the seeds and random documents over an alphabet chosen to hit every
branch (case folding that changes the length, punctuation and whitespace of every kind, heads
at and around their cut); and that it is built at all."""

from __future__ import annotations

import operator
import random
import sys
from pathlib import Path

import pytest

from cleaner import native
from cleaner.document import Document, Line
from cleaner.pipeline.clean import split_lines
from cleaner.rules.compiled import REWRITES
from cleaner.steps import dedup as dedup_module
from cleaner.steps.base import State
from cleaner.steps.dedup import PREFIX, REPEAT, dedup

ROOT = Path(__file__).resolve().parent.parent
NATIVE = dedup_module._NATIVE

needs_native = pytest.mark.skipif(NATIVE is None, reason="CLEANER_NATIVE=off")

# Characters whose case folding grows (ß, ẞ, ﬁ, İ, ŉ), is not lower() (ς, Cherokee, Deseret past
# U+FFFF), each punctuation mark dedup folds and some it does not (¶, ‽), whitespace str.split
# knows (\x1c, \x85, NBSP, ideographic space) and marks it does not (U+200B), a lone surrogate.
PIECES = [
    *"aAzZ09 .,;:!?-'\"()[]{}<>/\\|@#$%^&*_+=~`“”‘’–—…«»·•¡¿¶‽",
    *"\t\x0b\x0c\x1c\x1f\x85\u00a0\u2003\u3000\u200b\u2028",
    *"ßẞﬁİŉΣσςᏸꭰ\U00010400\U00010428\udc80é\u0301ÉØ",
    "word",
    "Word",
    "WORD",
    "the",
    "harbour",
]

INVENTED = [
    "Harbour news",
    "The committee met on Tuesday to discuss the new harbour plans for the town.",
    "THE COMMITTEE MET ON TUESDAY to discuss the new harbour plans",
    "The committee met on Tuesday — to discuss the new harbour plans for the town, and more.",
    "Straße und STRASSE: Die Kommission tagte am Dienstag in der alten Halle",
    "strasse und strasse die kommission tagte am dienstag in der alten halle und mehr",
    "ﬁnal ﬁgures for the ﬁscal year were published on the ﬁrst of the month",
    "final figures for the fiscal year were published on the first of the month, late",
    "",
    "   ",
    "...",
    "Σίσυφος ΟΔΥΣΣΕΥΣ ὀδυσσεύς",
    "σίσυφος οδυσσευς",
]


def _random_document(rng: random.Random, pieces: list[str] = PIECES) -> list[str]:
    """Lines from a few bases: copies, copies with case, punctuation or spacing changed, and a
    base with words added (a prefix echo), of lengths around the 40-character head and its cut."""
    bases = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 70))) for _ in range(rng.randint(1, 4))]
    rows: list[str] = []
    for _ in range(rng.randint(1, 14)):
        text = rng.choice(bases)
        change = rng.randint(0, 5)
        if change == 1:
            text = text.upper()
        elif change == 2:
            text = text + rng.choice([" ", ".", " more words here", "".join(rng.choices(pieces, k=10))])
        elif change == 3:
            text = text.replace(" ", rng.choice(["  ", "\t", ", ", "\u00a0" if pieces is PIECES else "\x0c"]))
        elif change == 4:
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 200)))
        rows.append(text)
    return rows


DOCUMENTS = [_random_document(random.Random(seed)) for seed in range(6_000)]
# ASCII only: the C half keys such a text straight from its bytes (a whole key word by word, a
# head up to its limit), with every ASCII whitespace and control character and runs of them.
ASCII_PIECES = [piece for piece in PIECES if piece.isascii()] + ["\x1d", "\x1e", "\x00", "\x7f", "\r", "   ", "Q"]
ASCII_DOCUMENTS = [_random_document(random.Random(seed), ASCII_PIECES) for seed in range(3_000)]


def _seed_documents() -> list[list[str]]:
    documents = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        found, _ = split_lines(path.read_text(encoding="utf-8"))
        documents.append([line.text for line in found if not line.blank])
    return documents


def test_the_extension_is_built() -> None:
    if native.load("cleaner.steps._dedup") is None and not native.disabled():
        pytest.fail("cleaner/steps/_dedup.c was not built: is there a C compiler? (`pip install -e .` builds it)")


def _rows(texts: list[str]) -> list[Line]:
    return [Line(no, text) for no, text in enumerate(texts, 1)]


@needs_native
@pytest.mark.parametrize("min_chars", [20, 0, 1, 5, 1000])
def test_c_keys_and_groups_are_the_python_ones(min_chars: int, monkeypatch) -> None:
    documents = [INVENTED, INVENTED * 2, *_seed_documents(), *DOCUMENTS, *ASCII_DOCUMENTS]
    native_keys = [dedup_module._shared(texts, min_chars) for texts in documents]
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        python_keys = [dedup_module._shared(texts, min_chars) for texts in documents]
    assert native_keys == python_keys
    # dicts compare without order: the order of the groups is asserted too
    assert [found and list(found[1]) for found in native_keys] == [found and list(found[1]) for found in python_keys]
    assert any(native_keys) == (min_chars < 1000)
    assert not all(native_keys)  # (None: no key shared)
    assert all(found is None or found[1] for found in native_keys)


def _prefix_drops(documents: list[list[str]], min_chars: int) -> list[list[int]]:
    out = []
    for texts in documents:
        rows = _rows(texts)
        dedup_module._prefixes(rows, min_chars)
        out.append([i for i, row in enumerate(rows) if row.dropped_by])
    return out


@needs_native
@pytest.mark.parametrize("min_chars", [40, 1, 3, 10, 20])
def test_c_prefix_echoes_are_the_python_ones(min_chars: int, monkeypatch) -> None:
    documents = [INVENTED, INVENTED[::-1], *_seed_documents(), *DOCUMENTS, *ASCII_DOCUMENTS]
    found = _prefix_drops(documents, min_chars)
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        assert found == _prefix_drops(documents, min_chars)
    assert sum(map(len, found)) > 0


@needs_native
@pytest.mark.parametrize("options", [{}, {"min_chars": 5, "min_words": 2, "prefix_min_chars": 10}])
def test_dedup_with_c_is_dedup_in_python(options: dict[str, int], monkeypatch) -> None:
    documents = [INVENTED, INVENTED * 2, *_seed_documents(), *DOCUMENTS]

    def fates() -> list[list[str | None]]:
        out = []
        for texts in documents:
            rows = _rows(texts)
            dedup(rows, **options)
            out.append([row.dropped_by for row in rows])
        return out

    found = fates()
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        assert found == fates()
    assert len({fate for document in found for fate in document}) == 3  # kept, repeats and prefixes


@needs_native
def test_keys_fold_as_casefold_does() -> None:
    keys, groups = NATIVE.repeats(["  Straße\u00a0ﬁne İ  ", "STRASSE FINE i\u0307", "x"], 1)
    assert keys == ["strasse fine i\u0307", "strasse fine i\u0307", None]
    assert groups == {"strasse fine i\u0307": [0, 1]}
    assert NATIVE.repeats(["  Straße\u00a0ﬁne İ  ", "STRASSE FINE i\u0307", "x"], 16) is None  # (15 long)
    assert NATIVE.repeats(["Ab  c", "ab C", "AB\tC", "x"], 4) == (["ab c", "ab c", "ab c", None], {"ab c": [0, 1, 2]})
    assert NATIVE.repeats(["Ab  c", "ab C", "x"], 5) is None
    assert NATIVE.repeats([], 1) is None
    assert NATIVE.repeats(["", " ", "\u00a0"], 0) == (["", "", ""], {"": [0, 1, 2]})


@needs_native
def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        NATIVE.repeats([b"bytes"], 20)
    with pytest.raises(TypeError):
        NATIVE.prefixes(["x", 1], 40)
    with pytest.raises(ValueError):
        NATIVE.prefixes(["x"], 0)


class _Sub(str):
    """A str subclass: the C half reads its characters as a str's."""


@needs_native
def test_huge_lines_and_subclasses_give_the_python_keys() -> None:
    # Each at the bound of the room its kind gets for folding: ASCII one code point a character,
    # Latin-1 two (ß), the others three (ΐ); a Latin-1 text of ß only fills its room exactly.
    texts = [
        "ß" * 1_000_000,
        "ΐ" * 1_000_000,
        "\U0001f600 " * 500_000,
        " " * 1_000_000,
        "Ab " * 400_000 + "ß",
        "ÿ" * 10 + "ß",
        "",
    ]
    for texts_ in (texts, [_Sub(text) for text in texts]):
        assert NATIVE.repeats(texts_, 1) is None
        keys, groups = NATIVE.repeats([*texts_, *texts_], 1)  # (each key given where it is shared)
        assert keys == [" ".join(text.casefold().split()) or None for text in [*texts, *texts]]
        assert groups == {key: [i, len(texts) + i] for i, key in enumerate(keys[: len(texts)]) if key}
    assert NATIVE.prefixes([_Sub("ß" * 50), "ss" * 50 + " more"], 40) == [0]


def _in_a_collection(call, texts: list[str], replace: list[str]):
    """call(texts) while a collection that making its results starts runs a finalizer that
    replaces the list's items (CPython 3.11 collects in an allocation, in the middle of the
    call): what it gives must be what the list held when it was called."""
    import gc

    class Trap:
        def __init__(self) -> None:
            self.me = self  # a cycle: only a collection frees it

        def __del__(self) -> None:
            texts[:] = replace

    threshold = gc.get_threshold()
    gc.collect()
    try:
        gc.set_threshold(50)
        Trap()
        found = call(texts)
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    assert texts == replace  # (the finalizer ran)
    return found


@needs_native
def test_texts_are_held_for_the_call() -> None:
    texts = [f"line number {i} of a text long enough to be grouped" for i in range(1_000)]
    expected = NATIVE.repeats(list(texts), 5)
    # (before: the keys past the collection were those of the replacing texts, or a freed list read)
    assert _in_a_collection(lambda t: NATIVE.repeats(t, 5), list(texts), ["x"] * len(texts)) == expected
    assert _in_a_collection(lambda t: NATIVE.repeats(t, 5), list(texts), []) == expected


@needs_native
def test_a_cut_past_every_length_is_the_whole_text(monkeypatch) -> None:
    # 4 * min_chars past what a Py_ssize_t holds: text[:cut] is the whole text (was ValueError)
    texts = ["a line", "a line and more"]
    assert NATIVE.prefixes(texts, 2**61) == []
    rows = _rows(texts)
    dedup_module._prefixes(rows, 2**61)
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        python_rows = _rows(texts)
        dedup_module._prefixes(python_rows, 2**61)
    assert [row.dropped_by for row in rows] == [row.dropped_by for row in python_rows] == [None, None]


def _step_rounds(documents: list[list[str]], use_step: bool) -> list[list[str | None]]:
    """Each document through a few rounds, as the pipeline runs them: dedup, then other steps
    remove some lines (and a replace rule rewrites one), then dedup again; through one Dedup
    step for every document (it keeps the rows that shared no key) or through dedup() afresh."""
    step = dedup_module.Dedup()
    rng = random.Random(9)
    out = []
    for texts in documents:
        rows = _rows(texts)
        state = State(Document("d", "\n".join(texts), "test"), rows, None, {}, False, 0.0)
        for _ in range(3):
            step(state) if use_step else dedup(rows)
            alive = [row for row in rows if row.dropped_by is None]
            for row in rng.sample(alive, min(len(alive), rng.randint(0, 2))):
                row.drop("other.step")
            if alive and rng.random() < 0.2:
                row = rng.choice(alive)
                row.change(rng.choice(texts), "rewrite")  # (maybe a text another row holds)
                REWRITES.count += 1  # (as a replace rule counts its rewrite: Context.touched)
            state.round += 1
        out.append([row.dropped_by for row in rows])
    return out


def test_a_later_round_that_skips_the_search_for_repeats_drops_the_same(monkeypatch) -> None:
    documents = [INVENTED, INVENTED * 2, *_seed_documents(), *DOCUMENTS[:3_000]]
    skipped: list[bool] = []  # per call of the step: whether it searched for repeats
    real = dedup_module._repeats

    def counting(rows, *args):
        skipped.append(True)
        return real(rows, *args)

    class Counted:
        """The C half, counting the calls whose rows were not the same as then (searched)."""

        def __getattr__(self, name: str) -> object:
            return getattr(NATIVE, name)

        def dedup_round(self, *args: object) -> tuple:
            found = NATIVE.dedup_round(*args)
            if not found[2]:
                skipped.append(True)
            return found

    monkeypatch.setattr(dedup_module, "_repeats", counting)
    for module in [None, Counted()] if NATIVE is not None else [None]:
        with monkeypatch.context() as patch:
            patch.setattr(dedup_module, "_NATIVE", module)
            skipped.clear()
            fresh = _step_rounds(documents, False)
            searched = len(skipped)
            assert _step_rounds(documents, True) == fresh
            assert len(skipped) - searched < searched - 500  # (the step did skip some: most documents repeat)
            assert any(REPEAT in fates for fates in fresh) and any(PREFIX in fates for fates in fresh)
            if module is None:
                expected = fresh
            else:
                assert fresh == expected


def test_the_rows_of_another_document_are_never_taken_for_its_own() -> None:
    """The step holds the rows of the call that shared no key: another document's rows, though
    equal in text, are searched (its repeat goes)."""
    step = dedup_module.Dedup()
    text = "The committee met on Tuesday to discuss the new harbour plans for the town."
    first = _rows([text, "Another line entirely, of some length"])
    step(State(Document("a", "", "test"), first, None, {}, False, 0.0))
    second = _rows([text, "Another line entirely, of some length", text])
    step(State(Document("b", "", "test"), second, None, {}, False, 0.0))
    assert [row.dropped_by for row in second] == [None, None, REPEAT]


def test_a_row_counts_as_one_kept_only_when_it_is_that_line_with_that_text() -> None:
    """What the step keeps names each line by itself: a row that is another line (as after the
    step is pickled to a worker) or holds another text is searched."""
    import copy

    text = "The committee met on Tuesday to discuss the new harbour plans for the town."
    rows = _rows([text, "Another line entirely, of some length", text])
    others = [copy.copy(row) for row in rows]
    dedup_module._dedup(rows, 20, 8, 40, (others, [row.text for row in rows], True))  # (other lines, the same texts)
    assert [row.dropped_by for row in rows] == [None, None, REPEAT]
    rows = _rows([text, "Another line entirely, of some length", text])
    # (equal texts, but not the very ones: a rewrite gives a new text)
    dedup_module._dedup(rows, 20, 8, 40, (list(rows), ["".join(list(row.text)) for row in rows], True))
    assert [row.dropped_by for row in rows] == [None, None, REPEAT]
    rows = _rows([text, "Another line entirely, of some length", text])
    dedup_module._dedup(rows, 20, 8, 40, (rows[::-1], [row.text for row in rows[::-1]], True))  # (not in their order)
    assert [row.dropped_by for row in rows] == [None, None, REPEAT]
    rows = _rows([text, "Another line entirely, of some length", text])
    kept = ([rows[0], Line(9, "x"), *rows[1:]], [rows[0].text, "x", *(row.text for row in rows[1:])], True)
    dedup_module._dedup(rows, 20, 8, 40, kept)  # (told, wrongly, none shared: with a row since gone between)
    assert [row.dropped_by for row in rows] == [None, None, None]  # (so the search was skipped)


def _random_rounds(rng: random.Random) -> tuple[list[Line], list[Line], list[str]]:
    """Lines (some dropped, some blank) and the rows and texts of an "earlier call": some of the
    lines, in order or not, some with other texts, and some other lines."""
    lines = [Line(no, rng.choice(["a", "b", " ", "", "a b"])) for no in range(rng.randint(0, 12))]
    for line in lines:
        if rng.random() < 0.2:
            line.drop("other.step")
    then = [line for line in lines if rng.random() < 0.8]
    if rng.random() < 0.2:
        rng.shuffle(then)
    if rng.random() < 0.3:
        then.insert(rng.randint(0, len(then)), Line(99, "a"))
    texts = [line.text if rng.random() < 0.95 else "".join(list(line.text)) for line in then]
    return lines, then, texts


@needs_native
def test_c_rows_are_the_python_ones(monkeypatch) -> None:
    cases = [_random_rounds(random.Random(seed)) for seed in range(3_000)]
    found = [NATIVE.rows(*case) for case in cases]
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        expected = [dedup_module._rows(*case) for case in cases]
    assert found == expected
    assert all(all(map(operator.is_, a[1], b[1])) for a, b in zip(found, expected, strict=True))
    assert 300 < sum(same for _, _, same in found) < 2_700


@needs_native
def test_c_rows_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError):
        NATIVE.rows([], [Line(1, "a")], [])
    with pytest.raises(TypeError):
        NATIVE.rows((), [], [])
    with pytest.raises(AttributeError):
        NATIVE.rows([object()], [], [])

    class Odd:
        dropped_by = None
        text = "odd"

        @property
        def blank(self) -> object:
            lines.clear()  # (the lines are held for the call)
            return 0

    lines = [Odd(), Odd()]
    rows, texts, same = NATIVE.rows(lines, [], [])
    assert len(rows) == 2 and texts == ["odd", "odd"] and same is False
    assert NATIVE.rows([], [], []) == ([], [], True)


@needs_native
def test_c_rows_read_a_line_in_place_only_with_its_three_slots_set_and_a_bool_blank(monkeypatch) -> None:
    # (the slots are read borrowed only when set, with ``blank`` a bool; a non-bool blank is asked
    # its truth, and an empty slot is read the generic way: AttributeError, as Python raises it)
    rng = random.Random(26)
    for _ in range(300):
        lines = [Line(no, rng.choice(["Home", "", "  ", "A line of text here"])) for no in range(1, rng.randint(2, 30))]
        for line in lines:
            roll = rng.random()
            if roll < 0.2:
                line.blank = rng.choice([0, 1, "", "x", None])
            elif roll < 0.3:
                line.dropped_by = rng.choice(["rule", ""])
        then = [line for line in lines if rng.random() < 0.7]
        case = (lines, then, [line.text for line in then])
        found = NATIVE.rows(*case)
        with monkeypatch.context() as patch:
            patch.setattr(dedup_module, "_NATIVE", None)
            assert found == dedup_module._rows(*case)
    lines = [Line(1, "Home"), Line(2, "Away"), Line(3, "Away")]
    del lines[1].text
    with pytest.raises(AttributeError):
        NATIVE.rows(lines, [], [])
    del lines[2].blank
    lines[1].dropped_by = "rule"  # (a line dropped is not asked its blank, nor its text)
    with pytest.raises(AttributeError):
        NATIVE.rows(lines, [], [])
    lines[2].blank = False
    assert NATIVE.rows(lines, [], []) == ([lines[0], lines[2]], ["Home", "Away"], False)


def _python_round(
    lines: list[Line], then: list[Line], texts: list[str], min_chars: int, prefix: int, then_echoes: bool = True
) -> tuple:
    """What dedup_round gives, from the Python twins of its parts (dedup_module._NATIVE off)."""
    rows, row_texts, same = dedup_module._rows(lines, then, texts)
    if same and not then_echoes:
        return rows, row_texts, same, None, [], False
    found = None if same else dedup_module._shared(row_texts, min_chars)
    drops, echoes = None, True
    if found is None:
        copies = [Line(0, text) for text in row_texts]
        dedup_module._prefixes(copies, prefix, row_texts)
        drops = [i for i, copy in enumerate(copies) if copy.dropped_by == PREFIX]
        echoes = dedup_module._echoes(row_texts, prefix)
    return rows, row_texts, same, found, drops, echoes


@needs_native
def test_c_round_is_the_python_parts(monkeypatch) -> None:
    cases = [(*_random_rounds(random.Random(seed)), seed % 3, 1 + seed % 2, seed % 5 > 0) for seed in range(3_000)]
    found = [NATIVE.dedup_round(*case) for case in cases]
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        expected = [_python_round(*case) for case in cases]
    assert found == expected
    assert all(all(map(operator.is_, a[1], b[1])) for a, b in zip(found, expected, strict=True))
    assert 300 < sum(same for _, _, same, *_ in found) < 2_700
    assert 300 < sum(shared is not None for _, _, _, shared, *_ in found) < 2_700
    assert 100 < sum(bool(drops) for *_, drops, _ in found) < 2_700
    assert 100 < sum(echoes for *_, echoes in found) < 2_700
    assert sum(same and not case[-1] for (_, _, same, *_), case in zip(found, cases, strict=True)) > 50


def _echo_texts(rng: random.Random) -> list[str]:
    """Texts whose heads meet or not: words from a small stock, some long, some punctuation only."""
    stock = ["Harbour", "plans", "the", "town", "met", "—", "...", "ÄBC", "straße", "x" * 30, "  ", "Tuesday,"]
    return [" ".join(rng.choice(stock) for _ in range(rng.randint(0, 14))) for _ in range(rng.randint(0, 8))]


@needs_native
def test_c_echoes_are_the_python_ones(monkeypatch) -> None:
    """dedup_round's echoes (_dedup.c's heads_meet) against dedup._echoes, over texts whose heads
    meet or not, that can be an echo or not (a short head, a text past the cut)."""
    cases = [_echo_texts(random.Random(seed)) for seed in range(3_000)]
    found = []
    for texts in cases:
        lines = [Line(no, text) for no, text in enumerate(texts, 1)]
        found.append(NATIVE.dedup_round(lines, [], [], 1_000, 5, True)[5])
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        expected = [dedup_module._echoes([text for text in texts if text.strip()], 5) for texts in cases]
    assert found == expected
    assert 300 < sum(found) < 2_700
    assert dedup_module._echoes(["some words here"] * 2, 0) is True


def test_an_echo_is_never_missed_where_heads_met_nowhere_then(monkeypatch) -> None:
    """The step told, rightly, that the rows of then had no two heads alike finds no echo among
    them; told so wrongly, it skips the search (so the flag is what decides)."""
    lead = "The committee met on Tuesday to discuss the new harbour plans for the town at length."
    texts = [lead[:50], "A dateline, of some length too", lead]
    for module in [None, NATIVE] if NATIVE is not None else [None]:
        with monkeypatch.context() as patch:
            patch.setattr(dedup_module, "_NATIVE", module)
            rows = _rows(texts)
            kept = dedup_module._dedup(rows, 20, 8, 40, dedup_module._NONE)
            assert [row.dropped_by for row in rows] == [PREFIX, None, None] and kept[2] is True
            rows = _rows(texts)
            told = dedup_module._dedup(rows, 20, 8, 40, (list(rows), [row.text for row in rows], False))
            assert [row.dropped_by for row in rows] == [None, None, None] and told[2] is False
            rows = _rows(["Another line entirely, of some length", *texts[1:]])
            assert dedup_module._dedup(rows, 20, 8, 40, dedup_module._NONE)[2] is False


@needs_native
def test_c_round_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError):
        NATIVE.dedup_round([], [Line(1, "a")], [], 20, 40)
    with pytest.raises(ValueError):
        NATIVE.dedup_round([Line(1, "a")], [], [], 20, 0)
    with pytest.raises(ValueError):  # (refused even where no search for echoes would be made)
        NATIVE.dedup_round([], [], [], 20, 0, False)
    with pytest.raises(TypeError):
        NATIVE.dedup_round([Line(1, "a"), Line(2, "b")], [], [], 20)
    assert NATIVE.dedup_round([], [], [], 20, 40) == ([], [], True, None, [], False)
    assert NATIVE.dedup_round([], [], [], 20, 40, False) == ([], [], True, None, [], False)


class _Index:
    def __index__(self) -> int:
        return 40


class _Untrue:
    def __bool__(self) -> bool:
        raise ZeroDivisionError


@needs_native
def test_c_round_reads_its_arguments_as_the_format_did() -> None:
    """dedup_round reads its arguments by hand (METH_FASTCALL) as PyArg_ParseTuple's "O!O!O!nn|pp"
    would: lists (or their subclasses), ints by __index__ that fit, any truth for then_echoes and again."""
    lines = [Line(1, "one line of words here"), Line(2, "one line of words here and more words")]
    expected = NATIVE.dedup_round(list(lines), [], [], 20, 40, True)
    assert NATIVE.dedup_round(list(lines), [], [], 20, _Index(), 1) == expected
    assert NATIVE.dedup_round(type("Rows", (list,), {})(lines), [], [], 20, 40, "yes")[0] == expected[0]
    assert NATIVE.dedup_round(list(lines), [], [], 20, 40, True, "yes") == expected
    same = NATIVE.dedup_round(list(lines), expected[0], expected[1], 20, 40, [])
    assert same[2] is True and same[4] == []  # (the same rows, told their heads met nowhere: no look)
    for bad, error in [
        (((), [], [], 20, 40), TypeError),
        (([], (), [], 20, 40), TypeError),
        (([], [], None, 20, 40), TypeError),
        (([], [], [], 20.0, 40), TypeError),
        (([], [], [], 20, "40"), TypeError),
        (([], [], [], 20, 2**70), OverflowError),
        (([], [], [], 20, 40, _Untrue()), ZeroDivisionError),
        (([], [], [], 20, 40, True, _Untrue()), ZeroDivisionError),
        (([], [], [], 20, 40, True, False, None), TypeError),
    ]:
        with pytest.raises(error):
            NATIVE.dedup_round(*bad)


def test_a_line_subclass_with_properties_is_read_the_generic_way() -> None:
    """The C half reads a Line's slots directly, but a subclass's property is asked."""
    asked = []

    class Odd(Line):
        __slots__ = ()

        @property
        def blank(self) -> bool:  # type: ignore[override]
            asked.append(self.no)
            return self.no == 2

        @blank.setter
        def blank(self, value: bool) -> None:
            pass

    text = "The committee met on Tuesday to discuss the new harbour plans for the town."
    lines = [Odd(1, text), Odd(2, "x"), Line(3, text)]
    dedup(lines)
    assert [line.dropped_by for line in lines] == [None, None, REPEAT]
    assert asked[:2] == [1, 2]


def _later_round(texts: list[str], between) -> tuple[list[str | None], int]:
    """``texts`` through the Dedup step in round 0, ``between`` (what other steps do) on the
    lines, then round 1: each line's fate, and how many times the step called _dedup."""
    calls = []
    real = dedup_module._dedup

    def counting(*args):
        calls.append(1)
        return real(*args)

    step = dedup_module.Dedup()
    rows = _rows(texts)
    state = State(Document("d", "\n".join(texts), "test"), rows, None, {}, False, 0.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dedup_module, "_dedup", counting)
        step(state)
        between(rows)
        state.round = 1
        step(state)
    return [row.dropped_by for row in rows], len(calls)


LEAD = "The committee met on Tuesday to discuss the new harbour plans for the town at length."
OTHERS = ["A dateline, of some length too", "Another line entirely, of some length", "Photo: the harbour at dawn"]


@pytest.mark.parametrize("native_on", [True, False])
def test_a_later_round_with_no_rewrite_and_no_heads_met_is_skipped_whole(native_on: bool, monkeypatch) -> None:
    """Lines dropped since, nothing rewritten, no two heads alike then: the round's call does
    nothing, and is not made. A rewrite since (counted, as a replace rule counts it) is searched:
    the rewritten line, now a copy of a long line, goes."""
    if not native_on:
        monkeypatch.setattr(dedup_module, "_NATIVE", None)
    texts = [LEAD, *OTHERS]

    def drop_one(rows: list[Line]) -> None:
        rows[1].drop("other.step")

    assert _later_round(texts, drop_one) == ([None, "other.step", None, None], 1)

    def rewrite(rows: list[Line]) -> None:
        rows[3].change(LEAD, "rewrite")
        REWRITES.count += 1

    assert _later_round(texts, rewrite) == ([None, None, None, REPEAT], 2)


@pytest.mark.parametrize("native_on", [True, False])
def test_a_later_round_where_heads_met_then_looks_for_echoes_again(native_on: bool, monkeypatch) -> None:
    """A headline three rows above the lead that starts with it is out of an echo's reach; when
    a line between goes, it is within it, and the later round drops it (its heads met: no skip)."""
    if not native_on:
        monkeypatch.setattr(dedup_module, "_NATIVE", None)
    texts = [LEAD[:50], OTHERS[0], OTHERS[1], LEAD]

    def drop_one(rows: list[Line]) -> None:
        assert [row.dropped_by for row in rows] == [None, None, None, None]
        rows[1].drop("other.step")

    assert _later_round(texts, drop_one) == ([PREFIX, "other.step", None, None], 2)


def _key_print(key: str) -> tuple[int, int, int]:
    """_dedup.c's print of a key: the sum, count and XOR of its code points above U+0020."""
    points = [ord(ch) for ch in key if ord(ch) > 0x20]
    xor = 0
    for point in points:
        xor ^= point
    return sum(points), len(points), xor


def _screen_expected(texts: list[str], min_chars: int) -> bool:
    """Whether two texts whose key can be min_chars long (the text's length, times 2 for a Latin-1
    text and 3 for a wider one: fold_room's) share a print. From Python 3.13 (no fold of one
    character for C code) such a text not ASCII has no print: the screen lets it through."""
    seen = set()
    for text in texts:
        times = 1 if text.isascii() else 2 if max(map(ord, text)) < 0x100 else 3
        if min_chars > 0 and times * len(text) < min_chars:
            continue
        if sys.version_info >= (3, 13) and not text.isascii():
            return True
        found = _key_print(dedup_module._exact_key(text))
        if found in seen:
            return True
        seen.add(found)
    return False


@needs_native
@pytest.mark.parametrize("min_chars", [20, 0, 1, 5, 1000])
def test_the_screen_is_the_keys_prints(min_chars: int) -> None:
    """The screen that spares most documents their keys: its prints are the keys' (sum, count and
    XOR of their code points above U+0020), made from the texts in 8-byte blocks and character by
    character, and a text is left out only when its key cannot be min_chars long; where it says
    no two meet, no two texts share a key of min_chars or more. Over random documents (copies in
    other case and spacing, ß and its folds) and their texts with ASCII padding around them (the
    blocks at every alignment), it says both, each often."""
    cases = [*DOCUMENTS[:2_000], *ASCII_DOCUMENTS[:1_000], *_seed_documents(), INVENTED]
    rng = random.Random(5)
    cases += [[" " * rng.randint(0, 9) + text + "x" * rng.randint(0, 9) for text in texts] for texts in cases[:1_000]]
    said = []
    for texts in cases:
        met = NATIVE.screen(texts, min_chars)
        assert met is _screen_expected(texts, min_chars), texts
        if not met:
            assert NATIVE.repeats(texts, min_chars) is None
        if all(text.isascii() for text in texts):  # (from 3.13, the others' screen lets most through)
            said.append(met)
    if min_chars < 1000:  # (few texts of the cases are that long)
        assert 150 < sum(said) < len(said) - 150


@needs_native
def test_the_screen_folds_each_kind_of_text() -> None:
    """Texts of one key in every width and case: ASCII in blocks and tails, Latin-1 (ß is "ss"),
    2-byte (the Kelvin sign is k, NBSP a separator), 4-byte; each pair meets, and goes on to
    share its key."""
    base = "The Harbour Committee met on Tuesday for the plans"
    forms = [
        base,
        base.upper(),
        base.replace(" ", " \t  "),
        "  " + base.lower() + "\n",
        base.replace(" ", "\u00a0"),
        base.replace("k", "\u212a").replace("Committee", "Committee\u3000"),
        base + "\U00010400"[:0],
        base.replace("e", "e", 1) + " \U0001f600"[:1],
    ]
    for form in forms:
        assert NATIVE.screen([base, form], 20) is True, form
        assert NATIVE.repeats([base, form], 20) is not None, form
    strasse = ["Die Strasse am Hafen wurde gestern gesperrt", "DIE STRAßE AM HAFEN WURDE GESTERN GESPERRT"]
    assert NATIVE.screen(strasse, 20) is True and NATIVE.repeats(strasse, 20) is not None
    assert NATIVE.screen([base, base + "s"], 20) is False
    assert NATIVE.screen([base, base], len(base) + 1) is False  # (too short to count)
    assert NATIVE.screen(["ab" * 5, "ba" * 5], 10) is True  # (a print passes over order: the keys are compared)
    assert NATIVE.repeats(["ab" * 5, "ba" * 5], 10) is None
    assert NATIVE.screen([], 20) is False
    with pytest.raises(TypeError):
        NATIVE.screen(["a", 1], 20)


@needs_native
@pytest.mark.parametrize(("min_chars", "prefix"), [(20, 40), (20, 5), (0, 3), (5, 1)])
def test_the_round_screens_repeats_by_heads_and_misses_no_shared_key(min_chars: int, prefix: int, monkeypatch) -> None:
    """dedup_round screens the repeats by the heads it makes for the echoes: two texts of one exact
    key, each no longer than the cut or with a head of its whole length, have one head, and a
    longer text with a shorter head (space before the cut) lets every text through. Its repeats
    are _shared's, on random documents and on copies that only the last rule catches, and copies
    whose head's first text is too short to count."""
    lead = "The Harbour Committee met on Tuesday for the plans"
    crafted = [
        [lead, " " * 170 + lead.upper()],  # (a copy past the cut, its head shorter than its limit)
        ["\t\x0c" * 90 + lead, "Another line of some length", lead.replace(" ", "  ")],
        [lead[:12], lead, "x", lead.lower()],  # (the head's first text too short to count)
    ]
    documents = [*crafted, INVENTED, INVENTED * 2, *_seed_documents(), *DOCUMENTS[:3_000], *ASCII_DOCUMENTS[:1_000]]
    found = [NATIVE.dedup_round(_rows(texts), [], [], min_chars, prefix)[3] for texts in documents]
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        expected = [dedup_module._shared([text for text in texts if text.strip()], min_chars) for texts in documents]
    assert found == expected
    assert [found and list(found[1]) for found in found] == [found and list(found[1]) for found in expected]
    assert all(found[i] is not None for i in range(len(crafted)))
    assert 300 < sum(shared is not None for shared in found) < len(documents) - 300


def _searches(rng: random.Random, document: list[str]) -> list[tuple[list[str], int]]:
    """Calls as a document's rounds make them: each call's texts mostly the very str objects of
    the call before (some dropped, a few moved, the same object twice), with texts of the document
    again, copies equal to a text but other objects, and now and then another min_chars."""
    calls: list[tuple[list[str], int]] = []
    texts = list(document)
    min_chars = 40
    for _ in range(5):
        calls.append((list(texts), min_chars))
        texts = [text for text in texts if rng.random() < 0.85]
        for _ in range(rng.randint(0, 2)):
            copy = "".join(list(rng.choice(document)))
            texts.insert(rng.randint(0, len(texts)), rng.choice([copy, *document, *texts[:1]]))
        if len(texts) > 1 and rng.random() < 0.2:
            i, j = rng.sample(range(len(texts)), 2)
            texts[i], texts[j] = texts[j], texts[i]
        if rng.random() < 0.15:
            min_chars = rng.choice([5, 20, 40])
    return calls


@needs_native
def test_heads_kept_from_the_last_search_are_each_texts_own(monkeypatch) -> None:
    """A search takes the heads of the texts the search before it met (the very objects) from
    that search (_dedup.c's Memo): calls over mostly the same objects, thinned, moved, mixed with
    new texts and equal copies, and with another min_chars, find what Python finds."""
    rng = random.Random(22)
    documents = [INVENTED, *_seed_documents(), *DOCUMENTS[:1_500], *ASCII_DOCUMENTS[:500]]
    calls = [call for document in documents for call in _searches(rng, document)]
    found = []
    for texts, min_chars in calls:
        found.append(NATIVE.prefixes(texts, min_chars))
        lines = [Line(no, text) for no, text in enumerate(texts, 1)]
        found.append(NATIVE.dedup_round(lines, [], [], 1 + min_chars // 2, min_chars, True, True)[3:])
    with monkeypatch.context() as patch:
        patch.setattr(dedup_module, "_NATIVE", None)
        expected = []
        for texts, min_chars in calls:
            expected.append(_prefix_drops([texts], min_chars)[0])
            lines = [Line(no, text) for no, text in enumerate(texts, 1)]
            expected.append(_python_round(lines, [], [], 1 + min_chars // 2, min_chars)[3:])
    assert found == expected
    assert sum(map(bool, found[::2])) > 100  # (echoes found)
    assert sum(searched[0] is not None for searched in found[1::2]) > 100  # (repeats found)


@needs_native
def test_heads_kept_from_the_last_search_are_made_again_for_other_punctuation() -> None:
    """configure() changes what a head is: the heads of a search before it are not taken after
    (here the heads made without ";" as punctuation differ, and no echo would be looked for)."""
    texts = ["Harbour;plans for the town, and the committee", "Harbour plans for the town and the committee met today"]
    assert NATIVE.prefixes(texts, 40) == [0]
    try:
        NATIVE.configure(",")  # (";" a word character now)
        texts = ["".join(list(text)) for text in texts]  # (texts no search met: their heads made now)
        assert NATIVE.prefixes(texts, 40) == []
    finally:
        NATIVE.configure(dedup_module._PUNCT)
    assert NATIVE.prefixes(texts, 40) == [0]


@needs_native
def test_keys_of_plain_ascii_runs_break_at_every_offset(monkeypatch) -> None:
    # _dedup.c copies 16 or 8 plain bytes at a time (letters, digits, single spaces inside): a
    # break of each kind at each offset of the first chunks, in whole keys and in heads.
    base = "Abcd efgh IJKL mnop 0123 qrst uvwx yzab cdef ghij klmn opqr stuv wxyz"
    texts = []
    for at in range(len(base)):
        for piece in ("  ", ", ", ".", "\t", "\x1c", "'", "-", "Q", "7", " x", "é", "\x7f", "\x01"):
            texts.append(base[:at] + piece + base[at:])
            texts.append((base[:at] + piece)[-at - 1 :])
    texts += [base[:n] for n in range(len(base) + 1)] + [base[:n] + " " for n in range(len(base))]
    for text in texts:
        key = dedup_module._exact_key(text)
        assert NATIVE.repeats([text, text], 1) == (([key, key], {key: [0, 1]}) if key else None)
    documents = [[text, text + " and more words", "zz " + text] for text in texts]
    for min_chars in (8, 16, 20, 40):
        found = _prefix_drops(documents, min_chars)
        with monkeypatch.context() as patch:
            patch.setattr(dedup_module, "_NATIVE", None)
            assert found == _prefix_drops(documents, min_chars)
