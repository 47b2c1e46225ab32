"""Save and load fitted models in a format that does not run code when loaded.

A joblib (pickle) file can run arbitrary code while it is being loaded, so a model in one
must only be loaded from a trusted source. :func:`save_model` writes the models of this
package to a ``.skds`` file that holds data only, and :func:`load_model` rebuilds the model
from it without unpickling anything:

- ``model.json``: the format version, the library versions the model was saved with, the
  structure (each estimator's class, from a fixed list, and its parameters) and the fitted
  attributes that are not tensors (classes, target statistics, training history, ...);
- ``weights.pt``: the network's ``state_dict`` (tensors only), read back with
  ``torch.load(..., weights_only=True)``; absent when the model has no network.

Supported models: a fitted :class:`~sk_deepsense.HybridCNNLSTMClassifier` or
:class:`~sk_deepsense.HybridCNNLSTMRegressor`, a :class:`~sk_deepsense.MFCCTransformer` or
:class:`~sk_deepsense.LogMelTransformer`, and a fitted :class:`~sklearn.pipeline.Pipeline`
made of those (e.g. an ``MFCCTransformer`` followed by one network). Use joblib for anything
else.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import uuid
import warnings
import zipfile
from pathlib import Path
from typing import Any

import joblib
import librosa
import numpy as np
import sklearn
import skorch
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from .features import LogMelTransformer, MFCCTransformer
from .neural import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
from .neural._base import BaseHybridCNNLSTM, _resolve_device

__all__ = ["ModelVersionWarning", "load_model", "save_model"]

#: Version of the file layout; :func:`load_model` refuses other versions.
FORMAT_VERSION = 1
_FORMAT_NAME = "sk_deepsense-model"
_JSON = "model.json"
_WEIGHTS = "weights.pt"

#: The only classes a file can name. Loading never imports a class by a name from the file.
_ESTIMATORS: dict[str, type] = {
    "MFCCTransformer": MFCCTransformer,
    "LogMelTransformer": LogMelTransformer,
    "HybridCNNLSTMClassifier": HybridCNNLSTMClassifier,
    "HybridCNNLSTMRegressor": HybridCNNLSTMRegressor,
}
_NETWORKS = (HybridCNNLSTMClassifier, HybridCNNLSTMRegressor)

#: dtype kinds ``classes_`` may have: str, int, unsigned, float, bool, object (of those).
_CLASS_KINDS = "UiufbO"

_JOBLIB_HINT = (
    "Save other estimators with joblib.dump instead (and only ever load joblib files from "
    "sources you trust: loading one can run arbitrary code)."
)


class ModelVersionWarning(UserWarning):
    """A model file was saved with other library versions than the running ones.

    Emitted by :func:`load_model` when sk_deepsense differs in any way, or torch,
    scikit-learn, skorch, numpy, librosa or Python differ in their major or minor version.
    The model is loaded anyway; check its predictions.
    """


# ---------------------------------------------------------------------------- versions
def _versions() -> dict[str, str]:
    from ._version import __version__

    return {
        "sk_deepsense": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
        "librosa": librosa.__version__,
        "python": platform.python_version(),
    }


def _major_minor(version: str) -> tuple[int, ...] | str:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else version


def _check_versions(saved: Any, path: Path) -> None:
    """Warn (:class:`ModelVersionWarning`) about every library whose version differs."""
    saved = saved if isinstance(saved, dict) else {}
    mismatches = []
    for name, running in _versions().items():
        then = saved.get(name)
        then = str(then) if then is not None else "an unknown version"
        differs = then != running
        if name != "sk_deepsense":
            differs = _major_minor(then) != _major_minor(running)
        if differs:
            mismatches.append(f"{name} {then} (now {running})")
    if mismatches:
        warnings.warn(
            f"{path} was saved with other library versions than the running ones: "
            f"{'; '.join(mismatches)}. The model was loaded, but its predictions may differ; "
            "re-save it with the current versions once checked.",
            ModelVersionWarning,
            stacklevel=3,
        )


# ---------------------------------------------------------------------------- saving
def _json_param(value: Any, name: str, owner: str) -> Any:
    """One parameter value as JSON data, or a TypeError saying why it cannot be stored."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, joblib.Memory):  # stored as its folder (or None: no caching)
        location = value.location
        return None if location is None else os.fspath(location)
    hint = ""
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        hint = f" Set it to an int or None first: {owner}.set_params({name}=0)."
    raise TypeError(
        f"Cannot save parameter {name}={value!r} of {owner}: a {type(value).__name__} cannot "
        f"be stored as data (only None, bool, int, float, str, paths, torch.device and "
        f"joblib.Memory can).{hint}"
    )


def _json_params(estimator: Any, owner: str) -> dict[str, Any]:
    params = estimator.get_params(deep=False)
    params.pop("steps", None)  # a Pipeline's steps are stored as the structure
    return {k: _json_param(v, k, owner) for k, v in params.items()}


def _json_data(value: Any) -> Any:
    """Recursively keep what JSON holds (numbers, str, bool, None, lists, str-keyed dicts)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _json_data(v)
            if isinstance(k, str) and v is not _DROP:
                out[k] = v
        return out
    if isinstance(value, (list, tuple)):
        items = [_json_data(v) for v in value]
        return [v for v in items if v is not _DROP]
    return _DROP


_DROP = object()


def _unsupported(name: str, step: Any) -> TypeError:
    return TypeError(
        f"Cannot save {name} ({type(step).__name__}): save_model supports only "
        f"{', '.join(_ESTIMATORS)} and Pipelines made of them. {_JOBLIB_HINT}"
    )


def _class_name(estimator: Any, name: str) -> str:
    for class_name, cls in _ESTIMATORS.items():
        if type(estimator) is cls:  # exact: a subclass may behave differently
            return class_name
    raise _unsupported(name, estimator)


def _network_state(est: BaseHybridCNNLSTM, owner: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """Fitted attributes of a network (JSON part) and its module's tensors."""
    check_is_fitted(est, "net_")
    fitted: dict[str, Any] = {
        "n_features_in_": int(est.n_features_in_),
        "n_parameters_": int(est.n_parameters_),
        "n_epochs": len(est.history_),
        "history_": _json_data(list(est.history_)),
        "best_epoch_": getattr(est, "best_epoch_", None),
    }
    if hasattr(est, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in est.feature_names_in_]
    if isinstance(est, HybridCNNLSTMClassifier):
        classes = np.asarray(est.classes_)
        if classes.dtype.kind not in _CLASS_KINDS or classes.ndim != 1:
            raise TypeError(f"Cannot save the classes_ of {owner} (dtype {classes.dtype}).")
        values = _json_data(classes.tolist())
        if (
            values is _DROP
            or len(values) != len(classes)
            or any(not isinstance(v, (str, int, float, bool)) for v in values)
        ):
            raise TypeError(
                f"Cannot save the classes_ of {owner}: only str, int, float and bool labels "
                f"can be stored, got {classes!r}."
            )
        fitted["classes_"] = {"dtype": classes.dtype.str, "values": values}
        fitted["n_outputs"] = len(classes)
    else:
        fitted["n_outputs_"] = int(est.n_outputs_)
        fitted["n_outputs"] = int(est.n_outputs_)
        fitted["target_mean_"] = [float(v) for v in est.target_mean_]
        fitted["target_scale_"] = [float(v) for v in est.target_scale_]
        fitted["y_1d"] = bool(est._y_1d)
    nets = est.__dict__.get("nets_") or [est.net_]
    if len(nets) == 1:
        state = {k: v.detach().cpu() for k, v in est.net_.module_.state_dict().items()}
    else:  # n_ensemble networks: their tensors under "ensemble.<i>."
        fitted["n_networks"] = len(nets)
        state = {
            f"ensemble.{i}.{k}": v.detach().cpu()
            for i, net in enumerate(nets)
            for k, v in net.module_.state_dict().items()
        }
    return fitted, state


