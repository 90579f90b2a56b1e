"""Rule patterns for repeated lines: one anchored regex for every variant of a line seen."""

from __future__ import annotations

import re

from cleaner.repeated.keys import MONTHS

_TOKENS = re.compile(r"(\d+(?:[.,:]\d+)*)|([^\W\d_]+)|(\s+)|(.)", re.DOTALL)
_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def _template(text: str) -> str:
    """Numbers, month and day names and spacing left open; everything else literal."""
    parts = []
    for digits, word, space, other in _TOKENS.findall(text):
        if digits:
            parts.append(r"\d[\d.,:]*")
        elif word:
            parts.append(r"[^\W\d_]+" if MONTHS.fullmatch(word.casefold()) else _escape(word))
        elif space:
            parts.append(r"\s+")
        else:
            parts.append(_escape(other))
    return "".join(parts)


def line_pattern(variants: list[str]) -> str:
    """One anchored pattern matching every variant of a repeated line."""
    for body in (_escape(variants[0]), _template(variants[0])):
        for flags in ("", "(?i)"):
            pattern = f"{flags}^{body}$"
            if all(re.search(pattern, v) for v in variants):
                return pattern
    return "^(?:" + "|".join(_escape(v) for v in variants) + ")$"


def slug(text: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", text.casefold())[:5]
    base = "-".join(words) or "line"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug
