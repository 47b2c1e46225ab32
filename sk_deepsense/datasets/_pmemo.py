"""Loader of PMEmo, the Popular Music with Emotional annotations dataset (Zhang et al. 2018)."""

from __future__ import annotations

import os
from typing import Literal

import numpy as np
from sklearn.utils import Bunch

from ._common import (
    AV_NAMES,
    artist_groups,
    check_dir,
    check_file,
    check_missing_audio,
    missing_note,
    numeric_columns,
    read_csv,
    resolve_audio,
    unit_interval_to_unit,
)

__all__ = ["load_pmemo"]

_STATIC = ["musicId", "Arousal(mean)", "Valence(mean)"]
_DYNAMIC = ["musicId", "frameTime", "Arousal(mean)", "Valence(mean)"]
_LAYOUT = (
    "the PMEmo 2019 layout: chorus/<musicId>.mp3, metadata.csv (musicId,...,artist,...), "
    "annotations/static_annotations.csv (musicId,Arousal(mean),Valence(mean)) and optionally "
    "annotations/dynamic_annotations.csv (musicId,frameTime,Arousal(mean),Valence(mean))"
)


def load_pmemo(
    data_home: str | os.PathLike,
    *,
    missing_audio: Literal["skip", "raise"] = "skip",
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load PMEmo (popular-music choruses with arousal/valence) from a local folder.

    Expected layout (as in the PMEmo 2019 release)::

        data_home/
            chorus/<musicId>.mp3
            metadata.csv                          musicId,fileName,title,artist,album,...
            annotations/static_annotations.csv    musicId,Arousal(mean),Valence(mean)
            annotations/dynamic_annotations.csv   musicId,frameTime,Arousal(mean),Valence(mean)
                                                  (optional)

    Only clips whose audio exists in ``chorus`` are returned; ``missing_audio="raise"`` makes
    a missing file an error instead.

    Parameters
    ----------
    data_home : str or os.PathLike
        The dataset folder.
    missing_audio : {"skip", "raise"}, default="skip"
        What to do with annotated clips whose audio file is absent.
    return_X_y : bool, default=False
        If True, return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        filenames : np.ndarray of str [shape=(n_clips,)]
            Absolute paths of the audio files (all exist).
        target : np.ndarray of float [shape=(n_clips, 2)]
            Static (arousal, valence) mapped from [0, 1] to [-1, 1] by ``2 * x - 1``.
        target_names : list of str
            ``["arousal", "valence"]``.
        groups : np.ndarray of str [shape=(n_clips,)]
            Artist of each clip (``metadata.csv``), for artist-grouped splits.
        frame : pandas.DataFrame
            One row per returned clip: the static annotations (raw [0, 1] values), the
            metadata and ``arousal``/``valence`` on the common scale.
        dynamic : list of np.ndarray [shape=(n_frames, 2)] or None
            Per-clip (arousal, valence) every 0.5 s, mapped to [-1, 1] like the target;
            None if ``dynamic_annotations.csv`` is absent.
        dynamic_times : list of np.ndarray [shape=(n_frames,)] or None
            ``frameTime`` of each row, in seconds (from 15.5 s).
        DESCR : str
            Description, citation and terms of use.

    (filenames, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``data_home``, ``chorus``, ``metadata.csv`` or the static annotations are
        missing, or (with ``missing_audio="raise"``) an audio file is missing.
    ValueError
        If a required column is missing or not numeric.

    Examples
    --------
    >>> from sk_deepsense.datasets import load_pmemo
    >>> data = load_pmemo("path/to/PMEmo2019")  # doctest: +SKIP
    >>> data.target_names  # doctest: +SKIP
    ['arousal', 'valence']
    """
    check_missing_audio(missing_audio)
    home = check_dir(data_home, "PMEmo data_home folder", _LAYOUT)
    audio_dir = check_dir(home / "chorus", "PMEmo audio folder", _LAYOUT)
    static_path = check_file(
        home / "annotations" / "static_annotations.csv", "PMEmo static annotations", _LAYOUT
    )
    meta_path = check_file(home / "metadata.csv", "PMEmo metadata", _LAYOUT)

    static = numeric_columns(read_csv(static_path, required=_STATIC), _STATIC, static_path)
    static["musicId"] = static["musicId"].astype(int)
    meta = read_csv(meta_path, required=["musicId", "artist"], dtype={"artist": str})
    meta = numeric_columns(meta, ["musicId"], meta_path)
    meta["musicId"] = meta["musicId"].astype(int)
    frame = static.merge(meta, on="musicId", how="left")

    n_annotated = len(frame)
    stems = frame["musicId"].astype(str).tolist()
    filenames, mask = resolve_audio(
        [audio_dir] * len(stems), stems, missing_audio=missing_audio, what="PMEmo"
    )
    frame = frame[mask].reset_index(drop=True)
    frame["arousal"] = unit_interval_to_unit(frame["Arousal(mean)"])
    frame["valence"] = unit_interval_to_unit(frame["Valence(mean)"])
    target = frame[AV_NAMES].to_numpy(dtype=float)
    if return_X_y:
        return filenames, target

    dynamic = dynamic_times = None
    dyn_path = home / "annotations" / "dynamic_annotations.csv"
    if dyn_path.is_file():
        dyn = numeric_columns(read_csv(dyn_path, required=_DYNAMIC), _DYNAMIC, dyn_path)
        dyn["musicId"] = dyn["musicId"].astype(int)
        by_id = {k: g.sort_values("frameTime") for k, g in dyn.groupby("musicId")}
        dynamic, dynamic_times = [], []
        for music_id in frame["musicId"]:
            g = by_id.get(music_id)
            if g is None:
                dynamic.append(np.empty((0, 2)))
                dynamic_times.append(np.empty(0))
                continue
            values = unit_interval_to_unit(g[["Arousal(mean)", "Valence(mean)"]].to_numpy())
            keep = np.isfinite(values).all(axis=1)
            dynamic.append(values[keep])
            dynamic_times.append(g["frameTime"].to_numpy(float)[keep])

    return Bunch(
        filenames=filenames,
        target=target,
        target_names=list(AV_NAMES),
        groups=artist_groups(frame["artist"], frame["musicId"]),
        frame=frame,
        dynamic=dynamic,
        dynamic_times=dynamic_times,
        DESCR=_DESCR + "\n" + missing_note(n_annotated, len(frame)) + "\n",
    )


_DESCR = """\
.. _pmemo_dataset:

PMEmo: a dataset for music emotion recognition
----------------------------------------------

Choruses of 794 popular songs (Billboard Hot 100, iTunes Top 100, UK Top 40), annotated by
457 subjects for arousal and valence: static ratings per clip and dynamic ratings every 0.5 s
(from 15.5 s of the chorus clip), both normalised by the authors to [0, 1] (767 clips carry
static annotations in the 2019 release). Electrodermal activity of the listeners and lyrics
are also part of the release (not loaded here).

Common scale: ``target`` = (arousal, valence) mapped from [0, 1] to [-1, 1] by 2 * x - 1; the
raw values stay in ``frame`` (``Arousal(mean)``, ``Valence(mean)``). ``dynamic`` is mapped
the same way.

Citation: Zhang, K., Zhang, H., Li, S., Yang, C. & Sun, L. (2018). The PMEmo dataset for music
emotion recognition. In Proc. ACM International Conference on Multimedia Retrieval (ICMR '18),
135-142. doi:10.1145/3206025.3206037.

Terms: the annotations and code are released by the authors (the repository carries an MIT
licence); the audio clips are excerpts of copyrighted commercial recordings provided for
research use only, and must not be redistributed.
"""
