"""What to do with a predicted music library: see it on a map, make mood playlists.

``sk-deepsense predict MODEL ~/Music --format jsonl -o music.jsonl`` leaves one record per
file (:func:`~sk_deepsense.predict_files`). This module reads such records back
(:func:`read_records`: a JSON Lines, JSON or CSV file as ``predict`` writes them, or the dicts
``predict_files`` yields) and puts every track on the **arousal-valence plane**: a
regressor's own ``arousal`` and ``valence``; for a quadrant classifier, the
probability-weighted mean of the quadrants' centres (:func:`quadrant_position`). Then:

- :func:`write_map`: one self-contained HTML file (plotly, no server, no CDN) where every
  track is a point coloured by its label; hover names it, a click plays it, the legend
  filters labels, a search box finds tracks, and files that could not be predicted are
  listed (``sk-deepsense map``);
- :func:`select_tracks` and :func:`write_playlist`: the tracks of one label by confidence,
  or the N nearest a point of the plane, as an extended M3U playlist
  (``sk-deepsense playlist``).

Nothing here runs a model: a map or a playlist is remade in a second from the records of a
prediction that took hours. The records file may come from anyone: it is read as data
(JSON or CSV, never code), every value is checked, and it chooses no file that is written;
it names the audio files whose tags (title, artist, length) are read, and only regular
files are opened for that.
"""

from __future__ import annotations

import contextlib
import csv
import html
import itertools
import json
import math
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from ._csv_cells import unescape_cell
from ._files import atomic_write_text
from ._record_paths import ESCAPED, escape_path, unescape_path
from .datasets._quadrants import QUADRANT_CENTRES, QUADRANT_MOODS, QUADRANTS, quadrant_position
from .exceptions import (
    IsAFolderError,
    MissingDependencyError,
    MissingFileError,
    OutputExistsError,
    ParameterError,
    RecordsFileError,
)

__all__ = [
    "QUADRANT_CENTRES",
    "Library",
    "Track",
    "TrackInfo",
    "quadrant_position",
    "read_records",
    "select_tracks",
    "track_info",
    "write_map",
    "write_playlist",
]

#: Fields of a record that are neither a target nor a label.
_META = frozenset({"path", "start", "end", "windows", "error", ESCAPED})

#: Marker colours of the quadrants on the map (other labels take plotly's palette).
_QUADRANT_COLOURS = {"Q1": "#e69f00", "Q2": "#d55e00", "Q3": "#0072b2", "Q4": "#009e73"}

_MAP_EXTRA = "the map needs plotly: pip install 'sk_deepsense[map]'"


@dataclass(frozen=True)
class Track:
    """One record of a predicted library.

    Attributes
    ----------
    path : str
        The file as the record names it (``predict`` writes the name it was given).
    file : pathlib.Path
        That file as an absolute path (a relative ``path`` is relative to the ``base`` of
        :func:`read_records`).
    line : int
        Where the record is in its file (1 for the first line or CSV row; the position in
        the sequence for records given as dicts).
    label : str or None
        The predicted class (a classifier), or the quadrant of ``(arousal, valence)`` (a
        regressor: ``"Q1"`` .. ``"Q4"``); ``None`` for an error record.
    probabilities : dict of str to float or None
        The class probabilities, when the model gives them.
    arousal, valence : float or None
        The position on the plane: a regressor's own values, a classifier's from
        :func:`quadrant_position` (or its label's centre without probabilities); ``None``
        when the classes have no centres, or for an error record.
    error : str or None
        Why the file could not be predicted (an error record), else ``None``.
    """

    path: str
    file: Path
    line: int
    label: str | None = None
    probabilities: dict[str, float] | None = None
    arousal: float | None = None
    valence: float | None = None
    error: str | None = None

    @property
    def confidence(self) -> float | None:
        """The probability of the predicted label (``None`` without probabilities)."""
        if self.probabilities is None or self.label is None:
            return None
        return self.probabilities.get(self.label)


