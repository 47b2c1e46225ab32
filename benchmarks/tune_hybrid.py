r"""Score hybrid configurations on 4Q with the benchmark's folds (how the defaults were chosen).

Each configuration is a JSON object of ``HybridCNNLSTMClassifier`` parameters, plus an
optional ``"_features"`` object of ``MFCCTransformer`` parameters. Every configuration runs on
the same artist-grouped, stratified 5 folds as ``python -m sk_deepsense.benchmark`` (seed 0),
one torch thread per process (run two processes on two cores), and appends one JSON line
per configuration to ``--out``::

    python benchmarks/tune_hybrid.py --data-dir ../shared/data/4q-dev --out tune.jsonl \
        '{"_features": {"hop_length": 1024}}' \
        '{"_features": {"hop_length": 1024}, "chunking": "random", "train_chunk": 128}'
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer
from sk_deepsense.benchmark import make_splits
from sk_deepsense.datasets import load_4q


def main(argv=None):
    """Run every configuration given on the command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="+", help="JSON objects of parameters")
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="JSON-lines file to append to")
    ap.add_argument("--cache", default="~/.cache/sk_deepsense-bench")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    data = load_4q(args.data_dir)
    y, groups = np.asarray(data.target), np.asarray(data.groups)
    splits = make_splits(y, groups, n_splits=args.folds)
    for text in args.configs:
        cfg = json.loads(text)
        features = cfg.pop("_features", {})
        X = MFCCTransformer(memory=args.cache, **features).transform(data.filenames)
        accs, f1s, epochs, fit_s = [], [], [], []
        for k, (tr, te) in enumerate(splits):
            t0 = time.perf_counter()
            clf = HybridCNNLSTMClassifier(random_state=k, **cfg).fit(X[tr], y[tr])
            fit_s.append(time.perf_counter() - t0)
            pred = clf.predict(X[te])
            accs.append(accuracy_score(y[te], pred))
            f1s.append(f1_score(y[te], pred, average="macro"))
            epochs.append(len(clf.history_))
            print(f"{text} fold {k}: accuracy {accs[-1]:.3f}, {epochs[-1]} epochs", flush=True)
        record = {
            "cfg": cfg,
            "features": features,
            "acc": float(np.mean(accs)),
            "acc_std": float(np.std(accs)),
            "f1": float(np.mean(f1s)),
            "accs": accs,
            "epochs": epochs,
            "fit_s": float(np.mean(fit_s)),
        }
        with args.out.open("a") as f:
            f.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
