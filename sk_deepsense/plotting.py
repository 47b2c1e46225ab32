"""Figures for music emotion recognition.

Confusion matrices, the arousal-valence plane, emotion timelines and training curves.

Every plotting function draws on the matplotlib :class:`~matplotlib.axes.Axes` given as ``ax``
(or on a new figure made with :func:`matplotlib.pyplot.subplots` when ``ax=None``) and returns
that ``Axes``, so figures can be composed and restyled afterwards. :func:`predict_timeline`
computes the per-frame predictions that :func:`plot_emotion_timeline` draws.

This module imports matplotlib; ``import sk_deepsense`` does not import it. No backend is
selected here: in a headless script call ``matplotlib.use("Agg")`` yourself.

Arousal and valence are always given in this package's column order, ``(arousal, valence)``,
and drawn on Russell's plane: **valence on x, arousal on y**. The quadrants are those of
:func:`sk_deepsense.datasets.quadrant_from_av`: Q1 happy (high arousal, positive valence),
Q2 angry / tense (high, negative), Q3 sad (low, negative), Q4 calm (low, positive).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike
from sklearn.exceptions import NotFittedError
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import Pipeline

from .features import BaseAudioTransformer, sequence_lengths
from .neural._base import BaseHybridCNNLSTM

__all__ = [
    "EmotionTimeline",
    "plot_arousal_valence",
    "plot_confusion_matrix",
    "plot_emotion_timeline",
    "plot_training_curves",
    "predict_timeline",
]

#: Corner captions of the arousal-valence plane: (quadrant, text, x, y, ha, va) in axes units.
_QUADRANT_CAPTIONS = (
    ("Q1", "Q1 happy", 0.98, 0.98, "right", "top"),
    ("Q2", "Q2 angry / tense", 0.02, 0.98, "left", "top"),
    ("Q3", "Q3 sad", 0.02, 0.02, "left", "bottom"),
    ("Q4", "Q4 calm", 0.98, 0.02, "right", "bottom"),
)

_NORMALIZE_TITLES = {
    "true": "Confusion matrix (rows: true class, normalised per true class)",
    "pred": "Confusion matrix (columns: predicted class, normalised per predicted class)",
    "all": "Confusion matrix (normalised over all samples)",
    None: "Confusion matrix (counts)",
}


# ---------------------------------------------------------------------------- helpers
def _get_ax(ax: Any, **subplots_kw: Any) -> Axes:
    """Return ``ax`` after checking its type, or the Axes of a new figure when ``None``."""
    if ax is None:
        _, ax = plt.subplots(**subplots_kw)
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}.")
    return ax


def _float_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a float64 array, with a TypeError naming ``name`` if it is not numeric."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array-like, got {type(x).__name__}.") from exc
    return arr


def _check_av(y: Any, name: str) -> np.ndarray:
    """Validate an ``(n, 2)`` array of (arousal, valence) rows."""
    arr = _float_array(y, name)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, 2) with columns (arousal, valence), "
            f"got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one (arousal, valence) row.")
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise ValueError(f"{name} must be finite, but row {row} contains NaN or infinity.")
    return arr


def _trim_padding(values: np.ndarray, name: str) -> np.ndarray:
    """Drop trailing all-NaN rows (padding) of a 2-D array; reject any other NaN or inf."""
    all_nan = np.isnan(values).all(axis=1)
    real = np.flatnonzero(~all_nan)
    if real.size == 0:
        raise ValueError(f"{name} has no real frame: every row is NaN (padding).")
    values = values[: real[-1] + 1]
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        t = int(np.flatnonzero(bad)[0])
        raise ValueError(
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
        raise ValueError(
            f"{name} must be 1-D (n_frames,) or 2-D (n_frames, k) for one clip, got shape "
            f"{arr.shape}; pass one clip at a time (e.g. values[i])."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    return _trim_padding(arr, name), arr.shape[0]


def _looks_like_proba(values: np.ndarray) -> bool:
    in_unit = bool(((values >= -1e-6) & (values <= 1 + 1e-6)).all())
    return in_unit and bool(np.allclose(values.sum(axis=1), 1.0, atol=1e-3))


def _default_names(kind: str, k: int) -> list[str]:
    if kind == "proba":
        return ["Q1", "Q2", "Q3", "Q4"] if k == 4 else [f"class {i}" for i in range(k)]
    return ["arousal", "valence"] if k == 2 else [f"output {i}" for i in range(k)]


def _check_segments(segments: Any) -> list[tuple[float, float, str]]:
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Sequence):
        raise TypeError(
            f"segments must be a list of (start, end, label) tuples, got {type(segments).__name__}."
        )
    out = []
    for i, seg in enumerate(segments):
        if isinstance(seg, (str, bytes)) or not isinstance(seg, Sequence) or len(seg) != 3:
            raise ValueError(f"segments[{i}] must be a (start, end, label) tuple, got {seg!r}.")
        start, end, label = seg
        if not (isinstance(start, Real) and isinstance(end, Real)):
            raise TypeError(
                f"segments[{i}] must have numeric start and end, got {start!r} and {end!r}."
            )
        start, end = float(start), float(end)
        if not (np.isfinite(start) and np.isfinite(end) and end > start):
            raise ValueError(
                f"segments[{i}] must have finite start < end, got start={start}, end={end}."
            )
        out.append((start, end, str(label)))
    return out


# ---------------------------------------------------------------------------- confusion matrix
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
        raise ValueError(
            f"normalize must be one of 'true', 'pred', 'all' or None, got {normalize!r}."
        )
    n_true, n_pred = len(y_true), len(y_pred)  # type: ignore[arg-type]
    if n_true != n_pred:
        raise ValueError(f"y_true and y_pred must have the same length, got {n_true} and {n_pred}.")
    if n_true == 0:
        raise ValueError("y_true and y_pred are empty: a confusion matrix needs samples.")
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


# ---------------------------------------------------------------------------- arousal-valence
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
            raise ValueError(
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
            LineCollection(segments, colors="0.6", linewidths=0.6, zorder=1, label="_connections")
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


# ---------------------------------------------------------------------------- timelines
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

    The parameter names match the fields of the bunches :func:`predict_timeline` returns, so
    ``plot_emotion_timeline(**bunch)`` draws one of them.

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
        Legend name of each column. ``None``: ``"Q1".."Q4"`` for 4 probability columns,
        ``"class i"`` for other probabilities, ``["arousal", "valence"]`` for 2 value columns,
        ``"output i"`` otherwise.
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
        raise ValueError(f"kind must be 'proba', 'av' or None, got {kind!r}.")

    if names is None:
        names = _default_names(kind, k)
    else:
        if isinstance(names, str):
            raise TypeError("names must be a sequence of strings, got a single str.")
        names = [str(x) for x in names]
        if len(names) != k:
            raise ValueError(
                f"names must have one entry per column of values ({k}), got {len(names)}."
            )

    if not isinstance(time_unit, str):
        raise TypeError(f"time_unit must be a str, got {type(time_unit).__name__}.")
    if times is None:
        t = np.arange(n, dtype=np.float64)
        xlabel = "frame"
    else:
        t = _float_array(times, "times")
        if t.ndim != 1 or t.shape[0] not in (n, n_rows):
            raise ValueError(
                f"times must be 1-D with one entry per frame of values ({n_rows} rows, {n} "
                f"of them real), got shape {t.shape}."
            )
        t = t[:n]
        if not np.isfinite(t).all():
            raise ValueError("times must be finite (found NaN or infinity).")
        xlabel = "frame" if time_unit == "frame" else f"time ({time_unit})"

    true = tt = None
    if true_values is not None:
        true, _ = _frames_2d(true_values, "true_values")
        if true.shape[1] != k:
            raise ValueError(
                f"true_values must have the same number of columns as values ({k}), "
                f"got {true.shape[1]}."
            )
        if true_times is None:
            if true.shape[0] > n:
                raise ValueError(
                    f"true_values has {true.shape[0]} frames, more than the {n} real frames of "
                    "values; pass true_times to draw it at its own times."
                )
            tt = t[: true.shape[0]]
        else:
            tt = _float_array(true_times, "true_times")
            if tt.ndim != 1 or tt.shape[0] != true.shape[0]:
                raise ValueError(
                    f"true_times must be 1-D with one entry per real row of true_values "
                    f"({true.shape[0]}), got shape {tt.shape}."
                )
            if not np.isfinite(tt).all():
                raise ValueError("true_times must be finite (found NaN or infinity).")
    elif true_times is not None:
        raise ValueError("true_times was given without true_values.")

    spans = [] if segments is None else _check_segments(segments)
    ax = _get_ax(ax, figsize=(10, 4))

    colors = [f"C{i % 10}" for i in range(k)]
    marker = "." if n == 1 else None
    for j in range(k):
        ax.plot(t, vals[:, j], color=colors[j], marker=marker, label=names[j])
    if true is not None:
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


def _find_features(model: Any) -> BaseAudioTransformer | None:
    """Return the first audio feature transformer among ``model``'s steps (nested included)."""
    if isinstance(model, BaseAudioTransformer):
        return model
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            found = _find_features(step)
            if found is not None:
                return found
    return None


