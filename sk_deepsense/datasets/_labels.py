"""Loader of a plain labels CSV: ``path,label`` or ``path,arousal,valence`` (the CLI's format)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..exceptions import MissingFileError, ParameterError
from ._common import AV_NAMES, check_file, read_csv

__all__ = ["GROUP_COLUMNS", "load_labels"]

TASKS = ("auto", "classification", "regression")
#: Column names read as the groups of cross-validation (any case), by preference.
GROUP_COLUMNS = ("group", "groups", "artist", "artists")


def load_labels(
    csv_path: str | os.PathLike,
    *,
    task: Literal["auto", "classification", "regression"] = "auto",
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    r"""Load audio paths and emotion labels from a CSV file of your own.

    The format the ``sk-deepsense`` command line reads. One row per clip, with a header:

    - ``path``: the audio file; a relative path is relative to the CSV's folder, a leading
      ``~`` is the home folder;
    - ``label`` (classification; any strings, e.g. ``Q1`` .. ``Q4`` or ``happy``), or
      ``arousal`` and ``valence`` (regression; numbers, on any scale);
    - optionally a group column, named ``group``, ``groups``, ``artist`` or ``artists`` (in
      any case, e.g. ``Artist``): returned as ``groups``, for splits that keep each group's
      clips on one side (``GroupKFold``, ``StratifiedGroupKFold``, the command line's
      ``--cv``). Clips of one artist on both sides of a split make scores optimistic. With
      several such columns, the first of that list is used; ``group_column`` and ``DESCR``
      say which.

    Other columns are kept in ``frame`` and otherwise ignored.

    Parameters
    ----------
    csv_path : str or os.PathLike
        The CSV file (UTF-8, or Latin-1 as a fallback).
    task : {"auto", "classification", "regression"}, default="auto"
        Which targets to read. ``"auto"`` picks classification when there is a ``label``
        column and regression when there are ``arousal`` and ``valence`` columns, and raises
        if both or neither are present.
    return_X_y : bool, default=False
        If True, return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        filenames : np.ndarray of str [shape=(n_samples,)]
            Absolute audio paths, in the CSV's order.
        target : np.ndarray [shape=(n_samples,) of str, or (n_samples, 2) of float]
            Labels (as strings), or (arousal, valence) per row.
        target_names : list of str
            The sorted distinct labels, or ``["arousal", "valence"]``.
        task : str
            ``"classification"`` or ``"regression"``.
        groups : np.ndarray of str [shape=(n_samples,)] or None
            The group column when there is one, else None.
        group_column : str or None
            The name of that column, as written in the CSV.
        frame : pandas.DataFrame
            The CSV as read, with a ``filename`` column of the absolute paths added.
        DESCR : str
            Where the data came from.

    (filenames, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the CSV, or any audio file it lists, does not exist (all missing files are
        counted, the first five named).
    ValueError
        If a required column is missing, a cell is empty, a value is not a number, or
        ``task="auto"`` cannot decide.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sk_deepsense.datasets import load_labels
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.wav", "b.wav"):
    ...     _ = (folder / name).write_bytes(b"")
    >>> _ = (folder / "labels.csv").write_text("path,label\na.wav,Q1\nb.wav,Q3\n")
    >>> data = load_labels(folder / "labels.csv")
    >>> data.task, data.target.tolist(), pathlib.Path(data.filenames[1]).name
    ('classification', ['Q1', 'Q3'], 'b.wav')
    >>> _ = (folder / "labels.csv").write_text("path,label,Artist\na.wav,Q1,X\nb.wav,Q3,Y\n")
    >>> data = load_labels(folder / "labels.csv")
    >>> data.groups.tolist(), data.group_column
    (['X', 'Y'], 'Artist')
    """
    if task not in TASKS:
        raise ParameterError(f"task must be one of {list(TASKS)}, got {task!r}")
    path = check_file(
        Path(csv_path).expanduser(), "labels CSV", "a CSV file with columns path,label"
    )
    df = read_csv(path, required=["path"], dtype=str)
    if df.empty:
        raise ParameterError(f"labels CSV {str(path)!r} has a header but no rows")
    has_label = "label" in df.columns
    has_av = all(c in df.columns for c in AV_NAMES)
    if task == "auto":
        if has_label and has_av:
            raise ParameterError(
                f"labels CSV {str(path)!r} has both a 'label' column and 'arousal','valence' "
                "columns; choose task='classification' or task='regression' (--task)"
            )
        if not (has_label or has_av):
            raise ParameterError(
                f"labels CSV {str(path)!r} needs a 'label' column (classification) or "
                f"'arousal' and 'valence' columns (regression); found {list(df.columns)}"
            )
        task = "classification" if has_label else "regression"
    needed = ["label"] if task == "classification" else AV_NAMES
    missing_cols = [c for c in needed if c not in df.columns]
    if missing_cols:
        raise ParameterError(
            f"labels CSV {str(path)!r} lacks the column(s) {missing_cols} needed for {task}; "
            f"found {list(df.columns)}"
        )

    _check_filled(df, ["path", *needed], path)
    base = path.resolve().parent
    filenames = np.array(
        [str((base / Path(p).expanduser()).resolve()) for p in df["path"]], dtype=str
    )
    absent = [f for f in filenames if not os.path.isfile(f)]
    if absent:
        shown = ", ".join(repr(f) for f in absent[:5])
        more = f" and {len(absent) - 5} more" if len(absent) > 5 else ""
        raise MissingFileError(
            f"{len(absent)} of the {len(filenames)} audio files listed in {str(path)!r} do not "
            f"exist (relative paths are relative to the CSV's folder): {shown}{more}"
        )

    if task == "classification":
        target = df["label"].to_numpy(dtype=str)
        target_names = sorted(set(target.tolist()))
    else:
        values = []
        for col in AV_NAMES:
            numbers = pd.to_numeric(df[col], errors="coerce")
            bad = np.flatnonzero(~np.isfinite(numbers.to_numpy(dtype=float)))
            if bad.size:
                rows = ", ".join(str(i + 2) for i in bad[:5])
                raise ParameterError(
                    f"labels CSV {str(path)!r}: column {col!r} must hold finite numbers; "
                    f"line(s) {rows} hold {df[col].iloc[bad[0]]!r}"
                    + (f" and {bad.size - 1} more" if bad.size > 1 else "")
                )
            values.append(numbers.to_numpy(dtype=float))
        target = np.column_stack(values)
        target_names = list(AV_NAMES)

    groups, group_column = None, _group_column(df.columns)
    if group_column is not None:
        _check_filled(df, [group_column], path)
        groups = df[group_column].to_numpy(dtype=str)
        n_groups = len(set(groups.tolist()))
        grouping = (
            f"Groups: the {group_column!r} column ({n_groups} groups); grouped splits keep "
            "each group's clips on one side."
        )
    else:
        grouping = (
            "Groups: none (no column named group, groups, artist or artists): splits of "
            "these clips cannot be grouped by artist."
        )
    frame = df.copy()
    frame.insert(0, "filename", filenames)
    if return_X_y:
        return filenames, target
    return Bunch(
        filenames=filenames,
        target=target,
        target_names=target_names,
        task=task,
        groups=groups,
        group_column=group_column,
        frame=frame,
        DESCR=f"Labels read from {path} ({len(filenames)} clips, {task}). {grouping}",
    )


def _group_column(columns: Sequence[str]) -> str | None:
    """Return the CSV's group column (:data:`GROUP_COLUMNS`, any case), or None."""
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(str(column).strip().lower(), column)
    return next((by_name[name] for name in GROUP_COLUMNS if name in by_name), None)


def _check_filled(df: pd.DataFrame, columns: list[str], path: Path) -> None:
    """Raise a ValueError naming the CSV lines where one of ``columns`` is empty."""
    for col in columns:
        empty = np.flatnonzero(df[col].isna().to_numpy() | (df[col].astype(str) == ""))
        if empty.size:
            rows = ", ".join(str(i + 2) for i in empty[:5])  # line 1 is the header
            more = f" and {empty.size - 5} more" if empty.size > 5 else ""
            raise ParameterError(f"labels CSV {str(path)!r}: empty {col!r} on line(s) {rows}{more}")
