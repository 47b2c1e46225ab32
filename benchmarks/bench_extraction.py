"""Feature-extraction speed: MFCCTransformer against a naive librosa loop, same run.

Usage::

    python benchmarks/bench_extraction.py [--data-dir ../shared/data/4q-dev] [--n-files 120]
                                          [--n-jobs 2] [--out benchmarks/results]

Measures, on the same files and in this order:

1. naive: ``librosa.load(path, sr=22050)`` + ``librosa.feature.mfcc`` in a Python loop
   (what most MIR scripts do);
2. ``MFCCTransformer(n_jobs=1)`` (no cache);
3. ``MFCCTransformer(n_jobs=N)`` (no cache);
4. ``MFCCTransformer(n_jobs=N, memory=DIR)`` first pass (fills the cache) and second pass
   (reads it).

One untimed warm-up call per method first loads libraries and JIT caches so that no method pays
another's start-up. Timings on a shared machine are noisy: the figures that matter are the
ratios against the naive loop measured in the same run. Prints a table and writes it as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np

from sk_deepsense import MFCCTransformer

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "4q-dev"


def naive(paths):
    out = []
    for p in paths:
        y, sr = librosa.load(p, sr=22050)
        out.append(librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20))
    return out


def timed(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--n-files", type=int, default=120)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args(argv)

    paths = sorted(str(p) for p in args.data_dir.rglob("*.mp3"))[: args.n_files]
    if not paths:
        raise SystemExit(f"no .mp3 file under {args.data_dir}")
    warm = paths[-1:]
    naive(warm)
    MFCCTransformer(n_jobs=args.n_jobs).transform(warm + warm)

    rows = {}
    rows["naive librosa loop"] = timed(lambda: naive(paths))
    rows["MFCCTransformer(n_jobs=1)"] = timed(lambda: MFCCTransformer(n_jobs=1).transform(paths))
    par = MFCCTransformer(n_jobs=args.n_jobs)
    rows[f"MFCCTransformer(n_jobs={args.n_jobs})"] = timed(lambda: par.transform(paths))
    with tempfile.TemporaryDirectory() as cache:
        cached = MFCCTransformer(n_jobs=args.n_jobs, memory=cache)
        rows["  + memory, 1st pass (fills cache)"] = timed(lambda: cached.transform(paths))
        rows["  + memory, 2nd pass (cache hits)"] = timed(lambda: cached.transform(paths))
        X_cached = cached.transform(paths)
    X = par.transform(paths)
    assert np.array_equal(X, X_cached, equal_nan=True), "cache returned different features"

    audio_seconds = float(np.sum(~np.isnan(X[:, :, 0])) * 512 / 22050)
    ref = rows["naive librosa loop"]
    print(
        f"\n{len(paths)} files from {args.data_dir} ({audio_seconds / 60:.1f} min of audio), "
        f"{platform.processor() or platform.machine()}, n_jobs={args.n_jobs}\n"
    )
    print(f"{'method':<38} {'seconds':>8} {'files/s':>8} {'x realtime':>11} {'speed-up':>9}")
    results = []
    for name, sec in rows.items():
        results.append(
            {
                "method": name.strip(),
                "seconds": sec,
                "files_per_s": len(paths) / sec,
                "x_realtime": audio_seconds / sec,
                "speedup_vs_naive": ref / sec,
            }
        )
        print(
            f"{name:<38} {sec:8.2f} {len(paths) / sec:8.1f} {audio_seconds / sec:11.0f} "
            f"{ref / sec:8.2f}x"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "extraction.json"
    out.write_text(
        json.dumps({"n_files": len(paths), "n_jobs": args.n_jobs, "results": results}, indent=2)
    )
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