@dataclass(frozen=True)
class Library:
    """The records of a predicted library, as :func:`read_records` reads them.

    Attributes
    ----------
    tracks : tuple of Track
        The predictions, in the order of the records.
    errors : tuple of Track
        The files that could not be predicted (their ``error`` says why), in order.
    kind : {"classifier", "regressor"}
        The model that made the records.
    source : str
        The records file (or ``"<records>"`` for records given as dicts).
    classes : tuple of str
        The labels, in order of first appearance (a classifier's, or the quadrants a
        regressor's tracks fall in).
    """

    tracks: tuple[Track, ...]
    errors: tuple[Track, ...]
    kind: Literal["classifier", "regressor"]
    source: str
    classes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class TrackInfo:
    """What an audio file's tags say: title, artist, length in seconds (``None`` unknown)."""

    title: str | None = None
    artist: str | None = None
    duration: float | None = None


# ------------------------------------------------------------------------------ reading
def read_records(
    source: str | os.PathLike | Iterable[Mapping[str, Any]],
    *,
    base: str | os.PathLike | None = None,
    centres: Mapping[str, tuple[float, float]] | None = None,
) -> Library:
    """Read the records of a predicted library.

    Parameters
    ----------
    source : path or iterable of dict
        A JSON Lines (``.jsonl``), JSON (one array) or CSV (``.csv``) file as
        ``sk-deepsense predict --format jsonl|json|csv`` writes it, or the records
        :func:`~sk_deepsense.predict_files` yields.
        Classifier records hold ``label`` (and ``probabilities``, or ``p_<class>`` CSV
        columns); regressor records hold ``arousal`` and ``valence``; error records
        ``error``. A name written escaped (``path_escaped``) is read back to the file's
        real name.
    base : path, optional
        The folder that relative paths in the records are relative to; by default the
        current folder (``predict`` writes each name as it was given, so run this where
        ``predict`` ran, or say where that was).
    centres : mapping of str to (float, float), optional
        (arousal, valence) of each class, to place a classifier's tracks on the plane; by
        default :data:`QUADRANT_CENTRES`. Tracks whose classes have no centre get no
        position (a map or ``near`` then says so).

    Returns
    -------
    Library
        The prediction and error records, in order.

    Raises
    ------
    RecordsFileError
        If a line is not a record (not JSON, not an object, no ``path``, a value that is
        not a finite number where one is needed), classifier and regressor records are
        mixed, or there is not a single record. The message names the file and the line.
    OSError
        If the file cannot be opened.

    Examples
    --------
    >>> from sk_deepsense.library import read_records
    >>> lib = read_records([
    ...     {"path": "/music/a.mp3", "label": "Q4",
    ...      "probabilities": {"Q1": 0.1, "Q2": 0.0, "Q3": 0.1, "Q4": 0.8}},
    ...     {"path": "/music/b.mp3", "error": "Cannot load audio file ..."},
    ... ])
    >>> lib.kind, len(lib.tracks), len(lib.errors)
    ('classifier', 1, 1)
    >>> t = lib.tracks[0]
    >>> t.label, t.confidence, (t.arousal, t.valence)
    ('Q4', 0.8, (-0.4, 0.4))
    """
    base_dir = Path(os.path.abspath(base if base is not None else os.getcwd()))
    if isinstance(source, (str, os.PathLike)):
        where = os.fspath(source)
        rows = _file_rows(Path(where))
    else:
        where = "<records>"
        rows = ((n, dict(r)) for n, r in enumerate(source, start=1))
    tracks: list[Track] = []
    errors: list[Track] = []
    kind: str | None = None
    first_line = 0
    classes: dict[str, None] = {}
    for line, record in rows:
        try:
            track, this_kind = _track(record, line, base_dir, centres)
        except (TypeError, ValueError) as exc:
            raise RecordsFileError(where, f"line {line}: {exc}") from None
        if this_kind is None:
            errors.append(track)
            continue
        if kind is None:
            kind, first_line = this_kind, line
        elif this_kind != kind:
            raise RecordsFileError(
                where,
                f"line {line} is a {this_kind}'s record but line {first_line} a {kind}'s: "
                "one file must hold the predictions of one model",
            )
        tracks.append(track)
        if track.label is not None:
            classes.setdefault(track.label, None)
    if kind is None:
        reason = (
            f"all {len(errors)} records are error records: no file was predicted"
            if errors
            else "it holds no record"
        )
        raise RecordsFileError(where, reason)
    return Library(tuple(tracks), tuple(errors), kind, where, tuple(classes))  # type: ignore[arg-type]


