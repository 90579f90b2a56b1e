"""Crash safety, for real: a run killed or interrupted midway is finished by --resume, with the
same bytes as a run that was never stopped, and no partial file ever sits under a final name."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = 400
# One pytest-xdist worker runs this module (`make test` uses --dist loadgroup): the corpus and
# the uninterrupted run are made once.
pytestmark = pytest.mark.xdist_group("crash")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for n in range(FILES):
        text = seeds[n % len(seeds)].read_text(encoding="utf-8")
        (root / f"doc{n:04d}.txt").write_text(
            text + f"\nParagraph number {n} makes every file its own.\n", encoding="utf-8"
        )
    return root


@pytest.fixture(scope="module")
def whole(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The files of a run that was never stopped (one run shared by the tests that compare with it)."""
    out = tmp_path_factory.mktemp("whole")
    subprocess.run(command(corpus, out), cwd=ROOT, check=True)
    return files(out)


def command(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cleaner",
        "clean",
        str(corpus),
        "--out",
        str(out / "clean.jsonl"),
        "-q",
        "--workers",
        "1",
        *extra,
    ]


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def interrupt(corpus: Path, out: Path, sig: int) -> subprocess.CompletedProcess[str]:
    """Start a run, wait until some shards are finished, then send ``sig``."""
    work = out / ".clean.jsonl.work"
    process = subprocess.Popen(
        command(corpus, out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(work.glob("*.meta.json"))) < 20:
        time.sleep(0.02)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=120)
    assert 20 <= len(list(work.glob("*.meta.json"))) < FILES, "the run was not stopped midway"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_resume_after_interruption_gives_the_same_bytes(
    corpus: Path, whole: dict[str, bytes], tmp_path: Path, sig: int
) -> None:
    out = tmp_path / "stopped"
    stopped = interrupt(corpus, out, sig)
    if sig == signal.SIGINT:
        assert stopped.returncode == 130
        assert "interrupted" in stopped.stderr and "--resume" in stopped.stderr
    else:
        assert stopped.returncode == -signal.SIGKILL
    # Nothing under a final name: no JSONL, no report directory, only the work directory.
    assert sorted(p.name for p in out.iterdir()) == [".clean.jsonl.work"]

    resumed = subprocess.run(command(corpus, out, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert files(out) == whole


def test_resume_refuses_other_inputs(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    interrupt(corpus, out, signal.SIGKILL)
    other = subprocess.run(command(ROOT / "seeds", out, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert other.returncode == 2
    assert "the interrupted run had other inputs, rules or settings" in other.stderr
