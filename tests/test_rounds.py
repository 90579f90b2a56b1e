"""The rounds (Pipeline.clean): a later round stops once the steps left would see the lines they
saw in the last round and left as they were. The output must be what running every step of
every round to the fixed point gives, and the steps skipped must be the ones that find nothing."""

from __future__ import annotations

import random
from collections import Counter
from itertools import count
from pathlib import Path
from typing import Any

import pytest

import cleaner.pipeline.clean as clean
import cleaner.rules.engine as engine
from bench.corpus import document, seed_lines
from cleaner.document import Document, Line
from cleaner.pipeline import Pipeline, Settings
from cleaner.rules import prefilter
from cleaner.rules.book import RuleBook
from cleaner.steps import base
from cleaner.steps.base import State, Step
from cleaner.steps.rules import GenericRules, MatchSite, SiteRules
from cleaner.steps.whitespace import laid_out
from tests.test_skips_exact import WORDS, write_random_rules

ROOT = Path(__file__).resolve().parent.parent
NATIVE = clean._NATIVE
needs_native = pytest.mark.skipif(NATIVE is None, reason="CLEANER_NATIVE=off")


def _every_round(pipeline: Pipeline, doc: Document) -> tuple[object, ...]:
    """Pipeline.clean as it was: every step (that says ``again``) in every round, to the fixed point.
    The site and rule steps are called in every round whatever they say (their ``again`` only
    leaves out a call that would change nothing: the site of the same URL or head, a site's rules
    without a site, or a positional run that would find no row)."""
    state = pipeline.start(doc)
    for step in pipeline.before:
        step(state)
    alive, visits = state.alive(), 0
    for state.round in count():
        for step in pipeline.rounds:
            if state.round == 0 or isinstance(step, (MatchSite, SiteRules, GenericRules)) or step.again(state):
                step(state)
        before, alive = alive, state.alive()
        visits += before
        if alive == before or (state.round + 1 >= clean.MAX_ROUNDS and visits >= clean.MAX_LINE_VISITS):
            break
    _, text = laid_out(state.lines, pipeline.settings.layout)
    site = state.first_site.name if state.first_site is not None else None
    return _seen(text, state.lines, state.url, state.meta, site)


def _seen(text: str, lines: list[Line], url: str | None, meta: dict[str, Any], site: str | None) -> tuple[object, ...]:
    fates = [(line.text, line.dropped_by, line.changed_by) for line in lines]
    return text, fates, url, sorted(meta.items()), site


def _cleaned(pipeline: Pipeline, doc: Document) -> tuple[object, ...]:
    done = pipeline.clean(doc)
    return _seen(done.text, done.lines, done.url, done.meta, done.site)


def _bench_docs(n: int) -> list[Document]:
    rng = random.Random(20261124)
    paragraphs, titles = seed_lines()
    out = []
    for i in range(n):
        record = document(rng, i, paragraphs, titles)
        out.append(Document(str(record["id"]), str(record["text"]), "bench", record["url"]))  # type: ignore[arg-type]
    return out


def test_the_shipped_rules_on_bench_documents_give_what_every_round_gives() -> None:
    book = RuleBook.load([ROOT / "rules"])
    fast, slow = Pipeline(book), Pipeline(book)
    for doc in _bench_docs(300):
        assert _cleaned(fast, doc) == _every_round(slow, doc), doc.id


def test_the_site_step_drops_and_rewrites_nothing() -> None:
    # Pipeline.clean counts the lines after every step but the site step's (site_step): it only
    # decides the site, by URL or by the first lines (MatchSite), or is given one (FixedSite).
    from cleaner.rules.compiled import REWRITES

    book = RuleBook.load([ROOT / "rules"])
    pipelines = [Pipeline(book), Pipeline(book).for_site(book.sites[0]), Pipeline(book).for_site(None)]
    sites = set()
    for pipeline in pipelines:
        assert pipeline.rounds[0] is pipeline.site_step
        for doc in _bench_docs(120):
            state = pipeline.start(doc)
            for step in pipeline.before:
                step(state)
            fates, rewrites = [(line.text, line.dropped_by, line.blank) for line in state.lines], REWRITES.count
            for state.round in range(3):
                if state.round > 0:
                    state.lines[state.round].drop("test.moved")  # (a head line gone: read again)
                    fates[state.round] = (*fates[state.round][:1], "test.moved", fates[state.round][2])
                pipeline.site_step(state)
                sites.add(state.site.name if state.site is not None else None)
                assert [(line.text, line.dropped_by, line.blank) for line in state.lines] == fates
                assert REWRITES.count == rewrites
    assert None in sites and len(sites) > 2


