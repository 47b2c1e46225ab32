"""The dataset registry: every named dataset, its loader and its task, in one place.

The command line (``train --dataset``, ``benchmark --dataset``) and the benchmark read
datasets through :func:`load_dataset`; a new dataset loader is registered here once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, NamedTuple

from sklearn.utils import Bunch

from ._deam import load_deam
from ._emomusic import load_emomusic
from ._four_q import load_4q
from ._pmemo import load_pmemo
from ._synthetic import make_emotion_music

__all__ = ["DATASETS", "load_dataset"]


class _Entry(NamedTuple):
    loader: Callable[..., Bunch]
    task: str


def _synthetic(data_home: str | os.PathLike, **kwargs: Any) -> Bunch:
    return make_emotion_music(output_dir=data_home, **kwargs)


#: Name -> (loader, task) of every dataset :func:`load_dataset` knows.
DATASETS: dict[str, _Entry] = {
    "synthetic": _Entry(_synthetic, "classification"),
    "4q": _Entry(load_4q, "classification"),
    "emomusic": _Entry(load_emomusic, "regression"),
    "pmemo": _Entry(load_pmemo, "regression"),
    "deam": _Entry(load_deam, "regression"),
}


def load_dataset(name: str, data_home: str | os.PathLike, **kwargs: Any) -> Bunch:
    """Load a dataset by name from a local folder (or generate the synthetic one there).

    Parameters
    ----------
    name : {"synthetic", "4q", "emomusic", "pmemo", "deam"}
        The dataset (the keys of :data:`DATASETS`).
    data_home : str or os.PathLike
        Its local folder. For ``"synthetic"``, the folder the clips are written to (it must
        not hold a synthetic dataset already: nothing is overwritten).
    **kwargs
        Passed to the loader (e.g. ``missing_audio="raise"``; ``n_samples`` and
        ``random_state`` for ``"synthetic"``).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The loader's bunch (``filenames``, ``target``, ``target_names``, ``groups``, ...)
        plus ``task``, ``"classification"`` or ``"regression"``.

    Raises
    ------
    ValueError
        If ``name`` is not a registered dataset.

    Examples
    --------
    >>> from sk_deepsense.datasets import load_dataset
    >>> load_dataset("mnist", "somewhere")
    Traceback (most recent call last):
    ...
    ValueError: unknown dataset 'mnist'; choose one of: synthetic, 4q, emomusic, pmemo, deam
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    entry = DATASETS[name]
    bunch = entry.loader(data_home, **kwargs)
    bunch.task = entry.task
    return bunch
