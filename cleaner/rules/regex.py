"""The regex engine of rule patterns: RE2, which runs in time linear in the text, by construction.

Python's ``re`` backtracks: ``(a|aa)+$`` takes for ever on a 46-character line, and no
validator over its parse tree can spot every such pattern. Rule files come from pull requests,
so rule patterns run on RE2 (google-re2), where no pattern can be slow.

Two things RE2 does differently, handled here so rule authors write Python-style patterns:

- ``\\d``, ``\\w``, ``\\s`` (and ``\\D``, ``\\W``, ``\\S``) are ASCII-only in RE2 but Unicode in
  Python; they are rewritten to their Unicode meaning, so ``\\w+`` matches "Straße" and ``\\s``
  an NBSP. (``\\b`` stays ASCII: RE2 has no Unicode word boundary.)
- RE2 has no lookaround and no backreferences (nor atomic groups, possessive repeats or
  conditionals: ``needs_backtracking``). A pattern that needs them runs on the backtracking
  ``regex`` package under a time limit (``BACKTRACK_TIMEOUT`` per call); a call that runs out
  raises ``RuleTimeout`` naming the rule, and the document is reported as failed. ``cleaner
  rules list`` shows which engine each rule uses. A rule's pattern that RE2 refuses for another
  reason (too large, too many repeats) is refused by validation (``re2_refusal``).
"""

from __future__ import annotations

import hashlib
import json
import re as _re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import re2

from cleaner import diskcache
from cleaner.errors import CleanerError

_KEY = _re.compile(r"[0-9a-f]{32}")  # a verdict's key: the pattern's hash, as key() writes it

BACKTRACK_TIMEOUT = 0.5  # seconds one backtracking call may take; linear RE2 needs no limit

_UNICODE_SPACE = (
    r"\t\n\x{0b}\f\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
)
_CLASSES = {"d": r"\p{Nd}", "w": r"\p{L}\p{N}_", "s": _UNICODE_SPACE}
# Their members below U+0080, for the ASCII twin of a pattern (``to_re2(..., ascii=True)``).
_ASCII_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": r"\t\n\x{0b}\f\r\x{1c}-\x{20}"}
# Python idioms for "a letter" that RE2 cannot build from \W (it has no class subtraction).
_IDIOMS = {r"[^\W\d_]": r"\p{L}", r"[^\W\d]": r"[\p{L}_]", r"[^\W_]": r"[\p{L}\p{N}]"}
_IDIOM = _re.compile("|".join(map(_re.escape, _IDIOMS)))

Engine = Literal["re2", "backtracking"]


class RuleTimeout(CleanerError):
    """A backtracking rule pattern ran past its time limit on a document."""


class PatternError(ValueError):
    """A pattern neither engine accepts; the message says why."""


# After "(?": the groups only a backtracking engine has (lookahead, lookbehind, a named
# backreference, a conditional, an atomic group).
_BACKTRACKING_GROUPS = ("=", "!", "<=", "<!", "P=", "(", ">")


def needs_backtracking(pattern: str) -> bool:
    """Whether ``pattern`` holds what RE2 does not have and a backtracking engine does: a
    lookaround, a backreference (``\\1``, ``(?P=name)``, ``\\g<name>``), a conditional, an atomic
    group or a possessive repeat (``a++``). Read as ``top_bars`` reads a pattern (escapes and
    classes skipped); where it cannot tell, it says yes, and the pattern runs on the engine it
    always ran on."""
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt and nxt in "123456789g":
                return True
            i += 2
            continue
        if ch == "[":
            end = _class_end(pattern, i + 1)
            if end is None:
                return True  # (cannot tell)
            i = end
        elif ch == "(" and pattern.startswith("?", i + 1):
            if pattern.startswith(_BACKTRACKING_GROUPS, i + 2):
                return True
            i += 1  # (the "?" is no repeat)
        elif ch in "*+?}" and pattern.startswith("+", i + 1):
            return True
        i += 1
    return False


