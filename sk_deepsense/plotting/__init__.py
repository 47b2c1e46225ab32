"""Figures for music emotion recognition.

Confusion matrices, the arousal-valence plane, emotion timelines and training curves, one
module per kind of figure.

Every plotting function draws on the matplotlib :class:`~matplotlib.axes.Axes` given as ``ax``
and returns that ``Axes``, so figures can be composed and restyled afterwards. With
``ax=None`` it makes a new figure with :func:`matplotlib.pyplot.subplots`, for interactive
use. To save a figure from a script without pyplot or any backend choice, draw on the axes
of :func:`new_figure` and call ``fig.savefig``: the command line does so.

This package imports matplotlib; ``import sk_deepsense`` does not import it. No backend is
ever selected here (the package never calls ``matplotlib.use``).
:func:`~sk_deepsense.timeline.predict_timeline` computes the per-frame predictions that
:func:`plot_emotion_timeline` draws; it lives in :mod:`sk_deepsense.timeline`, a layer above
this package (it imports this package to draw; this package never imports it).

Arousal and valence are always given in this package's column order, ``(arousal, valence)``,
and drawn on Russell's plane: **valence on x, arousal on y**. The quadrants are those of
:func:`sk_deepsense.datasets.quadrant_from_av`: Q1 happy (high arousal, positive valence),
Q2 angry / tense (high, negative), Q3 sad (low, negative), Q4 calm (low, positive).
"""

# Eager on purpose: importing sk_deepsense.plotting is expected to import matplotlib (the
# package root, which is lazy, loads this module only when a plotting name is used).
from ._arousal_valence import plot_arousal_valence
from ._common import new_figure
from ._confusion import plot_confusion_matrix
from ._curves import plot_training_curves
from ._timeline import plot_emotion_timeline

__all__ = [
    "new_figure",
    "plot_arousal_valence",
    "plot_confusion_matrix",
    "plot_emotion_timeline",
    "plot_training_curves",
]
