"""Which site a document belongs to for mining, and the folded form of a line that is counted.

Only 64-bit hashes of (site key, folded line) are ever kept while counting, never the text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from cleaner.document import Line
from cleaner.urls import host_of

# A first line longer than this is a headline or prose, not a banner: no signature from it.
SIGNATURE_MAX_CHARS = 80
SIGNATURE_PREFIX = "sig-"

MONTHS = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?"
    r"|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\b"
)
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")  # 10,291 and 27, 10:15 and 9:05 are the same slot


def fold(text: str) -> str:
    """Case, spacing, numbers and month and day names folded: "Posted March 3, 2024" and
    "posted  May 17, 2025" are the same line of a site's template."""
    folded = " ".join(text.casefold().split())
    return NUMBER.sub("0", MONTHS.sub("<d>", folded))


def line_hash(prefix: bytes, text: str) -> int:
    """The counted identity of a line within a site (``prefix`` is ``site_prefix(key)``);
    always even, so that it never equals a site hash."""
    digest = hashlib.blake2b(prefix + fold(text).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ~1


def site_hash(key: str) -> int:
    """A site key as counted: always odd (see counts.py)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") | 1


def site_prefix(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass") + b"\x00"


def domain_of(url: str | None) -> str | None:
    """The registrable domain (public suffix list, bundled with ``tld``), else the host."""
    if not url:
        return None
    host = host_of(url)
    if not host:
        return None
    from tld import get_fld  # imported here: only runs that mine or drop repeated lines pay for it

    found = get_fld(url, fail_silently=True, fix_protocol=True)
    return found or host


def signature(first_line: str) -> str | None:
    if len(first_line) > SIGNATURE_MAX_CHARS:
        return None
    digest = hashlib.blake2b(fold(first_line).encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return SIGNATURE_PREFIX + digest


def site_key(site: str | None, url: str | None, lines: Iterable[Line]) -> str | None:
    """The matched site's id, else the URL's registrable domain, else a signature of the first
    non-blank line (a banner), if it is short. None: the document is left alone."""
    if site is not None:
        return site
    domain = domain_of(url)
    if domain is not None:
        return domain
    first = next((line.text.strip() for line in lines if not line.blank), None)
    return signature(first) if first else None


GENERIC_PREFIX = b"\x00generic\x00"  # the line_hash prefix of lines counted across sites
