"""Train the line classifier on the dev labels of ../shared/bench/realtext (``make train``).

    python -m bench.train [--realtext ../shared/bench/realtext] [--out cleaner/classify/model.npz]

Needs scikit-learn (the ``train`` extra); inference does not. Deterministic: fixed seeds, one
thread, the same folds, so the same data gives the same model file.

Lines are labelled from the gold files: aeb lines by their keep/drop label; traf lines by the
snippets they hold (a line overlapping a content snippet is content, else one overlapping a
boilerplate snippet is boilerplate; others are unlabelled, but still the neighbours of labelled
ones). Features are computed on what the rules leave of each page, as at inference time.

Thresholds are chosen on out-of-fold scores from 5 folds grouped by site (registrable domain),
so they hold for sites the model has not seen, and printed for rules/generic/classify.yaml.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 0


def _score_module(realtext: Path):
    spec = importlib.util.spec_from_file_location("realtext_score", realtext / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _spans(norms: list[str]) -> tuple[str, list[tuple[int, int]]]:
    joined, spans, at = [], [], 0
    for text in norms:
        spans.append((at, at + len(text)))
        joined.append(text)
        at += len(text) + 1
    return " ".join(joined), spans


def _mark(joined: str, spans: list[tuple[int, int]], snippet: str, labels: list[int], value: int) -> None:
    start = joined.find(snippet)
    while start >= 0 and snippet:
        stop = start + len(snippet)
        for i, (a, b) in enumerate(spans):
            if a < stop and b > start and labels[i] != 1:
                labels[i] = value
        start = joined.find(snippet, start + 1)


def load(realtext: Path):
    """(feature matrix, lexical n-grams, label, weight, group, dataset) per labelled row."""
    from cleaner.classify.features import extract
    from cleaner.document import Document
    from cleaner.pipeline import Pipeline, Settings
    from cleaner.repeated.keys import domain_of
    from cleaner.rules.book import RuleBook

    score = _score_module(realtext)
    pipeline = Pipeline(RuleBook.load([ROOT / "rules"]), Settings(classify=False))
    mats, grams, ys, ws, groups, sets, docs = [], [], [], [], [], [], []
    for name, weight in (("traf-dev.jsonl", 3.0), ("aeb-dev.jsonl", 1.0)):
        for record in score.read_jsonl(str(realtext / name)):
            cleaned = pipeline.clean(Document(record["id"], record["text"], name, url=record.get("url")))
            rows = [line for line in cleaned.lines if line.alive and not line.blank]
            if not rows:
                continue
            labels = [-1] * len(rows)
            if "lines" in record:
                gold = record["lines"]
                for i, line in enumerate(rows):
                    label = gold[line.no - 1]["label"] if line.no - 1 < len(gold) else "either"
                    labels[i] = {"keep": 1, "drop": 0}.get(label, -1)
            else:
                joined, spans = _spans([score.normalize(line.text) for line in rows])
                for snippet in record.get("with", []):
                    _mark(joined, spans, score.normalize(snippet), labels, 1)
                for snippet in record.get("without", []):
                    _mark(joined, spans, score.normalize(snippet), labels, 0)
            found = extract([line.text for line in rows])
            keep = [i for i, y in enumerate(labels) if y >= 0]
            if not keep:
                continue
            site = domain_of(record.get("url")) or record["id"]
            mats.append(found.matrix[keep])
            grams.extend(found.grams[i] for i in keep)
            ys.extend(labels[i] for i in keep)
            ws.extend([weight] * len(keep))
            groups.extend([site] * len(keep))
            sets.extend([name.split("-")[0]] * len(keep))
            docs.extend([record["id"]] * len(keep))
    return (
        np.vstack(mats),
        grams,
        np.array(ys),
        np.array(ws),
        np.array(groups),
        np.array(sets),
        np.array(docs),
    )


def _sparse(grams: list[list[int]]):
    from scipy.sparse import csr_matrix

    from cleaner.classify.features import _NGRAM_BUCKETS

    indptr = np.cumsum([0] + [len(g) for g in grams])
    indices = np.concatenate([np.array(g, dtype=np.int64) for g in grams])
    data = np.concatenate([np.full(len(g), 1.0 / np.sqrt(len(g))) for g in grams])
    m = csr_matrix((data, indices, indptr), shape=(len(grams), _NGRAM_BUCKETS))
    m.sum_duplicates()
    return m


def _lexical(x_train, y, w):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=0.5, max_iter=2000, random_state=SEED)
    model.fit(x_train, y, sample_weight=w)
    return model


def _trees(x, y, w):
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=150,
        learning_rate=0.08,
        max_leaf_nodes=24,
        max_depth=6,
        min_samples_leaf=30,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=SEED,
    )
    model.fit(x, y, sample_weight=w)
    return model


def _folds(groups: np.ndarray, k: int = 5) -> np.ndarray:
    """Fold of each row: sites in a fixed (hashed) order dealt round-robin by size."""
    import zlib

    sites, counts = np.unique(groups, return_counts=True)
    order = sorted(range(len(sites)), key=lambda i: (-counts[i], zlib.crc32(sites[i].encode())))
    load = [0] * k
    fold_of = {}
    for i in order:
        f = min(range(k), key=lambda j: (load[j], j))
        fold_of[sites[i]] = f
        load[f] += counts[i]
    return np.array([fold_of[g] for g in groups])


def oof_scores(x, grams, y, w, groups):
    """Out-of-fold P(content) for every row (folds grouped by site)."""
    from cleaner.classify.features import INDEX

    folds = _folds(groups)
    sparse = _sparse(grams)
    lex = np.zeros(len(y))
    for f in range(folds.max() + 1):
        test = folds == f
        model = _lexical(sparse[~test], y[~test], w[~test])
        lex[test] = model.decision_function(sparse[test])
    x = x.copy()
    x[:, INDEX["ngram_score"]] = lex
    prob = np.zeros(len(y))
    for f in range(folds.max() + 1):
        test = folds == f
        prob[test] = _trees(x[~test], y[~test], w[~test]).predict_proba(x[test])[:, 1]
    return prob, x, sparse


def export(lexical, trees, path: Path) -> None:
    from cleaner.classify.features import NAMES

    feature, threshold, left, right, value, roots = [], [], [], [], [], []
    depth = 0
    for (predictor,) in trees._predictors:
        nodes = predictor.nodes
        base = len(feature)
        roots.append(base)
        for node in nodes:
            leaf = bool(node["is_leaf"])
            feature.append(0 if leaf else int(node["feature_idx"]))
            threshold.append(np.inf if leaf else float(node["num_threshold"]))
            at = len(left)
            left.append(at if leaf else base + int(node["left"]))
            right.append(at if leaf else base + int(node["right"]))
            value.append(float(node["value"]) if leaf else 0.0)
            depth = max(depth, int(node["depth"]))
    baseline = float(np.ravel(trees._baseline_prediction)[0])
    _save(
        path,
        names=np.array(NAMES),
        ngram_weights=lexical.coef_[0].astype(np.float32),
        ngram_bias=np.float64(lexical.intercept_[0]),
        feature=np.array(feature, dtype=np.int16),
        threshold=np.array(threshold, dtype=np.float64),
        left=np.array(left, dtype=np.int32),
        right=np.array(right, dtype=np.int32),
        value=np.array(value, dtype=np.float64),
        roots=np.array(roots, dtype=np.int32),
        depth=np.int32(depth),
        baseline=np.float64(baseline),
    )


def _save(path: Path, **arrays: np.ndarray) -> None:
    """np.savez_compressed, but with fixed zip dates: the same model gives the same bytes."""
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def thresholds(prob, y, sets) -> dict[str, float]:
    """For each profile, the largest threshold whose out-of-fold content recall meets its aim on
    both datasets."""
    aims = {"precision": (0.99, 0.982), "balanced": (0.985, 0.97), "recall": (0.975, 0.955)}
    grid = np.round(np.arange(0.001, 0.5, 0.001), 3)
    out = {}
    for profile, (traf_aim, aeb_aim) in aims.items():
        best = grid[0]
        for t in grid:
            ok = True
            for name, aim in (("traf", traf_aim), ("aeb", aeb_aim)):
                pos = (sets == name) & (y == 1)
                if pos.any() and (prob[pos] >= t).mean() < aim:
                    ok = False
            if not ok:
                break
            best = t
        out[profile] = float(best)
    return out


def report(prob, y, sets, chosen: dict[str, float]) -> None:
    for profile, t in chosen.items():
        parts = [f"{profile:9} threshold {t:.3f}"]
        for name in ("traf", "aeb"):
            s = sets == name
            keep = (prob[s & (y == 1)] >= t).mean()
            drop = (prob[s & (y == 0)] < t).mean()
            removed = s & (prob < t)
            precision = (y[removed] == 0).mean() if removed.any() else 1.0
            parts.append(f"{name}: content kept {keep:.3f} boilerplate removed {drop:.3f} precision {precision:.3f}")
        print("  ".join(parts))


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realtext", type=Path, default=ROOT.parent / "shared" / "bench" / "realtext")
    parser.add_argument("--out", type=Path, default=ROOT / "cleaner" / "classify" / "model.npz")
    parser.add_argument("--no-cv", action="store_true", help="Skip the cross-validation (thresholds unchanged).")
    args = parser.parse_args(argv)
    if not (args.realtext / "aeb-dev.jsonl").exists():
        sys.exit(f"no dev labels in {args.realtext}")
    x, grams, y, w, groups, sets, _ = load(args.realtext)
    print(f"{len(y)} labelled lines ({(y == 1).sum()} content), {len(set(groups))} sites", file=sys.stderr)
    if not args.no_cv:
        prob, _, _ = oof_scores(x, grams, y, w, groups)
        chosen = thresholds(prob, y, sets)
        print("out-of-fold, folds grouped by site:")
        report(prob, y, sets, chosen)
        print(json.dumps(chosen))
    sparse = _sparse(grams)
    lexical = _lexical(sparse, y, w)
    from cleaner.classify.features import INDEX

    # The trees learn on out-of-fold lexical scores, as the lexical model scores unseen lines.
    folds = _folds(groups)
    lex = np.zeros(len(y))
    for f in range(folds.max() + 1):
        test = folds == f
        lex[test] = _lexical(sparse[~test], y[~test], w[~test]).decision_function(sparse[test])
    x = x.copy()
    x[:, INDEX["ngram_score"]] = lex
    trees = _trees(x, y, w)
    export(lexical, trees, args.out)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
