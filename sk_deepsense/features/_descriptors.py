"""DescriptorTransformer: the frame-level descriptors of classical music emotion recognition."""

from __future__ import annotations

import functools
import os
from numbers import Integral
from typing import Any

import joblib
import librosa
import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import COMMON_PARAMETERS_DOC, CONTRACT_DOC, BaseAudioTransformer
from ._spectral import delta, mel_basis, mfcc_from_db

__all__ = ["DescriptorTransformer"]

#: Spectral-shape descriptors after the MFCC, contrast and chroma blocks, in output order.
_SHAPE = ("centroid", "bandwidth", "rolloff", "flatness", "zero_crossing_rate", "rms")


def descriptor_names(n_mfcc: int = 20, n_bands: int = 6) -> list[str]:
    """Names of the coefficients of :class:`DescriptorTransformer`, in output order.

    Parameters
    ----------
    n_mfcc : int, default=20
        The transformer's ``n_mfcc``.
    n_bands : int, default=6
        The transformer's ``n_bands`` (spectral contrast has ``n_bands + 1`` values).

    Returns
    -------
    names : list of str
        ``mfcc_0 .. mfcc_{n-1}``, ``delta_mfcc_0 ..``, ``contrast_0 .. contrast_{n_bands}``,
        ``chroma_C .. chroma_B``, the spectral shape (``centroid``, ``bandwidth``,
        ``rolloff``, ``flatness``, ``zero_crossing_rate``, ``rms``), ``onset_strength`` and
        ``tempo``.

    Examples
    --------
    >>> from sk_deepsense.features import descriptor_names
    >>> len(descriptor_names()), descriptor_names()[-2:]
    (67, ['onset_strength', 'tempo'])
    """
    pitch = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    return [
        *(f"mfcc_{i}" for i in range(n_mfcc)),
        *(f"delta_mfcc_{i}" for i in range(n_mfcc)),
        *(f"contrast_{i}" for i in range(n_bands + 1)),
        *(f"chroma_{p}" for p in pitch),
        *_SHAPE,
        "onset_strength",
        "tempo",
    ]


@functools.lru_cache(maxsize=8)
def _chroma_basis(sr: int, n_fft: int) -> np.ndarray:
    return librosa.filters.chroma(sr=sr, n_fft=n_fft)


def _descriptor_sequence(
    y: np.ndarray,
    *,
    sr: int,
    n_fft: int,
    hop_length: int,
    n_mfcc: int,
    n_mels: int,
    n_bands: int,
    **_: Any,
) -> np.ndarray:
    """Frame descriptors of one mono waveform as ``(n_frames, n_coefficients)`` float32."""
    magnitude = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))
    power = magnitude**2
    mel_db = librosa.power_to_db(mel_basis(sr, n_fft, n_mels, 0.0, None) @ power)
    mfcc = mfcc_from_db(mel_db, n_mfcc)
    n = mfcc.shape[1]
    contrast = librosa.feature.spectral_contrast(
        S=magnitude, sr=sr, n_fft=n_fft, hop_length=hop_length, n_bands=n_bands
    )
    chroma = _chroma_basis(sr, n_fft) @ power
    chroma = chroma / np.maximum(chroma.max(axis=0, keepdims=True), 1e-10)  # librosa's norm=inf
    shape = np.vstack(
        [
            librosa.feature.spectral_centroid(S=magnitude, sr=sr, n_fft=n_fft),
            librosa.feature.spectral_bandwidth(S=magnitude, sr=sr, n_fft=n_fft),
            librosa.feature.spectral_rolloff(S=magnitude, sr=sr, n_fft=n_fft),
            librosa.feature.spectral_flatness(S=magnitude),
            librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop_length),
            librosa.feature.rms(S=magnitude, frame_length=n_fft),
        ]
    )
    onset = librosa.onset.onset_strength(S=mel_db, sr=sr)[None, :]
    tempo = librosa.feature.tempo(onset_envelope=onset[0], sr=sr, hop_length=hop_length)
    blocks = [mfcc, delta(mfcc), contrast, chroma, shape, onset, np.full((1, n), float(tempo[0]))]
    return np.ascontiguousarray(np.concatenate(blocks, axis=0).T, dtype=np.float32)


