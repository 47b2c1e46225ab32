"""NaN padding: how real sequence lengths travel through a scikit-learn Pipeline.

:class:`~sk_deepsense.MFCCTransformer` returns one dense float32 array
``(n_samples, n_frames, n_coefficients)``. Clips shorter than the others are padded at the end
with frames whose coefficients are **all NaN**. Because the lengths live inside ``X`` itself they
survive everything scikit-learn does to ``X`` (indexing in cross-validation, grid search,
pipelines, joblib) and the estimators mask the padding out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.utils.validation import validate_data

from ..exceptions import ParameterError

__all__ = [
    "chunk_sequences",
    "pad_sequences",
    "sequence_lengths",
    "split_padding",
    "validate_sequences",
]


def sequence_lengths(X: ArrayLike) -> np.ndarray:
    """Return the number of real (non-padding) frames of each NaN-padded sequence.

    Parameters
    ----------
    X : array-like [shape=(n_samples, n_frames, n_coefficients)]
        NaN-padded sequences, as returned by :class:`~sk_deepsense.MFCCTransformer`.

    Returns
    -------
    lengths : np.ndarray [shape=(n_samples,), dtype=int64]
        Count of frames that are not entirely NaN.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((2, 3, 4), dtype=np.float32)
    >>> X[1, 2:] = np.nan
    >>> sequence_lengths(X)
    array([3, 2])
    """
    X = np.asarray(X)
    if X.ndim != 3:
        raise ParameterError(
            f"Expected a 3-D array (n_samples, n_frames, n_coefficients), got {X.ndim}-D."
        )
    return (~np.isnan(X).all(axis=2)).sum(axis=1).astype(np.int64)


def pad_sequences(sequences: list[np.ndarray], n_frames: int | None = None) -> np.ndarray:
    """Stack 2-D ``(frames, coefficients)`` sequences into one NaN-padded 3-D float32 array.

    Parameters
    ----------
    sequences : list of np.ndarray [shape=(n_frames_i, n_coefficients)]
        Sequences with a common number of coefficients.
    n_frames : int or None, default=None
        Length to pad to; ``None`` pads to the longest sequence. Longer sequences are cropped.

    Returns
    -------
    X : np.ndarray [shape=(n_samples, n_frames, n_coefficients), dtype=float32]
        Frames past each sequence's end are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> pad_sequences([np.ones((2, 3)), np.ones((1, 3))]).shape
    (2, 2, 3)
    """
    if not sequences:
        raise ParameterError("pad_sequences needs at least one sequence.")
    n_coef = sequences[0].shape[1]
    if n_frames is None:
        n_frames = max(s.shape[0] for s in sequences)
    out = np.full((len(sequences), n_frames, n_coef), np.nan, dtype=np.float32)
    for i, s in enumerate(sequences):
        m = min(n_frames, s.shape[0])
        out[i, :m] = s[:m]
    return out


def split_padding(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Separate NaN padding from a 3-D array and check that it is well formed.

    A frame is padding when all of its coefficients are NaN. Padding must come after every real
    frame; a NaN inside a real frame, or a sequence without real frames, is an error.

    Parameters
    ----------
    X : np.ndarray [shape=(n_samples, n_frames, n_coefficients)]
        NaN-padded float array.

    Returns
    -------
    X_filled : np.ndarray [shape=(n_samples, n_frames, n_coefficients), dtype=float32]
        Copy of ``X`` with padding set to 0.
    lengths : np.ndarray [shape=(n_samples,), dtype=int64]
        Real frames per sample.

    Raises
    ------
    ValueError
        If a real frame contains NaN, padding is followed by a real frame, or a sample has no
        real frame. The message says which sample.
    """
    nan = np.isnan(X)
    pad = nan.all(axis=2)
    partial = nan.any(axis=2) & ~pad
    if partial.any():
        i, t = np.argwhere(partial)[0]
        raise ParameterError(
            f"Input contains NaN: sample {i}, frame {t} has NaN in some but not all "
            "coefficients. Only whole frames of NaN are accepted, as end-of-sequence padding."
        )
    lengths = (~pad).sum(axis=1).astype(np.int64)
    if (lengths == 0).any():
        i = int(np.flatnonzero(lengths == 0)[0])
        raise ParameterError(
            f"Input contains NaN: sample {i} has no real frame (every frame is NaN padding)."
        )
    # padding must be trailing: the first `length` frames are exactly the real ones
    leading = np.arange(X.shape[1])[None, :] < lengths[:, None]
    if (leading == pad).any():
        i = int(np.flatnonzero((leading == pad).any(axis=1))[0])
        raise ParameterError(
            f"Input contains NaN: sample {i} has NaN padding frames before real frames; "
            "padding must come at the end of a sequence."
        )
    return np.where(pad[:, :, None], np.float32(0), X).astype(np.float32, copy=False), lengths


