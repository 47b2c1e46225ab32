"""Save and load fitted models in a format that does not run code when loaded.

A joblib (pickle) file can run arbitrary code while it is being loaded, so a model in one
must only be loaded from a trusted source. :func:`save_model` writes the models of this
package to a ``.skds`` file that holds data only, and :func:`load_model` rebuilds the model
from it without unpickling anything:

- ``model.json``: the format version, the library versions the model was saved with, the
  structure (each estimator's class, from a fixed list, and its ``get_params``) and, for a
  network, the fitted attributes that are not tensors (classes, target statistics, training
  history, ...);
- ``weights.pt``: the networks' tensors (their modules' ``state_dict``), read back with
  ``torch.load(..., weights_only=True)``; absent when the model has no network.

Supported models: a fitted :class:`~sk_deepsense.HybridCNNLSTMClassifier` or
:class:`~sk_deepsense.HybridCNNLSTMRegressor`, a :class:`~sk_deepsense.MFCCTransformer` or
:class:`~sk_deepsense.LogMelTransformer`, and a fitted :class:`~sklearn.pipeline.Pipeline`
made of those (e.g. an ``MFCCTransformer`` followed by one network). Use joblib for anything
else.

Layout: ``_format`` holds what the file is (names, version, the classes it may name,
parameter encoding, reading files of format 1), ``_save`` and ``_load`` the two
directions. Persistence knows nothing of a network's internals: it calls the estimator's
``_get_fitted_state()`` (JSON data and named tensors) and ``_set_fitted_state(state,
tensors)`` (see :mod:`sk_deepsense.neural._state`), so a fitted attribute is saved by the
estimator that owns it.

Why not skops or safetensors (considered for issue 13): ``skops.io`` rebuilds arbitrary
objects from type names the user must trust, and a skorch net means trusting torch and
skorch types whose construction runs their code; the fixed list of four classes and
validated parameters here is narrower. ``safetensors`` stores tensors with no pickle at all,
but ``torch.load(weights_only=True)`` already reads nothing but tensors (a restricted
unpickler; tested against live payloads), so it would add a compiled dependency for no gain
in what a file can do. Persistence now sees only a ``dict`` of named tensors, so switching
``weights.pt`` to safetensors later is a change to ``_save``/``_load`` alone.
"""

import lazy_loader as _lazy

# Lazy, as the package root: torch is imported when a name below is first used.
__getattr__, _dir, _ = _lazy.attach(
    __name__,
    submod_attrs={
        "_format": ["FORMAT_VERSION", "ModelVersionWarning"],
        "_load": ["load_model"],
        "_save": ["save_model"],
    },
)

__all__ = ["FORMAT_VERSION", "ModelVersionWarning", "load_model", "save_model"]


def __dir__() -> list[str]:
    return list(__all__)
