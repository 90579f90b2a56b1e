"""The rule engine's fast paths give what the plain ones give: a rule skipped because the
prefilter found no row for it, an anchored trigger tried only at a row's start."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

import cleaner.rules.engine as engine
from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.pipeline.clean import split_lines
from cleaner.rules import prefilter
from cleaner.rules.book import RuleBook
from cleaner.rules.compiled import REWRITES, Context
from cleaner.rules.kinds import LineRule
from cleaner.rules.kinds.line import CompiledLine
from cleaner.rules.model import Match
from cleaner.rules.sites import SiteMatcher
from cleaner.urls import host_of

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def _same_with_and_without_prefilter(monkeypatch: pytest.MonkeyPatch, run: Callable[[], T]) -> T:
    """What ``run`` gives without the prefilter, asserted equal to what it gives with it from the
    first document on."""
    monkeypatch.setattr(prefilter, "available", lambda: False)
    expected = run()
    monkeypatch.undo()
    monkeypatch.setattr(engine, "WARMUP", 0)
    assert run() == expected
    return expected


needs_hyperscan = pytest.mark.skipif(
    not prefilter.available(), reason="no matcher: neither the C one built nor a hyperscan wheel"
)

ROWS = [
    "Share this",
    "share this article with a friend",
    "The minister said: Share this",
    "Advertisement",
    "ADVERTISEMENT Share this",
    "  Advertisement",
    "Read more: the council's budget in full",
    "We read more books than last year.",
    "Photo: A. Person / Example Agency",
    "© 2024 Example Media. All rights reserved.",
    "Tags: budget, council",
    "1",
    "",
]


def _line(pattern: str) -> CompiledLine:
    return CompiledLine(LineRule(id="demo.x", kind="line", description="x", pattern=pattern, keeps=["x"]))


@pytest.mark.parametrize(
    "pattern",
    [r"^Share this$", r"^(?i:advertisement)\s*$", r"(?i)^read more\b", r"^\S+$", r"Share this$", r"^a|Share"],
)
def test_matches_is_a_search_of_the_row(pattern: str) -> None:
    rule = _line(pattern)
    for row in ROWS:
        assert rule.matches(row) == rule.trigger_rx.test(row), row
        # A replace rule may write a newline into a row: the anchor then holds after it too.
        glued = "x\n" + row
        assert rule.matches(glued) == rule.trigger_rx.test(glued), glued


def test_matches_of_every_shipped_rule_on_invented_rows() -> None:
    book = RuleBook.load([ROOT / "rules"])
    rows = [*ROWS, *(row.upper() for row in ROWS), *("x\n" + row for row in ROWS)]
    for rule_set in [book.generic, *book.sites]:
        assert rule_set is not None
        for rule in rule_set.rules:
            for row in rows:
                assert rule.matches(row) == rule.trigger_rx.test(row), (rule.id, row)


RULES = """name: demo
description: A demo set.
rules:
  - id: demo.share
    kind: line
    description: A share bar.
    pattern: '^Share this$'
    keeps: [x]
  - id: demo.ad-label
    kind: replace
    description: An ad label glued to the start of a line.
    pattern: '^ADVERTISEMENT\\s*'
    with: ''
    keeps: [x]
  - id: demo.tags
    kind: line
    description: A tag list, once the ad label before it is gone.
    pattern: '^Tags: \\w+(?:, \\w+)*$'
    keeps: [x]
  - id: demo.edit
    kind: replace
    description: An edit link anywhere in a line (unanchored).
    pattern: ' ?\\[edit\\]'
    with: ''
    keeps: [x]
  - id: demo.photo
    kind: line
    description: A photo credit.
    pattern: '^Photo: .{1,60}$'
    where: {last: 3}
    keeps: [x]
