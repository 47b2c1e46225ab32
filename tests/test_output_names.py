"""One default naming of the outputs a model leaves unnamed, everywhere."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sk_deepsense import batch
from sk_deepsense._choices import default_output_names, output_names, target_names
from sk_deepsense.benchmark import run_benchmark
from sk_deepsense.metrics import dynamic_scores, make_dynamic_scorer, score_predictions


class _Echo(RegressorMixin, BaseEstimator):
    """Predicts its input: series in, the same series out."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return X


def test_the_one_naming():
    assert output_names(3) == ["output_0", "output_1", "output_2"]
    assert output_names(0) == []
    assert target_names(2) == ["arousal", "valence"]  # the library's regression targets
    assert target_names(1) == ["output_0"] and target_names(3) == output_names(3)


def test_records_timelines_and_plots_use_it():
    assert batch.target_names(3) == output_names(3)
    assert default_output_names("av", 1) == ["output_0"]
    assert default_output_names("av", 2) == ["arousal", "valence"]
    # no guess from the count: four probability columns are not assumed to be Q1..Q4
    assert default_output_names("proba", 4) == output_names(4)
    assert default_output_names("proba", 3) == output_names(3)


def test_scores_use_it():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(20, 3))
    scores = score_predictions(y, y + 0.1, task="regression")
    assert [k for k in scores if k.endswith("_rmse")] == [f"{n}_rmse" for n in output_names(3)]
    series = rng.normal(size=(4, 6))
    assert set(dynamic_scores(series, series)) == {f"output_0_{m}" for m in ("rmse", "r", "ccc")}
    scorer = make_dynamic_scorer("rmse", target=0)  # reads the score by its default name
    assert scorer(_Echo(), series + 1.0, series) == -1.0


def test_the_benchmark_uses_it():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3, 2)).astype(np.float32)
    y = rng.normal(size=(12, 1))
    flat = FunctionTransformer(lambda X: np.nan_to_num(X).reshape(len(X), -1))
    models = {"mean": lambda seed: make_pipeline(flat, DummyRegressor())}
    result = run_benchmark(X, y, task="regression", models=models, n_splits=2, verbose=False)
    assert result.metrics == [f"output_0_{m}" for m in ("rmse", "r", "ccc")]
    assert all("output_0_rmse" in row for row in result.folds)
