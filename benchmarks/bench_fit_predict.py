r"""Cost of the recommended pipeline on 4Q: one fit on 320 clips, prediction clips per second.

Usage::

    python benchmarks/bench_fit_predict.py --data-dir ../shared/data/4q-dev \
        [--threads 2] [--cache ~/.cache/sk_deepsense-bench] [--out benchmarks/results]

On the first artist-grouped fold of the benchmark (320 training clips of up to 30 s, 80
held out), with the features extracted once beforehand (timed separately):

1. ``HybridCNNLSTMClassifier(random_state=0)`` (the defaults) fitted on the log-mel
   sequences of the 320 training clips, ``--threads`` torch threads;
2. ``predict_proba`` of the 80 held-out clips with the default window averaging, and, as the
   reference measured in the same run, the same fitted network with ``predict_window=None``
   (one pass over each whole clip);
3. the whole pipeline on audio paths (features read from the cache).

Run it alone: another process on the machine slows torch down far more than its share.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, LogMelTransformer
from sk_deepsense.datasets import load_4q
from sk_deepsense.model_selection import make_splits

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "4q-dev"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--cache", default="~/.cache/sk_deepsense-bench")
    ap.add_argument("--out", type=Path, help="folder for fit_predict.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    data = load_4q(args.data_dir)
    y, groups = np.asarray(data.target), np.asarray(data.groups)
    train, test = make_splits(y, groups, n_splits=5)[0]
    paths = np.asarray(data.filenames, dtype=object)
    features = LogMelTransformer(memory=args.cache, n_jobs=2)
    t0 = time.perf_counter()
    X = features.transform(paths)
    extract_s = time.perf_counter() - t0

    clf = HybridCNNLSTMClassifier(random_state=0, n_threads=args.threads)
    t0 = time.perf_counter()
    clf.fit(X[train], y[train])
    fit_s = time.perf_counter() - t0

    def timed_predict(model, X_test):
        model.predict_proba(X_test[:4])  # warm-up
        t0 = time.perf_counter()
        proba = model.predict_proba(X_test)
        return proba, time.perf_counter() - t0

    rows = {}
    proba, seconds = timed_predict(clf, X[test])
    rows["network, windows (default)"] = (seconds, proba)
    one_pass = clone(clf).set_params(predict_window=None)
    one_pass.__dict__.update({k: v for k, v in vars(clf).items() if k.endswith("_")})
    proba, seconds = timed_predict(one_pass, X[test])
    rows["network, one pass per clip"] = (seconds, proba)
    pipe = Pipeline([("features", features), ("clf", clf)])
    proba, seconds = timed_predict(pipe, paths[test])
    rows["pipeline on paths (cached features)"] = (seconds, proba)

    print(f"4Q fold 0: {len(train)} training clips, {len(test)} held out, {args.threads} threads")
    print(f"log-mel extraction of {len(paths)} clips (cache as found): {extract_s:.1f} s")
    print(f"fit: {fit_s:.1f} s ({len(clf.history_)} epochs, best {clf.best_epoch_})")
    print("| prediction | seconds | clips/s | macro-F1 |")
    print("|---|---|---|---|")
    report = {}
    for name, (seconds, proba) in rows.items():
        f1 = f1_score(y[test], clf.classes_[proba.argmax(1)], average="macro")
        print(f"| {name} | {seconds:.2f} | {len(test) / seconds:.1f} | {f1:.3f} |")
        report[name] = {"seconds": seconds, "clips_per_s": len(test) / seconds, "macro_f1": f1}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        payload = {
            "fit_s": fit_s,
            "epochs": len(clf.history_),
            "extract_s": extract_s,
            "threads": args.threads,
            "predict": report,
            "params": clf.get_params(),
            "machine": platform.machine(),
            "torch": torch.__version__,
        }
        (args.out / "fit_predict.json").write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
