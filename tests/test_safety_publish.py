"""Publishing the outputs: a report on another file system than the work directory, a report
directory that is already there, and what a run stopped while publishing leaves and says."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cleaner import faults
from cleaner.io.readers import REPORT_MARKER, discover
from tests.test_safety_run import main, three_articles

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return three_articles(tmp_path)


def command(*args: str, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "cleaner", "clean", *args, "-q", "--workers", str(workers)]


def clean(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), cwd=ROOT, capture_output=True, text=True, env=env)


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too), by its path under it."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- a report on another file system than the work directory ----------------------------------


def two_devices(monkeypatch: pytest.MonkeyPatch, mount: Path) -> list[tuple[str, str]]:
    """Make ``mount`` another file system, as far as renames and links can tell: one from inside
    it to outside (or back) fails with EXDEV, as the kernel's does. The attempts are returned."""
    refused: list[tuple[str, str]] = []
    inside = os.path.realpath(mount) + os.sep

    def across(src: object, dst: object) -> bool:
        ends = [os.path.realpath(os.fspath(p)).startswith(inside) for p in (src, dst)]  # type: ignore[call-overload]
        if ends[0] != ends[1]:
            refused.append((os.fspath(src), os.fspath(dst)))  # type: ignore[call-overload]
            return True
        return False

    for name in ("rename", "replace", "link"):
        real = getattr(os, name)

        def patched(src: object, dst: object, *args: object, _real=real, **kwargs: object) -> object:
            if across(src, dst):
                raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), os.fspath(src), os.fspath(dst))  # type: ignore[call-overload]
            return _real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, name, patched)
    return refused


@pytest.mark.parametrize("out", ["file", "stdout"])
def test_a_report_on_another_file_system_is_published(
    tmp_path: Path,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    out: str,
) -> None:
    """Before: the report was built in the work directory (beside --out, or in $TMPDIR for
    --out -) and renamed into place at the very end: on another file system, "publish/reports:
    Invalid cross-device link", exit 2, after all the cleaning, and --resume failed the same way.
    Now a report outside the output's directory is built beside itself, in a staging directory
    cleaner makes and removes, and published by a rename on its own file system."""
    args = ("clean", str(corpus), "-q", "-j", "1")
    assert main(monkeypatch, *args, "--out", str(tmp_path / "plain" / "clean.jsonl")) == 0
    mount = tmp_path / "mnt"
    mount.mkdir()
    if out == "file":  # the report on the other file system, the output and its work directory not
        given, report, beside = tmp_path / "o" / "clean.jsonl", mount / "rep", mount
    else:  # the work directory in $TMPDIR, on the other file system; the report not
        temp = mount / "tmp"
        temp.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(temp))
        given, report, beside = Path("-"), tmp_path / "rep", tmp_path
    refused = two_devices(monkeypatch, mount)
    capsys.readouterr()
    code = main(monkeypatch, *args, "--out", str(given), "--report", str(report))
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    expected = files(tmp_path / "plain" / "reports")
    got = files(report)
    assert got.pop(REPORT_MARKER) != b"" and expected.pop(REPORT_MARKER) != b""  # (it names another output)
    assert got == expected
    if out == "file":
        assert given.read_bytes() == (tmp_path / "plain" / "clean.jsonl").read_bytes()
        assert sorted(p.name for p in given.parent.iterdir()) == [".clean.jsonl.cleaner-out", "clean.jsonl"]
        assert sorted(p.name for p in beside.iterdir()) == ["rep"]
    else:
        assert captured.out.encode() == (tmp_path / "plain" / "clean.jsonl").read_bytes()
        assert sorted(p.name for p in beside.iterdir()) == ["corpus", "mnt", "plain", "rep"]
        assert list(temp.iterdir()) == []
    assert not [pair for pair in refused if not pair[0].endswith(".diff")]  # (a diff is copied, not linked)


