"""Emotion timelines: windowed, causal inference of one prediction per audio frame.

:func:`predict_timeline` turns a fitted hybrid network (or a pipeline ending in one) and its
clips into one :class:`EmotionTimeline` per clip: the class probabilities or arousal/valence
after each frame, using only the audio heard so far, or on a sliding window of the last
seconds. This is inference, not drawing: this module does not import matplotlib, so that
``sk-deepsense predict --timeline`` computes timelines without loading a plotting library
until it draws them. :meth:`EmotionTimeline.plot` imports
:func:`sk_deepsense.plotting.plot_emotion_timeline` when called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.pipeline import Pipeline

from .features import BaseAudioTransformer, sequence_lengths

if TYPE_CHECKING:  # matplotlib is imported by plot(), when a timeline is drawn
    from matplotlib.axes import Axes

__all__ = ["EmotionTimeline", "predict_timeline"]


def default_output_names(kind: str, k: int) -> list[str]:
    """Names of ``k`` prediction columns when the model gives none.

    Parameters
    ----------
    kind : {"proba", "av"}
        Class probabilities or regression outputs.
    k : int
        Number of columns.

    Returns
    -------
    names : list of str
        ``"Q1".."Q4"`` for 4 probability columns, ``"class i"`` for other probabilities,
        ``["arousal", "valence"]`` for 2 regression outputs, ``"output i"`` otherwise.
    """
    if kind == "proba":
        return ["Q1", "Q2", "Q3", "Q4"] if k == 4 else [f"class {i}" for i in range(k)]
    return ["arousal", "valence"] if k == 2 else [f"output {i}" for i in range(k)]


@dataclass(frozen=True)
class EmotionTimeline:
    """The per-frame predictions of one clip, as :func:`predict_timeline` returns them.

    Its fields are the parameters of the same names of
    :func:`~sk_deepsense.plotting.plot_emotion_timeline`, which :meth:`plot` passes on.

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
        """Draw this timeline with :func:`~sk_deepsense.plotting.plot_emotion_timeline`.

        Parameters
        ----------
        **kwargs
            More arguments of :func:`~sk_deepsense.plotting.plot_emotion_timeline` (``ax``,
            ``segments``, ``true_values``, ``title``, ...).

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes drawn on.
        """
        from .plotting import plot_emotion_timeline  # matplotlib only when drawing

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
    """Predict the emotion of each clip frame by frame, as one :class:`EmotionTimeline` each.

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
        ``timeline.plot()`` draws one with :func:`~sk_deepsense.plotting.plot_emotion_timeline`.

    Raises
    ------
    TypeError
        If the model (its last step, for a pipeline) has no per-frame predictions.
    sklearn.exceptions.NotFittedError
        If the model is not fitted.

    See Also
    --------
    sk_deepsense.plotting.plot_emotion_timeline : Draw one of the returned timelines.

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
    names = [str(c) for c in final.classes_] if kind == "proba" else default_output_names("av", k)

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
