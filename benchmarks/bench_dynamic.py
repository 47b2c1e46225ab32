"""Dynamic (per-step) arousal/valence: the dynamic hybrid against two baselines.

On synthetic music whose emotion drifts inside each clip (``make_emotion_music(dynamic=True)``,
a target every 0.5 s), clip-grouped cross-validation (the frames and steps of a clip are never
split between training and test) of:

- ``dynamic``: :class:`~sk_deepsense.HybridCNNLSTMDynamicRegressor` on the per-step targets;
- ``clip-level``: :class:`~sk_deepsense.HybridCNNLSTMRegressor` trained on each clip's mean
  target, its one prediction repeated at every step (what a clip-level model can say; it has
  heard the whole clip, the future included), and ``clip-level causal``: the same model's
  causal per-frame output (``predict_frames``) read at each step;
- ``frame ridge``: :class:`~sk_deepsense.dynamic.FrameRidgeRegressor`, a ridge regression of
  each annotated frame's features (frames never interact);
- ``train mean``: the training targets' mean at every step.

Scores are the MediaEval ones (:func:`sk_deepsense.metrics.dynamic_scores`: per-song RMSE,
Pearson r and CCC, averaged over songs), mean and standard deviation over folds and seeds.

Usage::

    python benchmarks/bench_dynamic.py                      # 200 clips, 5 folds, seed 0
    python benchmarks/bench_dynamic.py --folds 3 --seeds 0 1 --models dynamic "frame ridge"
    python benchmarks/bench_dynamic.py --set train_chunk=None  # a dynamic-model option
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import GroupKFold

from sk_deepsense import (
    HybridCNNLSTMDynamicRegressor,
    HybridCNNLSTMRegressor,
    LogMelTransformer,
    MFCCTransformer,
)
from sk_deepsense.cli import parse_value
from sk_deepsense.datasets import make_emotion_music
from sk_deepsense.dynamic import FrameRidgeRegressor
from sk_deepsense.metrics import dynamic_scores

HOP = 0.5  # seconds between the synthetic targets
NAMES = ["arousal", "valence"]


class RepeatedClipPrediction(RegressorMixin, BaseEstimator):
    """A clip-level regressor trained on each clip's mean target, repeated at every step."""

    def __init__(self, regressor=None):
        self.regressor = regressor

    def fit(self, X, y):
        """Fit the clip-level regressor on each clip's mean target."""
        self.regressor_ = clone(self.regressor).fit(X, np.nanmean(y, axis=1))
        self.n_steps_ = y.shape[1]
        return self

    def predict(self, X):
        """Repeat each clip's prediction at every step."""
        pred = self.regressor_.predict(X).reshape(len(X), 1, -1)
        return np.repeat(pred, self.n_steps_, axis=1)

    def predict_causal(self, X, frame_rate):
        """Read the clip-level model's causal per-frame output at every step's frame."""
        frames = self.regressor_.predict_frames(X)
        index = np.round(np.arange(self.n_steps_) * HOP * frame_rate).astype(int)
        return frames[:, np.minimum(index, frames.shape[1] - 1)]


class TrainMean(RegressorMixin, BaseEstimator):
    """The mean of the training targets at every step."""

    def fit(self, X, y):
        """Record the mean target and the number of steps."""
        self.mean_ = np.nanmean(y.reshape(-1, y.shape[2]), axis=0)
        self.n_steps_ = y.shape[1]
        return self

    def predict(self, X):
        """Predict the training mean at every step."""
        return np.broadcast_to(self.mean_, (len(X), self.n_steps_, len(self.mean_))).copy()


def make_models(frame_rate: float, seed: int, options: dict) -> dict[str, BaseEstimator]:
    """Return the compared models, on features of ``frame_rate`` frames per second."""
    common = dict(random_state=seed, n_threads=None)
    return {
        "dynamic": HybridCNNLSTMDynamicRegressor(
            frame_rate=frame_rate, target_hop=HOP, **common, **options
        ),
        "clip-level": RepeatedClipPrediction(HybridCNNLSTMRegressor(**common)),
        "frame ridge": FrameRidgeRegressor(frame_rate=frame_rate, target_hop=HOP),
        "train mean": TrainMean(),
    }


