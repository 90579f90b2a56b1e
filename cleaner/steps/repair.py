"""Encoding repair with ftfy: encoding fixes only, and only on lines that can need one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache, lru_cache, partial
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

from cleaner.document import Line
from cleaner.native import load
from cleaner.steps.base import State
from cleaner.steps.repair_ftfy import rebuilt
from cleaner.steps.repair_gate import gate, unescape_entity
from cleaner.steps.whitespace import LABEL as WHITESPACE
from cleaner.steps.whitespace import has_breaks, needs_whitespace, normalize, spaced

if TYPE_CHECKING:
    import ftfy


@cache
def _config(unescape_html: bool) -> ftfy.TextFixerConfig:
    """What "encoding fixes only" means: everything that changes how text looks but was not
    broken (curly quotes, ligatures, full-width forms, Unicode normalization) stays off.
    (ftfy is imported when a line needs it: repair_gate.py.)"""
    import ftfy

    return ftfy.TextFixerConfig(
        unescape_html="auto" if unescape_html else False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        normalization=None,
        explain=True,
    )


# The gate that keeps clean text cheap (ftfy's own mojibake test costs ~0.5 ms on a page).
# A UTF-8 character read through a single-byte codec becomes a lead byte (0xC2-0xF4) followed
# by continuation bytes (0x80-0xBF), or a lead byte before a space that was an NBSP; ftfy's
# other fixes need C1 or control characters, lone surrogates, terminal escapes or HTML
# entities. A line with none of these is left exactly as ftfy would leave it.
# A line whose only suspect is a lead (an accented letter before a space, an NBSP) still is, when
# ftfy's own mojibake test (badness.is_bad) finds nothing in it: with no entity and no control
# character, that test is the one thing ftfy changes a line on (its fix_and_explain then returns
# the text as given). _BAD is a cheaper test that says "no" only where is_bad does: no two
# neighbours in one of its branches' pairs (repair_gate.witnesses). That keeps ftfy (50-300 µs a
# line) off most accented lines and NBSPs, with the very same output.
# (Compiled when first used: 10 ms, and _BAD 50-80 ms more, as much as importing ftfy, which the
# same line then does; with the C gate never: the C half answers for every line.)
@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str] | None]:
    """The gate's patterns: suspect (a lead before a continuation or a space, or a control
    character), an HTML entity, a control character, and _BAD (None: no witnesses, every line
    may be bad)."""
    parts = gate()
    bad = _witnesses(parts["bad"])
    return (
        re.compile(f"{parts['lead']}(?:{parts['cont']}| )|{parts['control']}"),
        re.compile(parts["entity"]),
        re.compile(parts["control"]),
        None if bad is None else _bad_pattern(*bad),
    )


Classes = tuple[tuple[int, int], ...]


def _witnesses(text: str) -> tuple[tuple[tuple[Classes, Classes], ...], Classes] | None:
    """repair_gate.witnesses as the C half takes them ((pairs, single), classes as tuples of
    ranges), or None (no witnesses, or not in that form)."""
    try:
        found = json.loads(text)
        pairs = tuple((_tupled(first), _tupled(second)) for first, second in found["pairs"])
        return pairs, _tupled(found["single"])
    except (TypeError, ValueError, KeyError):
        return None


def _tupled(ranges: list[list[int]]) -> Classes:
    out = tuple((int(first), int(last)) for first, last in ranges)
    if any(not 0 <= first <= last <= 0x10FFFF for first, last in out):
        raise ValueError("a range outside the code points")
    return out


def _bad_pattern(pairs: tuple[tuple[Classes, Classes], ...], single: Classes) -> re.Pattern[str] | None:
    """_BAD: a character of ``single``, or two in a row of one of the ``pairs``."""
    branches = [_class(first) + _class(second) for first, second in pairs]
    if single:
        branches.append(_class(single))
    return re.compile("|".join(branches) or "(?!)")


def _class(ranges: Classes) -> str:
    return "[" + "".join(f"\\U{a:08x}" + (f"-\\U{b:08x}" if b > a else "") for a, b in ranges) + "]"


_ENCODING_STEPS = frozenset({"encode", "decode", "transcode"})
MAX_ROUNDS = 4


# ftfy's own steps that undo a wrong decoding; reported together as one kind of repair.
_ENCODING_FIXES = frozenset(
    {"decode_inconsistent_utf8", "fix_c1_controls", "restore_byte_a0", "replace_lossy_sequences"}
)


LABEL = "ftfy"  # a repair ftfy explained with no step
ENCODING = "ftfy:encoding"
HTML = "ftfy:html"
JOIN = "+"  # one line's repair steps, in one label ("ftfy:encoding+ftfy:html")
# Why a line changed, for `cleaner explain` (cleaner/steps/reasons.py): a label that ends in ':'
# stands for every label it starts, and {} is what follows it (ftfy's fixer, less "fix_").
DESCRIPTIONS = {
    ENCODING: "Mojibake repaired by ftfy: text decoded with the wrong encoding, decoded again.",
    HTML: "HTML entities (&amp;, &#8217;) decoded by ftfy.",
    LABEL + ":": "Repaired by ftfy's {} fix.",
    LABEL: "Repaired by ftfy.",
}


def _label(action: str, parameter: str) -> str:
    if action in _ENCODING_STEPS or parameter in _ENCODING_FIXES:
        return ENCODING
    return LABEL + ":" + parameter.removeprefix("fix_").removeprefix("unescape_")


def _needs_repair(text: str, entities: bool, witness: bool = True) -> bool:
    """Whether ftfy must see ``text``. ``witness`` False leaves out ftfy's mojibake test: the
    whole document's gate (repair()) is the gate as it was before that test, since what it decides
    is not only whether some line needs ftfy (a '<' anywhere in it turns the entity test off for
    the document, not for each line) and a line whose only suspect is a lead, with no witness,
    must not now close it for a line with an entity."""
    suspect, entity, control, bad = _patterns()
    if entities and "&" in text and "<" not in text and entity.search(text):
        return True
    if suspect.search(text) is None:
        return False
    return not witness or control.search(text) is not None or bad is None or bad.search(text) is not None


def _fixed(text: str, unescape_html: bool) -> tuple[str, str]:
    """ftfy's text and the change's label (with _config(unescape_html))."""
    unescaped = _entities_only(text, unescape_html)
    if unescaped is not None:
        return unescaped, HTML
    fixed, steps = _fix_and_explain(text, _config(unescape_html))
    labels = dict.fromkeys(_label(action, param) for action, param in steps or [])
    return fixed, JOIN.join(labels) or LABEL


def _fix_and_explain(text: str, config: ftfy.TextFixerConfig) -> tuple[str, list | None]:
    """ftfy's fix_and_explain; with the C half, the same function with ftfy's mojibake test in C
    (repair_ftfy: a third of what ftfy costs on a line it fixes)."""
    fix = rebuilt(_NATIVE)
    if fix is None:
        import ftfy

        fix = ftfy.fix_and_explain
    return fix(text, config)


def _quiet(text: str) -> bool:
    """No control character and no witness of ftfy's mojibake test in ``text`` (so ftfy's fixes
    after its entity step leave it alone); False when the witnesses are not known."""
    if _NATIVE is not None:
        return bool(_NATIVE.quiet(text))
    _, _, control, bad = _patterns()
    return bad is not None and control.search(text) is None and bad.search(text) is None


@cache
def _entity_parts() -> tuple[re.Pattern[str], Callable[[re.Match[str]], str]] | None:
    """ftfy's entity pattern and what its unescape_html makes of one match (repair_gate keeps its
    table with the gate: no import of ftfy), or None when its unescape is not the one _unescape is
    written after."""
    parts = gate()
    table = json.loads(parts["entities"])
    if not isinstance(table, dict):
        return None
    # What an entity becomes depends on its text alone (the table is fixed here), so it is kept
    # for the next time: a numeric reference goes through html.unescape, ~2,000 instructions, and
    # an escaped page repeats a few entities. At most 4,096 of them, each of 26 characters or fewer.
    one = lru_cache(maxsize=1 << 12)(partial(unescape_entity, table=table))
    return re.compile(parts["entity"]), lambda match: one(match.group(0))


def _unescape(text: str) -> str:
    """ftfy.fixes.unescape_html, over ftfy's own pattern and table (repair_gate.entities)."""
    found = _entity_parts()
    if found is None:
        from ftfy.fixes import unescape_html

        return unescape_html(text)
    pattern, replace = found
    return pattern.sub(replace, text)


