"""Loader of emoMusic, "1000 Songs for Emotional Analysis of Music" (MediaEval 2013)."""

from __future__ import annotations

import contextlib
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
    dynamic_from_wide,
    missing_note,
    nine_point_to_unit,
    numeric_columns,
    read_csv,
    resolve_audio,
)

__all__ = ["load_emomusic"]

_STATIC = ["song_id", "mean_arousal", "std_arousal", "mean_valence", "std_valence"]
_LAYOUT = (
    "the emoMusic layout: clips_45seconds/<song_id>.mp3 and annotations/ holding "
    "static_annotations.csv (song_id,mean_arousal,std_arousal,mean_valence,std_valence), "
    "songs_info.csv and optionally arousal_cont_average.csv / valence_cont_average.csv"
)


def load_emomusic(
    data_home: str | os.PathLike,
    *,
    missing_audio: Literal["skip", "raise"] = "skip",
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load emoMusic (1000 Songs for Emotional Analysis of Music) from a local folder.

    Expected layout (as in the release)::

        data_home/
            clips_45seconds/<song_id>.mp3
            annotations/static_annotations.csv     song_id,mean_arousal,std_arousal,...
            annotations/songs_info.csv             song_id,file_name,Artist,...,Mediaeval 2013 set
            annotations/arousal_cont_average.csv   song_id,sample_15000ms,...  (optional)
            annotations/valence_cont_average.csv   (optional, with the arousal one)

    Only clips whose audio exists in ``clips_45seconds`` are returned (the release annotates
    744 songs; a partial copy returns fewer); ``missing_audio="raise"`` makes a missing file
    an error instead. Stray TAB characters inside ``songs_info.csv`` fields are stripped.

    Parameters
    ----------
    data_home : str or os.PathLike
        The dataset folder.
    missing_audio : {"skip", "raise"}, default="skip"
        What to do with annotated songs whose audio file is absent.
    return_X_y : bool, default=False
        If True, return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        filenames : np.ndarray of str [shape=(n_clips,)]
            Absolute paths of the audio files (all exist).
        target : np.ndarray of float [shape=(n_clips, 2)]
            Static (arousal, valence) mapped from the 1-9 scale to [-1, 1] by
            ``(x - 5) / 4``.
        target_names : list of str
            ``["arousal", "valence"]``.
        groups : np.ndarray of str [shape=(n_clips,)]
            Artist of each clip (``songs_info.csv``), for artist-grouped splits.
        frame : pandas.DataFrame
            One row per returned clip: the static annotations (raw 1-9 values), the song
            information (TABs stripped), ``split`` (``"development"``/``"evaluation"``, the
            MediaEval 2013 split) and ``arousal``/``valence`` on the common scale.
        dynamic : list of np.ndarray [shape=(n_frames, 2)] or None
            Per-clip continuous (arousal, valence), one row every 0.5 s, already on [-1, 1]
            in the release; None if the continuous files are absent.
        dynamic_times : list of np.ndarray [shape=(n_frames,)] or None
            Time of each row in seconds of the 45 s clip (``sample_15000ms`` -> 15.0).
        DESCR : str
            Description, citation and terms of use.

    (filenames, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``data_home``, ``clips_45seconds``, ``annotations`` or a required CSV is missing,
        or (with ``missing_audio="raise"``) an audio file is missing.
    ValueError
        If a required column is missing or not numeric.

    Examples
    --------
    >>> from sk_deepsense.datasets import load_emomusic
    >>> data = load_emomusic("path/to/emomusic")  # doctest: +SKIP
    >>> data.target.shape  # doctest: +SKIP
    (744, 2)
    """
    check_missing_audio(missing_audio)
    home = check_dir(data_home, "emoMusic data_home folder", _LAYOUT)
    audio_dir = check_dir(home / "clips_45seconds", "emoMusic audio folder", _LAYOUT)
    ann_dir = check_dir(home / "annotations", "emoMusic annotations folder", _LAYOUT)
    static_path = check_file(ann_dir / "static_annotations.csv", "emoMusic annotations", _LAYOUT)
    info_path = check_file(ann_dir / "songs_info.csv", "emoMusic song information", _LAYOUT)

    static = read_csv(static_path, required=_STATIC)
    static = numeric_columns(static, _STATIC, static_path)
    static["song_id"] = static["song_id"].astype(int)
    info = read_csv(info_path, required=["song_id", "Artist"], dtype=str)
    info["song_id"] = numeric_columns(info[["song_id"]].copy(), ["song_id"], info_path)[
        "song_id"
    ].astype(int)
    split_col = next((c for c in info.columns if "mediaeval" in c.lower()), info.columns[-1])
    info["split"] = info[split_col]
    for col in info.columns:  # segment start/end: numbers once the TABs are gone
        if col not in ("song_id", "split"):
            with contextlib.suppress(ValueError, TypeError):
                info[col] = info[col].astype(float)
    frame = static.merge(info, on="song_id", how="left")

    n_annotated = len(frame)
    stems = frame["song_id"].astype(str).tolist()
    filenames, mask = resolve_audio(
        [audio_dir] * len(stems), stems, missing_audio=missing_audio, what="emoMusic"
    )
    frame = frame[mask].reset_index(drop=True)
    frame["arousal"] = nine_point_to_unit(frame["mean_arousal"])
    frame["valence"] = nine_point_to_unit(frame["mean_valence"])
    target = frame[AV_NAMES].to_numpy(dtype=float)
    if return_X_y:
        return filenames, target

    dynamic = dynamic_times = None
    a_path = ann_dir / "arousal_cont_average.csv"
    v_path = ann_dir / "valence_cont_average.csv"
    if a_path.is_file() or v_path.is_file():
        check_file(a_path, "emoMusic continuous arousal", _LAYOUT)
        check_file(v_path, "emoMusic continuous valence", _LAYOUT)
        dyn_a = read_csv(a_path, required=["song_id"])
        dyn_v = read_csv(v_path, required=["song_id"])
        dynamic, dynamic_times = dynamic_from_wide(dyn_a, dyn_v, frame["song_id"].tolist())

    return Bunch(
        filenames=filenames,
        target=target,
        target_names=list(AV_NAMES),
        groups=artist_groups(frame["Artist"], frame["song_id"]),
        frame=frame,
        dynamic=dynamic,
        dynamic_times=dynamic_times,
        DESCR=_DESCR + "\n" + missing_note(n_annotated, len(frame)) + "\n",
    )


_DESCR = """\
.. _emomusic_dataset:

emoMusic: 1000 Songs for Emotional Analysis of Music
----------------------------------------------------

45 s excerpts of songs from the Free Music Archive (744 songs after de-duplication), rated by
crowd workers (Amazon Mechanical Turk, at least 10 per song) for arousal and valence: static
ratings per clip on a 9-point scale (1-9) and continuous ratings sampled every 0.5 s from 15 s
to 45 s of the clip on [-1, 1]. Used as the MediaEval 2013 "Emotion in Music" benchmark
(``split``: development / evaluation).

Common scale: ``target`` = (arousal, valence) mapped from 1-9 to [-1, 1] by (x - 5) / 4; the
raw ratings stay in ``frame`` (``mean_arousal``, ``mean_valence`` and their standard
deviations). The continuous annotations (``dynamic``) are on [-1, 1] already.

Citation: Soleymani, M., Caro, M. N., Schmidt, E. M., Sha, C.-Y. & Yang, Y.-H. (2013).
1000 songs for emotional analysis of music. In Proc. 2nd ACM International Workshop on
Crowdsourcing for Multimedia (CrowdMM '13), 1-6. doi:10.1145/2506364.2506365.

Terms: the audio comes from the Free Music Archive under Creative Commons licences (each
song's own licence applies); the annotations are distributed by the authors for research
(http://cvml.unige.ch/databases/emoMusic/). Cite the paper when using them.
"""
