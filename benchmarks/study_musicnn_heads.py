"""Heads on the pre-trained musicnn front end, compared on 4q-dev (artist-grouped folds).

    OMP_NUM_THREADS=2 python benchmarks/study_musicnn_heads.py ../shared/data/4q-dev \
        --cache /tmp/musicnn-cache [--seeds 0 1 2] [--folds 5]

Stage 1 extracts, once, the per-patch musicnn outputs of every clip (penultimate, pools
and tag probabilities of ``MSD_musicnn`` and ``MTT_musicnn``, patches back to back, whole
clips) with :class:`~sk_deepsense.MusicnnTransformer` into a joblib cache (``--cache``),
timing it. Stage 2 cross-validates heads on those arrays, on the benchmark's splits
(:func:`sk_deepsense.model_selection.make_splits`: ``StratifiedGroupKFold`` by artist,
shuffled by each seed) and prints macro-F1 mean and spread over folds x seeds, beside the
descriptor SVM of the benchmark computed on the same splits. Tune on 4q-dev only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def extract(paths, model: str, cache: Path) -> tuple[np.ndarray, list[str], float]:
    """Return the per-patch outputs of ``model`` for ``paths`` (cached), names and seconds."""
    from sk_deepsense import MusicnnTransformer

    tr = MusicnnTransformer(
        model=model,
        output=["penultimate", "pools", "taggram"],
        duration=None,
        n_jobs=2,
        memory=cache,
    )
    t0 = time.perf_counter()
    X = tr.transform(list(paths))
    return X, list(tr.get_feature_names_out()), time.perf_counter() - t0


def descriptor_stats(paths, cache: Path) -> tuple[np.ndarray, float]:
    """Return the descriptor SVM's per-clip vectors (as make_fusion builds them) and seconds."""
    from sk_deepsense import SequenceStatistics
    from sk_deepsense.features import DescriptorTransformer

    t0 = time.perf_counter()
    seq = DescriptorTransformer(hop_length=1024, n_jobs=2, memory=cache).transform(list(paths))
    return SequenceStatistics(deltas=True).fit_transform(seq), time.perf_counter() - t0


def pooled(X: np.ndarray, stats=("mean", "std")) -> np.ndarray:
    """Per-clip statistics over the real patches of ``X`` (NaN padding ignored)."""
    parts = []
    if "mean" in stats:
        parts.append(np.nanmean(X, axis=1))
    if "std" in stats:
        parts.append(np.nanstd(X, axis=1))
    if "max" in stats:
        parts.append(np.nanmax(X, axis=1))
    return np.concatenate(parts, axis=1)


def heads(seed: int):
    """Name -> unfitted classifier on per-clip vectors."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return {
        "logreg C=1": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)),
        "logreg C=0.1": make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)),
        "logreg C=0.01": make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000)),
        "svm rbf C=1": make_pipeline(StandardScaler(), SVC(C=1.0)),
        "svm rbf C=10": make_pipeline(StandardScaler(), SVC(C=10.0)),
    }


def cross_validate(Xc, y, groups, make, seeds, folds):
    """Macro-F1 of ``make(seed)`` on each fold of each seed's artist-grouped splits."""
    from sklearn.base import clone
    from sklearn.metrics import f1_score

    from sk_deepsense.model_selection import make_splits

    scores = []
    for seed in seeds:
        for train, test in make_splits(y, groups, n_splits=folds, random_state=seed):
            model = clone(make(seed)).fit(Xc[train], y[train])
            scores.append(f1_score(y[test], model.predict(Xc[test]), average="macro"))
    return np.array(scores)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="the 4q-dev folder")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=["MSD_musicnn", "MTT_musicnn"])
    parser.add_argument("--descriptors", action="store_true", help="also the descriptor SVM")
    parser.add_argument("--only", nargs="+", help="feature sets whose name holds one of these")
    args = parser.parse_args(argv)

    from sk_deepsense.datasets import load_4q

    data = load_4q(args.data)
    y, groups = np.asarray(data.target), np.asarray(data.groups)
    feats = {}
    for model in args.models:
        X, names, secs = extract(data.filenames, model, args.cache)
        print(f"{model}: {X.shape} in {secs:.0f} s ({secs / len(y):.2f} s per clip)", flush=True)
        names = np.asarray(names)
        feats[model] = {
            "penultimate": X[:, :, :200],
            "pools": X[:, :, 200:1706],
            "taggram": X[:, :, 1706:],
            "penultimate+taggram": np.concatenate([X[:, :, :200], X[:, :, 1706:]], axis=2),
        }
    sets = {}
    D = None
    if args.descriptors:
        D, secs = descriptor_stats(data.filenames, args.cache)
        print(f"descriptors: {D.shape} in {secs:.0f} s", flush=True)
        sets["descriptors (the descriptor SVM)"] = D
    for model, parts in feats.items():
        short = model.split("_")[0]
        for part, X in parts.items():
            sets[f"{short} {part} mean+std"] = pooled(X)
        sets[f"{short} penultimate mean"] = pooled(parts["penultimate"], ("mean",))
    if len(feats) == 2:
        a, b = (feats[m]["penultimate"] for m in args.models)
        sets["MSD+MTT penultimate mean+std"] = np.concatenate([pooled(a), pooled(b)], axis=1)
    if D is not None:
        for model in args.models:
            short = model.split("_")[0]
            P = pooled(feats[model]["penultimate"])
            sets[f"{short} penultimate m+s + descriptors"] = np.concatenate([P, D], axis=1)
    only = set(args.only or [])
    print(f"{'features':<40} {'head':<14} {'macro-F1':>8} {'sd':>6}  (folds x seeds)")
    for set_name, Xc in sets.items():
        if only and not any(o in set_name for o in only):
            continue
        for head_name in heads(0):
            s = cross_validate(
                Xc, y, groups, lambda seed, h=head_name: heads(seed)[h], args.seeds, args.folds
            )
            print(f"{set_name:<40} {head_name:<14} {s.mean():8.3f} {s.std():6.3f}", flush=True)


if __name__ == "__main__":
    main()
