"""A deterministic multi-site corpus with planted boilerplate, every line labelled.

    python -m bench.sites OUT.jsonl --docs 2000

Three news sites known by URL (banner, tagline, menu, dateline, share bar, copyright line and
a newsletter sentence in every document), one known only by its banner (no URL), and a
forum whose posts carry user blocks. Content is unique prose made from the seeds' words; a
few genuine sentences are quoted in two or three documents of one site, and forum replies
quote earlier posts, so that repeated content is there to be wrongly removed. Each record
carries ``labels``: one of "boilerplate", "content" or "blank" per line of ``text``.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from bench.corpus import ROOT

NEWS = [
    ("www.dailygazette.co.uk", "The Daily Gazette", "Independent journalism since 1887"),
    ("metrotimes.com", "METRO TIMES", "Your city. Your news."),
    ("news.riverside-herald.net", "Riverside Herald", "Community news for the valley"),
]
NO_URL = ("VALLEY POST | Local news that matters", "Follow us for more local stories")
FORUM = "forum.talkgarden.org"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September"]
USERS = ["rosegrower", "Tom_B", "allotment_ann", "greenfingers", "Mike R", "Sara", "oldoak", "compostking"]
# Genuine sentences that several documents of one site quote: content, however often seen.
QUOTES = [
    "The minister said the new rules would take effect from the first of April next year.",
    "Police have asked anyone with information about the incident to contact them.",
]

Line = tuple[str, str]  # (text, label)


def vocabulary() -> list[str]:
    words: set[str] = set()
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        words.update(w for w in re.findall(r"[A-Za-z]{3,12}", path.read_text(encoding="utf-8")))
    return sorted(words)


class Writer:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.words = vocabulary()

    def sentence(self) -> str:
        words = self.rng.choices(self.words, k=self.rng.randint(9, 20))
        return " ".join(words).capitalize() + self.rng.choice([".", ".", ".", "?", "!"])

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(1, 3)))

    def headline(self) -> str:
        return " ".join(self.rng.choices(self.words, k=self.rng.randint(5, 9))).title()

    def body(self, low: int, high: int) -> list[Line]:
        lines: list[Line] = []
        for _ in range(self.rng.randint(low, high)):
            lines += [(self.paragraph(), "content"), ("", "blank")]
        return lines

    def date(self) -> str:
        r = self.rng
        return f"{r.choice(LONG_MONTHS)} {r.randint(1, 28)}, {r.randint(2015, 2025)}"

    def news(self, site: tuple[str, str, str], n: int) -> dict[str, Any]:
        host, banner, tagline = site
        r = self.rng
        body = self.body(3, 7)
        if n % 25 < 3:  # a genuine quoted sentence, in three documents of the site
            body.insert(2, (QUOTES[0], "content"))
        lines: list[Line] = [
            (banner, "boilerplate"),
            (tagline, "boilerplate"),
            ("Home | World | Politics | Business | Sport | Culture", "boilerplate"),
            ("", "blank"),
            (self.headline(), "content"),
            (f"Published: {self.date()} at {r.randint(0, 23):02d}:{r.randint(0, 59):02d}", "boilerplate"),
            ("", "blank"),
            *body,
            ("Share this article: Facebook Twitter WhatsApp Email", "boilerplate"),
            ("Subscribe to our newsletter to get the day's top stories in your inbox every morning.", "boilerplate"),
            (f"© {r.randint(2015, 2025)} {banner}. All rights reserved.", "boilerplate"),
        ]
        return {"id": f"{host}/{n}", "url": f"https://{host}/news/{n}/{r.randint(1000, 9999)}", "lines": lines}

    def no_url(self, n: int) -> dict[str, Any]:
        banner, follow = NO_URL
        body = self.body(2, 5)
        if n in (4, 9):  # two documents quote the same statement: content
            body.insert(0, (QUOTES[1], "content"))
        lines = [(banner, "boilerplate"), ("", "blank"), *body, (follow, "boilerplate")]
        return {"id": f"valleypost/{n}", "url": None, "lines": lines}

    def forum(self, n: int) -> dict[str, Any]:
        r = self.rng
        lines: list[Line] = [(self.headline(), "content"), ("", "blank")]
        posts: list[str] = []
        for _ in range(r.randint(2, 5)):
            user = r.choice(USERS)
            lines += [
                (user, "boilerplate"),
                (f"Posts: {r.randint(1, 9999)}", "boilerplate"),
                (f"Joined: {r.choice(MONTHS)} {r.randint(2005, 2024)}", "boilerplate"),
            ]
            if posts and r.random() < 0.5:  # a reply quoting an earlier post of the thread
                lines.append((f"{r.choice(USERS)} said: {r.choice(posts)}", "content"))
            post = self.paragraph()
            posts.append(post)
            lines += [(post, "content"), ("Reply Quote Report", "boilerplate"), ("", "blank")]
        return {"id": f"{FORUM}/thread/{n}", "url": f"https://{FORUM}/threads/{n}/", "lines": lines}


def records(docs: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``docs`` documents, sites interleaved as in a crawl; the same arguments, the same bytes."""
    writer = Writer(seed)
    counters = [0] * 5
    for i in range(docs):
        kind = i % 5
        n = counters[kind]
        counters[kind] += 1
        doc = writer.news(NEWS[kind], n) if kind < 3 else writer.no_url(n) if kind == 3 else writer.forum(n)
        lines = doc.pop("lines")
        yield {**doc, "text": "\n".join(t for t, _ in lines) + "\n", "labels": [label for _, label in lines]}


def _write(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for record in rows:
            handle.write(orjson.dumps(record) + b"\n")
    return path.stat().st_size


def write(path: Path, docs: int, seed: int = 7) -> int:
    return _write(path, records(docs, seed))


def write_scattered(path: Path, docs: int, seed: int = 7) -> int:
    """The same documents, each on a domain of its own: as many sites as documents."""
    return _write(path, ({**record, "url": f"https://site{n}.com/a"} for n, record in enumerate(records(docs, seed))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{args.out}: {write(args.out, args.docs, args.seed) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
