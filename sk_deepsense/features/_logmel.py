"""LogMelTransformer: audio files or waveforms to NaN-padded log-mel sequences."""

from __future__ import annotations

import os
from numbers import Integral, Real
from typing import Any

import joblib
import librosa
import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import COMMON_PARAMETERS_DOC, CONTRACT_DOC, BaseAudioTransformer
from ._spectral import mel_power
from ._streaming import StreamableFeaturesMixin

__all__ = ["LogMelTransformer"]


def _logmel_sequence(
    y: np.ndarray,
    *,
    sr: int,
    n_fft: int,
    hop_length: int,
    n_mels: int,
    fmin: float,
    fmax: float | None,
    top_db: float | None,
    **_: Any,
) -> np.ndarray:
    """Log-mel bands (dB) of one mono waveform as ``(n_frames, n_mels)`` float32."""
    mel = mel_power(
        y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax
    )
    return _logmel_from_mel(mel, top_db=top_db)


def _logmel_from_mel(mel: np.ndarray, *, top_db: float | None, **_: Any) -> np.ndarray:
    """Log-mel bands ``(n_frames, n_mels)`` float32 of mel power frames (offline and streaming)."""
    db = librosa.power_to_db(mel, ref=1.0, top_db=top_db)
    return np.ascontiguousarray(db.T, dtype=np.float32)


class LogMelTransformer(StreamableFeaturesMixin, BaseAudioTransformer):
    __doc__ = (
        """Turn audio files (or waveforms) into log-mel sequences, one row per time frame.

    Each row is a frame's mel spectrum in decibels, bands ordered from low to high
    frequency: the axis along which neighbouring values share local patterns (a harmonic, a
    formant, a noise band move as a shape when the pitch or timbre moves), which is what the
    one-frame-tall filters of :class:`~sk_deepsense.HybridCNNLSTMClassifier` slide along.
    MFCCs are a DCT of these same bands, which decorrelates them and destroys that locality.

    Same contract as :class:`~sk_deepsense.MFCCTransformer` (decoding, resampling, cropping,
    NaN padding, ``n_jobs``, ``memory`` and ``on_error``; one shared implementation); only
    the per-frame features differ. Stateless: ``fit`` learns nothing.

    Parameters
    ----------
    sr : int, default=22050
        Sampling rate (Hz) audio is resampled to; waveforms given directly must already be at
        this rate.
    n_mels : int, default=64
        Mel bands per frame (the coefficients of the output).
    n_fft : int, default=2048
        FFT window length in samples.
    hop_length : int, default=1024
        Samples between successive frames (about 46 ms at 22050 Hz: 646 frames per 30 s;
        on 4Q, as accurate as 23 ms at half the cost).
    fmin : float, default=0.0
        Lowest mel band frequency (Hz).
    fmax : float or None, default=None
        Highest mel band frequency (Hz); ``None`` means ``sr / 2``.
    top_db : float or None, default=80.0
        Floor of each clip's bands, in dB below its loudest band value (as
        :func:`librosa.power_to_db`); ``None`` keeps the full range down to -100 dB."""
        + COMMON_PARAMETERS_DOC
        + """
    See Also
    --------
    MFCCTransformer : The same contract with MFCCs.
    sk_deepsense.sequence_lengths : Real frame count of each output sequence.

    Notes
    -----"""
        + CONTRACT_DOC
        + """
    ``n_coefficients = n_mels``, named ``logmel0 ..`` from low to high frequency. The values are
    ``librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, ...), top_db=top_db).T``
    with the same parameters (power 2, Hann window, centred frames, ``ref=1``).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import LogMelTransformer
    >>> t = np.arange(22050) / 22050
    >>> X = LogMelTransformer(duration=1.0).fit_transform([np.sin(2 * np.pi * 440 * t)])
    >>> X.shape, X.dtype
    ((1, 22, 64), dtype('float32'))
    >>> int(X[0, 10].argmax())  # band 8 holds 440 Hz: the loudest
    8
    """
    )

    _kind = "logmel"
    _sequence = staticmethod(_logmel_sequence)
    _stream_frames = staticmethod(_logmel_from_mel)

    _parameter_constraints: dict = {
        **BaseAudioTransformer._parameter_constraints,
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "top_db": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        sr: int = 22050,
        n_mels: int = 64,
        n_fft: int = 2048,
        hop_length: int = 1024,
        fmin: float = 0.0,
        fmax: float | None = None,
        top_db: float | None = 80.0,
        duration: float | None = 30.0,
        offset: float = 0.0,
        n_jobs: int | None = None,
        memory: str | os.PathLike | joblib.Memory | None = None,
        on_error: str = "raise",
        verbose: int = 0,
    ) -> None:
        self.sr = sr
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.duration = duration
        self.offset = offset
        self.n_jobs = n_jobs
        self.memory = memory
        self.on_error = on_error
        self.verbose = verbose

    def _extra_params(self) -> dict[str, Any]:
        return {
            "n_mels": int(self.n_mels),
            "fmin": float(self.fmin),
            "fmax": None if self.fmax is None else float(self.fmax),
            "top_db": None if self.top_db is None else float(self.top_db),
        }

    def _coefficient_names(self) -> list[str]:
        return [f"logmel{i}" for i in range(int(self.n_mels))]
