"""One hyperscan scan per document that says which rules may match on which rows.

The rule engine tests a rule's trigger exactly (RE2) only on the rows this prefilter names. It
may name rows where the trigger does not match, never leave out one where it does, so the output
is what testing every row gives. How:

- For each pattern, ``factors`` finds strings of which every match must contain one (a rule
  for "Share on ..." needs "share on"), from its parse tree: a run of literal characters, small
  classes and small alternations gives the strings it can spell; an alternation needs one of
  its branches' factors; a repeat of at least one, its item's. A pattern with no such strings
  of ``MIN_BYTES`` or more (one that starts ``\\S+`` and has no literal) may match on every row.
- Case: the scan sees each row as ``fold`` makes it: lowered, and the few characters whose
  lowercase is not their case class's (LONG S, FINAL SIGMA, MICRO SIGN...) made that; a
  factor holds its characters folded the same way, whether the pattern is case-sensitive or
  not, and the scan ignores the case of ASCII letters. Folding only widens (a case-sensitive
  "Foo" is looked for as "foo"); that it never narrows, i.e. that every character in RE2's
  case orbit of ``c`` folds to what ``c`` folds to, tests/test_prefilter.py checks against RE2.
- A pattern the parser reads otherwise than RE2 (see ``factors``) or cannot read has no factors.

All the factors of a rule set go into one hyperscan database of literals (quick to build), and
a document's rows are scanned as one buffer, one per line. A factor holds no newline, so each
match lies inside a row, and its end offset names the row.

hyperscan has wheels for x86_64 (Linux, macOS); elsewhere ``available()`` is False and the
engine tests every row as it always did.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import cache
from itertools import accumulate, product
from typing import Any

try:
    import hyperscan
except ImportError:  # no wheel for this platform: the engine runs without the prefilter
    hyperscan = None

_c = re._constants  # type: ignore[attr-defined]


def available() -> bool:
    return hyperscan is not None


MIN_BYTES = 3  # a shorter factor is found on too many rows to be worth scanning for
GOOD_BYTES = 6  # a factor this long is rare enough; fewer of them beats longer ones
LONG = 8  # characters past which a factor is cut: shorter ones are as rare, and fewer
MAX_STRINGS = 256  # strings one run of a pattern may spell before it is cut
MAX_CLASS = 8  # members a class may have to be spelt out
_ANY_PROPERTY = "\U0010fffe"  # stands for \p{...} / \P{...} while Python's parser reads a pattern
# The characters whose lowercase is not their case class's: each becomes its uppercase's lowercase
# (LONG S -> s, FINAL SIGMA -> sigma, MICRO SIGN -> mu, KELVIN SIGN is lowered to k already).
# tests/test_prefilter.py checks this list against Python's Unicode tables and RE2's folding.
_SPECIAL = "\xb5\u0131\u017f\u0345\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1c88\u1e9b\u1fbe"
_SPECIAL_TABLE = {ord(ch): ch.upper().lower() for ch in _SPECIAL}
_HAS_SPECIAL = re.compile(f"[{_SPECIAL}]")


def fold(text: str) -> str:
    """The text as the scan sees it: lowered, with ``_SPECIAL`` characters made their class's."""
    text = text.lower()
    return text.translate(_SPECIAL_TABLE) if _HAS_SPECIAL.search(text) else text


class _Open(Exception):
    """No finite set of strings: the item is something like ``\\w`` or ``x*``."""


@cache
def _char(cp: int) -> str:
    """The character as the scan sees it, if a pattern's match must hold it there."""
    ch = chr(cp)
    if ch == "\n" or ch == _ANY_PROPERTY:
        raise _Open
    return fold(ch)


def _shortest(strings: set[str]) -> int:
    return min(len(x.encode()) for x in strings)


def _best(sets: list[set[str]], least: int) -> set[str] | None:
    """The most selective of several factor sets: the longest shortest string, then the fewest."""
    good = [s for s in sets if s and _shortest(s) >= least]
    if not good:
        return None
    # Past GOOD_BYTES a string is rare enough: then fewer strings are better than longer ones.
    return max(good, key=lambda s: (min(_shortest(s), GOOD_BYTES), -len(s)))


