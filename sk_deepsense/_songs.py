"""Whole songs: a file cut into windows of the model's clip length, their predictions pooled.

A model is trained on clips of its feature transformer's ``duration`` (30 s by default);
a song is longer. :func:`song_windows` cuts the part of a file to predict into windows of
that length (hop = the length, the last window moved back to end at the song's end, so that
every window is full), :class:`SongFeatures` decodes and extracts them window by window (a
file is never decoded whole), and :class:`PooledWindows` predicts every window and returns,
per song, the mean of its windows' class probabilities (or regression targets).

The work is cut into :class:`SongPart` items of at most ``max_windows`` windows of one file,
so that :func:`sk_deepsense.predict_files` extracts and predicts a bounded number of windows
at a time whatever the length of a file; :func:`merge_parts` joins the records of the parts
of one file into the song's record (the weighted mean of the parts' means is the mean over
all the windows).
"""

from __future__ import annotations

import copy
import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from .datasets._quadrants import QUADRANTS, quadrant_position
from .exceptions import AudioLoadError, AudioLoadErrors, ParameterError

__all__ = [
    "PooledWindows",
    "SongFeatures",
    "SongPart",
    "audio_length",
    "check_span",
    "merge_parts",
    "song_parts",
    "song_windows",
]

#: Decimals of the ``start`` and ``end`` seconds of a record (a millisecond).
SPAN_DECIMALS = 3


def check_span(offset: Any, duration: Any) -> tuple[float, float | None]:
    """Validate the part of each file to predict; return ``(offset, duration)`` as floats.

    Raises
    ------
    ValueError
        If ``offset`` is not a finite number >= 0, or ``duration`` not ``None`` nor a finite
        number > 0.
    """
    if isinstance(offset, bool) or not isinstance(offset, Real) or not math.isfinite(offset):
        raise ParameterError(f"offset must be a finite number of seconds >= 0, got {offset!r}")
    if offset < 0:
        raise ParameterError(f"offset must be a finite number of seconds >= 0, got {offset!r}")
    if duration is None:
        return float(offset), None
    if (
        isinstance(duration, bool)
        or not isinstance(duration, Real)
        or not math.isfinite(duration)
        or not float(duration) > 0
    ):
        raise ParameterError(
            f"duration must be a finite number of seconds > 0 or None, got {duration!r}"
        )
    return float(offset), float(duration)


def song_windows(
    length: float, *, clip: float | None, offset: float = 0.0, duration: float | None = None
) -> list[tuple[float, float]]:
    """Return the windows ``(start, end)`` (seconds) that cover a span of a file.

    The span is ``[offset, offset + duration]``, ending at the file's end at the latest
    (``duration=None``: the end). Windows are ``clip`` seconds long, one after the other
    (hop = ``clip``); when the span is not a whole number of windows, the last one is moved
    back to end at the span's end, so that every window is a full clip (it then overlaps
    the one before). A span no longer than ``clip`` is one window (its features are padded
    as any short clip's are); ``clip=None`` (a model of whole clips) gives one window too.

    Parameters
    ----------
    length : float
        Length of the file in seconds.
    clip : float or None
        Length of the model's clips in seconds (the feature transformer's ``duration``).
    offset : float, default=0.0
        Start of the span in the file, in seconds.
    duration : float or None, default=None
        Length of the span in seconds; ``None``: to the end of the file.

    Returns
    -------
    windows : list of (float, float)
        In order; the first starts at ``offset``, the last ends at the span's end.

    Raises
    ------
    ValueError
        If ``offset`` is at or past the end of the file.

    Examples
    --------
    >>> song_windows(70.0, clip=30.0)
    [(0.0, 30.0), (30.0, 60.0), (40.0, 70.0)]
    >>> song_windows(200.0, clip=30.0, offset=10.0, duration=30.0)
    [(10.0, 40.0)]
    >>> song_windows(12.5, clip=30.0)
    [(0.0, 12.5)]
    """
    start = float(offset)
    end = float(length) if duration is None else min(float(length), start + float(duration))
    if not end > start:
        raise ParameterError(
            f"offset {offset:g} s is at or past the end of the file ({length:g} s)"
        )
    if clip is None or end - start <= clip * (1 + 1e-9):
        return [(start, end)]
    n = math.ceil((end - start) / clip - 1e-9)
    starts = [start + k * clip for k in range(n - 1)] + [end - clip]
    return [(s, s + clip) for s in starts]


