"""Time-varying ("dynamic") emotion targets: series in, series out, aligned by time.

The datasets of the field annotate arousal and valence as a time series per clip: every
0.5 s from 15 s (DEAM, emoMusic), every 0.5 s from 15.5 s (PMEmo). A dynamic model is trained
on such series and predicts one.

**The shape of the API.** ``X`` stays what every estimator of the package reads: a float
array ``(n_clips, n_frames, n_coefficients)`` whose clips are NaN-padded at the end. ``y`` is
the same kind of array: ``(n_clips, n_steps, n_outputs)`` (or ``(n_clips, n_steps)`` for one
output), **NaN where a step has no annotation** (missing, or past the clip's end). This is
the convention of tslearn (``to_time_series_dataset``: variable-length series NaN-padded in
one 3-D array) applied to the target. sktime's series-to-series form, a DataFrame with an
(instance, time) MultiIndex, has one row per time point, which scikit-learn's splitters would
cut by time point rather than by clip. With arrays, ``y[train]`` is what ``cross_validate``
and ``GridSearchCV`` already do, and ``X`` and ``y`` stay aligned clip by clip. The time axis
of ``y`` is a regular grid, stated once on the estimator: step ``k`` is at
``target_offset + k * target_hop`` seconds of the clip, and feature frame ``t`` at
``t / frame_rate`` seconds (the centre of the frame, ``frame_rate = sr / hop_length`` of the
feature transformer: ``transformer.frame_rate``).
:func:`series_targets` turns the per-clip ``(values, times)`` lists that the loaders return
into that array.

:class:`FrameRidgeRegressor` is the classical per-frame baseline with the same contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .exceptions import ParameterError
from .features._padding import validate_sequences

__all__ = ["FrameRidgeRegressor", "series_targets"]

_GRID_TOLERANCE = 1e-3  # seconds: an annotation time this close to a grid step is on it


def series_targets(
    values: Sequence[Any],
    times: Sequence[Any],
    *,
    hop: float,
    offset: float | None = None,
) -> np.ndarray:
    """Put per-clip annotation series on one regular time grid, NaN where none.

    Parameters
    ----------
    values : sequence of array-like [shape=(n_i,) or (n_i, n_outputs)]
        The annotations of each clip (e.g. ``bunch.dynamic`` of the emoMusic, DEAM and PMEmo
        loaders: ``(n_i, 2)`` arousal and valence).
    times : sequence of array-like [shape=(n_i,)]
        The time of each annotation, in seconds of the clip (``bunch.dynamic_times``).
    hop : float
        Seconds between grid steps (the annotation rate: 0.5 for DEAM, emoMusic, PMEmo).
    offset : float or None, default=None
        Time of step 0, in seconds; ``None`` uses the earliest annotation time of all clips.

    Returns
    -------
    y : np.ndarray [shape=(n_clips, n_steps, n_outputs)]
        ``y[i, k]`` is clip ``i``'s annotation at ``offset + k * hop`` seconds, NaN where the
        clip has none (a missing annotation is never filled in). ``n_steps`` covers the
        latest annotation of all clips.

    Raises
    ------
    ValueError
        If a clip's values and times differ in length, the output counts differ between
        clips, or an annotation time lies off the grid (naming the clip and the time).

    Examples
    --------
    >>> from sk_deepsense.dynamic import series_targets
    >>> y = series_targets([[0.1, 0.2], [0.5]], [[15.0, 15.5], [16.0]], hop=0.5)
    >>> y.shape
    (2, 3, 1)
    >>> y[:, :, 0]
    array([[0.1, 0.2, nan],
           [nan, nan, 0.5]])
    """
    if not isinstance(hop, Real) or not hop > 0:
        raise ParameterError(f"hop must be a positive number of seconds, got {hop!r}.")
    if len(values) != len(times):
        raise ParameterError(f"{len(values)} value series but {len(times)} time series.")
    if len(values) == 0:
        raise ParameterError("series_targets needs at least one clip.")
    vals = [np.asarray(v, dtype=np.float64) for v in values]
    vals = [v.reshape(len(v), -1) if v.ndim < 2 else v for v in vals]
    tims = [np.asarray(t, dtype=np.float64).reshape(-1) for t in times]
    n_outputs = {v.shape[1] for v in vals if v.size}
    if len(n_outputs) > 1:
        raise ParameterError(f"The clips have different numbers of outputs: {sorted(n_outputs)}.")
    n_out = n_outputs.pop() if n_outputs else 1
    for i, (v, t) in enumerate(zip(vals, tims, strict=True)):
        if v.ndim != 2 or len(v) != len(t):
            raise ParameterError(f"Clip {i}: {len(v)} annotations but {len(t)} times.")
    all_times = np.concatenate(tims)
    start = float(all_times.min()) if offset is None and all_times.size else float(offset or 0)
    steps = [(t - start) / hop for t in tims]
    n_steps = max((int(np.round(s.max())) + 1 for s in steps if s.size), default=0)
    y = np.full((len(vals), n_steps, n_out), np.nan)
    for i, (v, s) in enumerate(zip(vals, steps, strict=True)):
        k = np.round(s).astype(int)
        off_grid = np.abs(s - k) * hop > _GRID_TOLERANCE
        if (k < 0).any() or off_grid.any():
            bad = tims[i][(k < 0) | off_grid][0]
            raise ParameterError(
                f"Clip {i}: the annotation at {bad} s is not on the grid {start} + k * {hop} s "
                "(k = 0, 1, ...); pass the hop and offset of the annotations."
            )
        y[i, k] = v
    return y


class SeriesTargetMixin:
    """Time alignment of series targets and frame outputs, for the dynamic estimators.

    Subclasses have the parameters ``frame_rate``, ``target_hop`` and ``target_offset`` (see
    :class:`FrameRidgeRegressor`) and set ``y_ndim_`` and ``n_outputs_`` through
    :meth:`_validate_series`. They declare the capability ``series_output`` (see
    :mod:`sk_deepsense._tags`).
    """

    # the subclasses' parameters, declared for type checkers (no value: nothing at run time)
    frame_rate: float | None
    target_hop: float | None
    target_offset: float

    def __sklearn_tags__(self):
        from ._tags import declare

        return declare(super().__sklearn_tags__(), series_output=True)  # a series per clip

    def _validate_series(self, y: Any, *, reset: bool) -> np.ndarray:
        """Check ``y`` (2-D or 3-D, NaN where missing); return it as ``(n, n_steps, n_out)``."""
        if y is None:
            raise ParameterError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"y must be a numeric array (n_clips, n_steps[, n_outputs]), NaN where a step "
                f"has no annotation ({exc}); sk_deepsense.dynamic.series_targets builds one "
                "from per-clip (values, times) lists."
            ) from exc
        if y.ndim not in (2, 3):
            raise ParameterError(
                f"{type(self).__name__} is trained on a series per clip: y must be 2-D "
                f"(n_clips, n_steps) or 3-D (n_clips, n_steps, n_outputs), got {y.ndim}-D "
                f"{y.shape}. For one value per clip use HybridCNNLSTMRegressor."
            )
        if np.isinf(y).any():
            raise ParameterError("y contains infinity; mark missing annotations with NaN.")
        y3 = y.reshape(*y.shape[:2], -1)
        if reset:
            self.y_ndim_ = y.ndim
            self.n_outputs_ = y3.shape[2]
        elif y3.shape[2] != self.n_outputs_:
            raise ParameterError(
                f"y has {y3.shape[2]} outputs, the fitted model {self.n_outputs_}."
            )
        if not np.isfinite(y3).all(axis=2).any():
            raise ParameterError("y has no annotated step (every value is NaN).")
        return y3

    def _step_frames(self, n_steps: int) -> np.ndarray:
        """Feature frame of each target step: ``round((offset + k * hop) * frame_rate)``."""
        k = np.arange(n_steps)
        if self.frame_rate is None:
            if self.target_hop is None and not self.target_offset:
                return k  # one step per frame, from the first
            raise ParameterError(
                f"target_hop={self.target_hop} and target_offset={self.target_offset} are in "
                "seconds: they need frame_rate (feature frames per second, e.g. "
                "MFCCTransformer().frame_rate) to align the targets with the frames."
            )
        rate = float(self.frame_rate)
        hop = 1.0 / rate if self.target_hop is None else float(self.target_hop)
        return np.round((self.target_offset + k * hop) * rate).astype(np.int64)

    def _frame_targets(self, y3: np.ndarray, lengths: np.ndarray, n_frames: int) -> np.ndarray:
        """Targets per feature frame, ``(n, n_frames, n_out)``: NaN but at annotated frames.

        A step more than half a step past a clip's last real frame means the annotation and
        the audio do not line up (or ``target_offset`` is wrong): an error names the clip.
        A step within half a step of the end is read from the last real frame.
        """
        frames = self._step_frames(y3.shape[1])
        hop, rate = self.target_hop, self.frame_rate  # a hop without a rate: refused above
        per_step = 1.0 if hop is None or rate is None else hop * rate
        slack = max(0.5 * per_step, 1.0)
        out = np.full((len(y3), n_frames, y3.shape[2]), np.nan, dtype=np.float32)
        for i, n in enumerate(lengths.tolist()):
            annotated = np.isfinite(y3[i]).any(axis=1)
            late = annotated & (frames > n - 1 + slack)
            if late.any() or (annotated & (frames < 0)).any():
                k = int(np.flatnonzero(late | (annotated & (frames < 0)))[0])
                raise ParameterError(
                    f"Clip {i}: target step {k} (at {self._step_time(k):.3f} s) has no feature "
                    f"frame: the clip has {n} frames ({n / self._rate():.3f} s). Check "
                    "target_offset, target_hop and frame_rate against the features' duration."
                )
            rows = np.flatnonzero(annotated)
            out[i, np.minimum(frames[rows], n - 1)] = y3[i, rows]
        return out

    def _step_time(self, k: int) -> float:
        """Time of step ``k`` in seconds (in frames without ``frame_rate``)."""
        hop = 1.0 / self._rate() if self.target_hop is None else float(self.target_hop)
        return float(self.target_offset) + k * hop

    def _rate(self) -> float:
        return 1.0 if self.frame_rate is None else float(self.frame_rate)

    def _series_from_frames(self, frames: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Read the steps from per-frame outputs: ``(n, n_steps, n_out)``, NaN past the end."""
        longest = int(lengths.max()) if len(lengths) else 0
        per_step = 1.0 if self.target_hop is None else self.target_hop * self._rate()
        bound = int((longest + abs(self.target_offset) * self._rate()) / per_step) + 2
        idx = self._step_frames(bound)  # increasing: keep the steps inside the longest clip
        idx = idx[: int((idx <= longest - 1).sum())]
        out = np.array(frames[:, np.clip(idx, 0, max(frames.shape[1] - 1, 0))], dtype=np.float64)
        out[~((idx >= 0)[None, :] & (idx[None, :] < lengths[:, None]))] = np.nan  # no frame
        return out if self.y_ndim_ == 3 else out[:, :, 0]

    def _frames(self, X: Any) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        """Return the per-frame predictions ``(n, n_frames, n_out)`` and the clip lengths."""
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        """Predict the series of each clip at the target steps.

        Parameters
        ----------
        X : array-like [shape=(n_clips, n_frames, n_coefficients)]
            NaN-padded feature sequences.

        Returns
        -------
        y_pred : np.ndarray [shape=(n_clips, n_steps) or (n_clips, n_steps, n_outputs)]
            Values at ``target_offset + k * target_hop`` seconds (read from the frame nearest
            that time) for every step inside the longest clip, on the scale of the training
            targets; NaN past a clip's end. 2-D if ``y`` was 2-D.
        """
        return self._series_from_frames(*self._frames(X))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R^2 of the predictions over every annotated step of every clip (pooled).

        The MediaEval metrics (per-song RMSE, Pearson r and CCC, averaged over songs) are
        :func:`sk_deepsense.metrics.dynamic_scores` and the scorers of
        :data:`sk_deepsense.metrics.DYNAMIC_SCORING`.

        Parameters
        ----------
        X : array-like [shape=(n_clips, n_frames, n_coefficients)]
            Feature sequences.
        y : array-like [shape=(n_clips, n_steps) or (n_clips, n_steps, n_outputs)]
            True series, NaN where not annotated.
        sample_weight : None
            Not supported (must be None).

        Returns
        -------
        score : float
            R^2, averaged uniformly over the outputs.
        """
        if sample_weight is not None:
            raise ParameterError("sample_weight is not supported by series scores.")
        y_true, y_pred = paired_steps(y, self.predict(X))
        return float(r2_score(y_true, y_pred))


def paired_steps(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(n_annotated_steps, n_outputs)`` of true and predicted values, both finite.

    ``y_pred`` may have fewer steps than ``y_true`` (a prediction stops at the clip's end);
    an annotated step without a prediction is an error, never skipped.
    """
    truth, pred, _ = paired_steps_by_clip(y_true, y_pred)
    return truth, pred


