"""The network settings, declared once: name, default, rule, type, text, and their reader.

Every hyperparameter of the hybrid CNN + LSTM estimators is one :class:`Param` below, and
everything else is derived from these records, never written a second time:

- the estimators' ``__init__`` signatures and bodies (:func:`declared_init`; scikit-learn
  reads the parameters from the signature),
- their ``_parameter_constraints`` (:func:`parameter_constraints`),
- the "Parameters" section of their docstrings (:func:`~sk_deepsense.neural._docs.params_doc`)
  and of :class:`~sk_deepsense.neural.HybridCNNLSTMModule`'s,
- the torch module's arguments: the records with ``module=True`` are the module's settings
  (:data:`MODULE_PARAMS`), which the module takes without defaults of its own and
  :func:`~sk_deepsense.neural._net.make_net` passes from the estimator (:func:`module_settings`).

``tests/test_params.py`` checks that the signatures, constraints, docstrings and the module
agree with the records.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import torch
from sklearn.utils._param_validation import Interval, Options, StrOptions
from skorch.callbacks import Callback

from .._choices import ARCHITECTURES, POOLINGS
from ..exceptions import ParameterTypeError
from ._mixup import _MixupNet

__all__ = [
    "CLASS_WEIGHT",
    "MODULE_PARAMS",
    "NETWORK_PARAMS",
    "SERIES_TARGET_PARAMS",
    "WINDOW_PARAMS",
    "CallbackList",
    "DeviceName",
    "NetOptions",
    "Param",
    "declared_init",
    "module_defaults",
    "module_settings",
    "parameter_constraints",
]


@dataclass(frozen=True)
class Param:
    """One hyperparameter of the network estimators.

    Attributes
    ----------
    name : str
        The parameter's name (the ``__init__`` keyword and the attribute).
    default : object
        Its default value: the signature's, the docstring's, and the module's.
    constraints : list
        scikit-learn's parameter constraints (``_parameter_constraints[name]``).
    annotation : str
        The type annotation of the signature.
    type_doc : str
        The type in the numpydoc "Parameters" section (e.g. ``"int or None"``).
    doc : str
        The description, unindented; ``{stratified}`` and ``{warm_classes}`` are filled in
        per estimator (:func:`~sk_deepsense.neural._docs.params_doc`).
    module : bool
        Whether the torch module takes it (as ``module__<name>`` of the skorch net).
    """

    name: str
    default: Any
    constraints: list[Any]
    annotation: str
    type_doc: str
    doc: str
    module: bool = False

    @property
    def default_doc(self) -> str:
        """The default as the docstring writes it (``"hybrid"`` in double quotes)."""
        return f'"{self.default}"' if isinstance(self.default, str) else repr(self.default)


def _param(
    name: str,
    default: Any,
    constraints: list[Any],
    annotation: str,
    *,
    doc: str,
    type_doc: str | None = None,
    module: bool = False,
) -> Param:
    return Param(
        name=name,
        default=default,
        constraints=constraints,
        annotation=annotation,
        type_doc=type_doc or annotation.replace(" | ", " or "),
        doc=doc.strip("\n"),
        module=module,
    )


def _one_of(names: Iterable[str]) -> str:
    return "{" + ", ".join(f'"{n}"' for n in names) + "}"


class DeviceName(StrOptions):
    """The ``device`` constraint: ``"auto"`` or a device string that ``torch.device`` accepts.

    A :class:`~sklearn.utils._param_validation.StrOptions` (so that scikit-learn's parameter
    validation takes it as it is) whose test is ``torch.device`` itself: ``"cpu"``,
    ``"cuda"``, ``"cuda:1"`` and ``"mps"`` pass, ``"gpu"`` or ``"cuda:x"`` do not, and the
    estimator's ``_validate_params`` says so before any data is read.
    """

    def __init__(self) -> None:
        super().__init__({"auto", "cpu", "cuda", "mps"})

    def is_satisfied_by(self, val: Any) -> bool:
        """Tell whether ``val`` is ``"auto"`` or a string ``torch.device`` accepts."""
        if not isinstance(val, str):
            return False
        if val == "auto":
            return True
        try:
            torch.device(val)
        except (RuntimeError, ValueError, TypeError):
            return False
        return True

    def __str__(self) -> str:
        return (
            "'auto' (CUDA when available, else the CPU) or a device name torch accepts, "
            "e.g. 'cpu', 'cuda', 'cuda:1' or 'mps'"
        )


class CallbackList(Options):
    """The ``callbacks`` constraint: a list of ``(name, callback)`` pairs.

    Each name a string, each callback a skorch ``Callback`` (an instance or a class) or
    ``None`` (which removes the built-in callback of that name), so that a wrong item is
    refused by ``_validate_params`` instead of by skorch once training starts.
    """

    def __init__(self) -> None:
        super().__init__(list, set())

    def is_satisfied_by(self, val: Any) -> bool:
        """Tell whether ``val`` is a list of ``(str, Callback or None)`` pairs."""
        return isinstance(val, list) and all(
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and (
                item[1] is None
                or isinstance(item[1], Callback)
                or (isinstance(item[1], type) and issubclass(item[1], Callback))
            )
            for item in val
        )

    def __str__(self) -> str:
        return "a list of (name, callback) tuples, each callback a skorch Callback or None"


class NetOptions(Options):
    """The ``net_params`` constraint: a dict of options the skorch net accepts.

    Checked by building (not initializing) the net with them: an unknown option (a typo,
    an option of another library) is refused by ``_validate_params`` before any training.
    """

    def __init__(self) -> None:
        super().__init__(dict, set())

    def is_satisfied_by(self, val: Any) -> bool:
        """Tell whether the net can be built with the options of ``val``."""
        if not (isinstance(val, dict) and all(isinstance(k, str) for k in val)):
            return False
        try:
            # the module's class does not matter: a net checks option names, not the module's
            options = {"module": torch.nn.Module, "criterion": torch.nn.MSELoss, **val}
            net = _MixupNet(**options)
            # skorch registers these prefixes as it initializes them, then checks the names
            net.prefixes_ = [*net.prefixes_, "module", "criterion", "optimizer"]
            net._validate_params()
        except (TypeError, ValueError):
            return False
        return True

    def __str__(self) -> str:
        return (
            "a dict of options of skorch's NeuralNet (e.g. {'optimizer__betas': (0.9, 0.99)}; "
            "unknown names are refused)"
        )


_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
#: Names accepted by ``chunking``.
CHUNKINGS = ("consecutive", "random")

#: The settings of :class:`~sk_deepsense.neural.BaseHybridCNNLSTM`, in signature order.
NETWORK_PARAMS: tuple[Param, ...] = (
    _param(
        "architecture",
        "hybrid",
        [StrOptions(set(ARCHITECTURES))],
        "str",
        type_doc=_one_of(ARCHITECTURES),
        module=True,
        doc="""
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
""",
    ),
    _param(
        "n_filters",
        16,
        [_POSITIVE_INT],
        "int",
        module=True,
        doc="""