def chunk_sequences(
    X: np.ndarray, lengths: np.ndarray, y: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut zero-filled sequences into consecutive chunks of ``size`` frames.

    Each chunk inherits its sequence's target. A sequence's last piece is kept when it has at
    least ``size // 2`` frames, or when it is the sequence's only piece, so every sequence
    contributes at least one chunk.

    Parameters
    ----------
    X : np.ndarray [shape=(n_samples, n_frames, n_coefficients)]
        Sequences with padding set to 0 (as :func:`split_padding` returns).
    lengths : np.ndarray [shape=(n_samples,)]
        Real frames per sequence.
    y : np.ndarray [shape=(n_samples, ...)]
        Targets.
    size : int
        Frames per chunk.

    Returns
    -------
    X_chunks : np.ndarray [shape=(n_chunks, min(size, n_frames), n_coefficients)]
        Chunks, zero-filled past their length.
    chunk_lengths : np.ndarray [shape=(n_chunks,)]
        Real frames per chunk.
    y_chunks : np.ndarray [shape=(n_chunks, ...)]
        The target of each chunk's sequence.
    """
    width = min(size, X.shape[1])
    picked: tuple[list[int], list[int], list[int]] = ([], [], [])
    for i, n in enumerate(lengths):
        for start in range(0, int(n), width):
            m = min(width, int(n) - start)
            if m >= width // 2 or start == 0:
                picked[0].append(i)
                picked[1].append(start)
                picked[2].append(m)
    index, starts = np.array(picked[0]), np.array(picked[1])
    sizes = np.array(picked[2], dtype=np.int64)
    frames = starts[:, None] + np.arange(width)[None, :]
    valid = np.arange(width)[None, :] < sizes[:, None]
    chunks = X[index[:, None], np.minimum(frames, X.shape[1] - 1)]
    chunks[~valid] = 0.0
    return chunks, sizes, y[index]


def validate_sequences(estimator: Any, X: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
    """Validate 2-D or 3-D sequence input for ``estimator``; split off the padding.

    3-D ``X`` is ``(n_samples, n_frames, n_coefficients)``; 2-D ``X`` is read as sequences of
    one frame. scikit-learn's ``validate_data`` checks the coefficients (and sets or checks
    ``n_features_in_``, ``feature_names_in_``); :func:`split_padding` checks the padding.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being fitted or used.
    X : array-like [shape=(n_samples, n_frames, n_coefficients) or (n_samples, n_coefficients)]
        NaN-padded sequences.
    reset : bool
        ``True`` in ``fit`` (record the number of coefficients), ``False`` afterwards (check it).

    Returns
    -------
    X_filled : np.ndarray [shape=(n_samples, n_frames, n_coefficients), dtype=float32]
        Padding set to 0.
    lengths : np.ndarray [shape=(n_samples,), dtype=int64]
        Real frames per sample.
    """
    if not (sp.issparse(X) or hasattr(X, "iloc")) and np.asarray(X).ndim == 3:
        X = np.asarray(X)
        if X.dtype.kind == "c":
            raise ParameterError("Complex data not supported.")
        n_samples, n_frames = X.shape[:2]
        flat = validate_data(
            estimator,
            X.reshape(n_samples * n_frames, X.shape[2]),
            reset=reset,
            dtype=np.float32,
            ensure_all_finite="allow-nan",
            ensure_min_samples=1,
        )
        # no sample (or no frame) leaves `flat` without rows: validate_data has raised
        X = flat.reshape(n_samples, n_frames, -1)
    else:  # 2-D: one frame per sample
        X = validate_data(
            estimator, X, reset=reset, dtype=np.float32, ensure_all_finite="allow-nan"
        )
        X = X[:, None, :]
    return split_padding(X)
