"""
Recognise emotion quadrants from audio files with a Pipeline
============================================================

The main job of sk_deepsense in one :class:`~sklearn.pipeline.Pipeline`: audio *file paths* go
in, Russell quadrants (Q1 happy, Q2 angry / tense, Q3 sad, Q4 calm) come out.
:class:`~sk_deepsense.MFCCTransformer` turns each file into a sequence of MFCC frames and
:class:`~sk_deepsense.HybridCNNLSTMClassifier` (a 1-D CNN over the coefficients of each frame,
under a unidirectional LSTM over the frames) classifies the sequence. The script fits it on a
stratified training split, predicts the held-out files, prints a classification report and
draws the confusion matrix and the training curves.

Run it with ``python examples/plot_pipeline.py`` (about 30 s on 2 CPU cores) on synthetic clips
generated on the fly, or on your copy of the 4Q emotion dataset with ``--data-dir PATH/4q``
(the held-out split is then also grouped by artist). ``--fast`` runs tiny settings in a few
seconds to check an installation; its scores mean nothing. Everything the script writes goes
to a new temporary folder, printed at the start.
"""

# %%
# Settings
# --------
# The command-line options; under sphinx-gallery (no options) the defaults are used.
import argparse
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import classification_report
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer
from sk_deepsense.datasets import load_4q, make_emotion_music
from sk_deepsense.plotting import plot_confusion_matrix, plot_training_curves

parser = argparse.ArgumentParser(description="Emotion quadrants from audio files (Pipeline).")
parser.add_argument(
    "--data-dir",
    type=Path,
    help="a 4Q dataset folder (Q1/ .. Q4/ + metadata CSV); default: synthetic clips",
)
parser.add_argument(
    "--fast",
    action="store_true",
    help="tiny settings (few short clips, 2 epochs, small network) to check that the script "
    "runs, in seconds; the scores then mean nothing",
)
parser.add_argument("--n-jobs", type=int, default=2, help="files decoded in parallel")
args, _ = parser.parse_known_args()

work = Path(tempfile.mkdtemp(prefix="sk_deepsense-pipeline-"))
print(f"working folder: {work}")

# %%
# The data: audio files and their quadrant
# ----------------------------------------
# Without ``--data-dir``, :func:`~sk_deepsense.datasets.make_emotion_music` synthesises clips
# whose tempo, loudness, brightness, mode and consonance follow an emotion (with instrument,
# key, reverb and noise varying independently of it) and writes them as WAV files. The model
# only ever sees the file paths. With the 4Q dataset, ``data.groups`` holds each clip's artist.
if args.data_dir is not None:
    data = load_4q(args.data_dir)
    paths, labels = np.asarray(data.filenames), np.asarray(data.target)
    groups = np.asarray(data.groups)
    duration = 30.0  # the 4Q clips are 30 s previews (some are shorter)
    if args.fast:  # the first 10 clips of each quadrant, and their first 4 s
        keep = np.concatenate([np.flatnonzero(labels == q)[:10] for q in np.unique(labels)])
        paths, labels, groups = paths[keep], labels[keep], groups[keep]
        duration = 4.0
else:
    n_samples, duration = (32, 3.0) if args.fast else (160, 8.0)
    t0 = time.perf_counter()
    data = make_emotion_music(
        n_samples, duration=duration, output_dir=work / "clips", random_state=0
    )
    paths, labels, groups = np.asarray(data.filenames), np.asarray(data.target), None
    print(f"generated {n_samples} clips of {duration:g} s in {time.perf_counter() - t0:.1f} s")

names, counts = np.unique(labels, return_counts=True)
print("clips per quadrant:", ", ".join(f"{n} {c}" for n, c in zip(names, counts, strict=True)))

# %%
# A held-out split
# ----------------
# One fold of a stratified 4-fold split keeps a quarter of the clips for testing, with the
# quadrants in the same proportions on both sides. When the clips have artists, the split is
# also grouped (:class:`~sklearn.model_selection.StratifiedGroupKFold`): no artist has songs
# on both sides, otherwise the model could recognise the artist instead of the emotion and
# the score would be inflated.
if groups is not None:
    cv = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0)
else:
    cv = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
train, test = next(cv.split(paths, labels, groups))
print(f"{len(train)} training clips, {len(test)} held-out clips")

# %%
# The pipeline: audio paths -> MFCC sequences -> hybrid 1-D CNN + LSTM
# --------------------------------------------------------------------
# ``MFCCTransformer`` is stateless (``fit`` learns nothing), so the pipeline can be fitted
# directly on the list of paths. ``duration`` crops every clip to the same length;
# ``n_jobs`` decodes files in parallel threads. The network holds out 15 % of its training
# clips to stop early when their loss stops improving, and keeps the best epoch's weights.
small = dict(n_filters=8, lstm_hidden_size=16, max_epochs=2)
net = small if args.fast else dict(max_epochs=30)
pipe = Pipeline(
    [
        ("mfcc", MFCCTransformer(duration=duration, n_jobs=args.n_jobs)),
        ("clf", HybridCNNLSTMClassifier(random_state=0, **net)),
    ]
)
t0 = time.perf_counter()
pipe.fit(paths[train], labels[train])
clf = pipe["clf"]
print(
    f"fitted in {time.perf_counter() - t0:.1f} s: {len(clf.history_)} epochs, "
    f"{clf.n_parameters_:,} parameters"
)

# %%
# Predict the held-out files
# --------------------------
# ``predict`` and ``predict_proba`` also take file paths: the pipeline decodes them with the
# same MFCC settings as during training. The columns of ``predict_proba`` follow
# ``pipe.classes_``.
pred = pipe.predict(paths[test])
proba = pipe.predict_proba(paths[test])
print("first held-out clips:")
for path, true, p, row in zip(paths[test][:4], labels[test][:4], pred[:4], proba[:4], strict=True):
    shown = " ".join(f"{c} {v:.2f}" for c, v in zip(pipe.classes_, row, strict=True))
    print(f"  {Path(path).name:<22} true {true}  predicted {p}  ({shown})")
print()
print(classification_report(labels[test], pred, zero_division=0))

# %%
# Confusion matrix and training curves
# ------------------------------------
# Rows of the confusion matrix are the true quadrants, normalised so that the diagonal is the
# recall of each quadrant. Confusions between quadrants of the same arousal (Q1/Q2, Q3/Q4) are
# valence errors; those between Q1/Q4 or Q2/Q3 are arousal errors. The training curves show
# the loss on the training chunks and on the clips held out for early stopping; the star
# marks the epoch whose weights were kept.
fig, (ax_cm, ax_curves) = plt.subplots(1, 2, figsize=(12, 4.8))
plot_confusion_matrix(labels[test], pred, labels=pipe.classes_, ax=ax_cm)
ax_cm.set_title("Held-out clips (rows: true quadrant)")
plot_training_curves(pipe, ax=ax_curves)
fig.tight_layout()
plt.show()
