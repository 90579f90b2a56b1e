"""Counting on how many distinct sites each line occurs, in memory that does not grow, and
telling duplicate documents apart.

A line found on many unrelated sites ("Skip to content", "Leave a comment") is template
chrome; the count that says so is of distinct sites, not documents, so a site with a thousand
pages weighs as much as one with one. Each document adds its (line hash, site hash) pairs to a
buffer; a full buffer keeps its distinct pairs and spills them to one of PARTITIONS files by the
line hash's top bits; at the end each partition's distinct pairs are counted per line.
Memory: the buffer and one partition, as for LineCounts.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from cleaner.repeated.keys import GENERIC_PREFIX  # noqa: F401  (re-exported)

PARTITIONS = 64
_SHIFT = np.uint64(64 - 6)  # log2(PARTITIONS)
BUFFER = 1 << 20  # pairs held before a spill: 16 MB


class SiteSpread:
    def __init__(self, directory: Path, buffer: int = BUFFER):
        self.directory = directory
        self.buffer = buffer
        self._lines = array("Q")
        self._sites = array("Q")

    def add(self, site: int, hashes: Iterable[int]) -> None:
        before = len(self._lines)
        self._lines.extend(hashes)
        self._sites.extend([site] * (len(self._lines) - before))
        if len(self._lines) >= self.buffer:
            self._spill()

    def _spill(self) -> None:
        if not self._lines:
            return
        pairs = np.stack([np.frombuffer(self._lines, np.uint64), np.frombuffer(self._sites, np.uint64)], axis=1)
        pairs = np.unique(pairs, axis=0)  # sorted by line, then site
        bounds = np.searchsorted(pairs[:, 0] >> _SHIFT, np.arange(PARTITIONS + 1, dtype=np.uint64))
        for n in range(PARTITIONS):
            if bounds[n] < bounds[n + 1]:
                with (self.directory / f"spread-{n:02d}.bin").open("ab") as handle:
                    pairs[bounds[n] : bounds[n + 1]].tofile(handle)
        self._lines = array("Q")
        self._sites = array("Q")

    def frequent(self, min_sites: int) -> Iterator[tuple[int, int]]:
        """(line hash, distinct sites) of every line found on at least ``min_sites`` sites."""
        self._spill()
        for n in range(PARTITIONS):
            path = self.directory / f"spread-{n:02d}.bin"
            if not path.exists():
                continue
            pairs = np.unique(np.fromfile(path, dtype=np.uint64).reshape(-1, 2), axis=0)
            lines, sites = np.unique(pairs[:, 0], return_counts=True)
            keep = sites >= min_sites
            yield from zip(lines[keep].tolist(), sites[keep].tolist(), strict=True)


class SeenDocuments:
    """Whether a document's text was seen before: a Bloom filter of fixed size (16 MB, four
    probes), so that crawls' duplicate pages count once without a set growing with the crawl.
    A false positive (about one in a million documents at a million documents) only means
    one document's lines are not counted."""

    BITS = 1 << 27

    def __init__(self) -> None:
        self._bits = np.zeros(self.BITS // 8, dtype=np.uint8)

    def seen(self, fingerprint: bytes) -> bool:
        """Whether ``fingerprint`` was added before; adds it."""
        digest = hashlib.blake2b(fingerprint, digest_size=16).digest()
        probes = [int.from_bytes(digest[i : i + 4], "little") % self.BITS for i in range(0, 16, 4)]
        found = all(self._bits[p >> 3] >> (p & 7) & 1 for p in probes)
        for p in probes:
            self._bits[p >> 3] |= 1 << (p & 7)
        return found