"""

TEXTS = [
    "ADVERTISEMENT Tags: budget, council\nThe council met on Tuesday.\nShare this\n",
    "The council met on Tuesday [edit]\nADVERTISEMENT Share this\nPhoto: A. Person\n",
    "Nothing here for any rule.\nNor here.\n",
    "Tags: budget\nThe council met [edit] on Tuesday.\nADVERTISEMENT\nPhoto: A. Person\nThe end.\n",
]


@needs_hyperscan
def test_rules_skipped_by_the_prefilter_act_as_when_every_rule_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")

    def outcomes() -> list[tuple[object, ...]]:
        pipeline = Pipeline(RuleBook.load([tmp_path / "r.yaml"]))
        out = []
        for i, text in enumerate(TEXTS * 3):
            cleaned = pipeline.clean(Document(f"d{i}", text, "t"))
            out.append((cleaned.text, tuple((line.dropped_by, tuple(line.changed_by)) for line in cleaned.lines)))
        return out

    expected = _same_with_and_without_prefilter(monkeypatch, outcomes)
    assert expected[0][0] == "The council met on Tuesday.\n"
    assert expected[1][0] == "The council met on Tuesday\n"


@needs_hyperscan
def test_one_pass_of_the_rules_with_the_prefilter_is_one_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ``apply`` (no later round to catch up): a rule after a rewrite looks at the new text."""
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")

    def one_pass() -> list[list[tuple[str, str | None]]]:
        rules = RuleBook.load([tmp_path / "r.yaml"]).generic
        assert rules is not None
        out = []
        for text in TEXTS * 3:
            lines, _ = split_lines(text)
            rules.apply(lines, None, {})
            out.append([(line.text, line.dropped_by) for line in lines])
        return out

    expected = _same_with_and_without_prefilter(monkeypatch, one_pass)
    assert expected[0][0] == ("Tags: budget, council", "demo.tags")


def test_a_signature_is_looked_for_in_the_text_folded_once_for_every_site() -> None:
    matcher = SiteMatcher(Match(signature=r"^(?i:posted by) \w+$", signature_lines=2))
    first = "Posted by Ann\nThe council met."
    assert matcher.may_match(first)
    # Another text (another object, or the same characters in a new one) is folded anew.
    assert not matcher.may_match("The council met.\nNothing here.")
    assert matcher.may_match("".join(["POSTED BY", " Bob"]))
    assert not matcher.may_match("By Ann")


def test_the_folds_of_the_last_few_texts_are_kept_and_each_text_gets_its_own(monkeypatch) -> None:
    from cleaner.rules import sites

    two, three = "Posted by Ann\nThe council", "Posted by Ann\nThe council\nmet"
    short = SiteMatcher(Match(signature=r"^(?i:posted by) \w+$", signature_lines=2))
    other = SiteMatcher(Match(signature=r"^(?i:the council)$", signature_lines=3))
    short.may_match("x"), other.may_match("x")  # (their needs, worked out on first use, fold too)
    folds: list[str] = []
    fold = sites.prefilter.fold
    monkeypatch.setattr(sites.prefilter, "fold", lambda text: folds.append(text) or fold(text))
    monkeypatch.setattr(sites, "_last", [])
    assert short.may_match(two) and other.may_match(three)
    assert short.may_match(two) and other.may_match(three)  # alternating texts: no new fold
    assert folds == ["\n" + two, "\n" + three]
    assert not other.may_match("Posted by Ann")  # a new text is folded anew, not taken for an old one
    for k in range(sites._KEEP):
        assert not short.may_match(f"line {k}")
    assert short.may_match(two)  # pushed out by newer texts: folded again
    assert folds[-1] == "\n" + two and len(folds) == 3 + sites._KEEP + 1
    assert len(sites._last) == sites._KEEP


