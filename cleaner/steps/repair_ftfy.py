"""ftfy's fix_and_explain with its mojibake test (badness.is_bad) answered in C, to the bit.

ftfy calls is_bad about three times for each line it fixes (on the line, then on what each fix
gives, to see that nothing is left), and BADNESS_RE, a 37-branch alternation of character
classes, costs ~60 µs a call: half of what ftfy spends on a line. _repair.c answers the same
question from ftfy's own pattern, read here mechanically (as repair_gate reads its witnesses):
each branch is a run of characters, each from a class (code point ranges, or \\s and \\w as sre
has them), some optional, the first maybe anchored at the start. The C test finds a branch's
two neighbouring classes (its trigger) with a table look-up a character, then matches the
branch there by hand; tests/test_native_ftfy.py holds it to ftfy's is_bad on random strings.

ftfy itself is left alone: the functions of ftfy's module that call is_bad are rebuilt with the
same code over a copy of the module's globals in which is_bad is the C one, so another user of
ftfy in the process sees ftfy as it is. Anything not read that way (another ftfy, a pattern of
other kinds of items) leaves ftfy's own fix_and_explain in use.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from functools import cache
from typing import Any

from cleaner.steps.repair_gate import Ranges, _complement, _cost, _merged

# Flags of an item, as _repair.c reads them.
SPACE, WORD, NEGATE, OPTIONAL = 1, 2, 4, 8
MAX_ITEMS = 16  # characters a branch matches, at most (_repair.c's limit)
MAX_OPTIONAL = 4  # optional ones among them (each doubles the ways to match)

Item = tuple[Ranges, int]
Branch = tuple[bool, list[Item], int, bool]  # anchored, items, trigger item, trigger is a pair


def _item(op: object, av: Any) -> Item | None:
    """One character of a parsed pattern as (ranges, flags), or None when it is not one this reads."""
    from re import _constants as c  # type: ignore[attr-defined]

    if op is c.LITERAL:
        return [[av, av]], 0
    if op is c.NOT_LITERAL:
        return _complement([[av, av]]), 0
    if op is c.ANY:  # no DOTALL (witnesses() refuses other flags): anything but a newline
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
    ranges = _merged(points)
    if flags == NEGATE:  # a plain class, negated: its complement
        return _complement(ranges), 0
    return ranges, flags


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
    plain = [flags == 0 for _, flags in out]
    if len(out) == 1:
        return (anchored, out, 0, False) if plain[0] else None
    pairs = [k for k in range(len(out) - 1) if plain[k] and plain[k + 1]]
    if not pairs:
        return None

    def rarity(k: int) -> tuple[int, int]:
        first, second = _cost(out[k][0]), _cost(out[k + 1][0])
        return first[0] + second[0], first[1] * second[1]

    return anchored, out, min(pairs, key=rarity), True


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


# ftfy's functions that call is_bad or its fixers (FIXERS, through _try_fix), in the module that
# calls them by those names, and the functions those are reached through: each is rebuilt over
# the copied globals.
_REBUILT = (
    "_try_fix",
    "fix_and_explain",
    "fix_encoding_and_explain",
    "_fix_encoding_one_step_and_explain",
    "fix_encoding",
)

# ftfy's fixers that change only a text holding one of the characters of the gate's control
# class (C1 and other control characters, escape, lone surrogates), known by the names their code
# uses: a translate table, or patterns each of whose matches starts with such a character. Run on
# every line ftfy fixes, twice (~40% of what is left of ftfy's cost on a line after is_bad); a
# text without such a character is given back as it is.
_CONTROL_FIXERS = {
    "remove_control_chars": ("translate", "CONTROL_CHARS"),
    "fix_c1_controls": ("C1_CONTROL_RE", "sub", "_c1_fixer"),
    "remove_terminal_escapes": ("ANSI_RE", "sub"),
    "fix_surrogates": ("SURROGATE_RE", "search", "SURROGATE_PAIR_RE", "sub", "convert_surrogate_pair"),
}


def _only_on_control(fixer: Any, names: tuple[str, ...], control: Callable[[str], bool]) -> bool:
    """Whether ``fixer`` is one _CONTROL_FIXERS describes and changes only text that ``control``
    finds a character in: its code uses those names, its translate table's keys and each of its
    patterns' first characters are all such characters."""
    from re import _parser  # type: ignore[attr-defined]

    code = getattr(fixer, "__code__", None)
    if code is None or code.co_names != names:
        return False
    chars: list[int] = []
    for name in names:
        value = fixer.__globals__.get(name)
        if name == "CONTROL_CHARS":
            if not isinstance(value, dict) or not all(isinstance(key, int) for key in value):
                return False
            chars += value
        elif name.endswith("_RE"):
            if not isinstance(value, re.Pattern) or not isinstance(value.pattern, str):
                return False
            first = list(_parser.parse(value.pattern, value.flags & ~re.UNICODE).data[:1])
            item = _item(*first[0]) if first and value.flags & ~re.UNICODE == 0 else None
            if item is None or item[1] != 0:
                return False
            chars += [point for low, high in item[0] for point in range(low, high + 1)]
    return bool(chars) and all(0 <= point < 0x110000 and control(chr(point)) for point in chars)