class _BannerSite(MatchSite):
    """A site step given to Pipeline that also drops the first live line that starts with
    "BANNER": a custom site step may drop lines, and what it drops must be counted as any step's."""

    def __call__(self, state: State) -> None:
        super().__call__(state)
        for line in state.lines:
            if line.alive and not line.blank:
                if line.text.startswith("BANNER"):
                    line.drop("test.banner")
                return


def test_a_custom_site_step_that_drops_lines_is_counted() -> None:
    book = RuleBook.load([ROOT / "rules"])
    text = "BANNER one\nBANNER two\nBANNER three\n\n" + "The council met on Tuesday to discuss the budget. " * 3
    fast, slow = Pipeline(book, site=_BannerSite(book)), Pipeline(book, site=_BannerSite(book))
    assert fast._uncounted is None  # (only the built-in site steps go uncounted)
    doc = Document("d", text, "t")
    cleaned = _cleaned(fast, doc)
    assert cleaned == _every_round(slow, doc)
    assert "BANNER" not in cleaned[0]
    assert fast.with_repeated(None).site_step is fast.site_step  # (kept with --drop-repeated)
    fixed = Pipeline(book).for_site(None)
    assert fixed.with_repeated(None).site_step is fixed.site_step


@pytest.mark.parametrize("seed", range(30))
def test_random_rules_of_every_kind_give_what_every_round_gives(tmp_path: Path, seed: int) -> None:
    # Windows (first, last), blocks, tails, replace rules (rewrites) and extracts, on a site found
    # by a signature that lines going can bring in or take out: rounds of every shape.
    r = random.Random(seed)
    write_random_rules(tmp_path, r)
    book = RuleBook.load([tmp_path])
    fast, slow = Pipeline(book), Pipeline(book)
    for i in range(40):
        rows = [
            "" if r.random() < 0.15 else " ".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
            for _ in range(r.randint(1, r.choice([6, 14, 30])))
        ]
        doc = Document(f"d{i}", "\n".join(rows) + "\n", "s")
        assert _cleaned(fast, doc) == _every_round(slow, doc), doc.text


class _Counted:
    """A step that counts its calls per round, around another."""

    def __init__(self, step: Step, calls: Counter[tuple[int, str]]):
        self.step, self.calls, self.name = step, calls, step.name

    def __call__(self, state: State) -> None:
        self.calls[state.round, self.name] += 1
        self.step(state)

    def again(self, state: State) -> bool:
        return self.step.again(state)


def _counted(pipeline: Pipeline) -> Counter[tuple[int, str]]:
    calls: Counter[tuple[int, str]] = Counter()
    pipeline.rounds = [_Counted(step, calls) for step in pipeline.rounds]  # type: ignore[misc]
    return calls


def test_a_later_round_stops_after_the_last_step_that_acted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "WARMUP", 0)  # (the rules' prefilter from the first document on)
    pipeline = Pipeline(RuleBook.load([ROOT / "rules"]))
    calls = _counted(pipeline)
    text = "A title of this page\n\n" + "\n\n".join(["The council met on Monday to talk about the budget."] * 1)
    cleaned = pipeline.clean(Document("d", text + "\n\nSource: AFP\n\nThe vote is due next week, it said.", "d"))
    assert cleaned.removed() == {"credits.source": 1}  # by the generic rules, in the first round
    # The second round runs the steps up to the generic rules (a window moved), which find
    # nothing: dedup and the classifier found nothing on these very lines in the first round.
    # The site's rules are not called in it: the document has no site (SiteRules.again); nor the
    # generic ones when the prefilter says their positional rules have no row (RuleSet.settled).
    later = [((1, "site"), 1)] if prefilter.available() else [((1, "generic-rules"), 1), ((1, "site"), 1)]
    assert sorted(calls.items()) == [
        ((0, "classify"), 1),
        ((0, "dedup"), 1),
        ((0, "generic-rules"), 1),
        ((0, "site"), 1),
        ((0, "site-rules"), 1),
        *later,
    ]


class _DropFirstInRound:
    """Drops the first live line in the round given, and only then."""

    name = "test-first"

    def __init__(self, round_: int):
        self.round = round_

    def __call__(self, state: State) -> None:
        if state.round == self.round:
            next(line for line in state.lines if line.alive).drop("test.first")

    def again(self, state: State) -> bool:
        return True


