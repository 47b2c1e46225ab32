"""Capabilities are declared by the estimator (sk_deepsense._tags), never recognised.

Each test gives a new estimator that declares a capability and one that has the same methods
and attributes but declares nothing: the first is treated accordingly, the second is not.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from sk_deepsense._tags import CAPABILITIES, DeepsenseTags, capabilities, declare


def test_the_package_estimators_declare_their_capabilities():
    from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
    from sk_deepsense.dynamic import FrameRidgeRegressor
    from sk_deepsense.neural import HybridCNNLSTMDynamicRegressor

    def on(est):
        tags = capabilities(est)
        return {name for name in CAPABILITIES if getattr(tags, name)}

    assert on(HybridCNNLSTMClassifier()) == {"network", "frame_predictions", "label_is_argmax"}
    assert on(HybridCNNLSTMRegressor()) == {"network", "frame_predictions"}
    assert on(HybridCNNLSTMDynamicRegressor()) == {"network", "frame_predictions", "series_output"}
    assert on(FrameRidgeRegressor()) == {"frame_predictions", "series_output"}
    assert on(SVC()) == set()
    assert on(object()) == set()  # no scikit-learn estimator: it declares nothing
    # a pipeline's capabilities are its final step's; scikit-learn's own tags are kept
    pipe = Pipeline([("id", FunctionTransformer()), ("net", HybridCNNLSTMClassifier())])
    assert on(pipe) == on(HybridCNNLSTMClassifier())
    assert capabilities(HybridCNNLSTMClassifier()).input_tags.three_d_array


def test_declare_keeps_the_parents_tags_and_refuses_unknown_names():
    tags = declare(SVC().__sklearn_tags__(), network=True)
    assert isinstance(tags, DeepsenseTags) and tags.estimator_type == "classifier"
    assert declare(tags, series_output=True).network  # a parent's declaration stays
    with pytest.raises(TypeError, match="unknown capabilities"):
        declare(tags, is_network=True)


# --------------------------------------------------------------------- label_is_argmax
class _ProbaClassifier(ClassifierMixin, BaseEstimator):
    """Probabilities from the first feature; ``predict`` says "b" always (not the argmax)."""

    def fit(self, X, y):
        self.classes_ = np.array(["a", "b"])
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X)[:, 0]))
        return np.c_[1 - p, p]

    def predict(self, X):
        return np.full(len(X), "b")


class _ArgmaxClassifier(_ProbaClassifier):
    def __sklearn_tags__(self):
        return declare(super().__sklearn_tags__(), label_is_argmax=True)


def test_prediction_records_trust_the_argmax_only_where_it_is_declared():
    from sk_deepsense.batch import prediction_records

    X = np.array([[-3.0], [3.0]])
    declared = prediction_records(_ArgmaxClassifier().fit(X, None), X, ["x", "y"])
    undeclared = prediction_records(_ProbaClassifier().fit(X, None), X, ["x", "y"])
    assert [r["label"] for r in declared] == ["a", "b"]  # argmax of the probabilities
    assert [r["label"] for r in undeclared] == ["b", "b"]  # its own predict


# ----------------------------------------------------------------------- series_output
class _SeriesRegressor(RegressorMixin, BaseEstimator):
    target_hop = 0.5  # the attribute the command line once looked for: no longer enough

    def fit(self, X, y):
        return self


class _DeclaredSeriesRegressor(_SeriesRegressor):
    def __sklearn_tags__(self):
        return declare(super().__sklearn_tags__(), series_output=True)


def test_one_prediction_per_file_commands_refuse_only_a_declared_series_model():
    from sk_deepsense.cli import CLIError
    from sk_deepsense.cli._common import refuse_series_model

    def pipe(est):
        return Pipeline([("id", FunctionTransformer()), ("model", est)])

    refuse_series_model(pipe(_SeriesRegressor()), "predict")  # declares nothing: accepted
    with pytest.raises(CLIError, match="predicts a series per clip"):
        refuse_series_model(pipe(_DeclaredSeriesRegressor()), "predict")


# ------------------------------------------------------------------- frame_predictions
class _FrameClassifier(ClassifierMixin, BaseEstimator):
    """Per-frame probabilities of two classes, declaring nothing."""

    def fit(self, X, y):
        self.classes_ = np.array(["calm", "happy"])
        return self

    def predict_proba_frames(self, X):
        X = np.asarray(X, dtype=float)
        p = 1 / (1 + np.exp(-X[:, :, :1]))
        return np.concatenate([1 - p, p], axis=2)


class _DeclaredFrameClassifier(_FrameClassifier):
    def __sklearn_tags__(self):
        return declare(super().__sklearn_tags__(), frame_predictions=True)


class _DeclaredFrameRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        self.n_outputs_ = 2
        return self

    def predict_frames(self, X):
        return np.asarray(X, dtype=float)[:, :, :2]

    def __sklearn_tags__(self):
        return declare(super().__sklearn_tags__(), frame_predictions=True)


def test_timelines_follow_the_declared_frame_predictions():
    from sk_deepsense.timeline import predict_timeline

    X = np.zeros((2, 5, 3))
    (tl, _) = predict_timeline(_DeclaredFrameClassifier().fit(X, None), X)
    assert (tl.kind, tl.names, tl.values.shape) == ("proba", ["calm", "happy"], (5, 2))
    (tl, _) = predict_timeline(_DeclaredFrameRegressor().fit(X, None), X)
    assert (tl.kind, tl.values.shape) == ("av", (5, 2))
    with pytest.raises(TypeError, match="no per-frame predictions"):
        predict_timeline(_FrameClassifier().fit(X, None), X)  # has the method, declares nothing


# ----------------------------------------------------------------------------- network
class _Trained(ClassifierMixin, BaseEstimator):
    """A majority classifier with a network's fitted attributes, declaring nothing."""

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        self.n_parameters_ = 7
        self.history_ = [{"epoch": 1}, {"epoch": 2}, {"epoch": 3}]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class _DeclaredNetwork(_Trained):
    def __sklearn_tags__(self):
        return declare(super().__sklearn_tags__(), network=True)


