"""(Arousal, valence) predictions and truth on Russell's plane."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from numpy.typing import ArrayLike

from ..datasets._quadrants import QUADRANT_MOODS
from ..exceptions import ParameterError
from ._common import _float_array, _get_ax

__all__ = ["plot_arousal_valence"]

#: Corner captions of the arousal-valence plane: (quadrant, text, x, y, ha, va) in axes units.
_QUADRANT_CAPTIONS = tuple(
    (q, f"{q} {QUADRANT_MOODS[q]}", x, y, ha, va)
    for q, x, y, ha, va in (
        ("Q1", 0.98, 0.98, "right", "top"),
        ("Q2", 0.02, 0.98, "left", "top"),
        ("Q3", 0.02, 0.02, "left", "bottom"),
        ("Q4", 0.98, 0.02, "right", "bottom"),
    )
)


def _check_av(y: Any, name: str) -> np.ndarray:
    """Validate an ``(n, 2)`` array of (arousal, valence) rows."""
    arr = _float_array(y, name)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ParameterError(
            f"{name} must have shape (n_samples, 2) with columns (arousal, valence), "
            f"got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ParameterError(f"{name} is empty: it needs at least one (arousal, valence) row.")
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise ParameterError(f"{name} must be finite, but row {row} contains NaN or infinity.")
    return arr


def plot_arousal_valence(
    y_pred: ArrayLike,
    y_true: ArrayLike | None = None,
    *,
    ax: Axes | None = None,
    quadrant_labels: bool = True,
    connect: bool = True,
    title: str | None = None,
) -> Axes:
    """Plot (arousal, valence) predictions, and optionally the truth, on Russell's plane.

    Valence is on the x axis and arousal on the y axis, with lines at 0 splitting the plane
    into the four quadrants. Predictions are drawn as crosses, true values as hollow circles,
    each truth joined to its prediction by a thin grey line. The limits are at least
    ``[-1, 1]`` (the scale of this package's loaders), widened symmetrically to fit the data,
    with an equal aspect ratio.

    Parameters
    ----------
    y_pred : array-like [shape=(n_samples, 2)]
        Predicted values, columns ``(arousal, valence)``.
    y_true : array-like [shape=(n_samples, 2)] or None, default=None
        True values, same columns and rows as ``y_pred``.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new square figure.
    quadrant_labels : bool, default=True
        Write the quadrant names ("Q1 happy", "Q2 angry / tense", "Q3 sad", "Q4 calm") in the
        corners.
    connect : bool, default=True
        Join each true point to its prediction (only when ``y_true`` is given).
    title : str or None, default=None
        Axes title; ``None`` gives a default, ``""`` none.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on. The predictions are the collection labelled ``"predicted"``, the
        truth the one labelled ``"true"``; their offsets are ``(valence, arousal)`` pairs.

    Raises
    ------
    ValueError
        If an input does not have 2 columns, is empty, contains NaN or infinity, or the two
        inputs differ in number of rows.
    TypeError
        If an input is not numeric or ``ax`` is not a matplotlib Axes.

    Examples
    --------
    >>> ax = plot_arousal_valence([[0.5, -0.2]], [[0.6, -0.4]])
    >>> [c.get_label() for c in ax.collections if not c.get_label().startswith("_")]
    ['true', 'predicted']
    """
    pred = _check_av(y_pred, "y_pred")
    true = None
    if y_true is not None:
        true = _check_av(y_true, "y_true")
        if true.shape[0] != pred.shape[0]:
            raise ParameterError(
                "y_true and y_pred must have the same number of rows, got "
                f"{true.shape[0]} and {pred.shape[0]}."
            )
    ax = _get_ax(ax, figsize=(6, 6.4))

    extent = np.abs(pred).max() if true is None else max(np.abs(pred).max(), np.abs(true).max())
    lim = 1.0 if extent <= 1.0 else 1.05 * float(extent)
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.6", linewidth=0.8, zorder=0)
    if true is not None and connect:
        # columns are (arousal, valence); the plane is (x=valence, y=arousal)
        segments = np.stack([true[:, ::-1], pred[:, ::-1]], axis=1)
        ax.add_collection(
            LineCollection(
                list(segments), colors="0.6", linewidths=0.6, zorder=1, label="_connections"
            )
        )
    if true is not None:
        ax.scatter(
            true[:, 1],
            true[:, 0],
            marker="o",
            facecolors="none",
            edgecolors="C0",
            zorder=2,
            label="true",
        )
    ax.scatter(pred[:, 1], pred[:, 0], marker="x", color="C3", zorder=3, label="predicted")
    if quadrant_labels:
        for _, text, x, y, ha, va in _QUADRANT_CAPTIONS:
            ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, color="0.35", fontsize=9)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("valence")
    ax.set_ylabel("arousal")
    # below the plane: inside, it would hide points or the quadrant captions
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize="small"
    )
    ax.set_title("Arousal-valence plane" if title is None else title)
    return ax
