"""One hyperscan scan per document that says which rules may match on which rows.

The rule engine tests a rule's trigger exactly (RE2) only on the rows this prefilter names. It
may name rows where the trigger does not match, never leave out one where it does, so the output
is what testing every row gives. How:

- For each pattern, ``factors`` finds strings of which every match must contain one (a rule
  for "Share on ..." needs "share on"), from its parse tree: a run of literal characters, small
  classes and small alternations gives the strings it can spell; an alternation needs one of
  its branches' factors; a repeat of at least one, its item's. A pattern with no such strings
  of ``MIN_BYTES`` or more (one that starts ``\\S+`` and has no literal) may match on every row.
- Case: a factor holds its characters folded (``fold``: lowered, and the few characters whose
  lowercase is not their case class's, LONG S, FINAL SIGMA, MICRO SIGN..., made that one),
  whether the pattern is case-sensitive or not. The scan looks for every spelling of it: ASCII
  letters in either case (hyperscan's caseless scan of bytes), and any character beyond ASCII
  that folds to the factor's (``_spellings``: "über" is also looked for as "Über"). That only
  widens (a case-sensitive "Foo" is looked for as "foo" too); that it never narrows, i.e. that
  every character in RE2's case orbit of ``c`` folds to what ``c`` folds to, the tests check
  against RE2 itself. The text is scanned as it is.
- A pattern the parser reads otherwise than RE2 (see ``factors``) or cannot read has no factors.

All the factors of a rule set go into one matcher of literals (quick to build), and a
document's rows are scanned as one buffer, one per line. A factor holds no newline, so each
match lies inside a row, and its end offset names the row. The matcher is the C one
(``_scan.c``, an Aho-Corasick automaton that gives each pattern's rows directly) where it is
built, else a hyperscan database with a Python callback per match: the same rows (the tests
compare the two). hyperscan has wheels for Linux x86_64, macOS and Windows (pyproject.toml
installs it there); with neither, ``available()`` is False and the engine tests rows as it did
before the prefilter.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
import sys
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import accumulate, product
from pathlib import Path
from typing import Any, NamedTuple

from cleaner import diskcache, native
from cleaner.rules.regex import alternatives

hyperscan: Any = None  # the module, once _hyperscan() found it (imported late: start-up time)
_scan: Any = None  # the C matcher (cleaner/rules/_scan.c), once available() found it
_looked = False

_c = re._constants  # type: ignore[attr-defined]


def available() -> bool:
    """Whether there is a matcher: the C one (built from _scan.c, not CLEANER_NATIVE=off), else
    hyperscan (no wheel for this platform and no C compiler: the rules run without it)."""
    global _scan, _looked
    if not _looked:
        _looked = True
        _scan = native.load("cleaner.rules._scan")
        if _scan is None:
            _hyperscan()
    return _scan is not None or hyperscan is not None


def _hyperscan() -> Any:
    """The hyperscan module, imported on first use (None if it is not installed)."""
    global hyperscan
    if hyperscan is None:
        try:
            import hyperscan as module
        except ImportError:
            return None
        hyperscan = module
    return hyperscan


MAX_NEED = 30  # the most ``needed``'s weight may be (a digit is 1, a letter 4, a space 50)
MAX_SETS = 64  # sets of characters of a prefilter's row lengths (_scan.c's MAX_ALPHABETS: a bit each)
MAX_WIDTH = 1000  # a row length past which a length bound leaves out too few rows to bother
MIN_BYTES = 2  # a factor shorter than this is on nearly every row
GOOD_BYTES = 6  # a factor this long is rare enough; fewer of them beats longer ones
LONG = 8  # characters past which a factor is cut: shorter ones are as rare, and fewer
RARE_MARK = GOOD_BYTES  # what a mark beyond ASCII weighs in ``_rarity``: rare enough, as a long string
MAX_STRINGS = 256  # strings one run of a pattern may spell before it is cut
MAX_CLASS = 8  # members a class may have to be spelt out
_ANY_PROPERTY = "\U0010fffe"  # stands for \p{...} / \P{...} while Python's parser reads a pattern
# The characters whose lowercase is not their case class's: each becomes its uppercase's lowercase
# (LONG S -> s, FINAL SIGMA -> sigma, MICRO SIGN -> mu, KELVIN SIGN is lowered to k already).
# tests/test_prefilter.py checks this list against Python's Unicode tables and RE2's folding.
_SPECIAL = "\xb5\u017f\u0345\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1c88\u1e9b\u1fbe"
# Pairs RE2's case folding has (newer Unicode) and Python's lower() does not: the first is
# folded to the second (GREEK ... DIALYTIKA AND TONOS, LATIN SMALL LIGATURE LONG S T).
_PAIRS = {"\u1fd3": "\u0390", "\u1fe3": "\u03b0", "\ufb05": "\ufb06"}
_SPECIAL_TABLE = {ord(ch): ch.upper().lower() for ch in _SPECIAL} | {ord(a): b for a, b in _PAIRS.items()}
_TO_FIX = re.compile("[" + "".join(map(chr, _SPECIAL_TABLE)) + "]")
# What \s matches on a row (regex.to_re2 spells it out for RE2 the same), the newline aside.
_SPACES = (
    "\t\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
MAX_SPLITS = 200  # alternatives tried per pattern
MAX_SPELLINGS = 16  # spellings of one factor (two cases of four letters) before it is cut short
# Literals one set of factors may become before its strings are cut shorter. A set cut to two or
# three characters names most rows (an optional "* " before a hundred phrases spelt out at the
# row's start is thousands of strings): every row it names costs an RE2 test, a few microseconds
# where RE2 meets a new text, while the C matcher takes thousands more literals in milliseconds.
MAX_PER_SET = 4000


def fold(text: str) -> str:
    """Lowered, with ``_SPECIAL`` characters made their case class's lowercase."""
    text = text.lower()
    return text.translate(_SPECIAL_TABLE) if not text.isascii() and _TO_FIX.search(text) else text


