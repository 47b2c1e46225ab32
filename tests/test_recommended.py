"""make_recommended: the pre-trained front end and a linear head, end to end."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge

from sk_deepsense import (
    MusicnnTransformer,
    SequenceStatistics,
    load_model,
    make_recommended,
    predict_files,
    save_model,
)
from sk_deepsense.cli import main

SR = 16000


def clip(freq: float, seed: int, seconds: float = 6.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    y = 0.4 * np.sin(2 * np.pi * freq * t) * (1 + 0.5 * np.sin(2 * np.pi * (1 + seed) * t))
    return (y + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Eight 6.5-s wav files: low, calm tones and high, busy ones."""
    folder = tmp_path_factory.mktemp("recommended")
    paths, labels = [], []
    for i in range(8):
        calm = i % 2 == 0
        y = clip(110.0 * (1 + i % 3) if calm else 1760.0 + 220 * i, seed=i)
        if not calm:
            y = y * (np.random.default_rng(i).random(y.size) > 0.5)  # rough, noisy
        paths.append(folder / f"clip{i}.wav")
        sf.write(paths[-1], y, SR)
        labels.append("calm" if calm else "tense")
    return [str(p) for p in paths], np.array(labels)


def test_structure_and_parameters():
    model = make_recommended(memory="cache", n_jobs=2, random_state=3)
    assert [name for name, _ in model.steps] == ["musicnn", "clf"]
    front, head = model[0], model[-1]
    assert isinstance(front, MusicnnTransformer)
    assert (front.model, front.output, front.duration) == (
        "MSD_musicnn",
        ["penultimate", "taggram"],
        30.0,
    )
    assert (front.memory, front.n_jobs) == ("cache", 2)
    assert [name for name, _ in head.steps] == ["stats", "scale", "model"]
    assert isinstance(head[0], SequenceStatistics) and head[0].statistics == ("mean", "std")
    assert isinstance(head[-1], LogisticRegression) and head[-1].C == 0.01
    reg = make_recommended("regression")
    assert isinstance(reg[-1][-1], Ridge) and reg[-1][-1].alpha == 1000.0
    assert clone(model).get_params()["clf__model__C"] == 0.01
    with pytest.raises(ValueError, match="task must be"):
        make_recommended("clustering")


def test_classifier_fits_saves_and_predicts_whole_files(corpus, tmp_path):
    paths, labels = corpus
    model = make_recommended().fit(paths, labels)
    proba = model.predict_proba(paths)
    assert proba.shape == (8, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(paths) == labels).mean() >= 0.75  # separable toy classes
    loaded = load_model(save_model(model, tmp_path / "model.skds"))
    np.testing.assert_array_equal(loaded.predict_proba(paths), proba)
    records = list(predict_files(loaded, paths[:2], batch_size=None, decimals=None))
    assert [r["path"] for r in records] == paths[:2]
    for record, p in zip(records, proba[:2], strict=True):
        assert record["start"] == 0.0 and record["end"] == pytest.approx(6.5)
        assert record["windows"] == 1  # a 6.5-s file is one 30-s window
        np.testing.assert_allclose(list(record["probabilities"].values()), p, atol=1e-6)


def test_regressor_predicts_arousal_and_valence_and_round_trips(corpus, tmp_path):
    paths, labels = corpus
    targets = np.stack([(labels == "tense") * 1.0, np.linspace(-1, 1, len(labels))], axis=1)
    model = make_recommended("regression").fit(paths, targets)
    predicted = model.predict(paths)
    assert predicted.shape == (8, 2) and np.isfinite(predicted).all()
    loaded = load_model(save_model(model, tmp_path / "reg.skds"))
    np.testing.assert_array_equal(loaded.predict(paths), predicted)


def test_train_fits_the_recommended_model_by_default(corpus, tmp_path, capsys):
    paths, labels = corpus
    labels_csv = tmp_path / "labels.csv"
    with open(labels_csv, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "artist"])
        for i, (p, label) in enumerate(zip(paths, labels, strict=True)):
            writer.writerow([p, label, f"artist{i // 2}"])
    out = tmp_path / "model.skds"
    assert main(["train", str(labels_csv), "-o", str(out), "--cv", "2", "-q"]) == 0
    stdout = capsys.readouterr().out
    assert "cross-validated scores (2 folds, grouped by the 'artist' column" in stdout
    model = load_model(out)
    assert [name for name, _ in model.steps] == ["musicnn", "clf"]
    assert isinstance(model[-1][-1], LogisticRegression)
    assert main(["predict", str(out), paths[0], "--format", "json", "-q"]) == 0
    record = json.loads(capsys.readouterr().out)[0]
    assert record["label"] == model.predict([paths[0]])[0]
    # the recommended model reads musicnn features only: refused before any decoding
    argv = ["train", str(labels_csv), "-o", str(tmp_path / "x.skds"), "--features", "mfcc"]
    assert main(argv) == 1
    assert "--model recommended reads musicnn features only" in capsys.readouterr().err


def test_listen_says_why_the_recommended_model_does_not_stream(corpus, tmp_path, capsys):
    paths, labels = corpus
    model = save_model(make_recommended().fit(paths, labels), tmp_path / "model.skds")
    assert main(["listen", str(model), paths[0]]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "musicnn reads 3-s patches" in err
