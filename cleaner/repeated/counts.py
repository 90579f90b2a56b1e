"""Counting, per site, in how many documents each line occurs, in memory that does not grow.

A crawl has as many distinct lines as it has lines, and nearly as many sites (domains, or
banners) as documents: counting either in a dict would grow with the corpus. So each document
adds its (line hash, site hash) pairs to a fixed-size buffer, plus one pair for itself whose
hash is the site hash (odd, where line hashes are even), so that a site's documents are
counted like a line. A full buffer is sorted, reduced to (hash, site, documents) and appended
to one of PARTITIONS files on disk by the hash's top bits; at the end each partition is read
and summed on its own. Memory: the buffer and one partition (1/PARTITIONS of the distinct
pairs), whatever the number of documents or sites.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

RECORD = np.dtype([("hash", "<u8"), ("site", "<u8"), ("docs", "<u4")])
PARTITIONS = 256
_SHIFT = np.uint64(64 - 8)  # log2(PARTITIONS)
BUFFER = 1 << 20  # pairs held before a spill: 16 MB


class LineCounts:
    def __init__(self, directory: Path, buffer: int = BUFFER):
        self.directory = directory
        self.buffer = buffer
        self.docs = 0
        self.pairs = 0  # (line, document) pairs counted
        self._hashes = array("Q")
        self._site_of = array("Q")

    def add(self, site: int, hashes: Iterable[int]) -> None:
        """One document of the site with hash ``site`` (odd), with the distinct (even) hashes
        of its lines."""
        self.docs += 1
        before = len(self._hashes)
        self._hashes.append(site)
        self._hashes.extend(hashes)
        added = len(self._hashes) - before
        self._site_of.extend([site] * added)
        self.pairs += added - 1
        if len(self._hashes) >= self.buffer:
            self._spill()

    def _partition(self, n: int) -> Path:
        return self.directory / f"counts-{n:03d}.bin"

    def _spill(self) -> None:
        if not self._hashes:
            return
        hashes = np.frombuffer(self._hashes, dtype=np.uint64)
        site_of = np.frombuffer(self._site_of, dtype=np.uint64)
        unique, first, docs = np.unique(hashes, return_index=True, return_counts=True)
        records = np.empty(len(unique), RECORD)
        records["hash"], records["site"], records["docs"] = unique, site_of[first], docs
        # Sorted by hash, so each partition is one slice.
        bounds = np.searchsorted(unique >> _SHIFT, np.arange(PARTITIONS + 1, dtype=np.uint64))
        for n in range(PARTITIONS):
            if bounds[n] < bounds[n + 1]:
                with self._partition(n).open("ab") as handle:
                    records[bounds[n] : bounds[n + 1]].tofile(handle)
        self._hashes = array("Q")
        self._site_of = array("Q")

    def frequent(self, min_docs: int, sites: bool = False) -> Iterator[tuple[int, int, int]]:
        """(hash, site, documents) of every line found in at least ``min_docs`` documents, in
        hash order; with ``sites``, of every site with that many documents instead."""
        self._spill()
        for n in range(PARTITIONS):
            path = self._partition(n)
            if not path.exists():
                continue
            records = np.fromfile(path, dtype=RECORD)
            records.sort(order="hash", kind="stable")
            starts = np.flatnonzero(np.r_[True, records["hash"][1:] != records["hash"][:-1]])
            docs = np.add.reduceat(records["docs"].astype(np.uint64), starts)
            hashes = records["hash"][starts]
            keep = (docs >= min_docs) & ((hashes & np.uint64(1)) == np.uint64(1 if sites else 0))
            yield from zip(
                hashes[keep].tolist(),
                records["site"][starts][keep].tolist(),
                docs[keep].tolist(),
                strict=True,
            )