@cache
def _folds_to() -> dict[str, str]:
    """For each folded character, the characters beyond ASCII that fold to it (one scan of the
    planes that hold cased letters; the tests check that no character past them has a case)."""
    chars = "".join(chr(cp) for cp in range(0x80, 0x20000) if not 0xD800 <= cp < 0xE000)
    lowered = chars.replace("\u0130", "").lower()  # DOTTED CAPITAL I lowers to two characters
    out: dict[str, str] = {}
    for ch, low in zip(chars.replace("\u0130", ""), lowered, strict=True):
        if ch != low or ch in _SPECIAL or ch in _PAIRS:
            key = fold(ch)
            out[key] = out.get(key, "") + ch
    return out


def _shorter(strings: set[str], at_start: bool) -> set[str]:
    """The strings cut shorter (a part of a factor is one) until their spellings are few enough."""
    size = LONG
    while size > 1 and sum(map(_count, strings)) > MAX_PER_SET:
        size -= 1
        cut = {x[:size] for x in strings}
        strings = _fewest(cut, str.startswith) if at_start else _fewest(cut, str.__contains__)
    return strings


def _count(factor: str) -> int:
    """len(_spellings(factor)), without spelling them."""
    table = _folds_to()
    count = 1
    for ch in factor:
        options = 1 + len(table.get(ch, ""))
        if count * options > MAX_SPELLINGS:
            break
        count *= options
    return count


def _spellings(factor: str) -> list[str]:
    """The factor as the text may spell it (beyond ASCII: the scan ignores ASCII case), cut
    short where the spellings would pass MAX_SPELLINGS (a start of a factor is a factor)."""
    table = _folds_to()
    out = [""]
    for ch in factor:
        options = [ch, *table.get(ch, "")]
        if len(out) * len(options) > MAX_SPELLINGS:
            break
        out = [a + b for a in out for b in options]
    return out


class _Open(Exception):
    """No finite set of strings: the item is something like ``\\w`` or ``x*``."""


@cache
def _char(cp: int) -> str:
    """The character as the scan sees it, if a pattern's match must hold it there."""
    ch = chr(cp)
    folded = fold(ch)
    if ch == "\n" or ch == _ANY_PROPERTY or len(folded) != 1:
        raise _Open  # (DOTTED CAPITAL I folds to two characters: no factor holds it)
    return folded


def _shortest(strings: set[str]) -> int:
    return min(len(x.encode()) for x in strings)


def _best(sets: list[set[str]], least: int) -> set[str] | None:
    """The most selective of several factor sets: the longest shortest string, then the fewest."""
    good = [s for s in sets if s and _shortest(s) >= least]
    if not good:
        return None
    # Past GOOD_BYTES a string is rare enough: then fewer strings are better than longer ones.
    return max(good, key=lambda s: (min(_rarity(s), GOOD_BYTES), -len(s)))


def _rarity(strings: set[str]) -> int:
    """``_shortest``, but a symbol or punctuation mark beyond ASCII ("»", "→") counts as a string of
    ``RARE_MARK`` bytes: text seldom holds one, where a common word of that length is on many rows."""
    return min(
        sum(RARE_MARK if ord(ch) > 0x7F and unicodedata.category(ch)[0] in "PS" else len(ch.encode()) for ch in x)
        for x in strings
    )


def _fewest(strings: set[str], covers: Any) -> set[str]:
    """The strings less those holding another one (a row holding "abc" holds "ab"): ``covers``
    is ``str.startswith`` for strings a row starts with, ``str.__contains__`` for the others."""
    kept: set[str] = set()
    prefixes = covers is str.startswith
    for string in sorted(strings, key=lambda x: (len(x), x)):
        n = len(string)
        parts = (
            (string[:j] for j in range(1, n))
            if prefixes
            else (string[i:j] for i in range(n) for j in range(i + 1, n + 1))
        )
        if not any(part in kept for part in parts):
            kept.add(string)
    return kept


class _Factors:
    def __init__(self) -> None:
        # By the parse node's op and id: a literal's node holds an int, and Python shares the
        # object of a small int, so ``[^e]`` after ``e`` has the same id (the op tells them apart).
        self.spelt: dict[tuple[Any, int, bool, bool], set[str] | None] = {}
        self.spaces = False  # spell \s out (at a row's start only: inside a run it multiplies it)
        self.splits = 0  # _alternatives calls, bounded: each optional part doubles the work

    def spell(self, op: Any, av: Any, caseless: bool) -> set[str]:
        """Every string the item matches (it raises _Open if they are too many or unbounded)."""
        key = (op, id(av), caseless, self.spaces)
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
                elif member is _c.CATEGORY and value is _c.CATEGORY_SPACE and len(av) == 1 and self.spaces:
                    return set(_SPACES)  # \s alone: few characters, all known
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

    def need_seq(self, items: Any, caseless: bool, least: int = 0) -> set[str] | None:
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
        return _best(choices, least or MIN_BYTES)

    def starts(self, items: Any, caseless: bool) -> set[str]:
        """Strings of which every match of the items starts with one (an empty one: no help)."""
        before, self.spaces = self.spaces, True
        try:
            return self._starts(items, caseless)
        finally:
            self.spaces = before

    def _starts(self, items: Any, caseless: bool) -> set[str]:
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


