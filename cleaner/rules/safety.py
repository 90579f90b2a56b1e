"""Rejecting regexes that can backtrack catastrophically, before a run starts.

Python's ``re`` backtracks and cannot be interrupted mid-match, so a pattern such as
``(a+)+$`` or ``(x|x)*y`` can hang a worker on one long line. Two defences:

- at validation, a pattern whose structure allows exponential backtracking is refused with
  its file and line: a repeated group that itself holds an unbounded repeat, or a repeated
  alternation whose branches can start with the same character (or both match nothing);
- at run time, rules only look at lines up to ``MAX_RULE_LINE`` characters (boilerplate is
  short), which bounds what polynomial patterns such as ``\\s+\\S*\\s+$`` can cost.
"""

from __future__ import annotations

from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

MAX_RULE_LINE = 2000

_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT}
_ANY = object()  # a first-character set that may hold anything


def risk(pattern: str) -> str | None:
    """Why the pattern can take exponential time, or None."""
    return _walk(P.parse(pattern), repeated=False)


def _walk(items: Any, repeated: bool) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            _, high, sub = av
            many = high is C.MAXREPEAT or high > 1
            if repeated and high is C.MAXREPEAT and op is not C.POSSESSIVE_REPEAT:
                return "a repeated group holds an unbounded repeat (like '(a+)+'), which can backtrack exponentially"
            if many and _overlapping_branch(sub):
                return "a repeated alternation has branches that can match the same text (like '(x|x)*'), which can backtrack exponentially"
            found = _walk(sub, repeated or many)
        elif op is C.SUBPATTERN:
            found = _walk(av[-1], repeated)
        elif op is C.BRANCH:
            found = next((r for branch in av[1] if (r := _walk(branch, repeated))), None)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            found = _walk(av[1], repeated)
        else:
            found = None
        if found:
            return found
    return None


def _overlapping_branch(items: Any) -> bool:
    for op, av in items:
        if op is C.BRANCH:
            firsts = [_first(branch) for branch in av[1]]
            for i, a in enumerate(firsts):
                for b in firsts[i + 1 :]:
                    if a is _ANY or b is _ANY or a & b or (not a and not b):
                        return True
        if op is C.SUBPATTERN and _overlapping_branch(av[-1]):
            return True
    return False


def _first(items: Any) -> Any:
    """The characters a sequence can start with: a set, empty if it can match nothing, or _ANY."""
    for op, av in items:
        if op is C.LITERAL:
            return {av}
        if op is C.NOT_LITERAL or op is C.ANY or op is C.IN:
            if op is C.IN and all(kind is C.LITERAL for kind, _ in av):
                return {value for _, value in av}
            return _ANY
        if op is C.SUBPATTERN:
            return _first(av[-1])
        if op in _REPEATS:
            low, _, sub = av
            inner = _first(sub)
            if low > 0 or inner is _ANY:
                return inner
            continue  # an optional part: what follows can come first too
        if op is C.AT:
            continue
        return _ANY
    return set()
