"""Cross-validation splits shared by every model of a comparison."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

__all__ = ["make_splits"]


def make_splits(
    y: np.ndarray,
    groups: np.ndarray | None,
    *,
    n_splits: int = 5,
    task: str = "classification",
    random_state: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation splits shared by every model.

    Classification: :class:`~sklearn.model_selection.StratifiedGroupKFold` when ``groups``
    (e.g. artists) are given, else :class:`~sklearn.model_selection.StratifiedKFold`.
    Regression: :class:`~sklearn.model_selection.GroupKFold` or
    :class:`~sklearn.model_selection.KFold`. Always shuffled with ``random_state``.

    Parameters
    ----------
    y : np.ndarray
        Targets.
    groups : np.ndarray or None
        Group of each sample; samples of one group never straddle training and test.
    n_splits : int, default=5
        Folds.
    task : {"classification", "regression"}, default="classification"
        Whether to stratify.
    random_state : int, default=0
        Shuffling seed.

    Returns
    -------
    splits : list of (train_indices, test_indices)
        One pair per fold.
    """
    X0 = np.zeros((len(y), 1))
    if task == "classification":
        if groups is not None:
            cv = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
        else:
            cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    elif groups is not None:
        cv = GroupKFold(n_splits, shuffle=True, random_state=random_state)
    else:
        cv = KFold(n_splits, shuffle=True, random_state=random_state)
    return list(cv.split(X0, y, groups))
