"""
Save, reload and share a fitted pipeline
========================================

A fitted ``Pipeline([MFCCTransformer, HybridCNNLSTMClassifier])`` is one Python object that
goes from an audio file path to an emotion quadrant: the MFCC settings, the feature
standardisation and the network weights are all inside it. This script fits a small one,
saves it with :func:`joblib.dump`, loads it back in the same process *and* in a fresh Python
process (as a colleague, a web service or a batch job would), and checks that the three give
the same predictions and probabilities. It prints the file's size and draws the probabilities
of a few clips before and after the round trip.

Run it with ``python examples/plot_persistence.py`` (about 20 s on 2 CPU cores), with
``--data-dir PATH/4q`` to train on the 4Q emotion dataset, or with ``--fast`` to check the
script runs in a few seconds (the model is then untrained). The clips and the model file go
to a new temporary folder, printed at the start.

.. warning::

    Loading a joblib (or pickle) file runs code chosen by whoever wrote it. Only load model
    files you made yourself or got from someone you trust, over a channel you trust.
"""

# %%
# Settings
# --------
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer
from sk_deepsense.datasets import load_4q, make_emotion_music

parser = argparse.ArgumentParser(description="Save, reload and share a fitted pipeline.")
parser.add_argument("--data-dir", type=Path, help="a 4Q dataset folder; default: synthetic clips")
parser.add_argument(
    "--fast",
    action="store_true",
    help="tiny settings to check that the script runs, in seconds; the model is then untrained",
)
parser.add_argument("--n-jobs", type=int, default=2, help="files decoded in parallel")
args, _ = parser.parse_known_args()

work = Path(tempfile.mkdtemp(prefix="sk_deepsense-persistence-"))
print(f"working folder: {work}")

# %%
# Fit a pipeline on audio paths
# -----------------------------
# The last 8 clips are kept aside: they play the part of new files to predict.
if args.data_dir is not None:
    data = load_4q(args.data_dir)
    paths, labels = np.asarray(data.filenames), np.asarray(data.target)
    duration = 30.0
    if args.fast:  # the first 10 clips of each quadrant, and their first 4 s
        keep = np.concatenate([np.flatnonzero(labels == q)[:10] for q in np.unique(labels)])
        paths, labels, duration = paths[keep], labels[keep], 4.0
    order = np.random.default_rng(0).permutation(len(paths))  # mix the quadrant folders
    paths, labels = paths[order], labels[order]
else:
    n_samples, duration = (32, 3.0) if args.fast else (96, 8.0)
    data = make_emotion_music(
        n_samples, duration=duration, output_dir=work / "clips", random_state=0
    )
    paths, labels = np.asarray(data.filenames), np.asarray(data.target)
train_paths, train_labels = paths[:-8], labels[:-8]
new_paths = [str(p) for p in paths[-8:]]

net = (
    dict(n_filters=8, lstm_hidden_size=16, max_epochs=2)
    if args.fast
    else dict(n_filters=16, lstm_hidden_size=32, max_epochs=25)
)
pipe = Pipeline(
    [
        ("mfcc", MFCCTransformer(duration=duration, n_jobs=args.n_jobs)),
        ("clf", HybridCNNLSTMClassifier(random_state=0, **net)),
    ]
)
t0 = time.perf_counter()
pipe.fit(train_paths, train_labels)
print(f"fitted on {len(train_paths)} clips in {time.perf_counter() - t0:.1f} s")
proba = pipe.predict_proba(new_paths)
pred = pipe.predict(new_paths)

# %%
# Save
# ----
# :func:`joblib.dump` pickles the whole pipeline. Nothing else is needed to use it later: no
# training data, no feature cache (this transformer has ``memory=None``; a cache folder given
# as ``memory`` would be stored as a path, and should exist wherever the model is loaded).
model_path = work / "emotion_pipeline.joblib"
joblib.dump(pipe, model_path)
print(f"saved {model_path.name}: {model_path.stat().st_size / 1024:.0f} KiB")

# %%
# Reload in the same process
# --------------------------
# The reloaded pipeline computes exactly the same numbers.
reloaded = joblib.load(model_path)
np.testing.assert_array_equal(reloaded.predict(new_paths), pred)
np.testing.assert_array_equal(reloaded.predict_proba(new_paths), proba)
print("same process: identical predictions and probabilities")

# %%
# Reload in a new Python process
# ------------------------------
# A fresh interpreter (``sys.executable``, the Python running this script) loads the file,
# predicts the same files and prints its probabilities as JSON. It only needs sk_deepsense and
# its dependencies installed; library versions should match those that saved the model
# (scikit-learn warns when they do not).
code = """
import json, sys
import joblib
model = joblib.load(sys.argv[1])
proba = model.predict_proba(sys.argv[2:])
print(json.dumps({"classes": [str(c) for c in model.classes_], "proba": proba.tolist()}))
"""
t0 = time.perf_counter()
done = subprocess.run(
    [sys.executable, "-c", code, str(model_path), *new_paths],
    capture_output=True,
    text=True,
    check=True,
)
answer = json.loads(done.stdout)
proba_new_process = np.array(answer["proba"])
print(f"new process answered in {time.perf_counter() - t0:.1f} s (Python start-up included)")

# JSON keeps every digit of a float, so any difference would come from the computation.
assert answer["classes"] == [str(c) for c in pipe.classes_]
np.testing.assert_allclose(proba_new_process, proba, rtol=1e-6, atol=1e-9)
pred_new_process = np.asarray(answer["classes"])[proba_new_process.argmax(axis=1)]
np.testing.assert_array_equal(pred_new_process, pred)
print(
    "new process: same predictions; largest probability difference "
    f"{np.abs(proba_new_process - proba).max():.1e}"
)
rows = zip(new_paths[:4], labels[-8:][:4], pred[:4], proba_new_process[:4], strict=True)
for path, true, p, row in rows:
    shown = " ".join(f"{c} {v:.2f}" for c, v in zip(answer["classes"], row, strict=True))
    print(f"  {Path(path).name:<22} true {true}, predicted {p}  ({shown})")

# %%
# The probabilities before and after the round trip
# -------------------------------------------------
# Solid bars: the pipeline that was fitted; hatched bars: the copy loaded in the new process.
# Each pair of bars has the same height.
shown_clips = 3
classes = answer["classes"]
x = np.arange(len(classes))
fig, axes = plt.subplots(1, shown_clips, figsize=(11, 3.2), sharey=True)
for i, ax in enumerate(axes):
    ax.bar(x - 0.2, proba[i], width=0.4, color="C0", label="fitted")
    ax.bar(
        x + 0.2,
        proba_new_process[i],
        width=0.4,
        color="C0",
        alpha=0.5,
        hatch="//",
        label="reloaded (new process)",
    )
    ax.set_xticks(x, classes)
    ax.set_title(Path(new_paths[i]).name, fontsize=10)
axes[0].set_ylabel("probability")
axes[0].legend(loc="upper left", fontsize="small")
fig.tight_layout()
plt.show()
