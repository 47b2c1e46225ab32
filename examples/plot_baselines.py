"""
Compare with classical baselines
================================

Is the hybrid CNN + LSTM worth its training time? This script cross-validates it next to the
classical baselines of :func:`~sk_deepsense.make_baseline` (per-clip mean and standard deviation
of each MFCC, standardised, then a majority-class guess, an RBF SVM, a logistic regression or a
random forest) on *identical* folds of the *same* features, and prints and plots the accuracy
and macro-F1 of each.

Run it with ``python examples/plot_baselines.py`` (about 40 s on 2 CPU cores), add
``--data-dir PATH/4q`` to compare on the 4Q emotion dataset (stratified, artist-grouped
folds), or ``--fast`` to check the script runs in a few seconds (the scores then mean
nothing). The clips go to a new temporary folder, printed at the start.
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
from sklearn.model_selection import cross_validate

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer, make_baseline
from sk_deepsense.datasets import load_4q, make_emotion_music
from sk_deepsense.model_selection import make_splits

parser = argparse.ArgumentParser(description="The hybrid CNN+LSTM vs classical baselines.")
parser.add_argument("--data-dir", type=Path, help="a 4Q dataset folder; default: synthetic clips")
parser.add_argument(
    "--fast",
    action="store_true",
    help="tiny settings to check that the script runs, in seconds; the scores then mean nothing",
)
parser.add_argument("--folds", type=int, default=4, help="cross-validation folds")
parser.add_argument("--n-jobs", type=int, default=2, help="files decoded in parallel")
args, _ = parser.parse_known_args()

work = Path(tempfile.mkdtemp(prefix="sk_deepsense-baselines-"))
print(f"working folder: {work}")

# %%
# The data
# --------
if args.data_dir is not None:
    data = load_4q(args.data_dir)
    paths, labels = np.asarray(data.filenames), np.asarray(data.target)
    groups = np.asarray(data.groups)
    duration = 30.0
    if args.fast:  # the first 10 clips of each quadrant, and their first 4 s
        keep = np.concatenate([np.flatnonzero(labels == q)[:10] for q in np.unique(labels)])
        paths, labels, groups = paths[keep], labels[keep], groups[keep]
        duration = 4.0
else:
    n_samples, duration = (32, 3.0) if args.fast else (160, 8.0)
    data = make_emotion_music(
        n_samples, duration=duration, output_dir=work / "clips", random_state=0
    )
    paths, labels, groups = np.asarray(data.filenames), np.asarray(data.target), None
n_folds = 2 if args.fast else args.folds

# %%
# Extract the MFCCs once
# ----------------------
# Every model below starts from the same NaN-padded MFCC sequences, so they are computed once
# here and the models are cross-validated on the array. This is equivalent to putting
# :class:`~sk_deepsense.MFCCTransformer` first in each model's pipeline: the transformer is
# stateless (``fit`` learns nothing from the training clips), so extracting the features
# before splitting leaks nothing from the test folds. Anything that *learns*, such as the
# standardisation of the baselines or of the network, stays inside the cross-validated
# models, fitted on each training fold only.
t0 = time.perf_counter()
X = MFCCTransformer(duration=duration, n_jobs=args.n_jobs).fit_transform(paths)
print(f"MFCC sequences {X.shape} (clips, frames, coefficients) in {time.perf_counter() - t0:.1f} s")

# %%
# Identical folds for every model
# -------------------------------
# :func:`sk_deepsense.model_selection.make_splits` returns the list of (train, test) index pairs:
# stratified by quadrant, and grouped by artist when ``groups`` are given. Passing that list
# as ``cv`` gives every model exactly the same folds, so their scores can be compared fold by
# fold.
splits = make_splits(labels, groups, n_splits=n_folds, random_state=0)
print(f"{n_folds} folds, test sizes {[len(test) for _, test in splits]}")

# a network smaller than the default (16 filters, 32 LSTM units) keeps its fits short
net = (
    dict(n_filters=8, lstm_hidden_size=16, max_epochs=2)
    if args.fast
    else dict(n_filters=16, lstm_hidden_size=32, max_epochs=30)
)
models = {
    "majority class": make_baseline("majority"),
    "MFCC stats + SVM": make_baseline("svm"),
    "MFCC stats + logreg": make_baseline("logreg"),
    "MFCC stats + forest": make_baseline("random_forest", random_state=0),
    "hybrid CNN + LSTM": HybridCNNLSTMClassifier(random_state=0, **net),
}

# %%
# Cross-validate
# --------------
results = {}
print(f"{'model':<22} {'accuracy':>15} {'macro-F1':>15} {'fit s':>6}")
for name, model in models.items():
    res = cross_validate(model, X, labels, cv=splits, scoring=["accuracy", "f1_macro"])
    results[name] = res
    acc, f1 = res["test_accuracy"], res["test_f1_macro"]
    print(
        f"{name:<22} {acc.mean():.3f} +- {acc.std():.3f} {f1.mean():.3f} +- {f1.std():.3f} "
        f"{res['fit_time'].mean():6.1f}"
    )

# %%
# Who wins here?
# --------------
# The comparison is computed, not assumed: on a small data set the baselines can match or beat
# the network, and the fold-to-fold spread says how much of a difference is noise.
means = {name: r["test_accuracy"].mean() for name, r in results.items()}
best_baseline = max((n for n in means if not n.startswith("hybrid")), key=means.get)
diff = results["hybrid CNN + LSTM"]["test_accuracy"] - results[best_baseline]["test_accuracy"]
tied = [n for n in means if n not in (best_baseline, "hybrid CNN + LSTM")]
tied = [n for n in tied if np.isclose(means[n], means[best_baseline])]
print(
    f"best baseline: {best_baseline} ({means[best_baseline]:.3f})"
    + (f", tied with {', '.join(tied)}" if tied else "")
)
print(
    f"hybrid minus {best_baseline}, per fold: {np.array2string(diff, precision=3)} "
    f"(mean {diff.mean():+.3f}); the hybrid is ahead on {int((diff > 0).sum())} of {n_folds} "
    "folds"
)

# %%
# Accuracy per model
# ------------------
# Bars are the mean over folds, error bars the standard deviation; the dotted line is chance
# (one quadrant in four).
names = list(results)
acc_mean = [results[n]["test_accuracy"].mean() for n in names]
acc_std = [results[n]["test_accuracy"].std() for n in names]
colors = ["C1" if n.startswith("hybrid") else "C0" for n in names]
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.barh(names, acc_mean, xerr=acc_std, color=colors, capsize=4)
ax.axvline(1 / len(np.unique(labels)), color="0.4", linestyle=":", label="chance")
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.set_xlabel(f"accuracy (mean ± std over {n_folds} folds)")
ax.set_title("Hybrid network (orange) vs classical baselines (blue)")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
