"""The confusion matrix of class predictions (e.g. the quadrants Q1..Q4)."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from numpy.typing import ArrayLike
from sklearn.metrics import ConfusionMatrixDisplay

from ..exceptions import ParameterError
from ._common import _get_ax

__all__ = ["plot_confusion_matrix"]

_NORMALIZE_TITLES = {
    "true": "Confusion matrix (rows: true class, normalised per true class)",
    "pred": "Confusion matrix (columns: predicted class, normalised per predicted class)",
    "all": "Confusion matrix (normalised over all samples)",
    None: "Confusion matrix (counts)",
}


def plot_confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    normalize: str | None = "true",
    ax: Axes | None = None,
    cmap: str | Any = "Blues",
    colorbar: bool = True,
    title: str | None = None,
) -> Axes:
    """Plot the confusion matrix of class predictions (e.g. the quadrants Q1..Q4).

    A thin layer over :meth:`sklearn.metrics.ConfusionMatrixDisplay.from_predictions`: rows are
    the true classes, columns the predicted ones.

    Parameters
    ----------
    y_true : array-like [shape=(n_samples,)]
        True labels.
    y_pred : array-like [shape=(n_samples,)]
        Predicted labels.
    labels : array-like [shape=(n_classes,)] or None, default=None
        Classes to show, in this order; ``None`` uses the sorted union of both label sets.
    normalize : {"true", "pred", "all"} or None, default="true"
        ``"true"`` divides each row by the number of samples of that true class (the diagonal
        is then the per-class recall), ``"pred"`` each column by the number of predictions of
        that class (precision), ``"all"`` by the total; ``None`` shows counts. Normalised
        values are written with 2 decimals, counts as integers.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new figure.
    cmap : str or matplotlib.colors.Colormap, default="Blues"
        Colormap of the cells.
    colorbar : bool, default=True
        Whether to add a colorbar.
    title : str or None, default=None
        Axes title; ``None`` describes the normalisation, ``""`` leaves the title empty.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on; the matrix is ``ax.images[0]``.

    Raises
    ------
    ValueError
        If ``normalize`` is not one of the accepted values, or ``y_true`` and ``y_pred``
        differ in length or are empty.
    TypeError
        If ``ax`` is not a matplotlib Axes.

    Examples
    --------
    >>> ax = plot_confusion_matrix(["Q1", "Q2", "Q2"], ["Q1", "Q2", "Q1"])
    >>> ax.images[0].get_array().tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    if normalize not in _NORMALIZE_TITLES:
        raise ParameterError(
            f"normalize must be one of 'true', 'pred', 'all' or None, got {normalize!r}."
        )
    n_true, n_pred = len(y_true), len(y_pred)  # type: ignore[arg-type]
    if n_true != n_pred:
        raise ParameterError(
            f"y_true and y_pred must have the same length, got {n_true} and {n_pred}."
        )
    if n_true == 0:
        raise ParameterError("y_true and y_pred are empty: a confusion matrix needs samples.")
    if ax is not None:
        ax = _get_ax(ax)
    display = ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        normalize=normalize,
        values_format="d" if normalize is None else ".2f",
        cmap=cmap,
        ax=ax,
        colorbar=colorbar,
    )
    ax = display.ax_
    ax.set_title(_NORMALIZE_TITLES[normalize] if title is None else title)
    return ax
