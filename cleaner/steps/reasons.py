"""Why a line went or changed: one line for each label a cleaned document's lines carry, for
``cleaner explain``'s legend. A rule's reason is its rule file's description; a built-in step's
labels are described in the module that owns them, beside their constants (its DESCRIPTIONS),
so that a new label is described where it is made."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cleaner.repeated import boilerplate
from cleaner.steps import classify, dedup, extract, extract_vote, repair, whitespace

if TYPE_CHECKING:
    from cleaner.document import Line
    from cleaner.rules.book import RuleBook
    from cleaner.steps.classify import Classify

BUILT_IN = "built-in"  # the source of a label no rule file defines
UNKNOWN = "no description"  # a label neither the rule book nor a step knows (a rule of another book)

# Every built-in step's labels. A key that ends in ':' stands for every label it starts (the
# longest such key wins), and a {} in its text is what follows it in the label.
_BUILT_IN: dict[str, str] = {
    **classify.DESCRIPTIONS,
    **dedup.DESCRIPTIONS,
    **whitespace.DESCRIPTIONS,
    **repair.DESCRIPTIONS,
    **extract.DESCRIPTIONS,
    **extract_vote.DESCRIPTIONS,
    **boilerplate.DESCRIPTIONS,
}
_FAMILIES = sorted((key for key in _BUILT_IN if key.endswith(":")), key=len, reverse=True)

_CLOSERS = {"(": ")", "[": "]", "“": "”", "«": "»", "„": "“"}


@dataclass(frozen=True, slots=True)
class Reason:
    label: str
    source: str  # the rule file that defines it, or BUILT_IN
    text: str  # one line


def acted(lines: Iterable[Line]) -> list[str]:
    """Each distinct label ``cleaner explain`` shows on one of ``lines``, in the order they first
    appear: a dropped line's rule (not what changed it before it went), a kept line's changes.
    A change's label may be several of ftfy's, joined ("ftfy:encoding+ftfy:html"); each is given
    on its own. (A drop's label is never split: "html.vote:readability+resiliparse" names the
    voters. No rule id holds a "+".)"""
    seen: dict[str, None] = {}
    for line in lines:
        if line.dropped_by is not None:
            seen.setdefault(line.dropped_by)
            continue
        for label in line.changed_by:
            for part in label.split(repair.JOIN):
                seen.setdefault(part)
    return list(seen)


def first_sentence(text: str) -> str:
    """``text`` on one line, cut after its first sentence: at the first '.', '!' or '?' followed
    by a space that lies outside brackets and quotes (a rule's description quotes the lines it
    removes, full stops and all: 'Its footer ("Posted in X. Bookmark the permalink.").')."""
    text = " ".join(text.split())
    expected: list[str] = []  # the closing marks of the brackets and quotes open here
    for i, char in enumerate(text):
        if expected and char == expected[-1]:
            expected.pop()
        elif char == '"':
            expected.append('"')
        elif char in _CLOSERS:
            expected.append(_CLOSERS[char])
        elif char in ".!?" and not expected and text[i + 1 : i + 2] == " ":
            return text[: i + 1]
    return text


class Reasons:
    """The reason of each label, from ``book``'s rules and the built-in steps' descriptions."""

    def __init__(self, book: RuleBook):
        self._rules = {placed.rule.id: (placed.path, placed.rule.description) for placed in book.rules()}
        # The classifier's labels are the built-in step's; its settings come from the generic file
        # that holds them (rules/generic/classify.yaml), which a site file may override.
        self._classify_file = next(
            (path for path, model in book.files if model.generic and model.classify is not None), BUILT_IN
        )

    def of(self, label: str, classifier: Classify | None = None) -> Reason:
        """Why a line carries ``label``; ``classifier``: the one the document got, whose
        profile and threshold a classifier's removal names."""
        rule = self._rules.get(label)
        if rule is not None:
            return Reason(label, rule[0], first_sentence(rule[1]))
        text = _BUILT_IN.get(label)
        if text is not None and label in classify.DESCRIPTIONS:
            if classifier is not None:
                text = f"{text[:-1]}: P(content) under {classifier.threshold:g} (profile {classifier.profile})."
            return Reason(label, self._classify_file, text)
        if text is not None:
            return Reason(label, BUILT_IN, text)
        family = next((key for key in _FAMILIES if label.startswith(key)), None)
        if family is not None:
            return Reason(label, BUILT_IN, _BUILT_IN[family].replace("{}", label[len(family) :]))
        return Reason(label, "?", UNKNOWN)
