"""What a ``.skds`` file is: member names, format version, the classes it may name, encodings.

Format 2 (this version) stores each network's fitted state as its estimator's
``_get_fitted_state()`` returns it. Format 1, written by development versions before the
first release, is not read: such a file is refused with a ``ModelFileError`` that says so
(backwards compatibility starts at the first release, ``docs/development.rst``).

The classes added since (the musicnn front end, the descriptors, the statistics and the
scikit-learn steps of the transfer-learning and baseline models, nested pipelines and
unions) did not change the layout of an existing entry, only added entries and keys that
only they use: the format is still 2. A reader of format 2 that does not know them refuses
such a file with "unknown class name", and reads every file it could read before.
"""

from __future__ import annotations

import functools
import os
import platform
import re
import sys
import warnings
from pathlib import Path
from types import FrameType
from typing import Any

import joblib
import librosa
import numpy as np
import sklearn
import skorch
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ..exceptions import ModelFileError, ParameterError, ParameterTypeError

__all__ = ["FORMAT_VERSION", "ModelVersionWarning"]

#: Version of the file layout that :func:`~sk_deepsense.save_model` writes.
FORMAT_VERSION = 2
FORMAT_NAME = "sk_deepsense-model"
JSON_MEMBER = "model.json"
WEIGHTS_MEMBER = "weights.pt"

#: scikit-learn's classes that a file can name (ours are in :func:`_estimators`).
_SKLEARN_CLASSES: dict[str, type[Any]] = {
    "StandardScaler": StandardScaler,
    "LogisticRegression": LogisticRegression,
    "Ridge": Ridge,
    "SVC": SVC,
    "CalibratedClassifierCV": CalibratedClassifierCV,
    "Pipeline": Pipeline,
    "FeatureUnion": FeatureUnion,
}


@functools.cache
def _estimators() -> dict[str, type[Any]]:
    """Return the classes of :data:`ESTIMATORS`, imported on first use (not with the module)."""
    from ..features import (
        DescriptorTransformer,
        LogMelTransformer,
        MFCCTransformer,
        MusicnnTransformer,
        SequenceStatistics,
    )
    from ..neural import (
        HybridCNNLSTMClassifier,
        HybridCNNLSTMDynamicRegressor,
        HybridCNNLSTMRegressor,
    )

    return {
        "MFCCTransformer": MFCCTransformer,
        "LogMelTransformer": LogMelTransformer,
        "HybridCNNLSTMClassifier": HybridCNNLSTMClassifier,
        "HybridCNNLSTMRegressor": HybridCNNLSTMRegressor,
        "HybridCNNLSTMDynamicRegressor": HybridCNNLSTMDynamicRegressor,
        # since sk_deepsense 0.2 (still format 2: an older reader refuses them by name)
        "MusicnnTransformer": MusicnnTransformer,
        "DescriptorTransformer": DescriptorTransformer,
        "SequenceStatistics": SequenceStatistics,
        **_SKLEARN_CLASSES,
    }


def __getattr__(name: str) -> Any:
    """``ESTIMATORS``, the only classes a file can name: the estimators load on first use.

    Loading never imports a class by a name from the file.
    """
    if name == "ESTIMATORS":
        return _estimators()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The parameter of each composite class that holds estimators: stored as entries of the
#: structure (under the key given), not as a parameter.
NESTED = {
    Pipeline: ("steps", "steps"),
    FeatureUnion: ("transformer_list", "transformers"),
    CalibratedClassifierCV: ("estimator", "estimator"),
}
#: The classes a ``CalibratedClassifierCV`` of a model file may calibrate.
CALIBRATED = ("SVC", "LogisticRegression")

#: Limits of what a file may make the reader allocate: checked before anything is allocated.
#: The largest member of the archive once decompressed (``model.json``; ``weights.pt``).
MAX_JSON_BYTES = 64 * 2**20
MAX_WEIGHTS_BYTES = 2 * 2**30
#: A member larger than ``RATIO_FLOOR`` may expand at most this many times its compressed
#: size (deflate reaches ~1000 on runs of zeros; saved models stay far below 100).
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR = 2**20
#: How deep ``model.json`` may nest (a saved model nests about 10 levels).
MAX_JSON_DEPTH = 64
#: Largest values of the feature transformers' size parameters (each sizes an allocation
#: made for every file predicted: an STFT frame, a mel filter bank, ...).
MAX_FEATURE_SIZES = {
    "sr": 768_000,
    "n_fft": 2**16,
    "hop_length": 2**16,
    "n_mels": 2**12,
    "n_mfcc": 2**12,
    "deltas": 8,
    "n_bands": 64,
}
#: Largest NaN-padded output of one clip (``duration`` sizes it, whatever the clip's length).
MAX_PADDED_CLIP_BYTES = 2**30

_JOBLIB_HINT = (
    "Save other estimators with joblib.dump instead (and only ever load joblib files from "
    "sources you trust: loading one can run arbitrary code)."
)
_SCALARS = (bool, int, float, str)


class ModelVersionWarning(UserWarning):
    """A model file was saved with other library versions than the running ones.

    Emitted by :func:`load_model` when sk_deepsense differs in any way, or torch,
    scikit-learn, skorch, numpy, librosa or Python differ in their major or minor version.
    The model is loaded anyway; check its predictions.
    """


def versions() -> dict[str, str]:
    from .._version import __version__

    return {
        "sk_deepsense": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
        "librosa": librosa.__version__,  # type: ignore[attr-defined]  # not in librosa's stub
        "python": platform.python_version(),
    }


def _major_minor(version: str) -> tuple[int, ...] | str:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else version


def outside_stacklevel() -> int:
    """Return the ``stacklevel`` that points a warning at the first caller outside here.

    That is the user's ``load_model`` call, whatever the depth of the call inside.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame, level = frame.f_back, level + 1
    return level


def check_versions(saved: Any, path: Path) -> None:
    """Warn (:class:`ModelVersionWarning`) about every library whose version differs."""
    saved = saved if isinstance(saved, dict) else {}
    mismatches = []
    for name, running in versions().items():
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
            stacklevel=outside_stacklevel(),
        )


def _json_scalar(value: Any) -> Any:
    """Return a scalar (None, bool, int, float, str; NumPy's too) as JSON data, else ``_NOT``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return _NOT


_NOT = object()  # what _json_scalar returns for a value that is not a scalar


def _json_param(value: Any, name: str, owner: str) -> Any:
    """One parameter value as JSON data, or a TypeError saying why it cannot be stored.

    Scalars are stored as they are; a list or tuple of scalars as ``{"list": [...]}`` or
    ``{"tuple": [...]}`` (so it comes back as the same type); a dict with str keys as
    ``{"dict": {...}}`` (``net_params``), one with other scalar keys (``class_weight={0: 2.0}``)
    as ``{"items": [[key, value], ...]}``.
    """
    scalar = _json_scalar(value)
    if scalar is not _NOT:
        return scalar
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, joblib.Memory):  # stored as its folder (or None: no caching)
        location = value.location
        return None if location is None else os.fspath(location)
    if isinstance(value, (list, tuple)):
        items = [_json_scalar(v) for v in value]
        if all(v is not _NOT for v in items):
            return {"tuple" if isinstance(value, tuple) else "list": items}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):  # e.g. net_params
        return {"dict": {k: _json_option(v, f"{name}[{k!r}]", owner) for k, v in value.items()}}
    if isinstance(value, dict) and all(_json_scalar(k) not in (None, _NOT) for k in value):
        return {
            "items": [
                [_json_scalar(k), _json_option(v, f"{name}[{k!r}]", owner)]
                for k, v in value.items()
            ]
        }
    hint = ""
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        hint = f" Set it to an int or None first: {owner}.set_params({name}=0)."
    elif name == "callbacks":
        hint = f" Callbacks serve training only: {owner}.set_params(callbacks=None) first."
    raise ParameterTypeError(
        f"Cannot save parameter {name}={value!r} of {owner}: a {type(value).__name__} cannot "
        f"be stored as data (only None, bool, int, float, str, paths, torch.device, "
        f"joblib.Memory, lists and tuples of scalars, and dicts of those with scalar keys "
        f"can).{hint}"
    )


