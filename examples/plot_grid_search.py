"""
Grid search over filter sizes
=============================

The hybrid network convolves each MFCC frame with filters that are one frame tall and
``filter_size`` coefficients long. This script tunes that length with a plain
:class:`~sklearn.model_selection.GridSearchCV` over the whole pipeline, fitted on audio *file
paths*: ``{"clf__filter_size": [3, 5, 7]}`` with 3-fold cross-validation, that is 9 fits plus
the final refit. :class:`~sk_deepsense.MFCCTransformer` is given a ``memory`` folder, so each
file is decoded and analysed once, by the first of the search's 19 transforms that meets it,
and read from the cache afterwards; the script counts the cache entries and times a cached
transform to show it. It prints ``cv_results_`` as a table and plots the mean test accuracy
of each filter size.

Run it with ``python examples/plot_grid_search.py`` (about 40 s on 2 CPU cores), add
``--data-dir PATH/4q`` to search on the 4Q emotion dataset (artist-grouped folds), or
``--fast`` for tiny settings that only check the script runs (a few seconds; the scores then
mean nothing). The clips and the feature cache go to a new temporary folder, printed at the
start.
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
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer
from sk_deepsense.datasets import load_4q, make_emotion_music

parser = argparse.ArgumentParser(description="Grid search over the hybrid's filter size.")
parser.add_argument("--data-dir", type=Path, help="a 4Q dataset folder; default: synthetic clips")
parser.add_argument(
    "--fast",
    action="store_true",
    help="tiny settings to check that the script runs, in seconds; the scores then mean nothing",
)
parser.add_argument(
    "--n-jobs", type=int, default=1, help="parallel fits of the grid search (processes)"
)
args, _ = parser.parse_known_args()

work = Path(tempfile.mkdtemp(prefix="sk_deepsense-grid-search-"))
print(f"working folder: {work}")

# %%
# The data
# --------
# Synthetic clips written as WAV files (or the 4Q clips, whose artists become ``groups``).
if args.data_dir is not None:
    data = load_4q(args.data_dir)
    paths, labels = np.asarray(data.filenames), np.asarray(data.target)
    groups = np.asarray(data.groups)
    duration = 30.0
    if args.fast:  # the first 8 clips of each quadrant, and their first 3 s
        keep = np.concatenate([np.flatnonzero(labels == q)[:8] for q in np.unique(labels)])
        paths, labels, groups = paths[keep], labels[keep], groups[keep]
        duration = 3.0
else:
    n_samples, duration = (24, 3.0) if args.fast else (120, 6.0)
    data = make_emotion_music(
        n_samples, duration=duration, output_dir=work / "clips", random_state=0
    )
    paths, labels, groups = np.asarray(data.filenames), np.asarray(data.target), None
print(f"{len(paths)} clips of up to {duration:g} s")

# %%
# The pipeline and the search
# ---------------------------
# ``memory`` makes :class:`~sk_deepsense.MFCCTransformer` keep the features of each file in a
# :class:`joblib.Memory` folder, keyed by the file's path, size and modification time and by
# every feature setting. :class:`~sklearn.model_selection.GridSearchCV` clones the pipeline
# for each fit, but the clones share the folder, so only the first transform that meets a
# file decodes it. The search only changes the network; the features would change (and be
# computed anew) only if the grid had ``mfcc__...`` parameters.
#
# The folds are stratified by quadrant (and grouped by artist for 4Q). A network smaller than
# the default (16 filters, 32 LSTM units, at most 20 epochs) keeps the 10 fits short.
cache = work / "mfcc-cache"
net = (
    dict(n_filters=8, lstm_hidden_size=16, max_epochs=2)
    if args.fast
    else dict(n_filters=16, lstm_hidden_size=32, max_epochs=20)
)
pipe = Pipeline(
    [
        ("mfcc", MFCCTransformer(duration=duration, n_jobs=2, memory=cache)),
        ("clf", HybridCNNLSTMClassifier(random_state=0, **net)),
    ]
)
if groups is not None:
    cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
else:
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
search = GridSearchCV(pipe, {"clf__filter_size": [3, 5, 7]}, cv=cv, n_jobs=args.n_jobs)
t0 = time.perf_counter()
search.fit(paths, labels, groups=groups)
print(
    f"grid search: {len(search.cv_results_['params']) * 3 + 1} fits in "
    f"{time.perf_counter() - t0:.1f} s"
)

# %%
# Each file was decoded once
# --------------------------
# Every fit transforms its training files and every score its test files: 9 fits and 9
# scores over all the files, plus the refit on all of them, ask for the features of each file
# 10 times. The cache holds one entry per file, and a transform that reads it skips the
# decoding, the resampling and the FFTs.
entries = list(cache.rglob("output.pkl"))
print(f"{len(paths)} files, {len(entries)} cached feature entries")
cached = search.best_estimator_["mfcc"]
uncached = clone(cached).set_params(memory=None)  # the same settings, without the cache
uncached.transform(paths[:1])  # the first call in a process pays one-off set-up costs
t0 = time.perf_counter()
uncached.transform(paths)
cold = time.perf_counter() - t0
t0 = time.perf_counter()
cached.transform(paths)
warm = time.perf_counter() - t0
print(f"transform of all files: {cold:.2f} s without the cache, {warm:.2f} s from the cache")

# %%
# The results
# -----------
# ``cv_results_`` has one entry per candidate: mean and standard deviation of the test
# accuracy over the folds, the rank, and the mean fit time.
res = search.cv_results_
print(f"{'filter_size':>11} {'accuracy':>17} {'rank':>5} {'fit s':>6}")
for i, params in enumerate(res["params"]):
    print(
        f"{params['clf__filter_size']:>11} {res['mean_test_score'][i]:8.3f} +- "
        f"{res['std_test_score'][i]:.3f} {res['rank_test_score'][i]:>5} "
        f"{res['mean_fit_time'][i]:6.1f}"
    )
print(
    f"best: {search.best_params_} (mean accuracy {search.best_score_:.3f}); the refitted "
    "pipeline is search.best_estimator_"
)

# %%
# Accuracy per filter size
# ------------------------
# The error bars are the standard deviation over the 3 folds: differences smaller than them
# are not evidence that one size is better than another.
sizes = [p["clf__filter_size"] for p in res["params"]]
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.errorbar(sizes, res["mean_test_score"], yerr=res["std_test_score"], marker="o", capsize=4)
ax.axhline(1 / len(np.unique(labels)), color="0.6", linestyle=":", label="chance")
ax.set_xticks(sizes)
ax.set_xlabel("filter_size (MFCC coefficients)")
ax.set_ylabel("accuracy (mean ± std over 3 folds)")
ax.set_title("Grid search of the hybrid's filter size")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
