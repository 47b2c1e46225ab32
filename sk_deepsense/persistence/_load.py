"""Read a model from a ``.skds`` file, running no code from it: :func:`load_model`."""

from __future__ import annotations

import inspect
import io
import json
import os
import re
import warnings
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import FeatureUnion, Pipeline

from ..exceptions import MissingFileError, ModelFileError, ParameterError, ParameterTypeError
from ..features import MusicnnTransformer
from ._fitted import STATE, Budget, array_name, declared_bytes, set_fitted_state
from ._format import (
    CALIBRATED,
    ESTIMATORS,
    FORMAT_NAME,
    FORMAT_VERSION,
    JSON_MEMBER,
    MAX_COMPRESSION_RATIO,
    MAX_FEATURE_SIZES,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_PADDED_CLIP_BYTES,
    MAX_WEIGHTS_BYTES,
    NESTED,
    RATIO_FLOOR,
    WEIGHTS_MEMBER,
    bad,
    check_versions,
    decode_params,
    musicnn_record,
    outside_stacklevel,
    path_parameters,
)

__all__ = ["load_model"]


#: Parameters of the networks whose values a file never chooses (the device asked for at
#: load wins) and keys of ``net_params`` dropped on load: the device, a place on disk (a
#: folder, a file, a checkpoint's ``f_*``), or code compiled at initialisation.
_DROPPED_NET_OPTION = re.compile(
    r"(device|memory|location|dirname|compile|cache\w*|f_\w+|\w*(dir|path|file|folder)\w*)\Z"
)


def _warn(path: Path, message: str) -> None:
    warnings.warn(f"{path}: {message}", UserWarning, stacklevel=outside_stacklevel())


def _clean_net_params(value: Any, where: str, path: Path) -> Any:
    """Drop (with a warning) the ``net_params`` keys a file must not set: see above."""
    if not isinstance(value, dict):
        return value
    kept = {}
    cores = os.cpu_count() or 1
    for key, option in value.items():
        last = key.rsplit("__", 1)[-1] if isinstance(key, str) else ""
        if _DROPPED_NET_OPTION.match(last):
            _warn(
                path,
                f"{where} net_params[{key!r}]={option!r} was dropped: a model file does not "
                "choose the device, a path or compiled code (pass device= to load_model).",
            )
        elif last == "num_workers" and not (isinstance(option, int) and 0 <= option <= cores):
            _warn(
                path,
                f"{where} net_params[{key!r}]={option!r} was dropped: more worker processes "
                f"than the {cores} cores of this machine.",
            )
        else:
            kept[key] = option
    return kept


#: Parameters that a newer scikit-learn saves as the string ``"deprecated"``, its mark of a
#: deprecated parameter left unset (``LogisticRegression(penalty=...)`` since 1.8), which an
#: older one refuses. The file then means "not set": the parameter is left out, and the
#: scikit-learn that loads it uses its own default (the shipped model, saved with 1.9, loads
#: on the floor version 1.6; its fitted coefficients are loaded as saved).
UNSET_IF_DEPRECATED = {"LogisticRegression": ("penalty",)}


def _drop_unset(cls: type, params: dict[str, Any]) -> None:
    """Leave out the parameters of :data:`UNSET_IF_DEPRECATED` that a file marks unset.

    Only where this scikit-learn's default is not that mark itself (there, the value is
    passed as saved).
    """
    for name in UNSET_IF_DEPRECATED.get(cls.__name__, ()):
        if params.get(name) == "deprecated":
            default = inspect.signature(cls).parameters[name].default
            if default != "deprecated":
                del params[name]


def _reset_paths(cls: type, params: dict[str, Any], where: str, path: Path) -> None:
    """Reset the path-valued parameters (``memory``: a cache of pickles) to None, warning."""
    for name in sorted(path_parameters(cls) & set(params)):
        if params[name] is not None:
            _warn(
                path,
                f"{where} parameter {name}={params[name]!r} was reset to None: a model file "
                "does not choose where the library writes or reads its cache (set it "
                f"yourself after loading, e.g. set_params({name}=...)).",
            )
            params[name] = None


def _check_sizes(params: dict[str, Any], where: str, path: Path) -> None:
    """Refuse feature sizes above :data:`MAX_FEATURE_SIZES` (allocations made per file)."""
    for name, limit in MAX_FEATURE_SIZES.items():
        value = params.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > limit:
            raise bad(path, f"{where} parameter {name}={value!r} is above {limit}.")


