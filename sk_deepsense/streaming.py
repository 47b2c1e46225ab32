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
(:mod:`sk_deepsense.neural._stream`). With ``window``, each returned value is instead the
model's prediction of the last ``window`` seconds (a bounded buffer of frames), every
``step`` seconds: the values of :func:`~sk_deepsense.timeline.predict_timeline` with the same
``window`` and ``step``. See :ref:`streaming`.

Chunks are read as files are: float samples as they are, integer PCM (``int8``, ``int16``,
``int32``, ``uint8``) scaled to [-1, 1) as soundfile scales the same samples read from a
file, several channels averaged; a 2-D chunk is ``(n_samples, n_channels)`` unless the
stream was made with ``channels_first=True``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from numbers import Real
from typing import Any

import numpy as np

from ._choices import default_output_names
from .exceptions import NotStreamableError, ParameterError, StateError
from .timeline import EmotionTimeline

__all__ = ["MAX_CHANNELS", "PCM_DTYPES", "EmotionStream", "chunk_samples", "stream_file"]

#: The most channels a 2-D chunk may have: a wider one is almost certainly the other layout
#: (``(n_channels, n_samples)``: pass ``channels_first=True``, or its transpose).
MAX_CHANNELS = 64

#: Integer PCM dtypes a chunk may have, as soundfile reads them from a file: a signed
#: ``b``-bit sample ``x`` is ``x / 2**(b-1)``, an unsigned one ``(x - 2**(b-1)) / 2**(b-1)``.
PCM_DTYPES = ("int8", "int16", "int32", "uint8")


