"""
The emotion timeline of a song
==============================

A song's emotion changes as it goes. The hybrid network's LSTM reads the MFCC frames in order
and is unidirectional, so it can give a prediction after every frame that depends only on the
audio heard so far. This script trains a quadrant classifier on short clips, builds a "song"
by joining held-out clips of different quadrants (so the true emotion of each span is known)
and draws its emotion timeline with :func:`~sk_deepsense.timeline.predict_timeline` in two
ways: over a sliding window of the last few seconds, and over the whole past since the start.

Run it with ``python examples/plot_timeline.py`` (about 30 s on 2 CPU cores). Give
``--audio PATH`` to draw the timeline of any audio file instead (e.g. a full-length track),
and ``--data-dir PATH/4q`` to train on the 4Q emotion dataset instead of synthetic clips.
``--fast`` checks the script runs in a few seconds (the model is then untrained). Everything
written goes to a new temporary folder, printed at the start.
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
import soundfile as sf
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer, load_audio
from sk_deepsense.datasets import load_4q, make_emotion_music
from sk_deepsense.timeline import predict_timeline

parser = argparse.ArgumentParser(description="The emotion timeline of a song.")
parser.add_argument(
    "--audio", type=Path, help="draw the timeline of this audio file (default: a made-up song)"
)
parser.add_argument(
    "--data-dir", type=Path, help="train on this 4Q dataset folder (default: synthetic clips)"
)
parser.add_argument(
    "--fast",
    action="store_true",
    help="tiny settings to check that the script runs, in seconds; the model is then untrained",
)
parser.add_argument("--n-jobs", type=int, default=2, help="files decoded in parallel")
args, _ = parser.parse_known_args()

work = Path(tempfile.mkdtemp(prefix="sk_deepsense-timeline-"))
print(f"working folder: {work}")

# %%
# Train a quadrant classifier on clips
# ------------------------------------
# As in the pipeline example: audio paths -> MFCC sequences -> hybrid CNN + LSTM, fitted on
# three quarters of the clips (stratified, and grouped by artist for 4Q). The remaining clips
# are never seen in training; the song below is made of them.
if args.data_dir is not None:
    data = load_4q(args.data_dir)
    paths, labels = np.asarray(data.filenames), np.asarray(data.target)
    groups = np.asarray(data.groups)
    duration = 30.0
    if args.fast:  # the first 10 clips of each quadrant, and their first 4 s
        keep = np.concatenate([np.flatnonzero(labels == q)[:10] for q in np.unique(labels)])
        paths, labels, groups = paths[keep], labels[keep], groups[keep]
        duration = 4.0
    cv = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0)
else:
    n_samples, duration = (32, 3.0) if args.fast else (160, 8.0)
    data = make_emotion_music(
        n_samples, duration=duration, output_dir=work / "clips", random_state=0
    )
    paths, labels, groups = np.asarray(data.filenames), np.asarray(data.target), None
    cv = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
train, test = next(cv.split(paths, labels, groups))

net = dict(n_filters=8, lstm_hidden_size=16, max_epochs=2) if args.fast else dict(max_epochs=30)
pipe = Pipeline(
    [
        ("mfcc", MFCCTransformer(duration=duration, n_jobs=args.n_jobs)),
        ("clf", HybridCNNLSTMClassifier(random_state=0, **net)),
    ]
)
t0 = time.perf_counter()
pipe.fit(paths[train], labels[train])
test_pred = pipe.predict(paths[test])
print(
    f"trained on {len(train)} clips of {duration:g} s in {time.perf_counter() - t0:.1f} s; "
    f"accuracy on the {len(test)} held-out clips: {np.mean(test_pred == labels[test]):.3f} "
    "(chance 0.25)"
)

# %%
# A song whose emotion is known
# -----------------------------
# One held-out clip of each quadrant, joined in the order Q1 (happy), Q3 (sad), Q2 (angry /
# tense), Q4 (calm), and written as a WAV file: each span's true quadrant is known, and every
# change crosses at least one of the two axes. Each is the first held-out clip of its quadrant
# that the classifier gets right (the first one, if it gets none right): the figure is meant
# to show how the timelines behave, not the classifier's errors, whose rate is printed above.
# With ``--audio``, that file is used instead. (A model trained on the synthetic clips has never
# heard real instruments or voices: for a real track, train on real clips with ``--data-dir``.)
sr = pipe["mfcc"].sr
if args.audio is not None:
    song_path, segments = args.audio, None
    print(f"song: {song_path}")
else:
    pieces, segments, start = [], [], 0.0
    for quadrant in ["Q1", "Q3", "Q2", "Q4"]:
        candidates = test[labels[test] == quadrant]
        if len(candidates) == 0:  # possible only on a tiny data set
            continue
        right = candidates[test_pred[labels[test] == quadrant] == quadrant]
        i = right[0] if len(right) else candidates[0]
        wave = load_audio(paths[i], sr=sr, duration=duration)
        pieces.append(wave)
        segments.append((start, start + len(wave) / sr, quadrant))
        start += len(wave) / sr
    song_path = work / "song.wav"
    sf.write(song_path, np.concatenate(pieces), sr, subtype="PCM_16")
    print(f"song: {song_path.name}, {start:.0f} s: " + ", ".join(q for _, _, q in segments))

# %%
# Predict the timelines
# ---------------------
# The fitted pipeline crops every file to the ``duration`` of the training clips; for a whole
# song, the same classifier goes behind a copy of the MFCC step with ``duration=None`` (whole
# files; every other setting unchanged).
#
# * ``window=duration``: at each moment (every ``duration / 20`` seconds), ``predict_proba``
#   of the last ``duration`` seconds only, the length the model was trained on. It follows
#   the changes, with a delay of up to one window while old and new music share the window.
# * ``window=None``: the per-frame output of the network, ``predict_proba_frames``. The value
#   at frame ``t`` is the prediction for the song cut after ``t``: the LSTM is unidirectional,
#   so its state at ``t`` depends on frames ``<= t`` only, and the clip summary is the mean of
#   its states since the start (the default ``pooling="mean"``). It answers "what is this song
#   so far?", so it settles as the song goes on and reacts less and less to changes.
#
# Both only use audio heard before the time they are drawn at; neither looks ahead.
song_pipe = Pipeline(
    [("mfcc", clone(pipe["mfcc"]).set_params(duration=None)), ("clf", pipe["clf"])]
)
t0 = time.perf_counter()
windowed = predict_timeline(song_pipe, [song_path], window=duration)[0]
whole_past = predict_timeline(song_pipe, [song_path])[0]
print(
    f"timelines in {time.perf_counter() - t0:.1f} s: {len(windowed.times)} windows, "
    f"{len(whole_past.times)} frames"
)

# %%
# How often is the true quadrant on top?
# --------------------------------------
# For the made-up song, the share of each span's time where the top class of each timeline is
# that span's quadrant (computed, so it stays true whichever way the comparison goes). For
# another file, the share of time each quadrant is on top of the windowed timeline.
names = np.asarray(windowed.names)
if segments is not None:
    print(f"{'span':<14} {'true':<5} {'windowed':>9} {'whole past':>11}")
    for start, end, quadrant in segments:
        shares = []
        for tl in (windowed, whole_past):
            inside = (tl.times >= start) & (tl.times < end)
            shares.append(np.mean(names[tl.values[inside].argmax(axis=1)] == quadrant))
        print(f"{f'{start:.0f}-{end:.0f} s':<14} {quadrant:<5} {shares[0]:9.0%} {shares[1]:11.0%}")
else:
    top = names[windowed.values.argmax(axis=1)]
    print("time on top (windowed):", ", ".join(f"{q} {np.mean(top == q):.0%}" for q in names))

# %%
# The two timelines
# -----------------
# Each line is the probability of one quadrant; the shaded bands are the true spans of the
# made-up song.
fig, (ax_win, ax_past) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
windowed.plot(
    ax=ax_win,
    segments=segments,
    title=f"{Path(song_path).name}: last {duration:g} s at each moment (window={duration:g})",
)
whole_past.plot(
    ax=ax_past,
    segments=segments,
    title="everything heard since the start (window=None)",
)
fig.tight_layout()
plt.show()
