"""Data safety of a run (issue 10): cleaner deletes and replaces only what it created, names every
document and diff uniquely, and turns environment errors into one-line messages."""

from __future__ import annotations

import errno
import fcntl
import gzip
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from cleaner import cli, faults
from cleaner.io import stdio
from cleaner.io.readers import REPORT_MARKER, Fields, Limits, discover, output_digest, read

ROOT = Path(__file__).resolve().parent.parent
DOC = "A council met on Tuesday to discuss the new bridge.\n\nSource: AFP\n"


def clean(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", *args, "-q", "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: file bytes, or what a symlink points to."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[name] = "-> " + os.readlink(path)
        elif path.is_file():
            found[name] = path.read_bytes()
        else:
            found[name] = "dir"
    return found


def three_articles(tmp_path: Path) -> Path:
    """``tmp_path/corpus``: three .txt articles, each with a "Source:" line a rule removes."""
    root = tmp_path / "corpus"
    root.mkdir()
    for n in range(3):
        (root / f"doc{n}.txt").write_text(f"Paragraph {n} of the story.\n" + DOC, encoding="utf-8")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return three_articles(tmp_path)


# --- data loss and clobbering ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "report", "message"),
    [
        ("out/clean.jsonl", "corpus", "--report {tmp}/corpus is the input {tmp}/corpus"),
        ("out/clean.jsonl", "corpus/sub", "--report {tmp}/corpus/sub lies inside the input {tmp}/corpus"),
        ("out/clean.jsonl", ".", "--out {tmp}/out/clean.jsonl lies inside --report {tmp}"),
        ("out/clean.jsonl", "out", "--out {tmp}/out/clean.jsonl lies inside --report {tmp}/out"),
        ("corpus/clean.jsonl", "reports", "--out {tmp}/corpus/clean.jsonl lies inside the input {tmp}/corpus"),
        (
            "out/clean.jsonl",
            "out/.clean.jsonl.work",
            "--report {tmp}/out/.clean.jsonl.work is the work directory {tmp}/out/.clean.jsonl.work",
        ),
        ("out/clean.jsonl", "out/clean.jsonl", "--out {tmp}/out/clean.jsonl is --report {tmp}/out/clean.jsonl"),
    ],
)
def test_an_output_overlapping_an_input_an_output_or_the_work_directory_is_refused(
    tmp_path: Path, corpus: Path, out: str, report: str, message: str
) -> None:
    """Before: `--report corpus` deleted the input corpus, `--report out` deleted clean.jsonl."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "clean.jsonl").write_text("an earlier result\n", encoding="utf-8")
    before = tree(tmp_path)
    result = clean(str(corpus), "--out", str(tmp_path / out), "--report", f"{tmp_path}/{report}", "--overwrite")
    assert result.returncode == 2
    assert result.stderr == f"error: {message.format(tmp=tmp_path)}; choose another path\n"
    assert tree(tmp_path) == before


def test_an_output_equal_to_an_input_file_is_refused(tmp_path: Path) -> None:
    """Before: `cleaner clean data.jsonl --out data.jsonl --overwrite` replaced the input."""
    data = tmp_path / "data.jsonl"
    data.write_bytes(orjson.dumps({"id": "a", "text": DOC}) + b"\n")
    before = tree(tmp_path)
    result = clean(str(data), "--out", str(data), "--overwrite")
    assert result.returncode == 2
    assert f"--out {data} is the input {data}" in result.stderr
    assert tree(tmp_path) == before


def test_a_report_directory_not_written_by_cleaner_is_never_replaced(tmp_path: Path, corpus: Path) -> None:
    """Before: any existing --report directory was deleted, even without --overwrite."""
    mine = tmp_path / "notes"
    (mine / "deep").mkdir(parents=True)
    (mine / "deep" / "thesis.txt").write_text("years of work\n", encoding="utf-8")
    before = tree(tmp_path)
    for extra in ((), ("--overwrite",)):
        result = clean(str(corpus), "--out", str(tmp_path / "o" / "clean.jsonl"), "--report", str(mine), *extra)
        assert result.returncode == 2
        assert result.stderr == (
            f"error: --report {mine} is a directory with files that cleaner did not write; "
            "cleaner only replaces its own reports: choose another path\n"
        )
        assert tree(tmp_path) == before


# What the report of the corpus fixture holds, as its marker lists it.
REPORT_PATHS = [
    "corpus/",
    "corpus/doc0.txt.diff",
    "corpus/doc1.txt.diff",
    "corpus/doc2.txt.diff",
    "index.html",
    "removals.jsonl",
    "review/",
    "review/d0.js",
    "review/l0.js",
    "review/r0-0.js",
    "review/s0.js",
    "summary.json",
    "summary.md",
]


def test_a_previous_report_is_replaced_only_with_overwrite(tmp_path: Path, corpus: Path) -> None:
    """Before: a previous report was replaced without --overwrite when --out was new."""
    report = tmp_path / "reports"
    first = clean(str(corpus), "--out", str(tmp_path / "a.jsonl"), "--report", str(report))
    assert first.returncode == 0, first.stderr
    size = (tmp_path / "a.jsonl").stat().st_size
    assert orjson.loads((report / REPORT_MARKER).read_bytes()) == {
        "out": "../a.jsonl",
        "out_size": size,
        "out_digest": output_digest(tmp_path / "a.jsonl"),
        "id_field": "id",
        "paths": REPORT_PATHS,
    }
    (report / "summary.md").write_text("edited, but still cleaner's file\n", encoding="utf-8")
    before = tree(tmp_path)
    refused = clean(str(corpus), "--out", str(tmp_path / "b.jsonl"), "--report", str(report))
    assert refused.returncode == 2
    assert refused.stderr == f"error: {report} holds a previous report; pass --overwrite to replace it\n"
    assert tree(tmp_path) == before
    replaced = clean(str(corpus), "--out", str(tmp_path / "b.jsonl"), "--report", str(report), "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert orjson.loads((report / REPORT_MARKER).read_bytes()) == {
        "out": "../b.jsonl",
        "out_size": size,
        "out_digest": output_digest(tmp_path / "b.jsonl"),
        "id_field": "id",
        "paths": REPORT_PATHS,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl", "corpus", "reports"]


def test_overwrite_never_deletes_what_cleaner_did_not_write_into_a_report(tmp_path: Path, corpus: Path) -> None:
    """Before: --overwrite moved the whole previous report aside and deleted it, with the notes
    and folders a user had put into it."""
    out = tmp_path / "o" / "c.jsonl"
    assert clean(str(corpus), "--out", str(out)).returncode == 0
    report = tmp_path / "o" / "reports"
    (report / "notes.txt").write_text("mine\n", encoding="utf-8")
    (report / "sub").mkdir()
    (report / "sub" / "more.txt").write_text("mine too\n", encoding="utf-8")
    (report / "review" / "extra.js").write_text("// mine\n", encoding="utf-8")
    (report / "zz.diff").symlink_to(report / "notes.txt")
    before = tree(tmp_path)
    refused = clean(str(corpus), "--out", str(out), "--overwrite")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"error: --report {report} holds notes.txt, review/extra.js, sub/ and 1 more, which cleaner did not "
        "write; cleaner replaces only its own reports: move them away or choose another path\n"
    )
    assert tree(tmp_path) == before
    for name in ("notes.txt", "review/extra.js", "zz.diff"):
        (report / name).unlink()
    (report / "sub" / "more.txt").unlink()
    refused = clean(str(corpus), "--out", str(out), "--overwrite")  # an empty folder is not cleaner's either
    assert refused.stderr == (
        f"error: --report {report} holds sub/, which cleaner did not write; cleaner replaces only its own "
        "reports: move it away or choose another path\n"
    )
    (report / "sub").rmdir()
    assert clean(str(corpus), "--out", str(out), "--overwrite").returncode == 0


def test_a_report_of_an_older_cleaner_is_judged_by_cleaners_names(tmp_path: Path, corpus: Path) -> None:
    """A marker without a list of paths (written before it had one): the files of the names
    cleaner writes are its own, anything else is refused."""
    out = tmp_path / "o" / "c.jsonl"
    report = tmp_path / "o" / "reports"
    report.mkdir(parents=True)
    (report / REPORT_MARKER).write_bytes(b'{"out":"../c.jsonl"}\n')
    for name in ("summary.md", "summary.json", "removals.jsonl", "index.html", "compare.md", "in.jsonl.diff"):
        (report / name).write_text("old\n", encoding="utf-8")
    for name in ("review/d0.js", "crawl/sub/doc.txt.diff"):
        (report / name).parent.mkdir(parents=True, exist_ok=True)
        (report / name).write_text("old\n", encoding="utf-8")
    (report / "crawl" / "sub" / "notes.md").write_text("mine\n", encoding="utf-8")
    (report / "review" / "deep").mkdir()
    (report / "review" / "deep" / "x.js").write_text("mine\n", encoding="utf-8")
    before = tree(tmp_path)
    refused = clean(str(corpus), "--out", str(out), "--overwrite")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"error: --report {report} holds crawl/sub/notes.md, review/deep/x.js, which cleaner did not write; "
        "cleaner replaces only its own reports: move them away or choose another path\n"
    )
    assert tree(tmp_path) == before
    (report / "crawl" / "sub" / "notes.md").unlink()
    (report / "review" / "deep" / "x.js").unlink()
    replaced = clean(str(corpus), "--out", str(out), "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert orjson.loads((report / REPORT_MARKER).read_bytes())["paths"] == REPORT_PATHS


def _fails_with_a_late_write(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    write: Callable[[], object],
) -> str:
    """Run ``cleaner`` with ``args``, calling ``write`` once the shards are done (as the summary is
    written, before anything is published); the run must fail with exit 2: its stderr."""
    from cleaner.pipeline import workdir

    write_summary = workdir.write_summary

    def late(*given: object, **options: object) -> object:
        write()
        return write_summary(*given, **options)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(workdir, "write_summary", late)
        capsys.readouterr()
        assert main(patch, *args) == 2
    return capsys.readouterr().err


def test_a_file_put_into_the_report_during_the_run_is_kept_and_the_run_resumes(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report is checked again just before it is replaced: a file added to it while the run
    cleaned stops the run there (exit 2, nothing replaced), and --resume finishes it."""

    out = tmp_path / "o" / "c.jsonl"
    args = ("clean", str(corpus), "--out", str(out), "-q", "-j", "1", "--overwrite")
    assert main(monkeypatch, *args) == 0
    whole = tree(tmp_path / "o")
    report = tmp_path / "o" / "reports"
    said = _fails_with_a_late_write(
        monkeypatch, capsys, args, lambda: (report / "late.txt").write_text("written while the run cleaned\n")
    )
    work = tmp_path / "o" / ".c.jsonl.work"
    assert said == (
        f"error: --report {report} holds late.txt, which cleaner did not write; cleaner replaces only its own "
        f"reports: move it away or choose another path; then run the same command with --resume (the cleaned "
        f"input files are kept in {work})\n"
    )
    assert (report / "late.txt").read_text(encoding="utf-8") == "written while the run cleaned\n"
    (report / "late.txt").unlink()
    assert {name: data for name, data in tree(tmp_path / "o").items() if not name.startswith(".c.jsonl.work")} == whole
    assert main(monkeypatch, *args, "--resume") == 0
    assert tree(tmp_path / "o") == whole


