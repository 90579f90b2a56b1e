"""Hashed word 1-2-grams of many lines at once, for the classifier's lexical model.

A line's grams are the CRC-32 of each of its words, then of each pair of neighbouring words
joined by a space, modulo ``BUCKETS`` (a number-like word counts as "0"); a line without words
has the one gram 0. Each word's CRC is computed once and kept. A pair needs no new CRC either:
zlib's CRC of ``a + " " + b`` is the CRC of ``" " + b`` XOR a linear function of the CRC of
``a`` (the CRC register run over ``len(" " + b)`` zero bytes), which per length is four
256-entry tables: so a document's pairs are a few numpy gathers.
reference.hashed_ngrams is the plain definition, which tests/test_classify_fast.py compares.
"""

from __future__ import annotations

import re
import zlib
from itertools import repeat

import numpy as np

from cleaner.classify.layout import BUCKETS
from cleaner.classify.stoplists import stopword_languages

NUMBER = re.compile(r"^\d[\d.,:]*$")
_MAX_TAIL = 64  # pairs whose second word is longer than this in UTF-8 bytes (space included) go one by one
_VOCABULARY = 1 << 18  # words kept; forgotten all at once when full (memory stays flat over a corpus)

_ids: dict[str, int] = {}
_tails: list[bytes] = []  # " " + the word, as it is hashed
_crc = np.zeros(1024, dtype=np.uint32)  # each word's CRC-32
_tail_crc = np.zeros(1024, dtype=np.uint32)  # the CRC-32 of " " + the word
_tail_len = np.zeros(1024, dtype=np.intp)
_languages = np.zeros(1024, dtype=np.int64)  # the bit mask of the stoplists that hold the word
_shift: np.ndarray | None = None  # _shift_tables()


def _learn(tokens: list[str]) -> None:
    """Give the words of ``tokens`` not known yet an id, their CRCs and their stoplists."""
    global _crc, _tail_crc, _tail_len, _languages
    masks = stopword_languages()
    words = [w for w in dict.fromkeys(tokens) if w not in _ids]
    if len(_ids) + len(words) > _VOCABULARY:
        _ids.clear()
        _tails.clear()
        words = list(dict.fromkeys(tokens))
    size = len(_ids) + len(words)
    if size > len(_crc):
        grown = max(size, 2 * len(_crc))
        _crc = np.resize(_crc, grown)
        _tail_crc = np.resize(_tail_crc, grown)
        _tail_len = np.resize(_tail_len, grown)
        _languages = np.resize(_languages, grown)
    for word in words:
        data = ("0" if NUMBER.match(word) else word).encode("utf-8", "surrogatepass")
        i = _ids[word] = len(_tails)
        _tails.append(b" " + data)
        _crc[i] = zlib.crc32(data)
        _tail_crc[i] = zlib.crc32(b" " + data)
        _tail_len[i] = len(data) + 1
        _languages[i] = masks.get(word, 0)


def _shift_tables() -> np.ndarray:
    """Per length 0.._MAX_TAIL, four tables of 256: what the CRC register ``b << 8k`` becomes over
    that many zero bytes (zlib's ``crc32(zeros, b << 8k) ^ crc32(zeros)``). Over zero bytes the
    register moves by the CRC's own byte table, so all lengths are one step apart: built in
    ``_MAX_TAIL`` numpy steps the first time a document has pairs."""
    global _shift
    if _shift is None:
        step = np.array([zlib.crc32(b"\0", b) ^ zlib.crc32(b"\0") for b in range(256)], dtype=np.uint32)
        register = (np.arange(256, dtype=np.uint32)[None, :] << (8 * np.arange(4, dtype=np.uint32))[:, None]).ravel()
        tables = [register]
        for _ in range(_MAX_TAIL):
            register = step[register & 255] ^ (register >> 8)
            tables.append(register)
        _shift = np.concatenate(tables)
    return _shift


def word_ids(tokens: list[str]) -> np.ndarray:
    """The id of each word (the ones not known yet learnt first): what hashed_ids and
    languages_of take."""
    ids = np.fromiter(map(_ids.get, tokens, repeat(-1)), dtype=np.intp, count=len(tokens))
    if len(ids) and ids.min() < 0:
        _learn(tokens)
        ids = np.fromiter(map(_ids.__getitem__, tokens), dtype=np.intp, count=len(tokens))
    return ids


def languages_of(ids: np.ndarray) -> np.ndarray:
    """Each word's stoplists, as the bit mask of stoplists.stopword_languages."""
    return _languages[ids]


def hashed(tokens: list[str], counts: list[int]) -> list[list[int]]:
    """The grams of each line, whose words are ``tokens`` (all lines' words in order), ``counts``
    of them per line."""
    return hashed_ids(word_ids(tokens), counts)


def hashed_ids(ids: np.ndarray, counts: list[int]) -> list[list[int]]:
    """hashed, of the words' ids (word_ids of the same call: learning may renumber the words)."""
    mask = BUCKETS - 1
    crc = _crc[ids]
    single = (crc & mask).tolist()
    # Each word with the next (pairs across lines are computed too, and never used).
    prev, nxt = crc[:-1], ids[1:]
    length = _tail_len[nxt]
    short = length <= _MAX_TAIL
    shift = _shift_tables()
    at = np.where(short, length, 0) * 1024
    pair = _tail_crc[nxt] ^ shift[at + (prev & 255)]
    pair ^= shift[at + 256 + ((prev >> 8) & 255)]
    pair ^= shift[at + 512 + ((prev >> 16) & 255)]
    pair ^= shift[at + 768 + (prev >> 24)]
    pairs = (pair & mask).tolist()
    for i in np.flatnonzero(~short).tolist():
        pairs[i] = zlib.crc32(_tails[ids[i + 1]], int(prev[i])) & mask
    out = []
    start = 0
    for count in counts:
        stop = start + count
        out.append(single[start:stop] + pairs[start : stop - 1] if count else [0])
        start = stop
    return out