def audio_length(path: str | os.PathLike) -> float:
    """Length of an audio file in seconds, read from its header: nothing is decoded.

    soundfile reads it for wav, flac, ogg and mp3; other formats ask audioread (its
    backends read it from the container; ffmpeg's value is rounded to 10 ms).

    Raises
    ------
    AudioLoadError
        If neither can open the file (the message names it), or it reports no length.
    """
    import soundfile as sf

    from .features._audio_io import load_audio, soundfile_name

    try:
        info = sf.info(soundfile_name(path))
        if info.frames > 0 and info.samplerate > 0:
            return info.frames / info.samplerate
    except Exception:  # noqa: BLE001, S110 - not a libsndfile format: audioread below
        pass
    try:
        import audioread

        with audioread.audio_open(os.fspath(path)) as f:
            length = float(f.duration)
    except Exception:  # noqa: BLE001 - let the decoder say why, in its own words
        load_audio(path, duration=0.01)  # raises the clear AudioLoadError
        raise AudioLoadError(path, "its length cannot be read") from None
    if not (math.isfinite(length) and length > 0):
        raise AudioLoadError(path, f"its header gives no length ({length!r} s)")
    return length


@dataclass(frozen=True)
class SongPart:
    """Consecutive windows of one file: what :class:`SongFeatures` extracts as one item.

    Attributes
    ----------
    file : str or os.PathLike
        The file, as given.
    windows : tuple of (float, float)
        Its windows in this part, ``(start, end)`` in seconds.
    to_end : bool
        Whether the last window ends at the end of the file (then it is read to the end).
    span : (float, float)
        The span of the whole song the parts cover.
    n_windows : int
        Windows of the whole song.
    last : bool
        Whether this part is the file's last.
    error : AudioLoadError or None
        Why the file cannot be cut into windows (its length cannot be read, the offset is
        past its end); its record is then this error.
    """

    file: Any
    windows: tuple[tuple[float, float], ...] = ()
    to_end: bool = False
    span: tuple[float, float] = (0.0, 0.0)
    n_windows: int = 0
    last: bool = True
    error: AudioLoadError | None = None

    def __str__(self) -> str:
        return str(self.file)


def song_parts(
    files: Iterable[Any],
    *,
    clip: float | None,
    offset: float,
    duration: float | None,
    max_windows: int | None,
    taken: deque[SongPart],
) -> Iterator[SongPart]:
    """Cut each file into parts of at most ``max_windows`` windows, lazily, in order.

    Each part yielded is also appended to ``taken``, which :func:`merge_parts` reads back.
    """
    for file in files:
        try:
            length = audio_length(file)
            try:
                windows = song_windows(length, clip=clip, offset=offset, duration=duration)
            except ValueError as exc:
                raise AudioLoadError(file, str(exc)) from None
        except AudioLoadError as exc:
            part = SongPart(file, error=exc)
            taken.append(part)
            yield part
            continue
        to_end = duration is None or offset + duration >= length
        span = (windows[0][0], windows[-1][1])
        step = len(windows) if max_windows is None else max(1, int(max_windows))
        for i in range(0, len(windows), step):
            chunk = tuple(windows[i : i + step])
            last = i + step >= len(windows)
            part = SongPart(file, chunk, to_end and last, span, len(windows), last)
            taken.append(part)
            yield part


def part_weight(item: Any) -> int:
    """Windows an item of a batch stands for (1 for anything but a :class:`SongPart`)."""
    return max(1, len(item.windows)) if isinstance(item, SongPart) else 1