Factors = list[tuple[set[str], bool]]  # sets of strings, each with whether it is at the row's start


# (Each of _plan's tests parses a pattern: room for the shipped generic set's 448 scanned patterns,
# whole-row alternations split into their alternatives, so that each is parsed once a build.)
@lru_cache(maxsize=2048)
def _parse(pattern: str) -> Any:
    """Python's parse of the pattern (None if it may read it otherwise than RE2, or not at all)."""
    if _MISREAD.search(pattern):
        return None
    try:
        parsed = re._parser.parse(_for_python(pattern))  # type: ignore[attr-defined]
    except (re.error, OverflowError, RecursionError):
        return None
    if parsed.state.flags & ~(
        _c.SRE_FLAG_IGNORECASE | _c.SRE_FLAG_MULTILINE | _c.SRE_FLAG_DOTALL | _c.SRE_FLAG_UNICODE
    ):
        return None  # (?x), (?a)...: RE2 reads them otherwise, or not at all
    return parsed


def widths(pattern: str) -> tuple[int, int] | None:
    """For a pattern anchored at both ends of a row (``^...$``): the lengths a row it matches
    can have, in characters; None for any other pattern."""
    parsed = _parse(pattern)
    if parsed is None or len(parsed) < 2:
        return None
    if parsed[0] != (_c.AT, _c.AT_BEGINNING) or parsed[-1] not in ((_c.AT, _c.AT_END), (_c.AT, _c.AT_END_STRING)):
        return None
    try:
        return parsed.getwidth()
    except (re.error, OverflowError, RecursionError):
        return None


# What a class shorthand holds among the ASCII characters (to_re2 spells each for RE2 as Python
# reads it on str); each also holds characters past ASCII.
_ASCII_CATEGORIES = {
    _c.CATEGORY_DIGIT: "0123456789",
    _c.CATEGORY_SPACE: "".join(ch for ch in _SPACES if ch < "\x80") + "\n",
    _c.CATEGORY_WORD: "".join(chr(cp) for cp in range(128) if chr(cp).isalnum()) + "_",
}


class _Unknown(Exception):
    """An item whose characters ``alphabet`` or ``needed`` does not work out."""


Chars = tuple[str, bool]  # ASCII characters, and whether any character past ASCII is one too


def _one(op: Any, av: Any, caseless: bool) -> tuple[set[str], bool]:
    """The characters an item that matches one character (a literal, a class) may match: the
    ASCII ones, and whether any past ASCII. _Unknown for a negated class or category, or a
    caseless character past ASCII (KELVIN SIGN, LONG S... fold to ASCII letters)."""
    chars: set[str] = set()
    other = False
    members = [(_c.LITERAL, av)] if op is _c.LITERAL else av if op is _c.IN else None
    if members is None:
        raise _Unknown
    for member, value in members:
        if member is _c.CATEGORY and value in _ASCII_CATEGORIES:
            chars.update(_ASCII_CATEGORIES[value])
            other = True
            continue
        if member is _c.LITERAL:
            low, high = value, value
        elif member is _c.RANGE:
            low, high = value
        else:  # (a negated class or category)
            raise _Unknown
        if high >= 0x80:
            if caseless:
                raise _Unknown
            other = True
        for cp in range(low, min(high, 0x7F) + 1):
            ch = chr(cp)
            chars.add(ch)
            if caseless and ch.isalpha():
                chars.update((ch.lower(), ch.upper()))
                other = True  # (an ASCII letter's case class holds characters past ASCII)
    return chars, other


def alphabet(pattern: str) -> Chars | None:
    """For a pattern anchored at both ends of a row (``^...$``): the characters a row it
    matches can hold. Every character of such a row is one an item of the pattern matched, so
    a row with another cannot match (a row with a newline aside: its lines are matched apart).
    None when there is no such pattern, or it may match any character (``.``, a negated class),
    or a caseless character past ASCII or a ``\\p{...}`` may match characters the parse does not
    show."""
    if widths(pattern) is None or _ANY_PROPERTY in _for_python(pattern):
        return None
    chars: set[str] = set()
    other = False

    def walk(items: Any, caseless: bool) -> None:
        nonlocal other
        for op, av in items:
            if op is _c.SUBPATTERN:
                walk(av[3], _Factors.scope(av, caseless))
            elif op is _c.BRANCH:
                for branch in av[1]:
                    walk(branch, caseless)
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
                walk(av[2], caseless)
            elif op is not _c.AT:  # (an anchor matches no character)
                found, past = _one(op, av, caseless)
                chars.update(found)
                other |= past

    parsed = _parse(pattern)
    try:
        walk(parsed, bool(parsed.state.flags & _c.SRE_FLAG_IGNORECASE))
    except (_Unknown, ValueError, RecursionError):
        return None
    return "".join(sorted(chars)), other


