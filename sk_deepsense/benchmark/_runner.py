"""The benchmark's runner: every model cross-validated on the same splits, in parallel."""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from .._choices import output_names
from .._tags import capabilities, final_step
from .._threads import limit_threads
from ..exceptions import ParameterError
from ..metrics import PredictionScorer
from ..model_selection import make_splits
from ._models import default_models, is_network
from ._result import BenchmarkResult

__all__ = ["cache_features", "peak_rss_mib", "run_benchmark"]


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB.

    Returns
    -------
    float
        ``ru_maxrss`` in MiB.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20  # kB on Linux, B on macOS


def _run_one(name, factory, fold, train, test, X, y, scorer, threads) -> dict[str, Any]:
    """Fit and score one model on one fold (in a worker process, or in this one)."""
    from sklearn.model_selection import cross_validate

    # cross_validate on the one fold: fit, time and score exactly as scikit-learn does; the
    # runner only schedules (model, fold) jobs, so each fold's model keeps its own seed.
    with limit_threads(threads):
        cv = cross_validate(
            factory(fold),
            X,
            y,
            cv=[(train, test)],
            scoring=scorer,
            return_estimator=True,
            error_score="raise",
        )
    model = cv["estimator"][0]
    row: dict[str, Any] = {"model": name, "fold": fold, "n_train": len(train), "n_test": len(test)}
    row.update({key[5:]: float(v[0]) for key, v in cv.items() if key.startswith("test_")})
    row["fit_s"] = float(cv["fit_time"][0])
    row["predict_s"] = float(cv["score_time"][0])
    # a network (declared, sk_deepsense._tags) is the pipeline's final step: its fitted state
    final = final_step(model)
    network = capabilities(final).network
    row["n_parameters"] = int(final.n_parameters_) if network else ""
    row["epochs"] = len(final.history_) if network else ""
    row["peak_rss_mib"] = peak_rss_mib()
    return row


def run_benchmark(
    X: np.ndarray,
    y: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    task: str = "classification",
    models: Mapping[str, Callable[[int], Any]] | None = None,
    n_splits: int = 5,
    random_state: int = 0,
    target_names: Sequence[str] | None = None,
    n_jobs: int = 1,
    verbose: bool = True,
) -> BenchmarkResult:
    """Cross-validate every model on identical splits of the same features.

    Parameters
    ----------
    X : np.ndarray [shape=(n_samples, n_frames, n_coefficients)]
        NaN-padded MFCC sequences (:class:`~sk_deepsense.MFCCTransformer`'s output).
    y : np.ndarray [shape=(n_samples,) or (n_samples, n_outputs)]
        Class labels, or regression targets.
    groups : np.ndarray or None, default=None
        Artist (or other) group per sample for grouped splits.
    task : {"classification", "regression"}, default="classification"
        Metrics and splitter.
    models : mapping or None, default=None
        Name -> ``factory(seed)``; default :func:`default_models`. Each fold's models get the
        fold index as seed.
    n_splits : int, default=5
        Folds.
    random_state : int, default=0
        Seed of the splits.
    target_names : sequence of str or None, default=None
        Regression output names for the metric columns (default ``output_0``, ``output_1``,
        ...).
    n_jobs : int, default=1
        Worker processes; each fit gets ``cpu_count // n_jobs`` threads (at least 1), so
        that parallel fits do not fight over cores.
    verbose : bool, default=True
        Print each fold's result as it arrives.

    Returns
    -------
    result : BenchmarkResult
        Per-fold rows and summaries.
    """
    if task not in ("classification", "regression"):
        raise ParameterError(f"task must be 'classification' or 'regression', got {task!r}.")
    y = np.asarray(y)
    models = dict(models or default_models(task))
    splits = make_splits(y, groups, n_splits=n_splits, task=task, random_state=random_state)
    if task == "regression":
        n_out = 1 if y.ndim == 1 else y.shape[1]
        target_names = list(target_names or output_names(n_out))
        metrics = [f"{t}_{m}" for t in target_names for m in ("rmse", "r", "ccc")]
    else:
        target_names = []
        metrics = ["accuracy", "macro_f1"]
    scorer = PredictionScorer(task, target_names or None)
    n_jobs = max(1, int(n_jobs))
    threads = max(1, (os.cpu_count() or 1) // n_jobs)
    # networks first: the long jobs start early and the short ones fill the gaps
    networks = [name for name, factory in models.items() if is_network(factory(0))]
    jobs = sorted(
        ((name, fold) for name in models for fold in range(len(splits))),
        key=lambda job: job[0] not in networks,
    )
    tasks = (
        delayed(_run_one)(name, models[name], k, *splits[k], X, y, scorer, threads)
        for name, k in jobs
    )
    rows = []
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for row in parallel(tasks):
        rows.append(row)
        if verbose:
            scores = " ".join(f"{m} {row[m]:.3f}" for m in metrics)
            print(
                f"  fold {row['fold']}  {row['model']:<18} {scores}  fit {row['fit_s']:.1f} s",
                flush=True,
            )
    order = {name: i for i, name in enumerate(models)}
    rows.sort(key=lambda r: (order[r["model"]], r["fold"]))
    return BenchmarkResult(folds=rows, task=task, metrics=metrics, networks=networks)


def cache_features(
    models: Mapping[str, Callable[[int], Any]], paths: Sequence[str], *, verbose: bool = True
) -> dict[str, dict[str, Any]]:
    """Extract every kind of feature the models need once, into their shared cache.

    Run before :func:`run_benchmark` on audio paths, so that the fits read features from the
    cache (``memory``) instead of decoding each file once per model and fold.

    Parameters
    ----------
    models : mapping
        Name -> ``factory(seed)``, as :func:`default_models` returns.
    paths : sequence of str
        Audio files.
    verbose : bool, default=True
        Print each kind's shape and time.

    Returns
    -------
    kinds : dict
        ``repr`` of each distinct audio transformer -> ``{"params": ..., "seconds": ...}``.
    """
    import time

    from ._models import audio_steps

    transformers: dict[str, Any] = {}
    for factory in models.values():
        for transformer in audio_steps(factory(0)):
            transformers.setdefault(repr(transformer), transformer)
    kinds: dict[str, dict[str, Any]] = {}
    for name, transformer in transformers.items():
        t0 = time.perf_counter()
        shape = transformer.transform(paths).shape
        seconds = time.perf_counter() - t0
        kinds[name] = {"params": {**transformer.get_params(), "memory": None}, "seconds": seconds}
        if verbose:
            print(f"{name}: {shape} in {seconds:.1f} s (cached, shared by all fits)", flush=True)
    return kinds
