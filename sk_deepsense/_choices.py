"""The names users choose from: architectures, poolings, baselines, audio features.

A module with no imports, so that the command line can offer these choices (and answer
``--help``) without loading torch or scikit-learn. The estimators validate against the same
tuples: each list is written once, here.
"""

__all__ = ["ARCHITECTURES", "BASELINES", "CAUSAL_ARCHITECTURES", "FEATURES", "POOLINGS"]

#: Names accepted by ``architecture`` of the networks.
ARCHITECTURES = ("hybrid", "conv1d", "conv2d", "lstm", "hybrid_nolstm")
#: Architectures whose output at frame t depends on frames ``0..t`` only.
CAUSAL_ARCHITECTURES = ("hybrid", "lstm", "hybrid_nolstm")
#: Names accepted by ``pooling`` of the networks.
POOLINGS = ("mean", "meanstd", "last")
#: Names accepted by :func:`~sk_deepsense.make_baseline`.
BASELINES = ("majority", "svm", "logreg", "random_forest", "knn")
#: Audio feature transformers by short name (``sk-deepsense train --features``).
FEATURES = ("logmel", "mfcc", "descriptors")