def test_unchanged_looks_only_at_the_lines_not_dropped_since_the_full_run() -> None:
    from types import SimpleNamespace

    from cleaner.document import Line
    from cleaner.steps.rules import _Texts

    lines = [Line(1, "Menu"), Line(2, "Body text"), Line(3, "Footer")]
    lines[2].dropped_by = "before"  # dropped before the full run: never looked at
    state = SimpleNamespace(lines=lines, full_rows=None)
    rules = SimpleNamespace(positional_rewrites=False)
    texts = _Texts()
    assert not texts.unchanged(state, rules)  # type: ignore[arg-type]  (no full run yet)
    texts.full_run(state, rules)  # type: ignore[arg-type]
    lines[0].text = "Menu, rewritten"
    # No rule rewrote a row (Rewrites): in the rounds no text changed, and none is looked at.
    assert texts.unchanged(state, rules)  # type: ignore[arg-type]
    lines[0].text = "Menu"
    lines[2].text = "Footer, rewritten"
    REWRITES.count += 1  # (as a replace rule does, with Context.touched)
    assert texts.unchanged(state, rules)  # type: ignore[arg-type]
    lines[0].text = "Menu, rewritten"
    assert not texts.unchanged(state, rules)  # type: ignore[arg-type]
    lines[0].dropped_by = "since"  # dropped since: its text no longer counts
    assert texts.unchanged(state, rules)  # type: ignore[arg-type]
    lines[1].text = "Body, rewritten"
    assert not texts.unchanged(state, rules)  # type: ignore[arg-type]
    assert not texts.unchanged(SimpleNamespace(lines=lines), rules)  # type: ignore[arg-type]  (another document)


def test_a_full_run_takes_the_last_rows_only_while_they_are_the_rows_now() -> None:
    """``steps.rules._Texts.full_run``: the rows of the last full run (the site's, then the generic
    set's in the same round: State.full_rows) while no text changed and none of them went; else
    ALIVE of now. Each set's rows and texts are kept for ``unchanged`` with REWRITES.count."""
    from types import SimpleNamespace

    from cleaner.document import Line
    from cleaner.rules.compiled import ALIVE
    from cleaner.steps.rules import _Texts

    rules, texts = object(), _Texts()

    def _rows(state: object) -> tuple[list[Line], list[str]]:
        rows = texts.full_run(state, rules)  # type: ignore[arg-type]
        assert texts.texts[id(rules)] == (rows[0], rows[1], REWRITES.count)
        return rows

    lines = [Line(1, "Menu"), Line(2, ""), Line(3, "Body text"), Line(4, "Footer")]
    state = SimpleNamespace(lines=lines, full_rows=None)
    first = _rows(state)
    assert first == ALIVE(lines, True)
    assert _rows(state) is first  # (nothing changed: the same rows)
    other = SimpleNamespace(lines=list(lines), full_rows=None)
    assert _rows(other) is not first  # (another document: read again)
    again = _rows(state)
    lines[1].dropped_by = "other"  # a blank line went: not a row, the rows are the same
    assert _rows(state) == ALIVE(lines, True)
    lines[3].dropped_by = "other"  # a row went
    now = _rows(state)
    assert now is not again and now == ALIVE(lines, True) and lines[3] not in now[0]
    lines[0].text = "Menu, rewritten"
    REWRITES.count += 1  # (as a replace rule does, with Context.touched)
    now = _rows(state)
    assert now == ALIVE(lines, True) and now[1][0] == "Menu, rewritten"


def test_the_rows_alive_after_a_row_are_counted_from_the_end_once() -> None:
    """``engine._edge``: a row alive has ``window`` rows alive after it exactly when it stands
    before the edge (random fates, every window)."""
    from cleaner.document import Line

    rng = random.Random(7)
    for _ in range(300):
        rows = [Line(k, f"row {k}") for k in range(rng.randrange(0, 12))]
        for row in rows:
            if rng.random() < 0.4:
                row.dropped_by = "other"
        for window in range(1, 14):
            edge = engine._edge(rows, window)
            for i, row in enumerate(rows):
                if row.dropped_by is None:
                    after = sum(later.dropped_by is None for later in rows[i + 1 :])
                    assert (after >= window) == (i < edge)


def test_lines_folded_one_by_one_are_the_text_folded_whole() -> None:
    import random

    from cleaner.rules import prefilter, sites

    rng = random.Random(5)
    # Capital and final sigmas between letters, spaces and line ends; a dotted capital I (two
    # characters lowered); a Kelvin sign, a long s, a sharp s; cased and uncased marks.
    alphabet = ["Σ", "ς", "σ", "İ", "K", "ſ", "ß", "A", "a", " ", ".", "\u0301", "'", "1", "Ω"]
    for _ in range(2000):
        lines = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6))) for _ in range(rng.randrange(1, 5))]
        folded = [prefilter.fold(line) for line in lines]
        for n in range(1, len(lines) + 1):
            assert sites.fold_lines(folded, n) == prefilter.fold("\n" + "\n".join(lines[:n])), lines[:n]


