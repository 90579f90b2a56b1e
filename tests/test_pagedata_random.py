"""ShardPage.add with _diff.c's page_record against the Python it stands in for, on random
records of record_data's shape and others: ids, sources, sites and emptied texts with "<",
control characters, lone surrogates and text not ASCII; ints past 64 bits, bools, floats, str
subclasses, Counters, keys out of order; labels known and new. Three pages fed the same records
(page_record; its fallback, page_add from Python's bytes; no C at all) must hold the same bytes,
tallies, index and samples after each record, or raise the same exception."""

from __future__ import annotations

import copy
import io
import random
from collections import Counter
from typing import Any

import pytest

from cleaner.report import pagedata, review

NATIVE = pagedata._NATIVE


class Native:
    """_diff.c with page_record counted (``made``: left to Python, made), or always None (``fallback``:
    page_add then gets the bytes Python made)."""

    def __init__(self, fallback: bool = False):
        self.fallback = fallback
        self.made = [0, 0]

    def __getattr__(self, name: str) -> Any:
        return getattr(NATIVE, name)

    def page_record(self, *args: Any) -> Any:
        got = None if self.fallback else NATIVE.page_record(*args)
        self.made[got is not None] += 1
        return got


class Sub(str):
    pass


PIECES = [
    "a",
    "<",
    "</script>",
    '"',
    "\\",
    "\n",
    "\t",
    "\x00",
    "\x01",
    "\x1f",
    "\x7f",
    "é",
    "日本",
    "\U0001f600",
    "\ud800",
    "\udfff",
    "\u2028",
    " ",
    "+",
    ",",
    ":",
    '"removed":',
    ',"removed":',
    "\r",
    "\ufeff",
    "x" * 300,
]


def text(rng: random.Random, surrogates: bool = True) -> str:
    n = rng.choice([0, 1, 2, 3, 5, 10])
    parts = [rng.choice(PIECES) for _ in range(n)]
    s = "".join(parts)
    if not surrogates or rng.random() < 0.85:
        s = s.replace("\ud800", "?").replace("\udfff", "?")
    return s


LABELS = ["boiler.nav", "credits.source", "ftfy:encoding", "r<1>", "é.rule", "日本", "a+b", 'x"y', "z\\w", "ctl\x01"]


def odd(rng: random.Random, kind: str, wild: bool) -> Any:
    """A value of ``kind``, now and then (when ``wild``) of another type or past 64 bits."""
    r = rng.random() if wild else 1.0
    if kind == "str":
        if r < 0.03:
            return Sub(text(rng))
        if r < 0.06:
            return rng.choice([1, True, 1.5, None])
        return text(rng)
    if kind == "strnone":
        if r < 0.3 or (r == 1.0 and rng.random() < 0.3):
            return None
        if r < 0.33:
            return Sub("s")
        if r < 0.36:
            return rng.choice([2, False, 2.5])
        return text(rng)
    if kind == "int":
        if r < 0.02:
            return True
        if r < 0.04:
            return 1 << 63
        if r < 0.06:
            return (1 << 64) - 1
        if r < 0.07:
            return 1 << 64
        if r < 0.09:
            return -(1 << 63)
        if r < 0.10:
            return -(1 << 63) - 1
        if r < 0.12:
            return -rng.randrange(100)
        if r < 0.13:
            return 3.0
        if r < 0.14:
            return None
        return rng.randrange(10000) if rng.random() < 0.9 else rng.choice([0, (1 << 63) - 1, -1, 1 << 40])


def count_value(rng: random.Random, wild: bool) -> Any:
    r = rng.random() if wild else 1.0
    if r < 0.01:
        return True
    if r < 0.02:
        return 1 << 63
    if r < 0.025:
        return 1 << 64
    if r < 0.03:
        return -(1 << 63) - 1
    if r < 0.035:
        return 2.0
    return rng.randrange(1, 50)


def counts(rng: random.Random, labels: list[str], wild: bool) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for lab in labels:
        key = Sub(lab) if wild and rng.random() < 0.01 else lab
        d[key] = count_value(rng, wild)
    if rng.random() < 0.01:
        d = Counter(d)
    return d