def needed(pattern: re.Pattern[Any]) -> frozenset[int] | None:
    """Code points one of which every match of ``pattern`` holds (one plain class of each branch,
    the fewest in all), or None when the pattern is not read as branches of such classes."""
    parsed = _alternatives(pattern)
    if parsed is None:
        return None
    classes: list[list[frozenset[int]]] = []
    for branch in parsed:
        items = [_item(op, av) for op, av in branch.data]
        plain = [
            frozenset(p for low, high in item[0] for p in range(low, high + 1))
            for item in items
            if item and not item[1]
        ]
        if not plain or min(map(len, plain)) > 256:
            return None
        classes.append(plain)
    chosen: set[int] = set()
    for plain in sorted(classes, key=lambda plain: min(map(len, plain))):
        if not any(one <= chosen for one in plain):
            chosen |= min(plain, key=len)
    return frozenset(chosen)


# ---- ftfy's byte patterns of fixed-length branches, matched in C ----
#
# ftfy's LOSSY_UTF8_RE (its sub, in replace_lossy_sequences) and ALTERED_UTF8_RE (its search,
# before restore_byte_a0) run on the bytes of every encoding ftfy tries for a line it fixes:
# sre tries each of their ten and six branches at each byte, 30-60 ns a byte, a fifth of what
# ftfy costs on such a line. Each is an alternation of runs of byte classes of fixed length, with
# nothing optional, no anchor and no flag, and such a pattern matches (sre's backtracking) at the
# leftmost position where some branch does, with the first branch in the pattern's order that
# does there; its sub goes on from each match's end (none is empty). _repair.c's alternation()
# does exactly that from the classes read here mechanically, as branches() reads BADNESS_RE; a
# pattern not of that form stays sre's.
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
        items = [_item(op, av) for op, av in branch.data]
        if not 1 <= len(items) <= ALT_ITEMS or any(item is None or item[1] for item in items):
            return None
        out.append(len(items))
        for ranges, _ in items:  # type: ignore[misc]
            bits = 0
            for low, high in ranges:  # (a complement runs past 0xFF: a byte is at most 0xFF)
                if low <= 0xFF:
                    bits |= ((1 << (min(high, 0xFF) - low + 1)) - 1) << low
            out += bits.to_bytes(32, "little")
    return bytes(out)


