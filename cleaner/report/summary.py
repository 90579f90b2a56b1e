"""Run totals, per-file and per-rule counts, documents flagged for review: summary.json and .md.

Per-file entries, flags and failures are spooled to disk as they come, so memory stays flat
however many files and documents the run sees.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from cleaner.atomic import atomic_open
from cleaner.errors import Problem

FLAG_SHARE = 0.5  # a document that lost more than this share of its characters is flagged
MD_ROWS = 50


@dataclass(slots=True)
class Totals:
    docs_in: int = 0
    docs_out: int = 0
    docs_empty: int = 0
    docs_failed: int = 0
    docs_changed: int = 0
    chars_in: int = 0
    chars_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)  # rule id -> lines
    removed_chars: Counter[str] = field(default_factory=Counter)  # rule id -> characters
    repaired: Counter[str] = field(default_factory=Counter)

    def add(self, other: Totals) -> None:
        for name in ("docs_in", "docs_out", "docs_empty", "docs_failed", "docs_changed", "chars_in", "chars_out"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.removed.update(other.removed)
        self.removed_chars.update(other.removed_chars)
        self.repaired.update(other.repaired)

    def as_dict(self) -> dict[str, Any]:
        return {
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "docs_empty": self.docs_empty,
            "docs_failed": self.docs_failed,
            "docs_changed": self.docs_changed,
            "chars_in": self.chars_in,
            "chars_out": self.chars_out,
            "chars_removed": self.chars_in - self.chars_out,
            "removed": dict(sorted(self.removed.items())),
            "repaired": dict(sorted(self.repaired.items())),
        }


class _Spool:
    """An append-only list of JSON objects kept on disk."""

    def __init__(self) -> None:
        self.handle: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.count = 0

    def append(self, item: dict[str, Any]) -> None:
        self.handle.write(orjson.dumps(item) + b"\n")
        self.count += 1

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.handle.flush()
        self.handle.seek(0)
        for raw in self.handle:
            yield orjson.loads(raw)
        self.handle.seek(0, 2)

    def close(self) -> None:
        self.handle.close()


class Summary:
    def __init__(self) -> None:
        self.totals = Totals()
        self.file = Totals()
        self.files = _Spool()
        self.flagged = _Spool()
        self.emptied = _Spool()
        self.failures = _Spool()

    def document(self, outcome: Any) -> None:
        """Count one cleaned document (an ``Outcome``)."""
        t = self.file
        t.docs_in += 1
        t.chars_in += outcome.chars_in
        t.chars_out += outcome.chars_out
        t.docs_changed += outcome.changed
        t.removed.update(outcome.removed)
        t.removed_chars.update(outcome.removed_chars)
        t.repaired.update(outcome.repaired)
        if outcome.emptied_by is not None:
            t.docs_empty += 1
            self.emptied.append({"id": outcome.id, "source": outcome.source, "rule": outcome.emptied_by})
        else:
            t.docs_out += 1
            lost = outcome.chars_in - outcome.chars_out
            if outcome.chars_in and lost > FLAG_SHARE * outcome.chars_in:
                top = (
                    max(sorted(outcome.removed_chars), key=outcome.removed_chars.get) if outcome.removed_chars else None
                )
                self.flagged.append(
                    {
                        "id": outcome.id,
                        "source": outcome.source,
                        "lost": round(lost / outcome.chars_in, 3),
                        "top_rule": top,
                    }
                )

    def failure(self, problem: Problem) -> None:
        self.file.docs_failed += 1
        self.failures.append({"file": problem.file, "line": problem.line, "message": problem.message})

    def end_file(self, name: str) -> None:
        self.files.append({"file": name, **self.file.as_dict()})
        self.totals.add(self.file)
        self.file = Totals()

    def write(self, directory: Path) -> None:
        self._write_json(directory / "summary.json")
        self._write_md(directory / "summary.md")

    def close(self) -> None:
        for spool in (self.files, self.flagged, self.emptied, self.failures):
            spool.close()

    def _write_json(self, path: Path) -> None:
        with atomic_open(path) as out:
            totals = self.totals.as_dict()
            out.write(b'{"totals":' + orjson.dumps(totals))
            rules = {
                rule: {"lines": self.totals.removed[rule], "chars": self.totals.removed_chars[rule]}
                for rule in sorted(self.totals.removed_chars)
            }
            out.write(b',"rules":' + orjson.dumps(rules))
            for key, spool in (
                ("files", self.files),
                ("flagged", self.flagged),
                ("emptied", self.emptied),
                ("failures", self.failures),
            ):
                out.write(b',"' + key.encode() + b'":[')
                for n, item in enumerate(spool):
                    out.write((b"," if n else b"") + orjson.dumps(item))
                out.write(b"]")
            out.write(b"}\n")

    def _write_md(self, path: Path) -> None:
        t = self.totals
        removed = t.chars_in - t.chars_out
        share = f"{removed / t.chars_in:.1%}" if t.chars_in else "0%"
        lines = [
            "# cleaner summary",
            "",
            "| documents in | out | emptied | failed | changed | characters in | out | removed |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {t.docs_in} | {t.docs_out} | {t.docs_empty} | {t.docs_failed} | {t.docs_changed} "
            f"| {t.chars_in} | {t.chars_out} | {removed} ({share}) |",
            "",
            "## Rules",
            "",
            "| rule | lines | characters |",
            "|---|---:|---:|",
        ]
        ranked = sorted(t.removed_chars, key=lambda r: (-t.removed_chars[r], r))
        lines += [f"| `{r}` | {t.removed[r]} | {t.removed_chars[r]} |" for r in ranked] or ["| (none) | 0 | 0 |"]
        if t.repaired:
            lines += ["", "## Repairs", "", "| repair | lines |", "|---|---:|"]
            lines += [f"| `{r}` | {n} |" for r, n in sorted(t.repaired.items())]
        lines += _md_list(
            f"## Flagged for review: lost more than {FLAG_SHARE:.0%} of their characters ({self.flagged.count})",
            (f"- `{f['id']}` ({f['source']}): lost {f['lost']:.0%}, mostly `{f['top_rule']}`" for f in self.flagged),
            self.flagged.count,
        )
        lines += _md_list(
            f"## Emptied ({self.emptied.count})",
            (f"- `{e['id']}` ({e['source']}): `{e['rule']}`" for e in self.emptied),
            self.emptied.count,
        )
        lines += _md_list(
            f"## Failures ({self.failures.count})",
            (f"- {Problem(f['file'], f['line'], f['message'])}" for f in self.failures),
            self.failures.count,
        )
        lines += ["", "## Files", "", "| file | docs in | out | chars in | out |", "|---|---:|---:|---:|---:|"]
        for n, f in enumerate(self.files):
            if n == MD_ROWS:
                lines.append(f"| ... {self.files.count - MD_ROWS} more in summary.json | | | | |")
                break
            lines.append(f"| {f['file']} | {f['docs_in']} | {f['docs_out']} | {f['chars_in']} | {f['chars_out']} |")
        with atomic_open(path) as out:
            out.write(("\n".join(lines) + "\n").encode("utf-8"))


def _md_list(title: str, items: Iterator[str], count: int) -> list[str]:
    if not count:
        return []
    out = ["", title, ""]
    for n, item in enumerate(items):
        if n == MD_ROWS:
            out.append(f"- ... {count - MD_ROWS} more in summary.json")
            break
        out.append(item)
    return out
