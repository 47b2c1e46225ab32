"""The dynamic regressor: trained on per-step arousal/valence series, predicts series."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ..dynamic import SeriesTargetMixin
from ..features import sequence_lengths
from ._base import extends_signature
from ._docs import _ATTRS_DOC, _PARAMS_DOC
from ._estimators import HybridCNNLSTMRegressor

__all__ = ["HybridCNNLSTMDynamicRegressor", "MaskedMSELoss"]


class MaskedMSELoss(torch.nn.Module):
    """Mean squared error over the finite targets only: NaN marks a frame without one.

    ``y_pred`` and ``y_true`` are ``(batch, n_frames, n_outputs)``. A batch without any
    target gives a zero loss that still depends on ``y_pred`` (so backward runs).
    """

    def forward(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """Return the masked mean squared error."""
        y_true = y_true.to(y_pred.dtype)
        mask = torch.isfinite(y_true)
        diff = torch.where(mask, y_pred - torch.nan_to_num(y_true), 0.0)
        return diff.square().sum() / mask.sum().clamp_min(1)


_DYNAMIC_PARAMS_DOC = """
    frame_rate : float or None, default=None
        Feature frames per second (``sr / hop_length`` of the transformer:
        ``MFCCTransformer().frame_rate`` is 43.07, ``LogMelTransformer().frame_rate`` 21.53).
        Needed with ``target_hop``, to align the target steps with the frames by time.
    target_hop : float or None, default=None
        Seconds between the target steps of ``y`` (0.5 for DEAM, emoMusic and PMEmo).
        ``None``: one target step per feature frame.
    target_offset : float, default=0.0
        Time of target step 0 in seconds from the start of the features (e.g. 15.0 for the
        emoMusic/DEAM annotations of a clip read from its start, or 0.0 if the transformer's
        ``offset`` already skips those 15 s).
"""


class HybridCNNLSTMDynamicRegressor(SeriesTargetMixin, HybridCNNLSTMRegressor):
    __doc__ = (
        """Hybrid 1-D CNN + LSTM trained on time-varying targets: an emotion series per clip.

    Where :class:`HybridCNNLSTMRegressor` learns one (arousal, valence) per clip, this model
    learns the annotation series of dynamic datasets (MediaEval "Emotion in Music", DEAM,
    PMEmo, emoMusic): the output at each frame is read from that frame's own LSTM state
    joined with the running pool (``pooling``) of the states since the start (the state
    alone with ``pooling="last"``), so it depends on the frames heard so far only, and it
    is trained with a squared error
    averaged over the annotated steps (missing annotations, NaN in ``y``, are left out of
    the loss, never filled in). ``y`` and the predictions are arrays of series (see
    :mod:`sk_deepsense.dynamic` for why this shape): ``(n_clips, n_steps, n_outputs)`` or
    ``(n_clips, n_steps)``, step ``k`` at ``target_offset + k * target_hop`` seconds.
    Targets are standardized internally (over the annotated steps).

    Random crops (``train_chunk``) and chunks cut the targets with their frames; mixup mixes
    the losses against both series. ``predict_window`` and ``predict_hop`` are not used:
    every output is read from its own frame, causally, over the whole clip. See
    :doc:`/dynamic`.
"""
        + _PARAMS_DOC.replace("{stratified}", "")
        .replace("{warm_classes}", " (and targets)")
        .replace("{class_weight}", _DYNAMIC_PARAMS_DOC.rstrip("\n"))
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets per step.
    y_ndim_ : int
        Dimensions of the ``y`` seen in ``fit``: 2 (predictions are then 2-D) or 3.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        Statistics that standardize the targets for training (annotated steps only)."""
        + _ATTRS_DOC
        + """
    See Also
    --------
    HybridCNNLSTMRegressor : One value per clip.
    sk_deepsense.dynamic.FrameRidgeRegressor : The per-frame classical baseline.
    sk_deepsense.dynamic.series_targets : Builds ``y`` from per-clip (values, times) lists.
    sk_deepsense.metrics.dynamic_scores : Per-song RMSE, Pearson r and CCC (MediaEval).
    sk_deepsense.EmotionStream : The same per-frame outputs from audio chunks, live.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import HybridCNNLSTMDynamicRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(16, 20, 6)).astype("float32")
    >>> y = np.cumsum(X[:, ::4, :1], axis=1)  # a running quantity, one step every 4 frames
    >>> reg = HybridCNNLSTMDynamicRegressor(
    ...     frame_rate=8.0, target_hop=0.5, max_epochs=3, n_ensemble=1, random_state=0
    ... ).fit(X, y)
    >>> reg.predict(X).shape
    (16, 5, 1)
    >>> reg.predict_frames(X).shape
    (16, 20, 1)
    """
    )

    _parameter_constraints: dict = {
        **HybridCNNLSTMRegressor._parameter_constraints,
        "frame_rate": [Interval(Real, 0, None, closed="neither"), None],
        "target_hop": [Interval(Real, 0, None, closed="neither"), None],
        "target_offset": [Real],
    }

    @extends_signature(HybridCNNLSTMRegressor.__init__)
    def __init__(
        self,
        *,
        frame_rate: float | None = None,
        target_hop: float | None = None,
        target_offset: float = 0.0,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.frame_rate = frame_rate
        self.target_hop = target_hop
        self.target_offset = target_offset

    _Y_NDIMS = (2, 3)

    def _criterion(self) -> type[torch.nn.Module]:
        return MaskedMSELoss

    def _module_options(self) -> dict[str, Any]:
        return {"frame_outputs": True}

    def _prepare_target(self, y: Any, *, reset: bool) -> tuple[np.ndarray, int]:
        y3 = self._validate_series(y, reset=reset)
        if reset:
            flat = y3.reshape(-1, y3.shape[2])
            self.target_mean_ = np.nanmean(flat, axis=0)
            scale = np.nanstd(flat, axis=0)
            self.target_scale_ = np.where(~(scale >= 1e-12), 1.0, scale)
            self.target_mean_ = np.nan_to_num(self.target_mean_)  # an output never annotated
        return (y3 - self.target_mean_) / self.target_scale_, self.n_outputs_

    def _align_target(self, y_train: np.ndarray, lengths: np.ndarray, n_frames: int) -> np.ndarray:
        return self._frame_targets(y_train, lengths, n_frames)

    def _frames(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame predictions (``predict_frames``, NaN at padding) and clip lengths."""
        frames = self.predict_frames(X)
        return frames, sequence_lengths(frames)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = False
        return tags