def _describe(model: Any) -> tuple[dict, dict[str, torch.Tensor] | None]:
    """Return the structure of ``model`` as JSON data, and the network's tensors (if any)."""
    if isinstance(model, Pipeline) and type(model) is Pipeline:
        named = list(model.steps)
        for name, step in named:
            _class_name(step, f"step {name!r}")
        pipeline_params = _json_params(model, "the Pipeline")
    else:
        named = [(None, model)]
        _class_name(model, "model")
        pipeline_params = None

    networks = [name for name, step in named if isinstance(step, _NETWORKS)]
    if len(networks) > 1:
        raise TypeError(
            f"Cannot save a Pipeline with more than one network (steps {networks}). " + _JOBLIB_HINT
        )
    steps, state = [], None
    for name, step in named:
        owner = type(step).__name__ if name is None else f"step {name!r}"
        entry: dict[str, Any] = {
            "name": name,
            "class": _class_name(step, owner),
            "params": _json_params(step, owner),
        }
        if isinstance(step, _NETWORKS):
            entry["fitted"], state = _network_state(step, owner)
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
    tensors) and ``weights.pt`` (the network's ``state_dict``, moved to the CPU). A
    ``joblib.Memory`` parameter is stored as its folder. Of ``history_``, the values JSON can
    hold are kept (per epoch: ``epoch``, ``train_loss``, ``valid_loss``, ``valid_loss_best``,
    ``dur``, the per-batch losses, ...). Not saved: the optimizer's state (``fit`` starts
    afresh anyway, but ``net_.partial_fit`` on a loaded model restarts AdamW's moments).

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
        "format": _FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
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
                zf.writestr(_JSON, text)
                if weights is not None:
                    zf.writestr(_WEIGHTS, weights)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------- loading
def _bad(path: Path, problem: str) -> ValueError:
    return ValueError(f"{path} is not a valid sk_deepsense model file: {problem}")


def _build(entry: Any, path: Path, device: str) -> tuple[str | None, Any, dict | None]:
    """Build the estimator (unfitted parts only) of one step entry of the structure."""
    if not isinstance(entry, dict) or not isinstance(entry.get("params"), dict):
        raise _bad(path, "a step of the structure is malformed.")
    class_name = entry.get("class")
    if class_name not in _ESTIMATORS:
        raise _bad(
            path,
            f"unknown class name {class_name!r} (expected one of {', '.join(_ESTIMATORS)}).",
        )
    cls = _ESTIMATORS[class_name]
    params = dict(entry["params"])
    unknown = set(params) - set(cls._get_param_names())
    if unknown:
        raise _bad(path, f"unknown parameters {sorted(unknown)} of {class_name}.")
    if issubclass(cls, BaseHybridCNNLSTM):
        params["device"] = device
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"invalid parameters of {class_name}: {exc}") from None
    return entry.get("name"), estimator, entry.get("fitted")


def _restore_classes(data: Any, path: Path) -> np.ndarray:
    try:
        dtype = np.dtype(data["dtype"])
        values = data["values"]
        if dtype.kind not in _CLASS_KINDS or not isinstance(values, list):
            raise ValueError
        if any(not isinstance(v, (str, int, float, bool)) for v in values):
            raise ValueError
        if dtype.kind == "O":
            classes = np.empty(len(values), dtype=object)
            classes[:] = values
        else:
            classes = np.array(values, dtype=dtype)
    except (KeyError, TypeError, ValueError):
        raise _bad(path, "classes_ is malformed.") from None
    return classes


