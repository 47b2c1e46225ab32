"""Loader of DEAM, the MediaEval Database for Emotional Analysis in Music (2013-2015)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..exceptions import MissingFileError, ParameterError
from ._common import (
    AV_NAMES,
    check_dir,
    check_missing_audio,
    dynamic_from_wide,
    missing_note,
    nine_point_to_unit,
    numeric_columns,
    read_csv,
    resolve_audio,
)

__all__ = ["load_deam"]

_AVERAGED = Path("annotations", "annotations averaged per song")
_SONG_LEVEL = _AVERAGED / "song_level"
_DYNAMIC = _AVERAGED / "dynamic (per second annotations)"
_STATIC_GLOB = "static_annotations_averaged_songs_*.csv"
_REQUIRED = ["song_id", "valence_mean", "arousal_mean"]
_LAYOUT = (
    "the DEAM layout: MEMD_audio/<song_id>.mp3 and "
    f"'{_SONG_LEVEL.as_posix()}/{_STATIC_GLOB}' (song_id, valence_mean, ..., arousal_mean, "
    f"...), optionally '{_DYNAMIC.as_posix()}/arousal.csv' and 'valence.csv'; the audio and "
    "annotations folders may also sit inside DEAM_audio/ and DEAM_Annotations/"
)


def load_deam(
    data_home: str | os.PathLike,
    *,
    va_order: Literal["check", "as_named", "swapped"] = "check",
    emomusic_home: str | os.PathLike | None = None,
    missing_audio: Literal["skip", "raise"] = "skip",
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load DEAM (MediaEval Database for Emotional Analysis in Music) from a local folder.

    Expected layout (the release's ``DEAM_audio.zip`` and ``DEAM_Annotations.zip`` unpacked
    side by side; the ``DEAM_audio/`` and ``DEAM_Annotations/`` levels are optional)::

        data_home/
            MEMD_audio/<song_id>.mp3
            annotations/annotations averaged per song/song_level/
                static_annotations_averaged_songs_1_2000.csv
                static_annotations_averaged_songs_2000_2058.csv
            annotations/annotations averaged per song/dynamic (per second annotations)/
                arousal.csv  valence.csv        (optional: song_id,sample_15000ms,...)

    Whitespace is removed from column names (the release has leading spaces and a typo,
    ``valence_ max_mean``). All static files found are concatenated.

    **Valence/arousal order.** For the songs DEAM shares with emoMusic, DEAM's
    ``valence_*`` and ``arousal_*`` columns look swapped relative to emoMusic's. With
    ``va_order="check"`` (default) the order is *checked per static file* rather than
    trusted: the static means are correlated with the per-song means of DEAM's own
    continuous annotations (when present) or, failing that, with emoMusic's static
    annotations of the same song ids (``emomusic_home``); the pairing with the higher total
    correlation wins. When no evidence is available the names are used as given and a
    :class:`UserWarning` says so. The outcome is in ``va_check``.

    Only clips whose audio exists are returned; ``missing_audio="raise"`` makes a missing
    file an error instead.

    Parameters
    ----------
    data_home : str or os.PathLike
        The dataset folder.
    va_order : {"check", "as_named", "swapped"}, default="check"
        How to read the static valence/arousal columns: check the order against reference
        annotations, trust the column names, or swap them.
    emomusic_home : str or os.PathLike or None, default=None
        An emoMusic folder (see :func:`load_emomusic`) used as reference by the check when
        DEAM's continuous annotations are absent.
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
            ``(x - 5) / 4``, after the order check.
        target_names : list of str
            ``["arousal", "valence"]``.
        groups : None
            DEAM's metadata files differ between its 2013, 2014 and 2015 parts, so no artist
            grouping is derived; pass your own groups to grouped splitters.
        frame : pandas.DataFrame
            One row per returned clip: the static columns as released (raw 1-9 values,
            whitespace removed from names; NaN where a file lacks a column), ``source_file``,
            ``va_swapped`` and ``arousal``/``valence`` on the common scale.
        dynamic : list of np.ndarray [shape=(n_frames, 2)] or None
            Per-clip continuous (arousal, valence) every 0.5 s on [-1, 1] as released (NaN
            frames dropped); None if the continuous files are absent.
        dynamic_times : list of np.ndarray [shape=(n_frames,)] or None
            Time of each row in seconds (``sample_15000ms`` -> 15.0).
        va_check : pandas.DataFrame
            One row per static file: ``evidence`` (``"dynamic"``, ``"emomusic"``, ``"none"``
            or ``"forced"``), ``n_songs`` compared, ``r_as_named``, ``r_swapped`` (sums of
            the two correlations) and ``swapped``.
        DESCR : str
            Description, citation and terms of use.

    (filenames, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``data_home``, the audio folder or the static annotation files are missing, or
        (with ``missing_audio="raise"``) an audio file is missing.
    ValueError
        If a required column is missing or not numeric, or ``va_order`` is unknown.

    Examples
    --------
    >>> from sk_deepsense.datasets import load_deam
    >>> data = load_deam("path/to/DEAM")  # doctest: +SKIP
    >>> data.va_check[["evidence", "swapped"]]  # doctest: +SKIP
    """
    check_missing_audio(missing_audio)
    if va_order not in ("check", "as_named", "swapped"):
        raise ParameterError(f"va_order must be 'check', 'as_named' or 'swapped', got {va_order!r}")
    home = check_dir(data_home, "DEAM data_home folder", _LAYOUT)
    audio_dir = _first_dir(home, ["MEMD_audio", "DEAM_audio/MEMD_audio"], "audio")
    ann_root = _first_dir(home, [".", "DEAM_Annotations"], "annotations", probe=_SONG_LEVEL)
    static_files = sorted((ann_root / _SONG_LEVEL).glob(_STATIC_GLOB))
    if not static_files:
        raise MissingFileError(
            f"No DEAM static annotation file {_STATIC_GLOB!r} in "
            f"{str(ann_root / _SONG_LEVEL)!r}; expected {_LAYOUT}"
        )

    dyn_a = dyn_v = None
    a_path, v_path = ann_root / _DYNAMIC / "arousal.csv", ann_root / _DYNAMIC / "valence.csv"
    if a_path.is_file() and v_path.is_file():
        dyn_a = numeric_columns(
            read_csv(a_path, required=["song_id"], squeeze_spaces=True), ["song_id"], a_path
        )
        dyn_v = numeric_columns(
            read_csv(v_path, required=["song_id"], squeeze_spaces=True), ["song_id"], v_path
        )
        for d in (dyn_a, dyn_v):
            d["song_id"] = d["song_id"].astype(int)
    reference = _reference(dyn_a, dyn_v, emomusic_home)

    parts, checks = [], []
    for path in static_files:
        part = read_csv(path, required=_REQUIRED, squeeze_spaces=True)
        part = numeric_columns(part, _REQUIRED, path)
        part["song_id"] = part["song_id"].astype(int)
        check = _check_order(part, reference, va_order)
        check["file"] = path.name
        if va_order == "check" and check["evidence"] == "none":
            warnings.warn(
                f"Could not check the valence/arousal column order of {path.name!r} (no DEAM "
                "continuous annotations and no emomusic_home with shared songs); using the "
                "column names as given. Pass va_order='as_named' or 'swapped' to decide.",
                UserWarning,
                stacklevel=2,
            )
        if check["swapped"]:
            a_col, v_col = "valence_mean", "arousal_mean"
        else:
            a_col, v_col = "arousal_mean", "valence_mean"
        part["source_file"] = path.name
        part["va_swapped"] = check["swapped"]
        part["arousal"] = nine_point_to_unit(part[a_col])
        part["valence"] = nine_point_to_unit(part[v_col])
        parts.append(part)
        checks.append(check)
    frame = pd.concat(parts, ignore_index=True)
    va_check = pd.DataFrame(checks)[
        ["file", "evidence", "n_songs", "r_as_named", "r_swapped", "swapped"]
    ]

    n_annotated = len(frame)
    stems = frame["song_id"].astype(str).tolist()
    filenames, mask = resolve_audio(
        [audio_dir] * len(stems), stems, missing_audio=missing_audio, what="DEAM"
    )
    frame = frame[mask].reset_index(drop=True)
    target = frame[AV_NAMES].to_numpy(dtype=float)
    if return_X_y:
        return filenames, target
    dynamic = dynamic_times = None
    if dyn_a is not None:
        dynamic, dynamic_times = dynamic_from_wide(dyn_a, dyn_v, frame["song_id"].tolist())
    return Bunch(
        filenames=filenames,
        target=target,
        target_names=list(AV_NAMES),
        groups=None,
        frame=frame,
        dynamic=dynamic,
        dynamic_times=dynamic_times,
        va_check=va_check,
        DESCR=_DESCR + "\n" + missing_note(n_annotated, len(frame)) + "\n",
    )


