"""Read a model from a ``.skds`` file, running no code from it: :func:`load_model`."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import torch
from sklearn.pipeline import Pipeline

from ._format import (
    ESTIMATORS,
    FORMAT_NAME,
    JSON_MEMBER,
    READABLE_VERSIONS,
    WEIGHTS_MEMBER,
    bad,
    check_versions,
    decode_params,
    upgrade_fitted_state,
)

__all__ = ["load_model"]


def _build(entry: Any, path: Path, device: str) -> tuple[str | None, Any, dict | None]:
    """Build the estimator (unfitted parts only) of one step entry of the structure."""
    if not isinstance(entry, dict) or not isinstance(entry.get("params"), dict):
        raise bad(path, "a step of the structure is malformed.")
    class_name = entry.get("class")
    if class_name not in ESTIMATORS:
        raise bad(
            path,
            f"unknown class name {class_name!r} (expected one of {', '.join(ESTIMATORS)}).",
        )
    cls = ESTIMATORS[class_name]
    params = decode_params(entry["params"])
    unknown = set(params) - set(cls._get_param_names())
    if unknown:
        raise bad(path, f"unknown parameters {sorted(unknown)} of {class_name}.")
    if "device" in cls._get_param_names():  # the device asked for, whatever it was
        params["device"] = device
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except (TypeError, ValueError) as exc:
        raise bad(path, f"invalid parameters of {class_name}: {exc}") from None
    return entry.get("name"), estimator, entry.get("fitted")


def _restore(est: Any, fitted: Any, tensors: Any, version: int, path: Path) -> None:
    """Give ``est`` its fitted state (the estimator's ``_set_fitted_state``), or say why not."""
    if not isinstance(fitted, dict):
        raise bad(path, "the fitted state of the network is missing.")
    if not isinstance(tensors, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()
    ):
        raise bad(path, f"{WEIGHTS_MEMBER} does not hold a state_dict of tensors.")
    if version == 1:
        fitted = upgrade_fitted_state(fitted)
    try:
        est._set_fitted_state(fitted, tensors)
    except RuntimeError as exc:  # load_state_dict: other names or shapes
        raise bad(path, f"the weights do not fit the network ({exc}).") from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise bad(path, f"the fitted state of the network is malformed ({exc!r}).") from None


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
        torch_device = torch.device("cpu" if device == "auto" else device)
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
        raise bad(path, f"not a zip archive ({exc}).") from None
    with archive:
        names = set(archive.namelist())
        if JSON_MEMBER not in names:
            raise bad(path, f"the archive lacks {JSON_MEMBER}.")
        try:
            document = json.loads(archive.read(JSON_MEMBER).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise bad(path, f"{JSON_MEMBER} is not valid JSON ({exc}).") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
            raise bad(path, f"{JSON_MEMBER} is not an sk_deepsense model description.")
        version = document.get("format_version")
        if version not in READABLE_VERSIONS:
            raise bad(
                path,
                f"unknown format version {version!r} (this sk_deepsense reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}; a newer sk_deepsense may read it).",
            )
        structure = document.get("model")
        if not isinstance(structure, dict) or not isinstance(structure.get("steps"), list):
            raise bad(path, "the model structure is missing.")
        if structure.get("kind") not in ("estimator", "Pipeline") or not structure["steps"]:
            raise bad(path, f"unknown model kind {structure.get('kind')!r}.")
        if structure["kind"] == "estimator" and len(structure["steps"]) != 1:
            raise bad(path, "a single estimator must have exactly one step.")

        check_versions(document.get("versions"), path)
        built = [_build(entry, path, device) for entry in structure["steps"]]

        networks = [(est, fitted) for _, est, fitted in built if hasattr(est, "_set_fitted_state")]
        if len(networks) > 1:
            raise bad(path, "more than one network.")
        if networks:
            if WEIGHTS_MEMBER not in names:
                raise bad(path, f"the archive lacks {WEIGHTS_MEMBER}.")
            try:  # tensors are read on the CPU; the network copies them to its device
                tensors = torch.load(
                    io.BytesIO(archive.read(WEIGHTS_MEMBER)), map_location="cpu", weights_only=True
                )
            except Exception as exc:  # any failure: not tensors we can trust
                raise bad(
                    path, f"{WEIGHTS_MEMBER} is not a tensors-only torch file ({exc})."
                ) from None
            _restore(*networks[0], tensors, version, path)

    if structure["kind"] == "estimator":
        return built[0][1]
    params = structure.get("params", {})
    if not isinstance(params, dict) or set(params) - set(Pipeline._get_param_names()):
        raise bad(path, "the Pipeline's parameters are malformed.")
    names_ = [name for name, _, _ in built]
    if not all(isinstance(n, str) for n in names_) or len(set(names_)) != len(names_):
        raise bad(path, "the Pipeline's step names are malformed.")
    pipeline = Pipeline([(name, est) for name, est, _ in built], **params)
    try:
        pipeline._validate_params()
    except (TypeError, ValueError) as exc:
        raise bad(path, f"invalid parameters of the Pipeline: {exc}") from None
    return pipeline
