"""
Arousal/valence regression
==========================

Quadrants are a coarse summary of an emotion. :class:`~sk_deepsense.HybridCNNLSTMRegressor`
predicts the continuous coordinates instead: **arousal** (calm to energetic) and **valence**
(negative to positive), jointly, as a ``y`` of shape ``(n_clips, 2)`` with columns
``(arousal, valence)`` in [-1, 1]. The script trains it on a held-out split, scores RMSE,
Pearson's r and the concordance correlation coefficient (CCC) per target with
:func:`sk_deepsense.metrics.score_predictions`, next to the mean-prediction and RBF-SVR
baselines of :func:`~sk_deepsense.make_baseline`, and draws predictions and truth on the
arousal-valence plane.

Run it with ``python examples/plot_regression.py`` (about 30 s on 2 CPU cores) on synthetic
clips, or on a local copy of a dataset annotated with arousal and valence:
``--dataset emomusic --data-dir PATH`` (also ``pmemo`` or ``deam``; the split is grouped by
artist when the dataset names artists). ``--fast`` checks that the script runs in a few
seconds (the scores then mean nothing). Everything written goes to a new temporary folder,
printed at the start.
"""

# %%
# Settings
# --------
import argparse
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, StratifiedShuffleSplit

from sk_deepsense import HybridCNNLSTMRegressor, MFCCTransformer, make_baseline
from sk_deepsense.datasets import load_deam, load_emomusic, load_pmemo, make_emotion_music
from sk_deepsense.metrics import score_predictions
from sk_deepsense.plotting import plot_arousal_valence

parser = argparse.ArgumentParser(description="Arousal/valence regression from audio.")
parser.add_argument(
    "--dataset",
    choices=["synthetic", "emomusic", "pmemo", "deam"],
    default="synthetic",
    help="synthetic clips (default) or a local dataset folder given with --data-dir",
)
parser.add_argument("--data-dir", type=Path, help="the dataset's folder")
parser.add_argument(
    "--fast",
    action="store_true",
    help="tiny settings to check that the script runs, in seconds; the scores then mean nothing",
)
parser.add_argument("--n-jobs", type=int, default=2, help="files decoded in parallel")
args, _ = parser.parse_known_args()
if args.dataset != "synthetic" and args.data_dir is None:
    parser.error(f"--dataset {args.dataset} needs --data-dir")

work = Path(tempfile.mkdtemp(prefix="sk_deepsense-regression-"))
print(f"working folder: {work}")

# %%
# The data: audio files and (arousal, valence)
# --------------------------------------------
# :func:`~sk_deepsense.datasets.make_emotion_music` draws a continuous (arousal, valence)
# target for each clip and synthesises music whose cues follow it (arousal: tempo, note
# density, loudness, attack, brightness; valence: mode, consonance, register). The real
# dataset loaders return the same layout: ``filenames``, ``target`` of shape ``(n, 2)`` with
# columns (arousal, valence) on [-1, 1], and ``groups`` (artists) when known.
if args.dataset == "synthetic":
    n_samples, duration = (32, 3.0) if args.fast else (160, 8.0)
    music = make_emotion_music(
        n_samples, duration=duration, output_dir=work / "clips", random_state=0
    )
    paths = np.asarray(music.filenames)
    y = np.column_stack([music.arousal, music.valence])
    groups, strata = None, music.target  # the quadrant, to spread the test clips
else:
    loader = {"emomusic": load_emomusic, "pmemo": load_pmemo, "deam": load_deam}[args.dataset]
    data = loader(args.data_dir)
    paths, y = np.asarray(data.filenames), np.asarray(data.target, dtype=float)
    groups = None if data.groups is None else np.asarray(data.groups)
    strata = None
    duration = 30.0
    if args.fast:  # at most 40 clips, and their first 5 s
        paths, y, duration = paths[:40], y[:40], 5.0
        groups = None if groups is None else groups[:40]