def needed(pattern: str) -> Chars | None:
    """Characters of which every match of a bounded ``^...$`` pattern (one with ``widths``) holds
    one, the fewest found (a class every alternative needs, a digit of a date): a row with none
    of them cannot match. None when there are none known (as ``alphabet``)."""
    if widths(pattern) is None or _ANY_PROPERTY in _for_python(pattern):
        return None

    def weight(chars: tuple[set[str], bool]) -> int:
        # Roughly how many rows hold one: nearly all a space, many a letter, few a digit.
        return sum(50 if ch.isspace() else 4 if ch.isalpha() else 1 if ch.isdigit() else 6 for ch in chars[0]) + (
            5 if chars[1] else 0
        )

    def union(needs: Sequence[tuple[set[str], bool]]) -> tuple[set[str], bool]:
        return set().union(*(need[0] for need in needs)), any(need[1] for need in needs)

    def of_seq(items: Any, caseless: bool) -> tuple[set[str], bool] | None:
        found = choices(items, caseless)
        return min(found, key=weight) if found else None

    def choices(items: Any, caseless: bool) -> list[tuple[set[str], bool]]:
        """Each item's needed characters (a match of the items holds one of each)."""
        return [need for op, av in items if (need := of_item(op, av, caseless)) is not None]

    def of_item(op: Any, av: Any, caseless: bool) -> tuple[set[str], bool] | None:
        if op is _c.SUBPATTERN:
            return of_seq(av[3], _Factors.scope(av, caseless))
        if op is _c.BRANCH:
            # One choice per alternative, the union needed: each alternative's lightest at
            # first, then each one's again, as light as it is with the others' (a date's
            # "3.5.21" needs a digit as its other alternatives do, and its "." alone is lighter,
            # but "." and a digit are heavier together than a digit).
            options = [choices(branch, caseless) for branch in av[1]]
            if not all(options):
                return None
            picked = [min(found, key=weight) for found in options]
            for _ in range(2):
                for k, found in enumerate(options):
                    others = picked[:k] + picked[k + 1 :]
                    picked[k] = min(found, key=lambda need: weight(union([*others, need])))
            return union(picked)
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            return of_seq(av[2], caseless) if av[0] >= 1 else None
        if op is _c.AT:
            return None
        try:
            return _one(op, av, caseless)
        except _Unknown:
            return None

    parsed = _parse(pattern)
    try:
        need = of_seq(parsed, bool(parsed.state.flags & _c.SRE_FLAG_IGNORECASE))
    except (ValueError, RecursionError):
        return None
    # (A set most rows hold one of, a space or a few letters, leaves out too few rows to pay
    # for reading them.)
    return ("".join(sorted(need[0])), need[1]) if need is not None and weight(need) <= MAX_NEED else None


def first(pattern: str) -> Chars | None:
    """For a bounded ``^...$`` pattern (one with ``widths``): the characters a row it matches can
    start with (a date's digits and the first letters of its month and day names). None when
    not known (as ``alphabet``; a caseless character past ASCII is known here: its case class
    holds an ASCII letter only if it folds to one, see ``fold``), or when a match can be empty."""
    if widths(pattern) is None or _ANY_PROPERTY in _for_python(pattern):
        return None
    chars: set[str] = set()
    other = False

    def empty(items: Any, caseless: bool) -> bool:
        """Whether the items can match nothing; the characters their match can start with added."""
        return all(can_be_empty(op, av, caseless) for op, av in items)

    def can_be_empty(op: Any, av: Any, caseless: bool) -> bool:
        nonlocal other
        if op is _c.AT:
            return True  # (an anchor matches no character: the next item's is the first)
        if op is _c.SUBPATTERN:
            return empty(av[3], _Factors.scope(av, caseless))
        if op is _c.BRANCH:
            return any([empty(branch, caseless) for branch in av[1]])  # (a list: every branch's chars)
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            return empty(av[2], caseless) or av[0] == 0
        found, past = _folded_one(op, av) if caseless else _one(op, av, caseless)
        chars.update(found)
        other |= past
        return False

    parsed = _parse(pattern)
    try:
        if empty(parsed, bool(parsed.state.flags & _c.SRE_FLAG_IGNORECASE)):
            return None
    except (_Unknown, ValueError, RecursionError):
        return None
    return "".join(sorted(chars)), other


def _folded_one(op: Any, av: Any) -> tuple[set[str], bool]:
    """``_one`` of a caseless item, which also knows its literals past ASCII: the ASCII letters in
    such a character's case class are those of what it folds to (``fold``: KELVIN SIGN, LONG S)."""
    try:
        return _one(op, av, True)
    except _Unknown:
        members = [(_c.LITERAL, av)] if op is _c.LITERAL else av if op is _c.IN else []
        if not members or any(member is not _c.LITERAL for member, _ in members):
            raise
    chars: set[str] = set()
    for _, cp in members:
        folded = fold(chr(cp))
        if len(folded) != 1:
            raise _Unknown  # (DOTTED CAPITAL I)
        chars.update(ch for ch in (chr(cp), folded, folded.upper()) if ch < "\x80")
    return chars, True


_SPACE_SET = frozenset(_SPACES + "\n")  # what ``\\s`` matches (regex.to_re2 spells it so for RE2)
_ONE_CHARACTER = (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY, _c.CATEGORY)  # the items that match one character