#: Keys of a structure entry: those of every class, and those of a few only.
_ENTRY_KEYS = frozenset({"name", "class", "params", "fitted"})
_CLASS_KEYS = {
    "Pipeline": {"steps"},
    "FeatureUnion": {"transformers"},
    "CalibratedClassifierCV": {"estimator"},
    "MusicnnTransformer": {"pretrained"},
}


def _cap_jobs(cls: type, params: dict[str, Any], where: str, path: Path) -> None:
    """Reset (warning) a scikit-learn ``n_jobs`` above this machine's cores to None.

    Those are joblib workers (processes, for ``FeatureUnion.transform``), as the networks'
    ``num_workers`` are; the audio transformers' ``n_jobs`` are threads capped when they run.
    """
    jobs = params.get("n_jobs")
    cores = os.cpu_count() or 1
    if cls.__module__.startswith("sklearn.") and type(jobs) is int and jobs > cores:
        _warn(
            path,
            f"{where} parameter n_jobs={jobs} was reset to None: more workers than the "
            f"{cores} cores of this machine.",
        )
        params["n_jobs"] = None


def _check_musicnn(entry: dict, est: Any, where: str, path: Path) -> None:
    """Check that the file names a shipped musicnn model and the SHA-256 shipped here."""
    from ..neural._musicnn import MUSICNN_MODELS

    model = est.model
    if not isinstance(model, str) or model not in MUSICNN_MODELS:
        raise bad(
            path,
            f"{where} names the musicnn model {str(model)[:80]!r}, which this sk_deepsense "
            f"does not ship (it ships {', '.join(sorted(MUSICNN_MODELS))}).",
        )
    expected, found = musicnn_record(model), entry.get("pretrained")
    if found != expected:
        digest = found.get("sha256") if isinstance(found, dict) else None
        raise bad(
            path,
            f"{where}: the model was made with other musicnn weights than the {model} "
            f"weights this sk_deepsense ships (SHA-256 {str(digest)[:80]!r} in the file, "
            f"{expected['sha256']} here, in {expected['file']}).",
        )


def _check_padding(est: Any, where: str, path: Path) -> None:
    """Refuse a ``duration`` that pads each clip beyond :data:`MAX_PADDED_CLIP_BYTES`."""
    from ..features._base import BaseAudioTransformer
    from ..features._musicnn import MUSICNN_OUTPUTS, _outputs

    if not isinstance(est, BaseAudioTransformer) or est.duration is None:
        return
    try:
        n_frames = est.expected_n_frames()
        if isinstance(est, MusicnnTransformer):
            width = sum(MUSICNN_OUTPUTS[name] for name in _outputs(est.output))
        else:
            width = len(est._coefficient_names())
    except (ValueError, OverflowError) as exc:
        raise bad(path, f"invalid parameters of {where}: {exc}") from None
    if n_frames is None:  # not with a duration (checked above): for type checkers
        return
    if n_frames * width * 4 > MAX_PADDED_CLIP_BYTES:
        raise bad(
            path,
            f"{where} parameter duration={est.duration!r} pads every clip to {n_frames} "
            f"frames of {width} values ({n_frames * width * 4} bytes; at most "
            f"{MAX_PADDED_CLIP_BYTES}).",
        )


def _check_union(params: dict[str, Any], names: list[str], path: Path) -> None:
    """Validate a FeatureUnion's parameters (scikit-learn declares no constraints for them).

    ``verbose_feature_names_out`` must be a bool: a str is a format string applied to
    every feature name (``"{feature_name:>1000000000}"`` would allocate gigabytes).
    """
    weights = params.get("transformer_weights")
    problems = []
    if params.get("n_jobs") is not None and type(params["n_jobs"]) is not int:
        problems.append("n_jobs is not an int or None")
    if weights is not None and not (
        isinstance(weights, dict)
        and set(weights) <= set(names)
        and all(type(w) in (int, float) and np.isfinite(w) for w in weights.values())
    ):
        problems.append("transformer_weights is not a dict of finite numbers by transformer")
    for name in ("verbose", "verbose_feature_names_out"):
        if name in params and type(params[name]) is not bool:
            problems.append(f"{name} is not a bool")
    if problems:
        raise bad(path, f"invalid parameters of a FeatureUnion: {'; '.join(problems)}.")


