"""Encoding repair with ftfy: encoding fixes only, and only on lines that can need one."""

from __future__ import annotations

import re

import ftfy

from cleaner.document import Line
from cleaner.steps.whitespace import LABEL as WHITESPACE
from cleaner.steps.whitespace import normalize

# What "encoding fixes only" means: everything that changes how text looks but was not
# broken (curly quotes, ligatures, full-width forms, Unicode normalization) stays off.
_CONFIG = ftfy.TextFixerConfig(
    unescape_html="auto",
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization=None,
    explain=True,
)
_NO_ENTITIES = _CONFIG._replace(unescape_html=False)

_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ENCODING_STEPS = frozenset({"encode", "decode", "transcode"})
MAX_ROUNDS = 4


# ftfy's own steps that undo a wrong decoding; reported together as one kind of repair.
_ENCODING_FIXES = frozenset(
    {"decode_inconsistent_utf8", "fix_c1_controls", "restore_byte_a0", "replace_lossy_sequences"}
)


def _label(action: str, parameter: str) -> str:
    if action in _ENCODING_STEPS or parameter in _ENCODING_FIXES:
        return "ftfy:encoding"
    return "ftfy:" + parameter.removeprefix("fix_").removeprefix("unescape_")


def _needs_repair(text: str, entities: bool) -> bool:
    # The gate that keeps clean text cheap: ftfy only ever changes non-ASCII text,
    # control characters, and (when asked) HTML entities.
    if not text.isascii():
        return True
    if entities and "&" in text and _ENTITY.search(text):
        return True
    return any(ord(c) < 32 and c != "\t" for c in text)


def repair_line(line: Line, config: ftfy.TextFixerConfig, entities: bool) -> None:
    if not _needs_repair(line.text, entities):
        return
    fixed, steps = ftfy.fix_and_explain(line.text, config)
    if fixed != line.text:
        labels = dict.fromkeys(_label(action, param) for action, param in steps or [])
        line.change(fixed, "+".join(labels) or "ftfy")


def repair(lines: list[Line], unescape_html: bool = True, enabled: bool = True) -> None:
    """Repair encoding, then whitespace, on each line until neither changes it: an NBSP that
    the whitespace step turns into a space can be half of what ftfy reads as mojibake, so one
    pass of each would not give text that a second cleaning leaves alone."""
    config = _CONFIG if unescape_html else _NO_ENTITIES
    for line in lines:
        for _ in range(MAX_ROUNDS):
            before = line.text
            if enabled:
                repair_line(line, config, unescape_html)
            line.change(normalize(line.text), WHITESPACE)
            if line.text == before:
                break
