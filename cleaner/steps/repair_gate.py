"""The character classes of the repair step's gate (steps/repair.py), kept in the cache directory.

The gate (which lines can need ftfy) is made of ftfy's own tables: the characters its
single-byte codecs decode bytes to, its control characters, its HTML entity pattern, and the
pairs of neighbours its mojibake test (badness.BADNESS_RE) looks for (``witnesses``). Reading
them means importing ftfy, a tenth of a second at every start, though most documents have no
line the gate lets through. So the classes are computed once per ftfy (its files' sizes and
times, and the source of this module and of repair_patterns, name the entry: diskcache.py) and
read from there after; ftfy is imported when a line needs it. With no cache (CLEANER_CACHE=off,
a read-only home) they are computed at each start, as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
from functools import cache
from pathlib import Path

from cleaner import diskcache
from cleaner.steps import repair_patterns
from cleaner.steps.repair_patterns import TOP, Ranges, merged, plain, rarity

# MacRoman puts curly quotes and dashes at lead bytes; as leads they would stand for rare
# scripts (Armenian, Hebrew), while as themselves they are in every other English sentence.
_TYPOGRAPHY = set("“”‘’–—…•‚„«»")
KEYS = ("lead", "cont", "control", "entity", "bad", "entities")


def _decoded(first: int, last: int) -> set[str]:
    """The characters the single-byte codecs ftfy knows turn bytes first..last into."""
    from ftfy import chardata

    chars: set[str] = set()
    for encoding in chardata.CHARMAP_ENCODINGS:
        chars.update(bytes(range(first, last + 1)).decode(encoding, errors="ignore"))
    return chars


def _char_class(chars: set[str]) -> str:
    """A class of exactly ``chars``, written as ranges: listing 2,600 characters one by one
    made compiling it a noticeable part of start-up."""
    points = sorted(map(ord, chars))
    parts: list[str] = []
    start = prev = points[0]
    for point in [*points[1:], -1]:
        if point == prev + 1:
            prev = point
            continue
        parts.append(f"\\U{start:08x}" + (f"-\\U{prev:08x}" if prev > start else ""))
        start = prev = point
    return "[" + "".join(parts) + "]"


def computed() -> dict[str, str]:
    """The gate's parts from ftfy's tables: a UTF-8 lead byte (0xC2-0xF4) and a continuation
    byte (0x80-0xBF) as some single-byte codec reads them, the control characters ftfy
    removes or fixes (C1, escape, lone surrogates), and its HTML entity pattern."""
    from ftfy import chardata

    control = (
        {chr(c) for c in chardata.CONTROL_CHARS}
        | {"\x1b"}
        | {chr(c) for c in range(0x80, 0xA0)}
        | {chr(c) for c in range(0xD800, 0xE000)}
    )
    return {
        "lead": _char_class(_decoded(0xC2, 0xF4) - _TYPOGRAPHY),
        "cont": _char_class(_decoded(0x80, 0xBF)),
        "control": _char_class(control),
        "entity": chardata.HTML_ENTITY_RE.pattern,
        "bad": json.dumps(witnesses()),
        "entities": json.dumps(entities()),
    }


# ---- ftfy's HTML entity fix without importing ftfy (its unescape_html) ----
#
# A line whose one fault is its entities is answered by repair._entities_only, which needs only
# ftfy's unescape_html: its pattern (the gate's "entity"), its table (chardata.HTML_ENTITIES,
# kept here with the gate) and what it does with one match (unescape_entity, written after
# fixes._unescape_fixup). So such a line does not import ftfy.


def unescape_entity(text: str, table: dict[str, str]) -> str:
    """What ftfy's unescape_html makes of one match of its pattern: the table's character, else
    html.unescape's for a numeric reference that it consumes whole, else the text as it is."""
    found = table.get(text)
    if found is not None:
        return found
    if text.startswith("&#"):
        import html

        unescaped = html.unescape(text)
        return text if ";" in unescaped else unescaped
    return text


# References that reach every branch of ftfy's fix for one match: named (lower, upper, mixed
# case, unknown), decimal and hexadecimal (valid, past U+10FFFF, C1, zero, surrogate, no digits).
_PROBES = (
    "&amp; &AMP; &Amp; &eacute; &EACUTE; &Eacute; &nbsp; &NBSP; &hellip; &notin; &notit; &bogus; &lt;"
    " &#39; &#039; &#x27; &#X27; &#8217; &#x2019; &#128; &#x80; &#0; &#x0; &#1114112; &#x110000;"
    " &#xD800; &#55296; &#; &#x; &#12a; &#xzz; &ampx; &a1; &" + "a" * 24 + ";"
)


