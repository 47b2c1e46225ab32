"""The user story: a Pipeline from audio file paths to emotion labels."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor, MFCCTransformer

from .conftest import SEED

CLF = dict(
    n_filters=8,
    lstm_hidden_size=16,
    max_epochs=25,
    n_ensemble=1,
    lr=1e-2,
    early_stopping=False,
    random_state=SEED,
)


def make_pipe(cache=None, **clf):
    return Pipeline(
        [
            ("mfcc", MFCCTransformer(duration=2.0, n_mfcc=13, memory=cache)),
            ("clf", HybridCNNLSTMClassifier(**{**CLF, **clf})),
        ]
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("mfcc-cache"))


@pytest.fixture(scope="module")
def fitted(audio_corpus, cache):
    paths, labels = audio_corpus
    return make_pipe(cache).fit(paths[:32], labels[:32])


def test_fit_predict_on_audio_paths(fitted, audio_corpus):
    paths, labels = audio_corpus
    assert list(fitted.classes_) == ["high", "low", "noise"]
    held_out = fitted.predict(paths[32:])
    assert (held_out == labels[32:]).mean() >= 0.75  # chance is 1/3
    proba = fitted.predict_proba(paths[32:])
    assert proba.shape == (16, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_joblib_round_trip_gives_identical_output(fitted, audio_corpus, tmp_path):
    paths = audio_corpus[0][32:]
    joblib.dump(fitted, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(paths), fitted.predict_proba(paths))
    np.testing.assert_array_equal(loaded.predict(paths), fitted.predict(paths))


def test_clone_gives_unfitted_pipeline(fitted):
    fresh = clone(fitted)
    assert not hasattr(fresh.named_steps["clf"], "net_")


def test_grid_search_over_filter_sizes(audio_corpus, cache):
    paths, labels = audio_corpus
    gs = GridSearchCV(make_pipe(cache, max_epochs=8), {"clf__filter_size": [3, 5, 7]}, cv=3)
    gs.fit(paths, labels)
    assert gs.best_params_["clf__filter_size"] in (3, 5, 7)
    assert gs.cv_results_["mean_test_score"].shape == (3,)
    assert gs.best_score_ > 0.5


def test_cross_validate(audio_corpus, cache):
    paths, labels = audio_corpus
    res = cross_validate(make_pipe(cache, max_epochs=15), paths, labels, cv=3)
    assert res["test_score"].mean() > 0.6


def test_regressor_pipeline_on_paths(audio_corpus, cache):
    paths, labels = audio_corpus
    # a continuous target tied to the class: "arousal" high for noise, "valence" for pitch
    av = np.c_[(labels == "noise") * 1.0, (labels == "high") * 1.0 - (labels == "low") * 1.0]
    pipe = Pipeline(
        [
            ("mfcc", MFCCTransformer(duration=2.0, n_mfcc=13, memory=cache)),
            ("reg", HybridCNNLSTMRegressor(**CLF)),
        ]
    ).fit(paths[:32], av[:32])
    pred = pipe.predict(paths[32:])
    assert pred.shape == (16, 2)
    assert pipe.score(paths[32:], av[32:]) > 0.3
