"""The seed corpus output, byte for byte, against tests/golden/ (rewritten only by `make golden`)."""

from __future__ import annotations

from pathlib import Path

from tests.golden import GOLDEN, produce


def test_seed_output_matches_golden_files(tmp_path: Path) -> None:
    produced = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in produce(tmp_path)}
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(produced) == sorted(golden), "files differ from tests/golden: run `make golden` and review"
    for name, data in produced.items():
        assert data == golden[name], f"{name} differs from tests/golden/{name}: run `make golden` and review the diff"
