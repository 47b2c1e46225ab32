"""Write a model to a ``.skds`` file: :func:`save_model`."""

from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from pathlib import Path
from typing import Any

import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import FeatureUnion, Pipeline

from ..exceptions import OutputExistsError, ParameterTypeError
from ..features import MusicnnTransformer
from ._fitted import STATE, fitted_state
from ._format import (
    _JOBLIB_HINT,
    CALIBRATED,
    FORMAT_NAME,
    FORMAT_VERSION,
    JSON_MEMBER,
    NESTED,
    WEIGHTS_MEMBER,
    class_name,
    json_params,
    musicnn_record,
    versions,
)

__all__ = ["save_model"]


def _has_fitted_state(estimator: Any) -> bool:
    """Whether ``estimator`` keeps fitted state beyond its parameters (the networks)."""
    return hasattr(estimator, "_get_fitted_state")


class _Describer:
    """Turns estimators into entries of the structure, collecting the networks' tensors."""

    def __init__(self) -> None:
        self.networks: list[str] = []
        self.state: dict[str, torch.Tensor] | None = None

    def entry(self, est: Any, name: str | None, owner: str, *, fitted: bool = True) -> dict:
        """Return the entry of one estimator: class, parameters, its fitted state or parts.

        ``fitted=False`` for an estimator that is a parameter (``CalibratedClassifierCV``'s
        ``estimator``, cloned by ``fit``): its parameters only.
        """
        cls = class_name(est, owner)
        entry: dict[str, Any] = {"name": name, "class": cls, "params": json_params(est, owner)}
        if type(est) in NESTED:
            key = NESTED[type(est)][1]
            if type(est) is CalibratedClassifierCV:
                inner = est.estimator
                entry[key] = (
                    None
                    if inner is None
                    else self.entry(inner, None, f"{owner}'s estimator", fitted=False)
                )
            else:
                children = est.steps if type(est) is Pipeline else est.transformer_list
                entry[key] = [self.entry(e, n, f"{owner} step {n!r}") for n, e in children]
        if type(est) is MusicnnTransformer:
            entry["pretrained"] = musicnn_record(str(est.model))
        if not fitted:
            return entry
        if _has_fitted_state(est):
            self.networks.append(owner)
            if len(self.networks) > 1:
                raise ParameterTypeError(
                    f"Cannot save a model with more than one network ({self.networks}). "
                    + _JOBLIB_HINT
                )
            entry["fitted"], self.state = est._get_fitted_state()
        elif cls in STATE:
            state = fitted_state(est, owner, lambda e, where: self.entry(e, None, where))
            if state is not None:
                entry["fitted"] = state
        return entry


def check_savable(model: Any) -> None:
    """Raise the ``TypeError`` that :func:`save_model` would raise for a class it cannot save.

    Checked on the estimators of a model before it is fitted (e.g. by ``sk-deepsense train
    -o model.skds``, before any feature is extracted): their classes only, not their
    parameters or fitted state.

    Parameters
    ----------
    model : estimator or Pipeline
        The model, fitted or not.

    Raises
    ------
    TypeError
        If an estimator in it is of a class that a model file cannot hold.
    """
    stack = [(model, "model" if type(model) is not Pipeline else "the Pipeline")]
    while stack:
        est, owner = stack.pop()
        class_name(est, owner)
        if type(est) is Pipeline:
            stack.extend((s, f"step {n!r}") for n, s in reversed(est.steps))
        elif type(est) is FeatureUnion:
            stack.extend((t, f"step {n!r}") for n, t in reversed(est.transformer_list))
        elif type(est) is CalibratedClassifierCV:
            inner = type(est.estimator).__name__ if est.estimator is not None else "LinearSVC"
            if inner not in CALIBRATED:
                raise ParameterTypeError(
                    f"Cannot save {owner}: it calibrates a {inner} (only "
                    f"{' or '.join(CALIBRATED)} can be saved calibrated). {_JOBLIB_HINT}"
                )


def _describe(model: Any) -> tuple[dict, dict[str, torch.Tensor] | None]:
    """Return the structure of ``model`` as JSON data, and the network's tensors (if any).

    The fitted state of a network is what its ``_get_fitted_state()`` returns: the estimator
    owns it (see :mod:`sk_deepsense.neural._state`); that of the other estimators is the
    allowlist of :mod:`._fitted`. A top-level Pipeline keeps format 2's layout (``"kind":
    "Pipeline"``, its steps and parameters); any other model is one ``"estimator"`` entry.
    A nested Pipeline, a FeatureUnion or a CalibratedClassifierCV is an entry holding the
    entries of its estimators (``"steps"``, ``"transformers"``, ``"estimator"``).
    """
    describer = _Describer()
    if type(model) is Pipeline:
        for name, step in model.steps:
            class_name(step, f"step {name!r}")  # every step known before any is described
        structure = {
            "kind": "Pipeline",
            "steps": [describer.entry(s, n, f"step {n!r}") for n, s in model.steps],
            "params": json_params(model, "the Pipeline"),
        }
    else:
        class_name(model, "model")
        structure = {
            "kind": "estimator",
            "steps": [describer.entry(model, None, type(model).__name__)],
        }
    return structure, describer.state


