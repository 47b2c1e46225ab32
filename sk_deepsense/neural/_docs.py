"""The docstring sections the network estimators share (parameters, attributes, notes).

The "Parameters" section is written from the declaration of the settings
(:mod:`sk_deepsense.neural._params`), never by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

from ._params import Param

__all__: list[str] = []


def params_doc(params: Iterable[Param], *, stratified: str = "", warm_classes: str = "") -> str:
    """Return the numpydoc "Parameters" section of an estimator with these settings.

    Each entry is written from its :class:`~sk_deepsense.neural._params.Param` record (name,
    type, default, text); ``stratified`` and ``warm_classes`` fill the placeholders of the
    texts that differ between the classifier and the regressors.
    """
    lines = ["", "    Parameters", "    ----------"]
    for p in params:
        lines.append(f"    {p.name} : {p.type_doc}, default={p.default_doc}")
        text = p.doc.replace("{stratified}", stratified).replace("{warm_classes}", warm_classes)
        lines += [f"        {line}" if line else "" for line in text.split("\n")]
    return "\n".join(lines) + "\n"


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
