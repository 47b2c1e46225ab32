"""The per-frame predictions of one clip over time (an emotion timeline)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from .._choices import default_output_names
from ..exceptions import ParameterError, ParameterTypeError
from ._common import _float_array, _get_ax

__all__ = ["plot_emotion_timeline"]


def _trim_padding(values: np.ndarray, name: str) -> np.ndarray:
    """Drop trailing all-NaN rows (padding) of a 2-D array; reject any other NaN or inf."""
    all_nan = np.isnan(values).all(axis=1)
    real = np.flatnonzero(~all_nan)
    if real.size == 0:
        raise ParameterError(f"{name} has no real frame: every row is NaN (padding).")
    values = values[: real[-1] + 1]
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        t = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"{name} contains NaN or infinity in frame {t}, inside the clip's real frames; "
            "only trailing rows that are entirely NaN (padding) are accepted."
        )
    return values


def _frames_2d(values: Any, name: str) -> tuple[np.ndarray, int]:
    """Validate per-frame values of one clip: the trimmed ``(n_real, k)`` array, all rows."""
    arr = _float_array(values, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ParameterError(
            f"{name} must be 1-D (n_frames,) or 2-D (n_frames, k) for one clip, got shape "
            f"{arr.shape}; pass one clip at a time (e.g. values[i])."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ParameterError(f"{name} is empty (shape {arr.shape}).")
    return _trim_padding(arr, name), arr.shape[0]


def _looks_like_proba(values: np.ndarray) -> bool:
    in_unit = bool(((values >= -1e-6) & (values <= 1 + 1e-6)).all())
    return in_unit and bool(np.allclose(values.sum(axis=1), 1.0, atol=1e-3))


def _check_segments(segments: Any) -> list[tuple[float, float, str]]:
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Sequence):
        raise ParameterTypeError(
            f"segments must be a list of (start, end, label) tuples, got {type(segments).__name__}."
        )
    out = []
    for i, seg in enumerate(segments):
        if isinstance(seg, (str, bytes)) or not isinstance(seg, Sequence) or len(seg) != 3:
            raise ParameterError(f"segments[{i}] must be a (start, end, label) tuple, got {seg!r}.")
        start, end, label = seg
        if not (isinstance(start, Real) and isinstance(end, Real)):
            raise ParameterTypeError(
                f"segments[{i}] must have numeric start and end, got {start!r} and {end!r}."
            )
        start, end = float(start), float(end)
        if not (np.isfinite(start) and np.isfinite(end) and end > start):
            raise ParameterError(
                f"segments[{i}] must have finite start < end, got start={start}, end={end}."
            )
        out.append((start, end, str(label)))
    return out


def plot_emotion_timeline(
    values: ArrayLike,
    *,
    times: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    kind: str | None = None,
    true_values: ArrayLike | None = None,
    true_times: ArrayLike | None = None,
    segments: Sequence[tuple[float, float, str]] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    time_unit: str = "s",
) -> Axes:
    """Plot the per-frame predictions of one clip over time.

    The parameter names match the fields of the
    :class:`~sk_deepsense.timeline.EmotionTimeline` objects that
    :func:`~sk_deepsense.timeline.predict_timeline` returns: ``timeline.plot(ax=ax)`` draws
    one with this function, as does ``plot_emotion_timeline(**dataclasses.asdict(timeline))``.

    Parameters
    ----------
    values : array-like [shape=(n_frames, k) or (n_frames,)]
        Per-frame predictions of **one** clip, e.g. ``clf.predict_proba_frames(X)[i]``. Rows
        that are entirely NaN at the end (padding) are dropped; NaN inside the real frames is
        an error. 1-D input is one output.
    times : array-like [shape=(n_frames,)] or None, default=None
        Time of each frame, either for all rows of ``values`` or for its real (non-padding)
        rows only. ``None`` uses the frame index.
    names : sequence of str [shape=(k,)] or None, default=None
        Legend name of each column. ``None``: ``["arousal", "valence"]`` for 2 value
        columns, else ``"output_0"``, ``"output_1"``, ... (the library's default names).
    kind : {"proba", "av"} or None, default=None
        ``"proba"``: class probabilities, y axis ``[0, 1]``. ``"av"``: arousal / valence (or
        other regression outputs), y axis at least ``[-1, 1]``, with a line at 0. ``None``
        picks ``"proba"`` when every value is in ``[0, 1]`` and every row sums to 1, else
        ``"av"``; pass it explicitly when that guess could be wrong.
    true_values : array-like [shape=(n_true, k) or (n_true,)] or None, default=None
        Ground truth drawn dashed in the colour of the matching column (trailing NaN rows
        dropped). Without ``true_times`` its row ``t`` is drawn at the time of frame ``t``, so
        it may not have more rows than ``values`` has real frames (a shorter one covers the
        start of the clip).
    true_times : array-like [shape=(n_true,)] or None, default=None
        Times of the rows of ``true_values``, for annotations at their own rate (e.g. DEAM's
        2 Hz dynamic annotations), in the units of the x axis.
    segments : sequence of (start, end, label) or None, default=None
        Ground-truth spans, in the units of the x axis (seconds, or frames when ``times`` is
        ``None``), drawn as light background bands labelled at the top: e.g. the clips of a
        medley with their known emotion. A band whose label is one of ``names`` takes that
        column's colour.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new wide figure.
    title : str or None, default=None
        Axes title; ``None`` uses the file name of ``source`` (or a generic title), ``""``
        none.
    source : str or None, default=None
        Where the clip comes from (a path); used for the default title.
    time_unit : str, default="s"
        Unit of ``times`` for the x label: ``"s"`` gives "time (s)", ``"frame"`` gives
        "frame". Ignored when ``times`` is ``None`` (the label is "frame").

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on; the first ``k`` lines are the predictions, in column order.

    Raises
    ------
    ValueError
        If ``values`` is not 1-D or 2-D, has NaN inside its real frames, or a length or
        column count of ``times``, ``names``, ``true_values``, ``true_times`` or ``segments``
        does not fit; or ``kind`` is not ``"proba"``, ``"av"`` or ``None``.
    TypeError
        If an input is not numeric where numbers are expected, or ``ax`` is not an Axes.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.7, 0.3], [0.4, 0.6], [np.nan, np.nan]])  # last row: padding
    >>> ax = plot_emotion_timeline(proba, times=[0.0, 0.5], names=["calm", "happy"])
    >>> ax.lines[0].get_xdata().tolist(), ax.get_xlabel()
    ([0.0, 0.5], 'time (s)')
    """
    vals, n_rows = _frames_2d(values, "values")
    n, k = vals.shape

    if kind is None:
        kind = "proba" if _looks_like_proba(vals) else "av"
    elif kind not in ("proba", "av"):
        raise ParameterError(f"kind must be 'proba', 'av' or None, got {kind!r}.")

    if names is None:
        names = default_output_names(kind, k)
    else:
        if isinstance(names, str):
            raise ParameterTypeError("names must be a sequence of strings, got a single str.")
        names = [str(x) for x in names]
        if len(names) != k:
            raise ParameterError(
                f"names must have one entry per column of values ({k}), got {len(names)}."
            )

    if not isinstance(time_unit, str):
        raise ParameterTypeError(f"time_unit must be a str, got {type(time_unit).__name__}.")
    if times is None:
        t = np.arange(n, dtype=np.float64)
        xlabel = "frame"
    else:
        t = _float_array(times, "times")
        if t.ndim != 1 or t.shape[0] not in (n, n_rows):
            raise ParameterError(
                f"times must be 1-D with one entry per frame of values ({n_rows} rows, {n} "
                f"of them real), got shape {t.shape}."
            )
        t = t[:n]
        if not np.isfinite(t).all():
            raise ParameterError("times must be finite (found NaN or infinity).")
        xlabel = "frame" if time_unit == "frame" else f"time ({time_unit})"

    true = tt = None
    if true_values is not None:
        true, _ = _frames_2d(true_values, "true_values")
        if true.shape[1] != k:
            raise ParameterError(
                f"true_values must have the same number of columns as values ({k}), "
                f"got {true.shape[1]}."
            )
        if true_times is None:
            if true.shape[0] > n:
                raise ParameterError(
                    f"true_values has {true.shape[0]} frames, more than the {n} real frames of "
                    "values; pass true_times to draw it at its own times."
                )
            tt = t[: true.shape[0]]
        else:
            tt = _float_array(true_times, "true_times")
            if tt.ndim != 1 or tt.shape[0] != true.shape[0]:
                raise ParameterError(
                    f"true_times must be 1-D with one entry per real row of true_values "
                    f"({true.shape[0]}), got shape {tt.shape}."
                )
            if not np.isfinite(tt).all():
                raise ParameterError("true_times must be finite (found NaN or infinity).")
    elif true_times is not None:
        raise ParameterError("true_times was given without true_values.")

    spans = [] if segments is None else _check_segments(segments)
    ax = _get_ax(ax, figsize=(10, 4))

    colors = [f"C{i % 10}" for i in range(k)]
    marker = "." if n == 1 else None
    for j in range(k):
        ax.plot(t, vals[:, j], color=colors[j], marker=marker, label=names[j])
    if true is not None:
        assert tt is not None  # set with true, above
        for j in range(k):
            ax.plot(tt, true[:, j], color=colors[j], linestyle="--", label=f"{names[j]} (true)")

    band_colors: dict[str, str] = {}
    for start, end, label in spans:
        if label not in band_colors:
            band_colors[label] = (
                colors[names.index(label)] if label in names else f"C{(k + len(band_colors)) % 10}"
            )
        ax.axvspan(start, end, color=band_colors[label], alpha=0.12, linewidth=0, zorder=0)
        ax.text(
            (start + end) / 2,
            0.98,
            label,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=9,
            clip_on=True,
        )

    if kind == "proba":
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("probability")
    else:
        extent = np.abs(vals).max() if true is None else max(np.abs(vals).max(), np.abs(true).max())
        lim = 1.0 if extent <= 1.0 else 1.05 * float(extent)
        ax.set_ylim(-lim, lim)
        ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
        ax.set_ylabel("value")
    ax.margins(x=0)
    ax.set_xlabel(xlabel)
    ax.legend(loc="best", fontsize="small")
    if title is None:
        title = (
            f"Emotion timeline: {os.path.basename(str(source)) or source}"
            if source is not None
            else "Emotion timeline"
        )
    ax.set_title(title)
    return ax