def test_a_report_staged_beside_itself_resumes_after_a_kill(tmp_path: Path, corpus: Path) -> None:
    """The staging directory beside the report is the run's: a kill leaves it (a walk skips it),
    --resume takes it back and rebuilds what it holds, and it is gone once the report is in place."""
    plain = tmp_path / "plain"
    assert clean(str(corpus), "--out", str(plain / "clean.jsonl"), "--report", str(tmp_path / "r0")).returncode == 0
    whole = files(tmp_path / "r0")
    for n, (point, left) in enumerate(
        (("assemble", ["reports"]), ("staged-out", ["reports"]), ("report-published", []))
    ):
        out, report = tmp_path / f"o{n}" / "clean.jsonl", tmp_path / f"r{n + 1}"
        args = (str(corpus), "--out", str(out), "--report", str(report))
        killed = clean(*args, env={**os.environ, faults.ENV: point})
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        staging = tmp_path / f".r{n + 1}.staging.work"
        assert sorted(p.name for p in staging.iterdir()) == sorted(["lock", "run.json", *left])
        assert [item.rel for item in discover([tmp_path])] == [f"corpus/doc{i}.txt" for i in range(3)]
        resumed = clean(*args, "--resume")
        assert (resumed.returncode, resumed.stderr) == (0, "")
        assert not staging.exists() and not (out.parent / ".clean.jsonl.work").exists()
        marker = whole[REPORT_MARKER].replace(b'"../plain/clean.jsonl"', f'"../o{n}/clean.jsonl"'.encode())
        assert files(report) == {**whole, REPORT_MARKER: marker}
        assert out.read_bytes() == (plain / "clean.jsonl").read_bytes()


def test_a_staging_directory_cleaner_did_not_make_is_left_alone(tmp_path: Path, corpus: Path) -> None:
    out, report = tmp_path / "o" / "clean.jsonl", tmp_path / "rep"
    staging = tmp_path / ".rep.staging.work"
    staging.mkdir()
    (staging / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = clean(str(corpus), "--out", str(out), "--report", str(report))
    assert result.returncode == 2
    assert result.stderr == f"error: {staging} exists and is not a cleaner staging directory; move it away\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rep.staging.work", "corpus"]
    assert [p.name for p in staging.iterdir()] == ["notes.txt"]


