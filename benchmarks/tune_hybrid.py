r"""Score hybrid configurations on 4Q with the benchmark's folds (how the defaults were chosen).

Each configuration is a JSON object of ``HybridCNNLSTMClassifier`` parameters, plus optional
``"_features"`` (an object of feature parameters, with ``"kind"``: ``"logmel"``, the default,
or ``"mfcc"``) and ``"_seed"`` (fold ``k`` is fitted with ``random_state=k + 100 * seed``;
default 0, as in ``sk-deepsense benchmark``). Every configuration runs on the same
artist-grouped, stratified 5 folds as the benchmark (seed 0), one torch thread per process
(run two processes on two cores), and appends one JSON line per configuration to ``--out``,
with the per-fold class probabilities in ``--out``'s folder. The study of
``docs/benchmarks.rst``, e.g.::

    python benchmarks/tune_hybrid.py --data-dir ../shared/data/4q-dev --out tune.jsonl \
        '{"n_ensemble": 1}' '{"n_ensemble": 1, "mixup": 0.0}' '{"n_ensemble": 1, "_seed": 1}'
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

from sk_deepsense import HybridCNNLSTMClassifier, LogMelTransformer, MFCCTransformer
from sk_deepsense.datasets import load_4q
from sk_deepsense.model_selection import make_splits


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
        features = dict(cfg.pop("_features", {}))
        seed = int(cfg.pop("_seed", 0))
        kind = {"logmel": LogMelTransformer, "mfcc": MFCCTransformer}[
            features.pop("kind", "logmel")
        ]
        X = kind(memory=args.cache, n_jobs=2, **features).transform(data.filenames)
        probas = {}
        accs, f1s, epochs, fit_s = [], [], [], []
        for k, (tr, te) in enumerate(splits):
            t0 = time.perf_counter()
            clf = HybridCNNLSTMClassifier(random_state=k + 100 * seed, **cfg).fit(X[tr], y[tr])
            fit_s.append(time.perf_counter() - t0)
            probas[f"fold{k}"] = proba = clf.predict_proba(X[te])
            pred = clf.classes_[proba.argmax(axis=1)]
            accs.append(accuracy_score(y[te], pred))
            f1s.append(f1_score(y[te], pred, average="macro"))
            epochs.append(len(clf.history_))
            print(f"{text} fold {k}: accuracy {accs[-1]:.3f}, {epochs[-1]} epochs", flush=True)
        name = (
            f"{args.out.stem}-{len(args.out.read_text().splitlines()) if args.out.exists() else 0}"
        )
        np.savez(args.out.parent / f"{name}-proba.npz", **probas)
        record = {
            "cfg": cfg,
            "features": {"kind": kind.__name__, **features},
            "seed": seed,
            "probabilities": f"{name}-proba.npz",
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
