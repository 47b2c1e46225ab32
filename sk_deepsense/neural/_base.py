"""The base estimator of the hybrid CNN + LSTM: hyperparameters and training (over skorch)."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_consistent_length
from skorch import NeuralNet
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from .._threads import limit_threads
from ..features._padding import validate_sequences
from ._data import net_input, training_data, valid_split
from ._inference import _InferenceMixin
from ._module import ARCHITECTURES, POOLINGS
from ._net import CallbackList, DeviceName, NetOptions, _MixupNet, make_net
from ._state import _FittedStateMixin

__all__ = ["BaseHybridCNNLSTM"]

_PICKLED_HERE = (_MixupNet,)  # joblib files of sk_deepsense 0.1 name the net's class here


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

    _parameter_constraints: dict = {
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "filter_size": [Interval(Integral, 1, None, closed="left")],
        "n_conv_layers": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [Interval(Integral, 1, None, closed="left")],
        "lstm_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "lstm_layers": [Interval(Integral, 1, None, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "train_chunk": [Interval(Integral, 1, None, closed="left"), None],
        "chunking": [StrOptions({"consecutive", "random"})],
        "freq_mask": [Interval(Real, 0, 1, closed="left")],
        "time_mask": [Interval(Real, 0, 1, closed="left")],
        "mixup": [Interval(Real, 0, None, closed="left")],
        "refit": ["boolean"],
        "predict_window": [Interval(Integral, 1, None, closed="left"), None],
        "predict_hop": [Interval(Integral, 1, None, closed="left"), None],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "callbacks": [CallbackList(), None],
        "net_params": [NetOptions(), None],
        "warm_start": ["boolean"],
        "device": [DeviceName(), torch.device],
        "mixed_precision": ["boolean"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        architecture: str = "hybrid",
        n_filters: int = 16,
        filter_size: int = 5,
        n_conv_layers: int = 2,
        pool_size: int = 2,
        lstm_hidden_size: int = 64,
        lstm_layers: int = 1,
        pooling: str = "meanstd",
        dropout: float = 0.2,
        max_epochs: int = 200,
        batch_size: int = 32,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        early_stopping: bool = True,
        validation_fraction: float = 0.15,
        patience: int = 25,
        train_chunk: int | None = 128,
        chunking: str = "random",
        freq_mask: float = 0.125,
        time_mask: float = 0.125,
        mixup: float = 0.2,
        refit: bool = False,
        predict_window: int | None = 128,
        predict_hop: int | None = None,
        n_ensemble: int = 3,
        callbacks: list[tuple[str, Any]] | None = None,
        net_params: dict[str, Any] | None = None,
        warm_start: bool = False,
        device: str | torch.device = "cpu",
        mixed_precision: bool = False,
        n_threads: int | None = 1,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        self.architecture = architecture
        self.n_filters = n_filters
        self.filter_size = filter_size
        self.n_conv_layers = n_conv_layers
        self.pool_size = pool_size
        self.lstm_hidden_size = lstm_hidden_size
        self.lstm_layers = lstm_layers
        self.pooling = pooling
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.train_chunk = train_chunk
        self.chunking = chunking
        self.freq_mask = freq_mask
        self.time_mask = time_mask
        self.mixup = mixup
        self.refit = refit
        self.predict_window = predict_window
        self.predict_hop = predict_hop
        self.n_ensemble = n_ensemble
        self.callbacks = callbacks
        self.net_params = net_params
        self.warm_start = warm_start
        self.device = device
        self.mixed_precision = mixed_precision
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ hooks for subclasses
    _stratify = False

    def __setstate__(self, state: dict) -> None:
        """Restore a pickled estimator; a CUDA model on a machine without CUDA moves to CPU.

        A pickle of an earlier version gets the parameters added since at their defaults.

        skorch's ``NeuralNet.__setstate__`` already maps the weights of a CUDA-trained net to
        the CPU when no GPU is present (with a ``DeviceWarning``); the estimator's ``device``
        parameter follows it, so that predicting, ``clone`` and refitting all work.
        """
        super().__setstate__(state)
        # pickles of older versions: parameters added since take their defaults
        for name, param in inspect.signature(type(self)).parameters.items():
            self.__dict__.setdefault(name, param.default)
        if "_y_1d" in self.__dict__:  # renamed y_ndim_ (a fitted attribute ends in "_")
            self.y_ndim_ = 1 if self.__dict__.pop("_y_1d") else 2
        if "classes_" in self.__dict__:
            self.__dict__.setdefault("class_weight_", None)
        net = self.__dict__.get("net_")
        wanted = str(self.__dict__.get("device", "cpu"))
        if net is not None and wanted.startswith("cuda") and str(net.device) == "cpu":
            warnings.warn(
                f"{type(self).__name__} was fitted with device={wanted!r}, but CUDA is not "
                "available here: its weights were loaded on the CPU and device is now 'cpu'.",
                UserWarning,
                stacklevel=2,
            )
            self.device = "cpu"

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

    def _module_options(self) -> dict[str, Any]:
        """Return the module arguments fixed by the estimator's kind (beyond ``MODULE_PARAMS``)."""
        return {}

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
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if self.refit and not self.early_stopping:
            raise ValueError(
                "refit=True trains again on every clip for the number of epochs early "
                "stopping chose; it needs early_stopping=True."
            )
        warm = self.warm_start and hasattr(self, "nets_")
        if warm and self.refit:
            raise ValueError(
                "warm_start=True continues training the fitted networks; refit=True would "
                "train new ones: set one of them to False."
            )
        if warm and len(self.nets_) != self.n_ensemble:
            raise ValueError(
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
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # (n_samples, n_frames, n_coefficients)
        return tags


def _seeded(seed: int, train: Callable[..., Any], *args: Any) -> None:
    """Call ``train(*args)`` with torch's random state seeded, and restore it afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        train(*args)


def extends_signature(base_init: Callable) -> Callable[[Callable], Callable]:
    """Give a subclass ``__init__(self, *, <its own>, **params)`` the base's full signature.

    scikit-learn reads an estimator's parameters from its ``__init__`` signature: the
    subclass's own keyword-only parameters follow the base's, which are then written in one
    place only (the base ``__init__``).
    """

    def decorate(init: Callable) -> Callable:
        own = inspect.signature(init).parameters.values()
        base = inspect.signature(base_init)
        extra = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
        # a function takes a __signature__ (inspect reads it); mypy's Callable has none
        init.__signature__ = base.replace(  # type: ignore[attr-defined]
            parameters=[*base.parameters.values(), *extra]
        )
        return init

    return decorate