def entities() -> dict[str, str] | None:
    """ftfy's entity table, or None when its unescape_html does not give what unescape_entity
    over that table gives on the probes (another ftfy: repair then imports ftfy for entities)."""
    import re

    from ftfy import chardata, fixes

    table = dict(chardata.HTML_ENTITIES)
    ours = re.compile(chardata.HTML_ENTITY_RE.pattern).sub(lambda m: unescape_entity(m.group(0), table), _PROBES)
    return table if ours == fixes.unescape_html(_PROBES) else None


# ---- what ftfy's mojibake test needs to see (its badness.is_bad: BADNESS_RE.search) ----
#
# Every branch of BADNESS_RE matches two or more characters in a row, each from a class (or a
# single C1 character): a text in which no two neighbours are in the first and second class of
# one branch's chosen pair (the rarest one: ASCII makes a class common) has no match, and ftfy
# leaves it alone unless an entity or a control character is there. That pair test costs one
# look-up a character in C, where BADNESS_RE's 37 branches cost ~90 µs a line. The pairs are read
# from ftfy's own pattern; one that cannot be read so gives no pairs (the test then says "maybe"
# to every line, as before: ftfy decides).


def _branch(items: list[tuple[object, object]]) -> tuple[str, list[Ranges]] | None:
    """One branch's witness: ("pair", [first, second]) for its rarest two characters in a row,
    ("single", [class]) for a branch of one character, None when it has neither."""
    from re import _constants as c  # type: ignore[attr-defined]

    classes = [plain(op, av) for op, av in items]
    chars = [ranges for (op, _), ranges in zip(items, classes, strict=True) if op is not c.AT]
    if len(chars) == 1 and chars[0] is not None:
        return "single", [chars[0]]
    pairs = [
        [first, second] for first, second in itertools.pairwise(classes) if first is not None and second is not None
    ]
    if not pairs:
        return None
    return "pair", min(pairs, key=lambda pair: rarity(*pair))


def witnesses() -> dict[str, list] | None:
    """BADNESS_RE's witnesses: {"pairs": [[first, second], ...], "single": ranges}, each class as
    code point ranges, or None when its pattern is not a plain alternation of such branches, or
    a class changes past U+FFFF other than at U+10000 (the C test keeps one answer for those)."""
    import re
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    from ftfy.badness import BADNESS_RE

    try:
        parsed = _parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags & ~re.UNICODE)
    except re.error:
        return None
    if BADNESS_RE.flags & ~(re.VERBOSE | re.UNICODE) or len(parsed.data) != 1 or parsed.data[0][0] is not c.BRANCH:
        return None
    pairs: list[list[Ranges]] = []
    singles: list[tuple[int, int]] = []
    for branch in parsed.data[0][1][1]:
        found = _branch(list(branch.data))
        if found is None:
            return None
        kind, classes = found
        if kind == "single":
            singles.extend((first, last) for first, last in classes[0])
        else:
            pairs.append(classes)
    if len(pairs) > 64 or not all(_flat_past_bmp(ranges) for pair in pairs for ranges in pair):
        return None
    single = merged(singles)
    return {"pairs": pairs, "single": single} if _flat_past_bmp(single) else None


def _flat_past_bmp(ranges: Ranges) -> bool:
    """Whether a class holds all of U+10000..U+10FFFF or none of it, with no range that starts
    past U+10000 (the C table is by code point below U+10000, one answer above)."""
    high = [(first, last) for first, last in ranges if last >= 0x10000]
    return not high or (len(high) == 1 and high[0][0] <= 0x10000 and high[0][1] == TOP)


# The code the gate's parts are computed with, whose source names the entry with ftfy's files:
# this module's, and repair_patterns' (the witnesses are read with its helpers).
_SOURCES = (__file__, repair_patterns.__file__)


def _entry() -> Path | None:
    """The cache file for the installed ftfy, or None (no cache, or ftfy not in files)."""
    root = diskcache.root()
    spec = importlib.util.find_spec("ftfy")  # finds the package without importing it
    if root is None or spec is None or not spec.submodule_search_locations:
        return None
    home = Path(next(iter(spec.submodule_search_locations)))
    try:
        stats = [(name, *_stat(home / name)) for name in ("__init__.py", "chardata.py", "bad_codecs/sloppy.py")]
        source = hashlib.sha256(b"".join(Path(path).read_bytes() for path in _SOURCES)).hexdigest()
    except OSError:
        return None
    key = json.dumps([source, str(home), stats])
    return root / f"repair-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _stat(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_size, found.st_mtime_ns


@cache
def gate() -> dict[str, str]:
    """The gate's parts (``computed()``), from the cache when they are there."""
    path = _entry()
    if path is not None:
        try:
            parts = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(parts, dict) and all(isinstance(parts.get(key), str) for key in KEYS):
                diskcache.used(path)
                return {key: parts[key] for key in KEYS}
        except (OSError, ValueError):
            pass
    parts = computed()
    if path is not None and diskcache.write(path, json.dumps(parts).encode("utf-8")):
        diskcache.prune(path.parent)
    return parts
