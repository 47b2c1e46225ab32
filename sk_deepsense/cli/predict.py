"""``sk-deepsense predict``: one record per audio file, optionally a timeline plot."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from .._csv_cells import escape_row
from ..batch import predict_files
from ..exceptions import ParameterError
from ._common import (
    MODEL_HELP,
    CLIError,
    add_common_options,
    add_extraction_options,
    add_pickle_option,
    check_writable,
    configure_features,
    expand_files,
    feature_step,
    load_model,
    note,
    refuse_series_model,
    save_figure,
)
from ._records import (
    STREAMED,
    RecordWriter,
    flatten,
    needs_escapes,
    output_record,
    read_finished,
)

__all__ = ["FORMATS", "SOME_FAILED", "add_parser", "format_records", "predict_records", "run"]

#: Output formats of ``predict --format``.
FORMATS = ("table", "json", "csv", "jsonl")

#: Exit status of a run that finished with some files unreadable (their error records written).
SOME_FAILED = 3


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``predict`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "predict",
        help="predict the emotion of audio files with a saved model",
        description="One record per audio file: the predicted label and class probabilities "
        "(classification) or arousal and valence (regression) of the whole file: it is cut "
        "into windows of the model's clip duration, and the file's probabilities (targets) "
        "are the mean of its windows'; its label is the class of highest mean probability. "
        "Each record says the seconds it covers (start, end) and how many windows it pooled. "
        "A folder stands for the audio files under it. Files are extracted and predicted in "
        "batches; jsonl and csv records are written as they come. A file that fails "
        "(unreadable, non-finite audio, a model error) gives an error record and the run goes "
        "on; exit status 3 then says that some failed.",
    )
    add_common_options(p)
    p.add_argument("model", type=Path, metavar="MODEL", help=MODEL_HELP)
    add_pickle_option(p)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio files or folders")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="output format (default: table); jsonl and csv are written record by record, "
        "table and json once at the end (for small runs)",
    )
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the records to FILE, not stdout"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with -o FILE in jsonl or csv: skip the files FILE already has predictions for "
        "and append the others (error records are retried)",
    )
    p.add_argument(
        "--offset",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="predict each file from SECONDS into it (default 0: its start)",
    )
    p.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="predict SECONDS of each file from --offset (default: to its end; more than the "
        "file holds ends at its end); the model's clip duration (e.g. 30) predicts the one "
        "clip the model reads from each file, as predict did before whole songs",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=64,
        metavar="N",
        help="windows (clips of the model's duration) extracted and predicted together "
        "(default 64; memory grows with N, not with the number or length of the files); "
        "0: all at once (the behaviour before batches)",
    )
    p.add_argument(
        "--plot",
        dest="timeline",
        type=Path,
        metavar="OUT.png",
        help="also plot the predictions over each whole file, as they evolve in time",
    )
    p.add_argument(
        "--window",
        type=float,
        metavar="SECONDS",
        help="timeline of the last SECONDS of audio at each moment (default: the model's clip "
        "duration, i.e. what it was trained on); 0: each moment uses everything since the "
        "start (the causal per-frame predictions)",
    )
    add_extraction_options(p, cache=False)
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="predict on a Dask cluster: its scheduler's address (tcp://host:8786), or local:N "
        "for a cluster of N single-thread worker processes on this machine (local: one per "
        "core). Tasks of --files-per-task files each run on one worker thread (--n-jobs is "
        "not used), which reads the files itself: every worker must read them at the same "
        "absolute path. Records come as tasks finish, not in the files' order. Needs "
        'pip install "sk_deepsense[dask]"',
    )
    p.add_argument(
        "--files-per-task",
        type=int,
        metavar="N",
        help="with --scheduler: files in one task (default 8)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing --output or --plot file"
    )
    p.set_defaults(func=run)
    return p


#: The largest number of seconds an option takes (a day): larger is a typo, not audio.
MAX_SECONDS = 86400.0


def predict_records(model: Any, X: Any, sources: Sequence[str]) -> list[dict[str, Any]]:
    """One record per clip: ``path`` and ``label`` + ``probabilities``, or the targets.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        A classifier or regressor accepting ``X``.
    X : array-like
        Its input (audio paths for a saved pipeline, MFCC arrays for a bare network).
    sources : sequence of str
        The name of each clip, reported as ``path``.

    Returns
    -------
    records : list of dict
        Classification: ``{"path", "label", "probabilities": {class: p}}`` (probabilities
        only when the model has ``predict_proba``); regression: ``{"path", name: value}``
        for each target name. Values are rounded to 4 decimals. A network's label and
        probabilities come from one forward pass
        (:func:`sk_deepsense.batch.prediction_records`).
    """
    from ..batch import prediction_records

    return prediction_records(model, X, sources, decimals=4)


def format_records(records: list[dict[str, Any]], fmt: str) -> str:
    """Render ``predict`` records as ``"table"``, ``"json"`` or ``"csv"`` text.

    Parameters
    ----------
    records : list of dict
        As :func:`predict_records` returns.
    fmt : {"table", "json", "csv", "jsonl"}
        The format.

    Returns
    -------
    text : str
        Ends with a newline. A file name that is not valid UTF-8 is written with backslash
        escapes and ``path_escaped`` (:func:`~sk_deepsense.cli._records.escape_path`); CSV
        cells that a spreadsheet would read as formulas get a ``'`` in front.

    Raises
    ------
    ValueError
        If a record holds NaN or infinity (JSON has no such numbers).

    Examples
    --------
    >>> from sk_deepsense.cli import format_records
    >>> print(format_records([{"path": "a.mp3", "label": "Q1", "probabilities": {"Q1": 0.75}}],
    ...                      "table"), end="")
    path   label  p_Q1
    a.mp3  Q1     0.750
    """
    records = [output_record(r) for r in records]  # valid UTF-8 whatever the file names
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records)
    rows = [flatten(r) for r in records]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(escape_row(row) for row in rows)  # no cell runs as a formula
        return buf.getvalue()
    if fmt != "table":
        raise ParameterError(f"fmt must be one of {list(FORMATS)}, got {fmt!r}")
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[j]) for r in cells)) for j, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for r in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def run(args: argparse.Namespace) -> int:
    """Run ``sk-deepsense predict``; return the exit status (0, 1, or 3: some files failed)."""
    _check_options(args)  # before anything is loaded, decoded or written
    model = load_model(args.model, allow_pickle=args.allow_pickle)
    refuse_series_model(model, "predict")
    timeline = None
    if (args.offset or args.duration is not None) and feature_step(model) is None:
        raise CLIError(
            f"--offset and --duration need a model whose first step is an audio feature "
            f"transformer; {args.model} starts with a {type(model.steps[0][1]).__name__}"
        )
    if args.timeline is not None:
        timeline = check_writable(args.timeline, args.overwrite, "--plot")
        from .._tags import capabilities, final_step

        final = final_step(model)
        if not capabilities(final).frame_predictions:
            raise CLIError(
                f"--plot needs a network model with per-frame predictions; {args.model} "
                f"ends with a {type(final).__name__}"
            )
    files = expand_files(args.files)
    escapes = needs_escapes(files)  # a CSV then has the column path_escaped
    # --resume may rewrite FILE: after every other check
    done, header = _check_output(args, files, escapes)
    configure_features(model, args)
    todo = _not_done(files, done, args)
    counts = {"predicted": 0, "failed": 0}
    errors: list[str] = []  # the first few, for the message when every file failed
    failed_paths: set[str] | None = None if timeline is None else set()  # kept off the plot
    with _cluster_client(args, bool(todo)) as client:
        records = _count(
            predict_files(
                model,
                todo,
                batch_size=args.batch_size or None,
                decimals=4,
                progress=not args.quiet and bool(todo),
                offset=args.offset,
                duration=args.duration,
                client=client,
                files_per_task=args.files_per_task,
            ),
            counts,
            errors,
            failed_paths,
        )
        try:
            _write(records, args, header, counts, escapes)
        except BrokenPipeError:  # `predict ... | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
            return 1
    predicted, failed = counts["predicted"], counts["failed"]
    if failed and not predicted and not done:
        more = f"; ... and {failed - len(errors)} more" if failed > len(errors) else ""
        raise CLIError(
            f"{failed} of {len(todo)} audio files could not be read: {'; '.join(errors)}{more}"
        )
    summary = f"{len(todo)} files: {predicted} predicted, {failed} failed"
    if failed:
        print(summary + " (error records in the output)", file=sys.stderr, flush=True)
    else:
        note(args, summary)
    if timeline is not None:
        assert failed_paths is not None  # a set with a timeline
        good = [f for f in files if f not in failed_paths]
        _write_timeline(model, good, timeline, args.window, args.offset, args.duration)
        note(args, f"timeline written to {timeline}")
    return SOME_FAILED if failed else 0


def _check_seconds(args: argparse.Namespace) -> None:
    """Refuse a ``--window``, ``--offset`` or ``--duration`` out of range, in one line.

    Checked before the model's audio is decoded: ``inf``, ``nan``, negative values (0 for
    ``--duration``) and more than :data:`MAX_SECONDS` are errors.
    """
    for option, value, low in (
        ("--window", args.window, 0.0),
        ("--offset", args.offset, 0.0),
        ("--duration", args.duration, None),
    ):
        if value is None:
            continue
        above = value >= low if low is not None else value > 0
        if not (math.isfinite(value) and above and value <= MAX_SECONDS):
            bound = ">= 0" if low is not None else "> 0"
            raise CLIError(
                f"{option} {value:g}: must be a number of seconds {bound} and at most "
                f"{MAX_SECONDS:g} (a day)"
            )


def _check_options(args: argparse.Namespace) -> None:
    """Check every option value before the run (spans, batch size, threads, output)."""
    _check_seconds(args)
    if args.batch_size < 0:
        raise CLIError(f"--batch-size {args.batch_size}: must be >= 1 (or 0: all at once)")
    if args.n_jobs == 0 or args.n_jobs < -1:
        raise CLIError(f"--n-jobs {args.n_jobs}: must be >= 1 (or -1: all cores)")
    from ..features._base import MAX_THREADS_PER_CPU, max_extraction_threads

    most = max_extraction_threads()
    if args.n_jobs > most:
        note(args, f"--n-jobs {args.n_jobs}: capped at {most} ({MAX_THREADS_PER_CPU} per core)")
        args.n_jobs = most
    _check_scheduler(args)
    if args.resume and (args.output is None or args.format not in STREAMED):
        raise CLIError("--resume needs -o FILE and --format jsonl or csv")
    if args.output is not None:
        args.output = args.output.expanduser()
        if not (args.resume and args.output.is_file()):
            check_writable(args.output, args.overwrite, "--output")


#: ``--scheduler local`` or ``local:N``: a LocalCluster on this machine.
_LOCAL = re.compile(r"local(?::(?P<n>[0-9]+))?")


def _check_scheduler(args: argparse.Namespace) -> None:
    """Check ``--scheduler`` and ``--files-per-task`` (before anything is loaded)."""
    if args.files_per_task is not None:
        if args.scheduler is None:
            raise CLIError("--files-per-task sets a cluster's tasks: it needs --scheduler")
        if args.files_per_task < 1:
            raise CLIError(f"--files-per-task {args.files_per_task}: must be >= 1")
    if args.scheduler is None:
        return
    local = _LOCAL.fullmatch(args.scheduler)
    if local is None and args.scheduler.startswith("local"):
        raise CLIError(
            f"--scheduler {args.scheduler!r}: a cluster on this machine is local or local:N "
            "(N worker processes, N >= 1)"
        )
    if local is not None:
        cores = os.cpu_count() or 1
        n = int(local["n"]) if local["n"] is not None else cores
        if n < 1:
            raise CLIError(f"--scheduler {args.scheduler}: needs at least one worker (local:1)")
        most = MAX_WORKERS_PER_CPU * cores
        if n > most:
            note(args, f"--scheduler {args.scheduler}: capped at local:{most} (2 per core)")
            n = most
        args.scheduler = f"local:{n}"
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise CLIError(
            '--scheduler needs dask.distributed: pip install "sk_deepsense[dask]"'
        ) from None


#: Most worker processes per core of ``--scheduler local:N`` (more is capped): each worker
#: runs one task on one thread, so more than one per core only adds memory.
MAX_WORKERS_PER_CPU = 2


@contextlib.contextmanager
def _cluster_client(args: argparse.Namespace, needed: bool) -> Iterator[Any]:
    """Yield the ``distributed.Client`` of ``--scheduler`` (None without it), closed after.

    ``local:N`` starts a LocalCluster of N single-thread worker processes
    (:func:`sk_deepsense._cluster.local_cluster`) and stops it at the end; an address
    connects to that scheduler, and only the connection is closed at the end.
    """
    if args.scheduler is None or not needed:
        yield None
        return
    from distributed import Client

    from .._cluster import local_cluster

    with contextlib.ExitStack() as stack:
        if args.scheduler.startswith("local:"):
            n = int(args.scheduler.split(":")[1])
            cluster = stack.enter_context(local_cluster(n))
            client = stack.enter_context(Client(cluster))
            note(args, f"--scheduler {args.scheduler}: {n} worker processes of one thread")
        else:
            try:
                client = stack.enter_context(Client(args.scheduler, timeout=CONNECT_TIMEOUT))
            except (OSError, TimeoutError, ValueError) as exc:
                raise CLIError(
                    f"--scheduler {args.scheduler}: cannot connect to a Dask scheduler there: "
                    + " ".join(str(exc).split())
                ) from None
            threads = sum(client.nthreads().values())
            waiting = " (none yet: the tasks wait for workers to join)" if not threads else ""
            note(args, f"--scheduler {args.scheduler}: {threads} worker threads{waiting}")
        yield client


#: Seconds ``--scheduler ADDRESS`` waits for the scheduler to answer.
CONNECT_TIMEOUT = 20


def _check_output(
    args: argparse.Namespace, files: list[str], escapes: bool
) -> tuple[set[str], list[str] | None]:
    """Check ``-o``/``--resume``; return the paths ``--resume`` skips and a CSV's header."""
    if args.output is None:
        return set(), None
    if args.output.exists():  # never write the records over one of the audio files
        out = os.path.realpath(args.output)
        if any(os.path.realpath(f) == out for f in files):
            raise CLIError(
                f"--output {str(args.output)!r} is one of the audio files to predict; "
                "give another file (nothing was changed)"
            )
    if args.resume and args.output.is_file():
        return read_finished(args.output, args.format, escapes=escapes)
    check_writable(args.output, args.overwrite, "--output")
    return set(), None


