"""make_fusion: the hybrid and the descriptor SVM as one scikit-learn estimator on audio paths."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from sk_deepsense import (
    HybridCNNLSTMClassifier,
    LogMelTransformer,
    SequenceStatistics,
    make_baseline,
    make_fusion,
)
from sk_deepsense.features import DescriptorTransformer, _base

from .conftest import SEED


def small_fusion(cache, **kw):
    hybrid = Pipeline(
        [
            ("features", LogMelTransformer(duration=2.0, n_mels=32, hop_length=1024, memory=cache)),
            (
                "clf",
                HybridCNNLSTMClassifier(
                    n_filters=8, lstm_hidden_size=16, max_epochs=20, lr=1e-2, n_ensemble=1,
                    early_stopping=False, random_state=SEED,
                ),
            ),
        ]
    )  # fmt: skip
    classical = make_baseline(
        "svm",
        features=DescriptorTransformer(duration=2.0, hop_length=1024, memory=cache),
        statistics=SequenceStatistics(deltas=True),
    ).set_params(model=CalibratedClassifierCV(SVC(), ensemble=False))
    return make_fusion(hybrid=hybrid, classical=classical, **kw)


def test_defaults_are_the_recommended_pipelines():
    fusion = make_fusion(memory="cache-folder", n_jobs=2, random_state=3)
    hybrid, classical = (est for _, est in fusion.estimators)
    assert fusion.voting == "soft"
    assert isinstance(hybrid[0], LogMelTransformer) and hybrid[0].memory == "cache-folder"
    assert hybrid[-1].random_state == 3 and hybrid[0].n_jobs == 2
    assert isinstance(classical[0], DescriptorTransformer) and classical[0].memory == "cache-folder"
    assert classical.named_steps["stats"].deltas
    assert isinstance(classical.named_steps["model"], CalibratedClassifierCV)
    assert not hasattr(clone(fusion), "estimators_")


def test_soft_vote_of_both_models_on_audio_paths(audio_corpus, tmp_path, monkeypatch):
    paths, labels = audio_corpus
    calls = []
    real = _base.load_audio
    monkeypatch.setattr(_base, "load_audio", lambda p, **kw: calls.append(p) or real(p, **kw))
    fusion = small_fusion(str(tmp_path), weights=[2, 1]).fit(paths[:32], labels[:32])
    assert len(calls) == 2 * 32  # each file decoded once per kind of feature
    hybrid, classical = fusion.named_estimators_["hybrid"], fusion.named_estimators_["classical"]
    proba = fusion.predict_proba(paths[32:])
    expected = (2 * hybrid.predict_proba(paths[32:]) + classical.predict_proba(paths[32:])) / 3
    np.testing.assert_allclose(proba, expected, rtol=1e-6)
    assert list(fusion.classes_) == ["high", "low", "noise"]
    assert (fusion.predict(paths[32:]) == labels[32:]).mean() >= 0.75  # chance is 1/3
    assert len(calls) == 2 * 48  # the held-out files: once per kind, then from the cache

    joblib.dump(fusion, tmp_path / "fusion.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "fusion.joblib").predict_proba(paths[32:]), proba
    )


@pytest.mark.slow
def test_weights_are_a_grid_search_parameter(audio_corpus, tmp_path):
    paths, labels = audio_corpus
    search = GridSearchCV(small_fusion(str(tmp_path)), {"weights": [[1, 1], [1, 2]]}, cv=2)
    search.fit(paths, labels)
    assert search.best_params_["weights"] in ([1, 1], [1, 2])
