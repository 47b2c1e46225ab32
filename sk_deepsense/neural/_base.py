"""The base estimator of the hybrid CNN + LSTM: hyperparameters and training (over skorch)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length
from skorch import NeuralNet
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from .._threads import limit_threads
from ..exceptions import ParameterError
from ..features._padding import validate_sequences
from ._data import net_input, training_data, valid_split
from ._inference import _InferenceMixin
from ._net import make_net
from ._params import NETWORK_PARAMS, Param, declared_init, parameter_constraints
from ._state import _FittedStateMixin

__all__ = ["BaseHybridCNNLSTM"]


class BaseHybridCNNLSTM(_FittedStateMixin, _InferenceMixin, BaseEstimator):
    """Base class of :class:`HybridCNNLSTMClassifier` and :class:`HybridCNNLSTMRegressor`.

    Subclasses define the target handling (``_prepare_target``), the loss (``_criterion``,
    ``_criterion_params``), the network's output count (``_n_outputs``) and whether the
    validation split is stratified (``_stratify``). Here: input validation,
    standardization, seeding and training the skorch nets (built by
    :func:`~sk_deepsense.neural._net.make_net`); inference is ``_InferenceMixin``'s and the
    fitted state as data (for :mod:`sk_deepsense.persistence`) ``_FittedStateMixin``'s.

    Do not use directly.
    """

    #: The settings, declared once (:mod:`~sk_deepsense.neural._params`): the signature, the
    #: constraints and the docstrings derive from them.
    _declared_params: tuple[Param, ...] = NETWORK_PARAMS
    _parameter_constraints: dict = parameter_constraints(NETWORK_PARAMS)
    __init__ = declared_init(NETWORK_PARAMS)

    # ------------------------------------------------------------------ hooks for subclasses
    _stratify = False

    def __setstate__(self, state: dict) -> None:
        """Restore a pickled estimator; a CUDA model on a machine without CUDA warns.

        skorch's ``NeuralNet.__setstate__`` maps the weights of a CUDA-trained net to the CPU
        when no GPU is present (with a ``DeviceWarning``), and predictions then run there.
        The ``device`` hyperparameter stays what the user set: a refit (or a ``clone``) on
        this machine needs ``set_params(device="cpu")``, which the warning says.
        """
        super().__setstate__(state)
        wanted = str(self.device)
        on_cpu = any(str(net.device) == "cpu" for net in getattr(self, "nets_", ()))
        if wanted.startswith("cuda") and on_cpu and not torch.cuda.is_available():
            warnings.warn(
                f"{type(self).__name__} was fitted with device={wanted!r}, but CUDA is not "
                "available here: its weights were loaded on the CPU, where it predicts. "
                "Set device='cpu' (set_params) to train it here.",
                UserWarning,
                stacklevel=2,
            )

    def _criterion(self) -> type[torch.nn.Module]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _criterion_params(self) -> dict[str, Any]:
        """``criterion__*`` options of the net (e.g. class weights); none here."""
        return {}

    def _prepare_target(self, y: Any, *, reset: bool) -> tuple[np.ndarray, int]:
        """Validate ``y``, set target attributes, return (training target, n_outputs).

        With ``reset=False`` (a warm start), keep the fitted target attributes and check that
        ``y`` fits them.
        """
        raise NotImplementedError  # pragma: no cover

    def _align_target(self, y_train: np.ndarray, lengths: np.ndarray, n_frames: int) -> np.ndarray:
        """Map the training target onto the frames (per-frame targets); unchanged here."""
        return y_train

    #: The module's ``frame_outputs``: fixed by the estimator's kind, not a parameter (the
    #: dynamic regressor reads an output from every frame's own state).
    _frame_outputs = False

    def _prediction_windows(self) -> tuple[int, int] | None:
        """Return ``(window, hop)`` of windowed clip prediction, or ``None`` for one pass."""
        if self.predict_window is None:
            return None
        size = int(self.predict_window)
        return size, int(self.predict_hop or max(1, size // 2))

    # ------------------------------------------------------------------ input handling
    def _validate_X(self, X: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        """Validate 2-D or 3-D ``X``; return zero-filled float32 3-D data and lengths."""
        return validate_sequences(self, X, reset=reset)

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> BaseHybridCNNLSTM:
        """Fit the network (or, with ``warm_start``, train the fitted networks further).

        Parameters
        ----------
        X : array-like [shape=(n_samples, n_frames, n_coefficients) or (n_samples, n_coefficients)]
            MFCC sequences, NaN-padded at the end (as :class:`~sk_deepsense.MFCCTransformer`
            returns). 2-D input is read as one frame per sample.
        y : array-like [shape=(n_samples,) or (n_samples, n_outputs)]
            Targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with limit_threads(self.n_threads):
            return self._fit(X, y)

    def _fit(self, X: Any, y: Any) -> BaseHybridCNNLSTM:
        if y is None:
            raise ParameterError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if self.refit and not self.early_stopping:
            raise ParameterError(
                "refit=True trains again on every clip for the number of epochs early "
                "stopping chose; it needs early_stopping=True."
            )
        warm = self.warm_start and hasattr(self, "nets_")
        if warm and self.refit:
            raise ParameterError(
                "warm_start=True continues training the fitted networks; refit=True would "
                "train new ones: set one of them to False."
            )
        if warm and len(self.nets_) != self.n_ensemble:
            raise ParameterError(
                f"warm_start=True continues the {len(self.nets_)} fitted networks, but "
                f"n_ensemble={self.n_ensemble}; refit with warm_start=False to change it."
            )
        X, lengths = self._validate_X(X, reset=not warm)
        check_consistent_length(X, y)
        y_train, n_outputs = self._prepare_target(y, reset=not warm)
        y_train = self._align_target(y_train, lengths, X.shape[1])

        real = X[np.arange(X.shape[1])[None, :] < lengths[:, None]]  # (n_real_frames, C)
        mean = real.mean(axis=0, dtype=np.float64)
        scale = real.std(axis=0, dtype=np.float64)
        scale[scale < 1e-8] = 1.0

        rng = check_random_state(self.random_state)
        # the first network's seed is the one a single network has always had
        seeds = [int(rng.randint(np.iinfo(np.int32).max)) for _ in range(self.n_ensemble)]
        previous = self.nets_ if warm else [None] * self.n_ensemble
        nets, histories, best_epochs = [], [], []
        for i, (seed, net) in enumerate(zip(seeds, previous, strict=True)):
            label = f"network {i + 1} of {self.n_ensemble}"  # heads its epoch table
            net, history, best_epoch = self._fit_network(
                X, lengths, y_train, n_outputs, mean, scale, seed, net=net, label=label
            )
            nets.append(net)
            histories.append(history)
            best_epochs.append(best_epoch)
        self.net_ = nets[0]
        self.nets_ = nets
        self.history_ = histories[0]
        self.best_epoch_ = best_epochs[0]
        self.n_parameters_ = int(sum(p.numel() for net in nets for p in net.module_.parameters()))
        return self

    def _fit_network(
        self,
        X: np.ndarray,
        lengths: np.ndarray,
        y_train: np.ndarray,
        n_outputs: int,
        mean: np.ndarray,
        scale: np.ndarray,
        seed: int,
        *,
        net: NeuralNet | None = None,
        label: str = "",
    ) -> tuple[NeuralNet, Any, int | None]:
        """Train one network from ``seed``; return it, the history and the best epoch.

        With a fitted ``net`` (warm start), train it further (skorch's ``partial_fit``: its
        weights, optimizer state and history carry on; its standardization stays).
        """
        train = np.arange(len(X))
        train_split = None
        if self.early_stopping:
            # Split whole clips (before chunking), so that no clip has chunks on both sides,
            # and validate on whole clips, as the model is used at prediction time.
            train, valid = valid_split(
                y_train, seed, self.validation_fraction, stratify=self._stratify
            )
            valid_ds = Dataset(net_input(X[valid], lengths[valid]), y_train[valid])
            train_split = predefined_split(valid_ds)
        chunking = (self.train_chunk, self.chunking)
        data = training_data(X[train], lengths[train], y_train[train], *chunking)
        if net is None:
            net = make_net(
                self, X.shape[2], n_outputs, mean, scale, train_split=train_split, label=label
            )
            _seeded(seed, net.fit, *data)
        else:
            net.set_params(train_split=train_split, max_epochs=self.max_epochs)
            if self._criterion_params():
                net.set_params(**self._criterion_params())
            _seeded(seed, net.partial_fit, *data)
        history, best_epoch = net.history, None
        if self.early_stopping:
            best = [i for i, row in enumerate(net.history) if row.get("valid_loss_best")]
            best_epoch = best[-1] + 1 if best else len(net.history)
        if self.refit and self.early_stopping:
            # The validation clips chose the epoch count; now every clip trains, from the
            # same initial weights and seed, for that many epochs.
            data = training_data(X, lengths, y_train, *chunking)
            label = f"{label}, trained again on every clip for {best_epoch} epochs"
            net = make_net(
                self, X.shape[2], n_outputs, mean, scale, max_epochs=best_epoch, label=label
            )
            _seeded(seed, net.fit, *data)
        net.train_split = None  # do not keep the validation clips inside the fitted model
        return net, history, best_epoch

    def __sklearn_tags__(self):
        from .._tags import declare

        tags = declare(super().__sklearn_tags__(), network=True, frame_predictions=True)
        tags.input_tags.three_d_array = True  # (n_samples, n_frames, n_coefficients)
        return tags


def _seeded(seed: int, train: Callable[..., Any], *args: Any) -> None:
    """Call ``train(*args)`` with torch's random state seeded, and restore it afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        train(*args)