def _not_done(files: list[str], done: set[str], args: argparse.Namespace) -> list[str]:
    """Return the files ``--resume`` still has to predict: those not done, paths resolved.

    Paths are compared resolved (:func:`_same_file`), so the folder given as ``music/`` in
    one run and ``/home/me/music`` in the next is the same; a note warns when ``FILE`` holds
    records but none of them is about one of the files given.
    """
    if not done:
        return files
    finished = {_same_file(p) for p in done}
    todo = [f for f in files if _same_file(f) not in finished]
    if len(todo) == len(files):
        print(
            f"sk-deepsense predict: warning: --resume: {str(args.output)!r} holds "
            f"{len(done)} records but none of the {len(files)} files given; predicting them "
            "all (are these the files of that run?)",
            file=sys.stderr,
            flush=True,
        )
    else:
        note(args, f"--resume: {len(files) - len(todo)} files already in {args.output}")
    return todo


def _same_file(path: str) -> str:
    """Return ``path`` with its folder resolved (absolute, symbolic links followed).

    The file name itself is kept: two links of one folder to the same track are two files
    of the library, each with its own record.
    """
    path = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _count(
    records: Iterator[dict[str, Any]],
    counts: dict[str, int],
    errors: list[str],
    failed_paths: set[str] | None,
) -> Iterator[dict[str, Any]]:
    for record in records:
        if "error" in record:
            counts["failed"] += 1
            if len(errors) < 20:
                errors.append(record["error"])
            if failed_paths is not None:
                failed_paths.add(record["path"])
        else:
            counts["predicted"] += 1
        yield record


