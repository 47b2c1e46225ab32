"""Per-frame inference carried across chunks: the network half of streaming.

:class:`NetworkStream` feeds a fitted classifier's or regressor's networks a few frames at a
time and returns what ``predict_proba_frames`` / ``predict_frames`` return for those frames
of the whole sequence. The network's per-step computation is the module's own
(:meth:`~sk_deepsense.neural.HybridCNNLSTMModule.stream_step`, which carries the LSTM's
``(h, c)``, the frame count and the running sums of the pooling from chunk to chunk); the
networks are averaged and their outputs turned into predictions by the estimator's own
methods (``_average_networks``, ``_predictions``), as offline.

:class:`WindowStream` is the windowed alternative: it keeps the last ``width`` frames (a
bounded buffer) and, every ``hop`` frames, predicts that window with the estimator's own
``predict_proba`` / ``predict``, as :func:`~sk_deepsense.timeline.predict_timeline` does
with ``window``: the emotion of the last seconds instead of everything since the start.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from .._tags import capabilities
from .._threads import limit_threads
from ..exceptions import NotStreamableError, ParameterError
from ._module import StreamCarry

__all__ = ["NetworkStream", "WindowStream", "output_kind"]


class NetworkStream:
    """Per-frame outputs of a fitted hybrid network, chunk of frames after chunk of frames.

    Parameters
    ----------
    estimator : HybridCNNLSTMClassifier or HybridCNNLSTMRegressor
        Fitted, with a causal architecture (``module_.causal``).

    Raises
    ------
    NotStreamableError
        If the estimator has no per-frame predictions or a network is not causal.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    """

    def __init__(self, estimator: Any) -> None:
        name = type(estimator).__name__
        self.kind = output_kind(estimator)
        self.estimator = estimator
        self.nets = estimator.nets_
        from threadpoolctl import ThreadpoolController

        self._pools = ThreadpoolController()  # found once: limit_threads then costs ~15 us
        for net in self.nets:
            module = net.module_
            if not module.causal:
                raise NotStreamableError(
                    f"cannot stream a {name}(architecture={module.architecture!r}): its "
                    "convolutions span several frames, centred, so the output at a frame "
                    "depends on later frames; use a causal architecture ('hybrid', 'lstm' "
                    "or 'hybrid_nolstm')."
                )
        self.reset()

    def reset(self) -> None:
        """Forget every frame: the next one pushed is frame 0 (the modules go to eval mode)."""
        for net in self.nets:
            net.module_.eval()  # once here, not per chunk: a costly walk of the modules
        self.n_frames = 0
        self._carry: list[StreamCarry | None] = [None] * len(self.nets)

    def push(self, frames: np.ndarray) -> np.ndarray:
        """Feed the next frames; return the model's per-frame outputs for them.

        Parameters
        ----------
        frames : np.ndarray [shape=(n, n_coefficients), dtype=float32]
            The next feature frames (``n`` may be 0).

        Returns
        -------
        values : np.ndarray [shape=(n, n_outputs), dtype=float64]
            Class probabilities, or regression outputs on the training scale: the rows of
            ``predict_proba_frames`` / ``predict_frames`` of the whole stream for these frames.
        """
        est = self.estimator
        n = len(frames)
        if n == 0:
            width = len(est.classes_) if self.kind == "proba" else int(est.n_outputs_)
            return np.zeros((0, width), dtype=np.float64)
        x = torch.from_numpy(np.ascontiguousarray(frames, dtype=np.float32))[None]
        with limit_threads(est.n_threads, controller=self._pools), torch.no_grad():
            per_net = [self._net_outputs(i, x) for i in range(len(self.nets))]
        self.n_frames += n
        return est._predictions(est._average_networks(per_net)).astype(np.float64)

    def _net_outputs(self, i: int, x: torch.Tensor) -> np.ndarray:
        """Return network ``i``'s float32 outputs for frames ``x`` (1, n, C); update its carry."""
        net = self.nets[i]
        with net.autocast():
            out, self._carry[i] = net.module_.stream_step(x.to(net.device), self._carry[i])
        return out.float().cpu().numpy()


def output_kind(estimator: Any) -> str:
    """``"proba"`` or ``"av"``: what a fitted hybrid network streams; else refuse it.

    Raises
    ------
    NotStreamableError
        If the estimator has no per-frame predictions.
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    """
    name = type(estimator).__name__
    declared = capabilities(estimator)
    if not (declared.network and declared.frame_predictions):
        raise NotStreamableError(
            f"cannot stream a {name}: streaming needs a network with per-frame "
            "predictions (HybridCNNLSTMClassifier or HybridCNNLSTMRegressor)."
        )
    check_is_fitted(
        estimator, "net_", msg=f"This {name} is not fitted: fit it before streaming it."
    )
    return "proba" if is_classifier(estimator) else "av"


