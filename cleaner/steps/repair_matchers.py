"""Stand-ins for three of ftfy's patterns and one of its functions, answered by _repair.c: the
same answers as sre's (and ftfy's), from the forms repair_patterns.py reads.

Each stand-in has the methods ftfy's code calls on the object it replaces (search and sub, or a
call), and hands anything it is not sure of (another type of text, a count, a template) to the
pattern or function it stands for. repair_ftfy.py puts them in the globals of its rebuilt copy
of ftfy's fix loop.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any

from cleaner.steps.repair_patterns import table, whole_class

# ---- ftfy's byte patterns of fixed-length branches, matched in C ----
#
# ftfy's LOSSY_UTF8_RE (its sub, in replace_lossy_sequences) and ALTERED_UTF8_RE (its search,
# before restore_byte_a0) run on the bytes of every encoding ftfy tries for a line it fixes:
# sre tries each of their ten and six branches at each byte, 30-60 ns a byte, a fifth of what
# ftfy costs on such a line. Each is an alternation of runs of byte classes of fixed length, with
# nothing optional, no anchor and no flag, and such a pattern matches (sre's backtracking) at the
# leftmost position where some branch does, with the first branch in the pattern's order that
# does there; its sub goes on from each match's end (none is empty). _repair.c's alternation()
# does exactly that from the classes repair_patterns.table reads mechanically, as branches()
# reads BADNESS_RE; a pattern not of that form stays sre's.


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
# the classes repair_patterns.detector reads mechanically; a pattern of any other form stays sre's.


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