def _entities_only(text: str, unescape_html: bool) -> str | None:
    """ftfy's text for a line whose one fault is its HTML entities, without the rest of ftfy
    (~150 µs a line: its mojibake test, twice): None for any other line. fix_and_explain, with the
    entity fix on ("auto", no '<' in the line), unescapes the line, then finds nothing else to do
    in what that gives when it has no control character and no witness of mojibake, and ends when
    a second pass unescapes nothing more; its one step is the entity fix, labelled "ftfy:html"."""
    if not unescape_html or "<" in text or "&" not in text:
        return None
    once = _unescape(text)
    if once == text or _unescape(once) != once or not _quiet(once):
        return None
    return once


# ftfy's answers kept for the same line in the next document: the lines that pass the gate are
# mostly a site's own (a menu entry with an NBSP, a footer's mojibake), and ftfy takes 50-300 µs
# a line; its answer depends on the text and the config only. Only short lines' answers are
# kept (the repeated ones are short): at most 4,096 x 2 x 500 characters, whatever the corpus.
_kept = lru_cache(maxsize=1 << 12)(_fixed)
_KEPT_CHARS = 500


def repair_line(line: Line, entities: bool) -> None:
    native = _NATIVE
    if not (native.needs_repair if native is not None else _needs_repair)(line.text, entities):
        return
    fixed, label = (_kept if len(line.text) <= _KEPT_CHARS else _fixed)(line.text, entities)
    if fixed != line.text:
        line.change(fixed, label)


