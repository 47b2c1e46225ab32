"""``sk-deepsense demo``: the built-in tour on synthetic data (:mod:`sk_deepsense._demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    CLIError,
    add_common_options,
    add_set_option,
    parse_sets,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``demo`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "demo",
        help="cross-validate the hybrid against baselines on built-in data and draw plots",
        description="Generate the built-in synthetic emotional-music dataset (no download), "
        "cross-validate the hybrid CNN+LSTM against a majority guess and the classical "
        "MFCC-statistics SVM on identical folds, print the table and write plots (confusion "
        "matrix, training curves, arousal-valence plane, emotion timeline) and a model to DIR: "
        "model.skds, in the safe format (no code runs when it is loaded), which 'predict' "
        "and 'listen' take.",
    )
    add_common_options(p)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("sk-deepsense-demo"),
        metavar="DIR",
        help="folder for the clips, plots, model and results (default: ./sk-deepsense-demo)",
    )
    p.add_argument("--n-samples", type=int, default=160, help="synthetic clips (default: 160)")
    p.add_argument("--folds", type=int, default=4, help="cross-validation folds (default: 4)")
    add_set_option(
        p,
        "clf__max_epochs=N: epoch limit of the networks, early stopping ends them sooner "
        "(default: 200); the demo's one network parameter ('train' takes them all)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of data, folds and models")
    p.add_argument(
        "--fast",
        action="store_true",
        help="tiny settings (40 clips of 4 s, 2 folds, 3 epochs) to check the set-up in seconds",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the files of an earlier demo in DIR"
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``sk-deepsense demo``; return the exit status."""
    from .._demo import run_demo

    sets = parse_sets(args.set)
    unknown = sorted(set(sets) - {"clf__max_epochs"})
    if unknown:
        raise CLIError(
            f"--set {unknown[0]}: the demo takes clf__max_epochs only; 'sk-deepsense train' "
            "sets every parameter"
        )
    max_epochs = sets.get("clf__max_epochs", 200)
    if not isinstance(max_epochs, int) or isinstance(max_epochs, bool) or max_epochs < 1:
        raise CLIError(f"--set clf__max_epochs={max_epochs!r}: must be an integer >= 1")
    run_demo(
        args.output,
        n_samples=args.n_samples,
        folds=args.folds,
        max_epochs=max_epochs,
        seed=args.seed,
        fast=args.fast,
        overwrite=args.overwrite,
        quiet=args.quiet,
    )
    return 0