class _Builder:
    """Builds the estimators of a file's structure, each from its entry, checking as it goes.

    The networks are collected (their weights are read last); the fitted state of the other
    estimators is set as they are built, its arrays counted against one :class:`Budget`.
    """

    def __init__(self, path: Path, device: str, budget: Budget) -> None:
        self.path, self.device, self.budget = path, device, budget
        self.networks: list[tuple[Any, Any]] = []

    def children(self, entries: Any, key: str, where: str) -> list[tuple[str, Any]]:
        """Build the named estimators of a Pipeline's steps or a FeatureUnion's transformers."""
        if not isinstance(entries, list) or not entries:
            raise bad(self.path, f"the {key} of {where} are missing.")
        built = [self.build(e) for e in entries]
        names = [name for name, _ in built]
        if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise bad(self.path, f"the names of the {key} of {where} are malformed.")
        return cast(list[tuple[str, Any]], built)  # every name is a str (checked above)

    def build(
        self, entry: Any, classes: tuple[str, ...] | None = None, *, template: bool = False
    ) -> tuple[str | None, Any]:
        """Build the estimator of one entry of the structure, fitted (or not: ``template``).

        ``classes``: those the entry may name here; ``template``: an estimator that is a
        parameter (``CalibratedClassifierCV(estimator=...)``), which has no fitted state.
        """
        path = self.path
        if not isinstance(entry, dict) or not isinstance(entry.get("params"), dict):
            raise bad(path, "a step of the structure is malformed.")
        class_name = entry.get("class")
        if not isinstance(class_name, str) or class_name not in ESTIMATORS:
            raise bad(
                path,
                f"unknown class name {class_name!r} (expected one of {', '.join(ESTIMATORS)}).",
            )
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            raise bad(path, "a step of the structure has a name that is not a str.")
        where = class_name if name is None else f"step {name!r}"
        if classes is not None and class_name not in classes:
            raise bad(path, f"{where} is a {class_name}; only {', '.join(classes)} may be here.")
        extra = set(entry) - _ENTRY_KEYS - _CLASS_KEYS.get(class_name, set())
        if extra:
            raise bad(path, f"{where} has unknown keys {sorted(map(str, extra))[:3]}.")
        cls = ESTIMATORS[class_name]
        try:
            params = decode_params(entry["params"])
        except ValueError as exc:
            raise bad(path, f"{where}: {exc}.") from None
        nested = NESTED[cls][0] if cls in NESTED else None
        unknown = set(params) - (set(cls._get_param_names()) - {nested})
        if unknown:
            raise bad(path, f"unknown parameters {sorted(unknown)} of {class_name}.")
        _drop_unset(cls, params)
        _reset_paths(cls, params, where, path)
        _check_sizes(params, where, path)
        _cap_jobs(cls, params, where, path)
        if "device" in cls._get_param_names():  # the device asked for, whatever it was
            params["device"] = self.device
        if "net_params" in params:
            params["net_params"] = _clean_net_params(params["net_params"], where, path)
        if params.get("callbacks") is not None:
            raise bad(path, f"{where} has callbacks; a saved model has none.")
        if cls is Pipeline:
            params["steps"] = self.children(entry.get("steps"), "steps", where)
        elif cls is FeatureUnion:
            params["transformer_list"] = self.children(
                entry.get("transformers"), "transformers", where
            )
            _check_union(params, [n for n, _ in params["transformer_list"]], path)
        elif cls is CalibratedClassifierCV:
            inner = entry.get("estimator")
            params["estimator"] = (
                None if inner is None else self.build(inner, CALIBRATED, template=True)[1]
            )
        estimator = cls(**params)
        if cls is MusicnnTransformer:
            _check_musicnn(entry, estimator, where, path)
        if cls is not FeatureUnion:  # which declares no constraints (_check_union)
            try:
                estimator._validate_params()
            except (TypeError, ValueError) as exc:
                raise bad(path, f"invalid parameters of {class_name}: {exc}") from None
        _check_padding(estimator, where, path)
        self._fit(estimator, entry, class_name, where, template)
        return name, estimator

    def _fit(self, est: Any, entry: dict, class_name: str, where: str, template: bool) -> None:
        """Give ``est`` the fitted state of ``entry`` (a network's: later, with its weights)."""
        path, fitted = self.path, entry.get("fitted")
        if template or not (STATE.get(class_name) or hasattr(est, "_set_fitted_state")):
            if "fitted" in entry:
                what = "an estimator that is a parameter" if template else f"a {class_name}"
                raise bad(path, f"{where} holds a fitted state, which {what} has not.")
        elif hasattr(est, "_set_fitted_state"):
            self.networks.append((est, fitted))
        else:
            try:
                set_fitted_state(est, fitted, self.budget, self._calibrated)
            except ModelFileError:
                raise
            except (AttributeError, KeyError, TypeError, ValueError, OverflowError) as exc:
                detail = str(exc) if type(exc) is ValueError else f"{type(exc).__name__}: {exc}"
                raise bad(path, f"the fitted state of {where} is malformed ({detail}).") from None

    def _calibrated(self, entry: Any, classes: tuple[str, ...], where: str) -> Any:
        """Build a fitted classifier of ``calibrated_classifiers_``: an entry like any other."""
        if not isinstance(entry, dict) or "fitted" not in entry:
            raise ParameterError(f"the classifier of {where} is not a fitted estimator")
        return self.build(entry, classes)[1]


