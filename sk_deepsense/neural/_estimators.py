"""The public hybrid CNN + LSTM classifier and regressor."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from ..exceptions import ParameterError
from ._base import BaseHybridCNNLSTM
from ._docs import _ATTRS_DOC, _NOTES_DOC, params_doc
from ._params import CLASS_WEIGHT, NETWORK_PARAMS, declared_init, parameter_constraints

__all__ = ["HybridCNNLSTMClassifier", "HybridCNNLSTMRegressor"]


class HybridCNNLSTMClassifier(ClassifierMixin, BaseHybridCNNLSTM):
    __doc__ = (
        """Hybrid 1-D CNN + LSTM classifier of MFCC sequences (e.g. emotion quadrants).
"""
        + params_doc(
            (*NETWORK_PARAMS, CLASS_WEIGHT),
            stratified=" (stratified by class)",
            warm_classes=" (and no class unseen by the first)",
        )
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the columns of :meth:`predict_proba`.
    class_weight_ : ndarray of shape (n_classes,) or None
        The weight of each class in the loss (``class_weight``), or ``None``."""
        + _ATTRS_DOC
        + """
    See Also
    --------
    HybridCNNLSTMRegressor : The same network for arousal/valence regression.
    sk_deepsense.MFCCTransformer : Audio paths to the MFCC sequences this model reads.
"""
        + _NOTES_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import HybridCNNLSTMClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 8, 6)).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> clf = HybridCNNLSTMClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.classes_
    array(['down', 'up'], dtype='<U4')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """
    )

    _declared_params = (*NETWORK_PARAMS, CLASS_WEIGHT)
    _parameter_constraints: dict = parameter_constraints(_declared_params)
    __init__ = declared_init(_declared_params)
    _stratify = True

    def _criterion(self) -> type[torch.nn.Module]:
        return torch.nn.CrossEntropyLoss

    def _criterion_params(self) -> dict[str, Any]:
        if self.class_weight_ is None:
            return {}
        return {"criterion__weight": torch.as_tensor(self.class_weight_, dtype=torch.float32)}

    def _prepare_target(self, y: Any, *, reset: bool) -> tuple[np.ndarray, int]:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        encoder = LabelEncoder()
        if reset:
            self.classes_ = encoder.fit(y).classes_
        encoder.classes_ = self.classes_  # warm start: unseen labels are an error
        if len(self.classes_) < 2:
            raise ParameterError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}."
            )
        self.class_weight_ = None
        if self.class_weight is not None:
            self.class_weight_ = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return encoder.transform(y).astype(np.int64), len(self.classes_)

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _check_fitted_state(self) -> None:
        super()._check_fitted_state()
        if not isinstance(self.classes_, np.ndarray) or self.classes_.ndim != 1:
            raise ParameterError("classes_ is not a 1-D array")
        weights = self.class_weight_
        if weights is not None and np.shape(weights) != self.classes_.shape:
            raise ParameterError("class_weight_ does not match classes_")

    def _predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Map network outputs (logits, last axis) to class probabilities (in their dtype)."""
        return _softmax(outputs)

    def _to_average(self, outputs: np.ndarray) -> np.ndarray:
        # windows and networks average their probabilities, in float64
        return self._predictions(outputs.astype(np.float64))

    def _from_average(self, averaged: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(averaged, np.finfo(np.float64).tiny))  # softmax undoes it

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of each clip.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients) or (n_samples, n_coefficients)]
            NaN-padded MFCC sequences.

        Returns
        -------
        proba : np.ndarray [shape=(n_samples, n_classes)]
            Probabilities, columns in the order of ``classes_``.
        """
        logits, _ = self._forward(X)
        return self._predictions(logits)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class of each clip.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients) or (n_samples, n_coefficients)]
            NaN-padded MFCC sequences.

        Returns
        -------
        y_pred : np.ndarray [shape=(n_samples,)]
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba_frames(self, X: Any) -> np.ndarray:
        """Class probabilities after each frame, using only the frames heard so far.

        Entry ``[i, t]`` is what :meth:`predict_proba` returns for clip ``i`` cut after frame
        ``t``: a causal emotion timeline.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients)]
            NaN-padded MFCC sequences.

        Returns
        -------
        proba : np.ndarray [shape=(n_samples, n_frames, n_classes)]
            Probabilities per frame; NaN at padding frames.
        """
        logits, lengths = self._forward(X, frames=True)
        return _mask_padding(self._predictions(logits), lengths)

    def __sklearn_tags__(self):
        from .._tags import declare

        tags = declare(super().__sklearn_tags__(), label_is_argmax=True)  # predict: argmax
        tags.classifier_tags.multi_class = True
        return tags


class HybridCNNLSTMRegressor(RegressorMixin, BaseHybridCNNLSTM):
    __doc__ = (
        """Hybrid 1-D CNN + LSTM regressor of MFCC sequences (e.g. arousal and valence).

    Multi-output: ``y`` of shape ``(n_samples, n_outputs)`` (e.g. arousal, valence) is
    predicted jointly; 1-D ``y`` gives 1-D predictions. Targets are standardized internally
    (statistics learned in ``fit``) and predictions are returned on the original scale.