class SongFeatures:
    """Extract the windows of :class:`SongPart` items with a pipeline's feature steps.

    Each window is decoded on its own (:func:`~sk_deepsense.load_audio` with its offset and
    duration: soundfile seeks, so a long file is never decoded whole), a group of windows
    at a time (of one file or of several: ``n_jobs`` threads decode them), then turned into
    features by a copy of the pipeline's audio transformer that reads each waveform as a
    clip of the model's ``duration`` (its ``n_jobs`` threads), then by the pipeline's later
    steps. Only a group's waveforms are in memory at once.

    Parameters
    ----------
    features : Pipeline
        The pipeline's steps before its estimator; the first is an audio transformer.
    on_error : {"record", "raise"}
        ``"record"``: every failing part is collected, then one
        :class:`~sk_deepsense.exceptions.AudioLoadErrors` lists them; ``"raise"``: the
        first failure propagates.
    on_file : callable or None, default=None
        Called with no argument once per file, after the last part of the file is
        extracted or failed (:func:`~sk_deepsense.predict_files`' progress bar).
    """

    def __init__(
        self, features: Any, on_error: str, *, on_file: Callable[[], Any] | None = None
    ) -> None:
        name, step = features.steps[0]
        self.on_file = on_file
        self.sr = int(step.sr)
        self.n_jobs = 1 if step.n_jobs is None else int(step.n_jobs)
        if self.n_jobs < 0:
            import joblib

            self.n_jobs = max(1, joblib.effective_n_jobs(self.n_jobs))
        window_step = copy.copy(step)
        # a window's waveform is a whole clip: read from its first sample, padded to `duration`
        window_step.set_params(offset=0.0, memory=None, on_error="raise", verbose=0)
        self.step = window_step
        self.rest = features[1:] if len(features) > 1 else None
        self.on_error = on_error

    def transform(self, parts: list[SongPart]) -> list[Any]:
        """One array of window features per part (rows: its windows, in order).

        Raises
        ------
        AudioLoadErrors
            With ``on_error="record"``: the parts that failed (a file that cannot be read,
            a window that cannot be decoded or extracted), each naming its file.
        AudioLoadError
            With ``on_error="raise"``: the first failure.
        """
        failed: dict[int, AudioLoadError] = {}
        jobs = []  # (part, window, read to the end of the file)
        for i, part in enumerate(parts):
            if part.error is not None:
                self._fail(failed, i, part, part.error)
            for k, window in enumerate(part.windows):
                jobs.append((i, window, part.to_end and k == len(part.windows) - 1))
        rows: list[list[Any]] = [[] for _ in parts]
        last_job = {i: n for n, (i, _, _) in enumerate(jobs)}
        told = 0  # parts whose progress was reported
        group = max(4, 2 * self.n_jobs)  # waveforms in memory at once: a few clips
        for g in range(0, len(jobs), group):
            chunk = [
                (n, job) for n, job in enumerate(jobs[g : g + group], g) if job[0] not in failed
            ]
            for (_, (i, _, _)), rows_i in zip(
                chunk, self._extract(chunk, parts, failed), strict=True
            ):
                if rows_i is not None and i not in failed:
                    rows[i].append(rows_i)
            done = g + group
            while told < len(parts) and last_job.get(told, -1) < done:
                self._progress(parts[told])
                told += 1
        for i in range(told, len(parts)):
            self._progress(parts[i])
        if failed:
            raise AudioLoadErrors(sorted(failed.items()), len(parts))
        return [_concat(r) for r in rows]

    def _progress(self, part: SongPart) -> None:
        if part.last and self.on_file is not None:
            self.on_file()

    def _fail(
        self,
        failed: dict[int, AudioLoadError],
        i: int,
        part: SongPart,
        exc: BaseException,
        what: str = "load audio file",
    ) -> None:
        error = _file_error(part, exc, what)
        if self.on_error == "raise":
            if error is exc:
                raise exc
            raise error from exc
        failed.setdefault(i, error)

    def _extract(
        self, chunk: list[tuple[int, Any]], parts: list[SongPart], failed: dict
    ) -> list[Any]:
        """Extract each window of ``chunk``: one row each (None where it failed)."""
        waves = self._decode([job for _, job in chunk], parts)
        out: list[Any] = [None] * len(chunk)
        for (_, (i, _, _)), wave in zip(chunk, waves, strict=True):
            if isinstance(wave, BaseException):
                self._fail(failed, i, parts[i], wave)
        good = [k for k, w in enumerate(waves) if not isinstance(w, BaseException)]
        if not good:
            return out
        try:
            X = self._features([waves[k] for k in good])
            for n, k in enumerate(good):
                out[k] = _take_row(X, n)
        except Exception:  # find the window(s) at fault: each alone
            for k in good:
                i = chunk[k][1][0]
                try:
                    out[k] = _take_row(self._features([waves[k]]), 0)
                except Exception as exc:  # noqa: BLE001 - this window fails its file
                    self._fail(failed, i, parts[i], exc, "extract the features of")
        return out

    def _features(self, waves: list[np.ndarray]) -> Any:
        X = self.step.transform(waves)
        return X if self.rest is None else self.rest.transform(X)

    def _decode(self, jobs: list[tuple[int, Any, bool]], parts: list[SongPart]) -> list[Any]:
        """Each window's waveform, or the exception that decoding it raised."""
        from .features._audio_io import load_audio

        def one(job: tuple[int, Any, bool]) -> Any:
            i, (start, stop), to_end = job
            try:
                # the window that ends at the file's end is read to the end: exactly the
                # samples a transformer reading the whole file (or its first clip) gets
                return load_audio(
                    parts[i].file,
                    sr=self.sr,
                    offset=start,
                    duration=None if to_end else stop - start,
                )
            except Exception as exc:  # noqa: BLE001 - reported for its file by the caller
                return exc

        if self.n_jobs == 1 or len(jobs) == 1:
            return [one(job) for job in jobs]
        import joblib

        return joblib.Parallel(n_jobs=min(self.n_jobs, len(jobs)), prefer="threads")(
            joblib.delayed(one)(job) for job in jobs
        )