print(
    f"{len(paths)} clips; arousal in [{y[:, 0].min():.2f}, {y[:, 0].max():.2f}], "
    f"valence in [{y[:, 1].min():.2f}, {y[:, 1].max():.2f}]"
)

# %%
# A held-out split
# ----------------
# A quarter of the clips is kept for testing: spread over the four quadrants for the synthetic
# data, grouped by artist when the dataset names artists (so that no artist is on both sides).
if groups is not None:
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
elif strata is not None:
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
else:
    splitter = ShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
train, test = next(splitter.split(paths, strata, groups))
print(f"{len(train)} training clips, {len(test)} held-out clips")

# %%
# MFCC sequences, once for all models
# -----------------------------------
# :class:`~sk_deepsense.MFCCTransformer` learns nothing in ``fit``, so its output can be shared
# by the three models. (To predict from audio paths later, put the same transformer and the
# fitted regressor in a ``Pipeline([("mfcc", ...), ("reg", ...)])``, as in the other examples.)
t0 = time.perf_counter()
X = MFCCTransformer(duration=duration, n_jobs=args.n_jobs).fit_transform(paths)
print(f"MFCC sequences {X.shape} in {time.perf_counter() - t0:.1f} s")

# %%
# Fit the regressor and the baselines
# -----------------------------------
# The network predicts both targets at once (one output unit each, standardised internally);
# ``make_baseline("svm", task="regression")`` fits one RBF SVR per target on the per-clip mean
# and standard deviation of each MFCC; the ``"majority"`` baseline predicts the mean of the
# training targets, the level every model has to beat.
net = dict(n_filters=8, lstm_hidden_size=16, max_epochs=2) if args.fast else dict(max_epochs=30)
models = {
    "mean": make_baseline("majority", task="regression"),
    "MFCC stats + SVR": make_baseline("svm", task="regression"),
    "hybrid CNN + LSTM": HybridCNNLSTMRegressor(random_state=0, **net),
}
predictions = {}
for name, model in models.items():
    t0 = time.perf_counter()
    model.fit(X[train], y[train])
    predictions[name] = model.predict(X[test])
    print(f"{name:<18} fitted in {time.perf_counter() - t0:.1f} s")

# %%
# Scores per target
# -----------------
# RMSE is on the [-1, 1] scale (lower is better). Pearson's r measures whether predictions go
# up and down with the truth; the CCC also penalises a shifted or shrunken scale, so a model
# that always predicts values near the mean gets a low CCC even with a decent r. A constant
# prediction gets r = CCC = 0.
targets = ["arousal", "valence"]
scores = {
    name: score_predictions(y[test], pred, task="regression", target_names=targets)
    for name, pred in predictions.items()
}
print(f"{'':<18}" + "".join(f"{t:^27}" for t in targets))
print(f"{'model':<18}" + f"{'RMSE':>9}{'r':>9}{'CCC':>9}" * 2)
for name, s in scores.items():
    cells = "".join(f"{s[f'{t}_{m}']:9.3f}" for t in targets for m in ("rmse", "r", "ccc"))
    print(f"{name:<18}{cells}")
for t in targets:
    best = max(scores, key=lambda name, t=t: scores[name][f"{t}_ccc"])
    print(f"highest {t} CCC: {best} ({scores[best][f'{t}_ccc']:.3f})")

# %%
# Predictions on the arousal-valence plane
# ----------------------------------------
# Valence is on the x axis, arousal on the y axis. Circles are the true positions of the
# held-out clips, crosses the predictions, and a grey line joins each pair: the shorter the
# lines, the better.
fig, axes = plt.subplots(1, 2, figsize=(12, 6.4))
for ax, name in zip(axes, ["hybrid CNN + LSTM", "MFCC stats + SVR"], strict=True):
    plot_arousal_valence(predictions[name], y[test], ax=ax, title=name)
fig.tight_layout()
plt.show()
