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
from sklearn.pipeline import Pipeline

from ._format import (
    _JOBLIB_HINT,
    FORMAT_NAME,
    FORMAT_VERSION,
    JSON_MEMBER,
    WEIGHTS_MEMBER,
    class_name,
    json_params,
    versions,
)

__all__ = ["save_model"]


def _has_fitted_state(estimator: Any) -> bool:
    """Whether ``estimator`` keeps fitted state beyond its parameters (the networks)."""
    return hasattr(estimator, "_get_fitted_state")


def _describe(model: Any) -> tuple[dict, dict[str, torch.Tensor] | None]:
    """Return the structure of ``model`` as JSON data, and the network's tensors (if any).

    The fitted state of a network is what its ``_get_fitted_state()`` returns: the estimator
    owns it (see :mod:`sk_deepsense.neural._state`); this module knows no attribute of it.
    """
    if isinstance(model, Pipeline) and type(model) is Pipeline:
        named = list(model.steps)
        for name, step in named:
            class_name(step, f"step {name!r}")
        pipeline_params = json_params(model, "the Pipeline")
    else:
        named = [(None, model)]
        class_name(model, "model")
        pipeline_params = None

    networks = [name for name, step in named if _has_fitted_state(step)]
    if len(networks) > 1:
        raise TypeError(
            f"Cannot save a Pipeline with more than one network (steps {networks}). " + _JOBLIB_HINT
        )
    steps, state = [], None
    for name, step in named:
        owner = type(step).__name__ if name is None else f"step {name!r}"
        entry: dict[str, Any] = {
            "name": name,
            "class": class_name(step, owner),
            "params": json_params(step, owner),
        }
        if _has_fitted_state(step):
            entry["fitted"], state = step._get_fitted_state()
        steps.append(entry)
    structure = {"kind": "estimator" if pipeline_params is None else "Pipeline", "steps": steps}
    if pipeline_params is not None:
        structure["params"] = pipeline_params
    return structure, state


def save_model(model: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Save a fitted model to a file that can be shared safely (no code runs on load).

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted network, an ``MFCCTransformer`` or ``LogMelTransformer``, or a fitted
        :class:`~sklearn.pipeline.Pipeline` whose steps are these (any step names), e.g. an
        ``MFCCTransformer`` then a network.
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
        If the model (or a step of it) is of another class, or a parameter value cannot be
        stored as data (e.g. a ``RandomState`` as ``random_state``). Use joblib for other
        estimators, and load joblib files from trusted sources only.
    sklearn.exceptions.NotFittedError
        If a network is not fitted.
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
    folder (``memory``, of a feature transformer or of the Pipeline) is not stored
    (``None``: a model file names no place on disk), a dict parameter (``net_params``)
    as a dict whose lists and tuples come back as tuples; ``callbacks`` must be ``None``
    (they serve training only). Every fitted attribute of a network is stored (the
    estimator's ``_get_fitted_state``): one that is not data raises a ``TypeError``. Of
    ``history_``, the values JSON can hold are kept (per epoch: ``epoch``, ``train_loss``,
    ``valid_loss``, ``valid_loss_best``, ``dur``, the per-batch losses, ...). Not saved: the
    optimizer's state (``fit`` starts afresh anyway, but ``warm_start`` or
    ``net_.partial_fit`` on a loaded model restarts AdamW's moments).

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
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")
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