def _write(
    records: Iterator[dict[str, Any]],
    args: argparse.Namespace,
    header: list[str] | None,
    counts: dict[str, int],
    escapes: bool,
) -> None:
    """Stream jsonl/csv record by record; collect table/json and write them at the end."""
    text = None
    if args.format not in STREAMED:
        collected = list(records)
        if not any("error" not in r for r in collected):
            return  # every file failed: the error says so, no document of errors
        text = format_records(collected, args.format)
    with _output(args, counts) as stream:
        if text is not None:
            stream.write(text)
            return
        writer = RecordWriter(stream, args.format, header, escapes=escapes)
        try:
            for record in records:
                writer.write(record)
        finally:
            writer.close()


@contextlib.contextmanager
def _output(args: argparse.Namespace, counts: dict[str, int]) -> Iterator[IO[str]]:
    """Open where the records go: standard output, ``FILE``, or a file to replace it.

    Standard output without ``-o``; ``FILE`` itself when it is new (or appended to by
    ``--resume``); else a temporary file beside the existing ``FILE`` that replaces it.

    ``--overwrite`` never truncates the old file first: the new one is written beside it
    and renamed over it (``os.replace``, atomic) once the run has ended and predicted
    something. If the run fails or predicts nothing, the old file is left as it was.
    """
    path = args.output
    if path is None:
        yield sys.stdout
        return
    if args.resume or not path.exists():  # a new file is written in place: --resume reads it
        with open(path, "a" if args.resume else "w", encoding="utf-8", newline="") as f:
            yield f
        return
    path = Path(os.path.realpath(path))  # a link keeps pointing to the new file
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
        if counts["predicted"]:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # the old file's permissions
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _write_timeline(
    model: Any,
    files: Sequence[str],
    out: Path,
    window: float | None,
    offset: float = 0.0,
    duration: float | None = None,
) -> None:
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from ..plotting import new_figure
    from ..timeline import predict_timeline

    step = feature_step(model)
    if step is not None:
        if window is None:
            window = step.duration  # the length of the clips the model was trained on
        # the span of each file the records cover: the whole file unless --offset/--duration
        whole = clone(step).set_params(duration=duration, offset=offset)
        model = Pipeline([(model.steps[0][0], whole), *model.steps[1:]])
    window = window or None  # 0: the causal per-frame predictions
    timelines = predict_timeline(model, files, window=window)
    how = "causal, since the start" if window is None else f"last {window:g} s"
    n = len(timelines)
    fig, axes = new_figure(n, 1, figsize=(9, 2.6 * n), squeeze=False)
    for ax, tl, source in zip(axes[:, 0], timelines, files, strict=True):
        tl.plot(ax=ax, title=f"{Path(source).name} ({how})")
    fig.tight_layout()
    save_figure(fig, out)
