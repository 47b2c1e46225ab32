"""Coefficient names: how they travel through a Pipeline with 3-D sequences.

A DataFrame holds 2-D data only, so the audio transformers' 3-D output cannot be wrapped by
scikit-learn's ``set_output(transform="pandas")``. Instead, in that mode they return a
:class:`FeatureSequences`: the same NaN-padded array, which also carries the names of its
coefficients (its last axis), so that :class:`~sk_deepsense.SequenceStatistics` after it can
name its DataFrame columns ``mfcc3_mean`` rather than ``x3_mean``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike

from ..exceptions import ParameterError

__all__ = ["FeatureSequences", "coefficient_names"]


class FeatureSequences(np.ndarray):
    """A NaN-padded ``(n_samples, n_frames, n_coefficients)`` array that knows its coefficients.

    What the audio transformers return under ``set_output(transform="pandas")`` (or
    ``"polars"``): no DataFrame holds 3-D data, so the sequences stay a NumPy array (every
    estimator of this package reads it as one), and the names of the last axis ride along
    for the steps that output 2-D tables, such as :class:`~sk_deepsense.SequenceStatistics`.
    Indexing samples (cross-validation) and pickling keep the names.

    Parameters
    ----------
    X : array-like [shape=(n_samples, n_frames, n_coefficients)]
        The sequences.
    feature_names : array-like of str [shape=(n_coefficients,)]
        Name of each coefficient.

    Attributes
    ----------
    feature_names : ndarray of str objects [shape=(n_coefficients,)]
        Name of each coefficient.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense.features import FeatureSequences
    >>> X = FeatureSequences(np.zeros((2, 5, 3)), ["a", "b", "c"])
    >>> X[1:].shape, X[1:].feature_names.tolist()
    ((1, 5, 3), ['a', 'b', 'c'])
    """

    feature_names: np.ndarray | None

    def __new__(cls, X: ArrayLike, feature_names: Iterable[Any]) -> FeatureSequences:
        obj = np.asarray(X).view(cls)
        names = np.asarray([str(n) for n in feature_names], dtype=object)
        if obj.ndim != 3 or len(names) != obj.shape[2]:
            raise ParameterError(
                f"Expected a 3-D array with {len(names)} coefficients (one per name), got "
                f"shape {obj.shape}."
            )
        obj.feature_names = names
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.feature_names = getattr(obj, "feature_names", None)

    def __reduce__(self) -> tuple:
        rebuild, args, state = cast(tuple, super().__reduce__())  # ndarray gives a tuple
        return rebuild, args, (state, self.feature_names)

    def __setstate__(self, state: tuple) -> None:
        array_state, self.feature_names = state
        super().__setstate__(array_state)


def coefficient_names(X: Any) -> np.ndarray | None:
    """Names of the last axis of 3-D sequences ``X``, if it carries them and they fit.

    Parameters
    ----------
    X : object
        Input of a sequence estimator.

    Returns
    -------
    names : ndarray of str objects or None
        ``X.feature_names`` for a 3-D :class:`FeatureSequences` whose names match its last
        axis (slicing coefficients away leaves names that no longer do), else ``None``.
    """
    names = getattr(X, "feature_names", None) if isinstance(X, FeatureSequences) else None
    if names is None or X.ndim != 3 or len(names) != X.shape[2]:
        return None
    return np.asarray(names, dtype=object)
