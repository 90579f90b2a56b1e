"""ftfy's fix_and_explain rebuilt with its costly parts answered in C, to the bit.

On a line it fixes, ftfy spends most of its time in its mojibake test (badness.is_bad, about
three times a line: BADNESS_RE, a 37-branch alternation of character classes, ~60 µs a call,
half of what ftfy spends on a line) and in the patterns and tests it runs on each encoding it
tries (LOSSY_UTF8_RE, ALTERED_UTF8_RE, possible_encoding, UTF8_DETECTOR_RE). _repair.c answers
each from ftfy's own pattern, read by repair_patterns.py and put behind stand-ins with the same
methods by repair_matchers.py; this module puts them where ftfy's code looks them up.

ftfy itself is left alone: the functions of ftfy's module that call is_bad are rebuilt with the
same code over a copy of the module's globals in which is_bad is the C one (and the patterns the
stand-ins), so another user of ftfy in the process sees ftfy as it is. Each piece is checked by
the names its code uses: anything not read that way (another ftfy, a pattern of other kinds of
items) leaves ftfy's own function or pattern in use, and without the C is_bad, ftfy's own
fix_and_explain. Beside the C, ftfy's four control fixers are skipped for a text without a
control character, its lossy-sequence fixer for bytes without one its pattern needs, and its
config is kept when no keyword changes it.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from functools import cache
from typing import Any

from cleaner.steps.repair_matchers import Detector, alternation, encodings
from cleaner.steps.repair_patterns import branches, detector, needed, plain

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
            ranges = plain(*first[0]) if first and value.flags & ~re.UNICODE == 0 else None
            if ranges is None:
                return False
            chars += [point for low, high in ranges for point in range(low, high + 1)]
    return bool(chars) and all(0 <= point < 0x110000 and control(chr(point)) for point in chars)


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
