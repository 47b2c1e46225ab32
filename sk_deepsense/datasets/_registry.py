"""The dataset registry: every named dataset, its loader and its task, in one place.

The command line (``train --dataset``, ``benchmark --dataset``) and the benchmark read
datasets through :func:`load_dataset`; a new dataset loader is registered here once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any, NamedTuple

from ..exceptions import ParameterError

if TYPE_CHECKING:
    from sklearn.utils import Bunch

__all__ = ["DATASETS", "load_dataset"]


class _Entry(NamedTuple):
    module: str  # the loader's module in this package, imported on first use
    loader: str
    task: str

    def load(self, data_home: str | os.PathLike, **kwargs: Any) -> Bunch:
        func: Callable[..., Bunch] = getattr(import_module(self.module, __package__), self.loader)
        if self.loader == "make_emotion_music":
            return func(output_dir=data_home, **kwargs)
        return func(data_home, **kwargs)


#: Name -> (module, loader, task) of every dataset :func:`load_dataset` knows. The loaders
#: are imported when used, so that listing the names (``sk-deepsense --help``) is free.
DATASETS: dict[str, _Entry] = {
    "synthetic": _Entry("._synthetic", "make_emotion_music", "classification"),
    "4q": _Entry("._four_q", "load_4q", "classification"),
    "emomusic": _Entry("._emomusic", "load_emomusic", "regression"),
    "pmemo": _Entry("._pmemo", "load_pmemo", "regression"),
    "deam": _Entry("._deam", "load_deam", "regression"),
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
    ParameterError
        If ``name`` is not a registered dataset (a ``ValueError``).

    Examples
    --------
    >>> from sk_deepsense.datasets import load_dataset
    >>> load_dataset("mnist", "somewhere")
    Traceback (most recent call last):
    ...
    sk_deepsense.exceptions.ParameterError: unknown dataset 'mnist'; choose one of: ...
    """
    if name not in DATASETS:
        raise ParameterError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    entry = DATASETS[name]
    bunch = entry.load(data_home, **kwargs)
    bunch.task = entry.task
    return bunch
