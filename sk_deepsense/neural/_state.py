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
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._net import fitted_networks, make_net

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
    raise TypeError(
        f"Cannot store the fitted attribute {name} ({type(value).__name__}"
        f"{', dtype ' + str(value.dtype) if isinstance(value, np.ndarray) else ''}) as data: "
        "only None, bool, int, float, str and ndarrays of those can be. Labels must be str, "
        "int, float or bool."
    )


def decode(value: Any, name: str) -> Any:
    """Decode what :func:`encode` stored; ``ValueError`` if it could not have written it."""
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict) and set(value) == {"dtype", "values"}:
        try:
            dtype = np.dtype(value["dtype"])
        except TypeError:
            dtype = None
        values = value["values"]
        if dtype is not None and dtype.kind in ARRAY_KINDS and isinstance(values, list):
            if dtype.kind != "O":
                return np.array(values, dtype=dtype)
            if all(type(v) in _SCALARS for v in values):
                array = np.empty(len(values), dtype=object)
                array[:] = values
                return array
    raise ValueError(f"{name} is malformed")


class _FittedStateMixin:
    """``_get_fitted_state`` / ``_set_fitted_state`` of the estimators (module docstring)."""

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
        nets = fitted_networks(self)
        state["n_networks"] = len(nets)
        tensors = {
            (_ENSEMBLE.format(i) if len(nets) > 1 else "") + key: value.detach().cpu()
            for i, net in enumerate(nets)
            for key, value in net.module_.state_dict().items()
        }
        return state, tensors

    def _set_fitted_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """Set the attributes of :meth:`_get_fitted_state` and rebuild its networks.

        Raises ``ValueError`` (or ``KeyError``, ``TypeError``, ``RuntimeError``) if ``state``
        or ``tensors`` are malformed or do not fit together.
        """
        state = dict(state)
        rows = state.pop("history_")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("history_ is not a list of epochs")
        n_networks = int(state.pop("n_networks", 1))
        for name, value in state.items():
            if not isinstance(name, str) or not _ATTRIBUTE.match(name):
                raise ValueError(f"{name!r} is not the name of a fitted attribute")
            if name in NETWORK_ATTRIBUTES:
                raise ValueError(f"{name} is rebuilt from the weights, not stored")
            setattr(self, name, decode(value, name))
        self._check_fitted_state()
        if n_networks > 1:  # checked against the tensors before any loop over networks
            found = {key.split(".", 2)[1] for key in tensors if key.startswith("ensemble.")}
            if len(found) != n_networks or found != {str(i) for i in range(len(found))}:
                raise ValueError(f"the tensors are not those of {n_networks} networks")
        elif n_networks < 1:
            raise ValueError("n_networks must be at least 1")
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
            # the statistics also go to the constructor, so that net_.get_params() matches
            net = make_net(self, self.n_features_in_, self._n_outputs(), mean, scale)
            with torch.random.fork_rng(devices=[]):  # random init, overwritten: spare the RNG
                net.initialize()
            net.module_.load_state_dict(member, strict=True)
            nets.append(net)
        nets[0].history = History(rows)
        self.net_, self.nets_, self.history_ = nets[0], nets, nets[0].history

    def _check_fitted_state(self) -> None:
        """Raise ``ValueError`` if loaded attributes do not fit together (subclass hook)."""
        if not isinstance(self.n_features_in_, int) or self.n_features_in_ < 1:
            raise ValueError("n_features_in_ is not a positive int")

    def _n_outputs(self) -> int:  # pragma: no cover - abstract
        """Return the outputs of the network (classes, or regression targets)."""
        raise NotImplementedError


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
