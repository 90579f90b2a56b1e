"""Bytes to text: BOM, UTF-8, stray bytes as Windows-1252, else charset-normalizer; never U+FFFD."""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Read a byte that is not part of valid UTF-8 as Windows-1252 (Latin-1 where it has none)."""
    assert isinstance(error, UnicodeDecodeError)
    byte = error.object[error.start : error.start + 1]
    try:
        return byte.decode("windows-1252"), error.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), error.start + 1


codecs.register_error("cleaner-cp1252", _cp1252_fallback)


def decode(data: bytes) -> tuple[str, dict[str, object]]:
    """Bytes to text, and what ``meta`` should say about it (nothing for clean UTF-8).

    A BOM decides; then UTF-8; a UTF-8 text with a few stray bytes (a Latin-1 name pasted in)
    keeps its UTF-8 and reads those bytes as Windows-1252, counted in ``invalid_utf8_sequences``;
    text with no valid UTF-8 beyond ASCII, or more stray runs than valid characters beyond it,
    goes to charset-normalizer. Never U+FFFD.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), ({} if encoding == "utf-8-sig" else {"encoding": encoding})
    try:
        return data.decode("utf-8"), {}
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data) is not None:
        text, meta = stray_bytes(data)
        # A few stray bytes in UTF-8 text, not a text of another encoding where some pairs of
        # bytes happen to read as UTF-8 (GBK, Shift_JIS: nearly every character a stray): at least
        # as many characters of valid UTF-8 beyond ASCII as runs of stray bytes.
        if meta["invalid_utf8_sequences"] <= len(_UTF8_SEQUENCE.findall(data)):  # type: ignore[operator]
            return text, meta
    western = _as_western(data)
    if western is not None:
        return western, {"encoding": "windows-1252"}
    # Without NUL bytes the text is not UTF-16/32, whatever a short sample suggests.
    wide = [] if b"\x00" in data else ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
    from charset_normalizer import from_bytes  # a tenth of a second to import; rarely reached

    best = from_bytes(data, cp_exclusion=wide).best()
    if best is None:
        raise ValueError("not text: no character encoding fits")
    return str(best), {"encoding": best.encoding}


def stray_bytes(data: bytes) -> tuple[str, dict[str, object]]:
    """UTF-8 with a few invalid bytes: the text with each read as Windows-1252, and the meta
    that counts them."""
    # Each maximal invalid run becomes one U+FFFD under "replace": that counts the runs.
    strays = data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())
    return data.decode("utf-8", errors="cleaner-cp1252"), {"encoding": "utf-8", "invalid_utf8_sequences": strays}


def _as_western(data: bytes) -> str | None:
    """The text as Windows-1252 when that reads as Western European text: most letters ASCII,
    some accented. Detectors guess Baltic or Central European code pages for short French or
    German text; Cyrillic or Greek read as Windows-1252 is nearly all accented letters."""
    try:
        text = data.decode("windows-1252")
    except UnicodeDecodeError:
        return None
    letters = [c for c in text if c.isalpha()]
    accented = sum(not c.isascii() for c in letters)
    return text if letters and accented <= 0.3 * len(letters) else None


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
