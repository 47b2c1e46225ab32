"""The names users choose from: architectures, poolings, baselines, audio features.

A module with no imports, so that the command line can offer these choices (and answer
``--help``) without loading torch or scikit-learn. The estimators validate against the same
tuples: each list is written once, here.
"""

__all__ = [
    "ARCHITECTURES",
    "BASELINES",
    "BENCHMARK_MODELS",
    "CAUSAL_ARCHITECTURES",
    "FEATURES",
    "RECOMMENDED",
    "MODEL_ALIASES",
    "MODEL_LABELS",
    "POOLINGS",
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
#: Old spellings of model names (the table labels that ``benchmark --models`` took until
#: sk_deepsense 0.1), accepted with a deprecation note for one release: old -> name.
MODEL_ALIASES = {label: name for task in MODEL_LABELS.values() for name, label in task.items()}