def test_the_signature_of_a_site_is_found_by_its_folded_lines(tmp_path: Path) -> None:
    site = tmp_path / "demo.yaml"
    site.write_text(
        "name: demo\ndescription: A demo site.\nmatch:\n  signature: '^(?i:ΣΟΦΙΑ news)\\n(?:.*\\n)?Posted by \\w+$'\n"
        "  signature_lines: 3\nrules:\n  - id: demo.banner\n    kind: line\n    description: A banner.\n"
        "    pattern: '^Demo banner$'\n    keeps: [Demo banner text]\n",
        encoding="utf-8",
    )
    book = RuleBook.load([tmp_path])
    assert book.site_by_signature(["ΣΟΦΙΑ NEWS", "Posted by Ann"]) is not None
    assert book.site_by_signature(["σοφια news", "x", "Posted by Ann", "more"]) is not None
    assert book.site_by_signature(["σοφια news", "x", "y", "Posted by Ann"]) is None
    assert book.site_by_signature(["Sofia news", "Posted by Ann"]) is None


@pytest.mark.parametrize("where", [{}, {"last": 2}])
def test_a_line_rule_on_the_prefilter_rows_acts_as_on_every_row(where: dict[str, int]) -> None:
    from cleaner.document import Line
    from cleaner.rules.compiled import Context

    texts = ["Share this", "x\nShare this", "Shared", "Share this\ny", "The end.", "Share this"]

    def run(prefiltered: bool) -> list[str | None]:
        rule = CompiledLine(
            LineRule(id="demo.share", kind="line", description="x", pattern=r"^Share this$", keeps=["x"], where=where)
        )
        lines = [Line(no, text) for no, text in enumerate(texts, 1)]
        ctx = Context(lines, None, {})
        if prefiltered:
            ctx.may = {id(rule): list(range(len(texts)))}  # the prefilter may name more rows than match
            ctx.filtered = frozenset({id(rule)})
        else:
            ctx.hits = list(range(len(texts)))
        rule.apply(ctx)
        return [line.dropped_by for line in lines]

    expected = run(False)
    assert run(True) == expected
    kept = [text for text, dropped in zip(texts, expected, strict=True) if dropped is None]
    assert kept == (["Shared", "The end."] if not where else texts[:5])