class _Factors:
    def __init__(self) -> None:
        self.spelt: dict[tuple[int, bool], set[str] | None] = {}  # by id of the parse node

    def spell(self, op: Any, av: Any, caseless: bool) -> set[str]:
        """Every string the item matches (it raises _Open if they are too many or unbounded)."""
        key = (id(av), caseless)
        if key in self.spelt:
            done = self.spelt[key]
            if done is None:
                raise _Open
            return done
        try:
            result = self._spell(op, av, caseless)
        except _Open:
            self.spelt[key] = None
            raise
        self.spelt[key] = result
        return result

    def _spell(self, op: Any, av: Any, caseless: bool) -> set[str]:
        if op is _c.LITERAL:
            return {_char(av)}
        if op is _c.IN:
            if av and av[0][0] is _c.NEGATE:
                raise _Open
            out: set[str] = set()
            for member, value in av:
                if member is _c.LITERAL:
                    out.add(_char(value))
                elif member is _c.RANGE and value[1] - value[0] < MAX_CLASS:
                    out.update(_char(cp) for cp in range(value[0], value[1] + 1))
                else:
                    raise _Open
            if len(out) > MAX_CLASS:
                raise _Open
            return out
        if op is _c.SUBPATTERN:
            return self.spell_seq(av[3], self.scope(av, caseless))
        if op is _c.BRANCH:
            out = set()
            for branch in av[1]:
                out |= self.spell_seq(branch, caseless)
                if len(out) > MAX_STRINGS:
                    raise _Open
            return out
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
            return {"", *self.spell_seq(av[2], caseless)}
        raise _Open

    def spell_seq(self, items: Any, caseless: bool) -> set[str]:
        out = {""}
        for op, av in items:
            if op is _c.AT:
                raise _Open  # an anchor between two strings: keep it simple
            out = {a + b for a, b in product(out, self.spell(op, av, caseless))}
            if len(out) > MAX_STRINGS:
                raise _Open
        return out

    @staticmethod
    def scope(av: Any, caseless: bool) -> bool:
        _group, add, remove, _items = av
        if (add | remove) & ~(_c.SRE_FLAG_IGNORECASE | _c.SRE_FLAG_MULTILINE | _c.SRE_FLAG_DOTALL):
            raise ValueError("a flag RE2 reads otherwise")
        return (caseless or bool(add & _c.SRE_FLAG_IGNORECASE)) and not remove & _c.SRE_FLAG_IGNORECASE

    def need(self, op: Any, av: Any, caseless: bool) -> set[str] | None:
        """Strings of which every match of the item contains one; None if there are none."""
        if op is _c.SUBPATTERN:
            return self.need_seq(av[3], self.scope(av, caseless))
        if op is _c.BRANCH:
            out: set[str] = set()
            for branch in av[1]:
                found = self.need_seq(branch, caseless)
                if found is None:
                    return None
                out |= found
            return out
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            return self.need_seq(av[2], caseless)
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS, _c.ASSERT, _c.ASSERT_NOT):
            raise ValueError("RE2 has no lookaround or backreferences")
        return None

    def need_seq(self, items: Any, caseless: bool) -> set[str] | None:
        """The best of: each item's own factors, and the strings each run of spelt items makes."""
        choices: list[set[str]] = []
        run: set[str] = {""}
        for op, av in items:
            try:
                spelt = self.spell(op, av, caseless)
            except _Open:
                spelt = None
            if spelt is not None:
                joined = {a + b for a, b in product(run, spelt)}
                if min(map(len, joined)) >= LONG:  # long enough: any part of a factor is one too
                    choices.append({x[:LONG] for x in joined})
                    run = {""}
                    continue
                if len(joined) <= MAX_STRINGS:
                    run = joined
                    continue
                choices.append(run)  # too many: the run so far is a choice, a new one starts
                run = spelt
                continue
            choices.append(run)
            run = {""}
            own = self.need(op, av, caseless)
            if own is not None:
                choices.append(own)
        choices.append(run)
        return _best(choices, MIN_BYTES)

    def starts(self, items: Any, caseless: bool) -> set[str]:
        """Strings of which every match of the items starts with one (an empty one: no help)."""
        out = {""}
        for op, av in items:
            if op is _c.AT:
                continue  # takes no character
            try:
                spelt = self.spell(op, av, caseless)
            except _Open:
                return {a + b for a, b in product(out, self.starts_of(op, av, caseless))}
            joined = {a + b for a, b in product(out, spelt)}
            if len(joined) > MAX_STRINGS:
                return out
            out = joined
            if min(map(len, out)) >= LONG:  # long enough: any start of a start is one too
                return {x[:LONG] for x in out}
        return out

    def starts_of(self, op: Any, av: Any, caseless: bool) -> set[str]:
        """``starts`` of one item that has no finite spelling."""
        if op is _c.SUBPATTERN:
            return self.starts(av[3], self.scope(av, caseless))
        if op is _c.BRANCH:
            out: set[str] = set()
            for branch in av[1]:
                out |= self.starts(branch, caseless)
            return out if len(out) <= MAX_STRINGS else {""}
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            return self.starts(av[2], caseless)
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS, _c.ASSERT, _c.ASSERT_NOT):
            raise ValueError("RE2 has no lookaround or backreferences")
        return {""}


