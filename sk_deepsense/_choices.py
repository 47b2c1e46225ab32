"""The names users choose from (architectures, poolings, ...) and those of unnamed outputs.

A module with no imports, so that the command line can offer these choices (and answer
``--help``) without loading torch or scikit-learn. The estimators validate against the same
tuples: each list is written once, here. :func:`output_names` is the one default naming of
outputs a model does not name (records, timelines, plots, scores, the benchmark).
"""

__all__ = [
    "ARCHITECTURES",
    "BASELINES",
    "BENCHMARK_MODELS",
    "CAUSAL_ARCHITECTURES",
    "FEATURES",
    "RECOMMENDED",
    "MODEL_LABELS",
    "POOLINGS",
    "default_output_names",
    "output_names",
    "target_names",
]

#: Names accepted by ``architecture`` of the networks.
ARCHITECTURES = ("hybrid", "conv1d", "conv2d", "lstm", "hybrid_nolstm")
#: Architectures whose output at frame t depends on frames ``0..t`` only.
CAUSAL_ARCHITECTURES = ("hybrid", "lstm", "hybrid_nolstm")
#: Names accepted by ``pooling`` of the networks.
POOLINGS = ("mean", "meanstd", "last")
#: Names accepted by :func:`~sk_deepsense.make_baseline`.
BASELINES = ("majority", "svm", "logreg", "random_forest", "knn")
#: Audio feature transformers by short name (``sk-deepsense train --features``).
FEATURES = ("logmel", "mfcc", "descriptors", "musicnn")
#: The model ``sk-deepsense train`` fits by default: :func:`~sk_deepsense.make_recommended`.
RECOMMENDED = "recommended"

#: Model names of the command line, in the benchmark table's order: every name of
#: ``train --model`` (:data:`ARCHITECTURES` and :data:`BASELINES`), which
#: ``benchmark --models`` accepts alike, then the rows only the benchmark has: the SVM with
#: delta statistics (``svm_deltas``) or on descriptors (``svm_descriptors``), the hybrid on
#: MFCCs (``hybrid_mfcc``; ``train --model hybrid --features mfcc``) and ``fusion``
#: (classification only).
BENCHMARK_MODELS = (
    "recommended",
    "majority",
    "svm",
    "svm_deltas",
    "logreg",
    "random_forest",
    "knn",
    "svm_descriptors",
    "hybrid_mfcc",
    "hybrid",
    "conv1d",
    "conv2d",
    "lstm",
    "hybrid_nolstm",
    "fusion",
)
#: The benchmark table's label of a model, by task, where it is not the model's name.
MODEL_LABELS = {
    "classification": {
        "svm_deltas": "svm, +delta stats",
        "random_forest": "random forest",
        "svm_descriptors": "svm, descriptors",
        "hybrid_mfcc": "hybrid, MFCC",
        "conv1d": "conv1d+lstm",
        "conv2d": "conv2d+lstm",
        "hybrid_nolstm": "hybrid, no lstm",
    },
}
MODEL_LABELS["regression"] = {
    **MODEL_LABELS["classification"],
    "majority": "mean",
    "logreg": "ridge",
}


def output_names(n_outputs: int) -> list[str]:
    """Return the names of ``n_outputs`` unnamed output columns: ``output_0``, ``output_1``, ...

    Every place that names columns a model leaves unnamed (class probabilities without
    ``classes_``, regression targets without names) uses these names, and nothing guesses
    more from the count (four probability columns are not assumed to be quadrants).

    Examples
    --------
    >>> output_names(2)
    ['output_0', 'output_1']
    """
    return [f"output_{j}" for j in range(n_outputs)]


def target_names(n_outputs: int) -> list[str]:
    """Return the names of a regression model's outputs: ``arousal, valence``, else unnamed.

    Every regression source of the library (labels CSV, dataset loaders) orders the targets
    (arousal, valence); other counts get :func:`output_names`.

    Examples
    --------
    >>> target_names(2), target_names(1)
    (['arousal', 'valence'], ['output_0'])
    """
    return ["arousal", "valence"] if n_outputs == 2 else output_names(n_outputs)


def default_output_names(kind: str, k: int) -> list[str]:
    """Names of ``k`` prediction columns when the model gives none.

    Parameters
    ----------
    kind : {"proba", "av"}
        Class probabilities or regression outputs.
    k : int
        Number of columns.

    Returns
    -------
    names : list of str
        :func:`output_names` for probabilities (named by the model's ``classes_`` where it
        has them), :func:`target_names` for regression outputs.

    Examples
    --------
    >>> default_output_names("proba", 4), default_output_names("av", 2)
    (['output_0', 'output_1', 'output_2', 'output_3'], ['arousal', 'valence'])
    """
    return output_names(k) if kind == "proba" else target_names(k)