@pytest.mark.parametrize("what", ["out", "report"])
def test_an_output_written_while_the_run_cleaned_is_not_replaced_without_overwrite(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    """Before: the start's checks saw no output and no report, and a file put at --out, or a report
    another run published at --report, while this run cleaned was replaced at its end, without
    --overwrite and without a word. It is refused (exit 2, nothing replaced), and --resume with
    --overwrite finishes the run."""

    out = tmp_path / "o" / "c.jsonl"
    report = tmp_path / "r"
    args = ("clean", str(corpus), "--out", str(out), "--report", str(report), "-q", "-j", "1")

    def late() -> None:
        if what == "out":
            out.write_text("MY OWN DATA\n", encoding="utf-8")
        else:  # another run's report, published meanwhile
            report.mkdir()
            (report / REPORT_MARKER).write_text('{"out": "elsewhere.jsonl", "paths": []}\n', encoding="utf-8")

    err = _fails_with_a_late_write(monkeypatch, capsys, args, late)
    work = tmp_path / "o" / ".c.jsonl.work"
    then = (
        f"the cleaned input files are kept in {work}: move it away, or pass --overwrite to replace it, and run the "
        "same command with --resume"
    )
    said = {
        "out": f"error: {out} was written while this run cleaned; {then}\n",
        "report": f"error: {report} holds a report written while this run cleaned; {then}\n",
    }
    assert err == said[what]
    if what == "out":
        assert out.read_text(encoding="utf-8") == "MY OWN DATA\n"
        assert not report.exists()
    else:
        assert sorted(p.name for p in report.iterdir()) == [REPORT_MARKER]
        assert not out.exists()
    assert main(monkeypatch, *args, "--resume", "--overwrite") == 0
    assert out.read_bytes().count(b"\n") == 3 and (report / "summary.json").is_file()


def test_a_report_given_as_a_symlink_to_a_directory_is_written_there(tmp_path: Path, corpus: Path) -> None:
    """Before: refused as "is not a directory". The link is followed: the report is published in
    the directory it leads to, the link stays, and the checks are made on that directory."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    out = tmp_path / "o" / "clean.jsonl"
    for extra in ((), ("--overwrite",)):
        result = clean(str(corpus), "--out", str(out), "--report", str(link), *extra)
        assert result.returncode == 0, result.stderr
        assert os.readlink(link) == str(real)
        marker = {
            "out": "../o/clean.jsonl",
            "out_size": out.stat().st_size,
            "out_digest": output_digest(out),
            "id_field": "id",
            "paths": REPORT_PATHS,
        }
        assert orjson.loads((real / REPORT_MARKER).read_bytes()) == marker
    into_input = tmp_path / "into-input"
    into_input.symlink_to(corpus)
    result = clean(str(corpus), "--out", str(out), "--report", str(into_input), "--overwrite")
    assert result.returncode == 2
    assert result.stderr == f"error: --report {corpus} is the input {corpus}; choose another path\n"
    (tmp_path / "file").write_text("mine\n", encoding="utf-8")
    for name, to, message in (
        ("dangling", "nowhere", "is a symlink to nowhere, which cannot be followed: No such file or directory"),
        ("to-file", "file", f"is a symlink to {tmp_path / 'file'}, which is not a directory"),
    ):
        (tmp_path / name).symlink_to(to)
        result = clean(str(corpus), "--out", str(out), "--report", str(tmp_path / name), "--overwrite")
        assert result.returncode == 2
        assert result.stderr == f"error: --report {tmp_path / name} {message}\n"
    assert (tmp_path / "file").read_text(encoding="utf-8") == "mine\n"


def test_an_empty_report_directory_is_used(tmp_path: Path, corpus: Path) -> None:
    report = tmp_path / "reports"
    report.mkdir()
    result = clean(str(corpus), "--out", str(tmp_path / "clean.jsonl"), "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert (report / "summary.md").is_file()


def test_a_report_path_that_is_a_file_is_a_one_line_error(tmp_path: Path, corpus: Path) -> None:
    """Before: the whole run went through, then rmtree on the file raised a traceback."""
    report = tmp_path / "report.txt"
    report.write_text("mine\n", encoding="utf-8")
    result = clean(str(corpus), "--out", str(tmp_path / "o" / "clean.jsonl"), "--report", str(report))
    assert result.returncode == 2
    assert result.stderr == f"error: --report {report} is not a directory\n"
    assert report.read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / "o").exists()


def test_a_refused_report_place_leaves_no_directory_behind(tmp_path: Path, corpus: Path) -> None:
    """Before: the output's new directories were made, then the report's place was found unusable
    (exit 2), and they stayed behind, empty. Now the directories made by the start's checks are
    removed again when a check fails; one that was there before stays."""
    (tmp_path / "o").mkdir()
    (tmp_path / "afile").write_text("mine\n", encoding="utf-8")
    before = tree(tmp_path)
    for out in (tmp_path / "new" / "deeper" / "clean.jsonl", tmp_path / "o" / "new" / "clean.jsonl"):
        result = clean(str(corpus), "--out", str(out), "--report", str(tmp_path / "afile" / "rep"))
        assert result.returncode == 2
        assert tree(tmp_path) == before
        assert result.stderr == f"error: {tmp_path / 'afile'}: not writable: Not a directory\n"
    result = clean(
        str(corpus), "--out", str(tmp_path / "new" / "clean.jsonl"), "--report", str(tmp_path / "afile" / "x" / "rep")
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 'afile' / 'x'}: cannot create: Not a directory\n"
    assert tree(tmp_path) == before


@pytest.mark.parametrize("kind", ["symlink", "fifo", "dangling symlink"])
def test_an_output_that_is_not_a_regular_file_is_never_replaced(tmp_path: Path, corpus: Path, kind: str) -> None:
    """Before: `--out /dev/stdout --overwrite` replaced the /dev/stdout symlink with a file.
    (A symlink made here stands for /dev/stdout: the real one is not put at risk in a test.)"""
    target = tmp_path / "target.jsonl"
    out = tmp_path / "out.jsonl"
    if kind == "fifo":
        os.mkfifo(out)
    else:
        if kind == "symlink":
            target.write_text("keep\n", encoding="utf-8")
        out.symlink_to(target)
    before = tree(tmp_path)
    result = clean(str(corpus), "--out", str(out), "--overwrite")
    assert result.returncode == 2
    assert result.stderr == f"error: {out} exists and is not a regular file; cleaner only replaces regular files\n"
    assert tree(tmp_path) == before
    assert stat.S_ISFIFO(out.lstat().st_mode) if kind == "fifo" else out.is_symlink()


def test_discovery_skips_reports_outputs_and_work_directories(tmp_path: Path, corpus: Path) -> None:
    """Before: a run's clean.jsonl and index.html inside an input directory were read back as
    documents by the next run (and so were a killed run's shards)."""
    project = tmp_path / "project"
    project.mkdir()
    corpus.rename(project / "corpus")
    first = clean(str(project / "corpus"), "--out", str(project / "out" / "clean.jsonl"))
    assert first.returncode == 0, first.stderr
    work = project / "out" / ".old.jsonl.work"  # a killed run's shards (and its lock, as every run's)
    work.mkdir()
    (work / "lock").touch()
    (work / "000000.jsonl").write_bytes((project / "out" / "clean.jsonl").read_bytes())
    mine = project / ".cleaner-mine-x1y2"  # mining's spill (its count files)
    mine.mkdir()
    (mine / "counts-000.bin").write_bytes(b"\0" * 16)
    assert [item.rel for item in discover([project])] == ["corpus/doc0.txt", "corpus/doc1.txt", "corpus/doc2.txt"]
    # A report directory given as the input is skipped as well.
    assert discover([project / "out" / "reports"]) == []
    second = clean(str(project), "--out", str(tmp_path / "again" / "clean.jsonl"))
    assert second.returncode == 0, second.stderr
    ids = [orjson.loads(line)["id"] for line in (tmp_path / "again" / "clean.jsonl").read_bytes().splitlines()]
    assert ids == ["corpus/doc0", "corpus/doc1", "corpus/doc2"]


def test_an_output_beside_an_input_is_not_read_back_when_its_report_is_elsewhere(tmp_path: Path) -> None:
    """Before: `cleaner clean d/in.jsonl --out d/clean.jsonl --report r`, then `cleaner clean d`
    read d/clean.jsonl back as documents (the report's marker, which names it, is not in d)."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "in.jsonl").write_bytes(b"".join(orjson.dumps({"text": f"Rec {n} has some text."}) + b"\n" for n in (1, 2)))
    first = clean(str(data / "in.jsonl"), "--out", str(data / "clean.jsonl"), "--report", str(tmp_path / "r"))
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in data.iterdir()) == [".clean.jsonl.cleaner-out", "clean.jsonl", "in.jsonl"]
    size = (data / "clean.jsonl").stat().st_size
    assert orjson.loads((data / ".clean.jsonl.cleaner-out").read_bytes()) == {
        "report": "../r",
        "size": size,
        "digest": output_digest(data / "clean.jsonl"),
    }
    assert [item.rel for item in discover([data])] == ["in.jsonl"]
    again = clean(str(data), "--out", str(tmp_path / "o" / "clean.jsonl"))
    assert again.returncode == 0, again.stderr
    ids = [orjson.loads(line)["id"] for line in (tmp_path / "o" / "clean.jsonl").read_bytes().splitlines()]
    assert ids == ["in:1", "in:2"]
    # Not cleaner's file under the marker's name: refused, not replaced.
    (data / ".clean.jsonl.cleaner-out").write_text("mine\n", encoding="utf-8")
    refused = clean(
        str(data / "in.jsonl"), "--out", str(data / "clean.jsonl"), "--report", str(tmp_path / "r"), "--overwrite"
    )
    assert refused.returncode == 2
    assert refused.stderr == f"error: {data / '.clean.jsonl.cleaner-out'} exists and is not cleaner's; move it away\n"
    assert (data / ".clean.jsonl.cleaner-out").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("report", ["elsewhere", "beside"])
def test_a_file_put_where_an_output_was_is_input(tmp_path: Path, report: str) -> None:
    """Before: the output deleted and a user's own file put under its name, a later run over the
    folder skipped that file unseen, by the marker of a report (or of the output) long gone stale."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "in.jsonl").write_bytes(b"".join(orjson.dumps({"text": f"Rec {n} has some text."}) + b"\n" for n in (1, 2)))
    reports = tmp_path / "r" if report == "elsewhere" else data / "reports"
    first = clean(str(data / "in.jsonl"), "--out", str(data / "clean.jsonl"), "--report", str(reports))
    assert first.returncode == 0, first.stderr
    assert [item.rel for item in discover([data])] == ["in.jsonl"]  # the output itself: skipped
    # Before: a file of the output's size was taken for it (one record edited in place, "1" for "2").
    cleaned = (data / "clean.jsonl").read_bytes()
    (data / "clean.jsonl").write_bytes(cleaned.replace(b"Rec 2", b"Rec 3"))
    assert [item.rel for item in discover([data])] == ["clean.jsonl", "in.jsonl"]
    (data / "clean.jsonl").write_bytes(cleaned)  # the output's bytes again: skipped again
    assert [item.rel for item in discover([data])] == ["in.jsonl"]
    (data / "clean.jsonl").unlink()
    (data / "clean.jsonl").write_bytes(orjson.dumps({"text": "A record of my own, not cleaner's."}) + b"\n")
    assert [item.rel for item in discover([data])] == ["clean.jsonl", "in.jsonl"]
    again = clean(str(data), "--out", str(tmp_path / "o" / "clean.jsonl"))
    assert again.returncode == 0, again.stderr
    ids = [orjson.loads(line)["id"] for line in (tmp_path / "o" / "clean.jsonl").read_bytes().splitlines()]
    assert ids == ["clean:1", "in:1", "in:2"]


def test_the_previous_output_is_skipped_while_a_run_publishing_a_new_one_is_under_way(tmp_path: Path) -> None:
    """A run replacing an output writes its markers (with the new size) before it renames the new
    output into place: killed between the two, the previous output, of another size, sat beside
    markers that did not name its size, and a run over the folder read it back as documents."""
    data = tmp_path / "d"
    (data / "raw").mkdir(parents=True)
    (data / "raw" / "a.txt").write_text("A first document of a few words here.\n", encoding="utf-8")
    out, reports = data / "out" / "clean.jsonl", data / "out" / "reports"
    assert clean(str(data / "raw"), "--out", str(out), "--report", str(reports)).returncode == 0
    (data / "raw" / "b.txt").write_text("A second document, added since the first run.\n", encoding="utf-8")
    env = {**os.environ, faults.ENV: "report-published"}
    args = [str(data / "raw"), "--out", str(out), "--report", str(reports), "--overwrite"]
    killed = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", *args, "-q"], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    marker = orjson.loads((reports / REPORT_MARKER).read_bytes())
    assert marker["out_size"] != out.stat().st_size  # the new report, the previous output
    assert [item.rel for item in discover([data / "out"])] == []
    assert clean(*args, "--resume").returncode == 0
    assert [item.rel for item in discover([data / "out"])] == []  # and the new one, once published


def test_a_marker_of_an_older_cleaner_without_a_size_still_skips_its_output(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "in.jsonl").write_bytes(orjson.dumps({"text": "Rec 1 has some text."}) + b"\n")
    (data / "clean.jsonl").write_bytes(orjson.dumps({"text": "Rec 1 has some text."}) + b"\n")
    (data / ".clean.jsonl.cleaner-out").write_bytes(orjson.dumps({"report": "../r"}) + b"\n")
    assert [item.rel for item in discover([data])] == ["in.jsonl"]
    (data / ".clean.jsonl.cleaner-out").write_bytes(orjson.dumps({"report": "../r", "size": 3}) + b"\n")
    assert [item.rel for item in discover([data])] == ["clean.jsonl", "in.jsonl"]


@pytest.mark.parametrize("to", ["out", "report", "work"])
def test_a_symlink_in_an_input_directory_to_an_output_is_refused(tmp_path: Path, corpus: Path, to: str) -> None:
    """Before: a link in the input directory to --out read the previous output back as documents
    (the overlap checks saw the directory, not where its links lead)."""
    out = tmp_path / "o" / "clean.jsonl"
    report = tmp_path / "o" / "reports"
    work = tmp_path / "o" / ".clean.jsonl.work"
    assert clean(str(corpus), "--out", str(out)).returncode == 0
    work.mkdir()
    (work / "000000.jsonl").write_bytes(out.read_bytes())
    (work / "run.json").write_bytes(b"{}")
    link = corpus / "link.jsonl"
    link.symlink_to({"out": out, "report": report / "removals.jsonl", "work": work / "000000.jsonl"}[to])
    before = tree(tmp_path)
    result = clean(str(corpus), "--out", str(out), "--overwrite")
    assert result.returncode == 2
    assert (
        result.stderr
        == {
            "out": f"error: --out {out} is the input {link}; choose another path\n",
            "report": f"error: the input {link} lies inside --report {report}; choose another path\n",
            "work": f"error: the input {link} lies inside the work directory {work}; choose another path\n",
        }[to]
    )
    assert tree(tmp_path) == before


def test_a_broken_symlink_in_an_input_directory_is_a_reported_failure(tmp_path: Path, corpus: Path) -> None:
    """Before: skipped without a word, exit 0. Now a failure of its own, the rest cleaned, exit 1."""
    (corpus / "gone.jsonl").symlink_to("nowhere.jsonl")
    (corpus / "loop.txt").symlink_to("loop.txt")
    out = tmp_path / "o" / "clean.jsonl"
    result = clean(str(corpus), "--out", str(out))
    assert result.returncode == 1
    gone = f"{corpus}/gone.jsonl: a broken symlink to nowhere.jsonl (No such file or directory); skipped"
    loop = f"{corpus}/loop.txt: a broken symlink to loop.txt (Too many levels of symbolic links); skipped"
    assert result.stderr == f"error: {gone}\nerror: {loop}\n"
    ids = [orjson.loads(line)["id"] for line in out.read_bytes().splitlines()]
    assert ids == ["doc0", "doc1", "doc2"]
    summary = orjson.loads((tmp_path / "o" / "reports" / "summary.json").read_bytes())
    assert summary["failures"] == [
        {"file": f"{corpus}/gone.jsonl", "line": None, "message": gone.split(": ", 1)[1]},
        {"file": f"{corpus}/loop.txt", "line": None, "message": loop.split(": ", 1)[1]},
    ]
    assert summary["totals"]["docs_failed"] == 2


def test_a_directory_in_an_input_directory_that_cannot_be_listed_is_a_reported_failure(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: os.walk passed over a directory it could not list (no permission) without a word,
    and its files were lost with exit 0. Now it is an input whose read is a failure of its own, as
    a broken symlink is. (Permissions are simulated: a test run as root can list any directory.)"""
    locked = corpus / "locked"
    locked.mkdir()
    (locked / "b.jsonl").write_bytes(b'{"id":"b","text":"The council met."}\n')
    listed = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return listed(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = discover([corpus])
    assert [item.rel for item in items][-1] == "locked"
    assert [str(problem) for problem in read(items[-1], Fields())] == [
        f"{locked}: cannot list this directory: Permission denied; its files skipped"
    ]


def test_the_write_probe_never_touches_a_users_file(tmp_path: Path, corpus: Path) -> None:
    """Before: the start-up probe created and deleted `.cleaner-write-test` in the output's
    directory, deleting a file of that name."""
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / ".cleaner-write-test").write_text("mine\n", encoding="utf-8")
    result = clean(str(corpus), "--out", str(tmp_path / "o" / "clean.jsonl"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [".cleaner-write-test", "clean.jsonl", "reports"]
    assert (tmp_path / "o" / ".cleaner-write-test").read_text(encoding="utf-8") == "mine\n"


def test_a_clean_jsonl_given_by_name_is_still_an_input(tmp_path: Path, corpus: Path) -> None:
    """Skipping is for recursion only: cleaning clean output on purpose still works."""
    first = clean(str(corpus), "--out", str(tmp_path / "out" / "clean.jsonl"))
    assert first.returncode == 0, first.stderr
    assert [item.rel for item in discover([tmp_path / "out" / "clean.jsonl"])] == ["clean.jsonl"]


def test_two_inputs_with_the_same_name_get_distinct_ids_and_diffs(tmp_path: Path) -> None:
    """Before: `a/corpus b/corpus` wrote one diff over the other and gave both documents one id."""
    for side in ("a", "b"):
        (tmp_path / side / "corpus").mkdir(parents=True)
        (tmp_path / side / "corpus" / "doc.txt").write_text(f"Side {side} text.\n" + DOC, encoding="utf-8")
    out = tmp_path / "out"
    result = clean(str(tmp_path / "a" / "corpus"), str(tmp_path / "b" / "corpus"), "--out", str(out / "clean.jsonl"))
    assert result.returncode == 0, result.stderr
    records = [orjson.loads(line) for line in (out / "clean.jsonl").read_bytes().splitlines()]
    assert [r["id"] for r in records] == ["a/corpus/doc", "b/corpus/doc"]
    diffs = sorted(p.relative_to(out / "reports").as_posix() for p in (out / "reports").rglob("*.diff"))
    assert diffs == ["a/corpus/doc.txt.diff", "b/corpus/doc.txt.diff"]
    assert "Side a text." in (out / "reports" / "a" / "corpus" / "doc.txt.diff").read_text(encoding="utf-8")
    assert "Side b text." in (out / "reports" / "b" / "corpus" / "doc.txt.diff").read_text(encoding="utf-8")


def test_names_stay_as_they_were_when_they_do_not_clash(tmp_path: Path) -> None:
    for name in ("x", "y"):
        (tmp_path / name).mkdir()
    (tmp_path / "x" / "one.txt").write_text("1", encoding="utf-8")
    (tmp_path / "y" / "two.txt").write_text("2", encoding="utf-8")
    (tmp_path / "y" / "one.jsonl").write_text("", encoding="utf-8")
    found = discover([tmp_path / "x", tmp_path / "y"])
    assert [(f.rel, f.report_name) for f in found] == [
        ("one.txt", "x/one.txt"),
        ("one.jsonl", "y/one.jsonl"),
        ("two.txt", "y/two.txt"),
    ]
    # Same-named files given one by one: named by their directories.
    (tmp_path / "y" / "one.txt").write_text("3", encoding="utf-8")
    found = discover([tmp_path / "x" / "one.txt", tmp_path / "y" / "one.txt"])
    assert [(f.rel, f.report_name) for f in found] == [("x/one.txt", "x/one.txt"), ("y/one.txt", "y/one.txt")]


@pytest.mark.parametrize("name", ["index.html", "summary.md", "summary.json"])
def test_an_input_directory_named_like_a_report_file(tmp_path: Path, name: str) -> None:
    """Before: its diffs went into a directory called index.html (or summary.md) inside the
    report, and writing the page or the summary there failed with a traceback."""
    folder = tmp_path / "crawl" / name
    folder.mkdir(parents=True)
    (folder / "doc.txt").write_text(DOC, encoding="utf-8")
    out = tmp_path / "out"
    result = clean(str(folder), "--out", str(out / "clean.jsonl"))
    assert result.returncode == 0, result.stderr
    assert (out / "reports" / "crawl" / name / "doc.txt.diff").is_file()
    assert (out / "reports" / name).is_file()
    ids = [orjson.loads(line)["id"] for line in (out / "clean.jsonl").read_bytes().splitlines()]
    assert ids == ["doc"]


def test_output_files_honour_the_umask(tmp_path: Path, corpus: Path) -> None:
    """Before: clean.jsonl, the summaries and index.html were 0600 (mkstemp), diffs 0640."""
    out = tmp_path / "out"
    result = clean(str(corpus), "--out", str(out / "clean.jsonl"), umask=0o027)
    assert result.returncode == 0, result.stderr
    modes = {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()}
    assert "clean.jsonl" in modes and "reports/corpus/doc0.txt.diff" in modes
    assert set(modes.values()) == {0o640}, modes


# --- locking ----------------------------------------------------------------------------------


def test_a_second_run_on_the_same_out_is_refused(tmp_path: Path, corpus: Path) -> None:
    """Before: two runs on one --out deleted each other's shards and crashed in various ways."""
    out = tmp_path / "out" / "clean.jsonl"
    work = tmp_path / "out" / ".clean.jsonl.work"
    work.mkdir(parents=True)
    with (work / "lock").open("w") as held:  # what the first run holds for its whole length
        fcntl.flock(held, fcntl.LOCK_EX)
        result = clean(str(corpus), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: another cleaner run is writing {out} (its work directory {work} is locked); "
        "wait for it to finish or use another --out\n"
    )
    assert sorted(p.name for p in work.iterdir()) == ["lock"]
    assert not out.exists()
    again = clean(str(corpus), "--out", str(out))  # lock released: runs, and cleans up after itself
    assert again.returncode == 0, again.stderr
    assert not work.exists()


def test_a_work_directory_cleaner_did_not_make_is_left_alone(tmp_path: Path, corpus: Path) -> None:
    work = tmp_path / "out" / ".clean.jsonl.work"
    work.mkdir(parents=True)
    (work / "mine.txt").write_text("not cleaner's\n", encoding="utf-8")
    result = clean(str(corpus), "--out", str(tmp_path / "out" / "clean.jsonl"))
    assert result.returncode == 2
    assert result.stderr == f"error: {work} exists and is not a cleaner work directory; move it away\n"
    assert (work / "mine.txt").read_text(encoding="utf-8") == "not cleaner's\n"


# --- scratch directories of runs killed with SIGKILL (stdin, --out -) ---------------------------


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temp directory (tempfile.gettempdir()) for this test: an empty one of its own."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _leftover(temp: Path, name: str = "dead", of_this_host: bool = True) -> Path:
    """What a run killed with SIGKILL leaves: its scratch directory, the marker unlocked."""
    root = temp / (stdio.prefix() + name if of_this_host else name)
    (root / "stdin").mkdir(parents=True)
    (root / "stdin" / "stdin.jsonl").write_bytes(b'{"text": "spooled"}\n')
    (root / stdio.MARKER).touch()
    return root


def test_a_scratch_directory_a_killed_run_left_is_removed_by_the_next(temp: Path) -> None:
    """Before: every run killed with SIGKILL left its cleaner-XXXX (all of stdin, the shards, the
    outputs) in the temp directory for good."""
    _leftover(temp, "dead1")
    _leftover(temp, "dead2")
    with stdio.scratch() as root:
        assert root.parent == temp and root.name.startswith(stdio.prefix())
        assert [p.name for p in temp.iterdir()] == [root.name]
        assert [p.name for p in root.iterdir()] == [stdio.MARKER]
    assert list(temp.iterdir()) == []


def test_a_scratch_directory_whose_run_is_alive_is_left_alone(temp: Path) -> None:
    live = _leftover(temp, "live")
    before = tree(temp)
    holder = subprocess.Popen(  # another process holds the marker's lock, as a live run does
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            f"f = open({str(live / stdio.MARKER)!r})\n"
            "fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with stdio.scratch() as root:
            with stdio.scratch() as inner:  # and a live run's own directory, by a run beside it
                assert sorted(p.name for p in temp.iterdir()) == sorted([live.name, root.name, inner.name])
            assert sorted(p.name for p in temp.iterdir()) == sorted([live.name, root.name])
        assert tree(temp) == before
    finally:
        holder.communicate("")  # it lets go: the directory is a dead run's now
    assert holder.returncode == 0
    with stdio.scratch():
        assert live.name not in {p.name for p in temp.iterdir()}
    assert list(temp.iterdir()) == []


def test_only_cleaners_own_scratch_directories_are_removed(tmp_path: Path, temp: Path) -> None:
    """No marker, a symlink (to a directory that looks like a dead run's), a file, a marker
    that is not a regular file, a name not cleaner's: all left as they are."""
    (temp / (stdio.prefix() + "nomarker")).mkdir()
    (temp / (stdio.prefix() + "nomarker") / "data.jsonl").write_text("mine\n", encoding="utf-8")
    (temp / (stdio.prefix() + "nomarker") / f"{stdio.MARKER}.new").touch()  # a run killed while making its marker
    elsewhere = _leftover(tmp_path, "elsewhere", of_this_host=False)
    (temp / (stdio.prefix() + "x")).symlink_to(elsewhere)
    (temp / (stdio.prefix() + "y")).write_text("a file\n", encoding="utf-8")
    (temp / (stdio.prefix() + "dirmarker") / stdio.MARKER).mkdir(parents=True)
    (temp / (stdio.prefix() + "linkmarker")).mkdir()
    (temp / (stdio.prefix() + "linkmarker") / stdio.MARKER).symlink_to(elsewhere / stdio.MARKER)
    _leftover(temp, "mine-" + stdio.prefix() + "dead", of_this_host=False)
    _leftover(temp, "cleaner-otherhost-dead", of_this_host=False)  # another host's: its locks may be its own
    before, outside = tree(temp), tree(elsewhere)
    with stdio.scratch() as root:
        assert root.name not in before
    assert tree(temp) == before
    assert (
        tree(elsewhere)
        == outside
        == {
            ".cleaner-scratch": b"",
            "stdin": "dir",
            "stdin/stdin.jsonl": b'{"text": "spooled"}\n',
        }
    )


def test_another_users_scratch_directory_is_left_alone(temp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = _leftover(temp, "theirs")
    if os.geteuid() == 0:
        os.chown(theirs, 65534, 65534)
    else:  # no other user's directory can be made: be another user
        uid = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: uid + 1)
    before = tree(temp)
    with stdio.scratch():
        pass
    assert tree(temp) == before


def _cleaner_to_stdout(temp: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cleaner", "clean", "-", "--out", "-", "-q", "-j", "1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_the_next_stdin_run_removes_the_scratch_directory_of_a_run_killed_with_sigkill(temp: Path) -> None:
    """Before: `kill -9` on `cleaner clean - --out -` left $TMPDIR/cleaner-XXXX behind for good."""
    record = orjson.dumps({"text": DOC}) + b"\n"
    first = _cleaner_to_stdout(temp)
    assert first.stdin is not None
    first.stdin.write(record * 100)
    first.stdin.flush()  # and kept open: the run is spooling stdin
    deadline = time.monotonic() + 30
    while not any((p / "stdin").exists() for p in temp.iterdir()):  # its marker is made before
        assert first.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)
    [scratch] = temp.iterdir()
    try:
        live = subprocess.run(  # a run beside it leaves its directory alone
            [sys.executable, "-m", "cleaner", "clean", "-", "--out", "-", "-q", "-j", "1"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)},
            input=record,
            capture_output=True,
        )
        assert (live.returncode, live.stderr) == (0, b"")
        assert list(temp.iterdir()) == [scratch]
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert first.returncode == -signal.SIGKILL
    assert list(temp.iterdir()) == [scratch]  # killed: no finally ran
    assert sorted(p.name for p in scratch.iterdir()) == [stdio.MARKER, "stdin"]
    second = _cleaner_to_stdout(temp)
    out, err = second.communicate(record)
    assert (second.returncode, err) == (0, b"")
    assert list(temp.iterdir()) == []  # the killed run's directory and its own
    assert out == live.stdout
    assert orjson.loads(out) == {
        "id": "stdin:1",
        "text": "A council met on Tuesday to discuss the new bridge.\n",
        "source": "-:1",
        "url": None,
        "site": None,
        "meta": {},
        "stats": {
            "chars_in": 65,
            "chars_out": 52,
            "lines_in": 3,
            "lines_out": 1,
            "removed": {"credits.source": 1},
            "repaired": {},
        },
    }


# --- environment errors, in process -------------------------------------------------------------


def main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["cleaner", *args])
    monkeypatch.setattr(cli.signal, "signal", lambda *_: None)  # leave pytest's SIGTERM alone
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return int(exited.value.code or 0)


def _full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_stdout_run_that_fails_says_nothing_of_resume(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "the finished input files are kept in /tmp/cleaner-.../.clean.jsonl.work: ... run the
    same command with --resume", of a scratch directory removed a moment later."""
    with monkeypatch.context() as patch:
        patch.setattr("cleaner.pipeline.workdir.Shard.add", _full)
        capsys.readouterr()
        code = main(patch, "clean", str(corpus), "--out", "-", "-q", "-j", "1")
    assert code == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (
        "",
        "error: No space left on device; nothing was written (a run on stdin or stdout cannot be resumed: run it again)\n",
    )


@pytest.mark.parametrize("where", ["shard", "assembly"])
def test_disk_full_is_one_line_and_the_run_resumes(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """Before: an OSError traceback. Now one line, exit 2, and --resume finishes the run."""
    whole = tmp_path / "whole"
    assert main(monkeypatch, "clean", str(corpus), "--out", str(whole / "clean.jsonl"), "-q", "-j", "1") == 0
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        if where == "shard":
            patch.setattr("cleaner.pipeline.workdir.Shard.add", _full)
        else:
            patch.setattr("cleaner.pipeline.workdir.link_or_copy", _full)  # the diffs and the records
        capsys.readouterr()
        code = main(patch, "clean", str(corpus), "--out", str(out / "clean.jsonl"), "-q", "-j", "1")
    assert code == 2
    work = out / ".clean.jsonl.work"
    assert capsys.readouterr().err == (
        f"error: No space left on device; the finished input files are kept in {work}: "
        "fix this and run the same command with --resume\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [".clean.jsonl.work"]
    args = ("clean", str(corpus), "--out", str(out / "clean.jsonl"), "-q", "-j", "1", "--resume")
    assert main(monkeypatch, *args) == 0
    assert tree(out) == tree(whole)


@pytest.mark.parametrize("out", ["-", "o/clean.jsonl"])
def test_a_full_stdout_is_one_line_and_exit_2(tmp_path: Path, corpus: Path, out: str) -> None:
    """Before: a traceback and exit 1, for the records (--out -) or the totals table."""
    quiet = ("-q",) if out == "-" else ()
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "cleaner", "clean", str(corpus), "--out", out, "-j", "1", *quiet],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert result.returncode == 2
    assert result.stderr == "error: cannot write to stdout: No space left on device\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["corpus"] if out == "-" else ["corpus", "o"])


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    """`| head -1` on records well over a pipe's buffer: the records it took, exit 0, nothing on
    stderr (as documented)."""
    data = tmp_path / "many.jsonl"
    data.write_bytes(b"".join(orjson.dumps({"id": f"r{n}", "text": DOC * 3}) + b"\n" for n in range(3000)))
    command = f"{sys.executable} -m cleaner clean {data} --out - -q -j 1 | head -1"
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"], cwd=ROOT, capture_output=True, text=True, encoding="utf-8"
    )
    assert result.returncode == 0
    assert result.stderr == ""
    assert orjson.loads(result.stdout)["id"] == "r0"


def test_too_many_workers_are_capped_at_the_core_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: --workers 1000 started 1000 processes and ran six times slower."""
    from cleaner.pipeline import parallel

    monkeypatch.setattr(parallel, "default_workers", lambda: 2)
    assert (cli._workers(1000), cli._workers(None), cli._workers(1)) == (2, 2, 1)
    assert capsys.readouterr().err == "warning: --workers 1000 is more than the 2 cores available; using 2\n"


def test_a_temp_directory_without_flock_still_runs_without_a_marker(
    temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system with no flock (Lustre's default, some FUSE ones): the run goes on, no marker."""
    import errno as errors

    def no_flock(fd: int, operation: int) -> None:
        raise OSError(errors.ENOSYS, "Function not implemented")

    monkeypatch.setattr(stdio.fcntl, "flock", no_flock)
    with stdio.scratch() as root:
        assert list(root.iterdir()) == []
        (root / "spooled.jsonl").write_bytes(b"{}\n")
    assert list(temp.iterdir()) == []


def test_suggest_killed_while_mining_leaves_nothing_the_next_run_keeps(tmp_path: Path, temp: Path) -> None:
    """Before: `cleaner suggest` (and `explain --drop-repeated`) spilled its counts into a
    tempfile directory of $TMPDIR, which a SIGKILL left there for good. They go into a scratch
    directory now, which the next run that makes one removes."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n, word in enumerate(["ferry", "bridge", "market", "school", "harbour", "storm"]):
        story = f"VALLEY POST | Since 1921\n\nThe {word} story of the week.\n\nTip us off\n"
        (corpus / f"{n}.txt").write_text(story, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)}
    args = [sys.executable, "-m", "cleaner", "suggest", str(corpus), "--out", str(tmp_path / "s"), "-q", "-j", "1"]
    killed = subprocess.run(args, cwd=ROOT, env={**env, faults.ENV: "mined:3"}, capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    [left] = temp.iterdir()
    assert left.name.startswith(stdio.prefix()) and any(p.name.startswith(".cleaner-mine-") for p in left.iterdir())
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert list(temp.iterdir()) == []


def test_a_scratch_directory_loses_its_marker_last(temp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Removed in the listing's order, a run killed mid-removal could leave a directory without
    its marker, which no sweep would ever take."""
    removed: list[str] = []
    unlink, rmtree = os.unlink, stdio.shutil.rmtree

    def unlink_noted(path: str, *args: Any, **kwargs: Any) -> None:
        removed.append(os.path.basename(path))
        unlink(path, *args, **kwargs)

    def rmtree_noted(path: str, *args: Any, **kwargs: Any) -> None:
        removed.append(os.path.basename(path))
        rmtree(path, *args, **kwargs)

    monkeypatch.setattr(stdio.os, "unlink", unlink_noted)
    monkeypatch.setattr(stdio.shutil, "rmtree", rmtree_noted)
    dead = _leftover(temp, "dead")
    for name in ("a.jsonl", "z.jsonl", ".b"):
        (dead / name).write_bytes(b"x")
    with stdio.scratch():
        assert not dead.exists()
        assert removed[-1] == stdio.MARKER and {".b", "a.jsonl", "stdin", "z.jsonl"} <= set(removed[:-1])
        assert stdio.MARKER not in removed[:-1]


def test_a_symlinked_directory_in_an_input_directory_is_read_once(tmp_path: Path) -> None:
    """Before: os.walk did not follow it, and its files were skipped without a word (a symlinked
    file was read). A link back to an ancestor, or to a directory walked already, reads nothing twice."""
    real, corpus = tmp_path / "real", tmp_path / "corpus"
    (real / "deep").mkdir(parents=True)
    corpus.mkdir()
    (real / "r.txt").write_text("A linked document.\n", encoding="utf-8")
    (real / "deep" / "d.txt").write_text("A deeper one.\n", encoding="utf-8")
    (corpus / "a.txt").write_text("A document.\n", encoding="utf-8")
    (corpus / "shard2").symlink_to(real)
    (corpus / "zz").symlink_to(real)  # the same directory again: its files once, by the first path
    (real / "up").symlink_to(tmp_path)  # a loop through the walk's own ancestors
    assert [item.rel for item in discover([corpus])] == ["a.txt", "shard2/deep/d.txt", "shard2/r.txt"]


def test_a_file_named_like_the_report_marker_hides_nothing(tmp_path: Path) -> None:
    """Before: any file called .cleaner-report (an empty one a user made) hid its whole directory."""
    corpus = tmp_path / "corpus"
    (corpus / "part1").mkdir(parents=True)
    (corpus / "part1" / "doc.txt").write_text("A document.\n", encoding="utf-8")
    (corpus / "part1" / REPORT_MARKER).write_bytes(b"")
    assert [item.rel for item in discover([corpus])] == ["part1/doc.txt"]
    (corpus / "part1" / REPORT_MARKER).write_bytes(b'{"out": "../clean.jsonl", "paths": []}\n')  # cleaner's
    assert [item.rel for item in discover([corpus])] == []


def test_a_file_given_by_name_is_read_by_its_suffix(tmp_path: Path) -> None:
    """Before: any other name was cleaned as one document of prose (a .ndjson's records, a .csv)."""
    record = orjson.dumps({"text": "The council met on Monday."}) + b"\n"
    for name, stem in (("a.ndjson", "a"), ("B.JSONL", "B"), ("c.Ndjson.GZ", "c")):
        (tmp_path / name).write_bytes(gzip.compress(record) if name.endswith("GZ") else record)
        (item,) = discover([tmp_path / name])
        assert (item.rel, item.kind) == (name, "jsonl")
        assert [doc.id for doc in read(item, Fields(), Limits())] == [f"{stem}:1"]
    (tmp_path / "c.csv").write_text("id,text\nx1,The council met.\n", encoding="utf-8")
    result = clean(str(tmp_path / "c.csv"), "--out", str(tmp_path / "o" / "clean.jsonl"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {tmp_path / 'c.csv'}: not a file cleaner reads "
        "(.txt, .jsonl or .ndjson [.gz|.zst], .parquet, .html[.gz], .warc[.gz])\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_fifo_given_as_input_is_said_to_be_one(tmp_path: Path) -> None:
    """Before: 'no such file or directory', of a path that exists."""
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    result = clean(str(fifo), "--out", str(tmp_path / "o" / "clean.jsonl"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {fifo}: not a regular file or a directory; give its data on stdin (-) instead\n"


@pytest.mark.parametrize("resume", [True, False])
def test_a_run_killed_while_mining_does_not_block_the_next(tmp_path: Path, corpus: Path, resume: bool) -> None:
    """Before: SIGKILL during --drop-repeated's mining left the work directory with its lock and
    mining's spill folder, no manifest yet, and every later run, --resume too, was refused: "exists
    and is not a cleaner work directory". The next run starts over and removes them at its end."""
    out = tmp_path / "o" / "clean.jsonl"
    work = tmp_path / "o" / ".clean.jsonl.work"
    (work / ".cleaner-mine-k1ll3d").mkdir(parents=True)
    (work / ".cleaner-mine-k1ll3d" / "part-000").write_bytes(b"\0" * 64)
    (work / "lock").touch()
    result = clean(str(corpus), "--drop-repeated", "--out", str(out), *(["--resume"] if resume else []))
    assert (result.returncode, result.stderr) == (0, "")
    assert sorted(p.name for p in out.parent.iterdir()) == ["clean.jsonl", "reports"]
    # A folder of the user's there is still refused, and left alone.
    (work / "mine").mkdir(parents=True)
    (work / "lock").touch()
    refused = clean(str(corpus), "--drop-repeated", "--out", str(out), "--overwrite")
    assert refused.returncode == 2 and "is not a cleaner work directory" in refused.stderr
    assert (work / "mine").is_dir()


def test_a_users_folder_named_like_cleaners_is_walked(tmp_path: Path) -> None:
    """Before: any folder called '.x.work' or '.cleaner-mine-*' was skipped by its name alone, its
    files never read, without a word. Only cleaner's own (its lock or manifest; count files) are."""
    corpus = tmp_path / "corpus"
    for folder in (".work", ".old.work", ".cleaner-mine-2023", "visible", ".c.jsonl.work", ".cleaner-mine-x1"):
        (corpus / folder).mkdir(parents=True)
    for folder in (".work", ".old.work", ".cleaner-mine-2023", "visible"):
        (corpus / folder / "a.txt").write_text("A document.\n", encoding="utf-8")
    (corpus / ".c.jsonl.work" / "lock").touch()  # a run's work directory
    (corpus / ".c.jsonl.work" / "000000.jsonl").write_text("{}\n", encoding="utf-8")
    (corpus / ".cleaner-mine-x1" / "counts-000.bin").write_bytes(b"\0" * 16)  # mining's spill
    assert [item.rel for item in discover([corpus])] == [
        ".cleaner-mine-2023/a.txt",
        ".old.work/a.txt",
        ".work/a.txt",
        "visible/a.txt",
    ]