class Alternation:
    """A bytes pattern that table() reads, with search and sub answered by _repair.c where they
    can be: the same answers as the pattern's own. A search that finds something returns the
    pattern's own Match (sre is asked again: rare); a sub with a replacement sre would read as a
    template (a backslash), a count or a text not of type bytes is sre's."""

    def __init__(self, pattern: re.Pattern[bytes], table: bytes, native: types.ModuleType):
        self.pattern = pattern
        self._table = table
        self._alternation = native.alternation

    def search(self, data: Any) -> re.Match[bytes] | None:
        if type(data) is bytes and not self._alternation(self._table, data):
            return None
        return self.pattern.search(data)

    def sub(self, replacement: Any, data: Any, count: int = 0) -> Any:
        if type(data) is bytes and type(replacement) is bytes and b"\\" not in replacement and count == 0:
            return self._alternation(self._table, data, replacement)
        return self.pattern.sub(replacement, data, count)


def alternation(pattern: Any, native: types.ModuleType) -> Alternation | None:
    """``pattern`` matched by ``native`` (Alternation), or None when table() does not read it."""
    found = table(pattern) if isinstance(pattern, re.Pattern) else None
    return None if found is None else Alternation(pattern, found, native)


# ---- ftfy's possible_encoding, matched in C ----
#
# ftfy asks chardata.possible_encoding(text, name) of each line it fixes for "ascii" and then for
# each of its ten single-byte encodings in turn (a dozen times a line, with its recursion): a match
# of ENCODING_REGEXES[name], ^[class]*$, over the whole line, 5,000 instructions a call on the
# bench's mojibake lines. Such a pattern matches when each character is in the class but for a
# last '\n' ($ matches before it); _repair.c's encodings() answers for every class at once from one
# scan of the text, and Encodings keeps that answer for the last text asked about.
_POSSIBLE = ("possible_encoding", ("bool", "ENCODING_REGEXES", "match"), "ENCODING_REGEXES")


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
    item = _item(*av[2].data[0])
    if item is None or item[1] or any(high > 0xFFFF for _, high in item[0]):
        return None
    return item[0]


class Encodings:
    """chardata.possible_encoding with the patterns whole_class reads matched by _repair.c: the
    answer for every such encoding from one scan of a text, kept for the last text (ftfy asks about
    one text for each encoding in turn; the pair is replaced whole, so threads cannot mix two).
    Another encoding, or a text not of type str, gets ftfy's own function."""

    def __init__(self, possible: Callable[[str, str], bool], bits: dict[str, int], native: types.ModuleType):
        self._possible = possible
        self._bits = bits
        self._encodings = native.encodings
        self._last: tuple[object, int] = (None, 0)

    def __call__(self, text: str, encoding: str) -> bool:
        bit = self._bits.get(encoding)
        if bit is None or type(text) is not str:
            return self._possible(text, encoding)
        last = self._last
        if last[0] is not text:
            last = self._last = (text, self._encodings(text))
        return bool(last[1] & bit)


def encodings(chardata: Any, native: types.ModuleType) -> Encodings | None:
    """ftfy's possible_encoding as an Encodings over ``native``, or None when its code is not
    bool(ENCODING_REGEXES[encoding].match(text)) or none of its patterns is read."""
    name, names, table_name = _POSSIBLE
    possible = getattr(chardata, name, None)
    code = getattr(possible, "__code__", None)
    regexes = getattr(possible, "__globals__", {}).get(table_name)
    if code is None or code.co_names != names or code.co_argcount != 2 or not isinstance(regexes, dict):
        return None
    classes = {key: whole_class(pattern) for key, pattern in regexes.items() if isinstance(key, str)}
    known = [(key, ranges) for key, ranges in classes.items() if ranges is not None][:16]
    if not known:
        return None
    native.configure_encodings([ranges for _, ranges in known])
    return Encodings(possible, {key: 1 << k for k, (key, _) in enumerate(known)}, native)


