"""make_fusion: the hybrid network and the strongest classical model as one estimator."""

from __future__ import annotations

import os
from collections.abc import Sequence

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from .baselines import make_baseline
from .features import DescriptorTransformer, LogMelTransformer, SequenceStatistics
from .neural import HybridCNNLSTMClassifier

__all__ = ["make_fusion"]


def make_fusion(
    *,
    hybrid: Pipeline | None = None,
    classical: Pipeline | None = None,
    weights: Sequence[float] | None = None,
    memory: str | os.PathLike | joblib.Memory | None = None,
    n_jobs: int | None = None,
    random_state: int | None = None,
) -> VotingClassifier:
    """Soft-voting ensemble of the hybrid network and a classical model, on audio paths.

    The two models err differently: the network reads the log-mel spectrogram frame by frame,
    the classical model per-clip statistics of hand-crafted descriptors. Averaging their
    class probabilities is a plain scikit-learn
    :class:`~sklearn.ensemble.VotingClassifier`, so the result clones, grid-searches
    (``hybrid__clf__lr``, ``classical__model__C``, ``weights``), cross-validates and pickles
    with joblib like any estimator. (:func:`~sk_deepsense.save_model` does not support the
    ensemble: use joblib, and load only files you trust. Each half alone it saves.)

    Parameters
    ----------
    hybrid : Pipeline or None, default=None
        Audio paths -> class probabilities by the network. ``None``: the recommended
        pipeline, ``LogMelTransformer`` then ``HybridCNNLSTMClassifier`` with their defaults.
    classical : Pipeline or None, default=None
        Audio paths -> class probabilities by a classical model. ``None``: an RBF SVM, its
        scores mapped to probabilities by Platt scaling
        (``CalibratedClassifierCV(SVC(), ensemble=False, cv=3)``), on the mean and standard
        deviation of every
        :class:`~sk_deepsense.features.DescriptorTransformer` descriptor and of its
        frame-to-frame differences (46 ms frames): the strongest classical model of the
        4Q benchmark.
    weights : sequence of 2 floats or None, default=None
        Weights of the two models' probabilities; ``None`` weighs them equally.
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Feature cache of both default pipelines' transformers: with it, a cross-validation
        or grid search decodes each file once per kind of feature, whatever the number of
        fits.
    n_jobs : int or None, default=None
        Extraction threads of both default pipelines' transformers.
    random_state : int or None, default=None
        Seeds the network (the SVM and its calibration are deterministic).

    Returns
    -------
    fusion : sklearn.ensemble.VotingClassifier
        Unfitted; estimators ``"hybrid"`` and ``"classical"``, ``voting="soft"``.

    Examples
    --------
    >>> from sk_deepsense import make_fusion
    >>> fusion = make_fusion(memory="~/.cache/sk_deepsense", random_state=0)
    >>> [name for name, _ in fusion.estimators]
    ['hybrid', 'classical']
    """
    if hybrid is None:
        hybrid = Pipeline(
            [
                ("features", LogMelTransformer(n_jobs=n_jobs, memory=memory)),
                ("clf", HybridCNNLSTMClassifier(random_state=random_state)),
            ]
        )
    if classical is None:
        classical = make_baseline(
            "svm",
            features=DescriptorTransformer(hop_length=1024, n_jobs=n_jobs, memory=memory),
            statistics=SequenceStatistics(deltas=True),
        )
        # Platt-scaled probabilities, as SVC(probability=True) gave (deprecated since 1.9)
        classical.set_params(model=CalibratedClassifierCV(SVC(), ensemble=False, cv=3))
    if weights is not None:
        weights = [float(w) for w in np.asarray(weights, dtype=float).ravel()]
    return VotingClassifier(
        [("hybrid", hybrid), ("classical", classical)], voting="soft", weights=weights
    )
