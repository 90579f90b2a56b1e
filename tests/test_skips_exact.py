"""The later rounds' skips (a positional run that is idle, a rule set whose rows kept their text,
a site head that is the same: Rewrites) give what running every rule set in full every round,
without the prefilter, gives: random rule files of every kind and window on random documents."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import cleaner.rules.engine as engine
import cleaner.steps.rules as step_rules
from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.rules import prefilter
from cleaner.rules.book import RuleBook

WORDS = ["Share", "AD", "LABEL", "Photo", "Demo", "News", "x", "end", "Tail", "Body", "Start", "stop", "Share"]


def _row(r: random.Random) -> str:
    return "" if r.random() < 0.15 else " ".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))


def _rules(r: random.Random, prefix: str) -> str:
    out = []
    for k in range(r.randint(2, 6)):
        kind = r.choice(["line", "line", "replace", "block", "tail", "extract"])
        word, anchor = r.choice(WORDS), r.choice(["^", ""])
        where = r.choice(
            [
                "",
                "",
                f"{{last: {r.randint(1, 4)}}}",
                f"{{first: {r.randint(1, 3)}}}",
                f"{{first: {r.randint(1, 4)}, last: {r.randint(1, 4)}}}",
            ]
        )
        body = {
            "line": f"    pattern: '{anchor}{word}'\n",
            "replace": f"    pattern: '{anchor}{word} ?'\n    with: '{r.choice(['', r.choice(WORDS) + ' '])}'\n",
            "block": f"    start: '^{word}'\n    lines: {r.randint(1, 2)}\n",
            "tail": f"    marker: '^{word}'\n    within_last: 0.5\n",
            "extract": f"    pattern: '^{word} (?P<value>.+)'\n    field: f{k}\n",
        }[kind]
        out.append(
            f"  - id: {prefix}.r{k}\n    kind: {kind}\n    description: d.\n{body}"
            + (f"    where: {where}\n" if where else "")
            + "    keeps: [zzz]\n"
        )
    return "".join(out)


class _Fresh:
    """A count that is never what it was: every check of Rewrites looks at the rows."""

    n = 1 << 40

    @property
    def count(self) -> int:
        _Fresh.n += 1
        return _Fresh.n

    @count.setter
    def count(self, value: int) -> None:
        pass


def write_random_rules(folder: Path, r: random.Random) -> None:
    """A generic rule file and a site's (found by a signature that lines going can bring in or take
    out), each of random rules of every kind (_rules)."""
    (folder / "g.yaml").write_text("name: gen\ndescription: g.\nrules:\n" + _rules(r, "g"), encoding="utf-8")
    (folder / "site.yaml").write_text(
        f"name: site\ndescription: s.\nmatch:\n  signature: '^{r.choice(WORDS)}'\n"
        f"  signature_lines: {r.randint(1, 3)}\nrules:\n" + _rules(r, "s"),
        encoding="utf-8",
    )


@pytest.mark.skipif(not prefilter.available(), reason="no prefilter matcher")
@pytest.mark.parametrize("seed", range(30))
def test_the_later_rounds_skips_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    r = random.Random(seed)
    write_random_rules(tmp_path, r)
    docs = ["\n".join(_row(r) for _ in range(r.randint(1, r.choice([6, 14, 30])))) + "\n" for _ in range(40)]

    def run() -> list[tuple[object, ...]]:
        pipeline = Pipeline(RuleBook.load([tmp_path]))
        out = []
        for i, text in enumerate(docs):
            cleaned = pipeline.clean(Document(f"d{i}", text, "s"))
            lines = [(line.text, line.dropped_by) for line in cleaned.lines]
            out.append((cleaned.text, cleaned.url, sorted(cleaned.meta.items()), cleaned.site, lines))
        return out

    with monkeypatch.context() as patched:
        patched.setattr(engine, "WARMUP", 0)  # the prefilter (and _Fast.idle) from the first document
        fast = run()
        # And with every check of Rewrites looking at the rows kept (_Texts: the non-blank ones).
        patched.setattr(step_rules, "REWRITES", _Fresh())
        looked = run()
    apply = engine.RuleSet.apply
    monkeypatch.setattr(prefilter, "available", lambda: False)
    monkeypatch.setattr(
        engine.RuleSet,
        "apply",
        lambda self, lines, url, meta, positional_only=False, deadline=None, rows=None: apply(
            self, lines, url, meta, False, deadline
        ),  # (the rows left out: the Context takes its own)
    )
    monkeypatch.setattr(step_rules, "REWRITES", _Fresh())
    assert fast == looked == run()