# ---- ftfy's UTF8_DETECTOR_RE, matched in C ----
#
# ftfy searches each line it cannot fix by re-decoding it whole with UTF8_DETECTOR_RE (its last
# resort, decode_inconsistent_utf8, subs with it): a lookbehind and a three-branch alternation
# tried by sre at every character, ~100 instructions a character, a third of what ftfy costs on
# the bench's lines. The pattern is (?<![class])(run|run|run)+, each run a fixed number of
# characters from classes; _repair.c's detect() finds its matches as sre does (argued there), from
# the classes read here mechanically; a pattern of any other form stays sre's.
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
        found = _item(op, av)
        if found is None or found[1]:
            return None
        out += [found[0]] * times
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
        found = _item(*inner.data[0]) if direction == -1 and len(inner.data) == 1 else None
        if found is None or found[1]:
            return None
        behind, parsed = found[0], parsed[1:]
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


class Detector:
    """A str pattern detector() reads, with search and sub answered by _repair.c's detect():
    the same matches as sre's. A match handed on is sre's own Match for the same span, made by
    searching from its start (only its ``pos`` differs: the rebuilt ftfy reads the truth of a
    search, and group(0) of a sub's match, checked by the names its code uses). A sub with a
    replacement that is not callable, a count, or a text not of type str is sre's."""

    def __init__(self, pattern: re.Pattern[str], native: types.ModuleType):
        self.pattern = pattern
        self._detect = native.detect

    def search(self, text: Any, *args: Any) -> re.Match[str] | None:
        if type(text) is not str or args:
            return self.pattern.search(text, *args)
        found = self._detect(text, False)
        return self.pattern.search(text, found[0]) if found else None

    def sub(self, replacement: Any, text: Any, count: int = 0) -> Any:
        if type(text) is not str or not callable(replacement) or count != 0:
            return self.pattern.sub(replacement, text, count)
        spans = self._detect(text, True)
        if not spans:
            return text
        out: list[Any] = []
        last = 0
        search = self.pattern.search
        for k in range(0, len(spans), 2):
            start = spans[k]
            out.append(text[last:start])
            item = replacement(search(text, start))
            if item is not None:
                out.append(item)
            last = spans[k + 1]
        out.append(text[last:])
        return "".join(out)


# The code that is handed UTF8_DETECTOR_RE's matches, known by the names it uses (none reads a
# match's pos, the one thing a Detector's Match has otherwise): ftfy's one step, which asks only
# whether search finds something, and decode_inconsistent_utf8, which subs with its nested
# fix_embedded_mojibake (the names of each, in that order).
_ONE_STEP = "_fix_encoding_one_step_and_explain"
_DECODE = (
    "decode_inconsistent_utf8",
    ("Match", "str", "UTF8_DETECTOR_RE", "sub"),
    ("group", "len", "is_bad", "ftfy", "fix_encoding"),
)


def detector_of(ftfy: types.ModuleType, native: types.ModuleType) -> Detector | None:
    """ftfy's chardata.UTF8_DETECTOR_RE as a Detector over ``native`` (configured), or None when
    detector() does not read it or ftfy's one step reads more of a search than its truth."""
    pattern = getattr(getattr(ftfy, "chardata", None), "UTF8_DETECTOR_RE", None)
    step = getattr(getattr(ftfy, _ONE_STEP, None), "__code__", None)
    found = detector(pattern)
    if found is None or step is None or "pos" in step.co_names:
        return None
    try:
        native.configure_detector(*found)
    except (TypeError, ValueError):
        return None
    return Detector(pattern, native)


def _decode(fixes: Any, detect: Detector, native: types.ModuleType) -> Callable[[str], str] | None:
    """fixes.decode_inconsistent_utf8 rebuilt over a copy of fixes' globals holding ``detect`` and
    the C is_bad (its ``ftfy`` is set by rebuilt()), or None when its code or its nested function's
    is not the one _DECODE names, or its pattern or is_bad is not the one read."""
    from ftfy import badness

    name, names, nested = _DECODE
    function = getattr(fixes, name, None)
    code = getattr(function, "__code__", None)
    inner = [const for const in code.co_consts if isinstance(const, types.CodeType)] if code is not None else []
    if code is None or code.co_names != names or len(inner) != 1 or inner[0].co_names != nested:
        return None
    space = function.__globals__
    if space.get("UTF8_DETECTOR_RE") is not detect.pattern or space.get("is_bad") is not badness.is_bad:
        return None
    rebuilt_space = _rebuilt(fixes, (name,), {"UTF8_DETECTOR_RE": detect, "is_bad": native.is_bad})
    return None if rebuilt_space is None else rebuilt_space[name]