def re2_refusal(pattern: str) -> str | None:
    """Why a rule may not hold ``pattern``: RE2's reason for refusing it and what to do; None
    when RE2 compiles it or it needs the backtracking engine (``needs_backtracking``). ``Regex``
    takes any pattern RE2 refuses to that engine (the rule sets' combined patterns too), where
    one RE2 found too large or of too many repeats would pass validation and then run out of
    time on every document."""
    if needs_backtracking(pattern):
        return None
    try:
        _compile_re2(to_re2(pattern))
    except re2.error as exc:
        return _refusal(exc)
    return None


def _refusal(exc: re2.error) -> str:
    """RE2's reason for refusing a pattern that needs no backtracking, and what to do."""
    said = exc.args[0] if exc.args else str(exc)
    reason = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    if "repetition size" in reason or "too large" in reason:
        how = (
            "bound its repeats less (RE2 takes at most 1000, nested repeats' counts multiplied), or split it into rules"
        )
    else:
        how = (
            "write it in RE2's syntax (only a pattern that needs a lookaround, a backreference, an atomic group, "
            "a possessive repeat or a conditional runs on the backtracking engine)"
        )
    return f"RE2 cannot compile it ({reason}): {how}"


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 logs refusals to stderr; they are reported as rule errors
    # Room for patterns with nested counted repeats ((?:\w{1,20}\s?){1,30}); RE2's 8 MB
    # default refuses them. Memory, not time: matching stays linear.
    options.max_mem = 64 << 20
    return options


_OPTIONS = _options()
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED
_AT_START = re2._re2.RE2.Anchor.ANCHOR_START


class _NoTwin(Exception):
    """The pattern has no ASCII twin that surely reads as it does (see ``to_re2``)."""