def dense(pattern: str) -> int | None:
    """For a pattern anchored at both ends of a row (``^...$``): the most characters other than
    spaces (``_SPACES``) a row it matches can hold. Every character of such a row is one an item
    of the pattern matched, and an item that matches spaces alone (``\\s*``, " ", ``[\\s]``) adds
    none, so a row with more cannot match (a row with a newline aside: ``sparse``). Bounds what
    ``widths`` cannot, where spaces are unbounded (``\\s*``). None when there is no such pattern,
    or no bound up to ``MAX_WIDTH``."""
    if widths(pattern) is None:
        return None

    def spaces_only(op: Any, av: Any) -> bool:
        if op is _c.LITERAL:
            return chr(av) in _SPACE_SET
        if op is _c.IN:
            if not av or av[0][0] is _c.NEGATE:
                return False
            for member, value in av:
                if member is _c.LITERAL:
                    if chr(value) not in _SPACE_SET:
                        return False
                elif member is _c.RANGE:
                    # (any() stops at the first other character: a wide range's first, most often)
                    if any(chr(cp) not in _SPACE_SET for cp in range(value[0], value[1] + 1)):
                        return False
                elif not (member is _c.CATEGORY and value is _c.CATEGORY_SPACE):
                    return False
            return True
        return False

    def most(items: Any) -> int:
        total = 0
        for op, av in items:
            if op is _c.AT:
                continue
            if op is _c.SUBPATTERN:
                _Factors.scope(av, False)  # (ValueError for a flag RE2 reads otherwise)
                total += most(av[3])
            elif op is _c.BRANCH:
                total += max(most(branch) for branch in av[1])
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
                inner = most(av[2])
                total += inner * av[1] if inner else 0
            elif op in _ONE_CHARACTER:
                total += not spaces_only(op, av)
            else:
                raise _Unknown  # (no item of an RE2 pattern: no bound claimed for it)
            if total > MAX_WIDTH:
                raise _Unknown
        return total

    try:
        return most(_parse(pattern))
    except (_Unknown, ValueError, RecursionError):
        return None


def sparse(bound: int, text: str) -> bool:
    """Whether ``text`` may be a row a pattern of this ``dense`` bound matches: it has a newline
    (as ``holds``), or no more than ``bound`` characters other than spaces."""
    if len(text) <= bound or "\n" in text:
        return True
    return len(text) - sum(map(text.count, _SPACE_SET)) <= bound


def begins(start: Chars, text: str) -> bool:
    """Whether ``text`` may be a row a pattern whose rows start with these (``first``) matches: it
    has a newline (as ``holds``), or starts with one of them."""
    chars, other = start
    if "\n" in text:
        return True
    if not text:
        return False  # (no match of such a pattern is empty)
    return text[0] in chars if text[0] < "\x80" else other


def holds(allowed: Chars, text: str) -> bool:
    """Whether ``text`` may be a row a pattern of this ``alphabet`` matches: it has a newline
    (its lines are matched apart), or every character is one the alphabet holds."""
    chars, other = allowed
    return "\n" in text or all(ch in chars if ch < "\x80" else other for ch in text)


def meets(need: Chars, text: str) -> bool:
    """Whether ``text`` may be a row a pattern that ``needed`` these matches: it has a newline (as
    ``holds``), or a character of them."""
    chars, other = need
    return "\n" in text or any(ch in chars if ch < "\x80" else other for ch in text)


