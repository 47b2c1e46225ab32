"""What every figure shares: a Figure without pyplot, the Axes to draw on, numeric input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..exceptions import ParameterTypeError

__all__ = ["new_figure"]


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    sharex: bool | Literal["none", "all", "row", "col"] = False,
    sharey: bool | Literal["none", "all", "row", "col"] = False,
    squeeze: bool = True,
    width_ratios: Sequence[float] | None = None,
    height_ratios: Sequence[float] | None = None,
    subplot_kw: Mapping[str, Any] | None = None,
    gridspec_kw: Mapping[str, Any] | None = None,
    **fig_kw: Any,
) -> tuple[Figure, Any]:
    """Make a figure and its axes without pyplot, to draw on and save from a script.

    The same arguments and return value as :func:`matplotlib.pyplot.subplots`, but the
    :class:`~matplotlib.figure.Figure` is built directly: it selects no backend, is not
    registered with pyplot (no window opens, ``plt.close`` is not needed, it is freed with its
    last reference) and ``fig.savefig("out.png")`` writes the file with matplotlib's default
    canvas (Agg for PNG). The command line, the demo and the benchmark save their figures this
    way, so that the package never changes the caller's matplotlib backend. In a notebook or
    an interactive session, :func:`matplotlib.pyplot.subplots` (or ``ax=None``) remains the way
    to get figures that show.

    Parameters
    ----------
    nrows, ncols : int, default=1
        Grid of axes.
    sharex, sharey : bool or {"none", "all", "row", "col"}, default=False
        Share the x or y axis between the axes, as in :meth:`~matplotlib.figure.Figure.subplots`.
    squeeze : bool, default=True
        Return a single Axes for a 1x1 grid and a 1-D array for one row or column; ``False``
        always returns a 2-D array.
    width_ratios, height_ratios : sequence of float or None, default=None
        Relative widths of the columns, heights of the rows.
    subplot_kw : dict or None, default=None
        Keyword arguments of :meth:`~matplotlib.figure.Figure.add_subplot` for each axes.
    gridspec_kw : dict or None, default=None
        Keyword arguments of :class:`~matplotlib.gridspec.GridSpec`.
    **fig_kw
        Keyword arguments of :class:`~matplotlib.figure.Figure` (``figsize``, ``dpi``,
        ``layout``, ...).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The new figure.
    ax : matplotlib.axes.Axes or numpy.ndarray of Axes
        Its axes, shaped as ``squeeze`` says.

    Examples
    --------
    >>> import io
    >>> fig, ax = new_figure(figsize=(4, 3))
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> fig.savefig(io.BytesIO(), format="png")
    >>> fig, axes = new_figure(2, 1, squeeze=False)
    >>> axes.shape
    (2, 1)
    """
    fig = Figure(**fig_kw)
    axes = fig.subplots(
        nrows,
        ncols,
        sharex=sharex,
        sharey=sharey,
        squeeze=squeeze,
        width_ratios=width_ratios,
        height_ratios=height_ratios,
        subplot_kw=None if subplot_kw is None else dict(subplot_kw),
        gridspec_kw=None if gridspec_kw is None else dict(gridspec_kw),
    )
    return fig, axes


def _get_ax(ax: Any, **subplots_kw: Any) -> Axes:
    """Return ``ax`` after checking its type, or the Axes of a new pyplot figure when ``None``.

    pyplot is imported only here, when no Axes is given (interactive use): drawing on the axes
    of :func:`new_figure` needs no pyplot figure.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(**subplots_kw)
        return ax
    if not isinstance(ax, Axes):
        raise ParameterTypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}.")
    return ax


def _float_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a float64 array, with a TypeError naming ``name`` if it is not numeric."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterTypeError(
            f"{name} must be a numeric array-like, got {type(x).__name__}."
        ) from exc
    return arr