def save_model(model: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Save a fitted model to a file that can be shared safely (no code runs on load).

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted model made of these classes (exactly these, not subclasses):

        - a network: ``HybridCNNLSTMClassifier``, ``HybridCNNLSTMRegressor``,
          ``HybridCNNLSTMDynamicRegressor`` (one per model at most);
        - a feature step: ``MFCCTransformer``, ``LogMelTransformer``,
          ``MusicnnTransformer``, ``DescriptorTransformer``, ``SequenceStatistics``;
        - scikit-learn's ``StandardScaler``, ``LogisticRegression``, ``Ridge``, ``SVC``
          (dense data; kernels linear, poly, rbf, sigmoid) and ``CalibratedClassifierCV`` (sigmoid
          calibration of an ``SVC`` or a ``LogisticRegression``, ``ensemble`` True or False);
        - ``Pipeline`` and ``FeatureUnion`` of any of these, nested (any step names).

        E.g. an ``MFCCTransformer`` then a network; ``MusicnnTransformer``,
        ``SequenceStatistics``, ``StandardScaler``, ``LogisticRegression``; the baselines of
        :func:`~sk_deepsense.make_baseline` ``"svm"`` and ``"logreg"`` (classification) and
        the classical half of :func:`~sk_deepsense.make_fusion`.
    path : str or os.PathLike
        File to write; the extension ``.skds`` is suggested, not required.
    overwrite : bool, default=False
        Replace ``path`` if it exists.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        If the model (or a step of it) is of another class; a parameter value cannot be
        stored as data (e.g. a ``RandomState`` as ``random_state``, a dict with tuple
        keys); a scikit-learn estimator holds an attribute that save_model does not know
        (one a newer scikit-learn adds, or set by hand: refused, never dropped); or a
        configuration is not held (a precomputed kernel, an SVC fitted on sparse data,
        isotonic calibration). Use joblib for other estimators, and load joblib files from
        trusted sources only.
    sklearn.exceptions.NotFittedError
        If a network, a ``SequenceStatistics`` or a scikit-learn estimator is not fitted.
    FileExistsError
        If ``path`` exists and ``overwrite`` is false; nothing is written.

    See Also
    --------
    load_model : Read the model back.

    Notes
    -----
    The file is a zip archive of ``model.json`` (format version, library versions, each
    estimator's class and ``get_params(deep=False)``, and the fitted attributes that are not
    tensors) and ``weights.pt`` (the networks' ``state_dict``, moved to the CPU). A cache
    folder (``memory``, of a feature transformer or of a Pipeline) is not stored
    (``None``: a model file names no place on disk); a list or tuple of scalars comes back
    as a list or a tuple, a dict parameter (``net_params``, ``class_weight``, whose keys
    may be class labels) as a dict whose lists and tuples come back as tuples;
    ``callbacks`` must be ``None`` (they serve training only).

    The musicnn front end of a ``MusicnnTransformer`` is not copied into the file (it ships
    with sk_deepsense): the file records the weights file it uses and its SHA-256, and
    :func:`load_model` refuses the model where the running sk_deepsense ships other
    weights. Of the scikit-learn estimators, the fitted attributes their predictions read
    are stored, from a list per class (``coef_``, ``intercept_``, ``classes_``,
    ``mean_``, ``scale_``, the support vectors and the arrays libsvm reads, each calibrated
    classifier and its sigmoids' ``a_`` and ``b_``, ...); ``set_output`` settings are not.

    Every fitted attribute of a network is stored (the estimator's ``_get_fitted_state``):
    one that is not data raises a ``TypeError``. Of ``history_``, the values JSON can hold
    are kept (per epoch: ``epoch``, ``train_loss``, ``valid_loss``, ``valid_loss_best``,
    ``dur``, the per-batch losses, ...). Not saved: the optimizer's state (``fit`` starts
    afresh anyway, but ``warm_start`` or ``net_.partial_fit`` on a loaded model restarts
    AdamW's moments).

    The file is written to a temporary file in the same folder and then moved into place,
    so ``path`` is never left half-written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sk_deepsense import HybridCNNLSTMClassifier
    >>> from sk_deepsense.persistence import load_model, save_model
    >>> X = np.random.default_rng(0).normal(size=(12, 5, 4)).astype("float32")
    >>> y = np.repeat(["calm", "tense"], 6)
    >>> clf = HybridCNNLSTMClassifier(n_filters=4, lstm_hidden_size=8, max_epochs=1,
    ...                               random_state=0).fit(X, y)
    >>> path = save_model(clf, os.path.join(tempfile.mkdtemp(), "clf.skds"))
    >>> loaded = load_model(path)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass overwrite=True to replace it.")
    structure, state = _describe(model)
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": versions(),
        "model": structure,
    }
    text = json.dumps(document, indent=1)
    weights = None
    if state is not None:
        buffer = io.BytesIO()
        torch.save(state, buffer)
        weights = buffer.getvalue()

    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(tmp, "xb") as fh:  # "x": never clobber anything; respects the umask
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(JSON_MEMBER, text)
                if weights is not None:
                    zf.writestr(WEIGHTS_MEMBER, weights)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
