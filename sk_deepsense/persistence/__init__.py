"""Save and load fitted models in a format that does not run code when loaded.

A joblib (pickle) file can run arbitrary code while it is being loaded, so a model in one
must only be loaded from a trusted source. :func:`save_model` writes the models of this
package to a ``.skds`` file that holds data only, and :func:`load_model` rebuilds the model
from it without unpickling anything:

- ``model.json``: the format version, the library versions the model was saved with, the
  structure (each estimator's class, from a fixed list, and its ``get_params``; the
  estimators of a nested Pipeline, FeatureUnion or CalibratedClassifierCV as entries of
  their own) and the fitted attributes that are not tensors (classes, coefficients,
  support vectors, target statistics, training history, ...);
- ``weights.pt``: the networks' tensors (their modules' ``state_dict``), read back with
  ``torch.load(..., weights_only=True)``; absent when the model has no network.

Supported models: the networks (:class:`~sk_deepsense.HybridCNNLSTMClassifier`,
:class:`~sk_deepsense.HybridCNNLSTMRegressor`, ``HybridCNNLSTMDynamicRegressor``), the
feature steps (:class:`~sk_deepsense.MFCCTransformer`,
:class:`~sk_deepsense.LogMelTransformer`, :class:`~sk_deepsense.MusicnnTransformer`,
:class:`~sk_deepsense.features.DescriptorTransformer`,
:class:`~sk_deepsense.SequenceStatistics`), scikit-learn's
:class:`~sklearn.preprocessing.StandardScaler`,
:class:`~sklearn.linear_model.LogisticRegression`, :class:`~sklearn.linear_model.Ridge`,
:class:`~sklearn.svm.SVC` and
:class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid, of an SVC or a logistic
regression), and :class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.pipeline.FeatureUnion` of any of these, nested, with one network at most.
The musicnn front end is referenced, not copied: a file names the shipped weights and
their SHA-256, and loads only where sk_deepsense ships the same ones. Use joblib for
anything else.

Layout: ``_format`` holds what the file is (names, version, the classes it may name,
parameter encoding), ``_save`` and ``_load`` the two
directions. Persistence knows nothing of a network's internals: it calls the estimator's
``_get_fitted_state()`` (JSON data and named tensors) and ``_set_fitted_state(state,
tensors)`` (see :mod:`sk_deepsense.neural._state`), so a fitted attribute is saved by the
estimator that owns it. The fitted state of the other classes, which are not ours to
change, is an allowlist per class in ``_fitted`` (each attribute's dtype and its shape in
terms of the others), read from scikit-learn's source and checked by round trips.

Why not skops or safetensors (considered for issue 13): ``skops.io`` rebuilds arbitrary
objects from type names the user must trust, and a skorch net means trusting torch and
skorch types whose construction runs their code; the fixed list of classes and validated
parameters and fitted attributes here is narrower. ``safetensors`` stores tensors with no
pickle at all, but ``torch.load(weights_only=True)`` already reads nothing but tensors (a
restricted unpickler; tested against live payloads), so it would add a compiled dependency
for no gain in what a file can do. Persistence now sees only a ``dict`` of named tensors, so
switching ``weights.pt`` to safetensors later is a change to ``_save``/``_load`` alone.
"""

import lazy_loader as _lazy

# Lazy, as the package root: torch is imported when a name of __init__.pyi is first used.
# The names are listed once, in __init__.pyi, which type checkers read too.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
