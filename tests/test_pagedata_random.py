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

import pytest

from cleaner.report import pagedata, review

NATIVE = pagedata._NATIVE


class Fallback:
    def __getattr__(self, name):
        return getattr(NATIVE, name)

    def page_record(self, *args):
        return None


class Sub(str):
    pass


made = [0, 0]


class Counted:
    def __getattr__(self, name):
        return getattr(NATIVE, name)

    def page_record(self, *args):
        got = NATIVE.page_record(*args)
        made[got is not None] += 1
        return got


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


def text(rng, surrogates=True):
    n = rng.choice([0, 1, 2, 3, 5, 10])
    parts = [rng.choice(PIECES) for _ in range(n)]
    s = "".join(parts)
    if not surrogates or rng.random() < 0.85:
        s = s.replace("\ud800", "?").replace("\udfff", "?")
    return s


LABELS = ["boiler.nav", "credits.source", "ftfy:encoding", "r<1>", "é.rule", "日本", "a+b", 'x"y', "z\\w", "ctl\x01"]

WILD = [True]


def odd(rng, kind):
    r = rng.random() if WILD[0] else 1.0
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


def count_value(rng):
    r = rng.random() if WILD[0] else 1.0
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


def counts(rng, labels):
    d = {}
    for lab in labels:
        key = Sub(lab) if WILD[0] and rng.random() < 0.01 else lab
        d[key] = count_value(rng)
    if rng.random() < 0.01:
        d = Counter(d)
    return d


def record(rng, n, new_labels):
    WILD[0] = rng.random() < 0.3
    pool = LABELS + new_labels
    rows = []
    removed_labels, repaired_labels = [], []
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
    rl = list(dict.fromkeys(removed_labels))
    pl = list(dict.fromkeys(repaired_labels))
    if rng.random() < 0.05:
        rl.append(rng.choice(pool))
    rec = {
        "id": odd(rng, "str") if rng.random() < 0.2 else f"{text(rng)}-{n}",
        "source": odd(rng, "strnone"),
        "site": odd(rng, "strnone"),
        "chars_in": odd(rng, "int"),
        "chars_out": odd(rng, "int"),
        "emptied": odd(rng, "strnone") if rng.random() < 0.3 else None,
        "removed": counts(rng, rl),
        "removed_chars": counts(rng, rl),
        "repaired": counts(rng, pl),
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


def state(page):
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


def run(seed, cases, monkeypatch):
    rng = random.Random(seed)
    pages = {m: pagedata.ShardPage(io.BytesIO(), io.BytesIO()) for m in ("c", "fallback", "off")}
    mods = {"c": Counted(), "fallback": Fallback(), "off": None}
    new_labels = []
    for n in range(cases):
        if rng.random() < 0.05:
            new_labels.append(f"new{n}<{text(rng, False)}>")
        rec = record(rng, n, new_labels)
        outcome = {}
        for m, page in pages.items():
            monkeypatch.setattr(pagedata, "_NATIVE", mods[m])
            try:
                page.add(copy.deepcopy(rec))
                outcome[m] = None
            except Exception as exc:
                outcome[m] = type(exc).__name__
            finally:
                monkeypatch.setattr(pagedata, "_NATIVE", NATIVE)
        states = {m: state(p) for m, p in pages.items()}
        if not (outcome["c"] == outcome["fallback"] == outcome["off"]) or not (
            states["c"] == states["fallback"] == states["off"]
        ):
            print("MISMATCH seed", seed, "case", n, outcome, repr(rec)[:2000])
            for i, name in enumerate(
                ["out", "rem", "lines", "chars", "docs", "rep", "index", "samples", "count", "layout"]
            ):
                a, b, c = states["c"][i], states["fallback"][i], states["off"][i]
                if not (a == b == c):
                    print(" differs:", name)
                    if isinstance(a, bytes):
                        k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
                        print("  c  ", a[max(0, k - 200) : k + 200])
                        print("  fb ", b[max(0, k - 200) : k + 200])
                        print("  off", c[max(0, k - 200) : k + 200])
            return False
        if outcome["c"] is not None:  # start afresh after an exception (pages may be half-written)
            pages = {m: pagedata.ShardPage(io.BytesIO(), io.BytesIO()) for m in pages}
    return True


@pytest.mark.skipif(NATIVE is None, reason="cleaner/report/_diff.c not built")
@pytest.mark.parametrize("seed", range(10))
def test_page_record_on_random_records_gives_the_python_pages(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    made[:] = [0, 0]
    assert run(seed, 300, monkeypatch)
    assert made[1] > 30 and made[0] > 30  # both ways taken
