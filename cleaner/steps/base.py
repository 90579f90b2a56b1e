"""The step contract: one small per-document state, and steps that each act on it with one call.

In the spirit of datatrove's ``PipelineStep``: a step has a ``name`` and a ``__call__``, and says
itself whether it can act again in a later round (``again``). The pipeline (cleaner/pipeline/clean.py)
runs its ``before`` steps once, then its ``rounds`` steps until a round removes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from cleaner.document import Document, Line
from cleaner.native import load
from cleaner.rules.engine import RuleSet

# The count in C (cleaner/report/_diff.c), when built: asked after every step of every round.
_NATIVE = load("cleaner.report._diff")


def python_count_alive(lines: list[Line]) -> int:
    """How many lines no step dropped: the twin of _diff.c's alive."""
    return sum(line.dropped_by is None for line in lines)


count_alive = _NATIVE.alive if _NATIVE is not None else python_count_alive


@dataclass(slots=True)
class State:
    """One document while it is being cleaned: what the steps read and write."""

    doc: Document
    lines: list[Line]
    url: str | None
    meta: dict[str, Any]
    trailing_newline: bool
    deadline: float  # time.monotonic() past which the rules give up on this document
    rewrites: bool = False  # a rule set holds replace rules: any step may find new work in a later round
    from_html: bool = False  # the text was extracted from a page (some steps are tuned for crawl text)
    round: int = 0
    site: RuleSet | None = None  # the site this round (its signature can stop matching as lines go)
    first_site: RuleSet | None = None  # the site of the first round: the one the record names
    key: str | None = None  # the site key lines are mined under (cleaner.repeated)
    ran: set[int] = field(default_factory=set)  # rule sets run in full on these lines
    # The rows (ALIVE(lines, True)) a rule step's full run last read, with REWRITES.count then:
    # the site's rules and then the generic ones each run in full in the first round, and the
    # site's rules mostly leave the lines as they were (steps/rules.py's _Texts.full_run).
    full_rows: tuple[int, tuple[list[Line], list[str]]] | None = None

    def alive(self) -> int:
        """How many lines no step dropped."""
        return count_alive(self.lines)


class Step(Protocol):
    """A step acts on the lines as they stand (their texts and fates) and on what it kept itself
    from its earlier calls on the same document: called again on the lines it saw and left as
    they were, it finds nothing more. (Pipeline.clean counts on it to end a round early: the steps
    after the last one that acted in the last round are not called on lines they already saw.)
    In the rounds a text changes only by a rule, which counts it (compiled.REWRITES)."""

    name: ClassVar[str]

    def __call__(self, state: State) -> None: ...

    def again(self, state: State) -> bool:
        """Whether the step can act in a later round, after other steps removed lines."""
        ...