@needs_hyperscan
def test_a_positional_run_after_lines_went_acts_as_without_the_prefilter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The positional rules' rows come from the full run's scan (the rows kept their text)."""
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    text = "Photo: A. Person\nThe council met.\nShare this\nIt rained.\nThe end.\nFooter junk\nPhoto: B. Person\n"

    def runs() -> list[list[tuple[str, str | None]]]:
        rules = RuleBook.load([tmp_path / "r.yaml"]).generic
        assert rules is not None
        out = []
        for _ in range(3):
            lines, _ = split_lines(text)
            rules.apply(lines, None, {})
            for line in lines:
                if line.text in ("It rained.", "Footer junk"):
                    line.dropped_by = "other"  # another step's removal brings the first photo credit near the end
            rules.apply(lines, None, {}, positional_only=True)
            out.append([(line.text, line.dropped_by) for line in lines])
        return out

    expected = _same_with_and_without_prefilter(monkeypatch, runs)
    assert expected[0][:3] == [
        ("Photo: A. Person", "demo.photo"),
        ("The council met.", None),
        ("Share this", "demo.share"),
    ]
    assert expected[0][-2:] == [("Footer junk", "other"), ("Photo: B. Person", "demo.photo")]


@needs_hyperscan
def test_a_positional_run_with_nothing_to_do_is_skipped_only_when_the_scan_still_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_Fast.idle``: a positional run returns at once when the last scan of these lines found
    no row for a positional rule (or only rows dropped since) and the rows kept their text; a row
    rewritten since (here to a photo credit) is scanned again and dropped."""
    monkeypatch.setattr(engine, "WARMUP", 0)
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    rules = RuleBook.load([tmp_path / "r.yaml"]).generic
    assert rules is not None
    lines, _ = split_lines("The council met.\nShare this\nIt rained.\nThe end.\n")
    rules.apply(lines, None, {})
    fast = rules._fast
    assert fast is not None
    wanted = fast.plan(rules.positional, True).ids
    assert fast.idle(lines, wanted)
    assert not fast.idle(list(lines), wanted)  # another list: not the one scanned
    lines[2].dropped_by = "other"
    assert fast.idle(lines, wanted)  # rows only went
    lines[3].text = "Photo: C. Person"
    assert fast.idle(lines, wanted)  # no rule rewrote a row (Rewrites): the rows are not looked at
    Context(lines, None, {}).touched(3)  # (as a replace rule does after it rewrote the row)
    assert not fast.idle(lines, wanted)
    rules.apply(lines, None, {}, positional_only=True)
    assert [line.dropped_by for line in lines] == [None, "demo.share", "other", "demo.photo"]
    assert fast.idle(lines, wanted)  # the new scan found a row for the positional rule, which it dropped
    lines, _ = split_lines("Photo: A. Person\nThe council met.\nIt rained.\n\nThe end.\nMore.\n")
    rules.apply(lines, None, {})
    assert lines[0].dropped_by is None  # (not in the last 3 lines)
    assert not fast.idle(lines, wanted)  # the positional rule has a row
    last = fast.plan(rules.positional, True).last
    assert last == {id(rules.positional[0]): 3}
    assert fast.idle(lines, wanted, last)  # (4 rows after it: not in the last 3 rows)
    lines[2].dropped_by = "other"
    assert fast.idle(lines, wanted, last)  # (3 rows after it)
    lines[4].dropped_by = "other"
    assert not fast.idle(lines, wanted, last)  # it comes into the last 3 rows
    rules.apply(lines, None, {}, positional_only=True)
    assert lines[0].dropped_by == "demo.photo"
    lines, _ = split_lines("Photo: A. Person\nThe council met.\nIt rained.\nThe end.\nMore.\n")
    rules.apply(lines, None, {})
    lines[2].dropped_by = "other"
    assert not fast.idle(lines, wanted)  # (still alive)
    lines[0].dropped_by = "other"
    assert fast.idle(lines, wanted)  # every row it found went since: it has none


def test_urls_of_one_start_have_one_host() -> None:
    """``book.url_start``: RuleBook.site_by_url keeps a URL's first site by its start, so every
    URL of a start must have the host of every other (random starts and tails, with the
    characters urlsplit strips, takes out or stops at)."""
    from cleaner.rules.book import url_start
    from cleaner.urls import host_of

    pieces = ["/", "?", "#", "@", "[", "]", "%", ":80", "\t", "\n", "\r", " ", "\x00", "a", "B", "ex.org", "ü", "-",
              ".", "x:y", "::1"]  # fmt: skip
    rng = random.Random(24)
    hosts: dict[str, str] = {}
    for _ in range(20000):
        scheme = rng.choice(["http://", "https://", "HTTP://", " https://", "http:/", ""])
        url = scheme + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        start = url_start(url)
        if start is None:
            continue
        assert url.startswith(start + "/"), url
        assert hosts.setdefault(start, host_of(url)) == host_of(url), url
        for _ in range(3):  # the same start, another tail
            other = start + "/" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
            assert url_start(other) == start and host_of(other) == host_of(url), (url, other)
    assert len(hosts) > 500


