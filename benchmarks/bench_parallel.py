"""Parallel fits without collapse: thread policy, GridSearchCV(n_jobs), a busy neighbour.

Prints, measured in one run on this machine (issue 14's targets):

1. one default hybrid fit alone with 1 and with 2 torch threads (``n_threads``);
2. ``GridSearchCV`` of 4 hybrid fits (2 candidates x 2 folds) with ``n_jobs=1`` and
   ``n_jobs=2``, their ratio (target: n_jobs=2 at least 1.6x faster) and equal scores;
3. one fit while another process runs the same fit in a loop, against the same fit alone
   (target: at most 2.5x), with the default one thread, and with ``n_threads=None`` (every
   fit on every core, the behaviour before the thread policy) for comparison.

Features (log-mel of 48 clips of 15 s from a 4Q folder) are extracted once, before any
timing. Run it with nothing else running::

    python benchmarks/bench_parallel.py --data-dir ../shared/data/4q-dev
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "4q-dev"


def load_features(data_dir: Path, n_clips: int, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Log-mel sequences of the first ``n_clips`` clips (stratified by quadrant) and labels."""
    from sk_deepsense import LogMelTransformer
    from sk_deepsense.datasets import load_4q

    data = load_4q(data_dir)
    y_all = np.asarray(data.target)
    per_class = max(1, n_clips // 4)
    idx = np.concatenate([np.flatnonzero(y_all == q)[:per_class] for q in sorted(set(y_all))])
    X = LogMelTransformer(duration=duration, n_jobs=2).transform(list(data.filenames[idx]))
    return X, y_all[idx]


def model(max_epochs: int, **params):
    from sk_deepsense import HybridCNNLSTMClassifier

    return HybridCNNLSTMClassifier(max_epochs=max_epochs, random_state=0, **params)


def timed_fit(X, y, max_epochs: int, **params) -> float:
    t0 = time.perf_counter()
    model(max_epochs, **params).fit(X, y)
    return time.perf_counter() - t0


def grid(X, y, max_epochs: int, n_jobs: int | None) -> tuple[float, np.ndarray]:
    """Time a GridSearchCV of 4 fits (2 candidates x 2 folds); return seconds and scores."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    search = GridSearchCV(
        model(max_epochs),
        {"filter_size": [3, 5]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        scoring="f1_macro",
        refit=False,
        n_jobs=n_jobs,
    )
    t0 = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - t0, search.cv_results_["mean_test_score"]


def _busy(X, y, max_epochs: int, n_threads: int | None, stop) -> None:
    while not stop.is_set():
        model(max_epochs, n_threads=n_threads).fit(X, y)


def beside_busy(X, y, max_epochs: int, n_threads: int | None) -> float:
    """Time one fit while another process runs the same fit in a loop (same n_threads)."""
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    other = ctx.Process(target=_busy, args=(X, y, max_epochs, n_threads, stop))
    other.start()
    time.sleep(8.0)  # let the neighbour import torch and start training
    seconds = timed_fit(X, y, max_epochs, n_threads=n_threads)
    stop.set()
    other.join()
    return seconds


def data_arguments(description: str) -> argparse.ArgumentParser:
    """Return a parser with the data and search options this script and bench_dask share."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--n-clips", type=int, default=48)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--max-epochs", type=int, default=8)
    return ap


def main() -> None:
    ap = data_arguments(__doc__.split("\n")[0])
    ap.add_argument("--skip-old", action="store_true", help="skip the n_threads=None run")
    args = ap.parse_args()
    X, y = load_features(args.data_dir, args.n_clips, args.duration)
    print(
        f"{len(y)} clips, features {X.shape}, max_epochs={args.max_epochs}, cpus {os.cpu_count()}"
    )
    timed_fit(X[::6], y[::6], 1)  # warm-up: imports, first kernels

    alone = {t: timed_fit(X, y, args.max_epochs, n_threads=t) for t in (1, 2)}
    default = timed_fit(X, y, args.max_epochs)
    print(
        f"one fit alone: 1 thread {alone[1]:.1f} s, 2 threads {alone[2]:.1f} s, "
        f"default {default:.1f} s"
    )

    t1, s1 = grid(X, y, args.max_epochs, 1)
    cold, s2 = grid(X, y, args.max_epochs, 2)  # joblib starts its worker processes
    warm, _ = grid(X, y, args.max_epochs, 2)  # joblib reuses them
    print(
        f"GridSearchCV 4 fits: n_jobs=1 {t1:.1f} s; n_jobs=2 {cold:.1f} s (first call, "
        f"workers starting) and {warm:.1f} s (workers reused); speed-up {t1 / cold:.2f}x "
        f"and {t1 / warm:.2f}x (target >= 1.6x); scores equal: {np.array_equal(s1, s2)}"
    )

    beside = beside_busy(X, y, args.max_epochs, 1)
    print(
        f"one fit beside a busy fit (both n_threads=1, the default): {beside:.1f} s vs "
        f"{alone[1]:.1f} s alone, {beside / alone[1]:.2f}x (target <= 2.5x)"
    )
    if not args.skip_old:
        old = beside_busy(X, y, args.max_epochs, None)
        print(
            f"the same with n_threads=None (every fit uses every core, as before): "
            f"{old:.1f} s vs {alone[2]:.1f} s alone (2 threads), {old / alone[2]:.2f}x"
        )


if __name__ == "__main__":
    main()
