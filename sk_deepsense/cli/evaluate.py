"""``sk-deepsense evaluate``: score a saved model on a labels CSV."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Literal

from ._common import (
    MODEL_HELP,
    add_common_options,
    add_extraction_options,
    add_pickle_option,
    check_writable,
    configure_features,
    is_classifier,
    load_model,
    note,
    refuse_series_model,
    save_figure,
    target_names,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``evaluate`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "evaluate",
        help="score a saved model on a labels CSV",
        description="Predict the files of a labels CSV and print the scores: accuracy, "
        "macro-F1, per-class report and confusion matrix (classification), or RMSE, "
        "Pearson r and CCC per target (regression).",
    )
    add_common_options(p)
    p.add_argument("model", type=Path, metavar="MODEL", help=MODEL_HELP)
    add_pickle_option(p)
    p.add_argument("labels", type=Path, metavar="LABELS.csv", help="labels CSV (as for train)")
    p.add_argument(
        "--plot",
        type=Path,
        metavar="OUT.png",
        help="write the confusion matrix (or the arousal-valence plane) as an image",
    )
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output format: 'table' (scores, per-class report and confusion matrix, for "
        "reading) or 'json' (default: table)",
    )
    add_extraction_options(p, cache=False)
    p.add_argument("--overwrite", action="store_true", help="replace an existing plot file")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``sk-deepsense evaluate``; return the exit status."""
    import numpy as np
    from sklearn.metrics import classification_report, confusion_matrix

    from .. import datasets
    from ..metrics import score_predictions

    model = load_model(args.model, allow_pickle=args.allow_pickle)
    refuse_series_model(model, "evaluate")
    plot = check_writable(args.plot, args.overwrite, "--plot") if args.plot else None
    task: Literal["classification", "regression"]
    task = "classification" if is_classifier(model) else "regression"
    data: Any = datasets.load_labels(args.labels, task=task)  # a Bunch
    configure_features(model, args)
    note(args, f"{len(data.filenames)} clips from {args.labels}")
    y_pred = model.predict(data.filenames)
    y_true = data.target
    if task == "classification":
        y_pred = y_pred.astype(str)  # the CSV's labels are strings
    result: dict[str, Any] = {"model": str(args.model), "labels": str(args.labels)}
    if task == "classification":
        classes = [str(c) for c in model.classes_]
        unknown = sorted(set(y_true.tolist()) - set(classes))
        labels = classes + unknown
        result["n_clips"] = len(y_true)
        result["scores"] = score_predictions(y_true, y_pred, task=task)
        result["labels_order"] = labels
        result["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
        result["unknown_labels"] = unknown
        report = classification_report(y_true, y_pred, labels=labels, zero_division=0)
    else:
        names = target_names(y_true.shape[1])
        result["n_clips"] = len(y_true)
        result["scores"] = score_predictions(y_true, y_pred, task=task, target_names=names)
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['n_clips']} clips; {task}")
        for key, value in result["scores"].items():
            print(f"  {key:<18} {value:.3f}")
        if task == "classification":
            if unknown:
                print(f"labels the model never saw (always wrong): {unknown}")
            print("\nper class:\n" + report)
            width = max(len(x) for x in labels) + 2
            print("confusion matrix (rows: true, columns: predicted):")
            print(" " * width + "".join(f"{x:>{width}}" for x in labels))
            for name, row in zip(labels, result["confusion_matrix"], strict=True):
                print(f"{name:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    if plot is not None:
        from ..plotting import new_figure, plot_arousal_valence, plot_confusion_matrix

        fig, ax = new_figure(figsize=(5.5, 5))
        if task == "classification":
            plot_confusion_matrix(y_true, y_pred, labels=labels, ax=ax)
        else:
            plot_arousal_valence(np.asarray(y_pred)[:, :2], y_true[:, :2], ax=ax)
        save_figure(fig, plot)
        note(args, f"plot written to {plot}")
    return 0