def factors(pattern: str) -> Factors | None:
    """What a row ``pattern`` matches on must hold: one of the strings of one of the sets
    (folded), at the row's start if the set says so (the pattern is anchored there). None when
    there is no such thing worth scanning for."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    try:
        items = list(parsed)
        at_start = bool(items) and items[0] == (_c.AT, _c.AT_BEGINNING)
        caseless = bool(parsed.state.flags & _c.SRE_FLAG_IGNORECASE)
        return _conditions(_Factors(), items[1:] if at_start else items, caseless, at_start)
    except (ValueError, RecursionError):
        return None


def _weak(found: Factors) -> bool:
    """Whether the factors hold a string so short that it is on many rows, anywhere in them."""
    return any(not at_start and _shortest(strings) < GOOD_BYTES // 2 for strings, at_start in found)


def _share(found: Factors) -> float:
    """A rough share of rows the factors name: each string as likely as a random one of its bytes
    over an alphabet of 8 (three more at the row's start, as ``_conditions`` weighs a start)."""
    return sum(8.0 ** -(len(x.encode()) + (3 if at_start else 0)) for strings, at_start in found for x in strings)


def _conditions(factor: _Factors, items: Any, caseless: bool, at_start: bool) -> Factors | None:
    """The items' factors: the best set for them all; or, if that is none or weak and they start
    with alternatives (a group of them, an optional part), one set per alternative, each for it
    and what follows (a match takes one alternative); or, last, a one-character string."""
    direct: Factors | None = None
    inside = factor.need_seq(items, caseless)
    if at_start:
        start = _best([factor.starts(items, caseless)], 1)
        # A prefix at the line start is rarer than a longer string anywhere in the line.
        if start is not None and (inside is None or _shortest(start) + 3 >= _shortest(inside)):
            return [(_fewest(start, str.startswith), True)]
    if inside is not None:
        direct = [(_fewest(inside, str.__contains__), False)]
    strong = direct is not None and not _weak(direct)
    if strong and not at_start:
        return direct
    split = _alternatives(factor, items, caseless, at_start)
    if strong:
        # Anchored at the row's start, a set for them all that is not weak is still strings found
        # anywhere in the row, and common words among them ("already ", " für ") name a row of
        # prose in every few; the alternatives, each at the row's start where it can be, may name
        # far fewer: the fewer by ``_share`` is taken (a paywall rule's candidate rows on real
        # pages went from 6.7 a page to none).
        return split if split is not None and _share(split) < _share(direct) else direct
    # Alternatives that are weak too can still name fewer rows than the set for them all: each
    # holds its alternative's own strings, some at the row's start, where that set holds every
    # alternative's anywhere in the row.
    if split is not None and (direct is None or not _weak(split) or _share(split) < _share(direct)):
        return split
    if direct is not None:
        return direct
    # A last resort: one character ('#', '»') still leaves out most rows.
    inside = factor.need_seq(items, caseless, 1)
    return [(_fewest(inside, str.__contains__), False)] if inside is not None else None


def _alternatives(factor: _Factors, items: Any, caseless: bool, at_start: bool) -> Factors | None:
    factor.splits += 1
    if not items or factor.splits > MAX_SPLITS:
        return None
    op, av = items[0]
    if op is _c.SUBPATTERN:
        return _conditions(factor, list(av[3]), factor.scope(av, caseless), at_start)
    alternatives: list[list[Any]] = []
    if op is _c.BRANCH:  # (what follows is left out: less selective, but no product of choices)
        alternatives = [list(branch) for branch in av[1]]
    elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
        alternatives = [list(av[2]) + items[1:], items[1:]]  # with the optional part, and without it
    if not alternatives:
        return None
    out: Factors = []
    for alternative in alternatives:
        found = _conditions(factor, alternative, caseless, at_start)
        if found is None:
            return None
        out += found
    return out


class Prefilter:
    """The factors of a list of rule patterns in one matcher of literals; ``rows`` gives the rows
    each pattern may match on. ``always`` holds the patterns without factors: they may match on
    every row."""

    def __init__(self, patterns: Sequence[str], use_native: bool | None = None):
        """``use_native``: scan with the C matcher (the default where it is built) or with
        hyperscan (the fallback, and the tests' oracle)."""
        available()
        self.native = _scan is not None if use_native is None else use_native
        assert (_scan if self.native else _hyperscan()) is not None
        self.size = len(patterns)
        self.db: Any = None  # hyperscan's database
        self.matcher: Any = None  # the C one
        cached = _cache_path(patterns, self.native)
        loaded = _load(cached, self.native, self.size) if cached is not None else None
        if loaded is None:
            state = _plan(patterns)
            literals: list[bytes] = state["literals"]
            if state["owners"]:
                if not self.native:
                    self.db = _compile(literals)
                if cached is not None:
                    # The literals are stored too (the C matcher is built from them: quick).
                    _store(cached, state, hyperscan.dumpb(self.db) if self.db is not None else b"")
        else:
            state, self.db = loaded
            literals = state["literals"]
        self.always: list[int] = state["always"]
        # By scanned pattern (_plan): the pattern it is (an alternative of); the lists below are by
        # scanned pattern.
        self.real: list[int] = state["real"]
        self.counted: list[int] = state["counted"]  # the patterns with row lengths and no factors
        # Patterns anchored at both ends of a row with a bounded match: the lengths of a row they
        # can match (the rows of other lengths are left out, with factors or without), and, if
        # any is known, the pattern's ``alphabet``, ``needed`` and ``first`` (None for one not known),
        # and its ``dense`` bound if it says more than the lengths; and the patterns with factors
        # whose match is bounded by ``dense`` alone (spaces unbounded): their lengths, up to
        # sys.maxsize, and that bound.
        self.lengths: list[tuple[Any, ...]] = [tuple(x) for x in state["lengths"]]
        self.owners: list[list[int]] = state["owners"]  # by literal: the patterns it is a factor of
        self.scratch: Any = None
        if self.native:
            self.matcher = _scan.build(literals, self.owners, len(self.real), self.counted, self.lengths, self.real)
            self._native_rows = _scan.rows
        elif self.db is not None:
            self.scratch = hyperscan.Scratch(self.db)

    def scan(self, texts: list[str]) -> list[set[int]]:
        """For each pattern, the rows of ``texts`` it may match on."""
        found: list[set[int]] = [set() for _ in range(self.size)]
        for index, rows in self.rows(texts).items():
            found[index] = set(rows)
        return found

    def rows(
        self, texts: list[str], keys: tuple[Any, ...] | None = None, limit: int | None = None
    ) -> dict[Any, list[int]]:
        """The rows of ``texts`` (sorted) each pattern may match on, for the patterns that may
        match on any (a pattern left out may match on none): the engine looks only at these.
        ``keys`` (one per pattern): each pattern's rows under its key, a pattern whose key is
        None left out (the engine's rules, in one pass). ``limit``: a text longer than this is
        read as "" (the engine's rows too long to scan, ``compiled.scannable``)."""
        if keys is not None and (type(keys) is not tuple or len(keys) != self.size):
            raise ValueError("keys: a tuple of one key per pattern")
        if self.matcher is not None:
            if limit is not None:
                return self._native_rows(self.matcher, texts, keys, limit)  # (the C scan reads them as "")
            if keys is None:
                return self._native_rows(self.matcher, texts)  # (the length bounds applied too)
            return self._native_rows(self.matcher, texts, keys)
        if limit is not None and max(map(len, texts), default=0) > limit:
            texts = [text if len(text) <= limit else "" for text in texts]
        found: dict[int, list[int]] = {}
        if self.db is not None:
            joined = "\n" + "\n".join(texts) + "\n"
            data = joined.encode("utf-8", "surrogatepass")
            found = self._hyperscan_rows(texts, data, len(data) == len(joined))
        if self.lengths:
            self._by_length(found, texts)
        if len(self.real) != self.size:
            found = self._by_pattern(found)
        if keys is None:
            return found
        return {keys[index]: rows for index, rows in found.items() if keys[index] is not None}

    def _hyperscan_rows(self, texts: list[str], data: bytes, ascii: bool) -> dict[int, list[int]]:
        """``rows``'s scan with hyperscan, a Python callback per match (what _scan.c does in C):
        a match's row is the one its last byte is on; rows start where the texts' lengths say
        (``ascii``: a character is a byte), or after each newline."""
        if ascii:
            starts = list(accumulate((len(text) + 1 for text in texts), initial=1))
        else:
            starts = [m.end() for m in _NEWLINE.finditer(data)]
        found: dict[int, set[int]] = {}
        owners = self.owners
        get = found.get

        # Called once per match (the hot part): as little as can be done in Python.
        def on_match(literal: int, _start: int, end: int, _flags: int, _context: Any) -> None:
            row = bisect_right(starts, end - 1) - 1
            for index in owners[literal]:
                rows = get(index)
                if rows is None:
                    found[index] = {row}
                else:
                    rows.add(row)

        self.db.scan(data, match_event_handler=on_match, scratch=self.scratch)
        return {index: sorted(rows) for index, rows in found.items()}

    def _by_pattern(self, found: dict[int, list[int]]) -> dict[int, list[int]]:
        """The rows of the scanned patterns (``real``) as their patterns': the union of each
        one's alternatives' rows, in the order of the first alternative found."""
        merged: dict[int, set[int]] = {}
        for index, rows in found.items():
            merged.setdefault(self.real[index], set()).update(rows)
        return {index: sorted(rows) for index, rows in merged.items()}

    def _by_length(self, found: dict[int, list[int]], texts: list[str]) -> None:
        """Leave out the rows of a length the pattern cannot match, or with a character it cannot
        (``alphabet``), or none of the characters it needs (``needed``), or a first character no
        match starts with (``first``), or more characters other than spaces than it can match
        (``dense``); and a pattern left with none."""
        sizes = [len(text) for text in texts]
        for index in self.counted:
            found[index] = list(range(len(texts)))  # its bounds below leave out the rows too long to scan ("")
        for index, low, high, *tests in self.lengths:
            rows = found.get(index)
            if rows is None:
                continue
            kept = [row for row in rows if low <= sizes[row] <= high and sizes[row]]
            if tests and tests[0] is not None:
                kept = [row for row in kept if holds(tests[0], texts[row])]
            if tests and tests[1] is not None:
                kept = [row for row in kept if meets(tests[1], texts[row])]
            if len(tests) > 2 and tests[2] is not None:
                kept = [row for row in kept if begins(tests[2], texts[row])]
            if len(tests) > 3:
                kept = [row for row in kept if sparse(tests[3], texts[row])]
            if kept:
                found[index] = kept
            else:
                del found[index]


def _plan(patterns: Sequence[str]) -> dict[str, Any]:
    """What the database holds: its literals and whose they are; which patterns have none.

    The scan looks for ``scanned`` patterns, each one of the patterns (``real``: which), or each
    alternative of one that is an alternation of the whole row, ``^(?:A|B|C)$``, when every
    alternative has factors or a length bound: such a pattern matches a row where one
    alternative does, so it may match only the rows one alternative's factors and bounds name
    (their union), and those are fewer than the whole's bounds and factors name (a heading
    rule's hundreds of words: a row of a word's length that starts with it, not any row of up to
    the longest word's length that starts with one). Their literals, row lengths and sets are
    by scanned pattern; ``always`` by pattern (one that has no factors nor bounds is not split).
    """
    scanned: list[_Scanned] = []
    for index, pattern in enumerate(patterns):
        subs = alternatives(pattern) or []
        done = [(sub, factors(sub), widths(sub)) for sub in subs]
        if done and all(found is not None or _bounded(width) for _, found, width in done):
            scanned += [_Scanned(index, sub, found, width, True) for sub, found, width in done]
        else:
            scanned.append(_Scanned(index, pattern, factors(pattern), widths(pattern), False))
    # The sets of characters (at most MAX_SETS) go first to the patterns that have no factors
    # (their row lengths and sets are all that filters their rows: without them, every row of a
    # length), then to the patterns not split, then to the alternatives of those split into the
    # fewest: a split pattern's alternative has its own length bound, so it needs them least.
    split = Counter(one.index for one in scanned if one.split)  # (alternatives by pattern split)
    sets = 0
    tests: dict[int, list[Chars | None]] = {}

    def need(k: int) -> tuple[bool, bool, int, int]:
        found = scanned[k].factors
        return (found is not None, found is None or not _weak(found), split[scanned[k].index], k)

    order = sorted(range(len(scanned)), key=need)
    for k in order:
        pattern, width = scanned[k].text, scanned[k].widths
        if _bounded(width):
            # (With the characters its rows may hold, and those they need one of, where known.)
            tests[k] = [alphabet(pattern), needed(pattern), first(pattern)]
            for j, test in enumerate(tests[k]):
                sets += test is not None
                if sets > MAX_SETS:
                    tests[k][j] = None
    always: list[int] = []
    lengths: list[tuple[Any, ...]] = []
    counted: list[int] = []
    owners: dict[tuple[str, bool], list[int]] = {}
    for k, (index, pattern, found, width, _) in enumerate(scanned):
        most = dense(pattern)
        if most is not None and width is not None and most >= width[1]:
            most = None  # (its length bound says as much)
        if k in tests:
            assert width is not None  # (_bounded)
            if most is not None:
                lengths.append((k, *width, *tests[k], most))
            else:
                lengths.append((k, *width, *tests[k]) if tests[k] != [None, None, None] else (k, *width))
        elif most is not None and found is not None and width is not None and width[0] > 0:
            # Unbounded by its spaces alone (``\s*``): its rows of too many other characters go.
            # (Not one without factors: it stays in ``always``; nor one that can match an empty
            # row: the bounds leave out the empty rows.)
            lengths.append((k, width[0], sys.maxsize, None, None, None, most))
        if found is None:
            if k in tests:
                counted.append(k)
            else:
                always.append(index)
            continue
        for strings, at_start in found:
            for string in _shorter(strings, at_start):
                owners.setdefault((string, at_start), []).append(k)
    literals: list[bytes] = []
    by_literal: list[list[int]] = []
    for string, at_start in sorted(owners):
        for spelling in _spellings(string):
            # A factor the match starts with follows the newline that ends the row before.
            literals.append((("\n" if at_start else "") + spelling).encode("utf-8", "surrogatepass"))
            by_literal.append(owners[string, at_start])
    real = [index for index, *_ in scanned]
    return {
        "always": always,
        "lengths": lengths,
        "counted": counted,
        "owners": by_literal,
        "literals": literals,
        "real": real,
    }


class _Scanned(NamedTuple):
    """A pattern the scan looks for (_plan): one of the rule set's, or an alternative of one."""

    index: int  # the pattern it is (an alternative of)
    text: str
    factors: Factors | None
    widths: tuple[int, int] | None
    split: bool  # an alternative


def _bounded(width: tuple[int, int] | None) -> bool:
    """Whether a pattern of these ``widths`` has row lengths worth a bound."""
    return width is not None and width[1] <= MAX_WIDTH


def scans_every_row(pattern: str) -> bool:
    """Whether the scan would name nearly every row for ``pattern`` (a rule's, or one branch of
    it): nothing bounds its rows' length, and it holds no factor, or one of its factors is a
    single space, letter or digit found anywhere in a row (a name and a date in figures: " ").
    RE2 then tests it on each of those rows, on every page (cost.py warns of it). (Only the
    plainest case: a short factor such as "AP" or "@" names few rows, which no rule says.)"""
    if _bounded(widths(pattern)):
        return False
    found = factors(pattern)
    if found is None:
        return True
    return any(
        not at_start and any(len(x) == 1 and (x.isspace() or x.isalnum()) for x in strings)
        for strings, at_start in found
    )


def _compile(literals: list[bytes]) -> Any:
    assert hyperscan is not None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=literals,
        ids=list(range(len(literals))),
        elements=len(literals),
        flags=hyperscan.HS_FLAG_CASELESS,  # ASCII letters, in either case
        literal=True,
    )
    return db


