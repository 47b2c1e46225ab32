"""Streaming features: the frames of an MFCC or log-mel transformer, chunk by chunk, exactly.

Offline, frames are centred (``librosa.stft(center=True)``, zero padding): frame ``t`` covers
samples ``[t * hop - n_fft // 2, t * hop + n_fft - n_fft // 2)``. A :class:`FeatureStream`
starts its buffer with the ``n_fft // 2`` zeros of the left padding, computes each frame
with the same arithmetic (``mel_power(center=False)`` on the buffered samples, then the
transformer's own per-frame function) as soon as its last sample has arrived, and at
:meth:`~FeatureStream.flush` appends the right padding: the frames are those of
``transform([y])`` with ``duration=None``, at a latency of ``n_fft - n_fft // 2`` samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import NotStreamableError, StateError
from ._spectral import mel_power

__all__ = ["FeatureStream", "StreamableFeaturesMixin"]


class StreamableFeaturesMixin:
    """Gives a feature transformer :meth:`feature_stream` (MFCC and log-mel transformers).

    The transformer sets ``_stream_frames``: a function of mel power frames
    ``(n_mels, n_frames)`` and its feature parameters returning ``(n_frames, n_coefficients)``
    float32, the same one its offline ``_sequence`` uses. It declares the capability
    ``feature_stream`` (:mod:`sk_deepsense._tags`), which :class:`~sk_deepsense.EmotionStream`
    asks for.
    """

    def __sklearn_tags__(self):
        from .._tags import declare

        return declare(super().__sklearn_tags__(), feature_stream=True)

    def feature_stream(self) -> FeatureStream:
        """Return a stateful extractor of this transformer's features, chunk by chunk.

        Returns
        -------
        stream : FeatureStream
            ``push(y)`` returns the frames completed by ``y``, ``flush()`` the last ones;
            together they equal ``transform([y_all])`` with ``duration=None`` (``offset`` and
            ``duration`` are ignored: the stream starts at its first sample).

        Raises
        ------
        NotStreamableError
            If ``deltas > 0`` or ``top_db`` is not ``None``: both make a frame depend on audio
            after it (the centred delta window, the floor relative to the clip's loudest
            value).

        Examples
        --------
        >>> import numpy as np
        >>> from sk_deepsense import MFCCTransformer
        >>> mfcc = MFCCTransformer(top_db=None, duration=None)
        >>> y = np.random.default_rng(0).normal(size=22050).astype("float32")
        >>> stream = mfcc.feature_stream()
        >>> frames = np.concatenate([stream.push(y[:1000]), stream.push(y[1000:]), stream.flush()])
        >>> bool(np.allclose(frames, mfcc.transform([y])[0], atol=1e-4))
        True
        """
        return FeatureStream(self)


class FeatureStream:
    """Features of a transformer computed chunk by chunk (see :mod:`this module <._streaming>`).

    Parameters
    ----------
    transformer : MFCCTransformer or LogMelTransformer
        Its parameters are read once, here.

    Raises
    ------
    NotStreamableError
        If the transformer's features depend on the future (see
        :meth:`StreamableFeaturesMixin.feature_stream`).
    """

    #: Frames computed by one spectrogram at most (about 12 s at the default hop): the
    #: memory of a push is bounded whatever the chunk's length (frames are independent).
    max_batch = 512

    def __init__(self, transformer: Any) -> None:
        transformer._validate_params()  # the errors transform would give
        name = type(transformer).__name__
        reasons = []
        if int(getattr(transformer, "deltas", 0)) > 0:
            reasons.append(
                f"{name}(deltas={transformer.deltas}): a delta is computed on a centred window "
                "of up to 9 frames (4 after the frame), whose edges depend on where the audio "
                "ends; train with deltas=0"
            )
        if getattr(transformer, "top_db", None) is not None:
            reasons.append(
                f"{name}(top_db={transformer.top_db}): the dB floor is relative to the loudest "
                "value of the whole clip, unknown until it ends; train with top_db=None"
            )
        if reasons:
            raise NotStreamableError("cannot stream these features: " + "; ".join(reasons) + ".")
        self._params = transformer._feature_params()
        self._frames = type(transformer)._stream_frames
        self.sr = self._params["sr"]
        self.n_fft = self._params["n_fft"]
        self.hop_length = self._params["hop_length"]
        self.reset()

    @property
    def latency_samples(self) -> int:
        """Samples after frame t's centre (``t * hop_length``) that frame t needs."""
        return self.n_fft - self.n_fft // 2

    def reset(self) -> None:
        """Forget the audio: the next sample pushed is the first of a new stream."""
        self._buffer = np.zeros(self.n_fft // 2, dtype=np.float32)  # left centre padding
        self.n_samples = 0
        self.n_frames = 0
        self.closed = False

    def push(self, y: np.ndarray) -> np.ndarray:
        """Append mono float32 samples at ``sr``; return the frames they complete.

        Parameters
        ----------
        y : np.ndarray [shape=(n,), dtype=float32]
            The next samples (any length, 0 included).

        Returns
        -------
        frames : np.ndarray [shape=(n_new_frames, n_coefficients), dtype=float32]
            The frames whose last sample has now arrived, in order.
        """
        if self.closed:
            raise StateError("this feature stream was flushed; call reset() to start again.")
        if y.size:
            self._buffer = np.concatenate([self._buffer, y])
            self.n_samples += y.size
        return self._complete_frames()

    def flush(self) -> np.ndarray:
        """End of the audio: return the last frames, computed with the right zero padding.

        Returns
        -------
        frames : np.ndarray [shape=(n_last_frames, n_coefficients), dtype=float32]
            Empty when nothing was pushed (offline, an empty clip is an error) or after an
            earlier flush.
        """
        if self.closed or self.n_samples == 0:
            self.closed = True
            return self._frames_of(np.zeros(0, dtype=np.float32), 0)
        self._buffer = np.concatenate([self._buffer, np.zeros(self.n_fft // 2, dtype=np.float32)])
        frames = self._complete_frames()
        self.closed = True
        return frames

    def _complete_frames(self) -> np.ndarray:
        n_fft, hop = self.n_fft, self.hop_length
        n = 0 if self._buffer.size < n_fft else 1 + (self._buffer.size - n_fft) // hop
        if n == 0:
            return self._frames_of(self._buffer[:0], 0)
        # at most max_batch frames per spectrogram: a long chunk costs time, not memory
        parts = []
        for first in range(0, n, self.max_batch):
            m = min(self.max_batch, n - first)
            start = first * hop
            parts.append(self._frames_of(self._buffer[start : start + (m - 1) * hop + n_fft], m))
        self._buffer = self._buffer[n * hop :].copy()  # not a view of the whole chunk
        self.n_frames += n
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _frames_of(self, samples: np.ndarray, n: int) -> np.ndarray:
        p = self._params
        if n == 0:  # no frame yet: the right width, computed from zero frames of power
            mel = np.zeros((p.get("n_mels", 1), 0), dtype=np.float32)
        else:
            mel = mel_power(
                samples, sr=p["sr"], n_fft=p["n_fft"], hop_length=p["hop_length"],
                n_mels=p["n_mels"], fmin=p["fmin"], fmax=p["fmax"], center=False,
            )  # fmt: skip
        return self._frames(mel, **p)