def _first_dir(home: Path, candidates: list[str], what: str, probe: Path | None = None) -> Path:
    for cand in candidates:
        path = (home / cand).resolve()
        if (path / probe).is_dir() if probe is not None else path.is_dir():
            return path
    tried = ", ".join(repr(str(home / c / (probe or ""))) for c in candidates)
    raise MissingFileError(f"DEAM {what} folder not found (tried {tried}); expected {_LAYOUT}")


def _reference(dyn_a, dyn_v, emomusic_home) -> tuple[str, pd.DataFrame] | None:
    """Per-song reference (arousal, valence) to check the static column order against."""
    if dyn_a is not None:
        cols = [c for c in dyn_a.columns if c.startswith("sample_")]
        ref = pd.DataFrame(
            {
                "ref_arousal": dyn_a.set_index("song_id")[cols].mean(axis=1),
                "ref_valence": dyn_v.set_index("song_id")[
                    [c for c in dyn_v.columns if c.startswith("sample_")]
                ].mean(axis=1),
            }
        ).dropna()
        return "dynamic", ref
    if emomusic_home is not None:
        path = check_dir(emomusic_home, "emomusic_home folder", "an emoMusic folder")
        csv = path / "annotations" / "static_annotations.csv"
        static = read_csv(csv, required=["song_id", "mean_arousal", "mean_valence"])
        static = numeric_columns(static, ["song_id", "mean_arousal", "mean_valence"], csv)
        ref = static.set_index(static["song_id"].astype(int))[["mean_arousal", "mean_valence"]]
        return "emomusic", ref.set_axis(["ref_arousal", "ref_valence"], axis=1)
    return None


