"""Scores and splits shared by the benchmark, the command line and the demo."""

from __future__ import annotations

import numpy as np
import pytest

from sk_deepsense.metrics import PredictionScorer, ccc, score_predictions
from sk_deepsense.model_selection import make_splits

from .test_benchmark import sequences


def test_ccc_rewards_agreement_and_punishes_bias():
    y = np.array([0.1, -0.4, 0.8, 0.3])
    assert ccc(y, y) == pytest.approx(1.0)
    assert ccc(y, y + 0.5) < 0.6  # Pearson r would still be 1
    assert ccc(y, np.zeros(4)) == 0.0
    assert ccc(y, 2 * y.mean() - y) == pytest.approx(-1.0)  # mirrored about the mean


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_splits_keep_groups_apart_and_cover_every_sample(task):
    _, y, groups = sequences()
    target = y if task == "classification" else np.arange(len(y), dtype=float)
    splits = make_splits(target, groups, n_splits=5, task=task)
    tested = np.concatenate([test for _, test in splits])
    assert sorted(tested.tolist()) == list(range(len(y)))
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
        if task == "classification":
            assert set(y[test]) == {"Q1", "Q2"}
    assert make_splits(target, groups, task=task)[0][1].tolist() == splits[0][1].tolist()


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_prediction_scorer_gives_score_predictions_in_cross_validate(task):
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import cross_validate

    X, y, groups = sequences()
    X = X[:, 0, :]
    if task == "regression":
        y = np.column_stack([np.arange(len(y)), -np.arange(len(y))]).astype(float)
        est, names = DummyRegressor(), ["arousal", "valence"]
    else:
        est, names = DummyClassifier(), None
    splits = make_splits(y, groups, n_splits=3, task=task)
    cv = cross_validate(
        est, X, y, cv=splits, scoring=PredictionScorer(task, names), return_estimator=True
    )
    for k, (_, test) in enumerate(splits):
        want = score_predictions(
            y[test], cv["estimator"][k].predict(X[test]), task=task, target_names=names
        )
        assert {key: cv[f"test_{key}"][k] for key in want} == pytest.approx(want)