def _file_rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    """Yield (line, record) of a JSON Lines, JSON or CSV file; damaged lines are errors."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise MissingFileError(f"No such file or directory: {str(path)!r}") from None
    except UnicodeDecodeError as exc:
        raise RecordsFileError(path, f"it is not UTF-8 text (byte {exc.start})") from None
    if path.suffix.lower() == ".csv" or text.startswith("path,"):
        yield from _csv_rows(path, text)
        return
    if text.lstrip().startswith("["):  # ``predict --format json``: one array of records
        yield from _json_array_rows(path, text)
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=_no_constant)
        except RecursionError:
            raise RecordsFileError(path, f"line {n} is nested too deeply to be a record") from None
        except ValueError as exc:
            hint = " (cut short: if predict was killed, finish the file with --resume)"
            raise RecordsFileError(
                path, f"line {n} is not a JSON record ({exc}){hint if n > 1 else ''}"
            ) from None
        if not isinstance(record, dict):
            raise RecordsFileError(path, f"line {n} is not a JSON object")
        yield n, record


def _no_constant(name: str) -> float:
    raise ParameterError(f"{name} is not a number a record may hold")


def _json_array_rows(path: Path, text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    """Yield (line, record) of a JSON array of records, each at the line where it starts."""
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    space = re.compile(r"\s*")
    counted, line = 0, 1  # lines counted up to text[counted] (once: no quadratic rescans)

    def line_at(i: int) -> int:
        nonlocal counted, line
        line += text.count("\n", counted, i)
        counted = i
        return line

    def past_space(i: int) -> int:
        match = space.match(text, i)
        assert match is not None  # r"\s*" matches everywhere
        return match.end()

    i = past_space(0) + 1  # past the "["
    i = past_space(i)
    if text.startswith("]", i):
        i += 1
    else:
        while True:
            where = line_at(i)
            try:
                record, i = decoder.raw_decode(text, i)
            except RecursionError:
                raise RecordsFileError(
                    path, f"line {where} is nested too deeply to be a record"
                ) from None
            except ValueError as exc:
                raise RecordsFileError(path, f"line {where} is not a JSON record ({exc})") from None
            if not isinstance(record, dict):
                raise RecordsFileError(path, f"line {where} is not a JSON object")
            yield where, record
            i = past_space(i)
            if text.startswith("]", i):
                i += 1
                break
            if not text.startswith(",", i):
                raise RecordsFileError(
                    path, f"line {line_at(i)}: the JSON array is cut short or damaged"
                )
            i = past_space(i + 1)
    i = past_space(i)
    if i < len(text):
        raise RecordsFileError(path, f"line {line_at(i)}: text after the end of the JSON array")


def _csv_rows(path: Path, text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    import io

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or "path" not in header:
            raise RecordsFileError(path, "line 1 is not a CSV header with a 'path' column")
        for row in reader:
            n = reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise RecordsFileError(
                    path, f"line {n} has {len(row)} cells where the header has {len(header)}"
                )
            cells = {k: unescape_cell(v) for k, v in zip(header, row, strict=True)}
            yield n, _from_csv(cells)
    except csv.Error as exc:
        raise RecordsFileError(path, f"line {reader.line_num} is not CSV ({exc})") from None


def _from_csv(cells: dict[str, str]) -> dict[str, Any]:
    """Return a CSV row of ``predict`` as the JSON record it flattens (``p_<class>`` columns)."""
    record: dict[str, Any] = {"path": cells["path"]}
    if cells.get("error"):
        record["error"] = cells["error"]
    if cells.get(ESCAPED, "").strip().lower() == "true":
        record[ESCAPED] = True
    if "error" in record:
        return record
    probabilities = {}
    for key, value in cells.items():
        if key in ("path", "error", ESCAPED) or value == "":
            continue
        if key.startswith("p_"):
            probabilities[key[2:]] = _csv_number(key, value)
        elif key == "label":
            record["label"] = value
        else:
            record[key] = _csv_number(key, value)
    if probabilities:
        record["probabilities"] = probabilities
    return record


def _csv_number(key: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ParameterError(f"{key} is {value!r}, not a number") from None


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{key} is {value!r}, not a number")
    if not math.isfinite(value):
        raise ParameterError(f"{key} is {value!r}, not a finite number")
    return float(value)


def _track(
    record: dict[str, Any],
    line: int,
    base: Path,
    centres: Mapping[str, tuple[float, float]] | None,
) -> tuple[Track, str | None]:
    """One record as a Track and its kind ("classifier", "regressor", or None: an error)."""
    path = record.get("path")
    if not isinstance(path, str) or not path:
        raise ParameterError("it has no 'path' (the file name)")
    if record.get(ESCAPED) is True:
        path = unescape_path(path)
    file = Path(os.path.abspath(base / path))
    error = record.get("error")
    if error:
        return Track(path, file, line, error=str(error)), None
    if "label" in record:
        label = record["label"]
        if isinstance(label, (dict, list)) or label is None:
            raise ParameterError(f"label is {label!r}, not a class name")
        label = str(label)
        probabilities = record.get("probabilities")
        if probabilities is not None:
            if not isinstance(probabilities, dict) or not probabilities:
                raise ParameterError("probabilities is not an object of class -> probability")
            probabilities = {str(c): _number(f"p_{c}", p) for c, p in probabilities.items()}
            if any(not 0 <= p <= 1 for p in probabilities.values()):
                raise ParameterError("a probability is outside [0, 1]")
        arousal = valence = None
        with contextlib.suppress(ValueError):  # classes without a centre: no position
            arousal, valence = quadrant_position(
                probabilities if probabilities else {label: 1.0}, centres
            )
        return Track(path, file, line, label, probabilities, arousal, valence), "classifier"
    targets = {k: _number(k, v) for k, v in record.items() if k not in _META}
    if not targets:
        raise ParameterError("it has neither a label, targets, nor an error")
    arousal, valence = targets.get("arousal"), targets.get("valence")
    label = None
    if arousal is not None and valence is not None:
        label = _quadrant(arousal, valence)
    return Track(path, file, line, label, None, arousal, valence), "regressor"


def _quadrant(arousal: float, valence: float) -> str:
    from .datasets._quadrants import quadrant_from_av

    return str(quadrant_from_av(arousal, valence))


# ---------------------------------------------------------------------------- playlists
def select_tracks(
    library: Library,
    *,
    label: str | None = None,
    near: tuple[float, float] | None = None,
    n: int | None = None,
    min_confidence: float | None = None,
) -> list[Track]:
    """Choose and order tracks for a playlist.

    ``label`` keeps the tracks of that label (a regressor's tracks are labelled by the
    quadrant they fall in), surest first (by the probability of that label; in file order
    without probabilities). ``near`` orders the tracks by their distance to a point of the
    arousal-valence plane, nearest first (with ``label`` too: that label's tracks by
    distance). ``min_confidence`` keeps tracks whose predicted label has at least that
    probability; ``n`` keeps the first ``n``. Error records are never chosen. Ties keep
    the order of the records.

    Parameters
    ----------
    library : Library
        From :func:`read_records`.
    label : str, optional
        A label of the library (e.g. ``"Q4"`` for calm music).
    near : (float, float), optional
        (arousal, valence), on the scale of the positions (the common [-1, 1] scale).
    n : int, optional
        At most this many tracks.
    min_confidence : float, optional
        In [0, 1]; needs the model's probabilities.

    Returns
    -------
    list of Track
        In playlist order.

    Raises
    ------
    ValueError
        If ``label`` is not a label of the library (the message lists them), ``near`` is
        asked of tracks without a position, ``min_confidence`` of records without
        probabilities, or a number is out of range.

    Examples
    --------
    >>> from sk_deepsense.library import read_records, select_tracks
    >>> lib = read_records([
    ...     {"path": "/m/a.mp3", "label": "Q4", "probabilities": {"Q3": 0.4, "Q4": 0.6}},
    ...     {"path": "/m/b.mp3", "label": "Q4", "probabilities": {"Q3": 0.1, "Q4": 0.9}},
    ...     {"path": "/m/c.mp3", "label": "Q3", "probabilities": {"Q3": 0.7, "Q4": 0.3}},
    ... ])
    >>> [t.path for t in select_tracks(lib, label="Q4")]
    ['/m/b.mp3', '/m/a.mp3']
    >>> [t.path for t in select_tracks(lib, near=(-0.5, -0.5), n=2)]
    ['/m/c.mp3', '/m/a.mp3']
    """
    tracks = list(library.tracks)
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise ParameterError(f"n must be an integer >= 1, got {n!r}")
    if min_confidence is not None:
        if not 0 <= float(min_confidence) <= 1:
            raise ParameterError(f"min_confidence must be in [0, 1], got {min_confidence!r}")
        if any(t.probabilities is None for t in tracks):
            raise ParameterError(
                "min_confidence needs the model's class probabilities; these records have "
                f"none ({library.kind}{' without predict_proba' * (library.kind == 'classifier')})"
            )
        tracks = [t for t in tracks if (t.confidence or 0.0) >= min_confidence]
    if label is not None:
        label = str(label)
        if label not in library.classes:
            raise ParameterError(
                f"label {label!r} is not a label of these records; they have "
                f"{sorted(library.classes)}"
            )
        tracks = [t for t in tracks if t.label == label]
        if near is None and all(t.probabilities is not None for t in tracks):
            tracks.sort(key=lambda t: -(t.probabilities or {}).get(label, 0.0))
    if near is not None:
        a, v = (float(x) for x in near)
        if not (math.isfinite(a) and math.isfinite(v)):
            raise ParameterError(f"near must be two finite numbers, got {near!r}")
        unplaced = [t for t in tracks if t.arousal is None or t.valence is None]
        if unplaced:
            raise ParameterError(
                f"{len(unplaced)} tracks have no arousal-valence position (first: "
                f"{unplaced[0].path!r}, label {unplaced[0].label!r}): give the classes' "
                "centres (centres= or --centre LABEL=AROUSAL,VALENCE)"
            )
        tracks.sort(key=lambda t: math.hypot(t.arousal - a, t.valence - v))  # type: ignore[operator]
    return tracks[:n] if n is not None else tracks


def track_info(file: str | os.PathLike) -> TrackInfo:
    """Read an audio file's title, artist and length from its tags, where it has them.

    With `mutagen <https://mutagen.readthedocs.io>`_ installed (``pip install
    'sk_deepsense[map]'``) its tags and stream length; otherwise (or where it finds none)
    the length libsndfile reads from the header. Only a regular file is opened (never a
    folder, a pipe or a device), and any error gives an empty answer: tags only ever
    label a track.

    Parameters
    ----------
    file : path
        An audio file.

    Returns
    -------
    TrackInfo
        ``title``, ``artist`` and ``duration`` (seconds), each ``None`` when unknown.
    """
    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            return TrackInfo()
    except (OSError, ValueError):
        return TrackInfo()
    title = artist = duration = None
    try:
        import mutagen

        tags = mutagen.File(file, easy=True)
        if tags is not None:
            title = _first(tags.get("title"))
            artist = _first(tags.get("artist"))
            length = getattr(getattr(tags, "info", None), "length", None)
            if isinstance(length, (int, float)) and math.isfinite(length) and length > 0:
                duration = float(length)
    except Exception:  # noqa: BLE001 - missing library, unreadable or hostile tags
        pass
    if duration is None:
        try:
            import soundfile as sf

            info = sf.info(os.fsencode(file))  # bytes: any name, UTF-8 or not
            if info.samplerate > 0 and info.frames > 0:
                duration = info.frames / info.samplerate
        except Exception:  # noqa: BLE001 - not a file libsndfile reads
            pass
    return TrackInfo(title, artist, duration)


def _first(values: Any) -> str | None:
    if not values:
        return None
    text = " ".join(str(values[0]).split())  # one line, whatever the tag holds
    return text[:200] or None


def _display_name(track: Track, info: TrackInfo) -> str:
    if info.title:
        return f"{info.artist} - {info.title}" if info.artist else info.title
    return " ".join(Path(track.path).stem.split()) or track.path


def write_playlist(
    tracks: Sequence[Track],
    path: str | os.PathLike,
    *,
    absolute: bool = False,
    overwrite: bool = False,
    tags: bool = True,
) -> list[Track]:
    """Write tracks as an extended M3U playlist (``#EXTM3U``, one ``#EXTINF`` per track).

    Each entry is ``#EXTINF:<seconds>,<artist - title>`` (from the file's tags where it has
    them, else its name; ``-1`` seconds when the length is unknown) and the file's path,
    relative to the playlist's folder (so that the folder can move with its music), or
    absolute. The file is UTF-8, written atomically; a file name that is not UTF-8 is
    written as its bytes, as players on Linux expect. A name holding a line break cannot be
    an M3U entry: such tracks are left out (the returned list says which were written).

    Parameters
    ----------
    tracks : sequence of Track
        In playlist order (from :func:`select_tracks`).
    path : path
        The playlist file (``.m3u`` or ``.m3u8``).
    absolute : bool, default=False
        Write absolute paths.
    overwrite : bool, default=False
        Replace an existing file (refused otherwise).
    tags : bool, default=True
        Read titles and lengths from the files' tags (:func:`track_info`).

    Returns
    -------
    list of Track
        The tracks written, in order.

    Raises
    ------
    FileExistsError
        If ``path`` exists and not ``overwrite``.
    """
    out = Path(path)
    _check_output(out, overwrite)
    folder = Path(os.path.abspath(out.parent))
    lines = ["#EXTM3U"]
    written = []
    for track in tracks:
        name = os.fspath(track.file)
        if "\n" in name or "\r" in name:
            continue
        info = track_info(track.file) if tags else TrackInfo()
        seconds = round(info.duration) if info.duration else -1
        lines.append(f"#EXTINF:{seconds},{_display_name(track, info)}")
        lines.append(name if absolute else _relative(track.file, folder))
        written.append(track)
    atomic_write_text(out, "\n".join(lines) + "\n", errors="surrogateescape")
    return written


def _relative(file: Path, folder: Path) -> str:
    try:
        return os.path.relpath(file, folder)
    except ValueError:  # another drive (Windows): only an absolute path reaches it
        return os.fspath(file)


def _check_output(out: Path, overwrite: bool) -> None:
    if out.is_dir():
        raise IsAFolderError(f"{str(out)!r} is a folder; give a file name")
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"{str(out)!r} already exists; pass overwrite=True (--overwrite) to replace it"
        )
    if not out.parent.is_dir() and str(out.parent):
        raise MissingFileError(f"the folder of {str(out)!r} does not exist")


# ---------------------------------------------------------------------------------- map
def write_map(
    library: Library,
    path: str | os.PathLike,
    *,
    title: str | None = None,
    overwrite: bool = False,
    tags: bool = True,
) -> Path:
    """Write an interactive map of a predicted library as one self-contained HTML file.

    Every track is a point of the arousal-valence plane (valence across, arousal up),
    coloured by its label (a regressor's by its quadrant). Hovering names it (title and
    artist from its tags where it has them); clicking plays it in the page's audio player,
    whose source is the file's path relative to the HTML file (move the folder and the map
    moves with it); the legend shows and hides labels; the search box finds tracks by name,
    title or artist and rings them on the map; the files that could not be predicted are
    listed below with the reason. plotly.js is inlined (about 4.7 MB): the page opens
    offline, from disk, with no server.

    Parameters
    ----------
    library : Library
        From :func:`read_records`; every track needs a position.
    path : path
        The HTML file to write.
    title : str, optional
        The page's title; by default the records file's name.
    overwrite : bool, default=False
        Replace an existing file (refused otherwise).
    tags : bool, default=True
        Read titles and artists from the files' tags (:func:`track_info`).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ImportError
        If plotly is not installed (``pip install 'sk_deepsense[map]'``).
    ValueError
        If some tracks have no position (classes without centres).
    FileExistsError
        If ``path`` exists and not ``overwrite``.
    """
    try:
        import plotly.graph_objects as go
        import plotly.io as pio
    except ImportError as exc:
        raise MissingDependencyError(_MAP_EXTRA) from exc
    out = Path(path)
    _check_output(out, overwrite)
    unplaced = [t for t in library.tracks if t.arousal is None or t.valence is None]
    if unplaced:
        raise ParameterError(
            f"{len(unplaced)} tracks have no arousal-valence position (first: "
            f"{unplaced[0].path!r}, label {unplaced[0].label!r}): give the classes' centres "
            "(centres= or --centre LABEL=AROUSAL,VALENCE)"
        )
    folder = Path(os.path.abspath(out.parent))
    title = title or f"Emotions of {Path(library.source).name}"
    rows = []
    for i, track in enumerate(library.tracks):
        info = track_info(track.file) if tags else TrackInfo()
        rows.append(
            {
                "i": i,
                "name": _shown(Path(track.path).name),
                "title": info.title or "",
                "artist": info.artist or "",
                "label": track.label,
                "confidence": track.confidence,
                "src": _url(track.file, folder),
            }
        )
    fig = go.Figure()
    palette = itertools.cycle(["#cc79a7", "#56b4e9", "#f0e442", "#999999", "#882255"])
    order = {q: i for i, q in enumerate(QUADRANTS)}  # quadrants first, in order
    for label in sorted(library.classes, key=lambda c: order.get(c, len(order))):
        members = [i for i, t in enumerate(library.tracks) if t.label == label]
        mood = QUADRANT_MOODS.get(label)
        fig.add_trace(
            go.Scatter(
                x=[library.tracks[i].valence for i in members],
                y=[library.tracks[i].arousal for i in members],
                mode="markers",
                name=f"{label} {mood} ({len(members)})" if mood else f"{label} ({len(members)})",
                marker={
                    "size": 9,
                    "opacity": 0.8,
                    "color": _QUADRANT_COLOURS.get(label) or next(palette),
                    "line": {"width": 0.5, "color": "white"},
                },
                customdata=members,
                text=[_hover(rows[i]) for i in members],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.add_trace(  # the search results, ringed (filled in by the page's script)
        go.Scatter(
            x=[],
            y=[],
            mode="markers",
            name="found",
            hoverinfo="skip",
            showlegend=False,
            marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"width": 2.5, "color": "#000"}},
        )
    )
    quadrants = set(library.classes) <= set(QUADRANTS) or library.kind == "regressor"
    # every track is placed here (unplaced ones were refused above): `or 0.0` is for mypy
    furthest = max(
        (max(abs(t.arousal or 0.0), abs(t.valence or 0.0)) for t in library.tracks), default=0
    )
    edge = 1.05 * max(1.0, furthest)  # the [-1, 1] plane, or wider for values beyond it
    axis = {"range": [-edge, edge], "zeroline": True, "zerolinecolor": "#888"}
    fig.update_layout(
        xaxis={**axis, "constrain": "domain", "title": {"text": "valence (negative → positive)"}},
        yaxis={**axis, "title": {"text": "arousal (low → high)"}, "scaleanchor": "x"},
        legend={"title": {"text": "label (click to show or hide)"}},
        margin={"l": 60, "r": 20, "t": 30, "b": 60},
        height=640,
        template="plotly_white",
        hovermode="closest",
        annotations=_quadrant_captions() if quadrants else [],
    )
    plot = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=True,
        div_id="map",
        config={"displaylogo": False, "responsive": True},
        post_script=_MAP_SCRIPT,
    )
    errors = "".join(
        f"<li><span class=path>{html.escape(_shown(t.path))}</span>: "
        f"{html.escape(_shown(t.error or ''))}</li>"
        for t in library.errors
    )
    counts = f"{len(library.tracks)} tracks" + (
        f", {len(library.errors)} not predicted" if library.errors else ""
    )
    page = _MAP_PAGE.format(
        title=html.escape(title),
        counts=html.escape(counts),
        plot=plot,
        data=_script_json(rows),
        n_errors=f"{len(library.errors)} file" + ("" if len(library.errors) == 1 else "s"),
        errors=errors,
        errors_hidden="" if library.errors else " hidden",
    )
    atomic_write_text(out, page)
    return out


def _quadrant_captions() -> list[dict[str, Any]]:
    """Return the quadrants' names in the plane's corners (valence across, arousal up)."""
    captions = []
    for q in QUADRANTS:
        arousal, valence = QUADRANT_CENTRES[q]
        captions.append(
            {
                "x": 1.8 * valence,
                "y": 1.9 * arousal,
                "text": f"{q} {QUADRANT_MOODS[q]}",
                "showarrow": False,
                "font": {"color": "#777", "size": 13},
            }
        )
    return captions


def _url(file: Path, folder: Path) -> str:
    """Return the file as a URL relative to the page's folder (``:`` escaped: no scheme)."""
    rel = _relative(file, folder)
    if os.path.isabs(rel):  # another drive
        return Path(rel).as_uri()
    return quote(os.fsencode(rel).replace(os.sep.encode(), b"/"), safe="/")


