"""The benchmark's model zoo: every row of its table, as a pipeline on audio paths."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from .._choices import BENCHMARK_MODELS, MODEL_LABELS
from ..baselines import make_baseline
from ..exceptions import ParameterError
from ..features import SequenceStatistics
from ..neural import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor

__all__ = ["NEURAL_MODELS", "audio_steps", "default_models", "is_network", "model_label"]

#: Network rows of the table: label -> ``architecture``.
NEURAL_MODELS = {
    "hybrid": "hybrid",
    "conv1d+lstm": "conv1d",
    "conv2d+lstm": "conv2d",
    "lstm": "lstm",
    "hybrid, no lstm": "hybrid_nolstm",
}


def model_label(name: str, task: str = "classification") -> str:
    """Return the table label of a model name of the command line.

    Parameters
    ----------
    name : str
        One of :data:`sk_deepsense._choices.BENCHMARK_MODELS` (``benchmark --models``), e.g.
        ``"random_forest"``.
    task : {"classification", "regression"}, default="classification"
        The labels differ by task for the chance row and the linear model.

    Returns
    -------
    label : str
        The row's label in the table and the result files, e.g. ``"random forest"``; the
        keys of :func:`default_models`.

    Examples
    --------
    >>> from sk_deepsense.benchmark import model_label
    >>> model_label("hybrid_nolstm"), model_label("svm"), model_label("majority", "regression")
    ('hybrid, no lstm', 'svm', 'mean')
    """
    if name not in BENCHMARK_MODELS:
        raise ParameterError(f"name must be one of {list(BENCHMARK_MODELS)}, got {name!r}")
    return MODEL_LABELS[task].get(name, name)


def default_models(
    task: str = "classification",
    *,
    neural: Mapping[str, Any] | None = None,
    features: Mapping[str, Any] | None = None,
    memory: str | os.PathLike | None = None,
    n_jobs: int | None = None,
) -> dict[str, Callable[[int], Any]]:
    """Build the benchmark's models, pipelines on audio paths: name -> factory(seed).

    Rows, in table order, keyed by their table labels (:func:`model_label` of the names of
    ``benchmark --models``):

    - ``"recommended"``: :func:`~sk_deepsense.make_recommended`, the pre-trained musicnn
      front end and a linear head (``features`` reach its transformer where it has the
      parameter, e.g. ``duration``);
    - classical baselines on per-clip MFCC statistics (:func:`~sk_deepsense.make_baseline`:
      majority, SVM, SVM with delta statistics, logistic regression or ridge, random forest,
      k-NN);
    - ``"svm, descriptors"``: the SVM on the statistics (and delta statistics) of the
      :class:`~sk_deepsense.features.DescriptorTransformer` descriptors, the strongest
      classical model;
    - ``"hybrid, MFCC"``: ``MFCCTransformer`` then ``HybridCNNLSTMClassifier`` (or the
      regressor) with their defaults, as the design card draws it;
    - ``"hybrid"``: the recommended pipeline, ``LogMelTransformer`` then the network with
      its defaults; then the ablations on the same log-mel input (``"conv1d+lstm"``,
      ``"conv2d+lstm"``, ``"lstm"``, ``"hybrid, no lstm"``);
    - classification only, ``"fusion"``: :func:`~sk_deepsense.make_fusion` of the two
      (``"hybrid"`` and ``"svm, descriptors"``).

    Every audio transformer shares ``memory``, so each file is decoded once per kind of
    feature for the whole benchmark.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Which estimators to build.
    neural : mapping or None, default=None
        Extra hyperparameters for every network (e.g. ``{"max_epochs": 3}`` for a smoke test).
    features : mapping or None, default=None
        Extra parameters for the audio transformers, each given to those that have it (e.g.
        ``{"duration": 10.0, "n_mfcc": 13}``).
    memory : str, os.PathLike or None, default=None
        Feature cache folder of every audio transformer.
    n_jobs : int or None, default=None
        Extraction threads of every audio transformer.

    Returns
    -------
    models : dict
        Ordered name -> ``factory(seed) -> unfitted pipeline on audio paths``.
    """
    from sklearn.pipeline import Pipeline

    from ..features import DescriptorTransformer, LogMelTransformer, MFCCTransformer
    from ..fusion import make_fusion
    from ..recommended import make_recommended

    # the runner gives each fit cpu_count // n_jobs threads: the networks use them
    neural = {"n_threads": None, **dict(neural or {})}
    net = HybridCNNLSTMClassifier if task == "classification" else HybridCNNLSTMRegressor

    def transformer(cls, **defaults):
        params = {**defaults, **dict(features or {}), "memory": memory, "n_jobs": n_jobs}
        return cls(**{k: v for k, v in params.items() if k in cls().get_params()})

    def mfcc():
        return transformer(MFCCTransformer)

    def logmel():
        return transformer(LogMelTransformer)

    def descriptors():
        return transformer(DescriptorTransformer, hop_length=1024)

    kind = cast(Literal["classification", "regression"], task)  # checked at run time

    def baseline(model, seed=None, **kw):
        return make_baseline(model, task=kind, features=mfcc(), random_state=seed, **kw)

    def network(features, seed, **kw):
        return Pipeline([("features", features), ("model", net(random_state=seed, **kw))])

    def recommended():
        model = make_recommended(task, memory=memory, n_jobs=n_jobs)
        known = model[0].get_params()
        model[0].set_params(**{k: v for k, v in dict(features or {}).items() if k in known})
        return model

    factories: dict[str, Callable[[int], Any]] = {
        "recommended": lambda seed: recommended(),
        "majority": lambda seed: baseline("majority"),
        "svm": lambda seed: baseline("svm"),
        "svm_deltas": lambda seed: baseline("svm", statistics=SequenceStatistics(deltas=True)),
        "logreg": lambda seed: baseline("logreg"),
        "random_forest": lambda seed: baseline("random_forest", seed),
        "knn": lambda seed: baseline("knn"),
        "svm_descriptors": lambda seed: make_baseline(
            "svm",
            task=kind,
            features=descriptors(),
            statistics=SequenceStatistics(deltas=True),
        ),
        "hybrid_mfcc": lambda seed: network(mfcc(), seed, **neural),
    }
    for arch in NEURAL_MODELS.values():
        # the default binds this arch (a closure would see the last); mypy cannot type it
        factories[arch] = lambda seed, arch=arch: network(  # type: ignore[misc]
            logmel(), seed, **{"architecture": arch, **neural}
        )
    if task == "classification":
        factories["fusion"] = lambda seed: make_fusion(
            hybrid=factories["hybrid"](seed), classical=None, memory=memory, n_jobs=n_jobs
        ).set_params(classical__features=descriptors())
    return {model_label(n, task): factories[n] for n in BENCHMARK_MODELS if n in factories}


def is_network(model: Any) -> bool:
    """Tell whether a model trains a network (the runner starts it first; the plot colours it).

    A model trains a network when it, or an estimator inside it (a pipeline's step, a voting
    ensemble's member, at any depth), declares the capability ``network``
    (:mod:`sk_deepsense._tags`); its name plays no part.

    Parameters
    ----------
    model : estimator
        A model of the table, e.g. ``default_models()[name](0)``.

    Returns
    -------
    bool
        True for the networks and the fusion (whose soft vote holds one).
    """
    from sklearn.base import BaseEstimator

    from .._tags import capabilities

    parts = [model, *model.get_params(deep=True).values()]
    return any(capabilities(p).network for p in parts if isinstance(p, BaseEstimator))


def audio_steps(model: Any) -> list[Any]:
    """Return the audio transformers inside a pipeline or a fusion (nested ones included).

    Parameters
    ----------
    model : object
        An estimator, a :class:`~sklearn.pipeline.Pipeline` or a voting ensemble.

    Returns
    -------
    transformers : list of BaseAudioTransformer
        Every audio transformer found, in step order.
    """
    from sklearn.ensemble import VotingClassifier
    from sklearn.pipeline import Pipeline

    from ..features import BaseAudioTransformer

    if isinstance(model, BaseAudioTransformer):
        return [model]
    if isinstance(model, Pipeline):
        return [t for _, step in model.steps for t in audio_steps(step)]
    if isinstance(model, VotingClassifier):
        return [t for _, est in model.estimators for t in audio_steps(est)]
    return []
