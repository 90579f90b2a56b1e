"""What every rule has: id, description, why, window, test cases; and the pattern type.

Each rule kind (``cleaner/rules/kinds/``) adds its own keys to ``RuleBase``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from cleaner.rules.regex import PatternError, Regex, re2_refusal, row_body, top_bars
from cleaner.rules.safety import risk

RULE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"
# The first parts of the labels cleaner's own steps put on lines (steps/reasons.py: classify.short,
# dedup.repeat, html.title, html.vote:..., ftfy:encoding, whitespace, repeated:...). Stats, diffs,
# the review page and `cleaner explain` count and describe a line by its label alone, so a rule
# named in one of these would be merged with the step's removals (and the step's explained as the
# rule). tests/test_bad_rules.py checks this stays every built-in label's namespace.
BUILT_IN_NAMESPACES = ("classify", "dedup", "ftfy", "html", "repeated", "whitespace")


def _alternatives(value: object) -> object:
    """A YAML list of patterns is one pattern matching any of them, so a long alternation reads
    one branch per line. When every branch starts with ``^`` the result does too, so it stays
    in the fast line-start scan (see engine.py)."""
    if not isinstance(value, list):
        return value
    if not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError("a pattern list needs at least one non-empty pattern string")
    whole = [body for body in map(row_body, value) if body is not None]
    if len(whole) == len(value):
        # Every branch is a whole row: one alternation between ``^`` and ``$``, which the
        # prefilter takes apart again (regex.alternatives) and filters by each branch's own
        # literals, lengths and characters. Joined as ``^(?:A$|B$)``, the rule's trigger was one
        # pattern to it, filtered by what the branches share: a branch of common words then
        # made the whole rule a candidate on tens of rows a page.
        # (No branch has a ``|`` outside its groups: each stays whole without a group of its own.)
        return "^(?:" + "|".join(whole) + ")$"
    if all(v.startswith("^") and top_bars(v[1:]) == [] for v in value):
        # (Not a branch with a ``|`` outside its groups: ``^b|c$`` is ``^b`` or ``c$``, and its
        # ``c$`` would be anchored at the start too. It keeps a group of its own, below.)
        return "^(?:" + "|".join(v[1:] for v in value) + ")"
    return "(?:" + "|".join(f"(?:{v})" for v in value) + ")"


def _compiles(pattern: str) -> str:
    try:
        engine = Regex(pattern).engine
    except PatternError as exc:
        raise ValueError(str(exc)) from None
    # Only a pattern that needs it runs on the backtracking engine: one RE2 refuses for its size
    # would pass here and then run out of time on every document.
    refused = re2_refusal(pattern) if engine == "backtracking" else None
    if refused:
        raise ValueError(refused)
    # Backtracking patterns also run under a time limit; the structural check refuses the
    # obvious exponential ones before they ever cost a run anything.
    danger = risk(pattern) if engine == "backtracking" else None
    if danger:
        raise ValueError(f"regex refused: {danger}")
    return pattern


# Lines such a pattern matches with an empty match: any line, whatever it holds. Python's ``re``
# answers (rule patterns are written in its syntax), not RE2, so a warm start compiles nothing more;
# the lines are short, so that no pattern can take long on them in a backtracking engine.
_ANY_LINES = ("a", "Ab 1.")


def _not_empty(pattern: str) -> str:
    """A pattern that decides which lines a rule takes (or which documents a site's) must not
    match an empty string: then it matches every line (``Share|``, ``^(Home)?``, ``x*``)."""
    try:
        compiled = re.compile(pattern, re.MULTILINE)
    except (re.error, OverflowError, RecursionError):  # (RE2's syntax alone, or too large: not told)
        return pattern
    for text in _ANY_LINES:
        found = compiled.search(text)
        if found is not None and found.start() == found.end():
            raise ValueError(
                "the pattern matches an empty string, so it matches every line "
                "(an empty alternative '|', or all of it optional: '?', '*')"
            )
    return pattern


# Every regex in a rule file is compiled when the file is validated, so errors carry its line.
# The JSON Schema (`cleaner rules schema`) shows what a file may hold: a string or a list of them.
Pattern = Annotated[
    str,
    BeforeValidator(_alternatives, json_schema_input_type=str | list[str]),
    Field(min_length=1),
    AfterValidator(_compiles),
]
# The pattern that picks the lines a rule acts on (a line rule's, a block's start, a tail's marker,
# an extract's) or the documents of a site (its signature); a replace rule's may match empty.
Trigger = Annotated[Pattern, AfterValidator(_not_empty)]


def _own_namespace(rule_id: str) -> str:
    namespace = rule_id.partition(".")[0]
    if namespace in BUILT_IN_NAMESPACES:
        raise ValueError(
            f"'{rule_id}' is in the namespace of cleaner's own labels ('{namespace}'): stats and `cleaner "
            "explain` would merge its removals with theirs; start the id with the rule file's name"
        )
    return rule_id


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Where(Strict):
    """Limit a rule to the first or last N non-blank lines of the document."""

    first: int | None = Field(default=None, ge=1)
    last: int | None = Field(default=None, ge=1)


class Case(Strict):
    """A test case: ``input`` must clean to ``output`` (compared after paragraph layout)."""

    name: str | None = None
    input: str
    output: str
    input_url: str | None = None  # the document's URL, if it has one
    url: str | None = None  # the URL expected after cleaning
    meta: dict[str, str] | None = None  # metadata fields expected after cleaning


class RuleBase(Strict):
    id: Annotated[str, AfterValidator(_own_namespace)] = Field(pattern=RULE_ID)
    description: str = Field(min_length=1)
    why: str | None = None  # why this is boilerplate, for reviewers and `cleaner explain`
    where: Where = Where()
    tests: list[Case] = []
    # Text that must come out unchanged: the pass cases, beside the fail cases in ``tests``.
    keeps: list[Annotated[str, Field(min_length=1)]] = []

    def cases(self) -> list[Case]:
        """Every test case, ``keeps`` as cases whose output is their input."""
        kept = [Case(name=f"keeps[{i}]", input=text, output=text) for i, text in enumerate(self.keeps)]
        return [*self.tests, *kept]

    @model_validator(mode="after")
    def _tested(self) -> RuleBase:
        if not self.tests and not self.keeps:
            raise ValueError("a rule needs test cases: 'tests' (what it removes) and 'keeps' (what it leaves)")
        return self
