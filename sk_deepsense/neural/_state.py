"""The estimators' fitted state as data: JSON-able values and named tensors.

This is the protocol :mod:`sk_deepsense.persistence` calls, so that the estimator that owns a
fitted attribute is the one that saves it:

- :meth:`_FittedStateMixin._get_fitted_state` returns ``(state, tensors)``: ``state`` maps
  every fitted attribute (a name ending in ``_``) but the networks to JSON data, plus the
  training history (``"history_"``) and the number of networks (``"n_networks"``);
  ``tensors`` maps names to the networks' CPU tensors (their modules' ``state_dict``; with
  several networks under ``"ensemble.<i>."``).
- :meth:`_FittedStateMixin._set_fitted_state` sets the attributes back and rebuilds the
  networks around the tensors, without training.

A new fitted attribute holding data (a number, a string, ``None``, an ndarray of numbers,
strings or booleans) is therefore saved and loaded with no change anywhere; one holding
anything else makes saving fail with a ``TypeError`` that names it, never a silently
incomplete file. Only data goes in and out: nothing here runs code taken from a file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ..exceptions import ParameterError, ParameterTypeError, StateError
from ._net import make_net

if TYPE_CHECKING:
    from ._base import BaseHybridCNNLSTM

__all__: list[str] = []

#: Fitted attributes rebuilt from the tensors and the history rather than stored as data.
NETWORK_ATTRIBUTES = ("net_", "nets_", "history_")
#: dtype kinds an ndarray attribute may have: str, int, unsigned, float, bool, object (of those).
ARRAY_KINDS = "UiufbO"
_SCALARS = (str, int, float, bool)
_ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]*_\Z")
_ENSEMBLE = "ensemble.{}."


_DROP = object()  # what _json_data leaves out


def _plain_scalar(value: Any) -> Any:
    """Return a JSON scalar (None, bool, int, float, str) as Python's type, else ``_DROP``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return _DROP


def encode(value: Any, name: str) -> Any:
    """Encode a fitted attribute's value as JSON data; ``TypeError`` if it is not data."""
    scalar = _plain_scalar(value)
    if scalar is not _DROP:
        return scalar
    if isinstance(value, np.ndarray) and value.dtype.kind in ARRAY_KINDS:
        values = value.tolist()
        flat = value.ravel().tolist()
        if value.dtype.kind != "O" or (value.ndim == 1 and all(type(v) in _SCALARS for v in flat)):
            return {"dtype": value.dtype.str, "values": values}
    raise ParameterTypeError(
        f"Cannot store the fitted attribute {name} ({type(value).__name__}"
        f"{', dtype ' + str(value.dtype) if isinstance(value, np.ndarray) else ''}) as data: "
        "only None, bool, int, float, str and ndarrays of those can be. Labels must be str, "
        "int, float or bool."
    )


def _leaves(values: list, name: str) -> int:
    """Count the scalars of a nested list (iteratively); ``ValueError`` if one is not."""
    count, stack = 0, [values]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif value is None or type(value) in _SCALARS:
            count += 1
        else:
            raise ParameterError(f"{name} is malformed")
    return count


def decode(value: Any, name: str, *, max_bytes: int | None = None) -> Any:
    """Decode what :func:`encode` stored; ``ValueError`` if it could not have written it.

    With ``max_bytes``, an array that would take more bytes (its dtype's item size times
    its number of values, counted before anything is allocated) is refused.
    """
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict) and set(value) == {"dtype", "values"}:
        try:
            dtype = np.dtype(value["dtype"]) if isinstance(value["dtype"], str) else None
        except (TypeError, ValueError):
            dtype = None
        values = value["values"]
        if dtype is not None and dtype.kind in ARRAY_KINDS and isinstance(values, list):
            n_values = _leaves(values, name)
            if max_bytes is not None and dtype.itemsize * max(n_values, 1) > max_bytes:
                raise ParameterError(
                    f"{name} of dtype {dtype.str} would take {dtype.itemsize * n_values} bytes "
                    f"for {n_values} values (at most {max_bytes} from this file)"
                )
            if dtype.kind != "O":
                try:
                    return np.array(values, dtype=dtype)
                except (TypeError, ValueError, OverflowError):
                    raise ParameterError(f"{name} is malformed") from None
            if all(type(v) in _SCALARS for v in values):
                array = np.empty(len(values), dtype=object)
                array[:] = values
                return array
    raise ParameterError(f"{name} is malformed")


