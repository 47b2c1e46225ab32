"""Emotion timelines: windowed, causal inference of one prediction per audio frame.

:func:`predict_timeline` turns a fitted hybrid network (or a pipeline ending in one) and its
clips into one :class:`EmotionTimeline` per clip: the class probabilities or arousal/valence
after each frame, using only the audio heard so far, or on a sliding window of the last
seconds. This is inference, not drawing: this module does not import matplotlib, so that
``sk-deepsense predict --plot`` computes timelines without loading a plotting library
until it draws them. :meth:`EmotionTimeline.plot` imports
:func:`sk_deepsense.plotting.plot_emotion_timeline` when called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from ._choices import default_output_names
from ._tags import capabilities
from .exceptions import ParameterError, ParameterTypeError
from .features import BaseAudioTransformer, sequence_lengths

if TYPE_CHECKING:  # matplotlib is imported by plot(), when a timeline is drawn
    from matplotlib.axes import Axes

__all__ = ["EmotionTimeline", "predict_timeline"]


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
    ("clf", pipe[-1])])`` (``sk-deepsense predict --plot`` does this).

    Parameters
    ----------
    model : Pipeline or estimator
        Either a fitted :class:`~sklearn.pipeline.Pipeline` whose last step declares the
        capability ``frame_predictions`` (:mod:`sk_deepsense._tags`): a classifier with
        ``predict_proba_frames`` (:class:`~sk_deepsense.HybridCNNLSTMClassifier`) or a
        regressor with ``predict_frames`` (:class:`~sk_deepsense.HybridCNNLSTMRegressor`),
        and whose earlier
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
        If the model (its last step, for a pipeline) does not declare per-frame predictions.
    ValueError
        If ``window`` or ``step`` is not a finite number of seconds above 0 and at most a
        day (checked before any audio is read).
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
    if capabilities(final).frame_predictions:  # declared (sk_deepsense._tags)
        kind = "proba" if is_classifier(final) else "av"
    else:
        where = "as the last step of the pipeline" if is_pipeline else "as the model"
        raise ParameterTypeError(
            f"{type(final).__name__} has no per-frame predictions: timelines need a "
            f"HybridCNNLSTMClassifier or HybridCNNLSTMRegressor {where}, "
            f"got {type(final).__name__}."
        )
    _check_window(window, step)
    if window is not None and is_pipeline and _file_paths(X) and _first_audio_step(model):
        # a file's windows are read block by block: memory does not grow with its length
        return [_file_timeline(model, path, kind, window, step) for path in X]
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
    if seq.ndim != 2:
        raise ParameterError("window needs MFCC sequences (n_samples, n_frames, n_coefficients).")
    length = seq.shape[0]
    width, ends = _window_ends(length, window, step, frame_s)
    out = []
    for start in range(0, len(ends), batch):
        chunk = ends[start : start + batch]
        out.append(_predict_windows(final, kind, seq, 0, chunk, min(width, length), width))
    return ends, np.concatenate(out, axis=0)


#: The longest window or step (seconds) a timeline takes: a day. More is a typo, not audio.
MAX_WINDOW_S = 86400.0


def _check_window(window: Any, step: Any) -> None:
    """Refuse a window or step that is not a finite, positive number of seconds (or None)."""
    for name, value in (("window", window), ("step", step)):
        if value is None:
            continue
        ok = isinstance(value, Real) and not isinstance(value, bool)
        if not (ok and np.isfinite(value) and 0 < value <= MAX_WINDOW_S):
            raise ParameterError(
                f"{name} must be a positive number of seconds (at most {MAX_WINDOW_S:g}) or "
                f"None, got {value!r}."
            )


def _window_ends(
    length: int, window: float, step: float | None, frame_s: float
) -> tuple[int, np.ndarray]:
    """Frames per window, and the end frame (exclusive) of each window of ``length`` frames."""
    width = max(1, int(round(window / frame_s)))
    hop = max(1, int(round((window / 20 if step is None else step) / frame_s)))
    ends = np.arange(hop, length + 1, hop)
    if ends.size == 0 or ends[-1] != length:
        ends = np.append(ends, length)
    return width, ends


def _predict_windows(
    final: Any, kind: str, seq: np.ndarray, first: int, ends: np.ndarray, n: int, width: int
) -> np.ndarray:
    """Predict the windows ending at ``ends`` (frames of ``seq``, whose row 0 is ``first``)."""
    block = np.full((len(ends), n, seq.shape[1]), np.nan, np.float32)
    for j, end in enumerate(ends):
        piece = seq[max(0, end - width) - first : end - first]
        block[j, : len(piece)] = piece
    pred = final.predict_proba(block) if kind == "proba" else final.predict(block)
    return np.asarray(pred, dtype=np.float64).reshape(len(ends), -1)


def _file_paths(X: Any) -> bool:
    """Whether ``X`` is a list or tuple of file paths (and nothing else)."""
    return isinstance(X, (list, tuple)) and all(isinstance(x, (str, os.PathLike)) for x in X)


def _first_audio_step(model: Pipeline) -> bool:
    """Whether a pipeline starts with an audio transformer (then blocks can be extracted)."""
    return len(model) > 1 and isinstance(model[0], BaseAudioTransformer)


def _file_timeline(
    model: Pipeline,
    path: str | os.PathLike,
    kind: str,
    window: float,
    step: float | None,
    batch: int = 64,
) -> EmotionTimeline:
    """Return the sliding-window timeline of one file, read and extracted block by block.

    The windows are those of :func:`_windowed` over the frames the transformer would give
    for the span it reads (``offset``, ``duration``) of the file. They are taken in groups
    of at most ``batch`` windows spanning at most 5 windows' worth of frames; each group's
    audio (plus a margin of frames on each side, so that the frames' FFTs see the same
    samples as in the whole file) is decoded and extracted on its own. Memory is that of a
    group: O(window), not O(file). The features equal the whole file's up to the resampler's
    edges and the ``top_db`` floor (relative to the loudest value of each group's audio).
    """
    from ._songs import audio_length
    from .features import load_audio

    extractor, final, rest = model[0], model[-1], model[1:-1]
    sr, hop = int(extractor.sr), int(extractor.hop_length)
    frame_s = hop / sr
    offset = float(extractor.offset)
    end_s = audio_length(path)
    if extractor.duration is not None:
        end_s = min(end_s, offset + float(extractor.duration))
    if not end_s > offset:
        raise ParameterError(f"{os.fspath(path)!r}: offset {offset:g} s is past its end.")
    n_frames = 1 + int(round((end_s - offset) * sr)) // hop
    width, ends = _window_ends(n_frames, window, step, frame_s)
    margin = -(-int(extractor.n_fft) // hop) + 5  # frames: an FFT's reach, and deltas'
    reader = _clone_for_blocks(extractor)
    values, i = [], 0
    while i < len(ends):
        j = i + 1  # the group: windows ending within 4 windows of the first one's end
        while j < len(ends) and j - i < batch and ends[j] - ends[i] <= 4 * width:
            j += 1
        group = ends[i:j]
        lo = max(0, int(group[0]) - width)  # first frame needed
        first = max(0, lo - margin)
        last = int(group[-1]) + margin  # frames [first, last) are extracted
        start_s = offset + first * frame_s
        to_end = offset + last * frame_s >= end_s
        y = load_audio(
            path, sr=sr, offset=start_s, duration=None if to_end else (last - first) * frame_s
        )
        seq = reader.transform([y])
        if len(rest):
            seq = rest.transform(seq)
        seq = np.asarray(seq)[0]
        del y
        n = min(width, n_frames)
        values.append(_predict_windows(final, kind, seq, first, group, n, width))
        i = j
    names = [str(c) for c in final.classes_] if kind == "proba" else None
    vals = np.concatenate(values, axis=0)
    if names is None:
        names = default_output_names("av", vals.shape[1])
    return EmotionTimeline(
        times=offset + (ends - 1) * frame_s,
        values=vals,
        names=names,
        kind=kind,
        source=os.fspath(path),
        time_unit="s",
    )


def _clone_for_blocks(extractor: BaseAudioTransformer) -> BaseAudioTransformer:
    """Return a copy of ``extractor`` reading a waveform whole (no offset, duration, cache)."""
    import copy

    reader = copy.copy(extractor)
    reader.set_params(offset=0.0, duration=None, memory=None, verbose=0, on_error="raise")
    return reader


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
