"""Training and inference throughput of the default hybrid on a given device.

Prints clips/s of ``fit`` (clip-epochs per second) and of ``predict`` for the default
:class:`~sk_deepsense.HybridCNNLSTMClassifier` on log-mel-shaped inputs (30 s clips as
:class:`~sk_deepsense.LogMelTransformer` gives them by default; random values: throughput
does not depend on them), on whatever device it is given, with and without bfloat16 mixed
precision. Run it on a GPU machine with ``--device cuda``::

    python benchmarks/bench_device.py --device cpu --n-threads 2
    python benchmarks/bench_device.py --device cuda --mixed-precision both
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from sk_deepsense import HybridCNNLSTMClassifier, LogMelTransformer


def run(device: str, mixed: bool, n_clips: int, epochs: int, n_threads: int | None) -> dict:
    """Time one fit (fixed epochs, no early stopping) and one predict; return clips/s."""
    logmel = LogMelTransformer()
    n_frames = logmel.expected_n_frames()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_clips, n_frames, logmel.n_mels)).astype(np.float32)
    y = np.array(["Q1", "Q2", "Q3", "Q4"])[np.arange(n_clips) % 4]
    est = HybridCNNLSTMClassifier(
        max_epochs=epochs,
        early_stopping=False,
        n_ensemble=1,
        device=device,
        mixed_precision=mixed,
        n_threads=n_threads,
        random_state=0,
    )
    est.set_params(max_epochs=1).fit(X[:8], y[:8])  # warm-up: kernels, allocator, CUDA init
    est.set_params(max_epochs=epochs)
    t0 = time.perf_counter()
    est.fit(X, y)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    est.predict(X)
    predict_s = time.perf_counter() - t0
    return {
        "fit_clip_epochs_per_s": n_clips * epochs / fit_s,
        "predict_clips_per_s": n_clips / predict_s,
        "fit_s": fit_s,
        "predict_s": predict_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="auto", help="cpu, cuda, cuda:1 or auto")
    ap.add_argument("--mixed-precision", choices=["off", "on", "both"], default="off")
    ap.add_argument("--n-clips", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--n-threads", type=int, default=None, help="torch threads (default: all)")
    args = ap.parse_args()
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else platform.processor()
    print(
        f"device {device} ({name or platform.machine()}), torch {torch.__version__}, "
        f"{args.n_clips} clips of 30 s (log-mel), {args.epochs} epochs"
    )
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.mixed_precision]
    print("| mixed precision | fit clip-epochs/s | predict clips/s |")
    print("|---|---|---|")
    for mixed in modes:
        r = run(device, mixed, args.n_clips, args.epochs, args.n_threads)
        print(
            f"| {'bfloat16' if mixed else 'off'} | {r['fit_clip_epochs_per_s']:.1f} | "
            f"{r['predict_clips_per_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