class WindowStream:
    """Predictions of the last ``width`` frames, every ``hop`` frames, chunk after chunk.

    The window ending at frame count ``e`` (frames ``max(0, e - width)`` to ``e - 1``) is
    predicted once ``e`` frames have been pushed, for ``e = hop, 2 * hop, ...`` and, at
    :meth:`finish`, the last frame: the ends and values of
    :func:`~sk_deepsense.timeline.predict_timeline` with ``window`` and ``step``. Memory: the
    last ``width`` frames. Cost: one ``predict_proba`` / ``predict`` of at most ``width``
    frames per window (batched, ``batch`` windows at a time). The network need not be causal:
    a window is predicted once all of its frames are known.

    Parameters
    ----------
    estimator : HybridCNNLSTMClassifier or HybridCNNLSTMRegressor
        Fitted; a model that predicts a series per clip (the dynamic estimators) is refused.
    width : int
        Frames per window (at least 1).
    hop : int
        Frames between window ends (at least 1).
    batch : int, default=16
        Windows predicted together at most (a bound on the memory of one call).

    Raises
    ------
    NotStreamableError
        If the estimator has no per-frame predictions or predicts a series per clip.
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    """

    def __init__(self, estimator: Any, *, width: int, hop: int, batch: int = 16) -> None:
        from ..dynamic import SeriesTargetMixin

        self.kind = output_kind(estimator)
        if isinstance(estimator, SeriesTargetMixin):
            raise NotStreamableError(
                f"cannot predict windows with a {type(estimator).__name__}: it predicts a "
                "series per clip, and its per-frame outputs already follow the music; stream "
                "it frame by frame (window=None, 'listen --window 0')."
            )
        if int(width) < 1 or int(hop) < 1:
            raise ParameterError(f"width and hop must be at least 1 frame, got {width}, {hop}.")
        self.estimator = estimator
        self.width, self.hop, self.batch = int(width), int(hop), int(batch)
        self.reset()

    def reset(self) -> None:
        """Forget every frame: the next one pushed is frame 0."""
        self.n_frames = 0
        self._recent: np.ndarray | None = None  # the last `width` frames at most
        self._last_end = 0

    def push(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feed the next frames; return the windows they close.

        Parameters
        ----------
        frames : np.ndarray [shape=(n, n_coefficients), dtype=float32]
            The next feature frames (``n`` may be 0).

        Returns
        -------
        ends : np.ndarray [shape=(n_windows,), dtype=int64]
            Frame count at the end of each closed window (its last frame is ``end - 1``).
        values : np.ndarray [shape=(n_windows, n_outputs), dtype=float64]
            Class probabilities, or regression outputs on the training scale.
        """
        first = self.n_frames - (0 if self._recent is None else len(self._recent))
        buffer = frames if self._recent is None else np.concatenate([self._recent, frames])
        self.n_frames += len(frames)
        ends = np.arange((self._last_end // self.hop + 1) * self.hop, self.n_frames + 1, self.hop)
        values = self._predict(buffer, first, ends)
        self._recent = buffer[-self.width :] if len(buffer) else buffer
        return ends, values

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """End of the frames: the window ending at the last frame, if not returned yet."""
        if self.n_frames == self._last_end or self._recent is None:
            return np.zeros(0, dtype=np.int64), self._predict(self._recent, 0, np.zeros(0, int))
        ends = np.array([self.n_frames], dtype=np.int64)
        first = self.n_frames - len(self._recent)
        return ends, self._predict(self._recent, first, ends)

    def _width_out(self) -> int:
        est = self.estimator
        return len(est.classes_) if self.kind == "proba" else int(est.n_outputs_)

    def _predict(self, buffer: np.ndarray | None, first: int, ends: np.ndarray) -> np.ndarray:
        """Predict the windows ending at ``ends``; ``buffer[0]`` is frame number ``first``."""
        out = [np.zeros((0, self._width_out()), dtype=np.float64)]
        for start in range(0, len(ends), self.batch):
            assert buffer is not None  # None only with no window to predict
            chunk = ends[start : start + self.batch]
            pieces = [buffer[max(0, e - self.width) - first : e - first] for e in chunk]
            block = np.full(
                (len(pieces), max(map(len, pieces)), buffer.shape[1]), np.nan, np.float32
            )
            for j, piece in enumerate(pieces):
                block[j, : len(piece)] = piece
            est = self.estimator
            pred = est.predict_proba(block) if self.kind == "proba" else est.predict(block)
            out.append(np.asarray(pred, dtype=np.float64).reshape(len(chunk), -1))
        if len(ends):
            self._last_end = int(ends[-1])
        return np.concatenate(out, axis=0)