# ftfy's fixer of bytes that undoes lossy sequences, run on each encoding ftfy tries for a line:
# its pattern needs a byte that is rare in the bytes it is given (a SUBSTITUTE or a '?').
_LOSSY = ("replace_lossy_sequences", ("LOSSY_UTF8_RE", "sub", "encode"), "LOSSY_UTF8_RE")


def _unless_missing(fixer: Callable[[bytes], bytes], points: frozenset[int]) -> Callable[[bytes], bytes]:
    marks = [bytes([point]) for point in sorted(points)]

    def fix(data: bytes) -> bytes:
        return fixer(data) if any(mark in data for mark in marks) else data

    return fix


class LastAnswer:
    """``answer``, a function of a text's characters alone, kept for the last text asked about:
    ftfy runs its four control fixers one after another on one text, twice a line, and a fixer
    that changes it gives a new text. (The pair is replaced whole, so threads cannot mix two.)"""

    def __init__(self, answer: Callable[[str], bool]):
        self._answer = answer
        self._last: tuple[object, bool] = (None, False)

    def __call__(self, text: str) -> bool:
        last = self._last
        if last[0] is not text:
            last = self._last = (text, self._answer(text))
        return last[1]


def _unless_control(fixer: Callable[[str], str], control: Callable[[str], bool]) -> Callable[[str], str]:
    def fix(text: str) -> str:
        return fixer(text) if control(text) else text

    return fix


# ftfy's _config_from_kwargs, run by each of its entry points (three or four times a line), makes
# config._replace(**kwargs) even of no kwargs: a new TextFixerConfig of the same fields, ~2,000
# instructions. A config is a named tuple (immutable) and the rebuilt functions only read its
# fields or _replace it, so with no kwargs the config itself serves; anything else is ftfy's.
_CONFIG = ("_config_from_kwargs", ("warnings", "warn", "DeprecationWarning", "copy", "_replace"))


def _config_kept(ftfy: types.ModuleType) -> Callable[[Any, dict[str, Any]], Any] | None:
    """ftfy's _config_from_kwargs, giving back a TextFixerConfig itself when there are no kwargs,
    or None when its code is not the one _CONFIG names or TextFixerConfig's _replace is not a
    named tuple's."""
    import collections

    name, names = _CONFIG
    original = getattr(ftfy, name, None)
    config_type = getattr(ftfy, "TextFixerConfig", None)
    code = getattr(original, "__code__", None)
    replace = getattr(getattr(config_type, "_replace", None), "__code__", None)
    if code is None or code.co_names != names or replace is not collections.namedtuple("Probe", "a")._replace.__code__:
        return None

    def _config_from_kwargs(config: Any, kwargs: dict[str, Any]) -> Any:
        if not kwargs and type(config) is config_type:
            return config
        return original(config, kwargs)

    return _config_from_kwargs


