"""Check that ``HybridCNNLSTMClassifier()`` with no arguments is worth using on 4Q.

Usage::

    python benchmarks/bench_4q_defaults.py [--data-dir ../shared/data/4q-dev] [--folds 5]
                                           [--out benchmarks/results]

Artist-grouped, stratified k-fold on the 4Q clips (artists never straddle train and test).
MFCCs are extracted once (``MFCCTransformer()`` defaults, cached) and shared by:

- majority class;
- MFCC mean/std over the valid frames + StandardScaler + RBF SVC (the classical baseline);
- ``HybridCNNLSTMClassifier(random_state=fold)``, every other parameter at its default.

Prints accuracy and macro-F1 (mean +- std over folds) with fit times, and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer
from sk_deepsense.datasets import load_4q

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "4q-dev"


def mfcc_stats(X: np.ndarray) -> np.ndarray:
    """Mean and std of each coefficient over the real (non-NaN) frames."""
    return np.hstack([np.nanmean(X, axis=1), np.nanstd(X, axis=1)])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "sk_deepsense-bench"))
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args(argv)

    data = load_4q(args.data_dir)
    t0 = time.perf_counter()
    X = MFCCTransformer(n_jobs=2, memory=args.cache).transform(data.filenames)
    print(f"{len(X)} clips, features {X.shape} in {time.perf_counter() - t0:.1f} s")
    y, groups = np.asarray(data.target), np.asarray(data.groups)
    stats = mfcc_stats(X)
    models = {
        "majority class": lambda k: DummyClassifier(),
        "MFCC mean/std + RBF SVC": lambda k: make_pipeline(StandardScaler(), SVC()),
        "HybridCNNLSTMClassifier()": lambda k: HybridCNNLSTMClassifier(random_state=k),
    }
    cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=0)
    scores = {name: {"accuracy": [], "macro_f1": [], "fit_s": []} for name in models}
    for k, (tr, te) in enumerate(cv.split(X, y, groups)):
        for name, make in models.items():
            Xk = X if name.startswith("Hybrid") else stats
            t0 = time.perf_counter()
            model = make(k).fit(Xk[tr], y[tr])
            fit_s = time.perf_counter() - t0
            pred = model.predict(Xk[te])
            scores[name]["accuracy"].append(accuracy_score(y[te], pred))
            scores[name]["macro_f1"].append(f1_score(y[te], pred, average="macro"))
            scores[name]["fit_s"].append(fit_s)
            extra = ""
            if name.startswith("Hybrid"):
                extra = f" ({len(model.history_)} epochs)"
            print(
                f"fold {k}: {name:<28} acc {scores[name]['accuracy'][-1]:.3f} "
                f"F1 {scores[name]['macro_f1'][-1]:.3f} fit {fit_s:.1f} s{extra}",
                flush=True,
            )
    print(f"\n{'model':<28} {'accuracy':>15} {'macro-F1':>15} {'fit s':>8}")
    for name, s in scores.items():
        print(
            f"{name:<28} {np.mean(s['accuracy']):.3f} +- {np.std(s['accuracy']):.3f}  "
            f"{np.mean(s['macro_f1']):.3f} +- {np.std(s['macro_f1']):.3f} "
            f"{np.mean(s['fit_s']):8.1f}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "4q_defaults.json").write_text(json.dumps(scores, indent=2))


if __name__ == "__main__":
    main()
