"""What the skorch nets train on: net inputs, chunks, random crops, the validation split."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from ..exceptions import ParameterError
from ..features._padding import chunk_sequences

__all__: list[str] = []


def net_input(X: np.ndarray, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """Return the keyword arguments of the module's ``forward``, as skorch passes them."""
    return {"x": X, "lengths": lengths}


def training_data(
    X: np.ndarray, lengths: np.ndarray, y: np.ndarray, train_chunk: int | None, chunking: str
) -> tuple[Any, np.ndarray | None]:
    """Return what the skorch net trains on: whole clips, chunks or random crops.

    A 3-D ``y`` ``(n_samples, n_frames, n_outputs)`` holds per-frame targets (NaN where a
    frame has none): chunks and crops cut it with the frames they keep.
    """
    if train_chunk is not None and chunking == "random":
        return _RandomCropDataset(X, lengths, y, train_chunk), None
    if train_chunk is not None:
        if _per_frame(X, y):  # cut the targets with the frames: chunk them as extra columns
            c = X.shape[2]
            X, lengths, y = chunk_sequences(np.concatenate([X, y], axis=2), lengths, y, train_chunk)
            X, y = np.ascontiguousarray(X[:, :, :c]), np.ascontiguousarray(X[:, :, c:])
            y[np.arange(y.shape[1])[None, :] >= lengths[:, None]] = np.nan  # zero-filled
        else:
            X, lengths, y = chunk_sequences(X, lengths, y, train_chunk)
    return net_input(X, lengths), y


def _per_frame(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``y`` holds a target per frame of ``X`` (3-D, as many frames)."""
    return y.ndim == 3 and y.shape[1] == X.shape[1]


def valid_split(
    y_train: np.ndarray, seed: int, validation_fraction: float, *, stratify: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Split clip indices into training and validation (stratified when possible)."""
    n = len(y_train)
    n_valid = int(np.ceil(validation_fraction * n))
    if n_valid < 1 or n - n_valid < 1:
        raise ParameterError(
            f"early_stopping=True holds out validation_fraction={validation_fraction} "
            f"of the {n} samples, which leaves no training or validation sample; "
            "pass more samples or early_stopping=False."
        )
    splitter = ShuffleSplit(1, test_size=n_valid, random_state=seed)
    if stratify:
        _, counts = np.unique(y_train, return_counts=True)
        k = len(counts)
        if counts.min() >= 2 and n_valid >= k and n - n_valid >= k:
            splitter = StratifiedShuffleSplit(1, test_size=n_valid, random_state=seed)
    return next(splitter.split(np.zeros((n, 1)), y_train))


class _RandomCropDataset(torch.utils.data.Dataset):
    """One random window of ``size`` frames per clip each time a clip is drawn.

    Per-frame targets (3-D ``y``, one row per frame) are cropped with their frames. Clips no
    longer than ``size`` are used whole. Offsets come from torch's random state, which
    ``fit`` has seeded, so training stays reproducible.
    """

    def __init__(self, X: np.ndarray, lengths: np.ndarray, y: np.ndarray, size: int) -> None:
        self.X, self.lengths, self.y = X, lengths, y
        self.size = min(int(size), X.shape[1])
        self.per_frame = _per_frame(X, y)  # per-frame targets are cropped with the frames

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[dict[str, Any], Any]:
        n = int(self.lengths[i])
        start = int(torch.randint(n - self.size + 1, ()).item()) if n > self.size else 0
        x = self.X[i, start : start + self.size]
        y = self.y[i, start : start + self.size] if self.per_frame else self.y[i]
        return {"x": x, "lengths": np.int64(min(n, self.size))}, y
