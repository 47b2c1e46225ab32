"""
A music library on the arousal-valence plane, and a calm playlist
==================================================================

What a person does with a predicted music library: look at where its songs fall on the
arousal-valence plane and pick the calm ones for tonight. This script trains a small
quadrant classifier on synthetic clips, predicts a second, unseen "library" of clips with
:func:`~sk_deepsense.predict_files` (one record per file, as ``sk-deepsense predict``
writes them), reads the records with :func:`~sk_deepsense.library.read_records`, writes
the interactive map with :func:`~sk_deepsense.library.write_map` (one HTML file that opens
offline: hover, click to play, search, filter by label) and a playlist of the calmest
tracks with :func:`~sk_deepsense.library.select_tracks` and
:func:`~sk_deepsense.library.write_playlist`. The figure below draws the same positions
next to the clips' true emotions.

Run it with ``python examples/plot_library_map.py`` (about 15 s on 2 CPU cores; the map
needs ``pip install 'sk_deepsense[map]'``), with ``--data-dir PATH/4q`` to train on four
fifths of the artists of the 4Q emotion dataset and map the clips of the other fifth, or
with ``--fast`` to check the script runs in a few seconds. Everything written goes to a
new temporary folder, printed at the start: open ``music.html`` there in a browser. On
your own music the same three steps are ``sk-deepsense predict MODEL ~/Music --format
jsonl -o music.jsonl``, ``sk-deepsense map music.jsonl`` and ``sk-deepsense playlist
music.jsonl --label Q4 -o calm.m3u``.
"""

# %%
# Settings
# --------
import argparse
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sk_deepsense import MFCCTransformer, make_baseline, predict_files
from sk_deepsense.datasets import av_from_quadrant, load_4q, make_emotion_music
from sk_deepsense.library import read_records, select_tracks, write_map, write_playlist
from sk_deepsense.model_selection import make_splits
from sk_deepsense.plotting import plot_arousal_valence

parser = argparse.ArgumentParser(description="A music library on the arousal-valence plane.")
parser.add_argument("--data-dir", type=Path, help="a 4Q dataset folder; default: synthetic clips")
parser.add_argument("--fast", action="store_true", help="tiny settings, to check it runs")
args, _ = parser.parse_known_args()
n_train, n_library, duration = (16, 12, 4.0) if args.fast else (80, 48, 8.0)

work = Path(tempfile.mkdtemp(prefix="sk_deepsense-library-"))
print(f"working folder: {work}")

# %%
# Train a quadrant classifier, then predict an unseen library
# -----------------------------------------------------------
# A logistic regression on MFCC statistics: fast, and it gives the class probabilities
# that place each track on the plane. Any classifier of Q1..Q4 (the recommended model, a
# saved ``.skds`` file) works the same way.
if args.data_dir is not None:  # 4Q: the library is a fifth of the artists, never trained on
    data = load_4q(args.data_dir)
    y = np.asarray(data.target)
    fit_idx, lib_idx = make_splits(y, data.groups, n_splits=5, random_state=0)[0]
    files = np.asarray(data.filenames)
    train_files, train_y, library_files = list(files[fit_idx]), y[fit_idx], list(files[lib_idx])
    truth = 0.5 * av_from_quadrant(y[lib_idx])  # the centres of their quadrants
else:
    train = make_emotion_music(
        n_train, duration=duration, output_dir=work / "train", random_state=0
    )
    music = make_emotion_music(
        n_library, duration=duration, output_dir=work / "music", random_state=1
    )
    train_files, train_y, library_files = list(train.filenames), train.target, list(music.filenames)
    truth = np.column_stack([music.arousal, music.valence])
model = make_baseline("logreg", features=MFCCTransformer(n_jobs=2))
model.fit(train_files, train_y)
records = list(predict_files(model, library_files))
print(records[0])

# %%
# Read the records and write the map
# ----------------------------------
# A classifier's track sits at the probability-weighted mean of the quadrants' centres
# (:func:`~sk_deepsense.library.quadrant_position`): the surer the model, the further
# from the middle of the plane.
library = read_records(records)
try:
    page = write_map(library, work / "music.html", title="An unseen library")
    print(f"map: {page} ({page.stat().st_size / 1e6:.1f} MB, opens offline)")
except ImportError as exc:  # plotly is an optional extra
    print(f"no map: {exc}")

# %%
# A calm playlist
# ---------------
# The tracks labelled Q4 (calm: low arousal, positive valence), surest first; paths in
# the playlist are relative to its folder, so the folder can move with its music.
calm = select_tracks(library, label="Q4", n=5)
playlist = work / "calm.m3u"
write_playlist(calm, playlist)
print(playlist.read_text())

# %%
# Where the tracks fell, against where they belong
# ------------------------------------------------
# Each line joins a track's true (arousal, valence) (from the generator; for 4Q clips,
# the centre of their quadrant) to its predicted position.
predicted = np.array([(t.arousal, t.valence) for t in library.tracks])
ax = plot_arousal_valence(predicted, truth, title="Predicted (crosses) and true (circles)")
plt.show()