def record(rng: random.Random, n: int, new_labels: list[str]) -> dict[str, Any]:
    wild = rng.random() < 0.3
    pool = LABELS + new_labels
    rows: list[tuple[Any, ...]] = []
    removed_labels: list[str] = []
    repaired_labels: list[str] = []
    no = 0
    for _ in range(rng.randrange(0, 12)):
        no += rng.randrange(1, 3)
        f = rng.random()
        if f < 0.5:
            rows.append((no, review.KEPT, None, text(rng, False) or "k"))
        elif f < 0.8:
            lab = rng.choice(pool)
            removed_labels.append(lab)
            rows.append((no, review.DROPPED, lab, text(rng, False) or "d"))
        else:
            labs = sorted(set(rng.sample(pool, rng.randrange(1, 3))))
            repaired_labels += labs
            rows.append((no, review.CHANGED, "+".join(labs), text(rng, False) or "c", text(rng, False) or "o"))
    removed = list(dict.fromkeys(removed_labels))
    repaired = list(dict.fromkeys(repaired_labels))
    if rng.random() < 0.05:
        removed.append(rng.choice(pool))
    rec = {
        "id": odd(rng, "str", wild) if rng.random() < 0.2 else f"{text(rng)}-{n}",
        "source": odd(rng, "strnone", wild),
        "site": odd(rng, "strnone", wild),
        "chars_in": odd(rng, "int", wild),
        "chars_out": odd(rng, "int", wild),
        "emptied": odd(rng, "strnone", wild) if rng.random() < 0.3 else None,
        "removed": counts(rng, removed, wild),
        "removed_chars": counts(rng, removed, wild),
        "repaired": counts(rng, repaired, wild),
        "lines": rows,
    }
    r = rng.random()
    if r < 0.02:
        rec = {k: rec[k] for k in reversed(list(rec))}
    elif r < 0.03:
        del rec["site"]
    elif r < 0.04:
        rec["extra"] = 1
    return rec


def state(page: pagedata.ShardPage) -> tuple[Any, ...]:
    """What a page holds after a record: its files' bytes, tallies, index and samples."""
    t = page.tallies
    return (
        page.out.getvalue(),
        page.removals.getvalue(),
        dict(t.lines),
        dict(t.chars),
        dict(t.docs),
        dict(t.repaired),
        [(type(k), k, v) for k, v in page.index.items()],
        repr(page.samples),
        page.count,
        page.layout_only,
    )


def _page() -> pagedata.ShardPage:
    return pagedata.ShardPage(io.BytesIO(), io.BytesIO())


@pytest.mark.skipif(NATIVE is None, reason="cleaner/report/_diff.c not built")
@pytest.mark.parametrize("seed", range(10))
def test_page_record_on_random_records_gives_the_python_pages(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    natives: dict[str, Native | None] = {"c": Native(), "fallback": Native(fallback=True), "off": None}
    pages = {way: _page() for way in natives}
    new_labels: list[str] = []
    for n in range(300):
        if rng.random() < 0.05:
            new_labels.append(f"new{n}<{text(rng, False)}>")
        rec = record(rng, n, new_labels)
        raised: dict[str, str | None] = {}
        for way, page in pages.items():
            monkeypatch.setattr(pagedata, "_NATIVE", natives[way])
            try:
                page.add(copy.deepcopy(rec))
                raised[way] = None
            except Exception as exc:
                raised[way] = type(exc).__name__
        monkeypatch.setattr(pagedata, "_NATIVE", NATIVE)
        assert raised["c"] == raised["fallback"] == raised["off"], (n, rec)
        c, fallback, off = (state(page) for page in pages.values())
        assert c == fallback == off, (n, rec)
        if raised["c"] is not None:  # start afresh after an exception (pages may be half-written)
            pages = {way: _page() for way in natives}
    made = natives["c"].made  # type: ignore[union-attr]
    assert made[1] > 30 and made[0] > 30  # both ways taken
