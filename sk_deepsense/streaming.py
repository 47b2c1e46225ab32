"""Emotion as the music plays: a fitted causal model, fed audio chunk by chunk.

:class:`EmotionStream` wraps a fitted ``Pipeline([(name, MFCCTransformer or
LogMelTransformer), (name, a hybrid network)])`` (classifier, regressor or dynamic
regressor) and takes
audio in chunks of any size (a file read block by block, a sound card's callback). Each
:meth:`~EmotionStream.push` returns the frames that the chunk completed, as an
:class:`~sk_deepsense.timeline.EmotionTimeline`; :meth:`~EmotionStream.flush` ends the audio.
The values equal the offline per-frame predictions of the same audio,
``pipe[-1].predict_proba_frames(pipe[0].set_params(duration=None).transform([y]))`` (or
``predict_frames``), up to float32 rounding (tested within 1e-5), because both run the same
arithmetic: the feature transformer's own per-frame code (:mod:`sk_deepsense.features`) and
the network's modules with the LSTM state and the pooling sums carried between chunks
(:mod:`sk_deepsense.neural._stream`). See :ref:`streaming`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from .exceptions import NotStreamableError
from .timeline import EmotionTimeline, default_output_names

__all__ = ["EmotionStream", "stream_file"]


class EmotionStream:
    """Causal streaming inference: audio chunks in, new per-frame emotion predictions out.

    Parameters
    ----------
    model : Pipeline
        A fitted two-step pipeline: an :class:`~sk_deepsense.MFCCTransformer` or
        :class:`~sk_deepsense.LogMelTransformer` with ``top_db=None`` (and, for MFCCs,
        ``deltas=0``), then a :class:`~sk_deepsense.HybridCNNLSTMClassifier`,
        :class:`~sk_deepsense.HybridCNNLSTMRegressor` or
        :class:`~sk_deepsense.HybridCNNLSTMDynamicRegressor` of a causal architecture (``"hybrid"``,
        ``"lstm"``, ``"hybrid_nolstm"``). Its ``duration`` and ``offset`` are ignored: the
        stream starts at its first sample and lasts as long as the audio.
    input_sr : int or None, default=None
        Sampling rate of the pushed audio; ``None`` means the transformer's ``sr``. Another
        rate is resampled chunk by chunk with :class:`soxr.ResampleStream` (the "HQ"
        quality of the offline path); see :ref:`streaming` for how close that is to
        resampling the whole file at once.

    Attributes
    ----------
    names : list of str
        The output columns: the classes, or ``["arousal", "valence"]``.
    kind : {"proba", "av"}
        Class probabilities or regression outputs.
    sr : int
        The model's sampling rate (the transformer's ``sr``).
    input_sr : int
        The rate of the pushed audio (to change it, set it, then call :meth:`reset`).
    source : str
        The ``source`` of the returned timelines: ``"stream"``, or what you set.

    Raises
    ------
    NotStreamableError
        If the model's output at a frame depends on later audio or on the whole clip (a
        ``"conv1d"``/``"conv2d"`` network, MFCC deltas, ``top_db`` not ``None``), or the
        model is not a feature transformer followed by such a network. The message says
        why and what to change.
    sklearn.exceptions.NotFittedError
        If the network is not fitted.

    See Also
    --------
    stream_file : Stream an audio file block by block.
    sk_deepsense.timeline.predict_timeline : The offline per-frame predictions.

    Notes
    -----
    Frame ``t`` (time ``t * hop_length / sr``) is centred: it needs the audio up to
    ``n_fft - n_fft // 2`` samples after its centre, so it is returned by the push that
    brings that sample (:attr:`latency` seconds later); :meth:`flush` computes the last
    frames with the zero padding the offline features use. The stream runs under the
    networks' ``n_threads`` and, with ``mixed_precision``, their bfloat16 autocast, as
    offline (equal within 1e-5 on the CPU; on a GPU expect bfloat16 precision only).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import Pipeline
    >>> from sk_deepsense import EmotionStream, HybridCNNLSTMRegressor, MFCCTransformer
    >>> rng = np.random.default_rng(0)
    >>> waves = [rng.normal(size=11025).astype("float32") for _ in range(4)]
    >>> pipe = Pipeline([
    ...     ("mfcc", MFCCTransformer(top_db=None, n_mfcc=8, duration=None)),
    ...     ("reg", HybridCNNLSTMRegressor(n_filters=4, lstm_hidden_size=4, max_epochs=1,
    ...                                    early_stopping=False, random_state=0)),
    ... ]).fit(waves, rng.normal(size=(4, 2)))
    >>> stream = EmotionStream(pipe)
    >>> part = stream.push(waves[0][:5000])  # frames 0..7 are complete
    >>> part.times[:3], part.names, part.values.shape
    (array([0.        , 0.02321995, 0.04643991]), ['arousal', 'valence'], (8, 2))
    >>> rest = stream.flush()  # the last 2 frames, with the zero padding offline uses
    >>> stream.n_frames, round(stream.latency, 4)
    (10, 0.0464)
    """

    def __init__(self, model: Any, *, input_sr: int | None = None) -> None:
        from sklearn.pipeline import Pipeline

        from .neural._stream import NetworkStream

        if not isinstance(model, Pipeline) or len(model.steps) != 2:
            got = (
                f"a Pipeline of {len(model.steps)} steps"
                if isinstance(model, Pipeline)
                else f"a {type(model).__name__}"
            )
            raise NotStreamableError(
                f"cannot stream {got}: EmotionStream needs a fitted Pipeline of exactly two "
                "steps, an MFCCTransformer or LogMelTransformer then a HybridCNNLSTMClassifier "
                "or HybridCNNLSTMRegressor."
            )
        transformer, network = model[0], model[-1]
        if not hasattr(transformer, "feature_stream"):
            raise NotStreamableError(
                f"cannot stream the features of a {type(transformer).__name__}: only "
                "MFCCTransformer and LogMelTransformer features are computed frame by frame "
                "from the audio before each frame."
            )
        self._features = transformer.feature_stream()
        self._network = NetworkStream(network)
        self.kind = self._network.kind
        k = len(network.classes_) if self.kind == "proba" else int(network.n_outputs_)
        self.names = (
            [str(c) for c in network.classes_]
            if self.kind == "proba"
            else default_output_names("av", k)
        )
        self.sr = int(self._features.sr)
        self.input_sr = self.sr if input_sr is None else int(input_sr)
        if self.input_sr <= 0:
            raise ValueError(f"input_sr must be a positive rate in Hz, got {input_sr!r}.")
        self.source = "stream"
        self.reset()

    @property
    def frame_rate(self) -> float:
        """Frames per second of audio (``sr / hop_length``)."""
        return self.sr / self._features.hop_length

    @property
    def latency(self) -> float:
        """Seconds of audio after a frame's time that its prediction waits for.

        ``(n_fft - n_fft // 2) / sr`` (about 46 ms at the defaults); a resampled input
        adds the resampler's own delay.
        """
        return self._features.latency_samples / self.sr

    @property
    def n_frames(self) -> int:
        """Frames emitted since the start (or the last :meth:`reset`)."""
        return self._network.n_frames

    @property
    def seconds(self) -> float:
        """Seconds of audio pushed since the start (or the last :meth:`reset`)."""
        return self._n_input / self.input_sr

    def reset(self) -> None:
        """Start a new stream: forget the audio, the network states and the frame count."""
        self._features.reset()
        self._network.reset()
        self._n_input = 0
        self._resampler = None
        if self.input_sr != self.sr:
            import soxr

            self._resampler = soxr.ResampleStream(
                self.input_sr, self.sr, 1, dtype="float32", quality="HQ"
            )

    def push(self, chunk: Any) -> EmotionTimeline:
        """Feed the next audio samples; return the frames they complete.

        Parameters
        ----------
        chunk : array-like [shape=(n,) or (n, n_channels)]
            Samples at ``input_sr`` (any length, 0 included); several channels are averaged
            to mono as files are.

        Returns
        -------
        timeline : EmotionTimeline
            The new frames: ``times`` in seconds of the stream (``t * hop_length / sr``),
            ``values`` ``(n_new, k)``, ``names``, ``kind``, ``source``; empty when the chunk
            completed no frame.

        Raises
        ------
        ValueError
            If the chunk is not 1-D or 2-D, or holds NaN or infinity.
        RuntimeError
            After :meth:`flush`, until :meth:`reset`.
        """
        if self._features.closed:
            raise RuntimeError("this stream was flushed; call reset() to start a new one.")
        y = _mono(chunk)
        self._n_input += y.size
        if self._resampler is not None:
            y = self._resampler.resample_chunk(y)
        return self._emit(self._features.push(y))

    def flush(self) -> EmotionTimeline:
        """End of the audio: return the last frames (the right edge's zero padding).

        Returns
        -------
        timeline : EmotionTimeline
            The frames not returned yet; empty after an earlier flush. :meth:`reset` starts
            a new stream.
        """
        if self._resampler is not None and not self._features.closed:
            tail = self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            first = self._features.push(tail)
            rest = self._features.flush()
            return self._emit(np.concatenate([first, rest]))
        return self._emit(self._features.flush())

    def _emit(self, frames: np.ndarray) -> EmotionTimeline:
        start = self._network.n_frames
        values = self._network.push(frames)
        hop_s = self._features.hop_length / self.sr
        return EmotionTimeline(
            times=np.arange(start, start + len(values), dtype=np.float64) * hop_s,
            values=values,
            names=list(self.names),
            kind=self.kind,
            source=self.source,
        )


def stream_file(
    model: Any, path: str | os.PathLike, *, chunk_seconds: float = 0.5
) -> Iterator[EmotionTimeline]:
    """Stream an audio file through a model block by block, as it would play.

    Parameters
    ----------
    model : Pipeline or EmotionStream
        A streamable fitted pipeline (see :class:`EmotionStream`), or a stream (reset
        first, its ``input_sr`` ignored: the file's own rate is used).
    path : str or os.PathLike
        The audio file. soundfile reads it block by block at its own rate (resampled
        chunk by chunk); what soundfile cannot read is decoded whole by
        :func:`~sk_deepsense.load_audio` first.
    chunk_seconds : float, default=0.5
        Seconds of audio per block.

    Yields
    ------
    timeline : EmotionTimeline
        The frames completed by each block (possibly none), then those of the flush; their
        ``source`` is ``path``.

    Raises
    ------
    AudioLoadError
        If the file cannot be read.
    NotStreamableError
        If the model cannot be streamed.
    """
    if not chunk_seconds > 0:
        raise ValueError(f"chunk_seconds must be positive, got {chunk_seconds!r}.")
    template = model if isinstance(model, EmotionStream) else EmotionStream(model)
    stream = None
    for rate, block in read_blocks(path, chunk_seconds, template.sr):
        if stream is None:
            template.input_sr = rate
            stream = template
            stream.reset()
            stream.source = os.fspath(path)
        yield stream.push(block)
    if stream is not None:
        yield stream.flush()


def read_blocks(
    path: str | os.PathLike, chunk_seconds: float, sr: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(rate, block)`` pairs of a file, ``chunk_seconds`` each, as float32.

    soundfile reads blocks at the file's rate (several channels stay as columns); a file
    it cannot open is decoded whole at ``sr`` by :func:`~sk_deepsense.load_audio` (which
    raises the clear :class:`~sk_deepsense.AudioLoadError`), then cut into blocks.
    """
    import soundfile as sf

    from .features import load_audio

    try:
        f = sf.SoundFile(os.fspath(path))
    except Exception:  # noqa: BLE001 - not for libsndfile: load_audio's fallback and errors
        y = load_audio(path, sr=sr)
        step = max(1, int(round(chunk_seconds * sr)))
        for start in range(0, y.size, step):
            yield sr, y[start : start + step]
        return
    with f:
        step = max(1, int(round(chunk_seconds * f.samplerate)))
        for block in f.blocks(blocksize=step, dtype="float32", always_2d=True):
            yield int(f.samplerate), block


def _mono(chunk: Any) -> np.ndarray:
    """Return a chunk as mono float32, averaging channels as :func:`load_audio` does."""
    from .features._audio_io import mix_to_mono

    data = np.asarray(chunk, dtype=np.float32)
    if data.ndim == 2:
        data = mix_to_mono(data)
    if data.ndim != 1:
        raise ValueError(
            f"an audio chunk must be 1-D (mono) or 2-D (samples, channels), got {data.ndim}-D."
        )
    if not np.isfinite(data).all():
        raise ValueError("the audio chunk contains NaN or infinity.")
    return np.ascontiguousarray(data)
