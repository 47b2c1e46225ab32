"""Helpers shared by the dataset loaders: folder/file/column validation, audio lookup."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import MissingFileError, ParameterError

AUDIO_EXTENSIONS = (".mp3", ".wav", ".flac", ".ogg")
MISSING_AUDIO_CHOICES = ("skip", "raise")
AV_NAMES = ["arousal", "valence"]


def check_dir(path: str | os.PathLike, what: str, expected: str) -> Path:
    """Return ``path`` as an absolute Path, or raise naming it if it is not a folder."""
    p = Path(path).expanduser()
    if not p.is_dir():
        reason = "is not a folder" if p.exists() else "does not exist"
        raise MissingFileError(f"{what} {str(p)!r} {reason}; expected {expected}")
    return p.resolve()


def check_file(path: Path, what: str, expected: str) -> Path:
    """Return ``path`` or raise a FileNotFoundError naming it and what was expected."""
    if not path.is_file():
        raise MissingFileError(f"{what} {str(path)!r} not found; expected {expected}")
    return path


def check_missing_audio(missing_audio: str) -> None:
    """Validate the ``missing_audio`` argument."""
    if missing_audio not in MISSING_AUDIO_CHOICES:
        raise ParameterError(
            f"missing_audio must be one of {list(MISSING_AUDIO_CHOICES)}, got {missing_audio!r}"
        )


def clean_column(name: str) -> str:
    """Remove every whitespace character from a column name (DEAM, emoMusic quirks)."""
    return re.sub(r"\s+", "", str(name))


def read_csv(
    path: Path,
    *,
    required: Sequence[str] = (),
    strip_names: bool = True,
    squeeze_spaces: bool = False,
    **kwargs,
) -> pd.DataFrame:
    """Read a CSV (utf-8, else latin-1), tidy its column names and check ``required``.

    ``strip_names`` strips surrounding whitespace from column names; ``squeeze_spaces``
    removes all whitespace inside them too. String cells are stripped of surrounding
    whitespace (tabs included).
    """
    # Only empty cells are missing: an artist called "NA" or "None" stays a string.
    kwargs.setdefault("keep_default_na", False)
    kwargs.setdefault("na_values", [""])
    try:
        df = pd.read_csv(path, encoding="utf-8", **kwargs)
    except UnicodeDecodeError:
        df = pd.read_csv(path, encoding="latin-1", **kwargs)
    except pd.errors.EmptyDataError as exc:
        raise ParameterError(f"CSV file {str(path)!r} is empty") from exc
    if squeeze_spaces:
        df.columns = [clean_column(c) for c in df.columns]
    elif strip_names:
        df.columns = [str(c).strip() for c in df.columns]
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].map(lambda x: x.strip() if isinstance(x, str) else x)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ParameterError(
            f"CSV file {str(path)!r} lacks the column(s) {missing}; expected columns "
            f"{list(required)}, found {list(df.columns)}"
        )
    return df


def numeric_columns(df: pd.DataFrame, columns: Iterable[str], path: Path) -> pd.DataFrame:
    """Convert ``columns`` to float, raising a ValueError naming file and column if not numeric."""
    for col in columns:
        try:
            df[col] = pd.to_numeric(df[col]).astype(float)
        except (ValueError, TypeError) as exc:
            raise ParameterError(
                f"Column {col!r} of {str(path)!r} must hold numbers: {exc}"
            ) from exc
    return df


def find_audio(folder: Path, stem: str) -> Path | None:
    """Return ``folder/<stem><ext>`` for the first audio extension that exists, else None."""
    for ext in AUDIO_EXTENSIONS:
        candidate = folder / f"{stem}{ext}"
        if candidate.is_file():
            return candidate
    return None


def resolve_audio(
    folders: Sequence[Path], stems: Sequence[str], *, missing_audio: str, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Locate each clip's audio; return (absolute paths of found clips, mask of found rows).

    With ``missing_audio="raise"`` a FileNotFoundError lists the clips without audio.
    """
    paths, mask = [], []
    for folder, stem in zip(folders, stems, strict=True):
        found = find_audio(folder, stem)
        mask.append(found is not None)
        if found is not None:
            paths.append(str(found.resolve()))
    mask_arr = np.array(mask, dtype=bool)
    if missing_audio == "raise" and not mask_arr.all():
        missing = [
            str(folder / f"{stem}.mp3")
            for folder, stem, ok in zip(folders, stems, mask_arr, strict=True)
            if not ok
        ]
        shown = ", ".join(repr(m) for m in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise MissingFileError(
            f"{len(missing)} annotated {what} clip(s) have no audio file: {shown}{more} "
            f"(looked for extensions {list(AUDIO_EXTENSIONS)}); pass missing_audio='skip' "
            "to load only the clips whose audio exists"
        )
    return np.array(paths, dtype=str), mask_arr


def dynamic_from_wide(
    arousal: pd.DataFrame, valence: pd.DataFrame, ids: Sequence, *, scale=None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-clip (n_frames, 2) arrays from wide ``song_id, sample_<ms>ms, ...`` tables.

    Frames where either value is missing (NaN) are dropped. Clips absent from the tables get
    an empty (0, 2) array.
    """

    def times_of(df: pd.DataFrame) -> tuple[list[str], np.ndarray]:
        cols = [c for c in df.columns if re.fullmatch(r"sample_\d+ms", c)]
        return cols, np.array([int(c[len("sample_") : -2]) / 1000.0 for c in cols])

    a_cols, a_times = times_of(arousal)
    v_cols, v_times = times_of(valence)
    common = sorted(set(a_cols) & set(v_cols), key=lambda c: int(c[len("sample_") : -2]))
    times = np.array([int(c[len("sample_") : -2]) / 1000.0 for c in common])
    a_idx = arousal.set_index("song_id")[common]
    v_idx = valence.set_index("song_id")[common]
    dyn, dyn_times = [], []
    for song in ids:
        if song in a_idx.index and song in v_idx.index:
            values = np.column_stack(
                [a_idx.loc[song].to_numpy(float), v_idx.loc[song].to_numpy(float)]
            )
            if scale is not None:
                values = scale(values)
            keep = np.isfinite(values).all(axis=1)
            dyn.append(values[keep])
            dyn_times.append(times[keep])
        else:
            dyn.append(np.empty((0, 2)))
            dyn_times.append(np.empty(0))
    return dyn, dyn_times


def nine_point_to_unit(x):
    """Map the 1-9 rating scale (emoMusic, DEAM) to [-1, 1]: ``(x - 5) / 4``."""
    return (np.asarray(x, dtype=float) - 5.0) / 4.0


def unit_interval_to_unit(x):
    """Map PMEmo's [0, 1] scale to [-1, 1]: ``2 * x - 1``."""
    return 2.0 * np.asarray(x, dtype=float) - 1.0


def missing_note(n_annotated: int, n_found: int) -> str:
    """Sentence for DESCR on clips left out for lack of audio."""
    if n_annotated == n_found:
        return f"All {n_found} annotated clips have audio in this folder."
    return (
        f"{n_annotated - n_found} of the {n_annotated} annotated clips have no audio in this "
        f"folder and were left out (missing_audio='skip'); {n_found} clips are returned."
    )


def artist_groups(artists: pd.Series, ids: pd.Series) -> np.ndarray:
    """Artist per clip for grouped splits; a clip without artist gets a group of its own."""
    out = [
        a if isinstance(a, str) and a.strip() else f"<unknown artist: {i}>"
        for a, i in zip(artists, ids, strict=True)
    ]
    return np.array(out, dtype=str)
