"""Training and validation loss per epoch of the hybrid networks (skorch histories)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from ..exceptions import ParameterError, ParameterTypeError
from ._common import _get_ax

__all__ = ["plot_training_curves"]


def _as_history(obj: Any, name: str) -> list[Mapping]:
    """Return the epoch rows of a History, an estimator with ``history_`` or a Pipeline."""
    if isinstance(obj, Pipeline):
        return _as_history(obj[-1], name)
    if isinstance(obj, (list, tuple)) and all(isinstance(row, Mapping) for row in obj):
        rows = list(obj)  # a skorch History is a list of one dict per epoch
        if not rows:
            raise ParameterError(f"{name} is empty: no epoch was recorded (was the model fitted?).")
        return rows
    history = getattr(obj, "history_", None)
    if history is not None:
        return _as_history(history, name)
    from sklearn.base import BaseEstimator

    from .._tags import capabilities

    network = isinstance(obj, BaseEstimator) and capabilities(obj).network  # declared
    if network or "history_" in getattr(obj, "__dict__", {}):
        raise NotFittedError(
            f"This {type(obj).__name__} instance is not fitted yet: it has no training history "
            "to plot. Call 'fit' first."
        )
    raise ParameterTypeError(
        f"{name} must be a skorch History, a fitted HybridCNNLSTMClassifier / "
        "HybridCNNLSTMRegressor (or anything with a history_), a fitted Pipeline ending in "
        f"one, or a list of those; got {type(obj).__name__}."
    )


def _column(rows: list[Mapping], key: str) -> np.ndarray:
    return np.array([float(row.get(key, np.nan)) for row in rows], dtype=np.float64)


def plot_training_curves(history: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Plot training and validation loss per epoch, marking the best validation epoch.

    Parameters
    ----------
    history : History, estimator, Pipeline, or list or tuple of those
        A skorch :class:`~skorch.history.History` (or a list of one dict per epoch), a fitted
        estimator with a ``history_`` (:class:`~sk_deepsense.HybridCNNLSTMClassifier`,
        :class:`~sk_deepsense.HybridCNNLSTMRegressor`, a skorch net), a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one, or a list or tuple of those (e.g.
        the estimators of ``cross_validate(..., return_estimator=True)``): each is drawn as
        its own pair of lighter curves, in the same colours (one legend entry per kind).
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new figure.
    title : str or None, default=None
        Axes title; ``None`` gives a default, ``""`` none.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on. Training loss is solid (colour ``C0``), validation loss dashed
        (``C1``); the best validation epoch (the last epoch flagged ``valid_loss_best``, which
        early stopping restores) is a star on the validation curve. Validation curves exist
        only when the model was fitted with ``early_stopping=True``.

    Raises
    ------
    TypeError
        If ``history`` (or an item of the list) is none of the accepted types.
    ValueError
        If a history is empty or records no ``train_loss``.
    sklearn.exceptions.NotFittedError
        If an estimator is not fitted (a subclass of ValueError).

    Examples
    --------
    >>> from skorch.history import History
    >>> h = History()
    >>> for e, (tr, va) in enumerate([(1.0, 0.9), (0.6, 0.7), (0.4, 0.8)], start=1):
    ...     h.new_epoch()
    ...     h.record("epoch", e)
    ...     h.record("train_loss", tr)
    ...     h.record("valid_loss", va)
    ...     h.record("valid_loss_best", e <= 2)
    >>> ax = plot_training_curves(h)
    >>> [line.get_label() for line in ax.lines]
    ['train loss', 'validation loss', 'best validation epoch']
    """
    is_single = isinstance(history, (list, tuple)) and all(
        isinstance(row, Mapping) for row in history
    )
    if isinstance(history, (list, tuple)) and not is_single:
        runs = [_as_history(h, f"history[{i}]") for i, h in enumerate(history)]
    else:
        runs = [_as_history(history, "history")]
    ax = _get_ax(ax)

    multi = len(runs) > 1
    alpha = 0.6 if multi else 1.0
    best_labelled = False
    for i, rows in enumerate(runs):
        name = f"history[{i}]" if multi else "history"
        train = _column(rows, "train_loss")
        if np.isnan(train).all():
            raise ParameterError(f"{name} records no train_loss.")
        epochs = np.array(
            [float(row.get("epoch", e + 1)) for e, row in enumerate(rows)], dtype=np.float64
        )
        # one legend entry per kind of curve, however many folds (they share a colour)
        suffix = " (each fold)" if multi else ""
        hide = "_" if i > 0 else ""
        ax.plot(epochs, train, color="C0", alpha=alpha, label=f"{hide}train loss{suffix}")
        valid = _column(rows, "valid_loss")
        if np.isnan(valid).all():
            continue
        ax.plot(
            epochs,
            valid,
            color="C1",
            linestyle="--",
            alpha=alpha,
            label=f"{hide}validation loss{suffix}",
        )
        flags = [bool(row.get("valid_loss_best", False)) for row in rows]
        # the last epoch flagged best; without flags, the first epoch of lowest loss
        best = len(flags) - 1 - flags[::-1].index(True) if any(flags) else int(np.nanargmin(valid))
        ax.plot(
            [epochs[best]],
            [valid[best]],
            linestyle="none",
            marker="*",
            markersize=12,
            color="C1",
            markeredgecolor="k",
            label="_best" if best_labelled else "best validation epoch",
        )
        best_labelled = True

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small")
    if title is None:
        title = f"Training curves ({len(runs)} folds)" if multi else "Training curves"
    ax.set_title(title)
    return ax
