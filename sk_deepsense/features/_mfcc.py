"""MFCCTransformer: audio files or waveforms to NaN-padded MFCC sequences."""

from __future__ import annotations

import os
from numbers import Integral, Real
from typing import Any

import joblib
import librosa
import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import COMMON_PARAMETERS_DOC, CONTRACT_DOC, BaseAudioTransformer
from ._spectral import delta, mel_power, mfcc_from_db
from ._streaming import StreamableFeaturesMixin

__all__ = ["MFCCTransformer"]


def _mfcc_sequence(
    y: np.ndarray,
    *,
    sr: int,
    n_mfcc: int,
    n_fft: int,
    hop_length: int,
    n_mels: int,
    fmin: float,
    fmax: float | None,
    deltas: int,
    top_db: float | None = 80.0,
    **_: Any,
) -> np.ndarray:
    """MFCCs of one mono waveform as ``(n_frames, n_coefficients)`` float32."""
    # librosa.feature.mfcc, step by step: the same numbers
    mel = mel_power(
        y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax
    )
    mfcc = _mfcc_from_mel(mel, n_mfcc=n_mfcc, top_db=top_db)
    blocks = [mfcc, *(delta(mfcc, order) for order in range(1, deltas + 1))]
    return np.ascontiguousarray(np.concatenate(blocks, axis=0).T, dtype=np.float32)


def _mfcc_from_mel(mel: np.ndarray, *, n_mfcc: int, top_db: float | None, **_: Any) -> np.ndarray:
    """MFCCs ``(n_mfcc, n_frames)`` of a mel power spectrogram (no deltas)."""
    return mfcc_from_db(librosa.power_to_db(mel, top_db=top_db), n_mfcc)


def _mfcc_stream_frames(mel: np.ndarray, **params: Any) -> np.ndarray:
    """``(n_frames, n_mfcc)`` float32 of mel power frames: the streaming features (no deltas)."""
    return np.ascontiguousarray(_mfcc_from_mel(mel, **params).T, dtype=np.float32)


class MFCCTransformer(StreamableFeaturesMixin, BaseAudioTransformer):
    __doc__ = (
        """Turn audio files (or waveforms) into MFCC sequences, one row per time frame.

    The transformer is stateless: ``fit`` learns nothing, so it can sit first in a
    :class:`~sklearn.pipeline.Pipeline` that is fitted on a list of audio paths.

    Parameters
    ----------
    sr : int, default=22050
        Sampling rate (Hz) audio is resampled to; waveforms given directly must already be at
        this rate.
    n_mfcc : int, default=20
        Number of MFCCs per frame.
    n_fft : int, default=2048
        FFT window length in samples.
    hop_length : int, default=512
        Samples between successive frames (about 23 ms at 22050 Hz).
    n_mels : int, default=128
        Mel bands the MFCCs are computed from.
    fmin : float, default=0.0
        Lowest mel band frequency (Hz).
    fmax : float or None, default=None
        Highest mel band frequency (Hz); ``None`` means ``sr / 2``.
    deltas : {0, 1, 2}, default=0
        Orders of delta features appended to the MFCCs (``2`` gives MFCC, delta and
        delta-delta: ``3 * n_mfcc`` coefficients per frame). Deltas are computed on the real
        frames only, with a window of up to 9 frames shrunk to fit short clips; a clip of
        fewer than 3 frames (under about 50 ms at the defaults) gets zero deltas.
    top_db : float or None, default=80.0
        Floor of each clip's mel bands before the DCT, in dB below its loudest band value
        (as :func:`librosa.power_to_db` and :func:`librosa.feature.mfcc`). The floor depends
        on the whole clip, so a model on such features cannot be streamed exactly;
        ``None`` floors every value at -100 dB on its own (``amin=1e-10``), which makes each
        frame's MFCCs depend on that frame only, as :class:`~sk_deepsense.EmotionStream`
        needs (see :ref:`streaming`)."""
        + COMMON_PARAMETERS_DOC
        + """
    See Also
    --------
    LogMelTransformer : Log-mel bands, the frequency axis the hybrid filters slide along.
    sk_deepsense.sequence_lengths : Real frame count of each output sequence.
    sk_deepsense.HybridCNNLSTMClassifier : The model these features are made for.

    Notes
    -----"""
        + CONTRACT_DOC
        + """
    ``n_coefficients = n_mfcc * (1 + deltas)``, named ``mfcc0 ..``, then ``delta_mfcc0 ..`` and
    ``delta2_mfcc0 ..`` for the deltas. The MFCCs are those of
    :func:`librosa.feature.mfcc` with the same parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import MFCCTransformer
    >>> t = np.arange(22050) / 22050
    >>> waves = [np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 220 * t[:11025])]
    >>> X = MFCCTransformer(duration=1.0).fit_transform(waves)
    >>> X.shape, X.dtype
    ((2, 44, 20), dtype('float32'))
    >>> int(np.isnan(X[1]).all(axis=1).sum())  # padding frames of the half-second clip
    22
    >>> MFCCTransformer(n_mfcc=13).get_feature_names_out()[:3]
    array(['mfcc0', 'mfcc1', 'mfcc2'], dtype=object)
    """
    )

    _kind = "mfcc"
    _sequence = staticmethod(_mfcc_sequence)
    _stream_frames = staticmethod(_mfcc_stream_frames)

    _parameter_constraints: dict = {
        **BaseAudioTransformer._parameter_constraints,
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "deltas": [Interval(Integral, 0, 2, closed="both")],
        "top_db": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        sr: int = 22050,
        n_mfcc: int = 20,
        n_fft: int = 2048,
        hop_length: int = 512,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float | None = None,
        deltas: int = 0,
        top_db: float | None = 80.0,
        duration: float | None = 30.0,
        offset: float = 0.0,
        n_jobs: int | None = None,
        memory: str | os.PathLike | joblib.Memory | None = None,
        on_error: str = "raise",
        verbose: int = 0,
    ) -> None:
        self.sr = sr
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.deltas = deltas
        self.top_db = top_db
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
            "fmin": float(self.fmin),
            "fmax": None if self.fmax is None else float(self.fmax),
            "deltas": int(self.deltas),
            "top_db": None if self.top_db is None else float(self.top_db),
        }

    def _coefficient_names(self) -> list[str]:
        prefixes = ["mfcc", "delta_mfcc", "delta2_mfcc"][: 1 + int(self.deltas)]
        return [f"{p}{i}" for p in prefixes for i in range(int(self.n_mfcc))]
