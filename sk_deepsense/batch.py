"""Predict over a large collection of audio files in bounded memory: :func:`predict_files`.

On a Dask cluster with ``client=`` (:func:`local_cluster` starts one on this machine).

A fitted pipeline on audio paths (feature transformer, then an estimator) extracts and
predicts ``batch_size`` files at a time, and one record per file comes out as soon as its
batch is done. Nothing per file is kept beyond the current batch, so memory does not grow
with the size of the collection, and a file that fails (unreadable, non-finite audio, a model
error on its clip) becomes an error record instead of stopping the run.
"""

from __future__ import annotations

import copy
import ctypes
import functools
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence, Sized
from numbers import Integral
from typing import Any

from ._choices import target_names
from ._cluster import local_cluster
from ._songs import (
    PooledWindows,
    SongFeatures,
    SongPart,
    check_span,
    merge_parts,
    part_weight,
    position_fields,
    song_parts,
)
from .exceptions import ParameterError

__all__ = ["local_cluster", "predict_files", "prediction_records"]


def predict_files(
    model: Any,
    files: Iterable[Any],
    *,
    batch_size: int | None = 64,
    on_error: str = "record",
    decimals: int | None = None,
    progress: bool = False,
    offset: float = 0.0,
    duration: float | None = None,
    client: Any = None,
    files_per_task: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Predict audio files batch by batch, yielding one record per file.

    Locally, records come in input order. With ``client`` (a ``dask.distributed.Client``)
    the files are predicted by the Dask cluster's workers, and records come as the workers
    finish (:ref:`cluster-predict`).

    **Whole songs.** A model is trained on clips of its feature transformer's ``duration``
    (30 s by default); each file is predicted whole (or over the span ``offset``,
    ``duration``): it is cut into windows of that length, one after the other, the last one
    moved back to end at the file's end so that every window is a full clip (a file shorter
    than one window is one window, padded as in training). Each window is predicted, and
    the file's class probabilities are the **mean of its windows' probabilities**, its
    label the class of highest mean probability (a regressor: the mean of the windows'
    targets; a classifier without ``predict_proba``: the label most windows get). A model
    whose transformer has ``duration=None`` predicts the span as one clip.

    Each window is decoded on its own (soundfile seeks to it), so a long file is never
    decoded whole, and windows are extracted (the pipeline's own steps, the transformer's
    ``n_jobs`` threads) and predicted ``batch_size`` at a time, whatever the length of the
    files: memory depends on the batch size, not on the length or the number of files.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted pipeline on audio paths: an audio feature transformer
        (:class:`~sk_deepsense.MFCCTransformer`, :class:`~sk_deepsense.LogMelTransformer`,
        ...) first, optionally more transformers, then a classifier or a regressor. It is
        not modified.
    files : iterable of str or os.PathLike
        The audio files; a generator is read lazily, one batch at a time.
    batch_size : int or None, default=64
        Windows (clips of the model's ``duration``) extracted and predicted together: a
        batch holds whole files of this many windows in all (a longer file is split over
        several batches, its record coming after its last). ``None`` extracts every file
        at once (the memory then grows with the number and the length of the files).
    on_error : {"record", "raise"}, default="record"
        A file that fails: ``"record"`` yields ``{"path", "error"}`` for it (one line naming
        the file and the reason) and goes on; ``"raise"`` lets the error propagate. A file
        fails when it cannot be decoded, when its audio gives features that are not finite
        (e.g. a float wav holding 1e30), when extracting it raises any other error, when
        the model raises on its clip, or when the model's output for it is NaN or infinite.
        Only a batch with a failing file is extracted again (once to find the failing files,
        once without them; after an error other than a decoding one, each file alone first)
        or predicted clip by clip (after a model error).
    decimals : int or None, default=None
        Round the probabilities or targets to this many decimals (the command line uses 4);
        ``None`` keeps full precision.
    progress : bool, default=False
        Show a progress bar over the files (tqdm, on standard error), updated as each file
        is extracted.
    offset : float, default=0.0
        Seconds of each file skipped: the span predicted starts there. (The transformer's
        own ``offset`` is not applied.)
    duration : float or None, default=None
        Seconds of each file predicted, from ``offset``; ``None`` (or more than the file
        holds): to the end of the file. ``duration`` equal to the transformer's
        ``duration`` (and ``offset`` to its ``offset``) predicts exactly the one clip that
        ``model.predict`` reads from each file.
    client : distributed.Client or None, default=None
        Predict on this Dask cluster instead of in this process. The model is sent to the
        cluster once; the files go in tasks of ``files_per_task``, each predicted by one
        worker thread, which decodes the files itself (every worker must read them at the
        same absolute path; a relative path is made absolute here) and runs this function
        on them with the other options: one thread per task (the transformer's ``n_jobs``
        is 1 there, torch and BLAS one thread), at most ``batch_size`` windows in memory.
        Records are the local path's, with these differences: **they come in the order
        tasks finish** (a task's records in its files' order); a worker lost mid-task has
        its task run again elsewhere, and each record comes once; a file that kills its
        worker each time it is tried, even alone on the cluster, gets an error record
        (``on_error="raise"``: the ``KilledWorker`` error is raised). At most two tasks per
        worker thread are on the cluster at a time, so ``files`` is read lazily as they
        finish. See :ref:`cluster-predict`.
    files_per_task : int or None, default=None
        With ``client``: the files of one task (``None``: 8). Smaller tasks balance the
        workers better at the end of a run, and a lost worker loses less; larger ones cost
        the scheduler less (a few milliseconds per task, against seconds of work per
        file). Only with ``client``.

    Yields
    ------
    record : dict
        Classifier: ``{"path", "label", "probabilities": {class: p}, "start", "end",
        "windows"}`` (``probabilities`` only when it has ``predict_proba``); regressor:
        ``{"path", "arousal", "valence", "start", "end", "windows"}`` (``output_0, ...``
        unless it has two targets). ``start`` and ``end`` are the seconds of the file the
        prediction covers, ``windows`` the number of windows pooled. A file that failed:
        ``{"path", "error"}``. ``path`` is ``str(file)``. A pipeline whose first step is
        not an audio feature transformer predicts each file as its steps read it, without
        ``start``, ``end`` and ``windows``.

    Raises
    ------
    ValueError
        If ``model`` is not a pipeline of at least two steps, or ``batch_size``,
        ``on_error``, ``offset`` or ``duration`` is invalid (or ``offset``/``duration`` are
        given for a pipeline that does not start with an audio feature transformer), or
        ``client`` is not a running synchronous ``distributed.Client``, or
        ``files_per_task`` is invalid or given without ``client``.
    distributed.scheduler.KilledWorker
        With ``client`` and ``on_error="raise"``, for a file that kills its worker alone.
    AudioLoadError
        With ``on_error="raise"``, for the first file that cannot be read.
    Exception
        With ``on_error="raise"``, any other error of a file (a prediction that is not
        finite: ``ValueError``).

    See Also
    --------
    prediction_records : The records of clips already turned into features.

    Examples
    --------
    Every track of a folder into a JSON Lines file, each record on disk as soon as its batch
    is done:

    >>> import json, joblib
    >>> from pathlib import Path
    >>> from sk_deepsense import predict_files
    >>> model = joblib.load("model.joblib")  # doctest: +SKIP
    >>> files = (str(p) for p in Path("~/Music").expanduser().rglob("*.mp3"))
    >>> with open("music.jsonl", "w") as out:  # doctest: +SKIP
    ...     for record in predict_files(model, files, batch_size=64):
    ...         print(json.dumps(record), file=out, flush=True)
    """
    if not hasattr(model, "steps") or len(model.steps) < 2:
        raise ParameterError(
            f"model must be a fitted Pipeline of a feature transformer and an estimator, "
            f"got {type(model).__name__}"
        )
    _check_positive("batch_size", batch_size)
    if on_error not in ("record", "raise"):
        raise ParameterError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    offset, duration = check_span(offset, duration)
    if client is None and files_per_task is not None:
        raise ParameterError("files_per_task is the size of a cluster's tasks: it needs client")
    # checked above, at the call; the generators below start at the first record asked for
    if _audio_step(model) is None and (offset or duration is not None):
        raise ParameterError(
            "offset and duration need a pipeline whose first step is an audio feature "
            f"transformer; {type(model.steps[0][1]).__name__} is not"
        )
    if client is not None:
        from ._cluster import check_client

        check_client(client)
        options = dict(
            batch_size=batch_size,
            on_error=on_error,
            decimals=decimals,
            offset=offset,
            duration=duration,
        )
        _check_positive("files_per_task", files_per_task)
        size = DEFAULT_FILES_PER_TASK if files_per_task is None else int(files_per_task)
        return _predict_on_cluster(model, files, client, size, options, progress)
    if _audio_step(model) is None:
        return _predict_batches(model, files, batch_size, on_error, decimals, progress)
    return _predict_songs(model, files, batch_size, on_error, decimals, progress, offset, duration)


#: Files per task on a cluster when ``files_per_task`` is None: small enough that the last
#: tasks of a run end close together on every worker and that a lost worker loses little;
#: large enough that the scheduler's cost per task is nothing next to a task's seconds.
DEFAULT_FILES_PER_TASK = 8


def _check_positive(name: str, value: Any) -> None:
    """Refuse ``value`` unless it is None or a positive int (not a bool)."""
    if value is not None and (
        not isinstance(value, Integral) or isinstance(value, bool) or value < 1
    ):
        raise ParameterError(f"{name} must be a positive int or None, got {value!r}")


def _predict_on_cluster(
    model: Any,
    files: Iterable[Any],
    client: Any,
    files_per_task: int,
    options: dict[str, Any],
    progress: bool,
) -> Iterator[dict[str, Any]]:
    """Yield the records of ``files``, predicted in tasks on ``client``'s cluster.

    Each task runs :func:`_predict_chunk` (this function's local path) on a worker; the
    tasks are scheduled, bounded and retried by :func:`~sk_deepsense._cluster.map_on_cluster`.
    """
    from ._cluster import map_on_cluster

    total = len(files) if isinstance(files, Sized) else None
    bar = _progress_bar(total) if progress else None
    chunks = _named_chunks(files, files_per_task)
    try:
        for chunk, result in map_on_cluster(
            client, _predict_chunk, model, chunks, options, name="sk-deepsense-predict"
        ):
            if isinstance(result, BaseException):  # a file that killed its workers
                if options["on_error"] == "raise":
                    raise result
                name = chunk[0][1]
                result = [{"path": name, "error": _killed(name, result)}]
            if bar is not None:
                bar.update(len(result))
            yield from result
    finally:
        if bar is not None:
            bar.close()


def _named_chunks(files: Iterable[Any], size: int) -> Iterator[list[tuple[Any, str]]]:
    """Cut ``files`` into lists of ``size`` pairs: (what a worker reads, the name recorded).

    A path is made absolute here: a worker resolves a relative path against its own working
    folder, which on a cluster is not this one. The record keeps the name as given.
    """
    chunk: list[tuple[Any, str]] = []
    for item in files:
        read = os.path.abspath(item) if isinstance(item, (str, os.PathLike)) else item
        chunk.append((read, str(item)))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _predict_chunk(
    model: Any, chunk: list[tuple[Any, str]], options: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run a cluster task: the local :func:`predict_files` of ``chunk``'s files, one thread.

    One extraction, torch and BLAS thread: the cluster's parallelism is its worker threads
    (one per core, docs/distributed.rst); more threads per task would oversubscribe them.
    (BLAS's limit cannot be set from a Dask task's thread: the nanny's environment gives
    it, ``OMP_NUM_THREADS=1`` and the like.)
    """
    from ._threads import limit_threads

    with limit_threads(1):
        records = list(
            predict_files(
                _one_extraction_thread(model),
                [read for read, _ in chunk],
                progress=False,
                **options,
            )
        )
    for record, (read, name) in zip(records, chunk, strict=True):
        if record["path"] != name:  # as given, not the absolute path the worker read
            record["path"] = name
            if "error" in record:  # the error names the file as the local path does
                record["error"] = record["error"].replace(repr(str(read)), repr(name))
    return records


def _one_extraction_thread(model: Any) -> Any:
    """``model`` with its audio transformer set to one extraction thread (a shallow copy)."""
    step = _audio_step(model)
    if step is None or step.n_jobs in (None, 1):
        return model
    model = model[:]  # a new Pipeline over a new list of the same steps
    step = copy.copy(step)
    step.n_jobs = 1
    model.steps[0] = (model.steps[0][0], step)
    return model


def _killed(name: str, error: BaseException) -> str:
    """Why a file whose task, alone, killed its worker every time has no prediction."""
    return (
        f"Cannot predict {name!r}: the worker predicting it died every time it was tried "
        "(the decoder crashed on it, or it needed more than a worker's memory limit): "
        + " ".join(str(error).split())
    )


def _predict_songs(
    model: Any,
    files: Iterable[Any],
    batch_size: int | None,
    on_error: str,
    decimals: int | None,
    progress: bool,
    offset: float,
    duration: float | None,
) -> Iterator[dict[str, Any]]:
    """:func:`_predict_batches` over the windows of each file, then one record per file."""
    from sklearn.base import is_classifier

    estimator = model[-1]
    total = len(files) if isinstance(files, Sized) else None
    # a classifier that only votes is pooled over whole files (votes do not average)
    split = hasattr(estimator, "predict_proba") or not is_classifier(estimator)
    taken: deque[SongPart] = deque()
    parts = song_parts(
        files,
        clip=_audio_step(model).duration,
        offset=offset,
        duration=duration,
        max_windows=batch_size if split else None,
        taken=taken,
    )
    records = _predict_batches(model, parts, batch_size, on_error, None, progress, total, True)
    classes = getattr(estimator, "classes_", None)
    yield from merge_parts(records, taken, classes=classes, decimals=decimals)


def _predict_batches(
    model: Any,
    files: Iterable[Any],
    batch_size: int | None,
    on_error: str,
    decimals: int | None,
    progress: bool,
    total: int | None = None,
    songs: bool = False,
) -> Iterator[dict[str, Any]]:
    total = len(files) if isinstance(files, Sized) else total
    bar = _progress_bar(total) if progress else None
    features, estimator = _feature_steps(model, on_error), model[-1]
    if songs:  # windows of SongParts in, one pooled prediction per part out
        on_file = None if bar is None else functools.partial(bar.update, 1)  # file extracted
        features = SongFeatures(features, on_error, on_file=on_file)
        estimator = PooledWindows(estimator, batch_size)
    it = iter(files)
    try:
        while batch := _next_batch(it, batch_size):
            sources = [str(f) for f in batch]
            X, failed = _extract(features, batch, sources, on_error, bar)
            kept = [s for i, s in enumerate(sources) if i not in failed]
            predicted = iter(_predict(estimator, X, kept, decimals, on_error) if kept else ())
            del X, batch
            _release_freed_memory()
            for i, source in enumerate(sources):
                yield {"path": source, "error": failed[i]} if i in failed else next(predicted)
    finally:
        if bar is not None:
            bar.close()


def _extract(
    features: Any, batch: list[Any], sources: list[str], on_error: str, bar: Any
) -> tuple[Any, dict[int, str]]:
    """Features of the files of a batch that can be used, and why each other one cannot.

    Broken files are listed by the transformer at once (``AudioLoadErrors``: decoding, or
    features that are not finite). Any other error is isolated file by file: each file is
    extracted alone, those that fail are error records, and the others are extracted again
    together. With ``on_error="raise"`` every error propagates.
    """
    from .exceptions import AudioLoadErrors

    start = 0 if bar is None else bar.n  # read only with a bar
    try:
        return features.transform(batch), {}
    except AudioLoadErrors as exc:
        if on_error == "raise":
            raise
        failed = {i: str(e) for i, e in exc.failures}
    except Exception:
        if on_error == "raise":
            raise
        failed = {}
        for i, (item, source) in enumerate(zip(batch, sources, strict=True)):
            try:
                features.transform([item])
            except Exception as exc:  # noqa: BLE001 - any failure of one file: its record
                failed[i] = _failure("extract the features of", source, exc)
    good = [f for i, f in enumerate(batch) if i not in failed]
    if bar is not None:  # the good files are extracted once more: count each file once
        bar.n = start + len(failed)
        bar.refresh()
    return (features.transform(good) if good else None), failed


def _predict(
    estimator: Any, X: Any, sources: list[str], decimals: int | None, on_error: str
) -> list[dict[str, Any]]:
    """Return the records of one batch; a clip the model fails on gets an error record.

    If predicting the batch fails, each clip is predicted alone, so that one clip the model
    cannot take does not cost the others their records. With ``on_error="raise"``, the
    error (or the first prediction that is not finite) propagates.
    """
    from sklearn.utils import _safe_indexing

    try:
        records = prediction_records(estimator, X, sources, decimals=decimals)
    except Exception as exc:
        if on_error == "raise":
            raise
        if len(sources) == 1:
            return [{"path": sources[0], "error": _failure("predict", sources[0], exc)}]
        records = []
        for i, source in enumerate(sources):
            try:
                one = _safe_indexing(X, [i])
                records.extend(prediction_records(estimator, one, [source], decimals=decimals))
            except Exception as err:  # noqa: BLE001 - any failure on one clip: its record
                records.append({"path": source, "error": _failure("predict", source, err)})
    if on_error == "raise":
        for record in records:
            if "error" in record:
                raise ParameterError(record["error"])
    return records


def _failure(what: str, source: str, exc: BaseException) -> str:
    """One line naming the file and the reason: ``Cannot predict 'a.mp3': ValueError: ...``."""
    reason = " ".join(str(exc).split())
    return f"Cannot {what} {source!r}: {type(exc).__name__}" + (f": {reason}" if reason else "")


def prediction_records(
    estimator: Any, X: Any, sources: Sequence[str], *, decimals: int | None = None
) -> list[dict[str, Any]]:
    """One record per clip from one prediction pass: ``path`` and label or targets.

    A classifier that declares the capability ``label_is_argmax`` (:mod:`sk_deepsense._tags`:
    the network classifier) and a soft-voting ensemble predict the class of highest
    probability, so their label and probabilities come from one ``predict_proba`` call; any
    other classifier with ``predict_proba`` (e.g. an SVM, whose ``predict`` may disagree
    with its calibrated probabilities) is asked both.

    Parameters
    ----------
    estimator : fitted estimator
        A classifier or regressor accepting ``X``.
    X : array-like
        Its input (e.g. feature sequences).
    sources : sequence of str
        The name of each clip, reported as ``path``.
    decimals : int or None, default=None
        Round probabilities and targets to this many decimals; ``None``: full precision.

    Returns
    -------
    records : list of dict
        Classification: ``{"path", "label", "probabilities": {class: p}}``
        (``probabilities`` only when ``estimator`` has ``predict_proba``); regression:
        ``{"path", name: value}`` for each target name. A clip whose probabilities or
        targets are not finite (NaN or infinity) gets ``{"path", "error"}`` instead: a
        record never holds NaN.
    """
    import numpy as np
    from sklearn.base import is_classifier

    def num(v: Any) -> float:
        return float(v) if decimals is None else round(float(v), decimals)

    if is_classifier(estimator):
        proba = estimator.predict_proba(X) if hasattr(estimator, "predict_proba") else None
        if proba is not None and _label_is_argmax(estimator):
            labels = np.asarray(estimator.classes_)[np.argmax(proba, axis=1)]
        else:
            labels = estimator.predict(X)
        records = []
        for i, source in enumerate(sources):
            if proba is not None and not np.isfinite(proba[i]).all():
                records.append(_not_finite(source))
                continue
            label = labels[i]
            rec: dict[str, Any] = {
                "path": str(source),
                "label": label.item() if isinstance(label, np.generic) else label,
            }
            if proba is not None:
                pairs = zip(estimator.classes_, proba[i], strict=True)
                rec["probabilities"] = {str(c): num(p) for c, p in pairs}
                rec.update(position_fields(rec["probabilities"], num))
            records.append(rec)
        return records
    pred = np.asarray(estimator.predict(X), dtype=float).reshape(len(sources), -1)
    names = target_names(pred.shape[1])
    return [
        {"path": str(s), **{n: num(v) for n, v in zip(names, row, strict=True)}}
        if np.isfinite(row).all()
        else _not_finite(s)
        for s, row in zip(sources, pred, strict=True)
    ]


def _not_finite(source: str) -> dict[str, Any]:
    """Return the error record of a clip whose prediction is NaN or infinite."""
    return {
        "path": str(source),
        "error": f"Cannot predict {str(source)!r}: the model's output is not finite (NaN or "
        "infinity); the model file may be damaged",
    }


def _next_batch(it: Iterator[Any], batch_size: int | None) -> list[Any]:
    """Take the next items of ``it``: ``batch_size`` windows' worth (all if ``None``).

    A :class:`~sk_deepsense._songs.SongPart` counts its windows, anything else 1; a batch
    ends once it holds ``batch_size`` (so at most ``2 * batch_size - 1``) windows.
    """
    if not batch_size:
        return list(it)
    batch, weight = [], 0
    for item in it:
        batch.append(item)
        weight += part_weight(item)
        if weight >= batch_size:
            break
    return batch


def _audio_step(model: Any) -> Any:
    """Return the pipeline's first step if it is an audio feature transformer, else None."""
    from .features import BaseAudioTransformer

    step = model.steps[0][1]
    return step if isinstance(step, BaseAudioTransformer) else None


def _label_is_argmax(estimator: Any) -> bool:
    """Whether ``predict`` is ``classes_[argmax(predict_proba)]`` (then one pass is enough)."""
    from sklearn.ensemble import VotingClassifier

    from ._tags import capabilities, final_step

    if isinstance(estimator, PooledWindows):  # a song's label: the argmax of its mean
        return estimator.has_proba
    estimator = final_step(estimator)  # a nested pipeline predicts with its last step
    if isinstance(estimator, VotingClassifier):  # scikit-learn's: soft voting is the argmax
        return estimator.voting == "soft"
    return capabilities(estimator).label_is_argmax  # declared (sk_deepsense._tags)


def _feature_steps(model: Any, on_error: str) -> Any:
    """``model[:-1]`` with a copy of its audio transformer set for this run (model untouched)."""
    from .features import BaseAudioTransformer

    features = model[:-1]  # a new Pipeline over a new list of the same steps
    name, step = features.steps[0]
    if isinstance(step, BaseAudioTransformer):
        step = copy.copy(step)
        step.verbose = 0  # the bar over all files replaces the one per batch
        if on_error == "record":
            step.on_error = "raise_all"  # every broken file of a batch, listed at once
        features.steps[0] = (name, step)
    return features


@functools.cache
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc
    except (AttributeError, OSError, TypeError):
        return None  # another C library: nothing to do


def _release_freed_memory() -> None:
    """Give the memory freed by a batch back to the system (glibc's ``malloc_trim``).

    Decoding and extraction threads leave freed blocks scattered over glibc's heaps; without
    this the peak resident memory of a long run creeps up batch after batch although nothing
    is kept (measured over 392 clips of 30 s, batches of 8: 843 MiB instead of 755 MiB).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _progress_bar(total: int | None) -> Any:
    from .features._progress import progress_bar  # no ETA from the first, compiling file

    return progress_bar(
        total=total, unit="file", desc="predict", dynamic_ncols=True, file=sys.stderr
    )