def _check_tensors(tensors: Any, path: Path) -> None:
    """Refuse anything but finite, dense floating-point CPU tensors."""
    if not isinstance(tensors, dict) or not all(
        isinstance(k, str) and type(v) is torch.Tensor for k, v in tensors.items()
    ):
        raise bad(path, f"{WEIGHTS_MEMBER} does not hold a state_dict of tensors.")
    for key, tensor in tensors.items():
        if tensor.layout != torch.strided or tensor.device.type != "cpu":
            raise bad(path, f"the tensor {key} of {WEIGHTS_MEMBER} is not a dense CPU tensor.")
        if not tensor.is_floating_point():
            raise bad(path, f"the tensor {key} of {WEIGHTS_MEMBER} is of dtype {tensor.dtype}.")
        if not bool(torch.isfinite(tensor).all()):
            raise bad(path, f"the tensor {key} of {WEIGHTS_MEMBER} holds NaN or infinite values.")


def _restore(est: Any, fitted: Any, tensors: Any, path: Path, budget: Budget) -> None:
    """Give ``est`` its fitted state (the estimator's ``_set_fitted_state``), or say why not.

    The arrays of the state together must fit in what is left of ``budget`` (each one
    is also checked again, alone, by the estimator), so that many of them cannot add up.
    """
    if not isinstance(fitted, dict):
        raise bad(path, "the fitted state of the network is missing.")
    _check_tensors(tensors, path)
    try:
        for name, value in fitted.items():
            budget.take(declared_bytes(value), array_name(str(name)[:80], value))
    except ValueError as exc:
        raise bad(path, f"the fitted state of the network is malformed ({exc}).") from None
    try:
        est._set_fitted_state(fitted, tensors, max_array_bytes=budget.limit)
    except RuntimeError as exc:  # load_state_dict: other names or shapes
        raise bad(path, f"the weights do not fit the network ({exc}).") from None
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError) as exc:
        detail = str(exc) if type(exc) is ValueError else f"{type(exc).__name__}: {exc}"
        raise bad(path, f"the fitted state of the network is malformed ({detail}).") from None


def _check_member(info: zipfile.ZipInfo, limit: int, path: Path) -> None:
    """Refuse a member that is encrypted, oddly compressed, too large or a zip bomb."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise bad(path, f"{name} is encrypted.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise bad(
            path,
            f"{name} is compressed with method {info.compress_type} (only stored or "
            "deflated members are read).",
        )
    if info.file_size > limit:
        raise bad(path, f"{name} would expand to {info.file_size} bytes (at most {limit}).")
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_COMPRESSION_RATIO * max(
        info.compress_size, 1
    ):
        raise bad(
            path,
            f"{name} would expand {info.file_size // max(info.compress_size, 1)} times (from "
            f"{info.compress_size} to {info.file_size} bytes; at most {MAX_COMPRESSION_RATIO} "
            "times): a zip bomb, not a model.",
        )


def _members(archive: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """Return the archive's members by name, each checked before any is read."""
    infos = archive.infolist()
    counts = Counter(info.filename for info in infos)
    twice = sorted(name for name, n in counts.items() if n > 1)
    if twice:
        raise bad(path, f"the archive holds {', '.join(map(repr, twice[:3]))} more than once.")
    unknown = sorted(set(counts) - {JSON_MEMBER, WEIGHTS_MEMBER})
    if unknown:
        raise bad(
            path,
            f"unexpected members {unknown[:3]} (a model file holds "
            f"{JSON_MEMBER} and {WEIGHTS_MEMBER} only).",
        )
    limits = {JSON_MEMBER: MAX_JSON_BYTES, WEIGHTS_MEMBER: MAX_WEIGHTS_BYTES}
    for info in infos:
        _check_member(info, limits[info.filename], path)
    return {info.filename: info for info in infos}


