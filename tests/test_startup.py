"""Start-up: what `import cleaner.cli` loads (facts, not timings), --version and the help texts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner import __version__, native

ROOT = Path(__file__).resolve().parent.parent
# Each of these costs a noticeable share of a second to import and is needed only by some inputs
# or options: trafilatura, bs4 and lxml for HTML, warcio for WARC, Ray for --engine ray, numpy
# for --drop-repeated and suggest, tld for site keys.
HEAVY = ("trafilatura", "bs4", "lxml", "warcio", "ray", "numpy", "tld", "datatrove")


def _loaded(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, encoding="utf-8"
    )
    return json.loads(result.stdout.splitlines()[-1])


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}  # help tables one option per line
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", env=env
    )


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert _loaded("import cleaner.cli") == []


def test_a_text_run_loads_no_heavy_module(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A short document.\n\nSource: AFP\n", encoding="utf-8")
    out = tmp_path / "o" / "clean.jsonl"
    code = (
        "import sys\nfrom cleaner.cli import app\n"
        f"try:\n    app([{str(tmp_path / 'a.txt')!r}, '--out', {str(out)!r}, '-q', '-j', '1'], prog_name='cleaner')\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
    )
    # numpy is the line classifier's, which leaves a document of fewer than five lines alone.
    assert _loaded(code.replace("app([", "app(['clean', ")) == []
    assert json.loads(out.read_text(encoding="utf-8"))["text"] == "A short document.\n"
    # Five lines: the classifier judges them, its compiled shortcut without numpy (justext's stoplists
    # without lxml); with the compiled code off, the long way gets numpy.
    (tmp_path / "a.txt").write_text("".join(f"Line {n} of a document about rivers.\n" for n in range(5)))
    again = code.replace("app([", "app(['clean', ").replace("'-q'", "'-q', '--overwrite'")
    assert _loaded(again) == ([] if native.built() else ["numpy"])
    assert _loaded(f"import os\nos.environ[{native.ENV!r}] = 'off'\n{again}") == ["numpy"]


@pytest.mark.parametrize(
    ("code", "module"),
    [
        (
            "from cleaner.steps.extract import extract, ExtractOptions\nextract('<p>x</p>', None, [], ExtractOptions(), None)",
            "trafilatura",
        ),
        ("from cleaner.steps.extract import strip_selectors\nstrip_selectors('<p>x</p>', [])", "bs4"),
        (
            "from pathlib import Path\nfrom cleaner.io.web import read_warc\nlist(read_warc(Path('missing.warc'), 10))",
            "warcio",
        ),
        ("from cleaner.repeated.keys import domain_of\ndomain_of('https://www.example.co.uk/a')", "tld"),
        ("import tempfile, pathlib\nfrom cleaner.repeated.counts import LineCounts", "numpy"),
    ],
)
def test_heavy_modules_are_imported_where_they_are_used(code: str, module: str) -> None:
    """The lazy imports are really there: the code that needs the module still gets it."""
    wrapped = "try:\n" + "".join(f"    {line}\n" for line in code.splitlines()) + "except Exception:\n    pass\n"
    assert module in _loaded(wrapped)


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout == f"cleaner {__version__}\n"


def test_version_is_the_package_version() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        assert version("cleaner") == __version__
    except PackageNotFoundError:  # pragma: no cover  (run from a checkout without an install)
        pytest.skip("cleaner is not installed")


def test_clean_help_shows_defaults_and_every_input_type() -> None:
    result = cli("clean", "--help")
    assert result.returncode == 0
    text = result.stdout
    workers = next(line for line in text.splitlines() if "--workers" in line)
    assert "Worker processes. [default: (all cores)]" in workers
    report = next(line for line in text.splitlines() if "--report" in line)
    assert "[default: (reports/ beside --out)]" in report
    for suffix in (".txt", ".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet", ".html", ".html.gz", ".warc", ".warc.gz"):
        assert f"{suffix}," in text or f"{suffix})" in text, suffix


def test_stoplists_are_justexts_own() -> None:
    """The classifier reads justext's stoplists without importing it (which imports lxml)."""
    import justext

    from cleaner.classify.stoplists import LANGUAGES, stoplist

    for language in LANGUAGES:
        assert stoplist(language) == justext.get_stoplist(language)


def test_stopword_masks_fold_justexts_words() -> None:
    """Each stopword's languages, folded file by file, are those of folding justext's words one by one."""
    import justext

    from cleaner.classify.stoplists import LANGUAGES, stopword_languages

    masks: dict[str, int] = {}
    for bit, language in enumerate(LANGUAGES):
        for word in justext.get_stoplist(language):
            masks[word.casefold()] = masks.get(word.casefold(), 0) | (1 << bit)
    assert stopword_languages.__wrapped__() == masks
    assert len(masks) > 20000 and max(masks.values()) >= 1 << (len(LANGUAGES) - 1)
