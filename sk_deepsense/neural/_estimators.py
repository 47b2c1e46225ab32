"""The public hybrid CNN + LSTM classifier and regressor."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from ._base import BaseHybridCNNLSTM

__all__ = ["HybridCNNLSTMClassifier", "HybridCNNLSTMRegressor"]

_PARAMS_DOC = """
    Parameters
    ----------
    architecture : {"hybrid", "conv1d", "conv2d", "lstm", "hybrid_nolstm"}, default="hybrid"
        The network. ``"hybrid"`` is the model this library is about: filters one frame tall
        under a unidirectional LSTM. The others are the ablations it is measured against
        (see the user guide and the benchmarks page): ``"conv1d"``, a standard 1-D CNN whose
        filters span ``filter_size`` frames and all coefficients, sliding over time;
        ``"conv2d"``, ``filter_size x filter_size`` filters over time and coefficients (after
        Malik et al., 2017); ``"lstm"``, the LSTM on the standardized MFCCs without
        convolutions; ``"hybrid_nolstm"``, the hybrid convolutions and a per-frame dense layer
        of ``lstm_hidden_size`` units, mean- (or last-) pooled without an LSTM. All are
        padding-invariant; ``"conv1d"`` and ``"conv2d"`` are not causal, so their per-frame
        predictions also look a few frames ahead.
    n_filters : int, default=16
        Filters per convolution layer.
    filter_size : int, default=5
        Length of each filter along the coefficient axis. Its height in time is always one
        frame: the hybrid 1-D CNN looks for spectral-envelope patterns inside one frame.
        (For ``"conv1d"`` it is the filter's length in frames, for ``"conv2d"`` both sides.)
    n_conv_layers : int, default=2
        Stacked convolution layers.
    pool_size : int, default=2
        Max-pooling width along the coefficient axis after each convolution (1 disables it;
        ``"conv1d"`` has no coefficient axis to pool and ignores it).
    lstm_hidden_size : int, default=64
        Size of the unidirectional LSTM's state.
    lstm_layers : int, default=1
        Stacked LSTM layers.
    pooling : {"mean", "meanstd", "last"}, default="meanstd"
        Clip summary of the LSTM states: their mean over the real frames; their mean and
        standard deviation (statistics pooling, which tells the output layer how much the
        music changes, as the std features of the classical baselines do); or the last real
        frame's state.
    dropout : float, default=0.2
        Dropout on frame features, between LSTM layers and before the output layer.
    max_epochs : int, default=200
        Maximum passes over the training data (early stopping usually ends sooner: with
        random crops an epoch is one crop per clip).
    batch_size : int, default=32
        Clips per gradient step (and per inference batch).
    lr : float, default=3e-3
        AdamW learning rate.
    weight_decay : float, default=1e-4
        AdamW weight decay.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data{stratified}, stop when its loss
        has not improved for ``patience`` epochs and restore the best epoch's weights.
    validation_fraction : float, default=0.15
        Fraction held out for early stopping.
    patience : int, default=25
        Epochs without validation improvement before stopping.
    train_chunk : int or None, default=128
        Train on pieces of this many frames of each training sequence (about 6 s at
        :class:`~sk_deepsense.LogMelTransformer`'s default 46 ms hop), each labelled with
        its clip's target (see ``chunking``); ``None`` trains on whole sequences. Short
        pieces multiply the training examples and shorten the sequences the LSTM is trained
        on; on 4Q they score better than whole sequences and train faster (see the
        benchmarks page). With ``"consecutive"`` chunks, a clip's last piece is used only if
        it has at least ``train_chunk // 2`` frames (or is the clip's only piece). The
        validation clips of early stopping are split off first and scored whole.
    chunking : {"consecutive", "random"}, default="random"
        How ``train_chunk`` cuts the training clips: ``"consecutive"`` cuts every clip into
        fixed, back-to-back chunks once; ``"random"`` draws one window of ``train_chunk``
        frames at a random offset from every clip in every epoch (data augmentation: an
        epoch then has one example per clip).
    freq_mask : float, default=0.125
        SpecAugment-style masking while training (Park et al., 2019): in every training
        example, one band of consecutive coefficients, up to this fraction of them (width
        and position drawn at random), is set to the training mean. 0: off; 0.125 masks up
        to 8 of 64 mel bands, 2 of 20 MFCCs. Never applied at prediction.
    time_mask : float, default=0.125
        Likewise, one span of consecutive real frames per training example, up to this
        fraction of its frames (16 frames of a 128-frame crop at 0.125). 0: off.
    mixup : float, default=0.2
        Mixup (Zhang et al., 2018): each training batch is blended with a shuffled copy of
        itself, ``lam * x + (1 - lam) * x[perm]`` with ``lam ~ Beta(mixup, mixup)``, and the
        loss is the same blend of the losses against both targets. 0: off; 0.2 to 0.4 is
        usual.
    refit : bool, default=False
        With ``early_stopping``: once early stopping has chosen the number of epochs
        (``best_epoch_``) on its held-out clips, train again from the same initial weights on
        **every** clip for that many epochs, so that no clip is left out of the final model
        (about 1.8x the training time). Requires ``early_stopping=True``.
    predict_window : int or None, default=128
        ``None``: a clip's prediction is one pass of the network over the whole clip. An int:
        the prediction averages the network's outputs over windows of ``predict_window``
        frames that cover the whole clip (class probabilities are averaged for the
        classifier, targets for the regressor), the way the network saw the clips when
        trained on ``train_chunk`` crops. The per-frame predictions
        (``predict_proba_frames`` / ``predict_frames``) always run over the whole clip.
    predict_hop : int or None, default=None
        Frames between the starts of consecutive prediction windows; ``None`` means half a
        window. The last window always ends at the clip's last frame.
    n_ensemble : int, default=3
        Networks trained from different seeds (each with its own validation split) and
        averaged at prediction (class probabilities, or regression targets): less variance
        from one unlucky initialisation, for ``n_ensemble`` times the training and
        prediction cost.
    device : str or torch.device, default="cpu"
        Torch device to train and predict on (``"cuda"``, ``"auto"``: CUDA when available).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch shuffling, dropout and the validation split. The
        same seed gives the same model on the same CPU with the same number of torch threads
        (``torch.get_num_threads()``; summation order, hence rounding, depends on both, and
        training amplifies rounding: on another CPU, expect a fit as different as one with
        another seed). Torch's global random state is left as it was.
    verbose : int, default=0
        ``>0`` prints skorch's table of epochs.
"""

_ATTRS_DOC = """
    n_features_in_ : int
        Coefficients per frame seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame (2-D input only).
    net_ : skorch.NeuralNet
        The trained skorch net (module, optimizer, callbacks); its module is a
        :class:`~sk_deepsense.neural.HybridCNNLSTMModule`. With ``n_ensemble > 1``, the
        first of ``nets_``.
    nets_ : list of skorch.NeuralNet
        All ``n_ensemble`` trained nets (``[net_]`` for one).
    n_parameters_ : int
        Trainable and fixed parameters of the network (of all of them, with
        ``n_ensemble > 1``; buffers excluded).
    history_ : skorch.History
        Per-epoch training (and validation) loss, e.g. ``history_[:, "valid_loss"]``, of the
        first network. With ``refit``, the history of the run that chose the epoch count
        (``net_.history`` is the refit's).
    best_epoch_ : int or None
        The epoch whose weights early stopping kept (1-based) in the first network, or
        ``None`` without early stopping.
"""

_NOTES_DOC = """
    Notes
    -----
    Input is ``(n_samples, n_frames, n_coefficients)``: rows are time frames. Frames that are
    entirely NaN at the end of a sequence are padding (what
    :class:`~sk_deepsense.MFCCTransformer` produces for shorter clips): they are masked, so
    adding or removing padding never changes a prediction. 2-D input
    ``(n_samples, n_coefficients)`` is read as sequences of one frame.

    Each frame is standardized per coefficient (statistics learned in ``fit`` over real
    frames), convolved on its own with ``1 x filter_size`` filters sliding along the
    coefficients, and the sequence of frame features goes through a unidirectional LSTM, the
    only place frames interact. The output at frame t therefore depends on frames ``<= t``
    only, which makes the per-frame (dynamic) predictions meaningful.

    The estimator stores only hyperparameters; ``fit`` derives sizes from the data and builds
    a :class:`skorch.NeuralNet` as ``net_`` (composition, not subclassing), so it clones,
    pickles and grid-searches like any scikit-learn estimator.
"""


class HybridCNNLSTMClassifier(ClassifierMixin, BaseHybridCNNLSTM):
    __doc__ = (
        """Hybrid 1-D CNN + LSTM classifier of MFCC sequences (e.g. emotion quadrants).
"""
        + _PARAMS_DOC.replace("{stratified}", " (stratified by class)")
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the columns of :meth:`predict_proba`."""
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

    _stratify = True

    def _criterion(self) -> type[torch.nn.Module]:
        return torch.nn.CrossEntropyLoss

    def _prepare_target(self, y: Any) -> tuple[np.ndarray, int]:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}."
            )
        return encoder.transform(y).astype(np.int64), len(self.classes_)

    def _to_average(self, outputs: np.ndarray) -> np.ndarray:
        return _softmax(outputs.astype(np.float64))  # windows average their probabilities

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
        return _softmax(logits)

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
        return _mask_padding(_softmax(logits), lengths)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class HybridCNNLSTMRegressor(RegressorMixin, BaseHybridCNNLSTM):
    __doc__ = (
        """Hybrid 1-D CNN + LSTM regressor of MFCC sequences (e.g. arousal and valence).

    Multi-output: ``y`` of shape ``(n_samples, n_outputs)`` (e.g. arousal, valence) is
    predicted jointly; 1-D ``y`` gives 1-D predictions. Targets are standardized internally
    (statistics learned in ``fit``) and predictions are returned on the original scale.
"""
        + _PARAMS_DOC.replace("{stratified}", "")
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets."""
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

    def _criterion(self) -> type[torch.nn.Module]:
        return torch.nn.MSELoss

    def _prepare_target(self, y: Any) -> tuple[np.ndarray, int]:
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got {y.ndim}-D.")
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        self.target_mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.target_scale_ = np.where(scale < 1e-12, 1.0, scale)
        return ((y2 - self.target_mean_) / self.target_scale_).astype(np.float32), self.n_outputs_

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
        pred = out.astype(np.float64) * self.target_scale_ + self.target_mean_
        return pred[:, 0] if self._y_1d else pred

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
        pred = out.astype(np.float64) * self.target_scale_ + self.target_mean_
        return _mask_padding(pred, lengths)

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