def report(seed: int, fold: int, name: str, scores: dict) -> None:
    """Print one fold's scores of one model."""
    values = " ".join(f"{key}={value:.3f}" for key, value in scores.items())
    print(f"seed {seed} fold {fold} {name:17s} {values}", flush=True)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the benchmark; print and return the per-fold table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-folds", type=int, default=None, help="run only the first K folds")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--models", nargs="+", default=None)
    parser.add_argument("--features", choices=["mfcc", "logmel"], default="mfcc")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="an option of the dynamic model, e.g. train_chunk=None")  # fmt: skip
    args = parser.parse_args(argv)
    options = {}
    for item in args.set:
        name, _, value = item.partition("=")
        options[name] = parse_value(value)

    rows, by_step = [], {}
    for seed in args.seeds:
        music = make_emotion_music(
            args.n_samples, duration=args.duration, dynamic=True, random_state=seed
        )
        y = np.stack([music.dynamic_arousal, music.dynamic_valence], axis=-1)
        kind = MFCCTransformer if args.features == "mfcc" else LogMelTransformer
        features = kind(top_db=None, duration=None)  # per-frame floor: streamable
        X = features.transform(music.data)
        groups = np.arange(len(X))  # each clip its own group: its steps stay together
        folds = list(GroupKFold(args.folds).split(X, y, groups))[: args.max_folds]
        models = make_models(features.frame_rate, seed, options)
        for name in args.models or list(models):
            for k, (train, test) in enumerate(folds):
                start = time.perf_counter()
                model = clone(models[name]).fit(X[train], y[train])
                seconds = time.perf_counter() - start
                pred = model.predict(X[test])
                scores = dynamic_scores(y[test], pred, target_names=NAMES)
                n = min(pred.shape[1], y.shape[1])
                squared = (pred[:, :n] - y[test][:, :n]) ** 2  # (clips, steps, 2)
                by_step.setdefault(name, []).append(np.nanmean(squared, axis=0))
                rows.append({"model": name, "seed": seed, "fold": k, "fit_s": seconds, **scores})
                report(seed, k, name, scores)
                if name == "clip-level":  # the same model, causally: what it knows at step k
                    pred = model.predict_causal(X[test], features.frame_rate)
                    scores = dynamic_scores(y[test], pred, target_names=NAMES)
                    causal = "clip-level causal"
                    rows.append({"model": causal, "seed": seed, "fold": k, "fit_s": 0.0, **scores})
                    report(seed, k, causal, scores)
                    squared = (pred - y[test]) ** 2
                    by_step.setdefault(causal, []).append(np.nanmean(squared, axis=0))
    table = pd.DataFrame(rows)
    metrics = [c for c in table.columns if c.split("_")[-1] in ("rmse", "r", "ccc")] + ["fit_s"]
    summary = table.groupby("model", sort=False)[metrics].agg(["mean", "std"])
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(f"\n{len(table) // table['model'].nunique()} folds (seeds {args.seeds}); "
              f"{args.features}; options {options or 'default'}")  # fmt: skip
        print(summary.round(3).to_string())
        # where in the clip the errors are: a causal model has heard little at the start
        steps = {name: np.sqrt(np.mean(v, axis=0)) for name, v in by_step.items()}
        n_steps = min(len(v) for v in steps.values())
        picked = sorted({0, 1, 2, 4, n_steps // 2, n_steps - 1} & set(range(n_steps)))
        print("\nRMSE by step (arousal / valence), step k at k * 0.5 s:")
        print(f"{'':12s}" + "".join(f"{k * HOP:>12.1f}s" for k in picked))
        for name, v in steps.items():
            print(f"{name:12s}" + "".join(f"{v[k, 0]:>6.3f}/{v[k, 1]:.3f}" for k in picked))
    return table


if __name__ == "__main__":
    main()