"""
        + params_doc(NETWORK_PARAMS, warm_classes=" (and targets)")
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    y_ndim_ : int
        Dimensions of the ``y`` seen in ``fit``: 1 (predictions are then 1-D) or 2.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        Statistics that standardize the targets for training."""
        + _ATTRS_DOC
        + """
    See Also
    --------
    HybridCNNLSTMClassifier : The same network for classification.
"""
        + _NOTES_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense import HybridCNNLSTMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 8, 6)).astype("float32")
    >>> y = np.c_[X[:, :, 0].mean(axis=1), X[:, :, 1].mean(axis=1)]  # (arousal, valence)
    >>> reg = HybridCNNLSTMRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3, 2)
    """
    )

    _Y_NDIMS = (1, 2)  # the y a fitted model may have seen

    def _predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Map network outputs (standardized targets, last axis) to the training scale."""
        return outputs.astype(np.float64) * self.target_scale_ + self.target_mean_

    def _criterion(self) -> type[torch.nn.Module]:
        return torch.nn.MSELoss

    def _prepare_target(self, y: Any, *, reset: bool) -> tuple[np.ndarray, int]:
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim not in (1, 2):
            raise ParameterError(f"y must be 1-D or 2-D, got {y.ndim}-D.")
        y2 = y.reshape(len(y), -1)
        if reset:
            self.y_ndim_ = y.ndim
            self.n_outputs_ = y2.shape[1]
            self.target_mean_ = y2.mean(axis=0)
            scale = y2.std(axis=0)
            self.target_scale_ = np.where(scale < 1e-12, 1.0, scale)
        elif y2.shape[1] != self.n_outputs_:
            raise ParameterError(
                f"warm_start=True: y has {y2.shape[1]} targets, the fitted model {self.n_outputs_}."
            )
        return ((y2 - self.target_mean_) / self.target_scale_).astype(np.float32), self.n_outputs_

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _check_fitted_state(self) -> None:
        super()._check_fitted_state()
        shape = (self.n_outputs_,)
        if self.target_mean_.shape != shape or self.target_scale_.shape != shape:
            raise ParameterError("target_mean_ / target_scale_ do not match n_outputs_")
        if self.y_ndim_ not in self._Y_NDIMS:
            raise ParameterError(f"y_ndim_ is not one of {self._Y_NDIMS}")

    def predict(self, X: Any) -> np.ndarray:
        """Predict the targets of each clip.

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients) or (n_samples, n_coefficients)]
            NaN-padded MFCC sequences.

        Returns
        -------
        y_pred : np.ndarray [shape=(n_samples,) or (n_samples, n_outputs)]
            Predictions on the scale of the training targets; 1-D if ``y`` was 1-D.
        """
        out, _ = self._forward(X)
        pred = self._predictions(out)
        return pred[:, 0] if self.y_ndim_ == 1 else pred

    def predict_frames(self, X: Any) -> np.ndarray:
        """Targets after each frame, using only the frames heard so far (dynamic prediction).

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients)]
            NaN-padded MFCC sequences.

        Returns
        -------
        y_pred : np.ndarray [shape=(n_samples, n_frames, n_outputs)]
            Per-frame predictions on the scale of the training targets; NaN at padding.
        """
        out, lengths = self._forward(X, frames=True)
        return _mask_padding(self._predictions(out), lengths)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _mask_padding(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64, copy=False)
    pad = np.arange(values.shape[1])[None, :] >= lengths[:, None]
    values[pad] = np.nan
    return values
