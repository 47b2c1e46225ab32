"""The signal processing the feature transformers share: mel filterbank, MFCCs, deltas.

Each gives the numbers of its librosa counterpart for the same parameters (the tests compare
them), computed so that extraction threads scale: filterbanks are built once per setting, and
the heavy steps (FFT, BLAS product) release the GIL.
"""

from __future__ import annotations

import functools

import librosa
import numpy as np
import scipy.fft

__all__ = ["delta", "mel_basis", "mel_power", "mfcc_from_db"]


@functools.lru_cache(maxsize=16)
def mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """Mel filterbank ``(n_mels, 1 + n_fft // 2)``, as :func:`librosa.filters.mel`, cached."""
    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)


def mel_power(
    y: np.ndarray, *, sr: int, n_fft: int, hop_length: int, n_mels: int, fmin: float,
    fmax: float | None, center: bool = True,
) -> np.ndarray:  # fmt: skip
    """Mel power spectrogram ``(n_mels, n_frames)`` of a mono waveform, as librosa computes it.

    The same numbers as :func:`librosa.feature.melspectrogram` (centred frames, Hann window,
    power 2), but the filterbank is built once per setting, not once per clip, and every
    heavy step (FFT, BLAS product) releases the GIL, so extraction threads scale. With
    ``center=False`` the frames start at sample 0 with no padding: the streaming features
    (:mod:`._streaming`) pad the stream themselves and get the centred frames' numbers.
    """
    power = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length, center=center)) ** 2
    return mel_basis(sr, n_fft, n_mels, fmin, fmax) @ power


def mfcc_from_db(mel_db: np.ndarray, n_mfcc: int) -> np.ndarray:
    """MFCCs ``(n_mfcc, n_frames)`` of a mel spectrogram in dB, as :func:`librosa.feature.mfcc`."""
    return scipy.fft.dct(mel_db, axis=-2, type=2, norm="ortho")[:n_mfcc]


def delta(x: np.ndarray, order: int = 1) -> np.ndarray:
    """Delta features of ``x`` ``(n_coefficients, n_frames)`` along time, for any clip length.

    :func:`librosa.feature.delta` with a window of up to 9 frames, shrunk to an odd width that
    fits the clip; a clip of fewer than 3 frames, too short for a derivative, gets zeros (the
    delta of a constant).
    """
    n = x.shape[1]
    if n < 3:
        return np.zeros_like(x)
    return librosa.feature.delta(x, width=min(9, n if n % 2 else n - 1), order=order)