class DescriptorTransformer(BaseAudioTransformer):
    __doc__ = (
        """Turn audio files (or waveforms) into sequences of classical frame descriptors.

    The per-frame descriptors a music-information-retrieval engineer reaches for first (see
    e.g. Panda et al., 2018, for emotion): MFCCs and their deltas (timbre), spectral contrast
    (peaks against valleys per octave band: harmonic against noisy), chroma (harmony and
    mode), the spectral shape (centroid, bandwidth, roll-off, flatness: brightness and
    noisiness), zero-crossing rate, loudness (RMS), onset strength (rhythmic activity) and the
    clip's tempo (repeated in every frame). Pooled into per-clip statistics by
    :class:`~sk_deepsense.SequenceStatistics`, they feed the strongest classical baseline:
    ``make_pipeline(DescriptorTransformer(), make_baseline("svm"))``.

    Same contract as :class:`~sk_deepsense.MFCCTransformer` (one shared implementation):
    decoding, resampling, cropping, NaN padding, ``n_jobs``, ``memory`` and ``on_error``.

    Parameters
    ----------
    sr : int, default=22050
        Sampling rate (Hz) audio is resampled to; waveforms given directly must already be at
        this rate.
    n_fft : int, default=2048
        FFT window length in samples.
    hop_length : int, default=1024
        Samples between successive frames (about 46 ms at 22050 Hz): the setting measured
        on 4Q (``docs/benchmarks.rst``); per-clip statistics barely change at 512, the
        extraction takes twice as long.
    n_mfcc : int, default=20
        MFCCs per frame (and as many deltas).
    n_mels : int, default=128
        Mel bands the MFCCs and the onset strength are computed from.
    n_bands : int, default=6
        Octave bands of the spectral contrast (``n_bands + 1`` values per frame)."""
        + COMMON_PARAMETERS_DOC
        + """
    See Also
    --------
    descriptor_names : The name of each output coefficient.
    sk_deepsense.make_baseline : Classical models on the per-clip statistics.

    Notes
    -----"""
        + CONTRACT_DOC
        + """
    ``n_coefficients = 2 * n_mfcc + (n_bands + 1) + 12 + 8`` (67 at the defaults), in the order
    of :func:`descriptor_names`. Every descriptor is librosa's, computed from one STFT per
    clip; the tempo is :func:`librosa.feature.tempo` of the clip's onset strength.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense.features import DescriptorTransformer
    >>> t = np.arange(2 * 22050) / 22050
    >>> X = DescriptorTransformer(duration=2.0).fit_transform([np.sin(2 * np.pi * 440 * t)])
    >>> X.shape  # 2 s in 46 ms frames, 67 descriptors each
    (1, 44, 67)
    """
    )

    _kind = "descriptors"
    _sequence = staticmethod(_descriptor_sequence)

    _parameter_constraints: dict = {
        **BaseAudioTransformer._parameter_constraints,
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_bands": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        sr: int = 22050,
        n_fft: int = 2048,
        hop_length: int = 1024,
        n_mfcc: int = 20,
        n_mels: int = 128,
        n_bands: int = 6,
        duration: float | None = 30.0,
        offset: float = 0.0,
        n_jobs: int | None = None,
        memory: str | os.PathLike | joblib.Memory | None = None,
        on_error: str = "raise",
        verbose: int = 0,
    ) -> None:
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mfcc = n_mfcc
        self.n_mels = n_mels
        self.n_bands = n_bands
        self.duration = duration
        self.offset = offset
        self.n_jobs = n_jobs
        self.memory = memory
        self.on_error = on_error
        self.verbose = verbose

    def _extra_params(self) -> dict[str, Any]:
        return {
            "n_mfcc": int(self.n_mfcc),
            "n_mels": int(self.n_mels),
            "n_bands": int(self.n_bands),
        }

    def _coefficient_names(self) -> list[str]:
        return descriptor_names(int(self.n_mfcc), int(self.n_bands))