def _sources(X: Any, n: int) -> list[str]:
    """Name each clip of ``X``: its path for paths, ``"clip i"`` for anything else."""
    items = None
    if hasattr(X, "iloc"):  # pandas
        if getattr(X, "ndim", 1) == 1:
            items = list(X)
        elif X.shape[1] == 1:
            items = list(X.iloc[:, 0])
    elif isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.ndim == 1):
        items = list(X)
    if items is None or len(items) != n:
        items = [None] * n
    return [
        os.fspath(item) if isinstance(item, (str, os.PathLike)) else f"clip {i}"
        for i, item in enumerate(items)
    ]


@dataclass(frozen=True)
class EmotionTimeline:
    """The per-frame predictions of one clip, as :func:`predict_timeline` returns them.

    Attributes
    ----------
    times : np.ndarray [shape=(n_real_frames,)]
        Time of each frame: ``offset + t * hop_length / sr`` seconds (the centre of frame
        ``t``, in the clip's own time), or the frame index when ``time_unit == "frame"``.
    values : np.ndarray [shape=(n_real_frames, k)]
        Class probabilities, or regression outputs on the training scale, after each frame
        (using only the frames heard so far); the clip's padding frames are dropped.
    names : list of str
        The classes (``classes_``), or ``["arousal", "valence"]`` for a 2-output regressor,
        ``"output i"`` otherwise.
    kind : {"proba", "av"}
        Classifier probabilities or regression outputs.
    source : str
        The clip's path, or ``"clip i"`` (``i`` its index) for waveforms and arrays.
    time_unit : {"s", "frame"}
        Unit of ``times``.
    """

    times: np.ndarray
    values: np.ndarray
    names: list[str]
    kind: str
    source: str
    time_unit: str = "s"

    def plot(self, **kwargs: Any) -> Axes:
        """Draw this timeline with :func:`plot_emotion_timeline`.

        Parameters
        ----------
        **kwargs
            More arguments of :func:`plot_emotion_timeline` (``ax``, ``segments``,
            ``true_values``, ``title``, ...).

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes drawn on.
        """
        return plot_emotion_timeline(
            self.values,
            times=self.times,
            names=self.names,
            kind=self.kind,
            source=self.source,
            time_unit=self.time_unit,
            **kwargs,
        )


