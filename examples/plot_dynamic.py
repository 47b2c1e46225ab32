"""
Arousal and valence as the music plays
======================================

Datasets such as MediaEval's "Emotion in Music" (DEAM), emoMusic and PMEmo annotate arousal
and valence every half second, not once per clip. This script trains the dynamic hybrid
(:class:`~sk_deepsense.HybridCNNLSTMDynamicRegressor`) on such series, compares it on
held-out clips with a per-frame ridge regression and with the mean of the training targets,
using the MediaEval scores (per-song RMSE, Pearson r and CCC, averaged over songs), and draws
the predicted against the annotated curves.

By default the clips are synthetic music whose emotion drifts inside each clip
(``make_emotion_music(dynamic=True)``: a target every 0.5 s). ``--data-dir PATH`` trains on an
emoMusic folder instead (``clips_45seconds/`` and ``annotations/``, annotated every 0.5 s from
15 s). Run it with ``python examples/plot_dynamic.py`` (about 2 minutes on 2 CPU cores);
``--fast`` checks that it runs in seconds (the model is then untrained).
"""

# %%
# Settings
# --------
import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMDynamicRegressor, MFCCTransformer
from sk_deepsense.datasets import load_emomusic, make_emotion_music
from sk_deepsense.dynamic import FrameRidgeRegressor, series_targets
from sk_deepsense.metrics import dynamic_scores
from sk_deepsense.plotting import plot_emotion_timeline

parser = argparse.ArgumentParser(description="Arousal and valence as the music plays.")
parser.add_argument("--data-dir", type=Path, help="an emoMusic folder (default: synthetic)")
parser.add_argument("--fast", action="store_true", help="tiny settings: seconds, untrained")
args, _ = parser.parse_known_args()

# %%
# Series targets
# --------------
# ``y`` is an array of series, ``(n_clips, n_steps, 2)``: arousal and valence at
# ``target_offset + k * target_hop`` seconds of each clip, NaN where a step is not annotated
# (a missing annotation is left out of the loss, never filled in). The loaders return each
# clip's annotations and their times; :func:`~sk_deepsense.dynamic.series_targets` puts them
# on that grid.
if args.data_dir is not None:
    data = load_emomusic(args.data_dir)
    audio = np.asarray(data.filenames)
    y = series_targets(data.dynamic, data.dynamic_times, hop=0.5, offset=15.0)
    target_offset = 15.0  # the annotations start 15 s into each clip
else:
    n_samples, seconds = (24, 3.0) if args.fast else (160, 10.0)
    data = make_emotion_music(n_samples, duration=seconds, dynamic=True, random_state=0)
    audio = data.data  # waveforms at 22050 Hz: the pipeline reads them as it reads paths
    y = np.stack([data.dynamic_arousal, data.dynamic_valence], axis=-1)
    target_offset = 0.0
train, test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0)
print(f"{len(y)} clips, {y.shape[1]} steps of 0.5 s; training on {len(train)}")

# %%
# The dynamic pipeline
# --------------------
# The MFCCs are taken with ``top_db=None`` (each frame floored on its own, not relative to
# the loudest moment of the whole clip), so that the fitted pipeline can also run live on a
# stream (:class:`~sk_deepsense.EmotionStream`). The regressor aligns each target step with the
# frame nearest its time, which needs the features' frame rate.
features = MFCCTransformer(top_db=None, duration=None)
X = features.transform([audio[i] for i in range(len(audio))])
net = dict(max_epochs=2, n_ensemble=1, lstm_hidden_size=8) if args.fast else {}
dynamic = HybridCNNLSTMDynamicRegressor(
    frame_rate=features.frame_rate,
    target_hop=0.5,
    target_offset=target_offset,
    random_state=0,
    n_threads=None,
    **net,
)
dynamic.fit(X[train], y[train])
pipe = Pipeline([("mfcc", features), ("dynamic", dynamic)])  # audio in, series out

# %%
# Scores on the held-out clips
# ----------------------------
# The per-frame ridge reads each annotated frame's MFCCs alone; the dynamic model's LSTM also
# carries what it heard before.
ridge = FrameRidgeRegressor(
    frame_rate=features.frame_rate, target_hop=0.5, target_offset=target_offset
).fit(X[train], y[train])
mean = np.broadcast_to(np.nanmean(y[train], axis=(0, 1)), y[test].shape)
print(f"{'':12s}" + "".join(f"{m:>10s}" for m in ("A rmse", "A r", "A ccc", "V rmse", "V r")))
for name, pred in [
    ("dynamic", pipe.predict([audio[i] for i in test])),
    ("frame ridge", ridge.predict(X[test])),
    ("train mean", mean),
]:
    s = dynamic_scores(y[test], pred, target_names=["A", "V"])
    row = [s["A_rmse"], s["A_r"], s["A_ccc"], s["V_rmse"], s["V_r"]]
    print(f"{name:12s}" + "".join(f"{v:10.3f}" for v in row))

# %%
# Predicted against annotated curves
# ----------------------------------
# ``predict_frames`` gives the model's output after every frame (43 per second), which is what
# a live stream shows; dashed: the annotations.
frames = dynamic.predict_frames(X[test[:3]])
steps = target_offset + 0.5 * np.arange(y.shape[1])
fig, axes = plt.subplots(len(frames), 1, figsize=(8, 2.6 * len(frames)), sharex=True)
for ax, clip, values in zip(np.atleast_1d(axes), test[:3], frames, strict=False):
    plot_emotion_timeline(
        values,
        times=np.arange(len(values)) / features.frame_rate,
        names=["arousal", "valence"],
        kind="av",
        true_values=y[clip],
        true_times=steps,
        ax=ax,
        title=f"held-out clip {clip}",
    )
fig.tight_layout()
plt.show()
