"""The golden ("snapshot") files of the seed corpus: made only by `make golden`, checked by pytest.

python -m tests.golden          # rewrite tests/golden/ from seeds/ (review with git diff)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cleaner.pipeline import Pipeline
from cleaner.pipeline.run import Target, run
from cleaner.rules.book import RuleBook

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
# What is compared byte for byte: the JSONL, every diff, the summary CI would post, and the removals
# `cleaner compare` reads (`make review-check` compares a fresh run of seeds/ with them).
FILES = ("clean.jsonl", "reports/summary.md", "reports/summary.json", "reports/removals.jsonl")


def produce(out: Path) -> list[Path]:
    """Clean seeds/ into ``out`` exactly as `make clean-corpus` does; returns the golden files."""
    pipeline = Pipeline(RuleBook.load([Path("rules")]))
    run([Path("seeds")], pipeline, Target(out / "clean.jsonl", out / "reports", overwrite=True))
    diffs = sorted((out / "reports").rglob("*.diff"))
    return [out / name for name in FILES] + diffs


def main() -> None:
    import os
    import tempfile

    os.chdir(ROOT)  # paths in the output are relative to the project root
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        for path in produce(out):
            target = GOLDEN / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            print(target.relative_to(ROOT), file=sys.stderr)


if __name__ == "__main__":
    main()
