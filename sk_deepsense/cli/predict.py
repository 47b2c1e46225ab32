"""``sk-deepsense predict``: one record per audio file, optionally a timeline plot."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..batch import predict_files
from ._common import (
    CLIError,
    add_common_options,
    add_deprecated_option,
    add_extraction_options,
    check_writable,
    configure_features,
    expand_files,
    feature_step,
    load_model,
    note,
    refuse_series_model,
    save_figure,
)
from ._records import STREAMED, RecordWriter, flatten, read_finished

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
        "(classification) or arousal and valence (regression). A folder stands for the audio "
        "files under it. Files are extracted and predicted in batches; jsonl and csv records "
        "are written as they come. An unreadable file gives an error record and the run goes "
        "on; exit status 3 then says that some failed.",
    )
    add_common_options(p)
    p.add_argument("model", type=Path, metavar="MODEL", help="a model saved by 'train'")
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
        "--batch-size",
        type=int,
        default=64,
        metavar="N",
        help="files extracted and predicted together (default 64; memory grows with N, not "
        "with the number of files); 0: all at once (the behaviour before batches)",
    )
    p.add_argument(
        "--plot",
        dest="timeline",
        type=Path,
        metavar="OUT.png",
        help="also plot the predictions over each whole file, as they evolve in time",
    )
    add_deprecated_option(p, "--timeline", "--plot")
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
        "--overwrite", action="store_true", help="replace an existing --output or --timeline file"
    )
    p.set_defaults(func=run)
    return p


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
        Ends with a newline.

    Examples
    --------
    >>> from sk_deepsense.cli import format_records
    >>> print(format_records([{"path": "a.mp3", "label": "Q1", "probabilities": {"Q1": 0.75}}],
    ...                      "table"), end="")
    path   label  p_Q1
    a.mp3  Q1     0.750
    """
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    rows = [flatten(r) for r in records]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()
    if fmt != "table":
        raise ValueError(f"fmt must be one of {list(FORMATS)}, got {fmt!r}")
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
    model = load_model(args.model)
    refuse_series_model(model, "predict")
    timeline = None
    if args.window is not None and args.window < 0:
        raise CLIError(f"--window {args.window}: must be >= 0 seconds")
    if args.batch_size < 0:
        raise CLIError(f"--batch-size {args.batch_size}: must be >= 1 (or 0: all at once)")
    if args.timeline is not None:
        timeline = check_writable(args.timeline, args.overwrite, "--timeline")
        final = model.steps[-1][1]
        if not (hasattr(final, "predict_proba_frames") or hasattr(final, "predict_frames")):
            raise CLIError(
                f"--timeline needs a network model with per-frame predictions; {args.model} "
                f"ends with a {type(final).__name__}"
            )
    files = expand_files(args.files)
    done, header = _check_output(args)  # --resume may rewrite FILE: after every other check
    configure_features(model, args)
    todo = [f for f in files if f not in done]
    if done:
        note(args, f"--resume: {len(files) - len(todo)} files already in {args.output}")
    counts = {"predicted": 0, "failed": 0}
    errors: list[str] = []  # the first few, for the message when every file failed
    failed_paths: set[str] | None = None if timeline is None else set()  # kept off the plot
    records = _count(
        predict_files(
            model,
            todo,
            batch_size=args.batch_size or None,
            decimals=4,
            progress=not args.quiet and bool(todo),
        ),
        counts,
        errors,
        failed_paths,
    )
    try:
        _write(records, args, header)
    except BrokenPipeError:  # `predict ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
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
        _write_timeline(model, [f for f in files if f not in failed_paths], timeline, args.window)
        note(args, f"timeline written to {timeline}")
    return SOME_FAILED if failed else 0


def _check_output(args: argparse.Namespace) -> tuple[set[str], list[str] | None]:
    """Check ``-o``/``--resume``; return the paths ``--resume`` skips and a CSV's header."""
    if args.resume and (args.output is None or args.format not in STREAMED):
        raise CLIError("--resume needs -o FILE and --format jsonl or csv")
    if args.output is None:
        return set(), None
    args.output = args.output.expanduser()
    if args.resume and args.output.is_file():
        return read_finished(args.output, args.format)
    check_writable(args.output, args.overwrite, "--output")
    return set(), None


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
    records: Iterator[dict[str, Any]], args: argparse.Namespace, header: list[str] | None
) -> None:
    """Stream jsonl/csv record by record; collect table/json and write them at the end."""
    text = None
    if args.format not in STREAMED:
        collected = list(records)
        if not any("error" not in r for r in collected):
            return  # every file failed: the error says so, no document of errors
        text = format_records(collected, args.format)
    out = None
    if args.output is not None:
        mode = "a" if args.resume else "w"
        out = open(args.output, mode, encoding="utf-8", newline="")  # noqa: SIM115
    stream = out if out is not None else sys.stdout
    try:
        if text is not None:
            stream.write(text)
            return
        writer = RecordWriter(stream, args.format, header)
        try:
            for record in records:
                writer.write(record)
        finally:
            writer.close()
    finally:
        if out is not None:
            out.close()


def _write_timeline(model: Any, files: Sequence[str], out: Path, window: float | None) -> None:
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from ..plotting import new_figure
    from ..timeline import predict_timeline

    step = feature_step(model)
    if step is not None:
        if window is None:
            window = step.duration  # the length of the clips the model was trained on
        # The table used what the model was trained on (the first `duration` seconds of each
        # file); the timeline covers each whole file.
        whole = clone(step).set_params(duration=None)
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