_NEWLINE = re.compile(b"\n")
_RE2_ONLY = re.compile(r"\\\\|\\[pP](?:\{\^?\w+\}|\w)|\\x\{([0-9a-fA-F]+)\}|\\z")


def _for_python(pattern: str) -> str:
    """The pattern in the syntax Python's parser reads, for the RE2-only escapes rule authors
    may use: ``\\p{L}`` (a placeholder: no factor holds it), ``\\x{e9}`` and ``\\z``."""

    def swap(m: re.Match[str]) -> str:
        text = m.group(0)
        if text == "\\\\":
            return text
        if text == "\\z":
            return "\\Z"
        if m.group(1) is not None:
            return f"\\U{int(m.group(1), 16):08x}"
        return _ANY_PROPERTY

    return _RE2_ONLY.sub(swap, pattern)


# Python's parser reads these otherwise than RE2: '{,3}' is a literal to RE2; '[[:alpha:]]' a class.
_MISREAD = re.compile(r"\{,\d*\}|\[:\^?[A-Za-z]+:\]")


def factors(pattern: str) -> tuple[set[str], bool] | None:
    """Strings of which every match of ``pattern`` on a row contains one, lowered, and whether
    the match starts with it (the pattern is anchored at the line start); None when there is no
    such set worth scanning for."""
    if _MISREAD.search(pattern):
        return None
    try:
        parsed = re._parser.parse(_for_python(pattern))  # type: ignore[attr-defined]
        flags = parsed.state.flags
        if flags & ~(_c.SRE_FLAG_IGNORECASE | _c.SRE_FLAG_MULTILINE | _c.SRE_FLAG_DOTALL | _c.SRE_FLAG_UNICODE):
            return None  # (?x), (?a)...: RE2 reads them otherwise, or not at all
        items = list(parsed)
        caseless = bool(flags & _c.SRE_FLAG_IGNORECASE)
        factor = _Factors()
        inside = factor.need_seq(items, caseless)
        if items and items[0] == (_c.AT, _c.AT_BEGINNING):
            start = _best([factor.starts(items[1:], caseless)], 1)
            # A prefix at the line start is rarer than a longer string anywhere in the line.
            if start is not None and (inside is None or _shortest(start) + 3 >= _shortest(inside)):
                return start, True
        return (inside, False) if inside is not None else None
    except (re.error, OverflowError, ValueError, RecursionError):
        return None


class Prefilter:
    """The factors of a list of rule patterns in one hyperscan database; ``scan`` gives the rows
    each pattern may match on. ``always`` holds the patterns without factors: they may match on
    every row."""

    def __init__(self, patterns: Sequence[str]):
        assert hyperscan is not None
        self.size = len(patterns)
        self.always: list[int] = []
        owners: dict[tuple[str, bool], list[int]] = {}
        for index, pattern in enumerate(patterns):
            found = factors(pattern)
            if found is None:
                self.always.append(index)
                continue
            strings, at_start = found
            for string in strings:
                owners.setdefault((string, at_start), []).append(index)
        keys = sorted(owners)
        self.owners = [owners[key] for key in keys]
        self.db: Any = None
        if keys:
            self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self.db.compile(
                # A factor the match starts with follows the newline that ends the row before.
                expressions=[
                    (("\n" if at_start else "") + string).encode("utf-8", "surrogatepass") for string, at_start in keys
                ],
                ids=list(range(len(keys))),
                elements=len(keys),
                flags=hyperscan.HS_FLAG_CASELESS,  # folds ASCII letters: what fold() does, for ASCII text unfolded
                literal=True,
            )
            self.scratch = hyperscan.Scratch(self.db)

    def scan(self, texts: list[str]) -> list[set[int]]:
        """For each pattern, the rows of ``texts`` it may match on."""
        found: list[set[int]] = [set() for _ in range(self.size)]
        if self.db is None:
            return found
        joined = "\n" + "\n".join(texts) + "\n"
        if joined.isascii():  # the common case: the caseless scan folds all there is to fold
            data = joined.encode()
            starts = list(accumulate((len(text) + 1 for text in texts), initial=1))
        else:
            data = fold(joined).encode("utf-8", "surrogatepass")
            starts = [m.end() for m in _NEWLINE.finditer(data)]
        owners = self.owners

        def on_match(literal: int, _start: int, end: int, _flags: int, _context: Any) -> None:
            row = bisect_right(starts, end - 1) - 1
            for index in owners[literal]:
                found[index].add(row)

        self.db.scan(data, match_event_handler=on_match, scratch=self.scratch)
        return found