def _take_row(X: Any, n: int) -> Any:
    """Row ``n`` of ``X`` as a block of one row (an array or a DataFrame)."""
    return X.iloc[n : n + 1] if hasattr(X, "iloc") else np.asarray(X)[n : n + 1]


def _file_error(
    part: SongPart, exc: BaseException, what: str = "load audio file"
) -> AudioLoadError:
    """Return the error of a part as one :class:`AudioLoadError` naming the file and reason.

    ``what`` says what failed (decoding, or a feature step on the decoded window).
    """
    if isinstance(exc, AudioLoadError) and exc.path == os.fspath(part.file):
        return exc
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, AudioLoadError) or hasattr(exc, "reason"):  # the reason alone
        reason = exc.reason
        what = "load audio file"  # the audio itself is at fault (e.g. non-finite samples)
    elif not isinstance(exc, (ValueError, OSError)):
        reason = f"{type(exc).__name__}: {reason}"
    return AudioLoadError(part.file, reason, what)


def _concat(blocks: list[Any]) -> Any:
    if not blocks:
        return None
    if len(blocks) == 1:
        return blocks[0]
    if hasattr(blocks[0], "iloc"):  # a DataFrame from a pandas-output step
        import pandas as pd

        return pd.concat(blocks, axis=0, ignore_index=True)
    return np.concatenate([np.asarray(b) for b in blocks], axis=0)


class PooledWindows:
    """An estimator's predictions for songs: the mean over each song's windows.

    ``X`` is a list with one array of window features per song (or part of a song), as
    :meth:`SongFeatures.transform` returns. The windows are predicted ``max_windows`` at a
    time; a song's class probabilities (or regression targets) are the mean of its
    windows'; its label is the class of highest mean probability, so that label and
    probabilities agree. A classifier without ``predict_proba`` labels a song with the
    label most of its windows get (ties: the first class in ``classes_``).

    Parameters
    ----------
    estimator : fitted estimator
        The pipeline's last step.
    max_windows : int or None
        Windows predicted together; ``None``: all of them.
    """

    def __init__(self, estimator: Any, max_windows: int | None) -> None:
        self.estimator = estimator
        self.max_windows = max_windows
        self.has_proba = hasattr(estimator, "predict_proba")
        if hasattr(estimator, "classes_"):
            self.classes_ = estimator.classes_

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags

        return get_tags(self.estimator)

    def __getattr__(self, name: str) -> Any:
        if name == "predict_proba" and self.__dict__.get("has_proba"):
            return self._predict_proba
        raise AttributeError(name)

    def _windows(self, X: list[Any], method: str) -> list[np.ndarray]:
        """``method``'s output for the windows of each song, in order."""
        from sklearn.utils import _safe_indexing

        counts = [len(x) for x in X]
        rows = _concat(list(X))
        step = len(rows) if self.max_windows is None else max(1, int(self.max_windows))
        predict = getattr(self.estimator, method)
        out = [
            np.asarray(predict(_safe_indexing(rows, np.arange(i, min(i + step, len(rows))))))
            for i in range(0, len(rows), step)
        ]
        pred = np.concatenate(out, axis=0)
        return np.split(pred, np.cumsum(counts)[:-1])

    def _predict_proba(self, X: list[Any]) -> np.ndarray:
        return np.stack([p.mean(axis=0) for p in self._windows(X, "predict_proba")])

    def predict(self, X: list[Any]) -> np.ndarray:
        """Predict each song: its label, or its mean regression targets.

        The label is the class of highest mean probability, or (without
        ``predict_proba``) the label most of its windows get.
        """
        from sklearn.base import is_classifier

        if not is_classifier(self.estimator):
            return np.stack([p.mean(axis=0) for p in self._windows(X, "predict")])
        classes = np.asarray(self.estimator.classes_)
        if self.has_proba:
            return classes[np.argmax(self._predict_proba(X), axis=1)]
        labels = []
        for p in self._windows(X, "predict"):
            votes = [np.sum(p == c) for c in classes]
            labels.append(classes[int(np.argmax(votes))])
        return np.asarray(labels)


