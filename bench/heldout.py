"""Quality on sites the line classifier never saw: the whole pipeline's held-out estimate on the
realtext dev files (``make bench-heldout``; needs the ``train`` extra, scikit-learn).

    python -m bench.heldout [--realtext ../shared/bench/realtext] [--workers 2] [--profiles balanced precision]

``make bench-quality`` scores the shipped model on the pages it was trained on, so its classifier
figures are in-sample. Here the dev pages are dealt into ``make train``'s five folds grouped by site
(bench.train._folds); each fold's pages are cleaned by a model trained as ``make train`` trains
(the trees on out-of-fold lexical scores too) on the other four folds alone, in a copy of the
package that holds that model; the five outputs are pooled and scored by realtext's score.py.
That is what to expect on sites the model has not seen: the figures to judge rules and thresholds
by. Skipped (exit 0, a note on stderr) when ../shared/bench/realtext is not there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.quality import DATASETS, HELD_OUT, REALTEXT, ROOT, _row, _run_cleaner, _score

HEADER = (
    "| profile (held out by site) | traf content kept | traf boilerplate left | aeb drop precision "
    "| aeb drop recall | aeb keep preserved | seconds |\n|---|---|---|---|---|---|---|"
)


def fold_models(realtext: Path, out: Path) -> dict[str, int]:
    """Train a model per fold into ``out``/model-<fold>.npz; the fold of each site (as bench.train
    groups rows: the page's registrable domain, else its id)."""
    import numpy as np

    from bench import train
    from cleaner.classify.features import INDEX

    x, grams, y, w, groups, _, _ = train.load(realtext)
    folds = train._folds(groups)
    sparse = train._sparse(grams)
    for fold in range(int(folds.max()) + 1):
        rows = folds != fold
        xs, ys, ws, sp = x[rows].copy(), y[rows], w[rows], sparse[rows]
        inner = train._folds(groups[rows])  # the trees learn on lexical scores of lines the lexical model never saw
        lexical = np.zeros(len(ys))
        for part in range(int(inner.max()) + 1):
            test = inner == part
            lexical[test] = train._lexical(sp[~test], ys[~test], ws[~test]).decision_function(sp[test])
        xs[:, INDEX["ngram_score"]] = lexical
        train.export(train._lexical(sp, ys, ws), train._trees(xs, ys, ws), out / f"model-{fold}.npz")
        print(f"fold {fold}: trained on {int(rows.sum())} of {len(y)} lines", file=sys.stderr)
    return {str(site): int(fold) for site, fold in zip(groups, folds, strict=True)}


def split_pages(gold: Path, fold_of: dict[str, int], out: Path) -> list[Path]:
    """``gold``'s pages written a file per fold (a page of no labelled line, in no fold, to fold 0)."""
    from cleaner.repeated.keys import domain_of

    count = 1 + max(fold_of.values())
    parts: list[list[str]] = [[] for _ in range(count)]
    with gold.open(encoding="utf-8") as rows:
        for row in rows:
            record = json.loads(row)
            parts[fold_of.get(str(domain_of(record.get("url")) or record["id"]), 0)].append(row)
    paths = []
    for fold, part in enumerate(parts):
        paths.append(out / f"{gold.stem}-{fold}.jsonl")
        paths[-1].write_text("".join(part), encoding="utf-8")
    return paths


def measure(
    realtext: Path, profiles: list[str], workers: int, keep: Path | None = None
) -> list[tuple[str, dict[str, float], float]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-heldout-") as tmp:
        work = Path(tmp)
        fold_of = fold_models(realtext, work)
        package = work / "package"
        shutil.copytree(ROOT / "cleaner", package / "cleaner", ignore=shutil.ignore_patterns("__pycache__"))
        # The copy first on the path, before the editable install (and not run from the repository,
        # which ``-m`` would put first); no cache of the shipped model's runs.
        env = {**os.environ, "PYTHONPATH": str(package), "CLEANER_CACHE": "off"}
        where = [sys.executable, "-c", "import cleaner; print(cleaner.__file__)"]
        found = subprocess.run(where, capture_output=True, text=True, cwd=work, env=env, check=True).stdout.strip()
        if not Path(found).is_relative_to(package):
            raise SystemExit(f"bench-heldout: the runs would import cleaner from {found}, not from the copy")
        pages = {name: split_pages(realtext / name, fold_of, work) for name in DATASETS}
        for profile in profiles:
            options = [] if profile == "balanced" else ["--profile", profile]
            figures: dict[str, float] = {}
            seconds = 0.0
            for name in DATASETS:
                pooled = work / f"{profile}-{name}"
                with pooled.open("wb") as sink:
                    for fold, part in enumerate(pages[name]):
                        shutil.copyfile(work / f"model-{fold}.npz", package / "cleaner" / "classify" / "model.npz")
                        out = work / f"{profile}-{fold}-{name}" / "clean.jsonl"
                        out.parent.mkdir()
                        start = time.perf_counter()
                        _run_cleaner(part, options, out, workers, env, cwd=work)
                        seconds += time.perf_counter() - start
                        sink.write(out.read_bytes())
                figures.update(
                    {f"{name.split('-')[0]}.{k}": v for k, v in _score(realtext, pooled, realtext / name).items()}
                )
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(pooled, keep / f"{profile}-{name}")
            rows.append((profile, figures, seconds))
            print(_row(profile, figures, seconds), file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # (deterministic training, as make train)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realtext", type=Path, default=REALTEXT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profiles", nargs="+", default=["precision", "balanced", "recall"])
    parser.add_argument("--no-doc", action="store_true", help="Do not write the table into docs/quality.md.")
    parser.add_argument("--keep", type=Path, default=None, help="Keep each profile's pooled output in this directory.")
    args = parser.parse_args(argv)
    if not all((args.realtext / name).exists() for name in (*DATASETS, "score.py")):
        print(f"bench-heldout: skipped, no realtext dev files in {args.realtext}", file=sys.stderr)
        return
    text = "\n".join([HEADER, *(_row(*row) for row in measure(args.realtext, args.profiles, args.workers, args.keep))])
    print(text)
    if not args.no_doc:
        write_block(ROOT / "docs" / "quality.md", text)


def write_block(path: Path, text: str) -> None:
    """``text`` between docs/quality.md's held-out markers (bench.quality.write_doc keeps them)."""
    doc = path.read_text(encoding="utf-8")
    if not HELD_OUT.search(doc):
        print(f"bench-heldout: no held-out markers in {path} (run make bench-quality): not written", file=sys.stderr)
        return
    block = f"<!-- held-out -->\n{text}\n<!-- /held-out -->\n"
    path.write_text(HELD_OUT.sub(lambda _: block, doc, count=1), encoding="utf-8")


if __name__ == "__main__":
    main()
