"""Russell's circumplex quadrants: from (arousal, valence) to "Q1".."Q4" and back."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from ..exceptions import ParameterError

__all__ = [
    "QUADRANTS",
    "QUADRANT_CENTRES",
    "QUADRANT_MOODS",
    "av_from_quadrant",
    "quadrant_from_av",
    "quadrant_position",
]

#: The quadrant labels, in order.
QUADRANTS: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4")

#: The mood each quadrant names, in words (the captions of plots, maps and playlists).
QUADRANT_MOODS: dict[str, str] = {"Q1": "happy", "Q2": "angry / tense", "Q3": "sad", "Q4": "calm"}

# (arousal sign, valence sign) of each quadrant.
_SIGNS = {"Q1": (1.0, 1.0), "Q2": (1.0, -1.0), "Q3": (-1.0, -1.0), "Q4": (-1.0, 1.0)}


def quadrant_from_av(arousal: ArrayLike, valence: ArrayLike) -> np.ndarray:
    """Map (arousal, valence) values to Russell quadrant labels.

    Q1: high arousal, positive valence (happy); Q2: high arousal, negative valence (angry,
    tense); Q3: low arousal, negative valence (sad); Q4: low arousal, positive valence (calm).
    The values must be on a scale centred on 0 (e.g. the common [-1, 1] scale of the loaders);
    a value of exactly 0 counts as high arousal / positive valence.

    Parameters
    ----------
    arousal : array-like of float [shape=(n,)] or float
        Arousal values, centred on 0.
    valence : array-like of float [shape=(n,)] or float
        Valence values, centred on 0, broadcastable against ``arousal``.

    Returns
    -------
    labels : np.ndarray of str [shape=(n,)]
        ``"Q1"``, ``"Q2"``, ``"Q3"`` or ``"Q4"`` per value (a 0-d array for scalar input).

    Raises
    ------
    ValueError
        If a value is NaN or infinite, or the shapes do not broadcast.

    Examples
    --------
    >>> quadrant_from_av([0.5, 0.5, -0.2, -0.9], [0.3, -0.7, -0.1, 0.8]).tolist()
    ['Q1', 'Q2', 'Q3', 'Q4']
    """
    a = np.asarray(arousal, dtype=float)
    v = np.asarray(valence, dtype=float)
    try:
        a, v = np.broadcast_arrays(a, v)
    except ValueError as exc:
        raise ParameterError(
            f"arousal and valence must have the same shape, got {a.shape} and {v.shape}"
        ) from exc
    if not (np.isfinite(a).all() and np.isfinite(v).all()):
        raise ParameterError("arousal and valence must be finite (found NaN or inf)")
    high = a >= 0
    positive = v >= 0
    return np.where(high, np.where(positive, "Q1", "Q2"), np.where(positive, "Q4", "Q3"))


def av_from_quadrant(labels: Iterable[str] | ArrayLike) -> np.ndarray:
    """Map Russell quadrant labels to the signs of (arousal, valence).

    Parameters
    ----------
    labels : array-like of str [shape=(n,)]
        ``"Q1"``, ``"Q2"``, ``"Q3"`` or ``"Q4"`` (surrounding whitespace is ignored).

    Returns
    -------
    signs : np.ndarray of float [shape=(n, 2)]
        Columns (arousal, valence), each ``+1.0`` or ``-1.0``.

    Raises
    ------
    ValueError
        If a label is not one of the four quadrants; the message lists the bad labels.

    Examples
    --------
    >>> av_from_quadrant(["Q1", "Q2", "Q3", "Q4"])
    array([[ 1.,  1.],
           [ 1., -1.],
           [-1., -1.],
           [-1.,  1.]])
    >>> quadrant_from_av(*av_from_quadrant(["Q3", "Q4"]).T).tolist()
    ['Q3', 'Q4']
    """
    arr = np.asarray(labels, dtype=object).ravel()
    cleaned = [str(x).strip() for x in arr]
    bad = sorted({x for x in cleaned if x not in _SIGNS})
    if bad:
        raise ParameterError(f"Unknown quadrant label(s) {bad}; expected one of {list(QUADRANTS)}")
    return np.array([_SIGNS[x] for x in cleaned], dtype=float).reshape(len(cleaned), 2)


#: (arousal, valence) of each quadrant's centre on the common [-1, 1] scale: the middle of
#: its quarter of the plane (Q1 happy: high arousal, positive valence; Q2 angry / tense:
#: high, negative; Q3 sad: low, negative; Q4 calm: low, positive).
QUADRANT_CENTRES: dict[str, tuple[float, float]] = {
    "Q1": (0.5, 0.5),
    "Q2": (0.5, -0.5),
    "Q3": (-0.5, -0.5),
    "Q4": (-0.5, 0.5),
}


def quadrant_position(
    probabilities: Mapping[str, float],
    centres: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[float, float]:
    """Place class probabilities on the arousal-valence plane.

    The probability-weighted mean of the classes' centres: ``sum_c p_c * centre_c /
    sum_c p_c``. With the quadrant centres (:data:`QUADRANT_CENTRES`, ``(±0.5, ±0.5)``), a
    sure Q1 lands at (0.5, 0.5), a tie between Q1 and Q4 at (0, 0.5) (positive valence, no
    arousal either way), and a flat distribution at the origin: the further from the
    centre of the plane, the surer the model.

    Parameters
    ----------
    probabilities : mapping of str to float
        Class name -> probability (as in a record's ``probabilities``).
    centres : mapping of str to (float, float), optional
        Class name -> (arousal, valence). By default the quadrants' centres; give centres
        for other class names (e.g. ``{"happy": (0.5, 0.5), ...}``).

    Returns
    -------
    arousal, valence : float
        The position, on the scale of the centres.

    Raises
    ------
    ValueError
        If a class with a positive probability has no centre, or the probabilities are
        not finite, negative, or sum to zero.

    Examples
    --------
    >>> from sk_deepsense.library import quadrant_position
    >>> quadrant_position({"Q1": 1.0, "Q2": 0.0, "Q3": 0.0, "Q4": 0.0})
    (0.5, 0.5)
    >>> quadrant_position({"Q1": 0.5, "Q4": 0.5})
    (0.0, 0.5)
    >>> quadrant_position({"calm": 0.8, "tense": 0.2}, {"calm": (-1, 1), "tense": (1, -1)})
    (-0.6, 0.6)
    """
    centres = QUADRANT_CENTRES if centres is None else centres
    total = arousal = valence = 0.0
    for name, p in probabilities.items():
        p = float(p)
        if not math.isfinite(p) or p < 0:
            raise ParameterError(f"probability of {name!r} is {p}: not a finite number >= 0")
        if p == 0:
            continue
        if name not in centres:
            raise ParameterError(
                f"class {name!r} has no place on the arousal-valence plane: give its centre "
                f"(centres={{{name!r}: (AROUSAL, VALENCE)}}, or --centre {name}=AROUSAL,VALENCE)"
            )
        a, v = centres[name]
        total += p
        arousal += p * float(a)
        valence += p * float(v)
    if total <= 0:
        raise ParameterError("the probabilities sum to zero: no position")
    return round(arousal / total, 12), round(valence / total, 12)
