"""Loader of the 4Q Audio Emotion Dataset (Panda, Malheiro & Paiva 2018)."""

from __future__ import annotations

import os
from typing import Literal

import numpy as np
from sklearn.utils import Bunch

from ..exceptions import ParameterError
from ._common import (
    artist_groups,
    check_dir,
    check_file,
    check_missing_audio,
    missing_note,
    read_csv,
    resolve_audio,
)
from ._quadrants import QUADRANTS

__all__ = ["load_4q"]

METADATA_FILE = "panda_dataset_taffc_metadata.csv"
ANNOTATIONS_FILE = "panda_dataset_taffc_annotations.csv"
_LAYOUT = (
    "the 4Q release layout: Q1/ Q2/ Q3/ Q4/ holding <Song>.mp3, "
    f"{METADATA_FILE} (Song, Artist, Quadrant, ...) and optionally {ANNOTATIONS_FILE}"
)


def load_4q(
    data_home: str | os.PathLike,
    *,
    missing_audio: Literal["skip", "raise"] = "skip",
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load the 4Q Audio Emotion Dataset from a local folder (no download).

    Expected layout (as in the authors' release)::

        data_home/
            Q1/<Song>.mp3  Q2/...  Q3/...  Q4/...
            panda_dataset_taffc_metadata.csv     (quoted, 14 columns: Song, Artist, ...)
            panda_dataset_taffc_annotations.csv  (Song,Quadrant; optional, cross-checked)

    Audio may also be ``.wav``, ``.flac`` or ``.ogg`` with the same stem. If the annotations
    file is present its quadrants must agree with the metadata.

    Parameters
    ----------
    data_home : str or os.PathLike
        The dataset folder.
    missing_audio : {"skip", "raise"}, default="skip"
        What to do with clips listed in the metadata whose audio file is absent: leave them
        out, or raise a :class:`FileNotFoundError` listing them.
    return_X_y : bool, default=False
        If True, return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        filenames : np.ndarray of str [shape=(n_clips,)]
            Absolute paths of the audio files (all exist).
        target : np.ndarray of str [shape=(n_clips,)]
            Russell quadrant of each clip, ``"Q1"`` to ``"Q4"``.
        target_names : list of str
            ``["Q1", "Q2", "Q3", "Q4"]``.
        groups : np.ndarray of str [shape=(n_clips,)]
            The artist of each clip (metadata ``Artist``), for
            :class:`~sklearn.model_selection.GroupKFold`: artists repeat across clips, so
            ungrouped splits inflate scores. A clip with an empty ``Artist`` gets a group
            of its own (``"<unknown artist: <Song>>"``).
        frame : pandas.DataFrame [shape=(n_clips, 14)]
            The metadata, one row per returned clip, aligned with ``filenames``.
        DESCR : str
            Description, citation and terms of use.

    (filenames, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``data_home``, a quadrant folder or the metadata file is missing, or (with
        ``missing_audio="raise"``) an audio file is missing.
    ValueError
        If a required column is missing, a quadrant label is unknown, or the annotations
        file disagrees with the metadata.

    Examples
    --------
    >>> from sk_deepsense.datasets import load_4q
    >>> data = load_4q("path/to/4q")  # doctest: +SKIP
    >>> from sklearn.model_selection import GroupKFold  # doctest: +SKIP
    >>> splits = GroupKFold(5).split(data.filenames, data.target, data.groups)  # doctest: +SKIP
    """
    check_missing_audio(missing_audio)
    home = check_dir(data_home, "4Q data_home folder", _LAYOUT)
    for q in QUADRANTS:
        check_dir(home / q, f"4Q quadrant folder {q!r}", _LAYOUT)
    meta_path = check_file(home / METADATA_FILE, "4Q metadata file", _LAYOUT)
    frame = read_csv(meta_path, required=["Song", "Artist", "Quadrant"], dtype={"Song": str})
    bad = sorted(set(frame["Quadrant"]) - set(QUADRANTS))
    if bad:
        raise ParameterError(
            f"Column 'Quadrant' of {str(meta_path)!r} holds unknown labels {bad}; "
            f"expected {list(QUADRANTS)}"
        )
    ann_path = home / ANNOTATIONS_FILE
    if ann_path.is_file():
        ann = read_csv(ann_path, required=["Song", "Quadrant"], dtype={"Song": str})
        merged = frame[["Song", "Quadrant"]].merge(
            ann, on="Song", how="left", suffixes=("", "_ann")
        )
        disagree = merged[
            merged["Quadrant_ann"].notna() & (merged["Quadrant"] != merged["Quadrant_ann"])
        ]
        if len(disagree):
            raise ParameterError(
                f"{ANNOTATIONS_FILE} and {METADATA_FILE} disagree on the quadrant of "
                f"{disagree['Song'].tolist()[:5]} in {str(home)!r}"
            )

    n_annotated = len(frame)
    folders = [home / q for q in frame["Quadrant"]]
    filenames, mask = resolve_audio(
        folders, frame["Song"].tolist(), missing_audio=missing_audio, what="4Q"
    )
    frame = frame[mask].reset_index(drop=True)
    target = frame["Quadrant"].to_numpy(dtype=str)
    if return_X_y:
        return filenames, target
    return Bunch(
        filenames=filenames,
        target=target,
        target_names=list(QUADRANTS),
        groups=artist_groups(frame["Artist"], frame["Song"]),
        frame=frame,
        DESCR=_DESCR + "\n" + missing_note(n_annotated, len(frame)) + "\n",
    )


_DESCR = """\
.. _4q_dataset:

4Q Audio Emotion Dataset
------------------------

900 clips of about 30 s (AllMusic previews), 225 per Russell quadrant in the full release:
Q1 high arousal / positive valence (happy), Q2 high arousal / negative valence (angry, tense),
Q3 low arousal / negative valence (sad), Q4 low arousal / positive valence (calm). Labels were
derived from AllMusic mood tags (mapped to Warriner's arousal/valence norms) and validated
manually. Artists repeat across clips: use artist-grouped splits (``groups``).

Annotation scale: one categorical label per clip (the quadrant); ``PQuad`` in ``frame`` is the
ratio of the clip's mood tags that fall in that quadrant.

Citation: Panda, R., Malheiro, R. & Paiva, R. P. (2018). Novel audio features for music
emotion recognition. IEEE Transactions on Affective Computing 11(4), 614-626.
doi:10.1109/TAFFC.2018.2820691. http://mir.dei.uc.pt

Terms: the audio clips are copyrighted previews obtained through the AllMusic API and are
made available by the authors for academic research only; check the terms on the dataset page
before any other use, and do not redistribute the audio.
"""
