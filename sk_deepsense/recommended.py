"""The model this library recommends for real music: a pre-trained front end and a small head.

Chosen on ``4q-dev`` only (400 clips of the 4Q emotion dataset, artist-grouped 5-fold
cross-validation over three shufflings; ``benchmarks/study_musicnn_heads.py`` and
``docs/transfer.rst`` give the study and its figures).
"""

from __future__ import annotations

import os
from typing import Literal

import joblib
from sklearn.pipeline import Pipeline

from .exceptions import ParameterError

__all__ = ["RECOMMENDED_C", "RECOMMENDED_RIDGE_ALPHA", "make_recommended"]

#: Inverse regularisation of the recommended classifier's logistic regression (4q-dev:
#: C=0.01 scored best of 0.003, 0.01, 0.03, 0.1, 1 with the recommended features).
RECOMMENDED_C = 0.01
#: Regularisation of the recommended regressor's ridge regression. Chosen on a proxy: the
#: arousal and valence signs of 4q-dev's quadrants (+1/-1), artist-grouped 5-fold x 3 seeds,
#: mean correlation 0.801/0.627 at 1000 against 0.800/0.589 at 100 and 0.748/0.577 at 1e4;
#: this project holds too few annotated clips (14) to tune it on real arousal/valence.
RECOMMENDED_RIDGE_ALPHA = 1000.0


def make_recommended(
    task: Literal["classification", "regression"] = "classification",
    *,
    random_state: int | None = None,
    memory: str | os.PathLike | joblib.Memory | None = None,
    n_jobs: int | None = None,
) -> Pipeline:
    """Return the unfitted model recommended for real music: audio paths in.

    :class:`~sk_deepsense.MusicnnTransformer` (the pre-trained ``MSD_musicnn`` tagger
    shipped with the package: its 200-unit penultimate layer and its 50 tag probabilities,
    for each 3-s patch of the first 30 s of a clip), pooled by
    :class:`~sk_deepsense.SequenceStatistics` (mean and standard deviation over the
    patches), then :class:`~sklearn.preprocessing.StandardScaler` and a strongly
    regularised :class:`~sklearn.linear_model.LogisticRegression` (``C=0.01``) for
    classification, or a :class:`~sklearn.linear_model.Ridge` (``alpha=1000``, one or several
    targets: arousal and valence) for regression. Only the linear model is learned: it fits
    in seconds once the features are cached, and generalises to artists it has never heard
    better than the networks trained from scratch on a few hundred clips (see
    :doc:`/transfer` for the study and its figures). It saves to a ``.skds`` file (the front
    end is referenced by its checksum, not copied) and predicts whole songs (the mean over
    their 30-s windows), libraries and timelines like any pipeline of the package.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Emotion classes (e.g. quadrants) or continuous targets (e.g. arousal and valence).
    random_state : int or None, default=None
        Accepted for a uniform interface with the networks: the recommended model is
        deterministic (lbfgs and the closed-form ridge use no randomness), so it seeds
        nothing.
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Feature cache of the transformer (see :class:`~sk_deepsense.MusicnnTransformer`): a
        grid search or a refit then reads each file once.
    n_jobs : int or None, default=None
        Files decoded in parallel (the musicnn forward passes run one at a time, on torch's
        threads).

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Unfitted; steps ``musicnn`` (the transformer) and ``clf``, itself a pipeline of
        ``stats``, ``scale`` and ``model`` (the logistic or ridge regression), as
        :func:`~sk_deepsense.make_baseline` builds its heads: ``clf__model__C`` is the
        regularisation, for a grid search or ``sk-deepsense train --set``.

    Raises
    ------
    ValueError
        If ``task`` is neither ``"classification"`` nor ``"regression"``.

    See Also
    --------
    make_fusion : The network and the descriptor SVM, soft-voting (trained from scratch).
    MusicnnTransformer : The pre-trained front end alone.

    Examples
    --------
    >>> from sk_deepsense import make_recommended
    >>> model = make_recommended(memory="~/.cache/sk_deepsense")
    >>> [name for name, _ in model.steps]
    ['musicnn', 'clf']
    >>> [name for name, _ in model.named_steps["clf"].steps]
    ['stats', 'scale', 'model']
    >>> model.get_params()["clf__model"]
    LogisticRegression(C=0.01, max_iter=5000)
    >>> make_recommended("regression")[-1][-1]
    Ridge(alpha=1000.0)
    """
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.preprocessing import StandardScaler

    from .features import MusicnnTransformer, SequenceStatistics

    if task not in ("classification", "regression"):
        raise ParameterError(f"task must be 'classification' or 'regression', got {task!r}")
    musicnn = MusicnnTransformer(
        output=["penultimate", "taggram"], duration=30.0, n_jobs=n_jobs, memory=memory
    )
    if task == "classification":
        model = LogisticRegression(C=RECOMMENDED_C, max_iter=5000)
    else:
        model = Ridge(alpha=RECOMMENDED_RIDGE_ALPHA)
    head = Pipeline(
        [("stats", SequenceStatistics()), ("scale", StandardScaler()), ("model", model)]
    )
    return Pipeline([("musicnn", musicnn), ("clf", head)])