def merge_parts(
    records: Iterable[dict[str, Any]],
    taken: deque[SongPart],
    *,
    classes: Any,
    decimals: int | None,
) -> Iterator[dict[str, Any]]:
    """Join the records of the parts of each file into one record per file.

    ``records`` come one per part, in the order of ``taken``. A file's record is the mean
    over its parts weighted by their windows (the mean over all its windows), with
    ``start``, ``end`` (seconds) and ``windows`` added; an error in any part is the file's
    error record.
    """

    def num(v: float) -> float:
        return float(v) if decimals is None else round(float(v), decimals)

    acc: dict[str, Any] | None = None
    for record in records:
        part = taken.popleft()
        weight = len(part.windows)
        if acc is None:
            acc = {"record": record, "weight": 0, "sums": None, "error": None, "parts": 0}
        acc["parts"] += 1
        if "error" in record:
            acc["error"] = acc["error"] or record
        elif acc["error"] is None:
            values = _values(record)
            acc["sums"] = values * weight if acc["sums"] is None else acc["sums"] + values * weight
            acc["weight"] += weight
        if not part.last:
            continue
        done, acc = acc, None
        if done["error"] is not None:
            yield {"path": done["error"]["path"], "error": done["error"]["error"]}
            continue
        yield _song_record(done, part, classes, num)


def _values(record: dict[str, Any]) -> np.ndarray:
    if "probabilities" in record:
        return np.asarray(list(record["probabilities"].values()), dtype=float)
    if "label" in record:  # a classifier without probabilities: one part per file
        return np.zeros(0)
    return np.asarray([v for k, v in record.items() if k != "path"], dtype=float)


def _song_record(done: dict[str, Any], part: SongPart, classes: Any, num: Any) -> dict[str, Any]:
    first = done["record"]
    # one part: its record is the song's, as is; several: their means weighted by their
    # windows, which is the mean over all the windows
    one = done["parts"] == 1
    mean = _values(first) if one else done["sums"] / done["weight"]
    out: dict[str, Any] = {"path": first["path"]}
    if "probabilities" in first:
        label = np.asarray(classes)[int(np.argmax(mean))]
        out["label"] = label.item() if isinstance(label, np.generic) else label
        out["probabilities"] = {
            c: num(p) for c, p in zip(first["probabilities"], mean, strict=True)
        }
        out.update(position_fields(out["probabilities"], num))
    elif "label" in first:
        out["label"] = first["label"]
    else:
        out.update(
            {k: num(v) for k, v in zip([k for k in first if k != "path"], mean, strict=True)}
        )
    out["start"] = round(part.span[0], SPAN_DECIMALS)
    out["end"] = round(part.span[1], SPAN_DECIMALS)
    out["windows"] = part.n_windows
    return out


def position_fields(
    probabilities: dict[str, float], num: Callable[[Any], float]
) -> dict[str, float]:
    """``{"arousal": a, "valence": v}`` of a record's quadrant probabilities, else ``{}``.

    The position on the arousal-valence plane that the library map draws
    (:func:`~sk_deepsense.library.quadrant_position`, from the record's own, rounded,
    probabilities), for a classifier of exactly the classes Q1..Q4; rounded by ``num``.
    """
    if set(probabilities) != set(QUADRANTS):
        return {}
    arousal, valence = quadrant_position(probabilities)
    return {"arousal": num(arousal), "valence": num(valence)}
