"""Benchmark the hybrid CNN + LSTM against its ablations and classical baselines.

Every model of the command line's table is a pipeline on audio paths, as a user would build
it; each kind of feature (MFCCs, log-mel bands, descriptors) is extracted once into a shared
cache. Every model sees the same cross-validation splits: stratified and artist-grouped
when the dataset names artists, so that no artist straddles training and test data. The
result is a table of accuracy and macro-F1 (or RMSE, Pearson r and concordance correlation
for arousal/valence), fit and predict times and parameter counts, plus a speed section
measured in the same run, written to CSV, JSON and a plot.

Run it from the command line::

    python -m sk_deepsense.benchmark --dataset 4q --data-dir PATH/4q --folds 5 --out DIR

or from Python with :func:`~sk_deepsense.benchmark.run_benchmark`, on audio paths or on features
you already have.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from .baselines import make_baseline
from .features._statistics import SequenceStatistics
from .metrics import ccc, score_predictions
from .model_selection import make_splits
from .neural import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor

__all__ = [
    "DATASETS",
    "NEURAL_MODELS",
    "BenchmarkResult",
    "ccc",
    "default_models",
    "make_splits",
    "run_benchmark",
    "score_predictions",
]

#: Datasets the command line can load.
DATASETS = ("synthetic", "4q", "emomusic", "pmemo", "deam")
#: Network rows of the table: name -> ``architecture``.
NEURAL_MODELS = {
    "hybrid": "hybrid",
    "conv1d+lstm": "conv1d",
    "conv2d+lstm": "conv2d",
    "lstm": "lstm",
    "hybrid, no lstm": "hybrid_nolstm",
}


def default_models(
    task: str = "classification",
    *,
    neural: Mapping[str, Any] | None = None,
    features: Mapping[str, Any] | None = None,
    memory: str | os.PathLike | None = None,
    n_jobs: int | None = None,
) -> dict[str, Callable[[int], Any]]:
    """Build the benchmark's models, pipelines on audio paths: name -> factory(seed).

    Rows, in table order:

    - classical baselines on per-clip MFCC statistics (:func:`~sk_deepsense.make_baseline`:
      majority, SVM, SVM with delta statistics, logistic regression or ridge, random forest,
      k-NN);
    - ``"svm, descriptors"``: the SVM on the statistics (and delta statistics) of the
      :class:`~sk_deepsense.features.DescriptorTransformer` descriptors, the strongest
      classical model;
    - ``"hybrid, MFCC"``: ``MFCCTransformer`` then ``HybridCNNLSTMClassifier`` (or the
      regressor) with their defaults, as the design card draws it;
    - ``"hybrid"``: the recommended pipeline, ``LogMelTransformer`` then the network with
      its defaults; then the ablations on the same log-mel input (``"conv1d+lstm"``,
      ``"conv2d+lstm"``, ``"lstm"``, ``"hybrid, no lstm"``);
    - classification only, ``"fusion"``: :func:`~sk_deepsense.make_fusion` of the two
      (``"hybrid"`` and ``"svm, descriptors"``).

    Every audio transformer shares ``memory``, so each file is decoded once per kind of
    feature for the whole benchmark.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Which estimators to build.
    neural : mapping or None, default=None
        Extra hyperparameters for every network (e.g. ``{"max_epochs": 3}`` for a smoke test).
    features : mapping or None, default=None
        Extra parameters for the audio transformers, each given to those that have it (e.g.
        ``{"duration": 10.0, "n_mfcc": 13}``).
    memory : str, os.PathLike or None, default=None
        Feature cache folder of every audio transformer.
    n_jobs : int or None, default=None
        Extraction threads of every audio transformer.

    Returns
    -------
    models : dict
        Ordered name -> ``factory(seed) -> unfitted pipeline on audio paths``.
    """
    from sklearn.pipeline import Pipeline

    from .features import DescriptorTransformer, LogMelTransformer, MFCCTransformer
    from .fusion import make_fusion

    neural = dict(neural or {})
    net = HybridCNNLSTMClassifier if task == "classification" else HybridCNNLSTMRegressor

    def transformer(cls, **defaults):
        params = {**defaults, **dict(features or {}), "memory": memory, "n_jobs": n_jobs}
        return cls(**{k: v for k, v in params.items() if k in cls().get_params()})

    def mfcc():
        return transformer(MFCCTransformer)

    def logmel():
        return transformer(LogMelTransformer)

    def descriptors():
        return transformer(DescriptorTransformer, hop_length=1024)

    def baseline(model, seed=None, **kw):
        return make_baseline(model, task=task, features=mfcc(), random_state=seed, **kw)

    def network(features, seed, **kw):
        return Pipeline([("features", features), ("model", net(random_state=seed, **kw))])

    chance = "majority" if task == "classification" else "mean"
    models: dict[str, Callable[[int], Any]] = {
        chance: lambda seed: baseline("majority"),
        "svm": lambda seed: baseline("svm"),
        "svm, +delta stats": lambda seed: baseline(
            "svm", statistics=SequenceStatistics(deltas=True)
        ),
        "logreg" if task == "classification" else "ridge": lambda seed: baseline("logreg"),
        "random forest": lambda seed: baseline("random_forest", seed),
        "knn": lambda seed: baseline("knn"),
        "svm, descriptors": lambda seed: make_baseline(
            "svm",
            task=task,
            features=descriptors(),
            statistics=SequenceStatistics(deltas=True),
        ),
        "hybrid, MFCC": lambda seed: network(mfcc(), seed, **neural),
    }
    for name, arch in NEURAL_MODELS.items():
        models[name] = lambda seed, arch=arch: network(
            logmel(), seed, **{"architecture": arch, **neural}
        )
    if task == "classification":
        models["fusion"] = lambda seed: make_fusion(
            hybrid=models["hybrid"](seed), classical=None, memory=memory, n_jobs=n_jobs
        ).set_params(classical__features=descriptors())
    return models


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20  # kB on Linux, B on macOS


def _run_one(name, factory, fold, train, test, X, y, task, target_names, threads):
    """Fit and score one model on one fold (runs in a worker process)."""
    import torch

    torch.set_num_threads(threads)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads):
        model = factory(fold)
        t0 = time.perf_counter()
        model.fit(X[train], y[train])
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = model.predict(X[test])
        predict_s = time.perf_counter() - t0
    row: dict[str, Any] = {"model": name, "fold": fold, "n_train": len(train), "n_test": len(test)}
    row.update(score_predictions(y[test], pred, task=task, target_names=target_names))
    row["fit_s"] = fit_s
    row["predict_s"] = predict_s
    n_params = getattr(model, "n_parameters_", None)
    row["n_parameters"] = n_params if n_params is not None else ""
    row["epochs"] = len(model.history_) if hasattr(model, "history_") else ""
    row["peak_rss_mib"] = _peak_rss_mib()
    return row


def _is_network(name: str) -> bool:
    """Tell whether a row of the default table trains a network (ordering, colours)."""
    return name in NEURAL_MODELS or name.startswith("hybrid") or name == "fusion"


@dataclass
class BenchmarkResult:
    """Per-fold rows and their summary, as :func:`~sk_deepsense.benchmark.run_benchmark` gives.

    Attributes
    ----------
    folds : list of dict
        One row per (model, fold): scores, ``fit_s``, ``predict_s``, ``n_parameters``,
        ``epochs`` (networks), ``peak_rss_mib`` (peak resident memory of the process that ran
        the fit, up to its end).
    task : str
        ``"classification"`` or ``"regression"``.
    metrics : list of str
        Score columns, in table order.
    info : dict
        Free-form context (dataset, features, speed section, environment) for the JSON file.
    """

    folds: list[dict[str, Any]]
    task: str
    metrics: list[str]
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> list[dict[str, Any]]:
        """Mean and standard deviation over folds of each metric, per model (table order)."""
        out = []
        names = list(dict.fromkeys(r["model"] for r in self.folds))
        for name in names:
            rows = [r for r in self.folds if r["model"] == name]
            s: dict[str, Any] = {"model": name, "folds": len(rows)}
            for m in [*self.metrics, "fit_s", "predict_s"]:
                v = np.array([r[m] for r in rows], dtype=float)
                s[m] = float(v.mean())
                s[f"{m}_std"] = float(v.std())
            s["n_parameters"] = rows[0]["n_parameters"]
            epochs = [r["epochs"] for r in rows if r["epochs"] != ""]
            s["epochs"] = float(np.mean(epochs)) if epochs else ""
            s["train_clips_per_s"] = float(
                np.sum([r["n_train"] * (r["epochs"] or 1) for r in rows])
                / np.sum([r["fit_s"] for r in rows])
            )
            s["predict_clips_per_s"] = float(
                np.sum([r["n_test"] for r in rows])
                / max(np.sum([r["predict_s"] for r in rows]), 1e-9)
            )
            s["peak_rss_mib"] = float(max(r["peak_rss_mib"] for r in rows))
            out.append(s)
        return out

    def table(self) -> str:
        """Format the summary as a Markdown table (mean ± std over folds)."""
        head = ["model", *self.metrics, "fit s", "predict s", "parameters", "epochs"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        for s in self.summary():
            cells = [s["model"]]
            cells += [f"{s[m]:.3f} ± {s[m + '_std']:.3f}" for m in self.metrics]
            cells += [f"{s['fit_s']:.1f}", f"{s['predict_s']:.2f}"]
            cells.append(f"{s['n_parameters']:,}" if s["n_parameters"] != "" else "")
            cells.append(f"{s['epochs']:.0f}" if s["epochs"] != "" else "")
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def save(self, out_dir: str | os.PathLike, *, plot: bool = True) -> list[Path]:
        """Write ``folds.csv``, ``summary.csv``, ``results.json`` and ``scores.png``.

        Parameters
        ----------
        out_dir : str or os.PathLike
            Folder (created if needed). Files of an earlier run there are replaced.
        plot : bool, default=True
            Also draw the main metric per model with its standard deviation over folds.

        Returns
        -------
        paths : list of Path
            The files written.
        """
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "folds.csv", out / "summary.csv", out / "results.json"]
        for path, rows in ((written[0], self.folds), (written[1], self.summary())):
            with path.open("w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        payload = {
            "task": self.task,
            "metrics": self.metrics,
            "summary": self.summary(),
            "folds": self.folds,
            "info": self.info,
        }
        written[2].write_text(json.dumps(payload, indent=2, default=str))
        if plot:
            written.append(self._plot(out / "scores.png"))
        return written

    def _plot(self, path: Path) -> Path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        metric = "macro_f1" if self.task == "classification" else self.metrics[-1]
        summary = self.summary()
        names = [s["model"] for s in summary]
        means = [s[metric] for s in summary]
        stds = [s[metric + "_std"] for s in summary]
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
        colors = ["C1" if _is_network(n) else "C0" for n in names]
        ax.barh(names, means, xerr=stds, color=colors, capsize=3)
        ax.invert_yaxis()
        ax.set_xlabel(f"{metric} (mean ± std over {summary[0]['folds']} folds)")
        title = self.info.get("dataset", "")
        ax.set_title(f"{title}\nclassical baselines (blue), networks (orange)", fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


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
        Regression output names for the metric columns (default ``y0``, ``y1``, ...).
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
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}.")
    y = np.asarray(y)
    models = dict(models or default_models(task))
    splits = make_splits(y, groups, n_splits=n_splits, task=task, random_state=random_state)
    if task == "regression":
        n_out = 1 if y.ndim == 1 else y.shape[1]
        target_names = list(target_names or [f"y{j}" for j in range(n_out)])
        metrics = [f"{t}_{m}" for t in target_names for m in ("rmse", "r", "ccc")]
    else:
        target_names = []
        metrics = ["accuracy", "macro_f1"]
    n_jobs = max(1, int(n_jobs))
    threads = max(1, (os.cpu_count() or 1) // n_jobs)
    # networks first: the long jobs start early and the short ones fill the gaps
    jobs = sorted(
        ((name, fold) for name in models for fold in range(len(splits))),
        key=lambda job: not _is_network(job[0]),
    )
    tasks = (
        delayed(_run_one)(name, models[name], k, *splits[k], X, y, task, target_names, threads)
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
    return BenchmarkResult(folds=rows, task=task, metrics=metrics)


# ---------------------------------------------------------------------------- command line
def _load(dataset: str, data_dir: Path | None, n_samples: int, seed: int, work: Path):
    """Return (filenames, y, groups, task, target_names, description)."""
    from . import datasets

    if dataset == "synthetic":
        folder = data_dir or work / "synthetic"
        if (folder / "metadata.csv").exists():
            raise FileExistsError(
                f"{folder} already holds a synthetic dataset; pass an empty or new --data-dir "
                "(the benchmark never overwrites files)."
            )
        bunch = datasets.make_emotion_music(n_samples, output_dir=folder, random_state=seed)
        desc = f"synthetic ({n_samples} clips, seed {seed})"
        return bunch.filenames, np.asarray(bunch.target), None, "classification", [], desc
    filenames, y, groups, task, names = _load_dataset_folder(dataset, data_dir)
    return filenames, y, groups, task, names, f"{dataset} ({data_dir})"


def _load_dataset_folder(dataset: str, data_dir: Path | None):
    """Load a local dataset folder by name for the command lines (benchmark and train).

    Returns ``(filenames, y, groups, task, target_names)``; ``target_names`` is empty for
    classification, ``groups`` None when the dataset has none.
    """
    from .datasets import load_dataset

    if data_dir is None:
        raise ValueError(f"--dataset {dataset} needs --data-dir (the dataset's local folder).")
    bunch = load_dataset(dataset, data_dir)
    names = [] if bunch.task == "classification" else [str(t) for t in bunch.target_names]
    groups = None if bunch.groups is None else np.asarray(bunch.groups)
    return bunch.filenames, np.asarray(bunch.target), groups, bunch.task, names


def _speed_section(paths, transformer, n_files: int, n_jobs: int) -> dict[str, Any]:
    """Time extraction of the first files: naive librosa loop vs MFCCTransformer."""
    import librosa

    from .features import MFCCTransformer

    paths = list(paths)[:n_files]
    p = transformer.get_params()
    params = {k: p[k] for k in ("sr", "n_mfcc", "n_fft", "hop_length", "n_mels", "fmin", "fmax")}
    out: dict[str, Any] = {"files": len(paths)}

    def naive_loop(files):
        for path in files:
            wave, _ = librosa.load(path, sr=p["sr"], duration=p["duration"], offset=p["offset"])
            librosa.feature.mfcc(y=wave, **params)

    # one untimed file each first, so that one-off costs (imports, filter design, mel basis)
    # are not charged to whichever method happens to run first
    naive_loop(paths[:1])
    t0 = time.perf_counter()
    naive_loop(paths)
    naive = time.perf_counter() - t0
    timings = {"naive librosa loop": naive}
    X = None
    for jobs in sorted({1, n_jobs}):
        mfcc = MFCCTransformer(**params, duration=p["duration"], offset=p["offset"], n_jobs=jobs)
        mfcc.transform(paths[:1])
        t0 = time.perf_counter()
        X = mfcc.transform(paths)
        timings[f"MFCCTransformer(n_jobs={jobs})"] = time.perf_counter() - t0
    from .features import sequence_lengths

    audio_s = float(sequence_lengths(X).sum() * p["hop_length"] / p["sr"])
    out["audio_seconds"] = audio_s
    out["extraction"] = {
        name: {
            "seconds": s,
            "files_per_s": len(paths) / s,
            "x_realtime": audio_s / s,
            "speedup_vs_naive": naive / s,
        }
        for name, s in timings.items()
    }
    return out


def _format_speed(info: dict[str, Any], summary: list[dict[str, Any]]) -> str:
    lines = []
    speed = info.get("speed")
    if speed:
        lines.append(
            f"Extraction, first {speed['files']} files ({speed['audio_seconds']:.0f} s of audio "
            "analysed), same run:"
        )
        lines.append("| method | seconds | files/s | x real time | vs naive |")
        lines.append("|---|---|---|---|---|")
        for name, e in speed["extraction"].items():
            lines.append(
                f"| {name} | {e['seconds']:.2f} | {e['files_per_s']:.1f} | "
                f"{e['x_realtime']:.0f}x | {e['speedup_vs_naive']:.2f}x |"
            )
    lines.append("")
    lines.append("Training and inference (clip-epochs/s counts each training clip once per epoch):")
    lines.append("| model | train clip-epochs/s | predict clips/s | peak RSS MiB |")
    lines.append("|---|---|---|---|")
    for s in summary:
        lines.append(
            f"| {s['model']} | {s['train_clips_per_s']:.1f} | {s['predict_clips_per_s']:.0f} | "
            f"{s['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines)


def _audio_steps(model: Any) -> list[Any]:
    """Return the audio transformers inside a pipeline or a fusion (nested ones included)."""
    from sklearn.ensemble import VotingClassifier
    from sklearn.pipeline import Pipeline

    from .features import BaseAudioTransformer

    if isinstance(model, BaseAudioTransformer):
        return [model]
    if isinstance(model, Pipeline):
        return [t for _, step in model.steps for t in _audio_steps(step)]
    if isinstance(model, VotingClassifier):
        return [t for _, est in model.estimators for t in _audio_steps(est)]
    return []