def predict_timeline(
    model: Any,
    X: Any,
    *,
    window: float | None = None,
    step: float | None = None,
) -> list[EmotionTimeline]:
    """Predict the emotion of each clip frame by frame, ready for :func:`plot_emotion_timeline`.

    The audio is read by the pipeline's own feature transformer
    (:class:`~sk_deepsense.MFCCTransformer` or :class:`~sk_deepsense.LogMelTransformer`), so a
    ``duration`` set there (30 s by default) crops each file to its first ``duration``
    seconds. For the timeline of a whole song, put the fitted network behind a transformer
    with ``duration=None``: ``Pipeline([("mfcc", clone(pipe[0]).set_params(duration=None)),
    ("clf", pipe[-1])])`` (``sk-deepsense predict --timeline`` does this).

    Parameters
    ----------
    model : Pipeline or estimator
        Either a fitted :class:`~sklearn.pipeline.Pipeline` whose last step has
        ``predict_proba_frames`` (:class:`~sk_deepsense.HybridCNNLSTMClassifier`) or
        ``predict_frames`` (:class:`~sk_deepsense.HybridCNNLSTMRegressor`) and whose earlier
        steps turn audio into feature sequences, or such a fitted estimator alone (then ``X``
        is already feature sequences).
    X : list of paths or waveforms, or array-like [shape=(n_samples, n_frames, n_coefficients)]
        The clips: what ``model.predict`` accepts.

    window : float or None, default=None
        ``None``: the causal per-frame predictions (``predict_proba_frames`` /
        ``predict_frames``): the value at frame ``t`` uses every frame from the start of the
        clip to ``t``. A number: predictions on a sliding window of the last ``window``
        seconds (frames, if the model has no audio transformer), made with ``predict_proba`` /
        ``predict``, so that a long song's timeline follows its changes instead of averaging
        its whole past; windows near the start are shorter. The length of the training clips
        is a good choice.
    step : float or None, default=None
        Seconds (or frames) between sliding windows; default ``window / 20`` (at least one
        frame). Ignored without ``window``.

    Returns
    -------
    timelines : list of EmotionTimeline
        One per clip: ``times`` (seconds, from the parameters of the first audio feature
        transformer in the pipeline; the frame index if there is none), ``values`` (the
        clip's real frames only), ``names``, ``kind``, ``source`` and ``time_unit``.
        ``timeline.plot()`` draws one with :func:`plot_emotion_timeline`.

    Raises
    ------
    TypeError
        If the model (its last step, for a pipeline) has no per-frame predictions.
    sklearn.exceptions.NotFittedError
        If the model is not fitted.

    See Also
    --------
    plot_emotion_timeline : Draw one of the returned timelines.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import HybridCNNLSTMClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(6, 5, 3)).astype("float32")
    >>> X[1, 3:] = np.nan  # clip 1 has 3 real frames
    >>> clf = HybridCNNLSTMClassifier(
    ...     n_filters=4, lstm_hidden_size=4, max_epochs=1, early_stopping=False, random_state=0
    ... ).fit(X, ["a", "b"] * 3)
    >>> tl = predict_timeline(clf, X)
    >>> tl[1].values.shape, tl[1].names, tl[1].kind, tl[1].time_unit
    ((3, 2), ['a', 'b'], 'proba', 'frame')
    """
    is_pipeline = isinstance(model, Pipeline)
    final = model[-1] if is_pipeline else model
    if hasattr(final, "predict_proba_frames"):
        kind = "proba"
    elif hasattr(final, "predict_frames"):
        kind = "av"
    else:
        where = "as the last step of the pipeline" if is_pipeline else "as the model"
        raise TypeError(
            f"{type(final).__name__} has no per-frame predictions: timelines need a "
            f"HybridCNNLSTMClassifier or HybridCNNLSTMRegressor {where}, "
            f"got {type(final).__name__}."
        )
    features = model[:-1].transform(X) if is_pipeline and len(model) > 1 else X
    if kind == "proba":
        frames = np.asarray(final.predict_proba_frames(features), dtype=np.float64)
    else:
        frames = np.asarray(final.predict_frames(features), dtype=np.float64)
    if frames.ndim == 2:  # a regressor fitted on 1-D y
        frames = frames[:, :, None]

    feats = np.asarray(features)
    if feats.ndim == 3:
        lengths = sequence_lengths(feats)
    else:  # 2-D input: one frame per sample
        lengths = np.ones(frames.shape[0], dtype=np.int64)

    k = frames.shape[2]
    names = [str(c) for c in final.classes_] if kind == "proba" else _default_names("av", k)

    extractor = _find_features(model) if is_pipeline else None
    n_frames = frames.shape[1]
    if extractor is None:
        frame_s, offset, time_unit = 1.0, 0.0, "frame"
    else:
        frame_s = extractor.hop_length / extractor.sr
        offset, time_unit = float(extractor.offset), "s"
    all_times = offset + np.arange(n_frames, dtype=np.float64) * frame_s

    sources = _sources(X, frames.shape[0])
    timelines = []
    for i, length in enumerate(int(x) for x in lengths):
        times, values = all_times[:length].copy(), frames[i, :length].copy()
        if window is not None:
            ends, values = _windowed(final, feats[i, :length], kind, window, step, frame_s)
            times = all_times[ends - 1].copy()  # the last frame heard by each window
        timelines.append(
            EmotionTimeline(
                times=times,
                values=values,
                names=list(names),
                kind=kind,
                source=sources[i],
                time_unit=time_unit,
            )
        )
    return timelines


