"""``sk-deepsense benchmark``: the hybrid, its ablations and baselines on identical folds.

The command reads the dataset, extracts every kind of feature once into a shared cache
(timed), optionally times extraction against a naive librosa loop, then hands the models of
:func:`sk_deepsense.benchmark.default_models` to :func:`sk_deepsense.benchmark.run_benchmark`
and prints (and with ``--out`` writes) its result.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import tempfile
from pathlib import Path
from typing import Any

from ..datasets import DATASETS
from ._common import UsageError, add_common_options, add_set_option, load_dataset_arrays, parse_sets

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``benchmark`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "benchmark",
        help="compare the hybrid, its ablations and baselines on identical folds",
        description="Cross-validate the hybrid CNN+LSTM, its ablations and classical baselines "
        "on identical (artist-grouped, stratified) folds of one dataset.",
    )
    add_common_options(p)
    p.add_argument("--dataset", choices=tuple(DATASETS), default="synthetic")
    p.add_argument(
        "--data-dir", type=Path, help="the dataset's folder (synthetic: where to write clips)"
    )
    p.add_argument("--n-samples", type=int, default=160, help="synthetic clips (default 160)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="seed of the splits (and synthetic data)")
    p.add_argument(
        "--models",
        nargs="+",
        metavar="NAME",
        help="subset of the models, by table name (default: all); e.g. svm hybrid",
    )
    add_set_option(
        p,
        "network hyperparameter for every network, e.g. --set max_epochs=5 (repeatable; "
        "values are read as JSON or Python literals, else text)",
    )
    p.add_argument(
        "--hop-length", type=int, default=None, help="hop of every feature (default: theirs)"
    )
    p.add_argument("--n-mfcc", type=int, default=None, help="MFCCs per frame (default: 20)")
    p.add_argument("--n-jobs", type=int, default=1, help="parallel fits (processes)")
    p.add_argument("--cache", help="feature cache folder (joblib.Memory)")
    p.add_argument(
        "--speed-files", type=int, default=20, help="files for the extraction timing (0: skip)"
    )
    p.add_argument("--out", type=Path, help="write folds.csv, summary.csv, results.json, plot")
    p.set_defaults(func=run)
    return p


def _load(args: argparse.Namespace, work: Path) -> tuple[Any, Any, Any, str, list[str], str]:
    """Return ``(filenames, y, groups, task, target_names, description)``."""
    if args.dataset != "synthetic":
        loaded = load_dataset_arrays(args.dataset, args.data_dir)
        return (*loaded, f"{args.dataset} ({args.data_dir})")
    folder = args.data_dir or work / "synthetic"
    if (folder / "metadata.csv").exists():
        raise FileExistsError(
            f"{folder} already holds a synthetic dataset; pass an empty or new --data-dir "
            "(the benchmark never overwrites files)."
        )
    loaded = load_dataset_arrays(
        "synthetic", folder, n_samples=args.n_samples, random_state=args.seed
    )
    return (*loaded, f"synthetic ({args.n_samples} clips, seed {args.seed})")


def run(args: argparse.Namespace) -> int:
    """Run ``sk-deepsense benchmark``; return the exit status."""
    import numpy as np

    from ..benchmark import (
        cache_features,
        default_models,
        format_speed,
        peak_rss_mib,
        run_benchmark,
        time_extraction,
    )
    from ..features import MFCCTransformer

    verbose = not args.quiet
    neural = parse_sets(args.set)
    feature_params = {
        k: v
        for k, v in {"hop_length": args.hop_length, "n_mfcc": args.n_mfcc}.items()
        if v is not None
    }
    with tempfile.TemporaryDirectory(prefix="sk_deepsense-bench-") as tmp:
        paths, y, groups, task, target_names, desc = _load(args, Path(tmp))
        if verbose:
            print(f"{desc}: {len(paths)} clips, task {task}, {args.folds} folds", flush=True)
        cache = args.cache or str(Path(tmp) / "features")
        models = default_models(
            task, neural=neural, features=feature_params, memory=cache, n_jobs=args.n_jobs
        )
        if args.models:
            unknown = sorted(set(args.models) - set(models))
            if unknown:
                raise UsageError(f"unknown --models {unknown}; choose from {list(models)}")
            models = {name: models[name] for name in models if name in args.models}
        # every kind of feature the chosen models need, extracted once into the cache, timed
        kinds = cache_features(models, paths, verbose=verbose)
        speed = None
        if args.speed_files:
            mfcc = MFCCTransformer(n_jobs=args.n_jobs, **feature_params)
            speed = time_extraction(paths, mfcc, args.speed_files, args.n_jobs)
        X = np.asarray(paths, dtype=object)
        result = run_benchmark(
            X,
            y,
            groups=groups,
            task=task,
            models=models,
            n_splits=args.folds,
            random_state=args.seed,
            target_names=target_names,
            n_jobs=args.n_jobs,
            verbose=verbose,
        )
    result.info = {
        "dataset": desc,
        "command": shlex.join(["sk-deepsense", *getattr(args, "argv", ["benchmark"])]),
        "n_clips": len(X),
        "grouped": groups is not None,
        "features": {name: kind["params"] for name, kind in kinds.items()},
        "feature_seconds": {name: kind["seconds"] for name, kind in kinds.items()},
        "network_params": neural,
        "speed": speed,
        "main_process_peak_rss_mib": peak_rss_mib(),
        "environment": _environment(args.n_jobs),
    }
    print()
    print(result.table())
    print()
    print(format_speed(result.info, result.summary()))
    if args.out:
        written = result.save(args.out)
        print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


def _environment(n_jobs: int) -> dict[str, Any]:
    import sklearn
    import torch

    from .._version import __version__

    return {
        "sk_deepsense": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "n_jobs": n_jobs,
    }
