"""Default names of prediction columns, shared by the timelines and their figures.

A leaf (no imports), so that :mod:`sk_deepsense.timeline` (inference) and
:mod:`sk_deepsense.plotting` (figures, a layer below it) use the same names without the
figures importing the timelines.
"""

from __future__ import annotations

__all__ = ["default_output_names"]


def default_output_names(kind: str, k: int) -> list[str]:
    """Names of ``k`` prediction columns when the model gives none.

    Parameters
    ----------
    kind : {"proba", "av"}
        Class probabilities or regression outputs.
    k : int
        Number of columns.

    Returns
    -------
    names : list of str
        ``"Q1".."Q4"`` for 4 probability columns, ``"class i"`` for other probabilities,
        ``["arousal", "valence"]`` for 2 regression outputs, ``"output i"`` otherwise.
    """
    if kind == "proba":
        return ["Q1", "Q2", "Q3", "Q4"] if k == 4 else [f"class {i}" for i in range(k)]
    return ["arousal", "valence"] if k == 2 else [f"output {i}" for i in range(k)]
