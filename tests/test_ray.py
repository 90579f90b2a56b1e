"""The Ray engine writes the same records and reports as the local one (on a local 2-CPU Ray)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.corpus import write
from cleaner import faults
from cleaner.io.readers import InputFile
from cleaner.pipeline import Pipeline, ray_engine
from cleaner.pipeline.ray_engine import RayEngine
from cleaner.pipeline.run import Target, run

pytestmark = pytest.mark.slow  # starting Ray takes most of a minute: `make test-slow` (CI) runs it


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # Imported here, not at collection: every test run (and each xdist worker) would pay for it.
    ray = pytest.importorskip("ray")  # `make test-slow` installs it (the `ray` extra)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_ray_engine_output_equals_local(
    local_ray: None, tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ray_engine, "BLOCK_BYTES", 40_000)  # a.jsonl goes in about a dozen blocks
    corpus = tmp_path / "in"
    write(corpus / "a.jsonl", 150)
    with (corpus / "a.jsonl").open("ab") as handle:  # a bad record in the last block
        handle.write(b'{"id": "no text"}\n{"id": "last", "text": "The last record."}\n')
    write(corpus / "b.jsonl", 60)
    (corpus / "broken.jsonl").write_bytes(b'{"id": "ok", "text": "Fine."}\nnot json\n')
    # stdin, as the CLI spools it: its records' sources and failures say "-", on Ray too (they
    # named the spool's temporary path, another each run).
    (tmp_path / "spool").mkdir()
    (tmp_path / "spool" / "stdin.jsonl").write_bytes(b'{"text": "From stdin."}\nnot json\n')
    inputs: list[Path | InputFile] = [
        corpus,
        Path("seeds"),
        InputFile(tmp_path / "spool" / "stdin.jsonl", "stdin.jsonl", shown="-"),
    ]
    local = tmp_path / "local"
    on_ray = tmp_path / "ray"
    failures: list[str] = []
    run(inputs, pipeline, Target(local / "clean.jsonl", local / "reports"), workers=2)
    result = run(
        inputs,
        pipeline,
        Target(on_ray / "clean.jsonl", on_ray / "reports"),
        on_failure=lambda p: failures.append(str(p)),
        engine=RayEngine(),
    )
    assert result.failed == 3 and failures == [
        f"{corpus / 'a.jsonl'}:151: field 'text' is missing",
        f"{corpus / 'broken.jsonl'}:2: not valid JSON: invalid literal, expected 'null': line 1 column 1 (char 0)",
        "-:2: not valid JSON: invalid literal, expected 'null': line 1 column 1 (char 0)",
    ]
    assert _files(on_ray) == _files(local)
    assert len((on_ray / "clean.jsonl").read_bytes().splitlines()) == 151 + 60 + 1 + 5 + 1
    assert b'"source":"-:1"' in (on_ray / "clean.jsonl").read_bytes()


def test_sigterm_on_a_ray_run_stops_it_as_ctrl_c_does(tmp_path: Path) -> None:
    """Before: Ray's core replaced the command line's SIGTERM handler in the driver: a scheduler's
    SIGTERM printed a native stack ("*** SIGTERM received ...") and aborted the run (exit 134), or,
    as here at the assembly, the run went on to exit 0. Now it stops the run as Ctrl-C does: one
    line, exit 130, and --resume finishes it. Ray Data's plan and notice logs stay off stderr. (The
    driver stops itself at the assembly, after Ray cleaned every block: a fault point, not a timing.)"""
    pytest.importorskip("ray")
    corpus = tmp_path / "in"
    write(corpus / "a.jsonl", 40)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cleaner", "clean", str(corpus), "--out", str(out / "clean.jsonl")]
    command += ["-q", "--engine", "ray", "--workers", "2"]
    env = {**os.environ, faults.ENV: "assemble", faults.SIGNAL: "stop"}
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _, status = os.waitpid(process.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), "the run ended before its assembly"
    process.send_signal(signal.SIGTERM)
    os.kill(process.pid, signal.SIGCONT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "--resume" in stderr
    assert "SIGTERM received" not in stderr and "streaming_executor" not in stderr
    assert sorted(p.name for p in out.iterdir()) == [".clean.jsonl.work"]
    resumed = subprocess.run([*command, "--resume"], cwd=root, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr == ""
    assert len((out / "clean.jsonl").read_bytes().splitlines()) == 40
