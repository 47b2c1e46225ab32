"""Classical baselines: per-clip MFCC statistics and a standard scikit-learn model.

A deep model is only worth its training time if it beats these. Each baseline is a
:class:`~sklearn.pipeline.Pipeline` ``SequenceStatistics -> StandardScaler -> model`` that takes
the same NaN-padded MFCC sequences as the hybrid network, so both can share one feature
extraction and one set of cross-validation splits.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

from ._choices import BASELINES
from .exceptions import ParameterError
from .features._base import BaseAudioTransformer
from .features._statistics import SequenceStatistics

__all__ = ["BASELINES", "make_baseline"]


def make_baseline(
    model: str = "svm",
    *,
    task: Literal["classification", "regression"] = "classification",
    statistics: SequenceStatistics | None = None,
    features: BaseAudioTransformer | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> Pipeline:
    """Build a classical baseline over NaN-padded feature sequences (or audio paths).

    Parameters
    ----------
    model : {"majority", "svm", "logreg", "random_forest", "knn"}, default="svm"
        The model on the standardized statistics:

        - ``"majority"``: the most frequent class, or the mean target for regression (the
          chance level that every other model has to beat);
        - ``"svm"``: RBF-kernel :class:`~sklearn.svm.SVC` / :class:`~sklearn.svm.SVR`
          (``C=1``, ``gamma="scale"``);
        - ``"logreg"``: :class:`~sklearn.linear_model.LogisticRegression`, or
          :class:`~sklearn.linear_model.Ridge` for regression;
        - ``"random_forest"``: 500 trees;
        - ``"knn"``: 15 nearest neighbours, distance-weighted.
    task : {"classification", "regression"}, default="classification"
        Regression models predict every column of a 2-D ``y`` (e.g. arousal and valence); SVR
        is fitted once per column for that.
    statistics : SequenceStatistics or None, default=None
        The pooling step; ``None`` means ``SequenceStatistics()`` (mean and standard deviation
        of each coefficient over the real frames).
    features : BaseAudioTransformer or None, default=None
        An audio transformer to put first (e.g.
        :class:`~sk_deepsense.features.DescriptorTransformer`), so that the pipeline takes
        audio paths; ``None``: the pipeline takes feature sequences. The strongest classical
        model measured on 4Q is ``make_baseline("svm", features=DescriptorTransformer(),
        statistics=SequenceStatistics(deltas=True))``.
    random_state : int, RandomState instance or None, default=None
        Seeds the random forest (the other models are deterministic).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``"stats"``, ``"scale"`` and ``"model"`` (after ``"features"`` when given);
        unfitted. Once fitted, ``pipeline[:-1].get_feature_names_out()`` names the model's
        inputs (``mfcc3_mean`` .. after an MFCC transformer, ``x3_mean`` .. otherwise).

    Raises
    ------
    ValueError
        If ``model`` or ``task`` is unknown.

    Examples
    --------
    >>> from sk_deepsense import make_baseline
    >>> make_baseline("svm").steps[-1]
    ('model', SVC())
    """
    if task not in ("classification", "regression"):
        raise ParameterError(f"task must be 'classification' or 'regression', got {task!r}.")
    if model not in BASELINES:
        raise ParameterError(f"Unknown baseline {model!r}; choose from {list(BASELINES)}.")
    classify = task == "classification"
    if model == "majority":
        est = DummyClassifier(strategy="most_frequent") if classify else DummyRegressor()
    elif model == "svm":
        est = SVC() if classify else _PerOutputRegressor(SVR())
    elif model == "logreg":
        est = LogisticRegression(max_iter=2000) if classify else Ridge()
    elif model == "random_forest":
        forest = RandomForestClassifier if classify else RandomForestRegressor
        est = forest(n_estimators=500, random_state=random_state)
    else:
        neighbours = KNeighborsClassifier if classify else KNeighborsRegressor
        est = neighbours(n_neighbors=15, weights="distance")
    stats = SequenceStatistics() if statistics is None else statistics
    steps = [("stats", stats), ("scale", StandardScaler()), ("model", est)]
    if features is not None:
        steps.insert(0, ("features", features))
    return Pipeline(steps)


class _PerOutputRegressor(MultiOutputRegressor):
    """:class:`~sklearn.multioutput.MultiOutputRegressor` that also accepts a 1-D ``y``."""

    def fit(self, X, y, **fit_params):  # noqa: D102
        y = np.asarray(y)
        self.single_output_ = y.ndim == 1
        return super().fit(X, y.reshape(len(y), -1), **fit_params)

    def predict(self, X):  # noqa: D102
        pred = super().predict(X)
        return pred.ravel() if self.single_output_ else pred