def test_a_report_another_run_is_staging_is_refused_at_the_start(tmp_path: Path, corpus: Path) -> None:
    """Two runs of different outputs and one --report: the second is refused before it cleans
    (the first holds the staging directory's lock), not at its end."""
    report = tmp_path / "rep"
    first = subprocess.Popen(
        command(str(corpus), "--out", str(tmp_path / "a" / "clean.jsonl"), "--report", str(report)),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, faults.ENV: "staged-out", faults.SIGNAL: "stop"},
    )
    try:
        _, status = os.waitpid(first.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status)
        second = clean(str(corpus), "--out", str(tmp_path / "b" / "clean.jsonl"), "--report", str(report))
        assert second.returncode == 2
        staging = tmp_path / ".rep.staging.work"
        assert second.stderr == (
            f"error: another cleaner run is writing the report {report} ({staging} is locked); "
            "wait for it to finish or use another --report\n"
        )
        assert not (tmp_path / "b").exists()
    finally:
        os.kill(first.pid, signal.SIGCONT)
        first.communicate(timeout=120)
    assert first.returncode == 0
    assert (report / "summary.json").is_file() and not (tmp_path / ".rep.staging.work").exists()


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs unshare -m and mount (root)")
def test_a_report_on_a_real_tmpfs_is_published(tmp_path: Path, corpus: Path) -> None:
    """The same on a real tmpfs, in a mount namespace of its own: the report on it, the output
    not; with two workers (the review page built while they clean); then --overwrite."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    out = tmp_path / "o" / "clean.jsonl"
    run = " ".join(command(str(corpus), "--out", str(out), "--report", str(mount / "rep"), workers=2))
    script = f"mount -t tmpfs tmpfs {mount} && cd {ROOT} && {run} && {run} --overwrite && ls -A {mount} {mount}/rep"
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == [
        f"{mount}:",
        "rep",
        f"{mount}/rep:",
        REPORT_MARKER,
        "corpus",
        "index.html",
        "removals.jsonl",
        "review",
        "summary.json",
        "summary.md",
    ]
    assert sorted(p.name for p in out.parent.iterdir()) == [".clean.jsonl.cleaner-out", "clean.jsonl"]


# --- a report directory that is there: written into --------------------------------------------


def _identity(path: Path) -> tuple[int, int, int, int, int]:
    found = path.stat()
    return found.st_dev, found.st_ino, found.st_mode, found.st_uid, found.st_gid


@pytest.mark.parametrize("where", ["beside", "elsewhere"])
def test_an_empty_report_directory_is_written_into_and_stays_the_users(
    tmp_path: Path, corpus: Path, where: str
) -> None:
    """Before: an empty --report directory was replaced by a rename over it: a new directory,
    of the umask's mode, the run's owner and group (a shared folder's setgid bit and group were
    lost). Now the report's entries are moved into it: the same directory, mode, owner and group,
    and so again for --overwrite. (beside: in the output's directory, built in the work directory;
    elsewhere: built in its staging directory.)"""
    plain = tmp_path / "plain"
    assert clean(str(corpus), "--out", str(plain / "clean.jsonl")).returncode == 0
    out = tmp_path / "o" / "clean.jsonl"
    report = out.parent / "reports" if where == "beside" else tmp_path / "shared" / "rep"
    report.mkdir(parents=True)
    report.chmod(0o2770)
    groups = [g for g in ([65534] if os.geteuid() == 0 else os.getgroups()) if g != os.getegid()]
    if groups:
        os.chown(report, -1, groups[0])
    before = _identity(report)
    for extra in ((), ("--overwrite",)):
        result = clean(str(corpus), "--out", str(out), "--report", str(report), *extra)
        assert (result.returncode, result.stderr) == (0, "")
        assert _identity(report) == before
        got, expected = files(report), files(plain / "reports")
        assert got.pop(REPORT_MARKER) != b"" and expected.pop(REPORT_MARKER) != b""
        assert got == expected
        assert sorted(p.name for p in report.parent.iterdir()) == sorted(
            ["clean.jsonl", "reports"] if where == "beside" else ["rep"]
        )


@pytest.mark.parametrize("again", ["--resume", "without --resume"])
def test_a_kill_while_the_report_is_moved_in_is_finished_by_the_next_run(
    tmp_path: Path, corpus: Path, again: str
) -> None:
    """Killed with two of the report's entries moved into the user's directory and no marker yet:
    that directory is recognised as the one the run was writing into (its inode and the entries'
    names are in the work directory's manifest), and the same command finishes the report in it."""
    whole = tmp_path / "whole"
    assert clean(str(corpus), "--out", str(whole / "clean.jsonl"), "--report", str(whole / "rep")).returncode == 0
    out, report = tmp_path / "o" / "clean.jsonl", tmp_path / "o" / "rep"
    report.mkdir(parents=True)
    before = _identity(report)
    args = (str(corpus), "--out", str(out), "--report", str(report))
    killed = clean(*args, env={**os.environ, faults.ENV: "report-filling:2"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sorted(p.name for p in report.iterdir()) == ["corpus", "index.html"]
    finished = clean(*args, *(("--resume",) if again == "--resume" else ()))
    assert (finished.returncode, finished.stderr) == (0, "")
    assert _identity(report) == before
    assert files(tmp_path / "o") == files(whole)
    (report / "notes.txt").write_text("mine\n", encoding="utf-8")  # a report like any other now
    refused = clean(*args, "--overwrite")
    assert refused.returncode == 2 and "holds notes.txt, which cleaner did not write" in refused.stderr


def test_overwrite_killed_while_the_report_is_moved_in_keeps_the_previous_marker(tmp_path: Path, corpus: Path) -> None:
    """--overwrite of a previous report, killed midway: the previous report's marker stays until
    the new one replaces it (so a walk still skips the report and the output it names), the
    directory holds nothing else than cleaner's, and the same command with --resume finishes it."""
    out, report = tmp_path / "o" / "clean.jsonl", tmp_path / "o" / "reports"
    args = (str(corpus), "--out", str(out))
    assert clean(*args).returncode == 0
    whole = files(tmp_path / "o")
    (out).write_bytes(b'{"id": "old", "text": "an older result"}\n')
    old_marker = (report / REPORT_MARKER).read_bytes()
    before = _identity(report)
    killed = clean(*args, "--overwrite", env={**os.environ, faults.ENV: "report-filling:1"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sorted(p.name for p in report.iterdir()) == [REPORT_MARKER, "corpus"]
    assert (report / REPORT_MARKER).read_bytes() == old_marker
    assert [item.rel for item in discover([tmp_path / "o"])] == []
    refused = clean(*args, "--resume")
    assert (refused.returncode, refused.stderr) == (
        2,
        f"error: {out} exists; pass --overwrite to replace it\n",
    )
    resumed = clean(*args, "--resume", "--overwrite")
    assert (resumed.returncode, resumed.stderr) == (0, "")
    assert files(tmp_path / "o") == whole
    assert _identity(report) == before


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs unshare -m and mount (root)")
def test_a_report_on_a_mount_point_is_refused_at_the_start(tmp_path: Path, corpus: Path) -> None:
    """A report directory there is written into, from a staging built on its parent's file
    system: a mount point could not take it, so it is refused before anything is cleaned."""
    point = tmp_path / "mnt"
    point.mkdir()
    out = tmp_path / "o" / "clean.jsonl"
    run = " ".join(command(str(corpus), "--out", str(out), "--report", str(point)))
    script = f"mount -t tmpfs tmpfs {point} && cd {ROOT} && {run}; echo $?; ls -A {point}"
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert result.stderr == (
        f"error: --report {point} is a mount point: cleaner builds the report beside it, on {tmp_path}'s "
        "file system, and cannot move it in; give a directory inside it\n"
    )
    assert result.stdout == "2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "mnt"]


# --- a run stopped while it publishes: what it leaves, and what it says ---------------------------


def _signals_as_at_a_shell() -> None:
    """In the child before exec: SIGINT handled by default and not blocked, as a terminal's Ctrl-C
    finds a command, whatever the test process (a pytest-xdist worker) inherited or set."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stopped_at(point: str, sig: int, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``cleaner clean args``, let it stop itself at the fault point, then send ``sig``."""
    process = subprocess.Popen(
        command(*args),
        cwd=ROOT,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, faults.ENV: point, faults.SIGNAL: "stop"},
        preexec_fn=_signals_as_at_a_shell,
    )
    if process.stdin is not None:  # (small: the pipe takes it whole)
        process.stdin.write(stdin or b"")
        process.stdin.close()
        process.stdin = None
    _, status = os.waitpid(process.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"the run never reached {point}"
    process.send_signal(sig)
    os.kill(process.pid, signal.SIGCONT)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize(
    ("point", "sig", "said"),
    [
        ("staged-out", signal.SIGINT, "nothing was written under the final output names; {resume} to finish"),
        ("report-aside", signal.SIGINT, "the report {report} was written, {out} not yet; {resume} to finish"),
        ("report-published", signal.SIGTERM, "the report {report} was written, {out} not yet; {resume} to finish"),
        (
            "out-published",
            signal.SIGINT,
            "{out} and its report {report} were written, and only the work directory {work} is left: "
            "{resume} to remove it",
        ),
    ],
    ids=["staged-out", "report-aside", "report-published", "out-published"],
)
def test_an_interrupt_while_publishing_says_what_was_written(
    tmp_path: Path, corpus: Path, point: str, sig: int, said: str
) -> None:
    """Before: "nothing was written under the final output names" however late the interrupt
    came, with the report (and the output) in place; and at report-aside, --overwrite had moved
    the previous report away whole, its marker too, so the previous clean.jsonl beside it was
    named by no marker, and a run over the folder read it back as documents. Now the message
    names what is in place; the report is moved in whole once its moving has begun (the
    interrupt is acted on after), and the previous marker names the output until then."""
    out, report = tmp_path / "o" / "clean.jsonl", tmp_path / "o" / "reports"
    args = (str(corpus), "--out", str(out))
    assert clean(*args).returncode == 0
    whole = files(tmp_path / "o")
    out.write_bytes(b'{"id": "old", "text": "an older result"}\n')
    stopped = stopped_at(point, sig, *args, "--overwrite")
    resume = "run the same command with --resume"
    message = said.format(out=out, report=report, work=out.parent / ".clean.jsonl.work", resume=resume)
    assert (stopped.returncode, stopped.stderr.decode()) == (130, f"error: interrupted: {message}\n")
    assert [item.rel for item in discover([tmp_path / "o"])] == []
    if point != "staged-out":
        assert files(report) == {
            name[len("reports/") :]: data for name, data in whole.items() if name.startswith("reports/")
        }
    resumed = clean(*args, "--overwrite", "--resume")
    assert (resumed.returncode, resumed.stderr) == (0, "")
    assert files(tmp_path / "o") == whole


def test_overwrite_killed_with_the_previous_report_moved_aside_leaves_its_output_named(
    tmp_path: Path, corpus: Path
) -> None:
    """Before: SIGKILL at report-aside left the previous clean.jsonl with no marker naming it
    (the previous report was in the work directory), read back as input by a run over the folder."""
    out = tmp_path / "o" / "clean.jsonl"
    args = (str(corpus), "--out", str(out))
    assert clean(*args).returncode == 0
    out.write_bytes(b'{"id": "old", "text": "an older result"}\n')
    killed = clean(*args, "--overwrite", env={**os.environ, faults.ENV: "report-aside"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [item.rel for item in discover([tmp_path / "o"])] == []


@pytest.mark.parametrize("where", ["--out -", "stdin"])
def test_a_run_on_stdin_or_stdout_interrupted_while_publishing_says_what_was_written(
    tmp_path: Path, corpus: Path, where: str
) -> None:
    """Before: "nothing was written", with the report given by --report (or, reading stdin, both
    outputs) in place."""
    record = (corpus / "doc0.txt").read_text(encoding="utf-8")
    data = ('{"id": "a", "text": ' + repr(record).replace("'", '"') + "}\n").encode()
    report = tmp_path / "rep"
    if where == "--out -":
        args: tuple[str, ...] = (str(corpus), "--out", "-", "--report", str(report))
        stopped = stopped_at("report-published", signal.SIGINT, *args)
        said = f"only the report {report} was written, nothing to stdout (a run on stdin or stdout cannot be resumed: run it again)"
        assert (report / "summary.json").is_file()
    else:
        out = tmp_path / "o" / "clean.jsonl"
        stopped = stopped_at("out-published", signal.SIGINT, "-", "--out", str(out), stdin=data)
        said = (
            f"{out} and its report {out.parent / 'reports'} were written, and only the work directory "
            f"{out.parent / '.clean.jsonl.work'} is left (a run on stdin cannot be resumed: remove it)"
        )
        assert out.read_bytes().count(b"\n") == 1
    assert (stopped.returncode, stopped.stdout, stopped.stderr.decode()) == (130, b"", f"error: interrupted; {said}\n")