@needs_hyperscan
def test_the_order_of_a_run_is_its_rules_found_in_list_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_Plan.order``: the positions of the plan's rules that ``Context.may`` names, and those the
    prefilter does not have, in list order; a rule of the set but not of the run (a positional run)
    left out. A plan of every rule (``complete``) reads each key without a test."""
    monkeypatch.setattr(engine, "WARMUP", 0)
    rules = RuleBook.load([ROOT / "rules"]).generic
    assert rules is not None
    fast = rules._prefilter()
    assert fast is not None
    full, positional = fast.plan(rules.rules, False), fast.plan(rules.positional, True)
    assert full.complete and not positional.complete
    keys = [key for key in fast.keys if key is not None]
    rng = random.Random(7)
    for _ in range(200):
        may = {key: [0] for key in rng.sample(keys, rng.randrange(len(keys) + 1))}
        for plan in (full, positional):
            expected = sorted([i for i, rule in enumerate(plan.rules) if id(rule) in may] + plan.always)
            assert plan.order(may) == expected


def holds(domain: str, host: str) -> bool:
    """Whether ``domain`` holds ``host`` (SiteMatcher.by_domain, one domain of the site's)."""
    return SiteMatcher(Match(domains=[domain])).by_domain(host)


def test_the_site_of_a_url_is_its_most_specific_domains_whatever_was_asked_before(tmp_path: Path) -> None:
    """The site of the longest domain that holds the URL's host, whatever the files' order (e
    takes news.example.net from c, before it; it was c's, the first in file order), unless a site
    before it in file order has a URL glob that matches (b before c)."""
    rule = "rules:\n  - id: {0}.x\n    kind: line\n    description: x.\n    pattern: '^x{0}$'\n    keeps: [kept]\n"
    matches = {
        "a": "domains: [www.example.org]",
        "b": "urls: ['https://*.example.org/news/*']",
        "c": "domains: [example.org, example.net]",
        "d": "urls: ['*://example.com/*']\n  domains: [example.com]",
        "e": "domains: [News.Example.net]",
    }
    for name, match in matches.items():
        (tmp_path / f"{name}.yaml").write_text(
            f"name: {name}\ndescription: Site {name}.\nmatch:\n  {match}\n" + rule.format(name), encoding="utf-8"
        )
    book = RuleBook.load([tmp_path])
    urls = [
        "https://example.org/news/1",
        "https://www.example.org/news/2",
        "https://news.example.org/news/3",
        "https://news.example.org/other",
        "https://example.net/a",
        "https://news.example.net/a",
        "https://www.news.example.net/a",
        "https://example.com/b",
        "http://example.com/c",
        "https://else.example/d",
    ]
    sites = book.sites

    def plain(url: str) -> str | None:  # every site's by_domain and by_glob, one by one
        host = host_of(url)
        held = [(len(d), -i) for i, site in enumerate(sites) for d in site.matcher.domains if holds(d, host)]
        best = -max(held)[1] if held else len(sites)
        globbed = (site.name for site in sites[:best] if site.matcher.by_glob(url))
        return next(globbed, sites[best].name if held else None)

    for url in urls * 2 + urls[::-1]:  # hosts seen before, and not
        found = book.site_by_url(url)
        assert (found.name if found is not None else None) == plain(url), url
    assert [plain(url) for url in urls] == ["c", "a", "b", "c", "c", "e", "e", "d", "d", None]


def test_the_site_of_a_host_is_the_one_of_the_longest_domain_that_holds_it(tmp_path: Path) -> None:
    """RuleBook's domain index (a host's suffixes after each dot looked up) against every site's
    SiteMatcher.by_domain, the longest domain that holds the host winning, on random hosts: nested
    domains listed in either order, empty labels, a host that is a dot or ends with one, a domain
    under another site's (d4's, under d0's, listed after it: it was never found)."""
    rng = random.Random(7)
    labels = ["a", "b", "ab", "news", "x"]
    sites = [["a", "b.a"], ["news.b.a", "ab"], ["ab.b", ".x.ab"], ["x"], ["a.news.b.a", "ab.a"]]
    for k, domains in enumerate(sites):
        (tmp_path / f"d{k}.yaml").write_text(
            f"name: d{k}\ndescription: A demo site.\nmatch:\n  domains: {domains!r}\nrules:\n  - id: d{k}.x\n"
            f"    kind: line\n    description: x.\n    pattern: '^x{k}$'\n    keeps: [kept]\n",
            encoding="utf-8",
        )
    book = RuleBook.load([tmp_path])
    found = set()
    for _ in range(5000):
        host = ".".join(rng.choice([*labels, ""]) for _ in range(rng.randrange(1, 6)))
        held = [(len(d), i) for i, site in enumerate(book._sites) for d in site.matcher.domains if holds(d, host)]
        expected = max(held)[1] if held else None
        assert book._site_of_domains(host) == expected, host
        assert book._site_of_host(host) == expected, host
        found.add(expected)
    assert found == {None, 0, 1, 2, 3, 4}


# (signature, lines): needs at a line's start, inside a line, or none
_MIXED = [(r"^(?i:σοφια news)$", 2), (r"^(?:Posted by|Member) \w+", 3), (r"(?i)kelvin", 4), (r"^(?i:İstanbul)", 1)]
_MIXED.append((r"^\w+ desk$", 3))
# Only needs at a line's start: a head none of whose lines starts with one is no site's at once.
_AT_START = [(r"^(?i:σοφια news)$", 2), (r"^(?:Posted by|Member) \w+", 3), (r"^Istanbul", 1)]
_AT_START += [(r"^(?:Sport|News) desk$", 3), (r"^(?i:\x{212a}elvin)", 4)]


@pytest.mark.parametrize("signatures", [_MIXED, _AT_START])
def test_the_site_of_a_signature_is_the_one_every_site_tested_in_order_gives(
    tmp_path: Path, signatures: list[tuple[str, int]]
) -> None:
    """RuleBook.site_by_signature (a need at a line's start looked for at the start of each line
    folded; others in the lines joined and folded) against each site's SiteMatcher in file order,
    on random heads: sigmas, a dotted capital I, a Kelvin sign, newlines inside lines, short heads."""
    import random

    for k, (signature, lines) in enumerate(signatures):
        (tmp_path / f"s{k}.yaml").write_text(
            f"name: s{k}\ndescription: A demo site.\nmatch:\n  signature: '{signature}'\n"
            f"  signature_lines: {lines}\nrules:\n  - id: s{k}.banner\n    kind: line\n    description: A banner.\n"
            f"    pattern: '^Banner{k}$'\n    keeps: [Banner text]\n",
            encoding="utf-8",
        )
    book = RuleBook.load([tmp_path])
    sites = [site for site in book.sites if site.matcher and site.matcher.signature]
    assert len(sites) == len(signatures)
    pieces = ["ΣΟΦΙΑ NEWS", "σοφιΑ news", "Posted by Ann", "Member ", "\u212aelvin", "İstanbul", "istanbul", "x", "\n"]
    pieces += ["Sport desk", "", " ", "ς", "A first line longer than any need", "Istanbul"]
    rng = random.Random(3)
    found = set()
    for _ in range(3000):
        head = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 3))) for _ in range(rng.randrange(0, 5))]
        expected = None
        for site in sites:
            assert site.matcher is not None and site.matcher.signature is not None
            text = "\n".join(head[: site.matcher.signature_lines])
            if site.matcher.may_match(text) and site.matcher.signature.test(text):
                expected = site
                break
        got = book.site_by_signature(head)
        assert got is expected, head
        found.add(got.name if got else None)
    assert found == {None, "s0", "s1", "s2", "s3", "s4"}
    assert (book._any_start is not None) == (signatures is _AT_START)  # (the one search tried first, or not)