def path_parameters(cls: type[Any]) -> set[str]:
    """Names of the parameters of ``cls`` that name a place on disk (a cache folder, ...).

    Read from the class's parameter constraints (those accepting a path or a
    ``joblib.Memory``, like ``MFCCTransformer.memory`` and ``Pipeline.memory``), so a new
    path-valued parameter is found without a list to maintain. A file never sets them: they
    are saved as ``None`` and reset to ``None`` on load.
    """
    from sklearn.utils._param_validation import HasMethods

    found = set()
    for name, constraints in getattr(cls, "_parameter_constraints", {}).items():
        for c in constraints if isinstance(constraints, list) else [constraints]:
            if c in (os.PathLike, joblib.Memory) or (
                isinstance(c, HasMethods) and "cache" in c.methods
            ):
                found.add(name)
    return found | ({"memory"} & set(cls._get_param_names()))


def json_params(estimator: Any, owner: str) -> dict[str, Any]:
    """``get_params(deep=False)`` as JSON data: estimators left out, cache folders as None."""
    params = estimator.get_params(deep=False)
    if type(estimator) in NESTED:  # estimators are stored as entries of the structure
        params.pop(NESTED[type(estimator)][0])
    for name in path_parameters(type(estimator)):  # a file names no folder (issue 26)
        params[name] = None
    return {k: _json_param(v, k, owner) for k, v in params.items()}


def _json_option(value: Any, name: str, owner: str) -> Any:
    """Encode a value inside a dict parameter: a scalar, or a sequence of scalars (a list)."""
    if isinstance(value, (list, tuple)) and all(
        v is None or isinstance(v, _SCALARS) for v in value
    ):
        return list(value)
    return _json_param(value, name, owner)


def _is_scalar(value: Any) -> bool:
    return value is None or type(value) in _SCALARS


def _decode_option(value: Any, name: str) -> Any:
    """Decode a value inside a dict parameter: a scalar, a list of scalars (a tuple), ..."""
    if isinstance(value, list):
        if not all(_is_scalar(v) for v in value):
            raise ParameterError(f"parameter {name} holds a list of other things than scalars")
        return tuple(value)
    return _decode_param(value, name)


def _decode_param(value: Any, name: str) -> Any:
    """Undo :func:`_json_param`; ``ValueError`` for a tagged value it could not have written."""
    if not (isinstance(value, dict) and len(value) == 1):
        return value
    ((tag, inner),) = value.items()
    if tag == "dict" and isinstance(inner, dict):
        return {k: _decode_option(v, f"{name}[{k!r}]") for k, v in inner.items()}
    if tag in ("list", "tuple"):
        if not isinstance(inner, list) or not all(_is_scalar(v) for v in inner):
            raise ParameterError(f"parameter {name} is not a {tag} of scalars")
        return inner if tag == "list" else tuple(inner)
    if tag == "items":
        pairs = inner if isinstance(inner, list) else None
        if pairs is None or not all(
            isinstance(p, list) and len(p) == 2 and p[0] is not None and _is_scalar(p[0])
            for p in pairs
        ):
            raise ParameterError(f"parameter {name} is not a list of [key, value] pairs")
        decoded = {key: _decode_option(v, f"{name}[{key!r}]") for key, v in pairs}
        if len(decoded) != len(pairs):
            raise ParameterError(f"parameter {name} holds a key twice")
        return decoded
    return value


def decode_params(params: dict[str, Any]) -> dict[str, Any]:
    """Undo :func:`json_params`' encoding (lists inside dicts come back as tuples).

    Raises ``ValueError`` for a list, tuple, dict or pairs that it could not have written.
    """
    return {name: _decode_param(value, name) for name, value in params.items()}


def _unsupported(name: str, step: Any) -> TypeError:
    return ParameterTypeError(
        f"Cannot save {name} ({type(step).__name__}): save_model supports only "
        f"{', '.join(_estimators())}, nested in one another. {_JOBLIB_HINT}"
    )


def class_name(estimator: Any, name: str) -> str:
    for known, cls in _estimators().items():
        if type(estimator) is cls:  # exact: a subclass may behave differently
            return known
    raise _unsupported(name, estimator)


def musicnn_record(model: str) -> dict[str, str]:
    """Return what a file stores of its musicnn front end: the shipped file and its SHA-256.

    The network itself is not saved: a model file references the weights that ship with
    sk_deepsense, and loading checks that the running package ships the same ones.
    """
    from ..neural._musicnn import _SHA256, MUSICNN_MODELS

    file = MUSICNN_MODELS[model]
    return {"file": file, "sha256": _SHA256[file]}


def bad(path: Path, problem: str) -> ModelFileError:
    return ModelFileError(path, problem)
