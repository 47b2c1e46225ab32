"""Scores of music emotion recognition: classification, arousal/valence regression, series.

One scoring function, :func:`score_predictions`, is shared by the benchmark, the command
line and the demo, so that every figure the package prints is computed the same way. For
time-varying predictions (:class:`~sk_deepsense.HybridCNNLSTMDynamicRegressor`),
:func:`dynamic_scores` follows the MediaEval "Emotion in Music" protocol: each score is
computed per song over its annotated steps, then averaged over the songs;
:func:`make_dynamic_scorer` and ``PredictionScorer(task="dynamic")`` make them ``scoring``
arguments of :func:`~sklearn.model_selection.cross_validate` and
:class:`~sklearn.model_selection.GridSearchCV`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from ._choices import output_names
from .exceptions import ParameterError

__all__ = [
    "PredictionScorer",
    "ccc",
    "dynamic_scores",
    "make_dynamic_scorer",
    "score_predictions",
]


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
    (:func:`ccc`). Dynamic (series per clip): the same names, per song then averaged
    (:func:`dynamic_scores`).

    Parameters
    ----------
    y_true, y_pred : array-like [shape=(n_samples,) or (n_samples, n_targets)]
        Targets and predictions; for ``task="dynamic"``, series
        ``(n_clips, n_steps[, n_targets])`` with NaN where a step is not annotated.
    task : {"classification", "regression", "dynamic"}, default="classification"
        Which scores.
    target_names : sequence of str or None, default=None
        Regression target names, one per column (default ``"output_0"``, ``"output_1"``,
        ...).

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
    if task == "dynamic":
        return dynamic_scores(y_true, y_pred, target_names=target_names)
    if task == "classification":
        return {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
        }
    truth = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(len(truth), -1)
    names = _target_names(target_names, truth.shape[1])
    scores: dict[str, float] = {}
    for j, target in enumerate(names):
        scores[f"{target}_rmse"] = float(np.sqrt(np.mean((truth[:, j] - pred[:, j]) ** 2)))
        scores[f"{target}_r"] = _pearson(truth[:, j], pred[:, j])
        scores[f"{target}_ccc"] = ccc(truth[:, j], pred[:, j])
    return scores


def _target_names(target_names: Sequence[str] | None, k: int) -> list[str]:
    names = list(target_names) if target_names else output_names(k)
    if len(names) != k:
        raise ParameterError(f"target_names has {len(names)} names for {k} targets")
    return names


def dynamic_scores(
    y_true: Any, y_pred: Any, *, target_names: Sequence[str] | None = None
) -> dict[str, float]:
    """Per-song RMSE, Pearson r and CCC of series predictions, averaged over songs.

    The MediaEval "Emotion in Music" protocol (Aljanaki, Yang & Soleymani, 2017): for each
    song and target, the RMSE, Pearson's r and Lin's CCC between its annotated steps and the
    predictions at those steps; then the mean over songs. A song's r and CCC need two
    annotated steps: songs with fewer count in the RMSE only. As in
    :func:`score_predictions`, r is 0 where either series is constant within a song (a
    clip-level model's prediction repeated at every step has no correlation to measure).

    Parameters
    ----------
    y_true : array-like [shape=(n_clips, n_steps) or (n_clips, n_steps, n_targets)]
        Annotated series, NaN where a step has no annotation.
    y_pred : array-like [shape=(n_clips, n_steps') or (n_clips, n_steps', n_targets)]
        Predicted series (e.g. ``HybridCNNLSTMDynamicRegressor.predict``); every annotated
        step needs a finite prediction.
    target_names : sequence of str or None, default=None
        One name per target (default ``"output_0"``, ``"output_1"``, ...).

    Returns
    -------
    scores : dict of str to float
        ``{name}_rmse``, ``{name}_r``, ``{name}_ccc`` for each target.

    Raises
    ------
    ValueError
        If the shapes differ, or an annotated step has no finite prediction (naming the
        clip).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense.metrics import dynamic_scores
    >>> y_true = np.array([[0.1, 0.2, 0.3, np.nan], [0.5, 0.4, 0.3, 0.2]])
    >>> y_pred = np.array([[0.1, 0.2, 0.5, 0.0], [0.5, 0.5, 0.5, 0.5]])
    >>> {k: round(v, 3) for k, v in dynamic_scores(y_true, y_pred).items()}
    {'output_0_rmse': 0.151, 'output_0_r': 0.48, 'output_0_ccc': 0.333}
    """
    from .dynamic import paired_steps_by_clip

    truth, pred, counts = paired_steps_by_clip(y_true, y_pred)  # an error names the clip
    names = _target_names(target_names, truth.shape[1])
    per_song: dict[str, list[float]] = {f"{n}_{m}": [] for n in names for m in ("rmse", "r", "ccc")}
    ends = np.cumsum(counts)[:-1]
    for t, p in zip(np.split(truth, ends), np.split(pred, ends), strict=True):
        if len(t) == 0:
            continue
        for j, name in enumerate(names):
            per_song[f"{name}_rmse"].append(float(np.sqrt(np.mean((t[:, j] - p[:, j]) ** 2))))
            if len(t) >= 2:
                per_song[f"{name}_r"].append(_pearson(t[:, j], p[:, j]))
                per_song[f"{name}_ccc"].append(ccc(t[:, j], p[:, j]))
    if not per_song[f"{names[0]}_rmse"]:
        raise ParameterError("y_true has no annotated step.")
    return {k: float(np.mean(v)) if v else float("nan") for k, v in per_song.items()}


def _dynamic_metric(y_true: Any, y_pred: Any, *, metric: str, target: int | None) -> float:
    t = np.asarray(y_true, dtype=np.float64)
    k = 1 if t.ndim == 2 else t.shape[2]
    scores = dynamic_scores(y_true, y_pred)
    names = output_names(k)
    targets = range(k) if target is None else [target]
    return float(np.mean([scores[f"{names[j]}_{metric}"] for j in targets]))


def make_dynamic_scorer(metric: str = "ccc", *, target: int | None = None) -> Any:
    """Make a scikit-learn scorer of series predictions: one :func:`dynamic_scores` metric.

    For ``scoring=`` of :class:`~sklearn.model_selection.GridSearchCV` and
    :func:`~sklearn.model_selection.cross_validate` (several at once:
    ``PredictionScorer(task="dynamic")``).

    Parameters
    ----------
    metric : {"rmse", "r", "ccc"}, default="ccc"
        Per-song RMSE (negated: greater is better, as scikit-learn's ``neg_*`` scorers),
        Pearson r or CCC, averaged over songs.
    target : int or None, default=None
        Score this target column only (0: arousal, 1: valence for the loaders' order);
        ``None`` averages the targets.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, as :func:`sklearn.metrics.make_scorer` returns.

    Examples
    --------
    >>> from sk_deepsense.metrics import make_dynamic_scorer
    >>> import numpy as np
    >>> from sk_deepsense.dynamic import FrameRidgeRegressor
    >>> X = np.random.default_rng(0).normal(size=(4, 6, 2))
    >>> y = X[:, :, :1] + 1.0  # one target per frame
    >>> reg = FrameRidgeRegressor(alpha=1e-9).fit(X, y)
    >>> round(make_dynamic_scorer("rmse", target=0)(reg, X, y), 6)
    -0.0
    """
    from sklearn.metrics import make_scorer

    if metric not in ("rmse", "r", "ccc"):
        raise ParameterError(f"metric must be 'rmse', 'r' or 'ccc', got {metric!r}.")
    return make_scorer(
        _dynamic_metric, greater_is_better=metric != "rmse", metric=metric, target=target
    )


class PredictionScorer:
    """A ``scoring`` callable for :func:`~sklearn.model_selection.cross_validate`.

    It predicts once and returns every score of :func:`score_predictions` (a multi-metric
    callable scorer, as scikit-learn accepts), so that cross-validation reports exactly what
    the benchmark, the command line and the demo print. Plain class (not a closure), so it
    pickles into joblib workers.

    Parameters
    ----------
    task : {"classification", "regression", "dynamic"}, default="classification"
        Which scores (``"dynamic"``: per-song series scores, :func:`dynamic_scores`).
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
