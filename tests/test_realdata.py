"""The user story on real music: 32 mp3s of the 4Q emotion dataset (../shared/data/4q-dev).

Skipped, with the reason, when the folder is absent (users who clone the project).
"""

from __future__ import annotations

import csv
import os

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer, load_model

from .conftest import SEED, shared_data

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def clips():
    root = shared_data("4q-dev")
    with open(root / "panda_dataset_taffc_annotations.csv", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["Song"])
    picked = {q: [r for r in rows if r["Quadrant"] == q][:8] for q in ("Q1", "Q2", "Q3", "Q4")}
    paths = [str(root / q / f"{r['Song']}.mp3") for q in picked for r in picked[q]]
    labels = np.repeat(["Q1", "Q2", "Q3", "Q4"], 8)
    return paths, labels


def test_user_story_on_32_real_mp3s(clips, tmp_path):
    paths, labels = clips
    mfcc = MFCCTransformer(duration=10.0, n_jobs=2, memory=str(tmp_path / "cache"))
    X = mfcc.transform(paths)  # real decoding of every mp3 (mono mix, resampling)
    assert X.shape == (32, mfcc.expected_n_frames(), 20) and np.isfinite(X).all()

    small = dict(
        n_filters=8,
        lstm_hidden_size=16,
        max_epochs=4,
        random_state=SEED,
        early_stopping=False,
        n_ensemble=1,
    )
    pipe = Pipeline([("mfcc", mfcc), ("clf", HybridCNNLSTMClassifier(**small))])
    pipe.fit(paths, labels)
    assert list(pipe.classes_) == ["Q1", "Q2", "Q3", "Q4"]
    proba = pipe.predict_proba(paths)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert set(pipe.predict(paths)) <= {"Q1", "Q2", "Q3", "Q4"}

    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    gs = GridSearchCV(pipe, {"clf__filter_size": [3, 5, 7]}, cv=cv).fit(paths, labels)
    assert np.isfinite(gs.cv_results_["mean_test_score"]).all()
    scores = cross_validate(pipe, paths, labels, cv=cv)["test_score"]
    assert scores.shape == (3,)

    joblib.dump(pipe, tmp_path / "model.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "model.joblib").predict_proba(paths), proba
    )


def test_command_line_on_a_path_label_csv_of_real_mp3s(clips, tmp_path, capsys):
    """The CLI user story: train on a CSV of real 4Q mp3s, predict as JSON, evaluate."""
    import json

    from sk_deepsense.cli import main

    paths, labels = clips
    root = shared_data("4q-dev")
    labels_csv = tmp_path / "labels.csv"
    with open(labels_csv, "w", newline="") as f:  # paths relative to the CSV's folder
        writer = csv.writer(f)
        writer.writerow(["path", "label"])
        for p, label in zip(paths[::2], labels[::2], strict=True):  # 16 clips, 4 per quadrant
            writer.writerow([os.path.relpath(p, tmp_path), label])
    model = tmp_path / "model.skds"
    # the default model (the pre-trained musicnn front end and a linear head) on the first
    # 6 s of each clip (two 3-s patches), to keep the test short
    tiny = ["--set", "musicnn__duration=6.0"]
    assert main(["train", str(labels_csv), "-o", str(model), "--cv", "2", *tiny]) == 0
    out = capsys.readouterr().out
    assert "cross-validated scores (2 folds" in out and f"saved {model}" in out

    argv = ["predict", str(model), paths[1], str(root / "Q4"), "--format", "json", "-q"]
    assert main([*argv, "--duration", "6"]) == 0  # the span the model was trained on
    records = json.loads(capsys.readouterr().out)
    assert records[0]["path"] == paths[1]
    assert len(records) == 1 + len(list((root / "Q4").glob("*.mp3")))
    pipe = load_model(model)
    assert records[0]["label"] == pipe.predict([paths[1]])[0]
    assert set(records[0]["probabilities"]) == {"Q1", "Q2", "Q3", "Q4"}
    assert sum(records[0]["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)

    plot = tmp_path / "cm.png"
    argv = ["evaluate", str(model), str(labels_csv), "--format", "json", "--plot", str(plot)]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_clips"] == 16 and 0.0 <= result["scores"]["accuracy"] <= 1.0
    assert np.sum(result["confusion_matrix"]) == 16 and plot.stat().st_size > 5_000
