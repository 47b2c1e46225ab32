"""``sk-deepsense predict``: one record per audio file, optionally a timeline plot."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import (
    CLIError,
    add_common_options,
    add_extraction_options,
    check_writable,
    configure_features,
    expand_files,
    feature_step,
    is_classifier,
    load_model,
    note,
    refuse_series_model,
    save_figure,
    target_names,
)

__all__ = ["FORMATS", "add_parser", "format_records", "predict_records", "run"]

#: Output formats of ``predict --format``.
FORMATS = ("table", "json", "csv")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``predict`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "predict",
        help="predict the emotion of audio files with a saved model",
        description="One record per audio file: the predicted label and class probabilities "
        "(classification) or arousal and valence (regression). A folder stands for the audio "
        "files under it.",
    )
    add_common_options(p)
    p.add_argument("model", type=Path, metavar="MODEL", help="a model saved by 'train'")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio files or folders")
    p.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    p.add_argument(
        "--timeline",
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
    p.add_argument("--overwrite", action="store_true", help="replace an existing timeline file")
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
        for each target name.
    """
    import numpy as np

    records: list[dict[str, Any]] = []
    if is_classifier(model):
        labels = model.predict(X)
        proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
        for i, source in enumerate(sources):
            label = labels[i]
            label = label.item() if isinstance(label, np.generic) else label
            rec: dict[str, Any] = {"path": str(source), "label": label}
            if proba is not None:
                pairs = zip(model.classes_, proba[i], strict=True)
                rec["probabilities"] = {str(c): round(float(p), 4) for c, p in pairs}
            records.append(rec)
        return records
    pred = np.asarray(model.predict(X), dtype=float).reshape(len(sources), -1)
    names = target_names(pred.shape[1])
    for i, source in enumerate(sources):
        rec = {"path": str(source)}
        rec.update({n: round(float(v), 4) for n, v in zip(names, pred[i], strict=True)})
        records.append(rec)
    return records


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in record.items() if k != "probabilities"}
    for c, p in record.get("probabilities", {}).items():
        flat[f"p_{c}"] = p
    return flat


def format_records(records: list[dict[str, Any]], fmt: str) -> str:
    """Render ``predict`` records as ``"table"``, ``"json"`` or ``"csv"`` text.

    Parameters
    ----------
    records : list of dict
        As :func:`predict_records` returns.
    fmt : {"table", "json", "csv"}
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
    rows = [_flatten(r) for r in records]
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
    """Run ``sk-deepsense predict``; return the exit status."""
    model = load_model(args.model)
    refuse_series_model(model, "predict")
    timeline = None
    if args.window is not None and args.window < 0:
        raise CLIError(f"--window {args.window}: must be >= 0 seconds")
    if args.timeline is not None:
        timeline = check_writable(args.timeline, args.overwrite, "--timeline")
        final = model.steps[-1][1]
        if not (hasattr(final, "predict_proba_frames") or hasattr(final, "predict_frames")):
            raise CLIError(
                f"--timeline needs a network model with per-frame predictions; {args.model} "
                f"ends with a {type(final).__name__}"
            )
    files = expand_files(args.files)
    configure_features(model, args)
    X = model[:-1].transform(files)
    records = predict_records(model[-1], X, files)
    sys.stdout.write(format_records(records, args.format))
    if timeline is not None:
        _write_timeline(model, files, timeline, args.window)
        note(args, f"timeline written to {timeline}")
    return 0


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