def _rebuilt(module: types.ModuleType, names: tuple[str, ...], replaced: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of ``module``'s globals with ``replaced`` in it and ``names`` rebuilt over it (the same
    code, defaults and closures), or None when one of them is not a plain function there."""
    space = dict(vars(module))
    space.update(replaced)
    for name in names:
        function = space.get(name)
        if not isinstance(function, types.FunctionType):
            return None
        copy = types.FunctionType(
            function.__code__, space, function.__name__, function.__defaults__, function.__closure__
        )
        copy.__kwdefaults__ = function.__kwdefaults__
        space[name] = copy
    return space


@cache
def rebuilt(native: types.ModuleType | None) -> Callable[..., Any] | None:
    """ftfy's fix_and_explain with is_bad answered by ``native`` (_repair.c), or None when that
    cannot be: no C half, or ftfy's is_bad is not bool(BADNESS_RE.search(text)) with every
    branch of its pattern read."""
    import ftfy
    from ftfy import badness

    if native is None or getattr(ftfy, "is_bad", None) is not badness.is_bad or not _plain_search(badness.is_bad):
        return None
    found = branches(badness.BADNESS_RE)
    if found is None:
        return None
    try:
        native.configure_bad(found)
    except (TypeError, ValueError):
        return None
    fixers = dict(ftfy.FIXERS)
    control = LastAnswer(native.control)  # (one scan of a text for the four fixers)
    for name, names in _CONTROL_FIXERS.items():
        if _only_on_control(fixers.get(name), names, native.control):
            fixers[name] = _unless_control(fixers[name], control)
    replaced: dict[str, Any] = {"is_bad": native.is_bad, "FIXERS": fixers}
    kept = _config_kept(ftfy)
    if kept is not None:
        replaced["_config_from_kwargs"] = kept
    fixes = types.SimpleNamespace(**vars(ftfy.fixes))  # ftfy's fixes module, as the rebuilt code sees it
    name, names, pattern = _LOSSY
    lossy = getattr(ftfy.fixes, name, None)
    code = getattr(lossy, "__code__", None)
    if code is not None and code.co_names == names and isinstance(lossy.__globals__.get(pattern), re.Pattern):
        points = needed(lossy.__globals__[pattern])
        # (its pattern in C: the same function over a copy of fixes' globals holding an Alternation)
        fast = alternation(lossy.__globals__[pattern], native)
        space = None if fast is None else _rebuilt(ftfy.fixes, (name,), {pattern: fast})
        lossy = lossy if space is None else space[name]
        if points is not None and all(point < 0x100 for point in points):
            lossy = _unless_missing(lossy, points)
        setattr(fixes, name, lossy)
    # ftfy's last resort for a line, decode_inconsistent_utf8, over UTF8_DETECTOR_RE in C and with
    # what its matches go through (is_bad, ftfy.fix_encoding) rebuilt too.
    detect = detector_of(ftfy, native)
    decode = None if detect is None else _decode(ftfy.fixes, detect, native)
    if decode is not None:
        fixes.decode_inconsistent_utf8 = decode
    replaced["fixes"] = fixes
    # ftfy's test before restore_byte_a0, chardata.ALTERED_UTF8_RE.search, in C (an Alternation),
    # and its possible_encoding (Encodings).
    chardata = getattr(ftfy, "chardata", None)
    if isinstance(chardata, types.ModuleType):
        fast_chardata = {
            "ALTERED_UTF8_RE": alternation(getattr(chardata, "ALTERED_UTF8_RE", None), native),
            "possible_encoding": encodings(chardata, native),
            "UTF8_DETECTOR_RE": detect,
        }
        fast_chardata = {key: value for key, value in fast_chardata.items() if value is not None}
        if fast_chardata:
            replaced["chardata"] = types.SimpleNamespace(**{**vars(chardata), **fast_chardata})
    space = _rebuilt(ftfy, _REBUILT, replaced)
    if space is None:
        return None
    if decode is not None:  # (the ftfy its matches are fixed by: the rebuilt one)
        decode.__globals__["ftfy"] = types.SimpleNamespace(**{**vars(ftfy), "fix_encoding": space["fix_encoding"]})
    return space["fix_and_explain"]


def _plain_search(function: Callable[..., Any]) -> bool:
    """Whether ftfy's is_bad is still the one this stands in for: bool(BADNESS_RE.search(text))."""
    code = getattr(function, "__code__", None)
    return code is not None and code.co_names == ("bool", "BADNESS_RE", "search") and code.co_argcount == 1
