"""The skorch net of an estimator, built from its hyperparameters; mixup training steps.

One source of truth: the module's keyword arguments are the settings declared with
``module=True`` in :mod:`~sk_deepsense.neural._params` (plus the sizes and statistics ``fit``
derives from the data, and ``frame_outputs``, fixed by the estimator's class); the built-in
net options below are defaults that the estimator's ``callbacks`` and ``net_params`` extend
or override, in skorch's own ``prefix__name`` idiom.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, GradientNormClipping, PrintLog

from ..exceptions import ParameterError, ParameterTypeError
from ._mixup import _MixupNet
from ._module import HybridCNNLSTMModule
from ._params import module_settings

if TYPE_CHECKING:
    from ._base import BaseHybridCNNLSTM

__all__: list[str] = []

#: Norm above which gradients are rescaled (the built-in ``"clip"`` callback).
GRADIENT_CLIP = 5.0


def resolve_device(device: str | torch.device) -> str | torch.device:
    """Return the device to train on: ``"auto"`` is CUDA when available, else the CPU.

    Raises
    ------
    ValueError
        If the device is not one this machine can use (``"cuda"`` on a machine without
        CUDA, a name torch does not know), naming the device and the reason.
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        if torch.device(device).type == "meta":
            raise ParameterError("a meta tensor holds no data to train on")
        torch.empty(0, device=device)  # what training would do first, on an empty tensor
    except (RuntimeError, AssertionError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ParameterError(
            f"device={str(device)!r} cannot be used on this machine ({reason}); use "
            "device='cpu', or device='auto' for CUDA when available"
        ) from None
    return device


#: ANSI escape sequences (skorch's epoch table colours the best scores).
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def progress(text: str) -> None:
    """Write one progress text (an epoch table row, an early-stopping note) to stderr."""
    print(text, file=sys.stderr, flush=True)


def _colour(stream: Any) -> bool:
    """Colour ``stream`` only if it is a terminal and ``NO_COLOR`` is unset."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


class EpochLog(PrintLog):
    """skorch's epoch table, written to standard error and labelled with the network.

    Progress is not a result: the table goes to standard error (standard output stays
    for scores and predictions), without ANSI colours unless standard error is a terminal
    (and ``NO_COLOR`` is unset), and starts with ``label`` (e.g. ``"network 2 of 3"``: the
    default classifier trains an ensemble of three networks, one table each).

    Parameters
    ----------
    label : str, default=""
        Printed on its own line before the table's header; nothing when empty.
    """

    def __init__(self, label: str = "", **kwargs: Any) -> None:
        super().__init__(sink=progress, **kwargs)
        self.label = label

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        """Print the label (at verbosity > 0) before the first epoch's table."""
        if self.label and net.verbose:
            progress(f"{self.label}:")

    def table(self, row: Any) -> str:
        """Return the table of one epoch, without colours when stderr is not a terminal."""
        text = super().table(row)
        return text if _colour(sys.stderr) else _ANSI.sub("", text)

    def _sink(self, text: str, verbose: int) -> None:
        if verbose:  # skorch's PrintLog prints to any sink but print() whatever the verbosity
            self.sink(text)


class _QuietStop(EarlyStopping):
    """skorch's early stopping, its notes ("Stopping since ...") to stderr at verbosity > 0."""

    def _sink(self, text: str, verbose: int) -> None:
        if verbose:
            progress(text)


def merge_callbacks(builtin: list[tuple[str, Any]], extra: Sequence | None) -> list:
    """Return the built-in ``(name, callback)`` pairs, then ``extra``'s.

    An extra pair whose name is a built-in's replaces it in place (``None`` removes it); the
    other pairs follow, in their order.
    """
    merged = dict(builtin)
    for item in extra or ():
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise ParameterTypeError(
                f"callbacks must be a list of (name, callback) tuples, got the item {item!r}."
            )
        name, callback = item
        merged[name] = callback
    return [(name, cb) for name, cb in merged.items() if cb is not None]


def make_net(
    est: BaseHybridCNNLSTM,
    n_coefficients: int,
    n_outputs: int,
    feature_mean: np.ndarray,
    feature_scale: np.ndarray,
    *,
    train_split: Any = None,
    max_epochs: int | None = None,
    label: str = "",
) -> NeuralNet:
    """Build the (uninitialized) skorch net of estimator ``est``'s hyperparameters.

    ``feature_mean`` and ``feature_scale`` become the module's standardization buffers (as
    float32). ``max_epochs`` (the refit's epoch count) overrides the parameter and turns early
    stopping off. ``est.callbacks`` are merged after the built-in ones (gradient clipping,
    early stopping) and ``est.net_params`` override every option set here.
    """
    params = est.get_params(deep=False)
    builtin: list[tuple[str, Any]] = [
        ("clip", GradientNormClipping(gradient_clip_value=GRADIENT_CLIP))
    ]
    if est.early_stopping and max_epochs is None:
        builtin.append(("early_stopping", _QuietStop(patience=est.patience, load_best=True)))
    options = {
        **{f"module__{name}": value for name, value in module_settings(params).items()},
        "module__n_coefficients": int(n_coefficients),
        "module__n_outputs": int(n_outputs),
        "module__feature_mean": np.asarray(feature_mean).astype(np.float32),
        "module__feature_scale": np.asarray(feature_scale).astype(np.float32),
        "module__frame_outputs": est._frame_outputs,
        "mixup": float(est.mixup),
        "mixed_precision": bool(est.mixed_precision),
        "criterion": est._criterion(),
        **est._criterion_params(),
        "optimizer": torch.optim.AdamW,
        "optimizer__weight_decay": est.weight_decay,
        "lr": est.lr,
        "max_epochs": est.max_epochs if max_epochs is None else int(max_epochs),
        "batch_size": est.batch_size,
        "iterator_train__shuffle": True,
        "train_split": train_split,
        "callbacks": merge_callbacks(builtin, est.callbacks),
        "device": resolve_device(est.device),
        "verbose": int(est.verbose),
        "callbacks__print_log": EpochLog(label),
    }
    options.update(est.net_params or {})
    return _MixupNet(module=HybridCNNLSTMModule, **options)