# Building a matcher takes a second or more (parsing the patterns, then hyperscan's compiling);
# what it is built from (and hyperscan's database) is kept in the cache directory (diskcache.py),
# named by everything it depends on, so each run after the first loads it. The C matcher is
# built from the stored literals (milliseconds): its entry's database file is empty.


@cache
def _source() -> str:
    """This module's source and regex.py's (which splits a pattern into its alternatives, _plan)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(__file__).with_name("regex.py").read_bytes())
    return digest.hexdigest()


def _covers(real: Any, size: int) -> bool:
    """Whether ``real`` names, for each scanned pattern in order, one of ``size`` patterns, each
    at least once and in order (as _plan makes it): else the entry is not this rule set's."""
    return (
        isinstance(real, list)
        and all(type(index) is int for index in real)
        and sorted(set(real)) == list(range(size))
        and real == sorted(real)
    )


def _cache_path(patterns: Sequence[str], use_native: bool) -> Path | None:
    root = diskcache.root()
    if root is None:
        return None
    # This module's source is in the key: a database built by other code is never loaded; and
    # the matcher's kind: an entry for the C one holds no database.
    engine = "native" if use_native else _hyperscan().__version__
    key = json.dumps([_source(), engine, unicodedata.unidata_version, sys.version_info[:2], list(patterns)])
    return root / f"prefilter-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


_cached: dict[tuple[Path | None, bool, tuple[str, ...]], bool] = {}


def cached(patterns: Sequence[str]) -> bool:
    """Whether the prefilter of these patterns is in the cache: then building it is loading it
    (milliseconds), worth it from a run's first document on."""
    if not available():
        return False
    use_native = _scan is not None
    key = (diskcache.root(), use_native, tuple(patterns))
    if key not in _cached:
        path = _cache_path(patterns, use_native)
        # os.path.isfile: False for a directory that cannot be entered (Path.is_file raises there).
        _cached[key] = path is not None and all(os.path.isfile(path.with_suffix(s)) for s in (".state", ".hsdb"))
    return _cached[key]


def _load(path: Path, use_native: bool, size: int) -> tuple[dict[str, Any], Any] | None:
    errors: tuple[type[Exception], ...] = (OSError, ValueError, EOFError, TypeError)
    if not use_native:
        errors += (hyperscan.error,)
    try:
        # (marshal: plain lists, ints and bytes, read back in a fraction of JSON's time, the
        # literals already bytes; a worker of a one-document run loads this at its start.)
        state = marshal.loads(path.with_suffix(".state").read_bytes())
        data = path.with_suffix(".hsdb").read_bytes()
        if (
            not isinstance(state, dict)
            or not {"always", "counted", "lengths", "owners", "literals", "real"} <= state.keys()
        ):
            return None
        literals = state["literals"]
        if not isinstance(literals, list) or not all(type(literal) is bytes for literal in literals):
            return None
        if not _covers(state["real"], size):
            return None
        db = None
        if data and not use_native:
            db = hyperscan.loadb(data, hyperscan.HS_MODE_BLOCK)
            # One built for another CPU (a shared home) fails here, not mid-run.
            db.scan(b"", match_event_handler=lambda *_: None, scratch=hyperscan.Scratch(db))
    except errors:
        return None  # none yet, unreadable, or built for another CPU: build it
    diskcache.used(path.with_suffix(".state"))  # (pruning keeps the entries used last)
    return state, db


def _store(path: Path, state: dict[str, Any], data: bytes) -> None:
    """Write the files, each whole or not at all, the state last (it is what says the entry is
    there); then prune the directory of the entries used least recently."""
    if diskcache.write(path.with_suffix(".hsdb"), data) and diskcache.write(
        path.with_suffix(".state"), marshal.dumps(state)
    ):
        diskcache.prune(path.parent)