def _windowed(
    final: Any,
    seq: np.ndarray,
    kind: str,
    window: float,
    step: float | None,
    frame_s: float,
    batch: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions on sliding windows of one clip: (end frame of each window, values)."""
    if not isinstance(window, Real) or not window > 0:
        raise ValueError(f"window must be a positive number of seconds or None, got {window!r}.")
    if step is not None and (not isinstance(step, Real) or not step > 0):
        raise ValueError(f"step must be a positive number of seconds or None, got {step!r}.")
    if seq.ndim != 2:
        raise ValueError("window needs MFCC sequences (n_samples, n_frames, n_coefficients).")
    length = seq.shape[0]
    width = max(1, int(round(window / frame_s)))
    hop = max(1, int(round((window / 20 if step is None else step) / frame_s)))
    ends = np.arange(hop, length + 1, hop)
    if ends.size == 0 or ends[-1] != length:
        ends = np.append(ends, length)
    out = []
    for start in range(0, len(ends), batch):
        chunk = ends[start : start + batch]
        block = np.full((len(chunk), min(width, length), seq.shape[1]), np.nan, np.float32)
        for j, end in enumerate(chunk):
            piece = seq[max(0, end - width) : end]
            block[j, : len(piece)] = piece
        pred = final.predict_proba(block) if kind == "proba" else final.predict(block)
        out.append(np.asarray(pred, dtype=np.float64).reshape(len(chunk), -1))
    return ends, np.concatenate(out, axis=0)


# ---------------------------------------------------------------------------- training curves
def _as_history(obj: Any, name: str) -> list[Mapping]:
    """Return the epoch rows of a History, an estimator with ``history_`` or a Pipeline."""
    if isinstance(obj, Pipeline):
        return _as_history(obj[-1], name)
    if isinstance(obj, (list, tuple)) and all(isinstance(row, Mapping) for row in obj):
        rows = list(obj)  # a skorch History is a list of one dict per epoch
        if not rows:
            raise ValueError(f"{name} is empty: no epoch was recorded (was the model fitted?).")
        return rows
    history = getattr(obj, "history_", None)
    if history is not None:
        return _as_history(history, name)
    if isinstance(obj, BaseHybridCNNLSTM) or "history_" in getattr(obj, "__dict__", {}):
        raise NotFittedError(
            f"This {type(obj).__name__} instance is not fitted yet: it has no training history "
            "to plot. Call 'fit' first."
        )
    raise TypeError(
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
            raise ValueError(f"{name} records no train_loss.")
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
