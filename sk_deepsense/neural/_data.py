"""What the skorch nets train on: net inputs, chunks, random crops, the validation split."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from ..features._padding import chunk_sequences

__all__: list[str] = []


def net_input(X: np.ndarray, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """Return the keyword arguments of the module's ``forward``, as skorch passes them."""
    return {"x": X, "lengths": lengths}


def training_data(
    X: np.ndarray, lengths: np.ndarray, y: np.ndarray, train_chunk: int | None, chunking: str
) -> tuple[Any, np.ndarray | None]:
    """Return what the skorch net trains on: whole clips, chunks or random crops."""
    if train_chunk is not None and chunking == "random":
        return _RandomCropDataset(X, lengths, y, train_chunk), None
    if train_chunk is not None:
        X, lengths, y = chunk_sequences(X, lengths, y, train_chunk)
    return net_input(X, lengths), y


def valid_split(
    y_train: np.ndarray, seed: int, validation_fraction: float, *, stratify: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Split clip indices into training and validation (stratified when possible)."""
    n = len(y_train)
    n_valid = int(np.ceil(validation_fraction * n))
    if n_valid < 1 or n - n_valid < 1:
        raise ValueError(
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

    Clips no longer than ``size`` are used whole. Offsets come from torch's random state, which
    ``fit`` has seeded, so training stays reproducible.
    """

    def __init__(self, X: np.ndarray, lengths: np.ndarray, y: np.ndarray, size: int) -> None:
        self.X, self.lengths, self.y = X, lengths, y
        self.size = min(int(size), X.shape[1])

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[dict[str, Any], Any]:
        n = int(self.lengths[i])
        start = int(torch.randint(n - self.size + 1, ()).item()) if n > self.size else 0
        x = self.X[i, start : start + self.size]
        return {"x": x, "lengths": np.int64(min(n, self.size))}, self.y[i]
