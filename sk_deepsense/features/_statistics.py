"""Per-clip statistics of MFCC sequences: the input of the classical baselines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from ._padding import validate_sequences

__all__ = ["SequenceStatistics"]

_STATISTICS = ("mean", "std", "min", "max", "median")


class SequenceStatistics(TransformerMixin, BaseEstimator):
    """Pool NaN-padded MFCC sequences into one row of statistics per clip.

    The classical music-emotion pipeline (e.g. Tzanetakis & Cook, 2002; Panda et al., 2020)
    summarises the frames of a clip by per-coefficient statistics and hands them to an SVM,
    a random forest or a linear model. This transformer computes those statistics over the
    **real frames only**: trailing all-NaN padding frames (as
    :class:`~sk_deepsense.MFCCTransformer` writes for shorter clips) are ignored, so a 10 s
    clip padded to 30 s gets the statistics of its 10 s.

    Parameters
    ----------
    statistics : sequence of {"mean", "std", "min", "max", "median"}, default=("mean", "std")
        Statistics of each coefficient over the real frames, in this order.
    percentiles : sequence of float, default=()
        Percentiles (0 to 100) of each coefficient over the real frames, appended after
        ``statistics`` (e.g. ``(10, 90)``).
    deltas : bool, default=False
        Also append the same statistics and percentiles of the frame-to-frame differences
        (``x[t] - x[t - 1]`` within the real frames), which describe how fast the spectral
        envelope moves. A clip of one frame has differences of 0.

    Attributes
    ----------
    n_features_in_ : int
        Coefficients per frame seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame (2-D input only).

    See Also
    --------
    sk_deepsense.make_baseline : Pipelines of these statistics and a classical model.
    sk_deepsense.MFCCTransformer : Audio paths to the MFCC sequences this reads.

    Notes
    -----
    ``fit`` learns nothing but the number of coefficients (to check ``transform``'s input and
    name the output columns). 2-D input ``(n_samples, n_coefficients)`` is read as sequences of
    one frame, where the standard deviation is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import SequenceStatistics
    >>> X = np.array([[[1.0, 10.0], [3.0, 30.0], [np.nan, np.nan]]])  # 2 real frames
    >>> SequenceStatistics().fit_transform(X)
    array([[ 2., 20.,  1., 10.]], dtype=float32)
    >>> SequenceStatistics().fit(X).get_feature_names_out()
    array(['mean_0', 'mean_1', 'std_0', 'std_1'], dtype=object)
    """

    _parameter_constraints: dict = {
        "statistics": ["array-like"],
        "percentiles": ["array-like"],
        "deltas": ["boolean"],
    }

    def __init__(
        self,
        *,
        statistics: Sequence[str] = ("mean", "std"),
        percentiles: Sequence[float] = (),
        deltas: bool = False,
    ) -> None:
        self.statistics = statistics
        self.percentiles = percentiles
        self.deltas = deltas

    def _check_params(self) -> tuple[list[str], list[float]]:
        stats = [self.statistics] if isinstance(self.statistics, str) else list(self.statistics)
        unknown = [s for s in stats if s not in _STATISTICS]
        if unknown:
            raise ValueError(
                f"Unknown statistics {unknown}; choose from {list(_STATISTICS)} "
                "(use `percentiles` for other quantiles)."
            )
        percentiles = [float(q) for q in np.atleast_1d(self.percentiles)]
        if any(not 0 <= q <= 100 for q in percentiles):
            raise ValueError(f"percentiles must lie in [0, 100], got {self.percentiles!r}.")
        if not stats and not percentiles:
            raise ValueError("Nothing to compute: `statistics` and `percentiles` are both empty.")
        return stats, percentiles

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> SequenceStatistics:
        """Check ``X`` and record its number of coefficients.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients) or (n_samples, n_coefficients)]
            NaN-padded MFCC sequences.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._check_params()
        validate_sequences(self, X, reset=True)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Compute the statistics of every clip.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients) or (n_samples, n_coefficients)]
            NaN-padded MFCC sequences.

        Returns
        -------
        X_stats : np.ndarray [shape=(n_samples, n_output_features), dtype=float32]
            One row per clip; columns as named by :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        stats, percentiles = self._check_params()
        X, lengths = validate_sequences(self, X, reset=False)
        blocks = [_pool(X, lengths, stats, percentiles)]
        if self.deltas:
            diff = np.diff(X, axis=1, prepend=X[:, :1])  # diff[:, 0] = 0
            valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
            diff[~valid] = 0.0
            blocks.append(_pool(diff, lengths, stats, percentiles, skip_first=True))
        return np.hstack(blocks).astype(np.float32, copy=False)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns, e.g. ``mean_0``, ``p90_3``, ``delta_std_12``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Coefficient names; default ``feature_names_in_`` or ``0 .. n_features_in_ - 1``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(
                self, "feature_names_in_", [str(i) for i in range(self.n_features_in_)]
            )
        input_features = [str(f) for f in input_features]
        if len(input_features) != self.n_features_in_:
            raise ValueError(
                f"input_features has {len(input_features)} names, expected {self.n_features_in_}."
            )
        stats, percentiles = self._check_params()
        kinds = stats + [f"p{q:g}" for q in percentiles]
        names = [f"{k}_{f}" for k in kinds for f in input_features]
        if self.deltas:
            names += [f"delta_{n}" for n in names]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        # NaN is accepted only as whole padding frames (3-D input), never as a missing value
        # inside a frame, so the estimator does not advertise allow_nan
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _pool(
    X: np.ndarray,
    lengths: np.ndarray,
    stats: list[str],
    percentiles: list[float],
    *,
    skip_first: bool = False,
) -> np.ndarray:
    """Statistics over the first ``lengths`` frames (from frame 1 when ``skip_first``)."""
    frame = np.arange(X.shape[1])[None, :]
    first = 1 if skip_first else 0
    valid = (frame < lengths[:, None]) & (frame >= first)
    # a sequence with no frame left (one-frame sequence, skip_first) pools frame 0, i.e. zeros
    empty = ~valid.any(axis=1)
    valid[empty, 0] = True
    count = valid.sum(axis=1)[:, None].astype(np.float64)
    w = valid[:, :, None]
    out = []
    need_nan = any(s in ("min", "max", "median") for s in stats) or percentiles
    Xn = np.where(w, X, np.nan) if need_nan else None
    mean = (X * w).sum(axis=1, dtype=np.float64) / count
    for s in stats:
        if s == "mean":
            out.append(mean)
        elif s == "std":
            var = (((X - mean[:, None, :]) * w) ** 2).sum(axis=1, dtype=np.float64) / count
            out.append(np.sqrt(var))
        elif s == "min":
            out.append(np.nanmin(Xn, axis=1))
        elif s == "max":
            out.append(np.nanmax(Xn, axis=1))
        else:
            out.append(np.nanmedian(Xn, axis=1))
    out.extend(np.nanpercentile(Xn, q, axis=1) for q in percentiles)
    return np.hstack(out)