def _check_order(part: pd.DataFrame, reference, va_order: str) -> dict:
    result = {
        "evidence": "none",
        "n_songs": 0,
        "r_as_named": np.nan,
        "r_swapped": np.nan,
        "swapped": va_order == "swapped",
    }
    if va_order != "check":
        result["evidence"] = "forced"
        return result
    if reference is None:
        return result
    kind, ref = reference
    joined = part.set_index("song_id")[["arousal_mean", "valence_mean"]].join(ref, how="inner")
    if len(joined) < 3:
        return result

    def corr(x: str, y: str) -> float:
        r = np.corrcoef(joined[x], joined[y])[0, 1]
        return float(r) if np.isfinite(r) else 0.0

    named = corr("arousal_mean", "ref_arousal") + corr("valence_mean", "ref_valence")
    swapped = corr("arousal_mean", "ref_valence") + corr("valence_mean", "ref_arousal")
    result.update(
        evidence=kind,
        n_songs=len(joined),
        r_as_named=named,
        r_swapped=swapped,
        swapped=bool(swapped > named),
    )
    return result


_DESCR = """\
.. _deam_dataset:

DEAM: MediaEval Database for Emotional Analysis in Music
---------------------------------------------------------

1802 excerpts (45 s) and full songs from freemusicarchive.org, jamendo.com and the medleyDB
dataset, used in the MediaEval "Emotion in Music" tasks 2013-2015. Static ratings per song
on a 9-point scale (1-9) and continuous ratings at 2 Hz on [-1, 1], by at least 5 (later 10)
annotators each (Amazon Mechanical Turk).

Common scale: ``target`` = (arousal, valence) mapped from 1-9 to [-1, 1] by (x - 5) / 4; the
raw values stay in ``frame``. The order of the static valence/arousal columns is checked
against reference annotations (see ``va_check`` and ``va_swapped``) because, for the songs
shared with emoMusic, DEAM's column names look swapped. ``groups`` is None: no artist
grouping is derived.

Citation: Aljanaki, A., Yang, Y.-H. & Soleymani, M. (2017). Developing a benchmark for
emotional analysis of music. PLOS ONE 12(3), e0173392. doi:10.1371/journal.pone.0173392.

Terms: the audio is under the Creative Commons licences of its sources (each song's own
licence applies); the annotations are distributed by the authors for research
(https://cvml.unige.ch/databases/DEAM/). Cite the paper when using them.
"""