def _ranges(char_class: str) -> tuple[tuple[int, int], ...] | None:
    """The code point ranges of a class as repair_gate._char_class writes it, or None when it
    is not written that way (the C gate is then not used)."""
    if _CLASS.fullmatch(char_class) is None:
        return None
    return tuple((int(first, 16), int(last or first, 16)) for first, last in _RANGE.findall(char_class))


_CLASS = re.compile(r"\[(?:\\U[0-9a-f]{8}(?:-\\U[0-9a-f]{8})?)+\]")
_RANGE = re.compile(r"\\U([0-9a-f]{8})(?:-\\U([0-9a-f]{8}))?")


def _native() -> ModuleType | None:
    """The C half (cleaner/steps/_repair.c), told the gate's classes; None when it is not built,
    turned off, or the gate is not what it matches by hand (another ftfy's entity pattern)."""
    module = load("cleaner.steps._repair")
    parts = gate()
    classes = [_ranges(parts[key]) for key in ("lead", "cont", "control")]
    if module is None or parts["entity"] != _C_ENTITY or None in classes:
        return None
    # (the witnesses as json gives them, lists: the C half checks them, and tuples of 1,100
    # ranges would cost a millisecond at every start)
    try:
        found = json.loads(parts["bad"])
        module.configure(*classes, (found["pairs"], found["single"]))
    except (TypeError, ValueError, KeyError):  # (none, or not in that form: every suspect line to ftfy)
        module.configure(*classes)
    return module


_C_ENTITY = "&#?[0-9A-Za-z]{1,24};"  # the entity pattern _repair.c matches by hand
_NATIVE = _native()


def _rounds(line: Line, enabled: bool, unescape_html: bool) -> None:
    """Encoding, then whitespace, on one line until neither changes it."""
    # (The C normalize when built: the same text, without two regex substitutions a round.)
    normal = normalize if _NATIVE is None else _NATIVE.normalize
    for _ in range(MAX_ROUNDS):
        before = line.text
        if enabled:
            repair_line(line, unescape_html)
        line.change(normal(line.text), WHITESPACE)
        if line.text == before:
            break


def repair(lines: list[Line], unescape_html: bool = True, enabled: bool = True, text: str = "") -> None:
    """Repair encoding, then whitespace, on each line until neither changes it: an NBSP that
    the whitespace step turns into a space can be half of what ftfy reads as mojibake, so one
    pass of each would not give text that a second cleaning leaves alone. ``text``, the whole
    document, lets a clean document skip the per-line gate with one scan.

    The line breaks a line can hold (whitespace.BREAKS: VT, FF, U+2028...) are made spaces first,
    in the lines and in the text the document's gates read, before ftfy sees any (it drops VT, FS,
    GS and RS as control characters, gluing the words either side): the step then goes on as for
    the document with spaces there, so the text and the gates' answers are that document's (the
    lines that held a break labelled ``whitespace`` too), and cleaning the output again changes
    nothing. A document with no break has no line with one (its lines are cut from it); with no
    document text, each line is looked at."""
    native = _NATIVE
    if not text or (has_breaks if native is None else native.breaks)(text):
        text = _spaced(lines, text)
    if native is not None:
        # The document's gates and the lines either step changes, decided in C in one call: (i,
        # None) goes through the rounds here (ftfy sees it), (i, text) is a line only the
        # whitespace step changes, in one round.
        # (The whitespace-only lines are changed in that call too: no Line.change run for them.)
        enabled, rounds = native.repair_lines(lines, text, enabled, unescape_html, WHITESPACE, Line)
        for i in rounds:
            _rounds(lines[i], enabled, unescape_html)
        return
    enabled = enabled and (not text or _needs_repair(text, unescape_html, False))
    if text and not enabled and not needs_whitespace(text):
        return
    for line in lines:
        text = line.text
        if not enabled and text.isascii() and not text[-1:].isspace() and (text.isprintable() or not has_breaks(text)):
            continue  # nothing for either step to do (the ASCII breaks are the odd spaces below U+0080)
        _rounds(line, enabled, unescape_html)


def _spaced(lines: list[Line], text: str) -> str:
    """Each line's breaks made spaces (a whitespace repair), and ``text``'s."""
    for line in lines:
        if has_breaks(line.text):
            line.change(spaced(line.text), WHITESPACE)
    return spaced(text)


class Repair:
    """Encoding repair (unless turned off) and whitespace, once, before any rule looks."""

    name: ClassVar[str] = "repair"

    def __init__(self, encoding: bool = True, unescape_html: bool = True):
        self.encoding = encoding
        self.unescape_html = unescape_html

    def __call__(self, state: State) -> None:
        repair(state.lines, self.unescape_html, self.encoding, state.doc.text)  # (by position: no names matched)

    def again(self, state: State) -> bool:
        return False
