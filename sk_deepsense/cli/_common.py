"""What every ``sk-deepsense`` command shares: errors, options, ``--set``, files and models.

Importing this module is cheap (no numpy, scikit-learn, torch, librosa or matplotlib):
building the parser must stay fast, so every heavy import is inside the function that
needs it.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._files import atomic_path
from ..batch import target_names  # light: the records' names, shared with the library
from ..exceptions import SkDeepsenseError

__all__ = [
    "BUILTIN",
    "MODEL_HELP",
    "CLIError",
    "UsageError",
    "add_common_options",
    "add_extraction_options",
    "add_pickle_option",
    "add_set_option",
    "atomic_dump",
    "check_writable",
    "configure_features",
    "error_line",
    "expand_files",
    "feature_step",
    "is_classifier",
    "load_dataset_arrays",
    "load_model",
    "note",
    "parse_sets",
    "parse_value",
    "save_figure",
    "target_names",
    "warning",
]


class CLIError(SkDeepsenseError):
    """An error the command line reports as one line (no traceback); exit status 1."""


class UsageError(CLIError):
    """A usage error found after parsing (e.g. an unknown ``--models`` name); exit status 2.

    :func:`sk_deepsense.cli.main` reports it through the command's own parser, as argparse
    reports its own usage errors.
    """


# ------------------------------------------------------------------------------- options
def add_common_options(p: argparse.ArgumentParser) -> None:
    """Add ``-q/--quiet`` and ``--debug``, which every command has."""
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars, epoch tables or notes"
    )
    p.add_argument("--debug", action="store_true", help="show the full traceback of an error")


def add_extraction_options(p: argparse.ArgumentParser, *, cache: bool = True) -> None:
    """Add ``--n-jobs`` (files decoded in parallel) and, with ``cache``, ``--cache DIR``."""
    p.add_argument(
        "--n-jobs", type=int, default=2, metavar="N", help="files decoded in parallel (default 2)"
    )
    if cache:
        p.add_argument("--cache", metavar="DIR", help="feature cache folder, reused by later runs")


def add_set_option(p: argparse.ArgumentParser, help: str) -> None:
    """Add the repeatable ``--set KEY=VALUE`` option, read by :func:`parse_sets`."""
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=help)


def note(args: argparse.Namespace, *parts: Any) -> None:
    """Print a progress note to standard error unless ``--quiet``."""
    if not args.quiet:
        print(*parts, file=sys.stderr, flush=True)


def warning(args: argparse.Namespace, text: str) -> None:
    """Print a one-line warning to standard error, even with ``--quiet``."""
    print(f"sk-deepsense {args.command}: warning: {text}", file=sys.stderr, flush=True)


def error_line(command: str, exc: BaseException) -> str:
    """Render an error as the one line the command line prints (without a newline)."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, (SkDeepsenseError, OSError, ValueError, LookupError, TypeError)):
        # unexpected: say what it was and how to see more
        message = f"{type(exc).__name__}: {message} (--debug shows the traceback)"
    return f"sk-deepsense {command}: error: {message}"


