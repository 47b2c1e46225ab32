"""The ``sk-deepsense`` command line: demo, train, predict, map, playlist, listen, ...

Run ``sk-deepsense --help`` or ``sk-deepsense COMMAND --help``. Every command exits with 0 on
success, 1 on an error (one line on standard error naming the file or option; ``--debug``
shows the traceback instead) and 2 on a usage error; ``predict`` exits with 3 when it
finished but some files could not be read (their error records are in the output).
Results (scores, predictions, the saved file) go to standard output; progress (the
extraction bar, the epoch table of each network, labelled ``network 1 of 3``, one line per
cross-validation fold) to standard error, without colours unless it is a terminal; ``-q``
silences the progress, so that ``predict -q`` writes nothing but the predictions. Every
command names things alike (``-o/--output``, ``--overwrite``, ``--plot``, ``--format
table``, the model names of :data:`sk_deepsense._choices.BENCHMARK_MODELS`, ``--set
clf__PARAM``).

One module per command (``train``, ``predict``, ``map``, ``playlist``, ``listen``,
``evaluate``, ``demo``, ``benchmark``), each with ``add_parser(subparsers)`` and
``run(args) -> int``; what they share lives in ``_common`` (``_library``: what ``map`` and
``playlist`` share). Building the parser imports none of torch, skorch, librosa,
scikit-learn, pandas, matplotlib or plotly: each command imports them in its ``run``, so
``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import benchmark, demo, evaluate, listen, map, playlist, predict, train
from ._common import CLIError, UsageError, error_line, parse_value
from .predict import format_records, predict_records
from .train import FEATURES, MODELS, make_pipeline_for

__all__ = [
    "FEATURES",
    "MODELS",
    "CLIError",
    "build_parser",
    "command_parser",
    "format_records",
    "main",
    "make_pipeline_for",
    "parse_value",
    "predict_records",
]

#: The commands, in the order ``--help`` lists them.
COMMANDS = (demo, train, predict, map, playlist, listen, evaluate, benchmark)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``sk-deepsense`` argument parser (also used to render the docs' CLI page).

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, with one sub-parser per command; each sets ``func`` (the command's
        ``run``) as a default.

    Examples
    --------
    >>> from sk_deepsense.cli import build_parser
    >>> args = build_parser().parse_args(["train", "labels.csv", "-o", "m.joblib"])
    >>> args.command, args.model, args.features, args.func.__module__
    ('train', 'recommended', None, 'sk_deepsense.cli.train')
    """
    from .._version import __version__

    parser = argparse.ArgumentParser(
        prog="sk-deepsense",
        description="Music emotion recognition with a hybrid 1-D CNN + LSTM: train, evaluate "
        "and predict from audio files and a CSV of labels, without writing code.",
        epilog="Run 'sk-deepsense COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"sk_deepsense {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """Return the sub-parser of one command of a parser made by :func:`build_parser`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        As :func:`build_parser` returns.
    command : str
        A command name, e.g. ``"train"``.

    Returns
    -------
    subparser : argparse.ArgumentParser
        The parser of ``sk-deepsense COMMAND``.

    Raises
    ------
    KeyError
        If there is no such command.

    Examples
    --------
    >>> from sk_deepsense.cli import build_parser, command_parser
    >>> command_parser(build_parser(), "benchmark").prog
    'sk-deepsense benchmark'
    """
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[command]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sk-deepsense`` command line.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 on an error, 3 when ``predict`` finished but some files failed,
        130 when interrupted (usage errors exit with 2).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv  # the command line as given (the benchmark records it)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("sk-deepsense: interrupted", file=sys.stderr)
        return 130
    except UsageError as exc:
        command_parser(parser, args.command).error(str(exc))  # exits with 2, as argparse does
        raise  # pragma: no cover - error() exits
    except Exception as exc:  # noqa: BLE001 - every error becomes one line unless --debug
        if args.debug:
            raise
        print(error_line(args.command, exc), file=sys.stderr)
        return 1
