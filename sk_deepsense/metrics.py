"""Scores of music emotion recognition: classification, and arousal/valence regression.

One scoring function, :func:`score_predictions`, is shared by the benchmark, the command
line and the demo, so that every figure the package prints is computed the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

__all__ = ["PredictionScorer", "ccc", "score_predictions"]


def ccc(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Lin's concordance correlation coefficient of two 1-D arrays.

    ``2 cov / (var_true + var_pred + (mean_true - mean_pred)^2)``: 1 for perfect agreement,
    0 for none; unlike Pearson's r it also penalises shifts and scale errors.

    Parameters
    ----------
    y_true, y_pred : np.ndarray [shape=(n_samples,)]
        Targets and predictions.

    Returns
    -------
    ccc : float
        The coefficient.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    mt, mp = y_true.mean(), y_pred.mean()
    cov = np.mean((y_true - mt) * (y_pred - mp))
    denom = y_true.var() + y_pred.var() + (mt - mp) ** 2
    return float(2 * cov / denom) if denom > 0 else 0.0


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0  # a constant prediction (e.g. the mean baseline) carries no correlation
    return float(np.corrcoef(a, b)[0, 1])


def score_predictions(
    y_true: Any,
    y_pred: Any,
    *,
    task: str = "classification",
    target_names: Sequence[str] | None = None,
) -> dict[str, float]:
    """Score one set of predictions with the benchmark's metrics.

    Classification: ``accuracy`` and ``macro_f1``. Regression, per target column ``name``:
    ``{name}_rmse``, ``{name}_r`` (Pearson; 0 for a constant prediction) and ``{name}_ccc``
    (:func:`ccc`).

    Parameters
    ----------
    y_true, y_pred : array-like [shape=(n_samples,) or (n_samples, n_targets)]
        Targets and predictions.
    task : {"classification", "regression"}, default="classification"
        Which scores.
    target_names : sequence of str or None, default=None
        Regression target names, one per column (default ``"y0"``, ``"y1"``, ...).

    Returns
    -------
    scores : dict of str to float
        Score name -> value.

    Examples
    --------
    >>> from sk_deepsense.metrics import score_predictions
    >>> score_predictions(["Q1", "Q2", "Q1"], ["Q1", "Q1", "Q1"])
    {'accuracy': 0.666..., 'macro_f1': 0.4}
    """
    if task == "classification":
        return {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
        }
    truth = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(len(truth), -1)
    names = list(target_names) if target_names else [f"y{j}" for j in range(truth.shape[1])]
    if len(names) != truth.shape[1]:
        raise ValueError(f"target_names has {len(names)} names for {truth.shape[1]} targets")
    scores: dict[str, float] = {}
    for j, target in enumerate(names):
        scores[f"{target}_rmse"] = float(np.sqrt(np.mean((truth[:, j] - pred[:, j]) ** 2)))
        scores[f"{target}_r"] = _pearson(truth[:, j], pred[:, j])
        scores[f"{target}_ccc"] = ccc(truth[:, j], pred[:, j])
    return scores


class PredictionScorer:
    """A ``scoring`` callable for :func:`~sklearn.model_selection.cross_validate`.

    It predicts once and returns every score of :func:`score_predictions` (a multi-metric
    callable scorer, as scikit-learn accepts), so that cross-validation reports exactly what
    the benchmark, the command line and the demo print. Plain class (not a closure), so it
    pickles into joblib workers.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Which scores.
    target_names : sequence of str or None, default=None
        Regression target names (see :func:`score_predictions`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.model_selection import cross_validate
    >>> from sk_deepsense.metrics import PredictionScorer
    >>> X, y = np.zeros((8, 1)), np.array(["Q1", "Q2"] * 4)
    >>> cv = cross_validate(DummyClassifier(), X, y, cv=2, scoring=PredictionScorer())
    >>> sorted(k for k in cv if k.startswith("test_"))
    ['test_accuracy', 'test_macro_f1']
    """

    def __init__(
        self, task: str = "classification", target_names: Sequence[str] | None = None
    ) -> None:
        self.task = task
        self.target_names = None if target_names is None else list(target_names)

    def __call__(self, estimator: Any, X: Any, y: Any) -> dict[str, float]:
        """Score ``estimator``'s predictions of ``X`` against ``y``."""
        return self.score(y, estimator.predict(X))

    def score(self, y_true: Any, y_pred: Any) -> dict[str, float]:
        """Score predictions already made (:func:`score_predictions` with these settings).

        Parameters
        ----------
        y_true, y_pred : array-like
            Targets and predictions.

        Returns
        -------
        scores : dict of str to float
            Score name -> value.
        """
        return score_predictions(y_true, y_pred, task=self.task, target_names=self.target_names)
