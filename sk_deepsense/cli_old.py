"""The ``sk-deepsense`` command line: demo, train, predict, evaluate, benchmark.

Run ``sk-deepsense --help`` or ``sk-deepsense COMMAND --help``. Every command exits with 0 on
success, 1 on an error (one line on standard error naming the file or option; ``--debug``
shows the traceback instead) and 2 on a usage error. Progress (the extraction bar, one line
per cross-validation fold) goes to standard error and skorch's epoch table to standard
output; ``-q`` silences all of it, so that ``predict -q`` writes nothing but the predictions
to standard output.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FEATURES",
    "MODELS",
    "build_parser",
    "format_records",
    "main",
    "make_pipeline_for",
    "parse_value",
    "predict_records",
]

#: Values of ``train --model``: the network architectures, then the classical baselines.
NEURAL_CHOICES = ("hybrid", "conv1d", "conv2d", "lstm", "hybrid_nolstm")
BASELINE_CHOICES = ("svm", "logreg", "random_forest", "knn", "majority")
MODELS = NEURAL_CHOICES + BASELINE_CHOICES
#: Audio features ``train`` can use (``--features``): the first step of its pipeline.
FEATURES = ("logmel", "mfcc")
FORMATS = ("table", "json", "csv")
LOADERS = ("4q", "emomusic", "pmemo", "deam")


class CLIError(Exception):
    """An error the command line reports as one line (no traceback)."""


# --------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """Build the ``sk-deepsense`` argument parser (also used to render the docs' CLI page).

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, with one sub-parser per command.
    """
    from ._version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars, epoch tables or notes"
    )
    common.add_argument("--debug", action="store_true", help="show the full traceback of an error")

    parser = argparse.ArgumentParser(
        prog="sk-deepsense",
        description="Music emotion recognition with a hybrid 1-D CNN + LSTM: train, evaluate "
        "and predict from audio files and a CSV of labels, without writing code.",
        epilog="Run 'sk-deepsense COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"sk_deepsense {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # demo ---------------------------------------------------------------------------------
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="cross-validate the hybrid against baselines on built-in data and draw plots",
        description="Generate the built-in synthetic emotional-music dataset (no download), "
        "cross-validate the hybrid CNN+LSTM against a majority guess and the classical "
        "MFCC-statistics SVM on identical folds, print the table and write plots (confusion "
        "matrix, training curves, arousal-valence plane, emotion timeline) and a model to DIR.",
    )
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
    p.add_argument(
        "--max-epochs",
        type=int,
        default=200,
        help="epoch limit of the networks; early stopping ends them sooner (default: 200)",
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
    p.set_defaults(func=_cmd_demo)

    # train --------------------------------------------------------------------------------
    p = sub.add_parser(
        "train",
        parents=[common],
        help="fit a model on a labels CSV or a dataset folder and save it",
        description="Fit 'LogMelTransformer (or MFCCTransformer) -> model' on the audio files "
        "of a labels CSV "
        "(columns path,label for classification or path,arousal,valence for regression; "
        "optional group column, e.g. the artist, for grouped --cv; relative paths are "
        "relative to the CSV) or of a dataset folder, optionally report cross-validated "
        "scores first, and save the fitted pipeline with joblib.",
        epilog="Examples: sk-deepsense train labels.csv -o model.joblib --cv 5 | "
        "sk-deepsense train --dataset 4q --data-dir ~/data/4q -o 4q.joblib "
        "--set clf__max_epochs=20 --set logmel__n_mels=96",
    )
    p.add_argument("labels", nargs="?", type=Path, metavar="LABELS.csv", help="labels CSV")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="MODEL",
        help="model file to write: NAME.skds for the safe sharing format (no code runs when "
        "it is loaded; networks only), anything else for a joblib file",
    )
    p.add_argument(
        "--dataset", choices=LOADERS, help="read a dataset folder instead of a labels CSV"
    )
    p.add_argument("--data-dir", type=Path, metavar="PATH", help="the --dataset folder")
    p.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="which columns of the CSV to learn (default: auto)",
    )
    p.add_argument(
        "--model",
        choices=MODELS,
        default="hybrid",
        help="the network architecture, or a classical baseline on per-clip statistics of the "
        "features (default: hybrid)",
    )
    p.add_argument(
        "--features",
        choices=FEATURES,
        default="logmel",
        help="the audio features, and the name of the pipeline's first step: 'logmel' "
        "(LogMelTransformer, recommended) or 'mfcc' (MFCCTransformer) (default: logmel)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a pipeline parameter by its scikit-learn name, e.g. clf__max_epochs=20 or "
        "logmel__n_mels=96 (repeatable; values are read as JSON or Python literals, else text)",
    )
    p.add_argument(
        "--cv",
        type=int,
        default=0,
        metavar="K",
        help="report K-fold cross-validated scores before the final fit (grouped by the "
        "group column / artist when there is one)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the folds and the model")
    _add_extraction_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing MODEL file")
    p.set_defaults(func=_cmd_train)

    # predict ------------------------------------------------------------------------------
    p = sub.add_parser(
        "predict",
        parents=[common],
        help="predict the emotion of audio files with a saved model",
        description="One record per audio file: the predicted label and class probabilities "
        "(classification) or arousal and valence (regression). A folder stands for the audio "
        "files under it.",
    )
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
    _add_extraction_options(p, cache=False)
    p.add_argument("--overwrite", action="store_true", help="replace an existing timeline file")
    p.set_defaults(func=_cmd_predict)

    # evaluate -----------------------------------------------------------------------------
    p = sub.add_parser(
        "evaluate",
        parents=[common],
        help="score a saved model on a labels CSV",
        description="Predict the files of a labels CSV and print the scores: accuracy, "
        "macro-F1, per-class report and confusion matrix (classification), or RMSE, "
        "Pearson r and CCC per target (regression).",
    )
    p.add_argument("model", type=Path, metavar="MODEL", help="a model saved by 'train'")
    p.add_argument("labels", type=Path, metavar="LABELS.csv", help="labels CSV (as for train)")
    p.add_argument(
        "--plot",
        type=Path,
        metavar="OUT.png",
        help="write the confusion matrix (or the arousal-valence plane) as an image",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    _add_extraction_options(p, cache=False)
    p.add_argument("--overwrite", action="store_true", help="replace an existing plot file")
    p.set_defaults(func=_cmd_evaluate)

    # benchmark ----------------------------------------------------------------------------
    p = sub.add_parser(
        "benchmark",
        add_help=False,
        help="compare the hybrid, its ablations and baselines on identical folds",
        description="Wraps 'python -m sk_deepsense.benchmark'; see 'sk-deepsense benchmark "
        "--help'.",
    )
    p.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_benchmark, debug=False)
    return parser


def _add_extraction_options(p: argparse.ArgumentParser, *, cache: bool = True) -> None:
    p.add_argument(
        "--n-jobs", type=int, default=2, metavar="N", help="files decoded in parallel (default 2)"
    )
    if cache:
        p.add_argument("--cache", metavar="DIR", help="feature cache folder, reused by later runs")


# --------------------------------------------------------------------------------- entry
def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sk-deepsense`` command line.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 on an error, 130 when interrupted (usage errors exit with 2).
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["benchmark"]:
        # Everything after "benchmark" belongs to the benchmark's own parser (argparse's
        # REMAINDER would not pass on a leading option such as --help).
        rest = [a for a in argv[1:] if a != "--debug"]
        args = argparse.Namespace(
            command="benchmark", func=_cmd_benchmark, args=rest, debug="--debug" in argv[1:]
        )
    else:
        args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("sk-deepsense: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every error becomes one line unless --debug
        if args.debug:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        if not isinstance(exc, (CLIError, OSError, ValueError, LookupError, TypeError)):
            # unexpected: say what it was and how to see more
            message = f"{type(exc).__name__}: {message} (--debug shows the traceback)"
        print(f"sk-deepsense {args.command}: error: {message}", file=sys.stderr)
        return 1


def _note(args: argparse.Namespace, *parts: Any) -> None:
    """Print a progress note to standard error unless ``--quiet``."""
    if not args.quiet:
        print(*parts, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------- helpers
def parse_value(text: str) -> Any:
    """Read a ``--set`` value: JSON, else a Python literal, else the text itself.

    Parameters
    ----------
    text : str
        The part after ``=``.

    Returns
    -------
    value : object
        ``20`` -> 20, ``0.5`` -> 0.5, ``true``/``True`` -> True, ``null``/``None`` -> None,
        ``[3, 5]`` -> [3, 5], ``mean`` -> ``"mean"``.

    Examples
    --------
    >>> from sk_deepsense.cli import parse_value
    >>> parse_value("20"), parse_value("None"), parse_value("[3, 5]"), parse_value("mean")
    (20, None, [3, 5], 'mean')
    """
    for reader in (json.loads, ast.literal_eval):
        try:
            return reader(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return text


def _parse_sets(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CLIError(f"--set {item!r}: expected KEY=VALUE, e.g. clf__max_epochs=20")
        params[key] = parse_value(value.strip())
    return params


def _check_writable(path: Path, overwrite: bool, option: str) -> Path:
    """Refuse to replace an existing file unless ``--overwrite``; check the folder exists."""
    path = path.expanduser()
    if path.is_dir():
        raise CLIError(f"{option} {str(path)!r} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise CLIError(
            f"{option} {str(path)!r} already exists; pass --overwrite to replace it "
            "(nothing was changed)"
        )
    if not path.parent.is_dir():
        raise CLIError(f"{option} {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    return path


def _atomic_dump(obj: Any, path: Path) -> None:
    """``joblib.dump`` to a temporary file beside ``path``, then rename it into place."""
    import joblib

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        joblib.dump(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_figure(fig: Any, path: Path) -> None:
    fig.savefig(path, dpi=120, bbox_inches="tight")


def _load_model(path: Path) -> Any:
    """Load a model saved by ``train`` and check it is a fitted scikit-learn pipeline."""
    import zipfile

    import joblib
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    path = path.expanduser()
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "does not exist"
        raise CLIError(f"MODEL {str(path)!r} {reason}")
    if zipfile.is_zipfile(path):  # the safe format of save_model: no code runs on load
        from .persistence import load_model

        model = load_model(path)
        if not isinstance(model, Pipeline) or not hasattr(model, "predict"):
            raise CLIError(f"MODEL {str(path)!r} holds a {type(model).__name__}, not a pipeline")
        return model
    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not a model file"
        raise CLIError(
            f"MODEL {str(path)!r} could not be loaded as a joblib model file "
            f"({type(exc).__name__}: {' '.join(str(exc).split())})"
        ) from exc
    if not isinstance(model, Pipeline) or not hasattr(model, "predict"):
        raise CLIError(
            f"MODEL {str(path)!r} holds a {type(model).__name__}, not a pipeline saved by "
            "'sk-deepsense train'"
        )
    check_is_fitted(model)
    return model


def _feature_step(model: Any) -> Any:
    """Return the pipeline's audio feature transformer (its first step), or None."""
    from .features import BaseAudioTransformer

    step = model.steps[0][1] if hasattr(model, "steps") else None
    return step if isinstance(step, BaseAudioTransformer) else None


def _configure_features(model: Any, args: argparse.Namespace) -> None:
    """Apply ``--n-jobs``, progress and list-every-broken-file to the feature step."""
    step = _feature_step(model)
    if step is not None:
        step.set_params(n_jobs=args.n_jobs, verbose=int(not args.quiet), on_error="raise_all")


def _expand_files(items: Sequence[Path]) -> list[str]:
    """Files as given; a folder becomes the audio files under it (sorted)."""
    from .datasets._common import AUDIO_EXTENSIONS

    files: list[str] = []
    for item in items:
        item = item.expanduser()
        if item.is_dir():
            found = sorted(
                p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS
            )
            if not found:
                raise CLIError(
                    f"folder {str(item)!r} holds no audio file ({', '.join(AUDIO_EXTENSIONS)})"
                )
            files.extend(str(p) for p in found)
        elif item.is_file():
            files.append(str(item))
        else:
            raise CLIError(f"FILE {str(item)!r} does not exist")
    return files


def _target_names(n_outputs: int) -> list[str]:
    # Every regression source of ``train`` (labels CSV and dataset loaders) orders the targets
    # (arousal, valence).
    if n_outputs == 2:
        return ["arousal", "valence"]
    return [f"output_{j}" for j in range(n_outputs)]


def _is_classifier(model: Any) -> bool:
    from sklearn.base import is_classifier

    return bool(is_classifier(model))


# --------------------------------------------------------------------------------- train
def _load_training_data(args: argparse.Namespace):
    from . import datasets
    from .benchmark import _load_dataset_folder

    if args.dataset is not None and args.labels is not None:
        raise CLIError("give either LABELS.csv or --dataset, not both")
    if args.dataset is None:
        if args.labels is None:
            raise CLIError("give a LABELS.csv or --dataset NAME --data-dir PATH")
        if args.data_dir is not None:
            raise CLIError("--data-dir goes with --dataset; LABELS.csv paths are relative to it")
        data = datasets.load_labels(args.labels, task=args.task)
        return data.filenames, data.target, data.groups, data.task, data.target_names
    filenames, y, groups, task, names = _load_dataset_folder(args.dataset, args.data_dir)
    if args.task not in ("auto", task):
        raise CLIError(f"--dataset {args.dataset} is a {task} dataset, not {args.task}")
    return filenames, y, groups, task, names


def make_pipeline_for(
    model: str,
    task: str,
    *,
    seed: int = 0,
    features: str = "logmel",
    n_jobs: int | None = None,
    cache: str | None = None,
    verbose: int = 0,
) -> Any:
    """Build the pipeline ``train`` fits: ``(features, transformer) -> ("clf", model)``.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`: a network ``architecture`` or a baseline of
        :func:`~sk_deepsense.make_baseline`.
    task : {"classification", "regression"}
        Which estimator.
    seed : int, default=0
        ``random_state`` of the model.
    features : {"logmel", "mfcc"}, default="logmel"
        :class:`~sk_deepsense.LogMelTransformer` or :class:`~sk_deepsense.MFCCTransformer`;
        also the name of the first step.
    n_jobs : int or None, default=None
        Files decoded in parallel.
    cache : str or None, default=None
        Feature cache folder.
    verbose : int, default=0
        Progress bar of the extraction and epoch table of the network.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted.
    """
    from sklearn.pipeline import Pipeline

    from .baselines import make_baseline
    from .features import LogMelTransformer, MFCCTransformer
    from .neural import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor

    if features not in FEATURES:
        raise ValueError(f"features must be one of {list(FEATURES)}, got {features!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {list(MODELS)}, got {model!r}")
    if model in NEURAL_CHOICES:
        net = HybridCNNLSTMClassifier if task == "classification" else HybridCNNLSTMRegressor
        clf = net(architecture=model, random_state=seed, verbose=verbose)
    else:
        rs = seed if model == "random_forest" else None
        clf = make_baseline(model, task=task, random_state=rs)
    # A command-line run over a folder should report every broken file at once.
    transformer = {"logmel": LogMelTransformer, "mfcc": MFCCTransformer}[features]
    step = transformer(n_jobs=n_jobs, memory=cache, verbose=verbose, on_error="raise_all")
    return Pipeline([(features, step), ("clf", clf)])


def _validate_pipeline_params(pipe: Any) -> None:
    """Check every step's parameters now, before any audio is decoded."""
    from sklearn.pipeline import Pipeline

    for _, step in pipe.steps:
        if isinstance(step, Pipeline):
            _validate_pipeline_params(step)
        elif hasattr(step, "_validate_params"):
            step._validate_params()


def _format_scores(fold_scores: list[dict[str, float]]) -> str:
    lines = []
    for key in fold_scores[0]:
        values = np.array([s[key] for s in fold_scores])
        lines.append(f"  {key:<18} {values.mean():.3f} +- {values.std():.3f}")
    return "\n".join(lines)


def _cmd_train(args: argparse.Namespace) -> int:
    from sklearn.base import clone

    from .metrics import score_predictions
    from .model_selection import make_splits
    from .neural._base import BaseHybridCNNLSTM

    output = _check_writable(args.output, args.overwrite, "-o/--output")
    if args.cv and args.cv < 2:
        raise CLIError(f"--cv {args.cv}: needs at least 2 folds")
    if output.suffix.lower() == ".skds" and args.model not in NEURAL_CHOICES:
        raise CLIError(
            f"-o/--output {str(output)!r}: the .skds format holds networks only; save a "
            f"--model {args.model} baseline as a joblib file (e.g. model.joblib)"
        )
    params = _parse_sets(args.set)
    paths, y, groups, task, target_names = _load_training_data(args)
    pipe = make_pipeline_for(
        args.model,
        task,
        seed=args.seed,
        features=args.features,
        n_jobs=args.n_jobs,
        cache=args.cache,
        verbose=int(not args.quiet),
    )
    for key, value in params.items():
        try:
            pipe.set_params(**{key: value})
        except ValueError as exc:
            import difflib

            valid = sorted(pipe.get_params(deep=True))
            close = difflib.get_close_matches(key, valid, n=3)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise CLIError(
                f"--set {key}: no such pipeline parameter; {hint}parameters are named "
                f"STEP__PARAM with the steps {args.features!r} (the features, --features) and "
                "'clf' (the model), e.g. clf__max_epochs, logmel__n_mels, mfcc__n_mfcc (see "
                "the API reference for all of them)"
            ) from exc
    try:
        _validate_pipeline_params(pipe)
    except ValueError as exc:
        raise CLIError(f"--set: {' '.join(str(exc).split())}") from exc

    extractor, clf = pipe.steps[0][1], pipe.steps[-1][1]
    what = "labels" if task == "classification" else "targets"
    summary = (
        ", ".join(f"{n}: {c}" for n, c in zip(*np.unique(y, return_counts=True), strict=True))
        if task == "classification"
        else ", ".join(target_names)
    )
    _note(args, f"{len(paths)} clips, {task} ({what}: {summary}); model: {args.model}")
    t0 = time.perf_counter()
    X = extractor.fit_transform(paths)
    _note(args, f"features {X.shape} in {time.perf_counter() - t0:.1f} s")

    if args.cv:
        splits = make_splits(y, groups, n_splits=args.cv, task=task, random_state=args.seed)
        grouped = ", grouped: no group in two folds" if groups is not None else ""
        _note(args, f"{args.cv}-fold cross-validation{grouped}:")
        fold_scores = []
        for i, (train, test) in enumerate(splits):
            est = clone(clf)
            if isinstance(est, BaseHybridCNNLSTM):
                est.set_params(verbose=0)
            t1 = time.perf_counter()
            est.fit(X[train], y[train])
            scores = score_predictions(
                y[test], est.predict(X[test]), task=task, target_names=target_names
            )
            fold_scores.append(scores)
            shown = ", ".join(f"{k} {v:.3f}" for k, v in list(scores.items())[:3])
            _note(args, f"  fold {i + 1}/{args.cv}: {shown} ({time.perf_counter() - t1:.0f} s)")
        print(f"cross-validated scores ({args.cv} folds{grouped}, mean +- std):")
        print(_format_scores(fold_scores))

    _note(args, "final fit on all clips:")
    t0 = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - t0
    # Progress output and the cache folder belong to this run, not to the saved model.
    extractor.set_params(verbose=0, memory=None, on_error="raise")
    if isinstance(clf, BaseHybridCNNLSTM):
        clf.set_params(verbose=0)
    if output.suffix.lower() == ".skds":
        from .persistence import save_model

        save_model(pipe, output, overwrite=True)  # atomic; --overwrite was checked above
    else:
        _atomic_dump(pipe, output)
    size = output.stat().st_size / 1e6
    print(f"saved {output} ({size:.1f} MB; fitted in {fit_s:.0f} s)")
    _note(args, f"next: sk-deepsense predict {output} FILE... --format json")
    return 0


# --------------------------------------------------------------------------------- predict
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
    records: list[dict[str, Any]] = []
    if _is_classifier(model):
        labels = model.predict(X)
        proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
        for i, source in enumerate(sources):
            rec: dict[str, Any] = {"path": str(source), "label": _plain(labels[i])}
            if proba is not None:
                pairs = zip(model.classes_, proba[i], strict=True)
                rec["probabilities"] = {str(c): round(float(p), 4) for c, p in pairs}
            records.append(rec)
        return records
    pred = np.asarray(model.predict(X), dtype=float).reshape(len(sources), -1)
    names = _target_names(pred.shape[1])
    for i, source in enumerate(sources):
        rec = {"path": str(source)}
        rec.update({n: round(float(v), 4) for n, v in zip(names, pred[i], strict=True)})
        records.append(rec)
    return records


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


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


def _cmd_predict(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    timeline = None
    if args.window is not None and args.window < 0:
        raise CLIError(f"--window {args.window}: must be >= 0 seconds")
    if args.timeline is not None:
        timeline = _check_writable(args.timeline, args.overwrite, "--timeline")
        final = model.steps[-1][1]
        if not (hasattr(final, "predict_proba_frames") or hasattr(final, "predict_frames")):
            raise CLIError(
                f"--timeline needs a network model with per-frame predictions; {args.model} "
                f"ends with a {type(final).__name__}"
            )
    files = _expand_files(args.files)
    _configure_features(model, args)
    X = model[:-1].transform(files)
    records = predict_records(model[-1], X, files)
    sys.stdout.write(format_records(records, args.format))
    if timeline is not None:
        _write_timeline(model, files, timeline, args.window)
        _note(args, f"timeline written to {timeline}")
    return 0


def _write_timeline(model: Any, files: Sequence[str], out: Path, window: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from .plotting import predict_timeline

    step = _feature_step(model)
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
    fig, axes = plt.subplots(n, 1, figsize=(9, 2.6 * n), squeeze=False, sharex=False)
    for ax, tl, source in zip(axes[:, 0], timelines, files, strict=True):
        tl.plot(ax=ax, title=f"{Path(source).name} ({how})")
    fig.tight_layout()
    _save_figure(fig, out)
    plt.close(fig)


# --------------------------------------------------------------------------------- evaluate
def _cmd_evaluate(args: argparse.Namespace) -> int:
    from sklearn.metrics import classification_report, confusion_matrix

    from . import datasets
    from .metrics import score_predictions

    model = _load_model(args.model)
    plot = _check_writable(args.plot, args.overwrite, "--plot") if args.plot else None
    task = "classification" if _is_classifier(model) else "regression"
    data = datasets.load_labels(args.labels, task=task)
    _configure_features(model, args)
    _note(args, f"{len(data.filenames)} clips from {args.labels}")
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
        names = _target_names(y_true.shape[1])
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
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_arousal_valence, plot_confusion_matrix

        fig, ax = plt.subplots(figsize=(5.5, 5))
        if task == "classification":
            plot_confusion_matrix(y_true, y_pred, labels=labels, ax=ax)
        else:
            plot_arousal_valence(np.asarray(y_pred)[:, :2], y_true[:, :2], ax=ax)
        _save_figure(fig, plot)
        plt.close(fig)
        _note(args, f"plot written to {plot}")
    return 0


# --------------------------------------------------------------------------------- others
def _cmd_benchmark(args: argparse.Namespace) -> int:
    from .benchmark import main as benchmark_main

    return benchmark_main(args.args, prog="sk-deepsense benchmark")


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    run_demo(
        args.output,
        n_samples=args.n_samples,
        folds=args.folds,
        max_epochs=args.max_epochs,
        seed=args.seed,
        fast=args.fast,
        overwrite=args.overwrite,
        quiet=args.quiet,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
