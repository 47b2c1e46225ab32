"""The dynamic regressor: trained on per-step arousal/valence series, predicts series."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..dynamic import SeriesTargetMixin
from ..features import sequence_lengths
from ._docs import _ATTRS_DOC, params_doc
from ._estimators import HybridCNNLSTMRegressor
from ._params import (
    NETWORK_PARAMS,
    SERIES_TARGET_PARAMS,
    WINDOW_PARAMS,
    declared_init,
    parameter_constraints,
)

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


#: The dynamic regressor's settings: the network's without windowed clip prediction (every
#: output is read from its own frame, so there are no clip outputs to average over windows),
#: and the alignment of the target series.
_DYNAMIC_PARAMS = (
    *(p for p in NETWORK_PARAMS if p.name not in WINDOW_PARAMS),
    *SERIES_TARGET_PARAMS,
)


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
    the losses against both series. It has no ``predict_window`` and ``predict_hop``:
    every output is read from its own frame, causally, over the whole clip. See
    :doc:`/dynamic`.
"""
        + params_doc(_DYNAMIC_PARAMS, warm_classes=" (and targets)")
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

    _declared_params = _DYNAMIC_PARAMS
    _parameter_constraints: dict = parameter_constraints(_DYNAMIC_PARAMS)
    __init__ = declared_init(_DYNAMIC_PARAMS)
    _frame_outputs = True

    _Y_NDIMS = (2, 3)

    def _criterion(self) -> type[torch.nn.Module]:
        return MaskedMSELoss

    def _prediction_windows(self) -> None:
        return None  # per-frame outputs only: nothing to average over windows

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
