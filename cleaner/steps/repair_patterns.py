"""ftfy's regular expressions read mechanically (from sre's own parse) into the forms _repair.c
matches by hand, and the code point ranges they are made of.

Each reader takes one shape of pattern ftfy uses and gives what the C half is configured with,
or None for any pattern not of exactly that shape (another ftfy, another flag, a class past what
the C tables hold), which then stays sre's: branches() for BADNESS_RE, table() for LOSSY_UTF8_RE
and ALTERED_UTF8_RE, whole_class() for ENCODING_REGEXES, detector() for UTF8_DETECTOR_RE. The
gate's witnesses (repair_gate.witnesses) are read with the same helpers (plain, rarity). They
read patterns only: they import neither ftfy nor the C half (repair_ftfy.py and
repair_matchers.py hand them ftfy's patterns and give what they read to _repair.c), so the tests
can hold each to sre on patterns made for the purpose.
"""

from __future__ import annotations

import re
from typing import Any

# ---- code point ranges ----

TOP = 0x10FFFF  # the last code point

Ranges = list[list[int]]  # [first, last] code points, inclusive, sorted, not touching


def merged(points: list[tuple[int, int]]) -> Ranges:
    out: Ranges = []
    for first, last in sorted(points):
        if out and first <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], last)
        else:
            out.append([first, last])
    return out


def _complement(ranges: Ranges) -> Ranges:
    out: Ranges = []
    start = 0
    for first, last in ranges:
        if first > start:
            out.append([start, first - 1])
        start = last + 1
    if start <= TOP:
        out.append([start, TOP])
    return out


def _cost(ranges: Ranges) -> tuple[int, int]:
    """How often a class meets text: ASCII first (everywhere), then its size."""
    ascii = sum(max(0, min(last, 0x7F) - first + 1) for first, last in ranges)
    return ascii, sum(last - first + 1 for first, last in ranges)


def rarity(first: Ranges, second: Ranges) -> tuple[int, int]:
    """How often two characters in a row, of ``first`` then ``second``, meet text (smaller is
    rarer): how a branch's pair of neighbours is chosen, for the C test to look up."""
    (first_ascii, first_size), (second_ascii, second_size) = _cost(first), _cost(second)
    return first_ascii + second_ascii, first_size * second_size


# ---- one character of a parsed pattern, and a pattern's top-level alternation (every reader) ----

# Flags of an item, as _repair.c reads them.
SPACE, WORD, NEGATE, OPTIONAL = 1, 2, 4, 8

Item = tuple[Ranges, int]


def _item(op: object, av: Any) -> Item | None:
    """One character of a parsed pattern as (ranges, flags), or None when it is not one this reads."""
    from re import _constants as c  # type: ignore[attr-defined]

    if op is c.LITERAL:
        return [[av, av]], 0
    if op is c.NOT_LITERAL:
        return _complement([[av, av]]), 0
    if op is c.ANY:  # no DOTALL (each reader refuses that flag): anything but a newline
        return _complement([[10, 10]]), 0
    if op is not c.IN:
        return None
    points: list[tuple[int, int]] = []
    flags = 0
    for kind, value in av:
        if kind is c.NEGATE:
            flags |= NEGATE
        elif kind is c.LITERAL:
            points.append((value, value))
        elif kind is c.RANGE:
            points.append(value)
        elif kind is c.CATEGORY and value is c.CATEGORY_SPACE:
            flags |= SPACE
        elif kind is c.CATEGORY and value is c.CATEGORY_WORD:
            flags |= WORD
        else:
            return None
    ranges = merged(points)
    if flags == NEGATE:  # a plain class, negated: its complement
        return _complement(ranges), 0
    return ranges, flags


def plain(op: object, av: Any) -> Ranges | None:
    """The code points one character of a parsed pattern matches, when it is a plain class (no
    \\s or \\w, which _repair.c matches by sre's rules), or None."""
    found = _item(op, av)
    return found[0] if found is not None and not found[1] else None


def _alternatives(pattern: re.Pattern[Any]) -> list[Any] | None:
    """The parsed branches of ``pattern``'s top-level alternation (the whole pattern when it has
    none), or None for flags other than VERBOSE or a pattern sre does not parse."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    if pattern.flags & ~(re.VERBOSE | re.UNICODE):
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags & ~re.UNICODE)
    except re.error:
        return None
    # (One branch when there is no alternation: the parser makes "a|b" a class, and factors a
    # prefix that branches share, "ab|ac", into an alternation inside, which is then refused.)
    whole = len(parsed.data) == 1 and parsed.data[0][0] is c.BRANCH
    return list(parsed.data[0][1][1]) if whole else [parsed]


# ---- ftfy's mojibake test, BADNESS_RE (branches; C: is_bad) ----
#
# Each branch is a run of characters, each from a class (code point ranges, or \s and \w as sre
# has them), some optional, the first maybe anchored at the start. The C test finds a branch's
# two neighbouring classes (its trigger) with a table look-up a character, then matches the
# branch there by hand; tests/test_native_ftfy.py holds it to ftfy's is_bad on random strings.

MAX_ITEMS = 16  # characters a branch matches, at most (_repair.c's limit)
MAX_OPTIONAL = 4  # optional ones among them (each doubles the ways to match)

Branch = tuple[bool, list[Item], int, bool]  # anchored, items, trigger item, trigger is a pair


def _branch(items: list[tuple[object, Any]]) -> Branch | None:
    """One branch as _repair.c takes it: whether ``^`` anchors it, its characters, and the item
    (with the next one, for a pair) whose look-up triggers a match: the rarest plain pair of
    neighbours, or its one character. None when it has other items or no such trigger."""
    from re import _constants as c  # type: ignore[attr-defined]

    anchored = bool(items) and items[0][0] is c.AT and items[0][1] is c.AT_BEGINNING
    out: list[Item] = []
    for op, av in items[1:] if anchored else items:
        optional = op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] == 0 and av[1] == 1 and len(av[2].data) == 1
        found = _item(*av[2].data[0]) if optional else _item(op, av)
        if found is None:
            return None
        out.append((found[0], found[1] | (OPTIONAL if optional else 0)))
    if not out or len(out) > MAX_ITEMS or sum(flags & OPTIONAL != 0 for _, flags in out) > MAX_OPTIONAL:
        return None
    unflagged = [flags == 0 for _, flags in out]
    if len(out) == 1:
        return (anchored, out, 0, False) if unflagged[0] else None
    pairs = [k for k in range(len(out) - 1) if unflagged[k] and unflagged[k + 1]]
    if not pairs:
        return None
    return anchored, out, min(pairs, key=lambda k: rarity(out[k][0], out[k + 1][0])), True


def branches(pattern: re.Pattern[str]) -> list[Branch] | None:
    """``pattern`` (ftfy's BADNESS_RE) as branches for _repair.c, or None when it is not a plain
    alternation of such branches (at most 64 of them), or one such branch."""
    parsed = _alternatives(pattern)
    if parsed is None:
        return None
    out = [_branch(list(branch.data)) for branch in parsed]
    if len(out) > 64 or any(branch is None for branch in out):
        return None
    return out  # type: ignore[return-value]


# ---- ftfy's byte patterns of fixed-length branches (table; repair_matchers.Alternation) ----

ALT_BRANCHES, ALT_ITEMS = 64, 16  # _repair.c's limits


def table(pattern: re.Pattern[bytes]) -> bytes | None:
    """A bytes ``pattern`` as _repair.c's alternation table (the number of branches, then each
    branch's length and its classes as 256-bit sets), or None when it is not an alternation of
    fixed-length runs of byte classes (the whole pattern may be one such run)."""
    if not isinstance(pattern.pattern, bytes) or pattern.flags & ~re.VERBOSE:
        return None
    parsed = _alternatives(pattern)
    if parsed is None or not 1 <= len(parsed) <= ALT_BRANCHES:
        return None
    out = bytearray([len(parsed)])
    for branch in parsed:
        found = [plain(op, av) for op, av in branch.data]
        items = [ranges for ranges in found if ranges is not None]
        if not 1 <= len(found) <= ALT_ITEMS or len(items) != len(found):
            return None
        out.append(len(items))
        for ranges in items:
            bits = 0
            for low, high in ranges:  # (a complement runs past 0xFF: a byte is at most 0xFF)
                if low <= 0xFF:
                    bits |= ((1 << (min(high, 0xFF) - low + 1)) - 1) << low
            out += bits.to_bytes(32, "little")
    return bytes(out)


def needed(pattern: re.Pattern[Any]) -> frozenset[int] | None:
    """Code points one of which every match of ``pattern`` holds (one plain class of each branch,
    the fewest in all), or None when the pattern is not read as branches of such classes."""
    parsed = _alternatives(pattern)
    if parsed is None:
        return None
    classes: list[list[frozenset[int]]] = []
    for branch in parsed:
        found = [plain(op, av) for op, av in branch.data]
        sets = [
            frozenset(p for low, high in ranges for p in range(low, high + 1)) for ranges in found if ranges is not None
        ]
        if not sets or min(map(len, sets)) > 256:
            return None
        classes.append(sets)
    chosen: set[int] = set()
    for sets in sorted(classes, key=lambda sets: min(map(len, sets))):
        if not any(one <= chosen for one in sets):
            chosen |= min(sets, key=len)
    return frozenset(chosen)


# ---- ftfy's possible_encoding patterns, ^[class]*$ (whole_class; repair_matchers.Encodings) ----


def whole_class(pattern: Any) -> Ranges | None:
    """The class of a str pattern ``^[class]*$`` as code point ranges below U+10000, or None for
    any other pattern (another form, a flag, a class reaching past U+FFFF)."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    if not isinstance(pattern, re.Pattern) or not isinstance(pattern.pattern, str) or pattern.flags != re.UNICODE:
        return None
    try:
        parsed = list(_parser.parse(pattern.pattern, 0).data)
    except re.error:
        return None
    if len(parsed) != 3 or parsed[0] != (c.AT, c.AT_BEGINNING) or parsed[2] != (c.AT, c.AT_END):
        return None
    op, av = parsed[1]
    if op is not c.MAX_REPEAT or av[0] != 0 or av[1] is not c.MAXREPEAT or len(av[2].data) != 1:
        return None
    ranges = plain(*av[2].data[0])
    if ranges is None or any(high > 0xFFFF for _, high in ranges):
        return None
    return ranges


# ---- ftfy's UTF8_DETECTOR_RE, (?<![class])(run|...)+ (detector; repair_matchers.Detector) ----

DET_CLASSES, DET_RUNS, DET_ITEMS = 8, 16, 16  # _repair.c's limits


def _run(items: list[tuple[object, Any]]) -> list[Ranges] | None:
    """One branch as a run of plain classes (x{k} read as k of x), or None."""
    from re import _constants as c  # type: ignore[attr-defined]

    out: list[Ranges] = []
    for op, av in items:
        times = 1
        if op is c.MAX_REPEAT or op is c.MIN_REPEAT:
            if av[0] != av[1] or not 1 <= av[0] <= DET_ITEMS or len(av[2].data) != 1:
                return None
            times, (op, av) = av[0], av[2].data[0]
        ranges = plain(op, av)
        if ranges is None:
            return None
        out += [ranges] * times
    return out if 1 <= len(out) <= DET_ITEMS else None


def detector(pattern: Any) -> tuple[list[Ranges], int, list[list[int]]] | None:
    """A str ``pattern`` of the form (?<![class])(run|run|...)+ (the lookbehind optional, the
    group capturing or not) as _repair.c's configure_detector takes it: its distinct classes, the
    lookbehind's index among them (-1: none) and each run as indices; None for any other pattern
    (another form or flag, a class reaching past U+FFFF, too many of anything)."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    if not isinstance(pattern, re.Pattern) or not isinstance(pattern.pattern, str):
        return None
    if pattern.flags & ~(re.VERBOSE | re.UNICODE) or not pattern.flags & re.UNICODE:
        return None
    try:
        parsed = list(_parser.parse(pattern.pattern, pattern.flags & ~re.UNICODE).data)
    except re.error:
        return None
    behind: Ranges | None = None
    if parsed and parsed[0][0] is c.ASSERT_NOT:
        direction, inner = parsed[0][1]
        behind = plain(*inner.data[0]) if direction == -1 and len(inner.data) == 1 else None
        if behind is None:
            return None
        parsed = parsed[1:]
    if len(parsed) != 1 or parsed[0][0] is not c.MAX_REPEAT:
        return None
    low, high, body = parsed[0][1]
    if low != 1 or high is not c.MAXREPEAT:
        return None
    data = list(body.data)
    if len(data) == 1 and data[0][0] is c.SUBPATTERN:
        _, add_flags, del_flags, inner = data[0][1]
        if add_flags or del_flags:
            return None
        data = list(inner.data)
    # (the runs of an alternation, or the body itself as one run)
    branches = [list(b.data) for b in data[0][1][1]] if len(data) == 1 and data[0][0] is c.BRANCH else [data]
    runs = [_run(branch) for branch in branches]
    if not 1 <= len(runs) <= DET_RUNS or any(run is None for run in runs):
        return None
    classes: list[Ranges] = []

    def index(ranges: Ranges) -> int:
        if ranges not in classes:
            classes.append(ranges)
        return classes.index(ranges)

    back = -1 if behind is None else index(behind)
    indices = [[index(ranges) for ranges in run] for run in runs]  # type: ignore[union-attr]
    if len(classes) > DET_CLASSES or any(high > 0xFFFF for ranges in classes for _, high in ranges):
        return None
    return classes, back, indices