def _shown(text: str) -> str:
    r"""Return ``text`` as valid UTF-8 for display (a name's non-UTF-8 bytes as ``\xNN``)."""
    return escape_path(text)[0]


def _hover(row: dict[str, Any]) -> str:
    parts = [f"<b>{html.escape(row['name'])}</b>"]
    if row["title"]:
        by = f" — {row['artist']}" if row["artist"] else ""
        parts.append(html.escape(row["title"] + by))
    conf = row["confidence"]
    parts.append(f"{html.escape(str(row['label']))}" + (f" (p = {conf:.2f})" if conf else ""))
    return "<br>".join(parts)


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` can end it early)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_MAP_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1em 2em; color: #222; }}
header {{ display: flex; flex-wrap: wrap; gap: 1em; align-items: baseline; }}
h1 {{ font-size: 1.3em; margin: 0; }}
#search {{ font-size: 1em; padding: 0.2em 0.4em; min-width: 18em; }}
#player {{ display: flex; gap: 1em; align-items: center; margin: 0.5em 0; }}
#results li, #errors li {{ font-size: 0.9em; }}
#results li {{ cursor: pointer; color: #0645ad; }}
.path {{ font-family: monospace; }}
</style>
</head>
<body>
<header>
<h1>{title}</h1><span id="counts">{counts}</span>
<input id="search" type="search" placeholder="Find a track (name, title, artist)"
 aria-label="Find a track">
<span id="found"></span>
</header>
<ol id="results"></ol>
<div id="player"><span id="now">Click a track to play it.</span>
<audio id="audio" controls preload="none"></audio></div>
<script>
const TRACKS = {data};
</script>
{plot}
<details id="errors" open{errors_hidden}><summary>{n_errors} could not be predicted</summary>
<ul>{errors}</ul></details>
</body>
</html>
"""

# run by plotly once the plot exists ({plot_id} is its div)
_MAP_SCRIPT = """
const gd = document.getElementById('{plot_id}');
const audio = document.getElementById('audio');
const now = document.getElementById('now');
const found = document.getElementById('found');
const results = document.getElementById('results');
const foundTrace = gd.data.length - 1;
function describe(t) {
  return t.title ? (t.artist ? t.artist + ' - ' + t.title : t.title) : t.name;
}
function play(i) {
  const t = TRACKS[i];
  audio.src = t.src;
  now.textContent = 'Playing ' + describe(t) + ' (' + t.label + ')';
  audio.play().catch(function () {});
}
audio.addEventListener('error', function () {
  now.textContent = 'Cannot play ' + audio.getAttribute('src') +
    ' (moved, or a format this browser does not play)';
});
gd.on('plotly_click', function (ev) {
  const p = ev.points[0];
  if (p && p.curveNumber !== foundTrace) { play(p.customdata); }
});
const haystack = TRACKS.map(function (t) {
  return (t.name + ' ' + t.title + ' ' + t.artist).toLowerCase();
});
function search(text) {
  const q = text.trim().toLowerCase();
  const hits = [];
  if (q) { haystack.forEach(function (h, i) { if (h.includes(q)) { hits.push(i); } }); }
  const wanted = new Set(hits);
  const xs = [], ys = [];
  gd.data.forEach(function (trace, k) {
    if (k === foundTrace) { return; }
    trace.customdata.forEach(function (i, j) {
      if (wanted.has(i)) { xs.push(trace.x[j]); ys.push(trace.y[j]); }
    });
  });
  Plotly.restyle(gd, {x: [xs], y: [ys]}, [foundTrace]);
  found.textContent = q ? hits.length + ' found' : '';
  results.replaceChildren();
  hits.slice(0, 50).forEach(function (i) {
    const li = document.createElement('li');
    li.textContent = describe(TRACKS[i]) + ' (' + TRACKS[i].label + ')';
    li.dataset.index = i;
    li.addEventListener('click', function () { play(i); });
    results.appendChild(li);
  });
}
window.skDeepsense = {search: search};  // for scripts (the benchmark)
let typing = null;  // redraw once typing pauses: a redraw of 10,000 points takes ~0.5 s
document.getElementById('search').addEventListener('input', function (ev) {
  clearTimeout(typing);
  typing = setTimeout(function () { search(ev.target.value); }, 200);
});
"""