def _restore_network(est: BaseHybridCNNLSTM, fitted: Any, state: Any, path: Path) -> None:
    """Rebuild ``est.net_`` from the tensors and set the fitted attributes (no training)."""
    if not isinstance(fitted, dict):
        raise _bad(path, "the fitted state of the network is missing.")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise _bad(path, f"{_WEIGHTS} does not hold a state_dict of tensors.")
    try:
        n_features = int(fitted["n_features_in_"])
        if isinstance(est, HybridCNNLSTMClassifier):
            est.classes_ = _restore_classes(fitted["classes_"], path)
            n_outputs = len(est.classes_)
        else:
            est.n_outputs_ = n_outputs = int(fitted["n_outputs_"])
            est.target_mean_ = np.asarray(fitted["target_mean_"], dtype=np.float64)
            est.target_scale_ = np.asarray(fitted["target_scale_"], dtype=np.float64)
            est._y_1d = bool(fitted["y_1d"])
            if est.target_mean_.shape != (n_outputs,) or est.target_scale_.shape != (n_outputs,):
                raise ValueError("target_mean_ / target_scale_ do not match n_outputs_")
        rows = fitted["history_"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("history_ is not a list of epochs")
        n_parameters = int(fitted["n_parameters_"])
        best_epoch = fitted.get("best_epoch_")  # absent from files of version 0.1.0.dev0
        best_epoch = None if best_epoch is None else int(best_epoch)
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(path, f"the fitted state of the network is malformed ({exc}).") from None

    est.n_features_in_ = n_features
    if "feature_names_in_" in fitted:
        est.feature_names_in_ = np.asarray([str(n) for n in fitted["feature_names_in_"]], object)
    # The standardization statistics are buffers of the module (in the state_dict); they also
    # go to the constructor, so that net_.get_params() matches the net that fit built.
    try:
        n_networks = int(fitted.get("n_networks", 1))
        if n_networks == 1:
            states = [state]
        else:
            states = [
                {k[len(f"ensemble.{i}.") :]: v for k, v in state.items()
                 if k.startswith(f"ensemble.{i}.")}
                for i in range(n_networks)
            ]  # fmt: skip
        nets = []
        for member in states:
            mean = member["feature_mean"].cpu().numpy()
            scale = member["feature_scale"].cpu().numpy()
            net = est._make_net(n_features, n_outputs, mean, scale)
            with torch.random.fork_rng(devices=[]):  # random init, overwritten: spare the RNG
                net.initialize()
            net.module_.load_state_dict(member, strict=True)
            nets.append(net)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise _bad(path, f"the weights do not fit the network ({exc}).") from None
    net = nets[0]
    net.history = History(rows)
    est.net_ = net
    est.nets_ = nets
    est.n_parameters_ = n_parameters
    est.history_ = net.history
    est.best_epoch_ = best_epoch


def load_model(path: str | os.PathLike, *, device: str = "cpu") -> Any:
    """Load a model saved by :func:`save_model`, without running code from the file.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model`.
    device : str, default="cpu"
        Torch device the network is loaded onto (``"cpu"``, ``"cuda"``, ``"cuda:1"``,
        ``"auto"``). It also becomes the network's ``device`` parameter, whatever it was when
        the model was saved: a model trained on a GPU loads on a CPU-only machine.

    Returns
    -------
    model : estimator or Pipeline
        The model, fitted, as it was saved (but for ``device``).

    Raises
    ------
    ValueError
        If the file is not a zip archive, lacks ``model.json`` or ``weights.pt``, has an
        unknown format version, names a class outside the supported ones, or its content is
        malformed (e.g. ``weights.pt`` holds anything but tensors). The message names the file.
    FileNotFoundError
        If ``path`` does not exist.

    Warns
    -----
    ModelVersionWarning
        If the file was saved with another sk_deepsense version, or another major or minor
        version of torch, scikit-learn, skorch, numpy, librosa or Python. The model is still
        loaded.

    See Also
    --------
    save_model : Write a model.

    Notes
    -----
    Nothing in the file is unpickled or imported: ``model.json`` is parsed as JSON, estimators
    are made only from a fixed list of classes, and the weights are read with
    ``torch.load(..., map_location=device, weights_only=True)``. The parameters are data from
    the file, though: check ``get_params()`` of a model from a stranger before using it (e.g.
    ``MFCCTransformer(memory=...)`` names a folder its cache will be written to).

    The network is rebuilt with the saved hyperparameters and its module's ``state_dict``
    (weights and the standardization statistics) is restored exactly, so predictions are the
    same as before saving on the same device and thread count. The optimizer starts afresh.

    Examples
    --------
    >>> import os, tempfile
    >>> from sk_deepsense import MFCCTransformer
    >>> from sk_deepsense.persistence import load_model, save_model
    >>> path = save_model(MFCCTransformer(n_mfcc=13), os.path.join(tempfile.mkdtemp(), "m.skds"))
    >>> load_model(path)
    MFCCTransformer(n_mfcc=13)
    """
    path = Path(path)
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str such as 'cpu' or 'cuda', got {device!r}.")
    device = str(device)
    try:
        torch_device = torch.device(_resolve_device(device))
    except RuntimeError as exc:
        raise ValueError(f"Invalid device {device!r}: {exc}") from None
    if torch_device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r}, but CUDA is not available on this machine; pass device='cpu' "
            "(a model saved from a GPU loads on the CPU)."
        )
    if not path.is_file():
        raise FileNotFoundError(f"No such model file: {path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _bad(path, f"not a zip archive ({exc}).") from None
    with archive:
        names = set(archive.namelist())
        if _JSON not in names:
            raise _bad(path, f"the archive lacks {_JSON}.")
        try:
            document = json.loads(archive.read(_JSON).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _bad(path, f"{_JSON} is not valid JSON ({exc}).") from None
        if not isinstance(document, dict) or document.get("format") != _FORMAT_NAME:
            raise _bad(path, f"{_JSON} is not an sk_deepsense model description.")
        version = document.get("format_version")
        if version != FORMAT_VERSION:
            raise _bad(
                path,
                f"unknown format version {version!r} (this sk_deepsense reads version "
                f"{FORMAT_VERSION}; a newer sk_deepsense may read it).",
            )
        structure = document.get("model")
        if not isinstance(structure, dict) or not isinstance(structure.get("steps"), list):
            raise _bad(path, "the model structure is missing.")
        if structure.get("kind") not in ("estimator", "Pipeline") or not structure["steps"]:
            raise _bad(path, f"unknown model kind {structure.get('kind')!r}.")
        if structure["kind"] == "estimator" and len(structure["steps"]) != 1:
            raise _bad(path, "a single estimator must have exactly one step.")

        _check_versions(document.get("versions"), path)
        built = [_build(entry, path, device) for entry in structure["steps"]]

        if any(isinstance(est, _NETWORKS) for _, est, _ in built):
            if sum(isinstance(est, _NETWORKS) for _, est, _ in built) > 1:
                raise _bad(path, "more than one network.")
            if _WEIGHTS not in names:
                raise _bad(path, f"the archive lacks {_WEIGHTS}.")
            try:
                state = torch.load(
                    io.BytesIO(archive.read(_WEIGHTS)),
                    map_location=torch_device,
                    weights_only=True,
                )
            except Exception as exc:  # any failure: not tensors we can trust
                raise _bad(path, f"{_WEIGHTS} is not a tensors-only torch file ({exc}).") from None
            for _, est, fitted in built:
                if isinstance(est, _NETWORKS):
                    _restore_network(est, fitted, state, path)

    if structure["kind"] == "estimator":
        return built[0][1]
    params = structure.get("params", {})
    if not isinstance(params, dict) or set(params) - set(Pipeline._get_param_names()):
        raise _bad(path, "the Pipeline's parameters are malformed.")
    names_ = [name for name, _, _ in built]
    if not all(isinstance(n, str) for n in names_) or len(set(names_)) != len(names_):
        raise _bad(path, "the Pipeline's step names are malformed.")
    pipeline = Pipeline([(name, est) for name, est, _ in built], **params)
    try:
        pipeline._validate_params()
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"invalid parameters of the Pipeline: {exc}") from None
    return pipeline