@needs_hyperscan
def test_a_row_a_site_rule_rewrote_in_a_later_round_is_looked_at_by_the_generic_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site's positional replace rule rewrites the last row only in the second round (once
    the share bar after it went); the generic rules, which ran in full in the first round, must
    see the new text (Rewrites: the rewrite is counted) and drop the photo credit it now is."""
    monkeypatch.setattr(engine, "WARMUP", 0)
    (tmp_path / "generic.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "site.yaml").write_text(
        "name: site\ndescription: A demo site.\nmatch:\n  domains: [example.org]\nrules:\n"
        "  - id: site.label\n    kind: replace\n    description: A label before the last line.\n"
        "    pattern: '^LABEL '\n    with: ''\n    where: {last: 1}\n    keeps: [x]\n",
        encoding="utf-8",
    )
    pipeline = Pipeline(RuleBook.load([tmp_path]))
    text = "The council met on Tuesday.\nIt rained all day.\nLABEL Photo: A. Person\nShare this\n"
    for _ in range(2):  # (the second time from the memo of the first document's scans too)
        cleaned = pipeline.clean(Document("d", text, "t", "https://example.org/a"))
        assert [(line.text, line.dropped_by) for line in cleaned.lines] == [
            ("The council met on Tuesday.", None),
            ("It rained all day.", None),
            ("Photo: A. Person", "demo.photo"),
            ("Share this", "demo.share"),
        ]


def test_the_site_by_signature_is_read_again_when_a_head_row_went_or_a_rule_rewrote_a_row(tmp_path: Path) -> None:
    """MatchSite in later rounds: the head is read again when one of its rows was dropped, or a
    rule rewrote a row (Rewrites); else it is the same, and so is the site."""
    from types import SimpleNamespace

    from cleaner.document import Line
    from cleaner.steps.rules import MatchSite

    (tmp_path / "demo.yaml").write_text(
        "name: demo\ndescription: A demo site.\nmatch:\n  signature: '^Demo News$'\n  signature_lines: 1\n"
        "rules:\n  - id: demo.banner\n    kind: line\n    description: A banner.\n"
        "    pattern: '^Demo banner$'\n    keeps: [Demo banner text]\n",
        encoding="utf-8",
    )
    book = RuleBook.load([tmp_path])
    demo = book.sites[0]
    step = MatchSite(book)

    def run(lines: list[Line]) -> SimpleNamespace:
        state = SimpleNamespace(lines=lines, round=0, doc=SimpleNamespace(url=None), site=None, first_site=None)
        step(state)  # type: ignore[arg-type]
        assert state.site is None and state.first_site is None
        return state

    lines = [Line(1, "Menu"), Line(2, ""), Line(3, "Demo News"), Line(4, "Body")]
    state = run(lines)
    state.round = 1
    step(state)  # type: ignore[arg-type]
    assert state.site is None
    lines[0].dropped_by = "other"  # the signature line comes into the window
    state.round = 2
    step(state)  # type: ignore[arg-type]
    assert state.site is demo and state.first_site is None

    lines = [Line(1, "LABEL Demo News"), Line(2, "Body")]
    state = run(lines)
    lines[0].change("Demo News", "demo.label")
    state.round = 1
    step(state)  # type: ignore[arg-type]
    assert state.site is None  # no rule rewrote a row (Rewrites): the head is not read again
    REWRITES.count += 1  # (as a replace rule does, with Context.touched)
    state.round = 2
    step(state)  # type: ignore[arg-type]
    assert state.site is demo


def test_a_url_glob_claims_its_site_s_pages_not_pages_naming_them(tmp_path: Path) -> None:
    """A glob's host is matched against the URL's host, its path against the path: another site's
    page with the site's URL in its query or path is not the site's (it was: one fnmatch over the
    whole URL let ``*`` run across the host and ``?``)."""
    (tmp_path / "news.yaml").write_text(
        "name: news\ndescription: Site news.\nmatch:\n  urls: ['https://*.example.com/news/*']\n"
        "rules:\n  - id: news.x\n    kind: line\n    description: x.\n    pattern: '^x$'\n    keeps: [kept]\n",
        encoding="utf-8",
    )
    book = RuleBook.load([tmp_path])
    urls = [
        "https://www.other.org/share?u=https://www.example.com/news/1",
        "https://other.org/a.example.com/news/x",
        "https://www.example.com/news/1",
        "https://www.example.com/news/a/b?c=d",
        "https://www.example.com:8443/news/1",
    ]
    found = [book.site_by_url(url) for url in urls]
    assert [site.name if site is not None else None for site in found] == [None, None, "news", "news", "news"]
