"""``sk-deepsense benchmark``: the hybrid, its ablations and baselines on identical folds.

The command reads the dataset, extracts every kind of feature once into a shared cache
(timed), optionally times extraction against a naive librosa loop, then hands the models of
:func:`sk_deepsense.benchmark.default_models` to :func:`sk_deepsense.benchmark.run_benchmark`
and prints (and with ``-o/--output DIR`` writes) its result.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import tempfile
from pathlib import Path
from typing import Any

from .._choices import BENCHMARK_MODELS
from ..datasets import DATASETS
from ..exceptions import OutputExistsError
from ._common import (
    CLIError,
    UsageError,
    add_common_options,
    add_set_option,
    load_dataset_arrays,
    parse_sets,
)

__all__ = ["add_parser", "network_params", "run"]


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
        choices=BENCHMARK_MODELS,
        help="subset of the models (default: all), by the names 'train --model' takes, "
        "plus the benchmark's own rows svm_deltas, svm_descriptors, hybrid_mfcc and fusion: "
        + ", ".join(BENCHMARK_MODELS),
    )
    add_set_option(
        p,
        "a parameter of every network of the table, named as in 'train': clf__PARAM, e.g. "
        "--set clf__max_epochs=5 (repeatable; values are read as JSON or Python literals, "
        "else text; validated before any audio is decoded)",
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
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="folder to write folds.csv, summary.csv, results.json and scores.png to "
        "(created if needed)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the result files of an earlier run"
    )
    p.set_defaults(func=run)
    return p


def network_params(sets: dict[str, Any]) -> dict[str, Any]:
    """Return the networks' parameters of ``--set``: ``clf__PARAM`` keys, prefix removed.

    The parameters are validated as :class:`~sk_deepsense.HybridCNNLSTMClassifier`
    validates its own, so that a bad name or value stops the run before any audio is
    decoded.

    Parameters
    ----------
    sets : dict
        :func:`~sk_deepsense.cli._common.parse_sets` of the ``--set`` options.

    Returns
    -------
    params : dict
        Parameter name -> value, for every network of the table.

    Raises
    ------
    CLIError
        If a key names no step or another step, or a parameter the networks do not have, or a value
        they refuse.
    """
    import difflib

    from ..neural import HybridCNNLSTMClassifier
    from ..neural._net import resolve_device

    params: dict[str, Any] = {}
    for key, value in sets.items():
        step, _, name = key.rpartition("__")
        if step != "clf":
            raise CLIError(
                f"--set {key}: the benchmark sets the networks' parameters only, named "
                "clf__PARAM (e.g. clf__max_epochs=5); the features have --hop-length and "
                "--n-mfcc"
            )
        params[name] = value
    valid = HybridCNNLSTMClassifier().get_params()
    for name in params:
        if name not in valid:
            close = difflib.get_close_matches(name, list(valid), n=3)
            hint = f"did you mean {' or '.join('clf__' + c for c in close)}? " if close else ""
            raise CLIError(
                f"--set clf__{name}: the networks have no such parameter; {hint}see "
                "HybridCNNLSTMClassifier in the API reference"
            )
    try:
        HybridCNNLSTMClassifier(**params)._validate_params()
        resolve_device(params.get("device", "cpu"))
    except ValueError as exc:
        raise CLIError(f"--set: {' '.join(str(exc).split())}") from exc
    return params


def _check_output(args: argparse.Namespace) -> Path | None:
    """Check ``-o/--output DIR`` before the run: a folder, without results unless asked."""
    from ..benchmark._result import RESULT_FILES

    if args.output is None:
        return None
    out = args.output.expanduser()
    if out.exists() and not out.is_dir():
        raise CLIError(f"-o/--output {str(out)!r} is a file; give a folder")
    if not out.exists() and not out.parent.is_dir():
        raise CLIError(f"-o/--output {str(out)!r}: the folder {str(out.parent)!r} does not exist")
    present = [name for name in RESULT_FILES if (out / name).exists()]
    if present and not args.overwrite:
        raise CLIError(
            f"-o/--output {str(out)!r} already holds {', '.join(present)}; pass --overwrite "
            "to replace them (nothing was changed)"
        )
    return out


def _load(args: argparse.Namespace, work: Path) -> tuple[Any, Any, Any, str, list[str], str]:
    """Return ``(filenames, y, groups, task, target_names, description)``."""
    if args.dataset != "synthetic":
        loaded = load_dataset_arrays(args.dataset, args.data_dir)
        return (*loaded, f"{args.dataset} ({args.data_dir})")
    folder = args.data_dir or work / "synthetic"
    if (folder / "metadata.csv").exists():
        raise OutputExistsError(
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
        model_label,
        peak_rss_mib,
        run_benchmark,
        time_extraction,
    )
    from ..features import MFCCTransformer

    verbose = not args.quiet
    out = _check_output(args)
    neural = network_params(parse_sets(args.set))
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
            wanted = {model_label(name, task) for name in args.models}
            missing = sorted(name for name in args.models if model_label(name, task) not in models)
            if missing:
                raise UsageError(f"--models {' '.join(missing)}: not a row of a {task} benchmark")
            models = {label: models[label] for label in models if label in wanted}
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
    if out is not None:
        written = result.save(out)
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
