"""What an estimator can do, declared by the estimator: scikit-learn tags, extended.

The rest of the package never recognises an estimator by its class, its module or a probe
for an attribute; it asks :func:`capabilities`, and an estimator declares what it can do in
its ``__sklearn_tags__`` (scikit-learn's way to extend tags, a dataclass deriving from
:class:`sklearn.utils.Tags`)::

    def __sklearn_tags__(self):
        return declare(super().__sklearn_tags__(), network=True)

An estimator that declares nothing has every capability off. The capabilities:

``network``
    Trained epoch by epoch (skorch): has the parameters ``verbose`` and ``device`` and, once
    fitted, ``n_parameters_`` (trainable parameters) and ``history_`` (one row per epoch).
    The benchmark reads both columns from it, schedules it first and draws it in the
    networks' colour; ``train`` silences its epoch table during cross-validation.
``frame_predictions``
    Predicts every feature frame as well as the clip: a classifier has
    ``predict_proba_frames(X)``, a regressor ``predict_frames(X)``, each
    ``(n_clips, n_frames, n_outputs)`` with NaN at padding frames. Timelines
    (:func:`~sk_deepsense.timeline.predict_timeline`, ``predict --plot``) need it.
``series_output``
    Predicts a series of values per clip (``predict`` gives ``(n_clips, n_steps, ...)``),
    not one value per clip: the commands that give one prediction per file refuse it.
``label_is_argmax``
    A classifier whose ``predict(X)`` is ``classes_[argmax(predict_proba(X))]``, so that one
    ``predict_proba`` call gives both (:func:`~sk_deepsense.batch.prediction_records`).
``feature_stream``
    A feature transformer with ``feature_stream()``: its frames computed chunk by chunk
    from the audio, equal to ``transform``'s (:class:`~sk_deepsense.EmotionStream` needs it).

This module imports scikit-learn; only modules that already need it import this one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sklearn.utils import Tags, TargetTags, get_tags

from .exceptions import ParameterTypeError

__all__ = ["CAPABILITIES", "DeepsenseTags", "capabilities", "declare", "final_step"]


@dataclass(slots=True)
class DeepsenseTags(Tags):
    """scikit-learn's :class:`~sklearn.utils.Tags` and this package's capabilities.

    Attributes
    ----------
    network : bool, default=False
        Trained by epochs; fitted ``n_parameters_`` and ``history_``.
    frame_predictions : bool, default=False
        ``predict_proba_frames`` (classifier) or ``predict_frames`` (regressor).
    series_output : bool, default=False
        A series of values per clip, not one.
    label_is_argmax : bool, default=False
        ``predict`` is the class of highest ``predict_proba``.
    feature_stream : bool, default=False
        A transformer with ``feature_stream()``, its frames chunk by chunk.
    """

    network: bool = False
    frame_predictions: bool = False
    series_output: bool = False
    label_is_argmax: bool = False
    feature_stream: bool = False


#: The capability names, in the order of :class:`DeepsenseTags`.
CAPABILITIES = (
    "network",
    "frame_predictions",
    "series_output",
    "label_is_argmax",
    "feature_stream",
)


def declare(tags: Tags, **capabilities: bool) -> DeepsenseTags:
    """Return ``tags`` (from ``super().__sklearn_tags__()``) with ``capabilities`` set.

    Parameters
    ----------
    tags : sklearn.utils.Tags
        The tags the parent class gives (a :class:`DeepsenseTags` keeps the capabilities a
        parent declared).
    **capabilities : bool
        Names of :data:`CAPABILITIES` and their values.

    Returns
    -------
    DeepsenseTags
        The tags, extended.
    """
    unknown = set(capabilities) - set(CAPABILITIES)
    if unknown:
        raise ParameterTypeError(
            f"unknown capabilities {sorted(unknown)}; known: {list(CAPABILITIES)}"
        )
    values = {f.name: getattr(tags, f.name) for f in fields(tags)}
    return DeepsenseTags(**{**values, **capabilities})


def final_step(model: Any) -> Any:
    """Return the estimator that predicts: a pipeline's last step (nested ones too).

    Parameters
    ----------
    model : estimator
        An estimator or a :class:`~sklearn.pipeline.Pipeline`.

    Returns
    -------
    estimator
        ``model`` itself if it is no pipeline.
    """
    from sklearn.pipeline import Pipeline

    while isinstance(model, Pipeline):
        model = model.steps[-1][1]
    return model


def capabilities(estimator: Any) -> DeepsenseTags:
    """Return what ``estimator`` declares it can do (a pipeline: its final step).

    Parameters
    ----------
    estimator : estimator
        Any scikit-learn estimator, or a pipeline ending in one.

    Returns
    -------
    DeepsenseTags
        Its tags; every capability off where it declares none (e.g. scikit-learn's own
        estimators, or an object that is no scikit-learn estimator).
    """
    try:
        tags = get_tags(final_step(estimator))
    except AttributeError:  # no __sklearn_tags__: not an estimator, it declares nothing
        return DeepsenseTags(estimator_type=None, target_tags=TargetTags(required=False))
    return tags if isinstance(tags, DeepsenseTags) else declare(tags)
