"""Per-clip statistics of MFCC sequences: the input of the classical baselines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ..exceptions import ParameterError
from ._named import coefficient_names
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
    coefficient_names_in_ : ndarray of shape (`n_features_in_`,)
        Coefficient names, when ``X`` was a
        :class:`~sk_deepsense.features.FeatureSequences` (what the audio transformers return
        under ``set_output(transform="pandas")``). A separate attribute because
        ``feature_names_in_`` makes scikit-learn warn whenever a later ``X`` is a plain
        array, which 3-D input always is.

    See Also
    --------
    sk_deepsense.make_baseline : Pipelines of these statistics and a classical model.
    sk_deepsense.MFCCTransformer : Audio paths to the MFCC sequences this reads.

    Notes
    -----
    ``fit`` learns nothing but the number of coefficients (to check ``transform``'s input) and
    their names, if any (to name the output columns). 2-D input
    ``(n_samples, n_coefficients)`` is read as sequences of one frame, where the standard
    deviation is 0.

    **Names.** Output columns are named after the coefficient and the statistic:
    ``mfcc3_mean``, ``mfcc3_p90``, and ``mfcc3_delta_std`` for the statistics of the
    differences. The coefficient names are, in order of preference, ``input_features``, those
    seen in ``fit`` (a DataFrame's columns, or a
    :class:`~sk_deepsense.features.FeatureSequences`' names), else ``x0 ..`` as in
    scikit-learn. In a :class:`~sklearn.pipeline.Pipeline` after an audio transformer,
    ``Pipeline.get_feature_names_out`` passes the transformer's names on, and
    ``set_output(transform="pandas")`` on the pipeline gives a DataFrame with those columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import SequenceStatistics
    >>> X = np.array([[[1.0, 10.0], [3.0, 30.0], [np.nan, np.nan]]])  # 2 real frames
    >>> SequenceStatistics().fit_transform(X)
    array([[ 2., 20.,  1., 10.]], dtype=float32)
    >>> SequenceStatistics().fit(X).get_feature_names_out()
    array(['x0_mean', 'x1_mean', 'x0_std', 'x1_std'], dtype=object)
    >>> SequenceStatistics().fit(X).get_feature_names_out(["low", "high"])
    array(['low_mean', 'high_mean', 'low_std', 'high_std'], dtype=object)
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
            raise ParameterError(
                f"Unknown statistics {unknown}; choose from {list(_STATISTICS)} "
                "(use `percentiles` for other quantiles)."
            )
        percentiles = [float(q) for q in np.atleast_1d(self.percentiles)]
        if any(not 0 <= q <= 100 for q in percentiles):
            raise ParameterError(f"percentiles must lie in [0, 100], got {self.percentiles!r}.")
        if not stats and not percentiles:
            raise ParameterError(
                "Nothing to compute: `statistics` and `percentiles` are both empty."
            )
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
        names = coefficient_names(X)
        if names is not None:
            self.coefficient_names_in_ = names
        elif hasattr(self, "coefficient_names_in_"):  # refit on unnamed input
            del self.coefficient_names_in_
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
        """Names of the output columns, e.g. ``mfcc3_mean``, ``mfcc3_p90``, ``x12_delta_std``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Coefficient names. ``None``: ``coefficient_names_in_`` or ``feature_names_in_``
            when ``fit`` saw names, else ``x0 .. x{n_features_in_ - 1}``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column: ``{coefficient}_{statistic}``, statistic-major (all
            means, then all standard deviations, ...), then ``{coefficient}_delta_{statistic}``
            in the same order when ``deltas=True``.

        Raises
        ------
        ValueError
            If ``input_features`` does not have ``n_features_in_`` names, or differs from the
            DataFrame columns seen in ``fit``.
        """
        check_is_fitted(self)
        if input_features is None and hasattr(self, "coefficient_names_in_"):
            input_features = self.coefficient_names_in_
        features = [str(f) for f in _check_feature_names_in(self, input_features)]
        stats, percentiles = self._check_params()
        kinds = stats + [f"p{q:g}" for q in percentiles]
        if self.deltas:
            kinds += [f"delta_{k}" for k in kinds]
        return np.asarray([f"{f}_{k}" for k in kinds for f in features], dtype=object)

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        # NaN is accepted only as whole padding frames (3-D input), never as a missing value
        # inside a frame, so the estimator does not advertise allow_nan
        tags.input_tags.three_d_array = True  # its main input: (n_samples, n_frames, n_coef)
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
    Xn = np.where(w, X, np.nan) if need_nan else X  # X: not read without need_nan
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
