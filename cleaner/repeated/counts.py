"""Counting, per site, in how many documents each line occurs, in memory that does not grow.

A crawl has as many distinct lines as it has lines: counting them in a dict would grow with
the corpus. So the (line hash, site) pairs of the documents go into a fixed-size buffer; a
full buffer is sorted, reduced to (hash, site, documents) and appended to one of PARTITIONS
files on disk by the hash's top bits. At the end each partition is read and summed on its
own. Memory: the buffer, plus one partition (1/PARTITIONS of the distinct pairs), plus one
counter per site key.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

RECORD = np.dtype([("hash", "<u8"), ("site", "<u4"), ("docs", "<u4")])
PARTITIONS = 256
_SHIFT = np.uint64(64 - 8)  # log2(PARTITIONS)
BUFFER = 1 << 20  # pairs held before a spill: 12 MB


class LineCounts:
    def __init__(self, directory: Path, buffer: int = BUFFER):
        self.directory = directory
        self.buffer = buffer
        self.sites: dict[str, int] = {}  # site key -> index
        self.site_docs: list[int] = []  # documents per site index
        self.pairs = 0  # (line, document) pairs counted
        self._hashes = array("Q")
        self._site_of = array("I")

    def add(self, key: str, hashes: Iterable[int]) -> None:
        """One document of site ``key``, with the distinct hashes of its lines."""
        index = self.sites.setdefault(key, len(self.sites))
        if index == len(self.site_docs):
            self.site_docs.append(0)
        self.site_docs[index] += 1
        before = len(self._hashes)
        self._hashes.extend(hashes)
        added = len(self._hashes) - before
        self._site_of.extend([index] * added)
        self.pairs += added
        if len(self._hashes) >= self.buffer:
            self._spill()

    def _partition(self, n: int) -> Path:
        return self.directory / f"counts-{n:03d}.bin"

    def _spill(self) -> None:
        if not self._hashes:
            return
        hashes = np.frombuffer(self._hashes, dtype=np.uint64)
        site_of = np.frombuffer(self._site_of, dtype=np.uint32)
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
        self._site_of = array("I")

    def frequent(self, min_docs: int) -> Iterator[tuple[int, int, int]]:
        """(hash, site index, documents) of every pair found in at least ``min_docs`` documents,
        in hash order."""
        self._spill()
        for n in range(PARTITIONS):
            path = self._partition(n)
            if not path.exists():
                continue
            records = np.fromfile(path, dtype=RECORD)
            records.sort(order="hash", kind="stable")
            starts = np.flatnonzero(np.r_[True, records["hash"][1:] != records["hash"][:-1]])
            docs = np.add.reduceat(records["docs"].astype(np.uint64), starts)
            keep = docs >= min_docs
            yield from zip(
                records["hash"][starts][keep].tolist(),
                records["site"][starts][keep].tolist(),
                docs[keep].tolist(),
                strict=True,
            )
