"""Crash safety, for real: a run killed or interrupted midway is finished by --resume, with the
same bytes as a run that was never stopped, and no partial file ever sits under a final name."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from cleaner import faults
from cleaner.io.readers import discover
from cleaner.pipeline import workdir

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


def uninterrupted(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The files of a run that was never stopped (one run shared by the tests that compare with it)."""
    out = tmp_path_factory.mktemp("whole")
    subprocess.run(command(corpus, out), cwd=ROOT, check=True)
    return files(out)


@pytest.fixture(scope="module")
def whole(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return uninterrupted(corpus, tmp_path_factory)


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


def _signals_as_at_a_shell() -> None:
    """In the child before exec: SIGINT handled by default and not blocked, as a terminal's Ctrl-C
    finds a command, whatever the test process (a pytest-xdist worker) inherited or set."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(corpus: Path, out: Path, sig: int) -> subprocess.CompletedProcess[str]:
    """Start a run, let it stop itself after its 20th finished file, then send ``sig`` (no timing:
    a run fast enough to finish between two looks at its work directory cannot slip past)."""
    work = out / ".clean.jsonl.work"
    env = {**os.environ, faults.ENV: "shard:20", faults.SIGNAL: "stop"}
    process = subprocess.Popen(
        command(corpus, out),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_signals_as_at_a_shell,
    )
    _, status = os.waitpid(process.pid, os.WUNTRACED)  # back when the run stops itself (or ends)
    assert os.WIFSTOPPED(status), "the run ended before its 20th file"
    assert len(list(work.glob("*.meta.json"))) == 20
    process.send_signal(sig)
    os.kill(process.pid, signal.SIGCONT)  # a stopped process takes its SIGINT once it runs again
    stdout, stderr = process.communicate(timeout=120)
    assert len(list(work.glob("*.meta.json"))) == 20, f"the run went on after the signal: {process.returncode} {stderr}"
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


def test_resume_refuses_shards_of_another_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards written by a cleaner whose shards hold other files are never read by --resume."""
    (tmp_path / "a.txt").write_text("Source: AFP\nThe council met.\n", encoding="utf-8")
    items = discover([tmp_path / "a.txt"])
    now = workdir.fingerprint(items, "settings")
    assert workdir.fingerprint(items, "settings") == now
    monkeypatch.setattr(workdir, "SHARD_FORMAT", workdir.SHARD_FORMAT - 1)
    assert workdir.fingerprint(items, "settings") != now


# --- a kill at every named point of a run (cleaner/faults.py), then --resume ---------------------

SMALL = 6  # input files of the small corpus below


@pytest.fixture(scope="module")
def small(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small") / "corpus"
    root.mkdir()
    for path in sorted(corpus.iterdir())[:SMALL]:
        (root / path.name).write_bytes(path.read_bytes())
    return root


@pytest.fixture(scope="module")
def whole_small(small: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return uninterrupted(small, tmp_path_factory)


def killed_at(point: str, small: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, faults.ENV: point}
    return subprocess.run(command(small, out, *extra), cwd=ROOT, capture_output=True, text=True, env=env)


# (fault point, what sits under the final names after the kill)
POINTS = [
    ("shard:3", []),  # cleaning: three input files done
    ("shard-parts:2", []),  # a shard's parts renamed, its meta not yet written
    ("assemble", []),  # every shard done, staging begun
    ("staged-report", []),  # the JSONL staged, then the report (its marker records the JSONL's size)
    ("staged-out", []),  # everything staged, nothing published
    ("report-published", ["reports"]),  # the report renamed into place, the JSONL not yet
    ("out-published", ["clean.jsonl", "reports"]),  # both published, the work directory not yet removed
]


@pytest.mark.parametrize(("point", "published"), POINTS, ids=[p for p, _ in POINTS])
def test_a_kill_at_every_point_resumes_to_the_same_bytes(
    small: Path, whole_small: dict[str, bytes], tmp_path: Path, point: str, published: list[str]
) -> None:
    """Before: a kill during assembly left clean.jsonl without reports; --resume was refused."""
    out = tmp_path / "out"
    stopped = killed_at(point, small, out)
    assert stopped.returncode == -signal.SIGKILL, stopped.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([".clean.jsonl.work", *published])
    resumed = subprocess.run(command(small, out, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert files(out) == whole_small
    assert not (out / ".clean.jsonl.work").exists()


def test_assembly_reads_the_shards_and_never_consumes_them(small: Path, tmp_path: Path) -> None:
    """Before: assembly moved the diffs out of the shards, so a kill then lost them."""
    out = tmp_path / "out"
    assert killed_at("staged-out", small, out).returncode == -signal.SIGKILL
    work = out / ".clean.jsonl.work"
    for n in range(SMALL):
        for part in ("jsonl", "diff", "page", "removals", "notes", "meta.json"):
            assert (work / f"{n:06d}.{part}").is_file()
    assert (work / f"{0:06d}.diff").stat().st_size > 0


@pytest.mark.parametrize("point", ["staged-report", "report-aside", "report-published", "out-published"])
def test_resume_overwrite_after_a_kill_during_assembly(
    small: Path, whole_small: dict[str, bytes], tmp_path: Path, point: str
) -> None:
    """Before: `--resume --overwrite` after a kill during assembly crashed (the diffs were gone).
    Here the run replaces a previous run's outputs, so it needs --overwrite throughout."""
    out = tmp_path / "out"
    subprocess.run(command(small, out), cwd=ROOT, check=True)
    (out / "clean.jsonl").write_bytes(b"an older result\n")
    (out / "reports" / "summary.md").write_bytes(b"an older summary\n")
    stopped = killed_at(point, small, out, "--overwrite")
    assert stopped.returncode == -signal.SIGKILL, stopped.stderr
    resumed = subprocess.run(command(small, out, "--resume", "--overwrite"), cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert files(out) == whole_small


@pytest.mark.parametrize("damage", ["missing", "short"])
@pytest.mark.parametrize("part", ["jsonl", "diff"])
def test_a_shard_missing_a_part_is_cleaned_again_on_resume(
    small: Path, whole_small: dict[str, bytes], tmp_path: Path, part: str, damage: str
) -> None:
    """Before: with a finished shard's data file gone (or cut short) after a kill, --resume
    trusted its meta and failed at assembly, "fix this and run the same command with --resume",
    every time."""
    out = tmp_path / "out"
    assert killed_at("assemble", small, out).returncode == -signal.SIGKILL
    damaged = out / ".clean.jsonl.work" / f"000001.{part}"
    assert damaged.stat().st_size > 0
    if damage == "missing":
        damaged.unlink()
    else:
        damaged.write_bytes(damaged.read_bytes()[:-1])
    resumed = subprocess.run(command(small, out, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert (resumed.returncode, resumed.stderr) == (0, "")
    assert files(out) == whole_small
    assert not (out / ".clean.jsonl.work").exists()


def test_discard_removes_only_the_shard_files_of_the_files_named(tmp_path: Path) -> None:
    work = workdir.WorkDir(tmp_path / "clean.jsonl")
    work.start([], "key", resume=False)
    names = [
        "000001.jsonl",
        "000001.meta.json",
        "000001.b00002.diff.part",
        "000001.b00002.meta.json",
        "000001.notes.txt",  # not a shard's name: kept
        "000002.jsonl",  # another file's shard: kept
        "0000010.jsonl",
    ]
    for name in names:
        (work.root / name).write_bytes(b"x")
    work.discard({1})
    assert sorted(p.name for p in work.root.iterdir()) == [
        "000001.notes.txt",
        "0000010.jsonl",
        "000002.jsonl",
        "lock",
        "run.json",
    ]
    work.close()


# --- a worker killed (the OOM killer) costs one document, not the run ------------------------------

MARK = "MARKED-TO-KILL-ITS-WORKER"


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSONL file of 300 records; record 150 (line 150) is the one whose worker dies."""
    path = tmp_path_factory.mktemp("records") / "records.jsonl"
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    with path.open("wb") as handle:
        for n in range(1, 301):
            text = seeds[n % len(seeds)].read_text(encoding="utf-8") + f"\nRecord {n}.\n"
            if n == 150:
                text += MARK + "\n"
            handle.write(orjson.dumps({"id": f"r{n}", "text": text}) + b"\n")
    return path


def run_records(
    records: Path, out: Path, fault: str | None, flag: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if fault is not None:
        env[faults.ENV] = fault
    if flag is not None:
        env[faults.FLAG] = str(flag)
    args = [sys.executable, "-m", "cleaner", "clean", str(records), "--out", str(out / "clean.jsonl"), "-q", "-j", "2"]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)


def test_a_document_that_kills_its_worker_is_isolated_and_reported(records: Path, tmp_path: Path) -> None:
    """Before: BrokenProcessPool, a traceback, exit 1 and no output at all."""
    normal = run_records(records, tmp_path / "normal", None)
    assert normal.returncode == 0, normal.stderr
    out = tmp_path / "out"
    result = run_records(records, out, f"worker:{MARK}")
    assert result.returncode == 1
    message = "the worker process cleaning this document died (killed, e.g. by the out-of-memory killer); left out"
    assert result.stderr == f"error: {records}:150: {message}\n"
    expected = [
        line for line in (tmp_path / "normal" / "clean.jsonl").read_bytes().splitlines() if b'"r150"' not in line
    ]
    assert (out / "clean.jsonl").read_bytes().splitlines() == expected
    summary = orjson.loads((out / "reports" / "summary.json").read_bytes())
    assert summary["failures"] == [{"file": f"{records}:150", "line": None, "message": message}]
    assert summary["totals"]["docs_failed"] == 1 and summary["totals"]["docs_in"] == 299
    assert not (out / ".clean.jsonl.work").exists()


def test_a_worker_killed_once_is_retried(records: Path, tmp_path: Path) -> None:
    normal = run_records(records, tmp_path / "normal", None)
    flag = tmp_path / "killed-once"
    result = run_records(records, tmp_path / "out", f"worker-once:{MARK}", flag)
    assert flag.exists(), "the fault was never triggered"
    assert result.returncode == 0, result.stderr
    assert files(tmp_path / "out") == files(tmp_path / "normal")
    assert normal.returncode == 0


# --- a second Ctrl-C or SIGTERM while the run stops --------------------------------------------

STUCK = "MARKED-TO-STOP-ITS-WORKER"


@pytest.fixture(scope="module")
def marked(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Half the corpus, its file 150 (in the third group of files a worker is handed) holding STUCK."""
    root = tmp_path_factory.mktemp("marked") / "corpus"
    root.mkdir()
    for path in sorted(corpus.iterdir())[: FILES // 2]:
        (root / path.name).write_bytes(path.read_bytes())
    with (root / "doc0150.txt").open("a", encoding="utf-8") as handle:
        handle.write(STUCK + "\n")
    return root


def on_two_workers(corpus: Path, out: Path, *extra: str) -> list[str]:
    args = command(corpus, out, *extra)
    args[args.index("--workers") + 1] = "2"
    return args


@pytest.fixture(scope="module")
def whole_marked(marked: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("whole-marked")
    subprocess.run(on_two_workers(marked, out), cwd=ROOT, check=True)
    return files(out)


def _stopped_child(pid: int) -> bool:
    """Whether a child process of ``pid`` is stopped (state T)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid and fields[0] == "T":
            return True
    return False


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores for two workers")
@pytest.mark.parametrize(
    ("to", "first", "second"),
    [
        ("process", signal.SIGINT, signal.SIGINT),
        ("process", signal.SIGTERM, signal.SIGTERM),
        ("group", signal.SIGINT, signal.SIGINT),  # Ctrl-C twice: the terminal signals the workers too
        ("group", signal.SIGTERM, signal.SIGINT),
    ],
    ids=["process-INT-INT", "process-TERM-TERM", "group-INT-INT", "group-TERM-INT"],
)
def test_a_second_signal_while_the_run_stops_neither_hangs_nor_breaks_it(
    marked: Path, whole_marked: dict[str, bytes], tmp_path: Path, to: str, first: int, second: int
) -> None:
    """Before: a second Ctrl-C or SIGTERM that came while the first's stop shut the worker pool
    down broke that off, and the process hung at its exit joining its idle workers, which held
    the work directory's lock (--resume: "another cleaner run is writing"); or it died of the
    signal, or printed a stack; the workers printed KeyboardInterrupt's; and the stop waited for
    the groups in flight. Here one worker is stuck (stopped by the fault point on STUCK's file,
    as one in a page an extractor's C code never leaves): the stop must not wait for it."""
    out = tmp_path / "stopped"
    env = {**os.environ, faults.ENV: f"worker:{STUCK}", faults.SIGNAL: "stop"}
    with (tmp_path / "stderr").open("w+") as said:
        process = subprocess.Popen(
            on_two_workers(marked, out),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=said,
            env=env,
            preexec_fn=_signals_as_at_a_shell,
            start_new_session=True,  # a process group of its own, as a shell's job
        )
        try:
            for _ in range(1200):  # (up to a minute, if the machine is loaded)
                if _stopped_child(process.pid) or process.poll() is not None:
                    break
                time.sleep(0.05)
            assert process.poll() is None, "the run ended before its worker stopped"
            send = os.killpg if to == "group" else os.kill
            send(process.pid, first)
            # The second signal, again and again until the run is over: one finds every moment of
            # the stop the first began, and of the exit after it.
            deadline = time.monotonic() + 30
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
                with contextlib.suppress(ProcessLookupError):  # (its last process just gone)
                    send(process.pid, second)
            stopped = process.poll()
        finally:
            with contextlib.suppress(ProcessLookupError):  # (a hung run and its stuck worker: not left behind)
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        said.seek(0)
        stderr = said.read()
    assert stopped is not None, f"the run hangs: {stderr}"
    assert stopped == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert len(stderr.splitlines()) == 1 and "--resume" in stderr, stderr
    assert sorted(p.name for p in out.iterdir()) == [".clean.jsonl.work"]

    resumed = subprocess.run(
        on_two_workers(marked, out, "--resume"), cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr
    assert files(out) == whole_marked


def test_a_resumed_run_says_the_failures_of_the_files_it_keeps(tmp_path: Path) -> None:
    """Before: the resumed run said only the failures of the files it cleaned itself; those of
    the files the killed run had finished were in summary.json but not on stderr, so a resumed
    run could exit 1 naming no failure at all."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.jsonl").write_bytes(b'{"text": "The council met on Monday."}\n{"text": 1}\n')
    (corpus / "b.html").write_bytes(b"")  # a page with no text
    (corpus / "c.txt").write_text("The harbour reopened on Friday.\n", encoding="utf-8")
    said = [
        f"error: {corpus / 'a.jsonl'}:2: field 'text' is a number, not a string",
        f"error: {corpus / 'b.html'}: found no main text",
    ]
    whole = subprocess.run(command(corpus, tmp_path / "whole"), cwd=ROOT, capture_output=True, text=True)
    assert (whole.returncode, whole.stderr.splitlines()) == (1, said)
    out = tmp_path / "out"
    killed = subprocess.run(
        command(corpus, out), cwd=ROOT, capture_output=True, text=True, env={**os.environ, faults.ENV: "shard:2"}
    )
    assert killed.returncode == -signal.SIGKILL
    resumed = subprocess.run(command(corpus, out, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert (resumed.returncode, resumed.stderr.splitlines()) == (1, said)
    assert files(out) == files(tmp_path / "whole")