# ---------------------------------------------------------------------------------- --set
def parse_value(text: str) -> Any:
    """Read a ``--set`` value: JSON, else a Python literal, else the text itself.

    Every command reads ``--set`` through this one function.

    Parameters
    ----------
    text : str
        The part after ``=``.

    Returns
    -------
    value : object
        ``20`` -> 20, ``0.5`` -> 0.5, ``true``/``True`` -> True, ``null``/``None`` -> None,
        ``[3, 5]`` -> [3, 5], ``(3, 5)`` -> (3, 5), ``mean`` -> ``"mean"``.

    Examples
    --------
    >>> from sk_deepsense.cli import parse_value
    >>> parse_value("20"), parse_value("None"), parse_value("[3, 5]"), parse_value("mean")
    (20, None, [3, 5], 'mean')
    >>> parse_value("(3, 5)"), parse_value("1e-3")
    ((3, 5), 0.001)
    """
    for reader in (json.loads, ast.literal_eval):
        try:
            return reader(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return text


def parse_sets(items: Sequence[str]) -> dict[str, Any]:
    """Read repeated ``--set KEY=VALUE`` options into a dict (values by :func:`parse_value`).

    Parameters
    ----------
    items : sequence of str
        The ``KEY=VALUE`` texts, in command-line order (a later key wins).

    Returns
    -------
    params : dict
        Key -> value.

    Raises
    ------
    CLIError
        If an item has no ``=`` or an empty key.

    Examples
    --------
    >>> from sk_deepsense.cli._common import parse_sets
    >>> parse_sets(["clf__max_epochs=20", "train_chunk=None", "logmel__fmax = 8000.0"])
    {'clf__max_epochs': 20, 'train_chunk': None, 'logmel__fmax': 8000.0}
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CLIError(f"--set {item!r}: expected KEY=VALUE, e.g. clf__max_epochs=20")
        params[key] = parse_value(value.strip())
    return params


# ---------------------------------------------------------------------------------- files
def check_writable(path: Path, overwrite: bool, option: str) -> Path:
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


def atomic_dump(obj: Any, path: Path) -> None:
    """``joblib.dump`` to a temporary file beside ``path``, then rename it into place."""
    import joblib

    with atomic_path(path) as tmp:
        joblib.dump(obj, tmp)


def save_figure(fig: Any, path: Path) -> None:
    """Write a figure the way every command does (120 dpi, tight bounding box)."""
    fig.savefig(path, dpi=120, bbox_inches="tight")


def expand_files(items: Sequence[Path]) -> list[str]:
    """Files as given; a folder becomes the audio files under it (sorted)."""
    from ..datasets._common import AUDIO_EXTENSIONS

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


def load_dataset_arrays(
    name: str, data_dir: str | os.PathLike | None, **kwargs: Any
) -> tuple[Any, Any, Any, str, list[str]]:
    """Load a registered dataset (:func:`~sk_deepsense.datasets.load_dataset`) as arrays.

    Returns ``(filenames, y, groups, task, target_names)``: ``target_names`` is empty for
    classification, ``groups`` None when the dataset names no groups.
    """
    import numpy as np

    from ..datasets import load_dataset

    if data_dir is None:
        raise CLIError(f"--dataset {name} needs --data-dir (the dataset's local folder)")
    bunch = load_dataset(name, Path(data_dir).expanduser(), **kwargs)
    names = [] if bunch.task == "classification" else [str(t) for t in bunch.target_names]
    groups = bunch.get("groups")
    groups = None if groups is None else np.asarray(groups)
    return bunch.filenames, np.asarray(bunch.target), groups, bunch.task, names


# --------------------------------------------------------------------------------- models
def refuse_series_model(model: Any, command: str) -> None:
    """Stop ``command`` (one prediction per file) on a model that predicts a series per clip."""
    from .._tags import capabilities, final_step

    final = final_step(model)
    if capabilities(final).series_output:  # declared (the dynamic estimators)
        raise CLIError(
            f"'{command}' gives one prediction per file, but the model's "
            f"{type(final).__name__} predicts a series per clip: stream it with "
            "'sk-deepsense listen MODEL AUDIO', or use it from Python (docs: dynamic.rst)"
        )


#: File names a pickled (joblib) model may have; loaded only with ``--allow-pickle``.
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


def add_pickle_option(p: argparse.ArgumentParser) -> None:
    """Add ``--allow-pickle``, the opt-in :func:`load_model` needs for a pickled model."""
    p.add_argument(
        "--allow-pickle",
        action="store_true",
        help="load a MODEL saved with joblib (.joblib, .pkl, .pickle): loading a pickle can "
        "run any code it holds, so only for files you trust; .skds files need no flag",
    )


#: The MODEL that names a model shipped with the package: ``builtin`` (the default one) or
#: ``builtin:NAME`` (a key of :data:`sk_deepsense.persistence.PRETRAINED`). A model file
#: named ``builtin`` is given by a longer path (``/abs/path/builtin``).
BUILTIN = "builtin"
#: The help of every command's MODEL argument.
MODEL_HELP = (
    "a model saved by 'train' (.skds), or 'builtin': the emotion model shipped with the "
    "package (the Russell quadrant of a song, sk_deepsense.load_pretrained)"
)


def _load_builtin(model: str) -> Any:
    """Load the shipped model that ``builtin`` or ``builtin:NAME`` names (one-line errors)."""
    from ..persistence import load_pretrained
    from ..persistence._pretrained import DEFAULT_PRETRAINED, PRETRAINED

    name = model.partition(":")[2] or DEFAULT_PRETRAINED
    if name not in PRETRAINED:
        shipped = ", ".join(f"{BUILTIN}:{n}" for n in PRETRAINED)
        raise CLIError(f"MODEL {model!r}: no such built-in model; shipped: {shipped}")
    return load_pretrained(name)


def load_model(path: Path, *, allow_pickle: bool = False) -> Any:
    """Load a model for a command: the one way the command line reads a model file.

    The file's name decides how, never its content: ``NAME.skds`` goes only through the
    safe loader (:func:`sk_deepsense.load_model`: no code runs), whatever the file holds;
    ``.joblib``, ``.pkl`` and ``.pickle`` files are unpickled only with ``allow_pickle``
    (``--allow-pickle``), as loading a pickle can run any code in it; a zip archive of any
    other name goes through the safe loader too; anything else is refused. The model must be a
    fitted scikit-learn pipeline. The MODEL ``builtin`` (``builtin:NAME``) is the model
    shipped with the package (:func:`sk_deepsense.load_pretrained`), not a file.

    Parameters
    ----------
    path : pathlib.Path
        The MODEL argument.
    allow_pickle : bool, default=False
        Whether a pickled model may be loaded (the user trusts the file).

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        The fitted pipeline.

    Raises
    ------
    CLIError
        If the file does not exist, is refused, cannot be read as its name says, or does not
        hold a fitted pipeline. One line, naming the file and the reason.
    """
    if str(path) == BUILTIN or str(path).startswith(f"{BUILTIN}:"):
        return _load_builtin(str(path))
    path = path.expanduser()
    if not path.is_file():
        reason = "is a folder" if path.is_dir() else "does not exist"
        raise CLIError(f"MODEL {str(path)!r} {reason}")
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        # a zip archive starts with a local file header; zipfile.is_zipfile would also take a
        # pickle that embeds one near its end (torch 2.4 serializes a skorch net that way)
        is_zip = fh.read(4) == b"PK\x03\x04"
    if suffix == ".skds" or is_zip:  # a zip is never unpickled
        return _checked(_load_safe(path), path)
    if suffix not in PICKLE_SUFFIXES:
        raise CLIError(
            f"MODEL {str(path)!r} is not a model file: give a .skds file (the safe format "
            f"'train -o NAME.skds' writes), or a joblib model named {', '.join(PICKLE_SUFFIXES)}"
            " with --allow-pickle"
        )
    if not allow_pickle:
        raise CLIError(
            f"MODEL {str(path)!r} is a pickle (joblib) file, and loading one can run any code "
            "it holds: pass --allow-pickle if you trust its source, or re-save the model as "
            ".skds (sk_deepsense.save_model, or 'sk-deepsense train -o model.skds')"
        )
    import joblib

    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not a model file"
        raise CLIError(
            f"MODEL {str(path)!r} could not be loaded as a joblib model file "
            f"({type(exc).__name__}: {' '.join(str(exc).split())})"
        ) from exc
    return _checked(model, path)


def _load_safe(path: Path) -> Any:
    """Read a ``.skds`` file with the safe loader; its refusal becomes one CLIError line."""
    import warnings

    from ..persistence import load_model as load_skds

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = load_skds(path)
        except ValueError as exc:  # ModelFileError: names the file and the reason
            raise CLIError(" ".join(str(exc).split())) from None
    for w in caught:  # the loader's own warnings (version check, a parameter reset): a line each
        if issubclass(w.category, UserWarning):
            print(f"sk-deepsense: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
        else:  # e.g. a ResourceWarning of earlier work collected meanwhile: as Python would
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return model


def _checked(model: Any, path: Path) -> Any:
    """Return ``model`` if it is a fitted scikit-learn pipeline, else raise CLIError."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(model, Pipeline) or not hasattr(model, "predict"):
        raise CLIError(
            f"MODEL {str(path)!r} holds a {type(model).__name__}, not a pipeline saved by "
            "'sk-deepsense train'"
        )
    check_is_fitted(model)
    return model


def feature_step(model: Any) -> Any:
    """Return the pipeline's audio feature transformer (its first step), or None."""
    from ..features import BaseAudioTransformer

    step = model.steps[0][1] if hasattr(model, "steps") else None
    return step if isinstance(step, BaseAudioTransformer) else None


def configure_features(model: Any, args: argparse.Namespace) -> None:
    """Apply ``--n-jobs``, progress and list-every-broken-file to the feature step."""
    step = feature_step(model)
    if step is not None:
        step.set_params(n_jobs=args.n_jobs, verbose=int(not args.quiet), on_error="raise_all")


def is_classifier(model: Any) -> bool:
    """Tell whether ``model`` is a classifier (scikit-learn's test)."""
    from sklearn.base import is_classifier as _is_classifier

    return bool(_is_classifier(model))
