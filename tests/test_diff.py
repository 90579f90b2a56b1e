"""The diff report: exact format, and hunks that really turn the original into the clean text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cleaner.document import Document
from cleaner.pipeline import Pipeline
from cleaner.report import review
from cleaner.report.diff import render

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"\t⟨[^⟩]+⟩$")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")


def apply(original: str, diff: str) -> str:
    """A strict unified-diff applier: context and removed lines must match the original."""
    old = original.split("\n")
    if original.endswith("\n"):
        old.pop()
    new: list[str] = []
    at = 0  # next original line to copy
    lines = diff.split("\n")[2:]
    for line in lines:
        if not line or line.startswith("\\"):
            continue
        head = HUNK.match(line)
        if head:
            start = int(head.group(1)) - (0 if head.group(2) != "0" else -1)
            new.extend(old[at : start - 1])
            at = start - 1
            continue
        kind, text = line[0], TAG.sub("", line[1:])
        if kind in " -":
            assert old[at] == text, f"line {at + 1}: {old[at]!r} != {text!r}"
            at += 1
        if kind in " +":
            new.append(text)
    new.extend(old[at:])
    return "\n".join(new) + "\n"


SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_diff_turns_the_original_into_the_clean_text(pipeline: Pipeline, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    cleaned = pipeline.clean(Document(path.stem, text, str(path)))
    assert apply(text, render(cleaned)) == cleaned.text


@pytest.mark.parametrize(
    "text",
    [
        "Keep this line please.\nAdvertisement\nAnd this one.",
        "Advertisement\nKeep this line please.\n",
        "Keep this line please.\n\n\n\nAnd this one.\n",
        "A\nB\nC\nD\nE\nF\nG\nH\nI\nJ\nAdvertisement\nK\nL\nM\nN\nO\nP\nQ\nR\nAdvertisement\n",
        "donâ€™t\u00a0\nfine\n",
    ],
)
def test_diff_applies_on_edge_cases(pipeline: Pipeline, text: str) -> None:
    cleaned = pipeline.clean(Document("d", text, "d.txt"))
    assert apply(text, render(cleaned)) == cleaned.text


def test_diff_format_is_exact(pipeline: Pipeline) -> None:
    text = "Title of the piece\nAdvertisement\ndonâ€™t stop\u00a0\nLast words here.\n"
    cleaned = pipeline.clean(Document("d", text, "in/d.txt"))
    assert render(cleaned) == (
        "--- in/d.txt\n"
        "+++ in/d.txt (clean) id=d\n"
        "@@ -1,4 +1,5 @@\n"
        " Title of the piece\n"
        "-Advertisement\t⟨chrome.widget⟩\n"
        "-donâ€™t stop\u00a0\t⟨ftfy:encoding+whitespace⟩\n"
        "+\n"
        "+don’t stop\t⟨ftfy:encoding+whitespace⟩\n"
        "+\n"
        " Last words here.\n"
    )


def test_unchanged_document_has_no_diff(pipeline: Pipeline) -> None:
    cleaned = pipeline.clean(Document("d", "Just one paragraph of text.\n", "d.txt"))
    assert render(cleaned) == ""


def test_a_line_a_repair_made_blank_is_tagged_where_the_layout_lets_it_go(pipeline: Pipeline) -> None:
    """A line of zero-width spaces beside a blank line: whitespace empties it and the layout lets
    it go with the blank. It was not blank as read, so the diff names the repair (a blank line as
    read stays untagged), and the review rows show it changed, as every repair is."""
    text = "First paragraph of the piece.\n\u200b\u200b\n\nSecond paragraph here.\n"
    cleaned = pipeline.clean(Document("d", text, "d.txt"))
    assert cleaned.text == "First paragraph of the piece.\n\nSecond paragraph here.\n"
    assert render(cleaned) == (
        "--- d.txt\n"
        "+++ d.txt (clean) id=d\n"
        "@@ -1,4 +1,3 @@\n"
        " First paragraph of the piece.\n"
        "-\u200b\u200b\t⟨whitespace⟩\n"
        " \n"
        " Second paragraph here.\n"
    )
    rows = [list(row) for row in review.record_data(cleaned)["lines"]]
    assert rows == [
        [1, " ", None, "First paragraph of the piece."],
        [2, "~", "whitespace", "", "\u200b\u200b"],
        [4, " ", None, "Second paragraph here."],
    ]