def test_training_curves_word_the_not_fitted_error_for_a_declared_network():
    from sklearn.exceptions import NotFittedError

    from sk_deepsense.plotting import plot_training_curves

    with pytest.raises(NotFittedError):
        plot_training_curves(_DeclaredNetwork())
    with pytest.raises(TypeError, match="must be a skorch History"):
        plot_training_curves(_Trained())


def test_the_benchmark_treats_a_declared_network_as_one_whatever_its_name(tmp_path):
    from sklearn.ensemble import VotingClassifier

    from sk_deepsense.benchmark import is_network, run_benchmark

    def pipe(est):
        return Pipeline([("id", FunctionTransformer()), ("model", est)])

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(24, 4, 3)), np.array(["a", "b"] * 12)
    models = {
        "hybrid, by name only": lambda seed: pipe(_Trained()),
        "plain": lambda seed: pipe(_DeclaredNetwork()),
    }
    vote = VotingClassifier([("a", pipe(_Trained())), ("b", pipe(_DeclaredNetwork()))])
    assert is_network(vote) and not is_network(pipe(_Trained()))
    result = run_benchmark(X, y, models=models, n_splits=2, verbose=False)
    assert result.networks == ["plain"]
    summary = {s["model"]: s for s in result.summary()}
    assert (summary["plain"]["n_parameters"], summary["plain"]["epochs"]) == (7, 3)
    by_name = summary["hybrid, by name only"]
    assert (by_name["n_parameters"], by_name["epochs"]) == ("", "")


# ---------------------------------------------------------------------- feature_stream
class _Asked(Exception):
    pass


class _Streamer(TransformerMixin, BaseEstimator):
    """A transformer with ``feature_stream()``, declaring nothing."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X

    def feature_stream(self):
        raise _Asked


class _DeclaredStreamer(_Streamer):
    def __sklearn_tags__(self):
        return declare(super().__sklearn_tags__(), feature_stream=True)


def test_streams_ask_for_the_feature_stream_only_of_a_declared_transformer():
    from sk_deepsense import LogMelTransformer, MFCCTransformer, MusicnnTransformer
    from sk_deepsense.exceptions import NotStreamableError
    from sk_deepsense.streaming import EmotionStream

    assert capabilities(MFCCTransformer()).feature_stream
    assert capabilities(LogMelTransformer()).feature_stream
    assert not capabilities(MusicnnTransformer()).feature_stream

    def pipe(features):
        return Pipeline([("features", features), ("model", _DeclaredFrameClassifier())])

    with pytest.raises(_Asked):  # past the check: the stream is asked for
        EmotionStream(pipe(_DeclaredStreamer()))
    with pytest.raises(NotStreamableError, match="cannot stream the features of a _Streamer"):
        EmotionStream(pipe(_Streamer()))