class _FittedStateMixin:
    """``_get_fitted_state`` / ``_set_fitted_state`` of the estimators (module docstring)."""

    n_features_in_: int  # set by fit, declared for type checkers (nothing at run time)

    def _get_fitted_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Fitted attributes as JSON data, and the networks' tensors (on the CPU)."""
        check_is_fitted(self, "net_")
        owner = type(self).__name__
        state: dict[str, Any] = {
            name: encode(value, f"{name} of {owner}")
            for name, value in vars(self).items()
            if name.endswith("_") and not name.startswith("_") and name not in NETWORK_ATTRIBUTES
        }
        state["history_"] = _json_data(list(self.history_))
        nets = self.nets_
        state["n_networks"] = len(nets)
        tensors = {
            (_ENSEMBLE.format(i) if len(nets) > 1 else "") + key: value.detach().cpu()
            for i, net in enumerate(nets)
            for key, value in net.module_.state_dict().items()
        }
        return state, tensors

    def _set_fitted_state(
        self,
        state: dict[str, Any],
        tensors: dict[str, torch.Tensor],
        *,
        max_array_bytes: int | None = None,
    ) -> None:
        """Set the attributes of :meth:`_get_fitted_state` and rebuild its networks.

        Nothing is allocated before it is checked: arrays of the state are refused above
        ``max_array_bytes``, and the networks the hyperparameters describe are built first
        on torch's ``meta`` device (shapes only) and compared with ``tensors``, so a file
        cannot make a network larger than the weights it holds. The feature scales and the
        target statistics must be finite (scales positive).

        Raises ``ValueError`` (or ``KeyError``, ``TypeError``, ``RuntimeError``) if ``state``
        or ``tensors`` are malformed or do not fit together.
        """
        state = dict(state)
        rows = state.pop("history_")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ParameterError("history_ is not a list of epochs")
        n_networks = state.pop("n_networks", 1)
        if type(n_networks) is not int:
            raise ParameterError("n_networks is not an int")
        for name, value in state.items():
            if not isinstance(name, str) or not _ATTRIBUTE.match(name):
                raise ParameterError(f"{name!r} is not the name of a fitted attribute")
            if name in NETWORK_ATTRIBUTES:
                raise ParameterError(f"{name} is rebuilt from the weights, not stored")
            setattr(self, name, decode(value, name, max_bytes=max_array_bytes))
        self._check_fitted_state()
        _check_statistics(self)
        if n_networks > 1:  # checked against the tensors before any loop over networks
            found = {key.split(".", 2)[1] for key in tensors if key.startswith("ensemble.")}
            if len(found) != n_networks or found != {str(i) for i in range(len(found))}:
                raise ParameterError(f"the tensors are not those of {n_networks} networks")
        elif n_networks < 1:
            raise ParameterError("n_networks must be at least 1")
        if n_networks == 1:
            members = [tensors]
        else:
            members = [
                {k[len(p) :]: v for k, v in tensors.items() if k.startswith(p)}
                for p in (_ENSEMBLE.format(i) for i in range(n_networks))
            ]
        nets = []
        for member in members:
            mean = member["feature_mean"].cpu().numpy()
            scale = member["feature_scale"].cpu().numpy()
            if not (np.isfinite(scale).all() and (scale > 0).all()):
                raise ParameterError("feature_scale holds values that are not finite and positive")
            # the statistics also go to the constructor, so that net_.get_params() matches
            net = make_net(
                cast("BaseHybridCNNLSTM", self), self.n_features_in_, self._n_outputs(), mean, scale
            )
            _check_shapes(net, member)  # before the real network is allocated
            with torch.random.fork_rng(devices=[]):  # random init, overwritten: spare the RNG
                net.initialize()
            net.module_.load_state_dict(member, strict=True)
            nets.append(net)
        nets[0].history = History(rows)
        self.net_, self.nets_, self.history_ = nets[0], nets, nets[0].history

    def _check_fitted_state(self) -> None:
        """Raise ``ValueError`` if loaded attributes do not fit together (subclass hook)."""
        if not isinstance(self.n_features_in_, int) or self.n_features_in_ < 1:
            raise ParameterError("n_features_in_ is not a positive int")

    def _n_outputs(self) -> int:  # pragma: no cover - abstract
        """Return the outputs of the network (classes, or regression targets)."""
        raise NotImplementedError


def _check_statistics(est: Any) -> None:
    """Refuse target statistics that are not finite, or a target scale that is not > 0."""
    for name in ("target_mean_", "target_scale_"):
        value = getattr(est, name, None)
        if value is None:
            continue
        array = np.asarray(value)
        if array.dtype.kind not in "iuf" or not np.isfinite(array).all():
            raise ParameterError(f"{name} holds values that are not finite numbers")
        if name == "target_scale_" and not (array > 0).all():
            raise ParameterError(f"{name} holds values that are not positive")


def _check_shapes(net: Any, tensors: dict[str, torch.Tensor]) -> None:
    """Raise ``RuntimeError`` unless ``net``'s module has exactly the shapes of ``tensors``.

    The module is built on torch's ``meta`` device, which allocates nothing, after a cheap
    bound on its sizes: a dimension cannot exceed the number of weights, nor a layer count
    the number of tensors (each layer has its own).
    """
    kwargs = net.get_params_for("module")
    n_values = sum(t.numel() for t in tensors.values())
    for key, value in kwargs.items():
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            limit = len(tensors) if key.endswith("layers") else n_values
            if value > limit:
                raise StateError(
                    f"{key}={value} implies more weights than the {n_values} values in "
                    f"{len(tensors)} tensors of the file"
                )
    with torch.device("meta"), torch.random.fork_rng(devices=[]):
        expected = {k: tuple(v.shape) for k, v in net.module(**kwargs).state_dict().items()}
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    if expected != found:
        differ = sorted(
            k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k)
        )
        details = ", ".join(f"{k}: {found.get(k)} for {expected.get(k)}" for k in differ[:3])
        raise StateError(f"the hyperparameters imply other tensors ({details})")


def _json_data(value: Any) -> Any:
    """Recursively keep what JSON holds (numbers, str, bool, None, lists, str-keyed dicts)."""
    scalar = _plain_scalar(value)
    if scalar is not _DROP:
        return scalar
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