def to_re2(pattern: str, ascii: bool = False) -> str:
    """The pattern with Python's Unicode shorthand classes spelled out for RE2.

    ``ascii``: its twin for ASCII text, the classes spelled with their ASCII members only. On a
    text of ASCII characters the twin matches exactly as the pattern does (same structure, and
    each class has the same members among the characters there are), with a program a hundred
    times smaller: a counted repeat of ``\\w`` is tens of thousands of instructions, which RE2
    takes milliseconds to compile (twice: forward, and reversed to find a match's start) and
    to run its submatch engine over. Raises ``_NoTwin`` where a class stands next to a ``-``
    inside brackets (a range bound: the two spellings could make different ranges)."""
    if "[^\\W" in pattern:
        pattern = _IDIOM.sub(lambda m: _IDIOMS[m.group(0)], pattern)
    classes = _ASCII_CLASSES if ascii else _CLASSES
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            low = nxt.lower()
            if low in _CLASSES:
                body = classes[low]
                dash_after = pattern.startswith("-", i + 2) and not pattern.startswith("-]", i + 2)
                if ascii and in_class and (dash_after or (out and out[-1] == "-")):
                    raise _NoTwin
                if in_class:
                    if nxt != low:
                        raise PatternError(f"\\{nxt} inside a character class: write [^...] or move it outside")
                    out.append(body)
                else:
                    out.append(f"[{'^' if nxt != low else ''}{body}]")
            elif nxt == "Z":
                out.append(r"\z")  # Python's \Z is RE2's \z: the very end of the text
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]" and out and not out[-1].endswith(("[", "[^")):
                in_class = False
        elif ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a ']' first in a class is a literal
                out.append(r"\]")
                i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# An alternative of a pattern that starts with a broad class (``.``, ``[^...]``, ``\\S``, ``\\w``...),
# maybe inside groups: see ``parts``.
_BROAD = _re.compile(r"(?:\((?:\?:)?)*(?:\[\^|\.|\\[SWwD])")
_WHOLE = _re.compile(r"\^\((\?[a-zA-Z]*:)?")  # ``^(?:``, ``^(?i:``, ``^(``: a group right after ``^``
# Flags set inside a group (``(?i)``): they hold to the group's end, over the alternatives after them.
_FLAGS = _re.compile(r"\(\?[a-zA-Z-]*\)")
MAX_PARTS = 6  # programs a pattern's test may run as (each call into RE2 costs a few microseconds)


def _class_end(text: str, i: int) -> int | None:
    """Where the class whose ``[`` is just before ``text[i]`` ends: the place of its ``]`` (or the
    text's end); None where it holds ``[:`` (RE2's ``[[:digit:]|.]``: its class ends at the second
    ``]``), which is not read here."""
    i += text.startswith("^", i)
    i += text.startswith("]", i)  # (a ']' first in a class is a literal)
    while i < len(text) and text[i] != "]":
        if text.startswith("[:", i):
            return None
        i += 2 if text[i] == "\\" else 1
    return i


def top_bars(body: str) -> list[int] | None:
    """Where ``body`` (the inside of a group) has ``|`` outside any group and class; None if a
    ``)`` closes the group before its end (``body`` is then not one group's inside)."""
    bars: list[int] = []
    depth, i, n = 0, 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "\\":
            if i + 1 == n:
                return None  # (the group's ``)`` escaped: ``body`` is no group's inside)
            i += 2
            continue
        if ch == "[":
            end = _class_end(body, i + 1)
            if end is None:
                return None
            i = end
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "|" and depth == 0:
            bars.append(i)
        i += 1
    return bars


def parts(pattern: str) -> list[str]:
    """Patterns that match, together, where ``pattern`` does: whether a text holds a match is
    whether it holds one of any part's. ``^(?:A|B|C)$`` (or ``^(?i:...)$``) whose alternatives
    start with a broad class (``[^\\s]{1,30}``, ``\\S.{0,60}``) is split, each such alternative
    its own part, the others kept together; any other pattern is its one part.

    Why: RE2's DFA runs every alternative at once, and a state is the set of positions of all of
    them. Two alternatives that each count characters (a word up to 30 characters, up to 60 of
    any) make a state of each pair of counts a row reaches, so nearly every new row builds new
    states (thousands of instructions each; 80% of a real page's RE2 time). Apart, each program's
    states are its own counts, built once. Only for whether a pattern matches (``test``,
    ``test_start``): which alternative matches first, and where, is not kept."""
    split = _split(pattern)
    if split is None:
        return [pattern]
    flags, alternatives = split
    broad = [alt for alt in alternatives if _BROAD.match(alt)]
    narrow = [alt for alt in alternatives if not _BROAD.match(alt)]
    if not broad:
        return [pattern]
    groups = ([narrow] if narrow else []) + [[alt] for alt in broad]
    while len(groups) > MAX_PARTS:
        groups[-2:] = [groups[-2] + groups[-1]]
    if len(groups) < 2:
        return [pattern]
    return ["^(" + flags + "|".join(group) + ")$" for group in groups]


def alternatives(pattern: str) -> list[str] | None:
    """``^(?:A|B|C)$`` (or ``^(?i:...)$``) as ``^(?:A)$``, ``^(?:B)$``, ``^(?:C)$``: a row matches
    the pattern where it matches one of them (``parts`` splits as this does); None for a pattern
    of another shape (``_split``)."""
    split = _split(pattern)
    if split is None:
        return None
    found: list[str] = []
    for alt in split[1]:
        # An alternative that is itself one group's alternation, ``^(?:(?i:A|B)|C)$`` (a YAML list
        # of whole-row patterns joined, rules/base.py), is taken apart too: ``^(?i:A)$``... (only
        # in a plain group: under ``?i:`` its branches would lose the flag).
        inner = alternatives("^" + alt + "$") if split[0] == "?:" else None
        found += inner if inner is not None else ["^(" + split[0] + alt + ")$"]
    return found


def program_size(pattern: str) -> int:
    """RE2's instructions for ``pattern`` compiled whole (as a search compiles it): what it costs
    each process that needs it, in compile time and memory (rules/cost.py)."""
    return int(_compile_re2(to_re2(pattern))._regexp.ProgramSize())


def row_body(pattern: str) -> str | None:
    """What ``^X$`` holds between its anchors, when ``X`` is a branch of its own (no ``|``
    outside its groups: ``^a|b$`` is ``^a`` or ``b$``) and the ``$`` is not escaped; else None."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or len(pattern) < 2:
        return None
    body = pattern[1:-1]
    backslashes = len(body) - len(body.rstrip("\\"))
    if backslashes % 2:
        return None  # (``\$``: a dollar sign, not the row's end)
    bars = top_bars(body)
    return body if bars == [] else None


def _split(pattern: str) -> tuple[str, list[str]] | None:
    """The group's flags (``?:``, ``?i:``, or "" for a plain group) and its alternatives, of a
    pattern that is one group's alternation between ``^`` and ``$``; None for any other."""
    head = _WHOLE.match(pattern)
    if head is None or not pattern.endswith(")$") or pattern.startswith("?", head.end()) or "\\Q" in pattern:
        return None  # (a group of another kind, ``(?P<name>``, ``(?-i:``; or RE2's quoting)
    body = pattern[head.end() : -2]
    if _FLAGS.search(body):
        return None  # (split, the alternatives after the flags would lose them)
    bars = top_bars(body)
    if not bars:
        return None
    return head.group(1) or "", [body[a + 1 : b] for a, b in zip([-1, *bars], [*bars, len(body)], strict=True)]


@dataclass(frozen=True, slots=True)
class Found:
    """A match: its span, and its named groups."""

    start: int
    end: int
    groups: dict[str, str | None]

    def value(self, text: str) -> str:
        """The ``value`` group if the pattern has one, else the whole match."""
        return self.groups.get("value") or text[self.start : self.end]


@lru_cache(maxsize=4096)
def _compile_re2(pattern: str) -> Any:
    """RE2's compiled form of a (translated) pattern. Validating a rule file may compile a
    pattern, and the rule set needs it again: the second time is free (RE2 objects are
    immutable and thread-safe)."""
    return re2.compile("(?m)" + pattern, _OPTIONS)


class _Verdicts:
    """The patterns RE2 is known to compile, kept in the cache directory (diskcache.py).

    Compiling every rule pattern on RE2 took a third of a second at every start (Unicode
    classes in counted repeats are large), though a run compiles only the patterns it uses
    (``Regex`` compiles on first use). What validation needs to know, which engine a pattern
    runs on and that it compiles at all, is the same at every run: a pattern that compiled once
    is remembered by its hash. The file is named by this module's source (which translates the
    pattern), RE2's extension and its options, so a verdict of other code is never read. Only
    successes are kept: a pattern RE2 refuses is tried again, and the refusal's message is
    RE2's own each time. A line holds the hash, then the pattern's group names (validating an
    extract rule asks for them)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.known: dict[str, tuple[str, ...]] = {}  # by hash: the group names
        self.new: dict[str, tuple[str, ...]] = {}
        self._read = False

    def _load(self) -> None:
        self._read = True
        root = diskcache.root()
        if root is None:
            return
        try:
            engine = Path(re2._re2.__file__)
            stat = engine.stat()
            source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
        except (OSError, AttributeError, TypeError):
            return  # RE2 or this module not in files: no verdicts kept
        options = [getattr(_OPTIONS, name) for name in ("max_mem", "log_errors")]
        key = json.dumps([source, str(engine), stat.st_size, stat.st_mtime_ns, options])
        self.path = root / f"re2-{hashlib.sha256(key.encode()).hexdigest()[:32]}.txt"
        self.known = self._read_file(self.path)

    @staticmethod
    def _read_file(path: Path) -> dict[str, tuple[str, ...]]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            if not line.endswith("."):
                continue  # (a line every writer ends with "."; one without it is cut short)
            parts = line[:-1].split()
            if parts and _KEY.fullmatch(parts[0]):
                out[parts[0]] = tuple(parts[1:])
        return out

    @staticmethod
    def key(pattern: str) -> str:
        return hashlib.sha256(pattern.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def compiles(self, pattern: str) -> tuple[str, ...] | None:
        """The group names of ``pattern`` (untranslated) if RE2 compiled it at an earlier run."""
        if not self._read:
            self._load()
        return self.known.get(self.key(pattern)) if self.path is not None else None

    def add(self, pattern: str, compiled: Any) -> None:
        if not self._read:
            self._load()
        if self.path is not None:
            key = self.key(pattern)
            if key not in self.known:
                names = tuple(sorted(compiled.groupindex))
                self.new[key] = names
                self.known[key] = names

    def save(self) -> None:
        """Add the patterns compiled since the last save to the file (one per line, merged with
        what other processes wrote meanwhile; a lost race only costs a compile later)."""
        if not self.new or self.path is None:
            return
        there = self._read_file(self.path)
        fresh = not there
        lines = sorted(" ".join((key, *names)) + "." for key, names in {**there, **self.new}.items())
        self.new = {}
        if diskcache.write(self.path, ("\n".join(lines) + "\n").encode("utf-8")) and fresh:
            diskcache.prune(self.path.parent)  # a new file: RE2 or this code changed


_verdicts = _Verdicts()


def save_verdicts() -> None:
    """Keep the verdicts of the patterns compiled so far (rule files once validated)."""
    _verdicts.save()


class Regex:
    """One rule pattern, applied to one line (or to lines joined by newlines, where ``^`` and
    ``$`` are line bounds, as with ``re.MULTILINE``). RE2 compiles it on first use: the engine
    (and that it compiles) is known at once, from the pattern's verdict (``_Verdicts``) or by
    compiling it there and then."""

    __slots__ = (
        "_ascii",
        "_ascii_tests",
        "_back",
        "_found",
        "_names",
        "_re2",
        "_starts",
        "_tests",
        "engine",
        "pattern",
        "rule_id",
    )

    def __init__(self, pattern: str, rule_id: str = ""):
        self.pattern = pattern
        self.rule_id = rule_id
        self._back: Any = None
        # What ``test`` and ``test_start`` answered, by text (``_remember``).
        self._found: dict[str, bool] = {}
        self._starts: dict[str, bool] = {}
        self._ascii: Any = None  # the ASCII twin's RE2 (``_rx``): None until asked for, False if none
        # Whether a text matches, on RE2: the Match of each program of the pattern's ``parts``
        # (``_tests``: set with ``_re2``; ``_ascii_tests``: their ASCII twins', None until asked
        # for, False if there are none). See ``_test_on``.
        self._ascii_tests: tuple[Any, ...] | Literal[False] | None = None
        self.engine: Engine = "re2"
        self._names = _verdicts.compiles(pattern)
        if self._names is not None:
            return  # ``_re2`` and ``_tests`` are left unset: __getattr__ compiles them when first asked for
        try:
            self._re2 = _compile_re2(to_re2(pattern))
            _verdicts.add(pattern, self._re2)
            self._tests = self._programs(self._re2, ascii=False)
        except re2.error:
            import regex  # a tenth of a second to import; only the rare pattern RE2 refuses needs it

            self._re2 = None
            self._tests = None
            try:
                self._back = regex.compile(pattern, regex.MULTILINE | regex.VERSION0)
            except regex.error as exc:
                raise PatternError(f"regex does not compile: {exc}") from None
            self.engine = "backtracking"

    def __getattr__(self, name: str) -> Any:
        # Called only for an unset slot: ``_re2`` (and ``_tests``) of a pattern not compiled yet.
        # (Compiled together, so that what compiles a pattern's ``_re2`` ahead, as the judge's
        # warm-up does, compiles its tests too.) A pattern split into parts (``parts``) is
        # tested by its parts' programs alone: asked for its tests, it compiles those and leaves
        # the whole to search, spans and sub, which a line rule never runs (on the real pages,
        # the four split patterns' whole programs were some 40 ms of every process's compiles).
        if name not in ("_re2", "_tests"):
            raise AttributeError(name)
        try:
            if name == "_tests" and len(parts(self.pattern)) > 1:
                self._tests = self._programs(None, ascii=False)
                return self._tests
            compiled = _compile_re2(to_re2(self.pattern))
            self._tests = self._programs(compiled, ascii=False)
        except re2.error as exc:  # the cache said it compiled: it was altered
            raise PatternError(f"regex does not compile on RE2 ({exc}); delete cleaner's cache directory") from None
        self._re2 = compiled
        return compiled if name == "_re2" else self._tests

    def _programs(self, whole: Any, ascii: bool) -> tuple[Any, ...]:
        """The Match of each program of the pattern's ``parts``, translated for RE2 (``to_re2``;
        ``ascii``: the twins): ``whole``'s own when the pattern is its one part (``whole`` is not
        read otherwise). Raises ``_NoTwin`` or ``re2.error`` as ``to_re2`` and RE2 do."""
        split = parts(self.pattern)
        if len(split) == 1:
            return (whole._regexp.Match,)
        return tuple(_compile_re2(to_re2(part, ascii))._regexp.Match for part in split)

    def _twin(self) -> Any:
        """The ASCII twin's RE2, compiled when first asked for; False if there is none, None on
        the backtracking engine."""
        twin = self._ascii
        if twin is None:
            if self.engine != "re2":
                return None  # (``_re2`` is None: not read here, that would compile an unset one)
            try:
                twin = _compile_re2(to_re2(self.pattern, ascii=True))
            except (_NoTwin, re2.error):
                twin = False
            self._ascii = twin
        return twin

    def _test_on(self, text: str) -> tuple[Any, ...] | None:
        """The Matches ``test`` and ``test_start`` run on ``text``: the ASCII twins' on an ASCII
        text (``_ascii_tests``, compiled when first asked for), else (or with no twin) the
        pattern's own (``_tests``). None on the backtracking engine."""
        if text.isascii():
            tests = self._ascii_tests
            if tests is None:
                if self.engine != "re2":
                    return None
                try:
                    twin = self._twin() if len(parts(self.pattern)) == 1 else None
                    tests = False if twin is False else self._programs(twin, ascii=True)
                except (_NoTwin, re2.error):
                    tests = False
                self._ascii_tests = tests
            if tests is not False:
                return tests
        return self._tests

    def _rx(self, text: str) -> Any:
        """The RE2 to run on ``text``: the pattern's ASCII twin when the text is ASCII (see
        ``to_re2``; the same match, a far smaller program), else the pattern's own. None for a
        pattern on the backtracking engine."""
        if text.isascii():
            twin = self._twin()
            if twin is None:
                return None
            if twin is not False:
                return twin
        return self._re2

    def native_start(self) -> tuple[Regex, Any, int, int] | None:
        """What _scan.c's walk needs to answer ``test_start`` on a text (no newline) as it does,
        without its Python frames (a row the memo does not know): this Regex, whose Matches for
        the text (as ``_test_on`` picks them: the ASCII twins', ``_ascii_tests``, on an ASCII
        text once ``_test_on`` compiled them; ``_tests`` on another) it calls in turn as
        ``test_start`` does, the anchor, and MEMO_TEXT and MEMO_SIZE (``_remember``). None on the
        backtracking engine. (``test_start`` answers an ASCII text while there are no twins, and
        compiles them.)"""
        return (self, _AT_START, MEMO_TEXT, MEMO_SIZE) if self.engine == "re2" else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Regex, (self.pattern, self.rule_id))

    def _timeout(self) -> RuleTimeout:
        label = f"rule {self.rule_id}" if self.rule_id else "a rule"
        return RuleTimeout(f"{label}: pattern ran over {BACKTRACK_TIMEOUT}s (backtracking engine)")

    def search(self, text: str) -> Found | None:
        rx = self._rx(text)
        if rx is not None:
            m = rx.search(text)
        else:
            try:
                m = self._back.search(text, timeout=BACKTRACK_TIMEOUT)
            except TimeoutError:
                raise self._timeout() from None
        if m is None:
            return None
        return Found(m.start(), m.end(), m.groupdict())

    def test(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text`` (the hot path: no match object)."""
        known = self._found.get(text)
        if known is not None:
            return known
        tests = self._test_on(text)
        if tests is not None:
            return _remember(self._found, text, _any(tests, _UNANCHORED, text))
        return self.search(text) is not None

    def test_start(self, text: str) -> bool:
        """Whether the pattern matches at the start of ``text``."""
        known = self._starts.get(text)
        if known is not None:
            return known
        tests = self._test_on(text)
        if tests is not None:
            return _remember(self._starts, text, _any(tests, _AT_START, text))
        try:
            return self._back.match(text, timeout=BACKTRACK_TIMEOUT) is not None
        except TimeoutError:
            raise self._timeout() from None

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where the (RE2) pattern matches in ``text``, left to right, as ``finditer`` finds it."""
        for m in self._rx(text).finditer(text):
            yield m.start(), m.end()

    def group_names(self) -> set[str]:
        if self._names is not None:
            return set(self._names)
        return set((self._re2 if self._re2 is not None else self._back).groupindex)

    def groups(self) -> int:
        """How many capturing groups the pattern has (on the engine it runs on)."""
        return (self._re2 if self.engine == "re2" else self._back).groups

    def template_problem(self, repl: str) -> str | None:
        """What is wrong with ``repl`` as this pattern's replacement, or None. Its escapes are
        ``\\1``, ``\\g<1>``, ``\\g<name>`` and ``\\\\``, which both engines read alike; a group the
        pattern lacks would fail on every line the rule matches, and any other escape (``\\n``)
        would mean one thing on RE2 and another on the backtracking engine."""
        # (The groups counted only for a numbered reference: counting compiles a pattern whose verdict
        # came from the cache, which loading the shipped rules does not otherwise.)
        rest = repl.replace("\\\\", "")
        for ref in _TEMPLATE_ESCAPE.finditer(rest):
            name, number, other = ref.groups()
            if other is not None:
                return f"'{ref.group(0)}' is not an escape of a replacement (use \\1, \\g<name> or \\\\)"
            if name is not None and not name.isdigit():
                if name not in self.group_names():
                    return f"the pattern has no group named {name!r}"
                continue
            if number is not None and (number[0] == "0" or len(number) > 2):  # an octal escape in Python's
                return f"'{ref.group(0)}' is not a group of a replacement (use \\g<N>)"
            if int(name if name is not None else number) > (count := self.groups()):
                return f"the pattern has no group {ref.group(0)} (it has {count})"
        return None

    def sub(self, repl: str, text: str) -> str:
        rx = self._rx(text)
        if rx is not None:
            return rx.sub(_expand_template(repl), text)
        try:
            return self._back.sub(repl, text, timeout=BACKTRACK_TIMEOUT)
        except TimeoutError:
            raise self._timeout() from None


# Boilerplate repeats: the same row ("Advertisement", a share bar, a site's footer) comes back in
# document after document, and half the rows a rule is tried on were tried before, on real pages
# too. RE2's answer depends on the text alone, so it is kept, by text: a dict look-up instead of a
# call into RE2 (a few microseconds, more where RE2's cache of states went cold). Only short texts
# (rows, not documents), a bounded number per pattern (emptied when full: the answers stay right),
# and only plain str (a subclass could hash or compare otherwise).
MEMO_TEXT = 200
MEMO_SIZE = 1024


def _any(tests: tuple[Any, ...], anchor: Any, text: str) -> bool:
    """Whether one of the Matches ``tests`` (RE2's, of a pattern's ``parts``) finds a match in
    ``text`` (at its start: ``anchor``), tried in turn."""
    data = text.encode("utf-8", "surrogatepass")
    return any(match(anchor, data, 0, len(data))[0][0] != -1 for match in tests)


def _remember(memo: dict[str, bool], text: str, answer: bool) -> bool:
    if len(text) <= MEMO_TEXT and type(text) is str:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[text] = answer
    return answer


_GROUP_REF = _re.compile(r"\\g<(\w+)>|\\(\d+)")
# A replacement's escapes, doubled backslashes taken out: a group reference, or anything else.
_TEMPLATE_ESCAPE = _re.compile(r"\\g<(\w+)>|\\(\d+)|(\\.?)", _re.DOTALL)


def _expand_template(repl: str) -> Any:
    """``re``-style replacement templates (``\\1``, ``\\g<name>``) as a function for re2.sub."""
    if "\\" not in repl:
        return lambda _m: repl

    def expand(m: Any) -> str:
        def group(ref: _re.Match[str]) -> str:
            key: str | int = ref.group(1) if ref.group(1) is not None else int(ref.group(2))
            if isinstance(key, str) and key.isdigit():
                key = int(key)
            return m.group(key) or ""

        return _GROUP_REF.sub(group, repl.replace("\\\\", "\0")).replace("\0", "\\")

    return expand


def engine_of(rule: Any) -> str:
    """The engine a rule's patterns run on: 'backtracking' if any of them needs it."""
    patterns = [getattr(rule, key, None) for key in ("pattern", "start", "end", "while_", "marker")]
    engines = {Regex(p).engine for p in patterns if isinstance(p, str)}
    return "backtracking" if "backtracking" in engines else ("re2" if engines else "-")