class _PeelLast:
    """Drops the last live line while more than ``keep`` are left."""

    name = "test-peel"

    def __init__(self, keep: int):
        self.keep = keep

    def __call__(self, state: State) -> None:
        live = [line for line in state.lines if line.alive]
        if len(live) > self.keep:
            live[-1].drop("test.peel")

    def again(self, state: State) -> bool:
        return True


def _peeled(steps: list[Step]) -> tuple[str, Counter[tuple[int, str]]]:
    pipeline = Pipeline(RuleBook.load([ROOT / "rules"]), Settings(classify=False, dedup=False))
    pipeline.rounds.extend(steps)
    calls = _counted(pipeline)
    text = "\n".join(f"line {i}" for i in range(6))
    return pipeline.clean(Document("d", text, "d")).text, calls


def test_a_step_that_acts_in_a_later_round_makes_the_steps_after_it_run() -> None:
    # The peel (last) keeps 2 lines: 6 to 5 in round 0, 5 to 4 in round 1. In round 2 the first
    # step drops a line, so the peel sees lines it never saw and runs (3 to 2). Round 3 must run
    # both again: the peel acted last in round 2, after the first step's drop.
    text, calls = _peeled([_DropFirstInRound(2), _PeelLast(2)])
    assert text == "line 1\n\nline 2\n"
    assert [calls[r, "test-peel"] for r in range(5)] == [1, 1, 1, 1, 0]
    assert [calls[r, "test-first"] for r in range(5)] == [1, 1, 1, 1, 0]


def test_a_step_after_a_later_drop_that_finds_nothing_is_not_called_again() -> None:
    # As above, but the peel keeps 3: in round 2, after the first step's drop, it finds nothing
    # (3 left). In round 3 it would see those lines again: the round stops after the first step.
    text, calls = _peeled([_DropFirstInRound(2), _PeelLast(3)])
    assert text == "line 1\n\nline 2\n\nline 3\n"
    assert [calls[r, "test-peel"] for r in range(5)] == [1, 1, 1, 0, 0]
    assert [calls[r, "test-first"] for r in range(5)] == [1, 1, 1, 1, 0]


def test_a_round_that_finds_nothing_stops_after_the_last_step_that_acted_before() -> None:
    # The peel (first) acts in rounds 0-2 (6 lines to 3); in round 3 it finds nothing, and the
    # step after it, which found nothing in round 2 on these lines, is not called again.
    text, calls = _peeled([_PeelLast(3), _DropFirstInRound(9)])
    assert text == "line 0\n\nline 1\n\nline 2\n"
    assert [calls[r, "test-peel"] for r in range(5)] == [1, 1, 1, 1, 0]
    assert [calls[r, "test-first"] for r in range(5)] == [1, 1, 1, 0, 0]


class _Plain:
    """A line of no slots: dropped_by read the generic way."""

    def __init__(self, dropped_by: str | None):
        self.dropped_by = dropped_by


class _Sub(Line):
    __slots__ = ("extra",)


@needs_native
def test_alive_in_c_is_the_python_one() -> None:
    assert NATIVE is not None
    rng = random.Random(16)
    for size in [0, 1, 2, 7, 30, 200]:
        for _ in range(20):
            lines: list[Any] = []
            for i in range(size):
                kind = rng.random()
                line = Line(i, "x") if kind < 0.6 else _Sub(i, "y") if kind < 0.8 else _Plain(None)
                if rng.random() < 0.4:
                    line.dropped_by = rng.choice(["a", "b", ""])
                lines.append(line)
            assert NATIVE.alive(lines) == base.python_count_alive(lines)


@needs_native
def test_alive_refuses_what_is_not_a_list_of_lines() -> None:
    assert NATIVE is not None
    with pytest.raises(TypeError):
        NATIVE.alive((Line(1, "a"),))
    unset = Line.__new__(Line)  # no slot set: the generic read's AttributeError
    with pytest.raises(AttributeError):
        NATIVE.alive([Line(1, "a"), unset])
    with pytest.raises(AttributeError):
        NATIVE.alive([object()])


class _Clearing:
    """A line whose dropped_by empties the list it is in (code run in the middle of a count)."""

    def __init__(self, lines: list[Any]):
        self.lines = lines

    @property
    def dropped_by(self) -> str | None:
        self.lines.clear()
        return None


@needs_native
def test_alive_reads_a_list_emptied_in_the_middle_of_the_count() -> None:
    assert NATIVE is not None
    for python in (True, False):
        lines: list[Any] = [Line(1, "a"), Line(2, "b")]
        lines += [_Clearing(lines), Line(3, "c"), Line(4, "d")]
        assert (base.python_count_alive(lines) if python else NATIVE.alive(lines)) == 3
        assert lines == []