class EmotionStream:
    """Streaming inference: audio chunks in, new emotion predictions out.

    Parameters
    ----------
    model : Pipeline
        A fitted two-step pipeline: an :class:`~sk_deepsense.MFCCTransformer` or
        :class:`~sk_deepsense.LogMelTransformer` with ``top_db=None`` (and, for MFCCs,
        ``deltas=0``), then a :class:`~sk_deepsense.HybridCNNLSTMClassifier`,
        :class:`~sk_deepsense.HybridCNNLSTMRegressor` or
        :class:`~sk_deepsense.HybridCNNLSTMDynamicRegressor`; without ``window``, of a causal
        architecture (``"hybrid"``, ``"lstm"``, ``"hybrid_nolstm"``). Its ``duration`` and
        ``offset`` are ignored: the stream starts at its first sample and lasts as long as
        the audio.
    input_sr : int or None, default=None
        Sampling rate of the pushed audio; ``None`` means the transformer's ``sr``. Another
        rate is resampled chunk by chunk with :class:`soxr.ResampleStream` (the "HQ"
        quality of the offline path); see :ref:`streaming` for how close that is to
        resampling the whole file at once.
    channels_first : bool, default=False
        The layout of 2-D chunks: ``False``, ``(n_samples, n_channels)`` (soundfile's and
        sounddevice's); ``True``, ``(n_channels, n_samples)`` (librosa's).
    window : float or None, default=None
        ``None``: one value per frame, the causal prediction from everything heard since the
        start (equal to the offline ``predict_proba_frames`` / ``predict_frames``). Seconds:
        every ``step`` seconds, the model's prediction (``predict_proba`` / ``predict``) of
        the last ``window`` seconds of audio (shorter at the start), equal to
        :func:`~sk_deepsense.timeline.predict_timeline` with this ``window`` and ``step``. The
        length of the training clips is a good choice. Any architecture can be windowed; a
        dynamic regressor cannot (its frames already are the moment's emotion).
    step : float or None, default=None
        With ``window``: seconds between two windowed values; default ``window / 20``.
        Both are rounded to whole frames (at least one).

    Attributes
    ----------
    names : list of str
        The output columns: the classes, or ``["arousal", "valence"]``.
    kind : {"proba", "av"}
        Class probabilities or regression outputs.
    sr : int
        The model's sampling rate (the transformer's ``sr``).
    source : str
        The ``source`` of the returned timelines: ``"stream"``, or what you set.
    window, step : float or None
        As given (``step`` filled in with its default when ``window`` is set).

    Raises
    ------
    NotStreamableError
        If the model's features at a frame depend on later audio or on the whole clip (MFCC
        deltas, ``top_db`` not ``None``), if, without ``window``, its network's output at a
        frame depends on later frames (a ``"conv1d"``/``"conv2d"`` network), if ``window`` is
        given for a dynamic regressor, or if the model is not a feature transformer followed
        by such a network. The message says why and what to change.
    ValueError
        If ``input_sr``, ``window`` or ``step`` is not a positive finite number.
    sklearn.exceptions.NotFittedError
        If the network is not fitted.

    See Also
    --------
    stream_file : Stream an audio file block by block.
    sk_deepsense.timeline.predict_timeline : The offline predictions.

    Notes
    -----
    Frame ``t`` (time ``t * hop_length / sr``) is centred: it needs the audio up to
    ``n_fft - n_fft // 2`` samples after its centre, so it is returned by the push that
    brings that sample (:attr:`latency` seconds later); :meth:`flush` computes the last
    frames with the zero padding the offline features use. The stream runs under the
    networks' ``n_threads`` and, with ``mixed_precision``, their bfloat16 autocast, as
    offline (equal within 1e-5 on the CPU; on a GPU expect bfloat16 precision only).

    Cost. Without ``window``, each frame goes once through the network, whose LSTM state
    and pooling sums are carried: memory and work per second of audio are constant. With
    ``window``, the stream keeps the last ``window`` seconds of feature frames (``window *
    sr / hop_length`` frames of ``n_coefficients`` float32) and runs the network once over
    at most that many frames per value: about ``window / step`` times the network work of
    the causal stream.

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
    >>> pcm = (waves[0] / 5 * 32767).astype("int16")  # int16 PCM: scaled as files are
    >>> windowed = EmotionStream(pipe, window=0.2, step=0.1)  # last 0.2 s, every 4 frames
    >>> windowed.push(pcm).times.round(3)
    array([0.07 , 0.163, 0.255, 0.348, 0.441])
    """

    def __init__(
        self,
        model: Any,
        *,
        input_sr: int | None = None,
        channels_first: bool = False,
        window: float | None = None,
        step: float | None = None,
    ) -> None:
        from sklearn.pipeline import Pipeline

        from ._tags import capabilities
        from .neural._stream import NetworkStream, WindowStream

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
        if not capabilities(transformer).feature_stream:  # declared (sk_deepsense._tags)
            raise NotStreamableError(
                f"cannot stream the features of a {type(transformer).__name__}: only "
                "MFCCTransformer and LogMelTransformer features are computed frame by frame "
                "from the audio before each frame"
                + (
                    " (musicnn reads 3-s patches; the recommended model does not stream or "
                    "draw timelines yet: 'sk-deepsense predict' labels whole songs, or a "
                    "part of one with --offset and --duration)."
                    if type(transformer).__name__ == "MusicnnTransformer"
                    else "."
                )
            )
        self._features = transformer.feature_stream()
        self.sr = int(self._features.sr)
        self.window = None if window is None else _seconds_value("window", window)
        self.step = None
        self._network: Any = None
        self._windows: Any = None
        if self.window is None:
            if step is not None:
                raise ParameterError("step is only used with window; give window too.")
            self._network = NetworkStream(network)
            self.kind = self._network.kind
        else:
            self.step = self.window / 20 if step is None else _seconds_value("step", step)
            self._windows = WindowStream(
                network,
                width=max(1, round(self.window * self.frame_rate)),
                hop=max(1, round(self.step * self.frame_rate)),
            )
            self.kind = self._windows.kind
        k = len(network.classes_) if self.kind == "proba" else int(network.n_outputs_)
        self.names = (
            [str(c) for c in network.classes_]
            if self.kind == "proba"
            else default_output_names("av", k)
        )
        self.channels_first = bool(channels_first)
        self.source = "stream"
        self._n_input = 0
        self._input_sr = self.sr
        self.input_sr = self.sr if input_sr is None else input_sr
        self.reset()

    @property
    def input_sr(self) -> int:
        """The rate of the pushed audio, in Hz.

        It can be set on a new stream, or after :meth:`reset`, before the first sample: a
        change in the middle of a stream (samples at one rate, then at another) is refused
        with a ``ValueError``, because the samples already pushed, the resampler's state and
        :attr:`seconds` belong to the old rate.
        """
        return self._input_sr

    @input_sr.setter
    def input_sr(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ParameterError(f"input_sr must be a positive rate in Hz, got {value!r}.")
        rate = int(value)
        if rate != value or rate <= 0:
            raise ParameterError(f"input_sr must be a positive whole rate in Hz, got {value!r}.")
        if rate == self._input_sr:
            return
        if self._n_input:
            raise ParameterError(
                f"input_sr cannot change in the middle of a stream ({self._n_input} samples "
                f"pushed at {self._input_sr} Hz): call reset() first, then set input_sr."
            )
        self._input_sr = rate
        self._new_resampler()

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
        """Feature frames computed since the start (or the last :meth:`reset`)."""
        return self._features.n_frames

    @property
    def seconds(self) -> float:
        """Seconds of audio pushed since the start (or the last :meth:`reset`)."""
        return self._n_input / self._input_sr

    def reset(self) -> None:
        """Start a new stream: forget the audio, the network states and the frame count."""
        self._features.reset()
        if self._network is not None:
            self._network.reset()
        else:
            self._windows.reset()
        self._n_input = 0
        self._channels: int | None = None
        self._new_resampler()

    def _new_resampler(self) -> None:
        self._resampler = None
        if self._input_sr != self.sr:
            import soxr

            self._resampler = soxr.ResampleStream(
                self._input_sr, self.sr, 1, dtype="float32", quality="HQ"
            )

    def push(self, chunk: Any) -> EmotionTimeline:
        """Feed the next audio samples; return what they complete.

        Parameters
        ----------
        chunk : array-like [shape=(n,) or (n, n_channels)]
            Samples at ``input_sr`` (any length, 0 included): floats as they are (a file's
            float samples, nominally in [-1, 1]), or integer PCM of dtype ``int8``,
            ``int16``, ``int32`` or ``uint8``, scaled to [-1, 1) as soundfile scales the same
            samples read from a file (``int16``: ``x / 32768``; ``uint8``: ``(x - 128) /
            128``). A 2-D chunk is ``(n_samples, n_channels)`` (``(n_channels, n_samples)``
            with ``channels_first=True``), at most :data:`MAX_CHANNELS` channels; the channels
            are averaged to mono as files are, and their number stays the same until
            :meth:`reset`.

        Returns
        -------
        timeline : EmotionTimeline
            The new frames (or, with ``window``, the new windows: ``times`` is the time of
            each window's last frame): ``times`` in seconds of the stream (``t * hop_length /
            sr``), ``values`` ``(n_new, k)``, ``names``, ``kind``, ``source``; empty when the
            chunk completed none.

        Raises
        ------
        ValueError
            If the chunk is not numeric (booleans, complex numbers, text, objects), is an
            integer type other than those above, is not 1-D or 2-D, has more channels than
            :data:`MAX_CHANNELS` or another number of channels than the stream's earlier
            chunks, or holds NaN or infinity. The message says what was expected.
        RuntimeError
            After :meth:`flush`, until :meth:`reset`.
        """
        if self._features.closed:
            raise StateError("this stream was flushed; call reset() to start a new one.")
        y = self._mono(chunk)
        self._n_input += y.size
        if self._resampler is not None:
            y = self._resampler.resample_chunk(y)
        return self._emit(self._features.push(y))

    def flush(self) -> EmotionTimeline:
        """End of the audio: return the last frames (the right edge's zero padding).

        Returns
        -------
        timeline : EmotionTimeline
            The frames (with ``window``: the windows, the last one ending at the last frame)
            not returned yet; empty after an earlier flush. :meth:`reset` starts a new
            stream.
        """
        if self._features.closed:
            return self._emit(self._features.flush())
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            first = self._features.push(tail)
            frames = np.concatenate([first, self._features.flush()])
        else:
            frames = self._features.flush()
        return self._emit(frames, last=True)

    def _emit(self, frames: np.ndarray, *, last: bool = False) -> EmotionTimeline:
        hop_s = self._features.hop_length / self.sr
        if self._network is not None:
            start = self._network.n_frames
            values = self._network.push(frames)
            times = np.arange(start, start + len(values), dtype=np.float64) * hop_s
        else:
            ends, values = self._windows.push(frames)
            if last:
                more_ends, more = self._windows.finish()
                ends, values = np.concatenate([ends, more_ends]), np.concatenate([values, more])
            times = (ends - 1).astype(np.float64) * hop_s
        return EmotionTimeline(
            times=times,
            values=values,
            names=list(self.names),
            kind=self.kind,
            source=self.source,
        )

    def _mono(self, chunk: Any) -> np.ndarray:
        """Return a chunk as mono float32 at ``input_sr``; check it as files are checked."""
        data = chunk_samples(chunk)
        if data.ndim == 2:
            shape = data.shape
            if self.channels_first:
                data = data.T
            channels = data.shape[1]
            layout = "(n_channels, n_samples)" if self.channels_first else "(n_samples, n_channels)"
            if channels > MAX_CHANNELS:
                other = "False" if self.channels_first else "True"
                raise ParameterError(
                    f"a 2-D audio chunk is {layout}; this one, of shape {shape}, would have "
                    f"{channels} channels, more than {MAX_CHANNELS}: is it the other layout? "
                    f"Transpose it, or make the stream with channels_first={other}."
                )
        else:
            layout, channels = "(n_samples,)", 1
        if data.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        if self._channels is None:
            self._channels = channels
        elif channels != self._channels:
            raise ParameterError(
                f"this audio chunk has {channels} channel(s) (shape {np.shape(chunk)} read as "
                f"{layout}), the earlier chunks of this stream {self._channels}: a stream's "
                "channels cannot change until reset(). Is its layout the other one "
                "(channels_first)?"
            )
        if not np.isfinite(data).all():
            raise ParameterError("the audio chunk contains NaN or infinity.")
        if data.ndim == 2:
            from .features._audio_io import mix_to_mono

            data = mix_to_mono(data)
        return np.ascontiguousarray(data, dtype=np.float32)


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
    chunk_seconds = _seconds_value("chunk_seconds", chunk_seconds)
    template = model if isinstance(model, EmotionStream) else EmotionStream(model)
    stream = None
    for rate, block in read_blocks(path, chunk_seconds, template.sr):
        if stream is None:
            stream = template
            stream.reset()
            stream.input_sr = rate
            stream.source = os.fspath(path)
        yield stream.push(block)
    if stream is not None:
        yield stream.flush()


def read_blocks(
    path: str | os.PathLike, chunk_seconds: float, sr: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(rate, block)`` pairs of a file, ``chunk_seconds`` each, as float32.

    soundfile reads blocks at the file's rate (several channels stay as columns); a file
    it cannot open is read block by block through audioread (16-bit samples, scaled as
    :func:`~sk_deepsense.load_audio` scales them). Memory holds one block, never the whole
    file. A file neither can open goes to :func:`~sk_deepsense.load_audio`, which raises
    the clear :class:`~sk_deepsense.AudioLoadError` (``sr`` is only used there).
    """
    import soundfile as sf

    from .features import load_audio

    try:
        f = sf.SoundFile(os.fspath(path))
    except Exception:  # noqa: BLE001 - not for libsndfile: audioread, then load_audio's errors
        try:
            import audioread

            reader = audioread.audio_open(os.fspath(path))
        except Exception:  # noqa: BLE001 - load_audio says why in its one clear error
            y = load_audio(path, sr=sr)  # raises AudioLoadError: nothing could read it
            step = max(1, int(round(chunk_seconds * sr)))
            for start in range(0, y.size, step):
                yield sr, y[start : start + step]
            return
        with reader:
            yield from _audioread_blocks(reader, chunk_seconds)
        return
    with f:
        step = max(1, int(round(chunk_seconds * f.samplerate)))
        for block in f.blocks(blocksize=step, dtype="float32", always_2d=True):
            yield int(f.samplerate), block


def _audioread_blocks(reader: Any, chunk_seconds: float) -> Iterator[tuple[int, np.ndarray]]:
    """Blocks of ``chunk_seconds`` from an open audioread file: ``(rate, (n, channels))``."""
    rate, channels = int(reader.samplerate), int(reader.channels)
    step = max(1, int(round(chunk_seconds * rate))) * channels
    pending: list[np.ndarray] = []
    size = 0
    for buf in reader:
        pending.append(np.frombuffer(buf, dtype="<i2"))
        size += pending[-1].size
        while size >= step:
            flat = np.concatenate(pending)
            yield rate, chunk_samples(flat[:step]).reshape(-1, channels)
            pending, size = [flat[step:]], flat.size - step
    if size:
        flat = np.concatenate(pending)
        flat = flat[: flat.size - flat.size % channels]
        if flat.size:
            yield rate, chunk_samples(flat).reshape(-1, channels)


def chunk_samples(chunk: Any) -> np.ndarray:
    """Return a chunk's samples as float32, integer PCM scaled as soundfile reads files.

    Parameters
    ----------
    chunk : array-like
        Float samples, or integer PCM of a dtype in :data:`PCM_DTYPES`.

    Returns
    -------
    samples : np.ndarray [shape=chunk's, dtype=float32]
        1-D or 2-D; floats unchanged (but for the cast), ``int16`` ``x / 32768``, ``int32``
        ``x / 2**31``, ``int8`` ``x / 128``, ``uint8`` ``(x - 128) / 128``: the values
        soundfile returns for the same samples of a 16-, 32- or 8-bit PCM file.

    Raises
    ------
    ValueError
        If the chunk is not a numeric array (ragged lists, text, objects, booleans, complex
        numbers), an integer type outside :data:`PCM_DTYPES`, or not 1-D or 2-D.

    Examples
    --------
    >>> chunk_samples(np.array([-32768, 0, 16384], dtype=np.int16))
    array([-1. ,  0. ,  0.5], dtype=float32)
    >>> chunk_samples(np.array([0, 128, 255], dtype=np.uint8))
    array([-1.       ,  0.       ,  0.9921875], dtype=float32)
    """
    try:
        data = np.asarray(chunk)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ParameterError(f"an audio chunk must be a numeric array: {exc}") from exc
    kind = data.dtype.kind
    if kind in "iu":
        if data.dtype.name not in PCM_DTYPES:
            raise ParameterError(
                f"an integer audio chunk must be PCM of dtype {', '.join(PCM_DTYPES)} (scaled "
                f"as soundfile reads such files), got {data.dtype.name}; pass float samples "
                "in [-1, 1] or convert the PCM to one of those dtypes."
            )
        bits = 8 * data.dtype.itemsize
        scale = np.float32(2.0 ** (1 - bits))
        if kind == "u":  # unsigned PCM (8-bit WAV): 2**(bits-1) is silence
            data = data.astype(np.int32) - (1 << (bits - 1))
        data = data.astype(np.float32) * scale
    elif kind == "f":
        data = data.astype(np.float32, copy=False)
    else:
        what = {"b": "booleans", "c": "complex numbers", "U": "text", "S": "bytes"}.get(
            kind, f"{data.dtype} values"
        )
        raise ParameterError(
            f"an audio chunk must hold real numbers (float samples or integer PCM), got "
            f"{what} (dtype {data.dtype})."
        )
    if data.ndim not in (1, 2):
        raise ParameterError(
            f"an audio chunk must be 1-D (mono) or 2-D (samples and channels), got "
            f"{data.ndim}-D of shape {data.shape}."
        )
    return data


def _seconds_value(name: str, value: Any) -> float:
    """Check a duration in seconds: a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < float(value) < math.inf:
        raise ParameterError(f"{name} must be a positive finite number of seconds, got {value!r}.")
    return float(value)