Filters per convolution layer.
""",
    ),
    _param(
        "filter_size",
        5,
        [_POSITIVE_INT],
        "int",
        module=True,
        doc="""
Length of each filter along the coefficient axis. Its height in time is always one
frame: the hybrid 1-D CNN looks for spectral-envelope patterns inside one frame.
(For ``"conv1d"`` it is the filter's length in frames, for ``"conv2d"`` both sides.)
""",
    ),
    _param(
        "n_conv_layers",
        2,
        [_POSITIVE_INT],
        "int",
        module=True,
        doc="""
Stacked convolution layers.
""",
    ),
    _param(
        "pool_size",
        2,
        [_POSITIVE_INT],
        "int",
        module=True,
        doc="""
Max-pooling width along the coefficient axis after each convolution (1 disables it;
``"conv1d"`` has no coefficient axis to pool and ignores it).
""",
    ),
    _param(
        "lstm_hidden_size",
        64,
        [_POSITIVE_INT],
        "int",
        module=True,
        doc="""
Size of the unidirectional LSTM's state.
""",
    ),
    _param(
        "lstm_layers",
        1,
        [_POSITIVE_INT],
        "int",
        module=True,
        doc="""
Stacked LSTM layers.
""",
    ),
    _param(
        "pooling",
        "meanstd",
        [StrOptions(set(POOLINGS))],
        "str",
        type_doc=_one_of(POOLINGS),
        module=True,
        doc="""
Clip summary of the LSTM states: their mean over the real frames; their mean and
standard deviation (statistics pooling, which tells the output layer how much the
music changes, as the std features of the classical baselines do); or the last real
frame's state.
""",
    ),
    _param(
        "dropout",
        0.2,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        module=True,
        doc="""
Dropout on frame features, between LSTM layers and before the output layer.
""",
    ),
    _param(
        "max_epochs",
        200,
        [_POSITIVE_INT],
        "int",
        doc="""
Maximum passes over the training data (early stopping usually ends sooner: with
random crops an epoch is one crop per clip).
""",
    ),
    _param(
        "batch_size",
        32,
        [_POSITIVE_INT],
        "int",
        doc="""
Clips per gradient step (and per inference batch).
""",
    ),
    _param(
        "lr",
        0.003,
        [Interval(Real, 0, None, closed="neither")],
        "float",
        doc="""
AdamW learning rate.
""",
    ),
    _param(
        "weight_decay",
        0.0001,
        [Interval(Real, 0, None, closed="left")],
        "float",
        doc="""
AdamW weight decay.
""",
    ),
    _param(
        "early_stopping",
        True,
        ["boolean"],
        "bool",
        doc="""
Hold out ``validation_fraction`` of the training data{stratified}, stop when its loss
has not improved for ``patience`` epochs and restore the best epoch's weights.
""",
    ),
    _param(
        "validation_fraction",
        0.15,
        [Interval(Real, 0, 1, closed="neither")],
        "float",
        doc="""
Fraction held out for early stopping.
""",
    ),
    _param(
        "patience",
        25,
        [_POSITIVE_INT],
        "int",
        doc="""
Epochs without validation improvement before stopping.
""",
    ),
    _param(
        "train_chunk",
        128,
        [_POSITIVE_INT, None],
        "int | None",
        doc="""
Train on pieces of this many frames of each training sequence (about 6 s at
:class:`~sk_deepsense.LogMelTransformer`'s default 46 ms hop), each labelled with
its clip's target (see ``chunking``); ``None`` trains on whole sequences. Short
pieces multiply the training examples and shorten the sequences the LSTM is trained
on; on 4Q they score better than whole sequences and train faster (see the
benchmarks page). With ``"consecutive"`` chunks, a clip's last piece is used only if
it has at least ``train_chunk // 2`` frames (or is the clip's only piece). The
validation clips of early stopping are split off first and scored whole.
""",
    ),
    _param(
        "chunking",
        "random",
        [StrOptions(set(CHUNKINGS))],
        "str",
        type_doc=_one_of(CHUNKINGS),
        doc="""
How ``train_chunk`` cuts the training clips: ``"consecutive"`` cuts every clip into
fixed, back-to-back chunks once; ``"random"`` draws one window of ``train_chunk``
frames at a random offset from every clip in every epoch (data augmentation: an
epoch then has one example per clip).
""",
    ),
    _param(
        "freq_mask",
        0.125,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        module=True,
        doc="""
SpecAugment-style masking while training (Park et al., 2019): in every training
example, one band of consecutive coefficients, up to this fraction of them (width
and position drawn at random), is set to the training mean. 0: off; 0.125 masks up
to 8 of 64 mel bands, 2 of 20 MFCCs. Never applied at prediction.
""",
    ),
    _param(
        "time_mask",
        0.125,
        [Interval(Real, 0, 1, closed="left")],
        "float",
        module=True,
        doc="""
Likewise, one span of consecutive real frames per training example, up to this
fraction of its frames (16 frames of a 128-frame crop at 0.125). 0: off.
""",
    ),
    _param(
        "mixup",
        0.2,
        [Interval(Real, 0, None, closed="left")],
        "float",
        doc="""
Mixup (Zhang et al., 2018): each training batch is blended with a shuffled copy of
itself, ``lam * x + (1 - lam) * x[perm]`` with ``lam ~ Beta(mixup, mixup)``, and the
loss is the same blend of the losses against both targets. 0: off; 0.2 to 0.4 is
usual.
""",
    ),
    _param(
        "refit",
        False,
        ["boolean"],
        "bool",
        doc="""
With ``early_stopping``: once early stopping has chosen the number of epochs
(``best_epoch_``) on its held-out clips, train again from the same initial weights on
**every** clip for that many epochs, so that no clip is left out of the final model
(about 1.8x the training time). Requires ``early_stopping=True``.
""",
    ),
    _param(
        "predict_window",
        128,
        [_POSITIVE_INT, None],
        "int | None",
        doc="""
``None``: a clip's prediction is one pass of the network over the whole clip. An int:
the prediction averages the network's outputs over windows of ``predict_window``
frames that cover the whole clip (class probabilities are averaged for the
classifier, targets for the regressor), the way the network saw the clips when
trained on ``train_chunk`` crops. The per-frame predictions
(``predict_proba_frames`` / ``predict_frames``) always run over the whole clip.
""",
    ),
    _param(
        "predict_hop",
        None,
        [_POSITIVE_INT, None],
        "int | None",
        doc="""
Frames between the starts of consecutive prediction windows; ``None`` means half a
window. The last window always ends at the clip's last frame.
""",
    ),
    _param(
        "n_ensemble",
        3,
        [_POSITIVE_INT],
        "int",
        doc="""
Networks trained from different seeds (each with its own validation split) and
averaged at prediction (class probabilities, or regression targets): less variance
from one unlucky initialisation, for ``n_ensemble`` times the training and
prediction cost.
""",
    ),
    _param(
        "callbacks",
        None,
        [CallbackList(), None],
        "list[tuple[str, Any]] | None",
        type_doc="list of (str, skorch.callbacks.Callback) or None",
        doc="""
Extra skorch callbacks of every network (e.g. ``("progress",
skorch.callbacks.ProgressBar())``, an LR scheduler, a checkpoint). They come after
the built-in ones, ``"clip"`` (gradient-norm clipping at 5) and, with
``early_stopping``, ``"early_stopping"``; a pair with a built-in's name replaces it,
and ``(name, None)`` removes it. The same callback objects serve the
``n_ensemble`` networks, which train one after the other.
""",
    ),
    _param(
        "net_params",
        None,
        [NetOptions(), None],
        "dict[str, Any] | None",
        type_doc="dict or None",
        doc="""
Further arguments of the :class:`skorch.NeuralNet` (skorch's ``prefix__name``
routing), which override the ones this estimator sets: e.g.
``{"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9,
"iterator_train__num_workers": 2}``. The defaults are AdamW (``lr``,
``weight_decay``), ``max_epochs``, ``batch_size``, shuffled training batches and the
module's hyperparameters as ``module__*``. A name skorch does not know is refused
by the parameter check, before any training.
""",
    ),
    _param(
        "warm_start",
        False,
        ["boolean"],
        "bool",
        doc="""
Whether a second ``fit`` trains the fitted networks further (for up to
``max_epochs`` more epochs, their optimizer state and ``history_`` carrying on;
early stopping on a new validation split) instead of training new ones. Not with
``refit``. The standardization statistics stay those of the first fit, and the new
data must have the same coefficients{warm_classes}.
""",
    ),
    _param(
        "device",
        "cpu",
        [DeviceName(), torch.device],
        "str | torch.device",
        doc="""
Torch device to train and predict on: a name ``torch.device`` accepts (``"cpu"``,
``"cuda"``, ``"cuda:1"``, ``"mps"``) or ``"auto"`` (CUDA when available). Other
names (``"gpu"``) are refused by the parameter check, and ``fit`` refuses a device
this machine cannot use before it trains.
""",
    ),
    _param(
        "mixed_precision",
        False,
        ["boolean"],
        "bool",
        doc="""
Run the network's forward passes under bfloat16 autocast (convolutions, LSTM and
dense layers in bfloat16; the loss, the optimizer step and the outputs in float32).
Faster on GPUs with bfloat16 units (Ampere and later) and safe without loss scaling,
since bfloat16 keeps float32's range; outputs differ from float32 ones by about 1e-3.
On CPUs without bfloat16 instructions it is usually slower: keep it off there.
""",
    ),
    _param(
        "n_threads",
        1,
        [_POSITIVE_INT, None],
        "int | None",
        doc="""
Torch intra-op (and BLAS) threads during ``fit`` and ``predict``, set for the call
and restored afterwards; ``None`` leaves the process's setting (by default, one
thread per core). One thread is the default because these networks are small: on 2
cores a second thread speeds one fit up by well under 2x, while two processes that
each use every core (two fits, a grid search with ``n_jobs=2`` beside anything
else) slow each other down many times over; with one thread per fit, parallel fits
scale with the cores and a seeded fit gives the same model whatever the number of
cores (see the user guide's thread policy).
""",
    ),
    _param(
        "random_state",
        None,
        ["random_state"],
        "int | np.random.RandomState | None",
        type_doc="int, RandomState instance or None",
        doc="""
Seeds weight initialisation, batch shuffling, dropout and the validation split. The
same seed gives the same model on the same CPU with the same number of torch threads
(``n_threads``; summation order, hence rounding, depends on both, and
training amplifies rounding: on another CPU, expect a fit as different as one with
another seed). Torch's global random state is left as it was.
""",
    ),
    _param(
        "verbose",
        0,
        ["verbose"],
        "int",
        doc="""
``>0`` prints skorch's table of epochs to standard error, one per network, each
headed ``network i of n_ensemble:``, coloured only when standard error is a
terminal (and ``NO_COLOR`` is unset).
""",
    ),
)
CLASS_WEIGHT = _param(
    "class_weight",
    None,
    [StrOptions({"balanced"}), dict, None],
    "dict | str | None",
    type_doc='dict, "balanced" or None',
    doc="""
Weights of the classes in the cross-entropy loss (the criterion's ``weight``):
``{label: weight}`` (classes not named weigh 1), ``"balanced"`` (``n_samples /
(n_classes * count)``, as :func:`sklearn.utils.class_weight.compute_class_weight`),
or ``None`` (all 1). The validation loss of early stopping is weighted alike.
""",
)
SERIES_TARGET_PARAMS: tuple[Param, ...] = (
    _param(
        "frame_rate",
        None,
        [Interval(Real, 0, None, closed="neither"), None],
        "float | None",
        doc="""
Feature frames per second (``sr / hop_length`` of the transformer:
``MFCCTransformer().frame_rate`` is 43.07, ``LogMelTransformer().frame_rate`` 21.53).
Needed with ``target_hop``, to align the target steps with the frames by time.
""",
    ),
    _param(
        "target_hop",
        None,
        [Interval(Real, 0, None, closed="neither"), None],
        "float | None",
        doc="""
Seconds between the target steps of ``y`` (0.5 for DEAM, emoMusic and PMEmo).
``None``: one target step per feature frame.
""",
    ),
    _param(
        "target_offset",
        0.0,
        [Real],
        "float",
        doc="""
Time of target step 0 in seconds from the start of the features (e.g. 15.0 for the
emoMusic/DEAM annotations of a clip read from its start, or 0.0 if the transformer's
``offset`` already skips those 15 s).
""",
    ),
)

#: The settings the torch module takes (``module=True``), in declaration order.
MODULE_PARAMS: tuple[Param, ...] = tuple(p for p in NETWORK_PARAMS if p.module)
#: The settings of windowed clip prediction, which a model of per-frame series has not.
WINDOW_PARAMS = ("predict_window", "predict_hop")


def parameter_constraints(params: Iterable[Param]) -> dict[str, list[Any]]:
    """Return the ``_parameter_constraints`` of an estimator with these settings."""
    return {p.name: list(p.constraints) for p in params}


def declared_init(params: Iterable[Param]) -> Callable[..., None]:
    """Return an ``__init__(self, *, <params>)`` that stores each parameter unchanged.

    Its signature (``__signature__``, which :func:`inspect.signature` and scikit-learn's
    ``get_params`` read) lists the parameters keyword-only, with their defaults and
    annotations; an unknown keyword is a ``TypeError``, as for a written ``__init__``.
    """
    params = tuple(params)
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    signature = inspect.Signature(
        [
            self_param,
            *(
                inspect.Parameter(
                    p.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=p.default,
                    annotation=p.annotation,
                )
                for p in params
            ),
        ],
        return_annotation="None",
    )

    def __init__(self: Any, **kwargs: Any) -> None:  # noqa: N807 - it is an __init__
        bound = signature.bind(self, **kwargs)  # TypeError naming an unknown keyword
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            if name != "self":
                setattr(self, name, value)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    __init__.__doc__ = "Store the parameters (see the class docstring)."
    return __init__


def module_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Pick the torch module's settings (:data:`MODULE_PARAMS`) from parameter values.

    ``values`` is an estimator's ``get_params()`` (or any mapping of every module setting).
    """
    return {p.name: values[p.name] for p in MODULE_PARAMS}


def module_defaults(**overrides: Any) -> dict[str, Any]:
    """Return the module's settings at their declared defaults, ``overrides`` applied."""
    unknown = set(overrides) - {p.name for p in MODULE_PARAMS}
    if unknown:
        raise ParameterTypeError(f"not settings of the module: {sorted(unknown)}")
    return {**{p.name: p.default for p in MODULE_PARAMS}, **overrides}
