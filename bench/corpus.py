"""A deterministic synthetic corpus for benchmarks, made from seeds/.

    python -m bench.corpus OUT.jsonl --docs 50000

Paragraphs of the seeds, shuffled and varied, with boilerplate lines inserted, mojibake in about
5% of documents, a duplicated paragraph in about 10%, whitespace noise and some HTML entities.
The same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
BOILERPLATE = [
    "See also\u00a0 {title}",
    "SEE ALSO: {title}",
    "Read more: {title}",
    "Source: RT + agencies",
    "(With inputs from agencies)",
    "Copyright c 2018. RFERL, Inc. Republished with the permission of Radio Free Europe",
    "Advertisement",
    "Share this article",
    "Twitter / @FranceOTAN",
    "Watch:\u00a0{title}",
]
FORUM = ["- Joined", "- Jun 23, 2013", "- Messages", "- 10,291", "- Reaction score", "- 27"]
URLS = [
    "https://www.heraldglobe.com/news/{n}/story",
    "https://www.wionews.com/world/{n}",
    "https://example.org/a/{n}",
    None,
]


def seed_lines() -> tuple[list[str], list[str]]:
    paragraphs: list[str] = []
    titles: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            line = line.strip()
            if len(line) > 80:
                paragraphs.append(line)
            elif 30 < len(line) <= 80:
                titles.append(line)
    return paragraphs, titles


def mojibake(text: str) -> str:
    return text.encode("utf-8").decode("windows-1252", errors="replace")


def vary(rng: random.Random, paragraph: str) -> str:
    words = paragraph.split(" ")
    start = rng.randrange(0, max(1, len(words) // 3))
    words = words[start:] + words[:start]
    for _ in range(rng.randrange(0, 4)):
        i = rng.randrange(len(words))
        words[i] = rng.choice(["Ukraine", "Brussels", "Moscow", "Geneva", "2022", "allies", "talks", "NATO"])
    return " ".join(words).capitalize()


def document(rng: random.Random, n: int, paragraphs: list[str], titles: list[str]) -> dict[str, object]:
    body = [vary(rng, rng.choice(paragraphs)) for _ in range(rng.randrange(4, 20))]
    if rng.random() < 0.10:
        body.insert(rng.randrange(len(body) + 1), rng.choice(body))
    for _ in range(rng.randrange(1, 4)):
        line = rng.choice(BOILERPLATE).format(title=rng.choice(titles))
        body.insert(rng.randrange(len(body) + 1), line)
    if rng.random() < 0.15:
        body[0:0] = FORUM
    if rng.random() < 0.05:
        body = [mojibake(line) if rng.random() < 0.5 else line for line in body]
    if rng.random() < 0.05:
        body = [line.replace(" & ", " &amp; ").replace("'", "&#39;") for line in body]
    noise = rng.choice(["\n", "\n\n", "\n\n\n", " \n", "\u00a0\n\n"])
    url = rng.choice(URLS)
    return {
        "id": f"doc-{n:07d}",
        "url": url.format(n=n) if url else None,
        "text": rng.choice(titles) + "\n\n" + noise.join(body),
    }


def write(out: Path, docs: int, seed: int = 20261124) -> int:
    rng = random.Random(seed)
    paragraphs, titles = seed_lines()
    out.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with out.open("wb") as handle:
        for n in range(docs):
            line = orjson.dumps(document(rng, n, paragraphs, titles)) + b"\n"
            handle.write(line)
            size += len(line)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=50_000)
    args = parser.parse_args()
    size = write(args.out, args.docs)
    print(f"{args.out}: {args.docs} documents, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