def _check_depth(document: Any, path: Path) -> None:
    """Refuse JSON nested deeper than :data:`MAX_JSON_DEPTH` (walked without recursion)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise bad(path, f"{JSON_MEMBER} nests deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _read_weights(data: bytes, path: Path) -> dict[str, Any]:
    """Read ``weights.pt``: torch's zip format, its records stored (checked), tensors only."""
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise bad(path, f"{WEIGHTS_MEMBER} is not a torch zip file.") from None
    with inner:
        infos = inner.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise bad(path, f"{WEIGHTS_MEMBER} holds a record more than once.")
        for info in infos:  # torch writes its records uncompressed: their sizes are real
            if info.compress_type != zipfile.ZIP_STORED or info.file_size > len(data):
                raise bad(path, f"{WEIGHTS_MEMBER} holds a compressed record ({info.filename}).")
    try:  # tensors are read on the CPU; the network copies them to its device
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # any failure: not tensors we can trust
        raise bad(path, f"{WEIGHTS_MEMBER} is not a tensors-only torch file ({exc}).") from None


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
    ModelFileError
        For every way the file can be wrong (a ``ValueError``; the message names the file
        and the reason): not a zip archive; members other than ``model.json`` and
        ``weights.pt``, or one twice; a member compressed other than stored or deflated,
        larger than its cap or expanding more than 100 times (checked from the zip
        directory, before reading); JSON that is invalid or nested deeper than 64 levels;
        a format version other than ``FORMAT_VERSION`` (format 1, of the development
        versions before the first release, is not supported); an unknown class or
        parameter; feature sizes above their caps;
        network dimensions the weights do not hold; ``weights.pt`` holding anything but
        finite floating-point tensors in torch's zip format; a feature or target scale that
        is not positive; arrays of the fitted state larger, together, than the file could
        have written; a ``duration`` that pads each clip beyond 1 GiB; a
        ``MusicnnTransformer`` of other musicnn weights than those shipped here, or of a
        model not shipped; a scikit-learn estimator's fitted attribute that is unknown,
        missing, of another dtype, of a shape that disagrees with the others, not finite,
        or (an SVC's) inconsistent with the arrays libsvm reads alongside it; and anything
        else that fails while reading it.
    ValueError
        If ``device`` is not a torch device, or CUDA is asked for and not available.
    FileNotFoundError
        If ``path`` does not exist.

    Warns
    -----
    ModelVersionWarning
        If the file was saved with another sk_deepsense version, or another major or minor
        version of torch, scikit-learn, skorch, numpy, librosa or Python. The model is still
        loaded.
    UserWarning
        If the file names a cache folder (``memory``), which is reset to ``None``;
        ``net_params`` that name a device, a path or compiled code (dropped); or a
        scikit-learn ``n_jobs`` above this machine's cores (reset to ``None``).

    See Also
    --------
    save_model : Write a model.

    Notes
    -----
    Nothing in the file is unpickled or imported: ``model.json`` is parsed as JSON, estimators
    are made only from a fixed list of classes (:func:`save_model` lists them), each
    scikit-learn estimator's fitted attributes are set from a fixed list per class after
    being checked, and the weights are read with
    ``torch.load(..., map_location="cpu", weights_only=True)``. Nor does the file choose a
    place on disk or a device: path-valued parameters (``memory``, a joblib cache of
    pickles) are reset to ``None`` and the ``device`` asked for here wins over ``device``
    and ``net_params`` in the file. Sizes are checked before anything is allocated: the
    network is built first on torch's ``meta`` device and its tensor shapes compared with
    the file's.

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
        raise ParameterTypeError(f"device must be a str such as 'cpu' or 'cuda', got {device!r}.")
    device = str(device)
    try:
        torch_device = torch.device("cpu" if device == "auto" else device)
    except RuntimeError as exc:
        raise ParameterError(f"Invalid device {device!r}: {exc}") from None
    if torch_device.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(
            f"device={device!r}, but CUDA is not available on this machine; pass device='cpu' "
            "(a model saved from a GPU loads on the CPU)."
        )
    if not path.is_file():
        raise MissingFileError(f"No such model file: {path}")
    with open(path, "rb") as fh:  # an unreadable file is an OSError, not a bad model file
        try:
            return _read(fh, path, device)
        except ModelFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever else a crafted file causes
            reason = " ".join(str(exc).split())[:300] or "no message"
            raise bad(path, f"reading it failed ({type(exc).__name__}: {reason}).") from None


def _read(fh: Any, path: Path, device: str) -> Any:
    """:func:`load_model` on an open file; any exception is turned into ModelFileError."""
    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise bad(path, f"not a zip archive ({exc}).") from None
    with archive:
        members = _members(archive, path)
        if JSON_MEMBER not in members:
            raise bad(path, f"the archive lacks {JSON_MEMBER}.")
        text = archive.read(JSON_MEMBER)
        try:
            document = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            reason = "it nests too deeply" if isinstance(exc, RecursionError) else exc
            raise bad(path, f"{JSON_MEMBER} is not valid JSON ({reason}).") from None
        _check_depth(document, path)
        if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
            raise bad(path, f"{JSON_MEMBER} is not an sk_deepsense model description.")
        version = document.get("format_version")
        if type(version) is int and 0 < version < FORMAT_VERSION:
            # written before the first release: no reader is kept for it (docs/development.rst)
            raise bad(
                path,
                f"format version {version} is not supported: it was written by a development "
                f"version of sk_deepsense before the first release, and this sk_deepsense "
                f"reads format {FORMAT_VERSION} only. Fit the model again and save it.",
            )
        if type(version) is not int or version != FORMAT_VERSION:
            raise bad(
                path,
                f"unknown format version {version!r} (this sk_deepsense reads format "
                f"{FORMAT_VERSION}; a newer sk_deepsense may read it).",
            )
        structure = document.get("model")
        if not isinstance(structure, dict) or not isinstance(structure.get("steps"), list):
            raise bad(path, "the model structure is missing.")
        if structure.get("kind") not in ("estimator", "Pipeline") or not structure["steps"]:
            raise bad(path, f"unknown model kind {structure.get('kind')!r}.")
        if structure["kind"] == "estimator" and len(structure["steps"]) != 1:
            raise bad(path, "a single estimator must have exactly one step.")

        check_versions(document.get("versions"), path)
        # the arrays of the fitted state take at most 64 bytes per byte of JSON, together
        builder = _Builder(path, device, Budget(max(2**20, 64 * len(text))))
        built = [builder.build(entry) for entry in structure["steps"]]

        if len(builder.networks) > 1:
            raise bad(path, "more than one network.")
        if builder.networks:
            if WEIGHTS_MEMBER not in members:
                raise bad(path, f"the archive lacks {WEIGHTS_MEMBER}.")
            tensors = _read_weights(archive.read(WEIGHTS_MEMBER), path)
            _restore(*builder.networks[0], tensors, path, builder.budget)

    if structure["kind"] == "estimator":
        return built[0][1]
    params = structure.get("params", {})
    if not isinstance(params, dict) or set(params) - (set(Pipeline._get_param_names()) - {"steps"}):
        raise bad(path, "the Pipeline's parameters are malformed.")
    try:
        params = decode_params(params)
    except ValueError as exc:
        raise bad(path, f"the Pipeline's {exc}.") from None
    _reset_paths(Pipeline, params, "the Pipeline's", path)
    names_ = [name for name, _ in built]
    if not all(isinstance(n, str) for n in names_) or len(set(names_)) != len(names_):
        raise bad(path, "the Pipeline's step names are malformed.")
    pipeline = Pipeline(built, **params)
    try:
        pipeline._validate_params()
    except (TypeError, ValueError) as exc:
        raise bad(path, f"invalid parameters of the Pipeline: {exc}") from None
    return pipeline