def paired_steps_by_clip(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`paired_steps`, and the number of rows of each clip (rows are in clip order)."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    t = t.reshape(*t.shape[:2], -1)
    p = p.reshape(*p.shape[:2], -1)
    if t.shape[0] != p.shape[0] or t.shape[2] != p.shape[2]:
        raise ParameterError(f"y_true {t.shape} and y_pred {p.shape} do not match.")
    n = min(t.shape[1], p.shape[1])
    annotated = np.asarray(np.isfinite(t).all(axis=2))
    unpredicted = annotated[:, :n] & ~np.isfinite(p[:, :n]).all(axis=2)
    bad = annotated[:, n:].any(axis=1) | unpredicted.any(axis=1)
    if bad.any():
        clip = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"Clip {clip} has annotated steps without a prediction (the annotation runs past "
            "the clip's audio, or the prediction is not finite)."
        )
    rows = annotated[:, :n]
    return t[:, :n][rows], p[:, :n][rows], rows.sum(axis=1)


class FrameRidgeRegressor(SeriesTargetMixin, RegressorMixin, BaseEstimator):
    """Per-frame ridge regression of series targets: the classical dynamic baseline.

    Each annotated step is one training row: the standardized features of its frame,
    regressed on its values by :class:`~sklearn.linear_model.Ridge`. Frames never interact.
    Same contract as :class:`~sk_deepsense.HybridCNNLSTMDynamicRegressor` (see
    :mod:`sk_deepsense.dynamic`).

    Parameters
    ----------
    frame_rate : float or None, default=None
        Feature frames per second (``transformer.frame_rate``); needed with ``target_hop``.
    target_hop : float or None, default=None
        Seconds between target steps; ``None``: one target step per feature frame.
    target_offset : float, default=0.0
        Time of target step 0, in seconds from the first feature frame.
    alpha : float, default=1.0
        Ridge regularization strength.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    y_ndim_ : int
        Dimensions of the ``y`` seen in ``fit`` (2 or 3); predictions have the same.
    model_ : Pipeline
        The fitted scaler and ridge.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense.dynamic import FrameRidgeRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(6, 10, 3))
    >>> y = X[:, ::2, :1] * 2.0  # one target every 2 frames, from frame 0
    >>> reg = FrameRidgeRegressor(frame_rate=2.0, target_hop=1.0, alpha=1e-6).fit(X, y)
    >>> reg.predict(X).shape
    (6, 5, 1)
    >>> round(reg.score(X, y), 4)
    1.0
    """

    _parameter_constraints: dict = {
        "frame_rate": [Interval(Real, 0, None, closed="neither"), None],
        "target_hop": [Interval(Real, 0, None, closed="neither"), None],
        "target_offset": [Real],
        "alpha": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        frame_rate: float | None = None,
        target_hop: float | None = None,
        target_offset: float = 0.0,
        alpha: float = 1.0,
    ) -> None:
        self.frame_rate = frame_rate
        self.target_hop = target_hop
        self.target_offset = target_offset
        self.alpha = alpha

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> FrameRidgeRegressor:
        """Fit the ridge on the features of every annotated frame.

        Parameters
        ----------
        X : array-like [shape=(n_clips, n_frames, n_coefficients)]
            NaN-padded feature sequences.
        y : array-like [shape=(n_clips, n_steps) or (n_clips, n_steps, n_outputs)]
            Series targets, NaN where not annotated.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        from sklearn.pipeline import make_pipeline

        X, lengths = validate_sequences(self, X, reset=True)
        y3 = self._validate_series(y, reset=True)
        if len(y3) != len(X):
            raise ParameterError(f"X has {len(X)} clips but y has {len(y3)}.")
        targets = self._frame_targets(y3, lengths, X.shape[1])
        rows = np.isfinite(targets).all(axis=2)
        self.model_ = make_pipeline(StandardScaler(), Ridge(alpha=self.alpha))
        self.model_.fit(X[rows].astype(np.float64), targets[rows])
        return self

    def predict_frames(self, X: Any) -> np.ndarray:
        """Prediction at every feature frame, ``(n_clips, n_frames, n_outputs)``; NaN at padding.

        Parameters
        ----------
        X : array-like [shape=(n_clips, n_frames, n_coefficients)]
            NaN-padded feature sequences.

        Returns
        -------
        y_pred : np.ndarray [shape=(n_clips, n_frames, n_outputs)]
            Per-frame predictions.
        """
        return self._frames(X)[0]

    def _frames(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, "model_")
        X, lengths = validate_sequences(self, X, reset=False)
        n, t, c = X.shape
        # float64: a frame's prediction does not depend on the other rows of the product
        pred = self.model_.predict(X.reshape(n * t, c).astype(np.float64)).reshape(n, t, -1)
        pred[np.arange(t)[None, :] >= lengths[:, None]] = np.nan
        return pred, lengths

    def __sklearn_tags__(self):
        from ._tags import declare

        tags = declare(super().__sklearn_tags__(), frame_predictions=True)  # predict_frames
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags
