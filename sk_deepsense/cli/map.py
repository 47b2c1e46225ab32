"""``sk-deepsense map``: an interactive map of a predicted library (one HTML file)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import CLIError, add_common_options, check_writable, warning
from ._library import add_records_options, check_not_records, read_library
from ._library import count as _count

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``map`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "map",
        help="draw a predicted library on the arousal-valence plane (an HTML page)",
        description="Write the records of 'predict' as one self-contained HTML page that "
        "opens offline in any browser: every track a point of the arousal-valence plane "
        "(a classifier's tracks at the probability-weighted mean of the quadrants' "
        "centres), coloured by label; hover names it, a click plays it, the legend filters "
        "labels, a search box finds tracks; the files that could not be predicted are "
        "listed. Needs plotly: pip install 'sk_deepsense[map]'.",
    )
    add_common_options(p)
    add_records_options(p)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT.html",
        help="the page to write (default: RECORDS with the suffix .html); keep it in or "
        "above the music's folder so the relative links stay short",
    )
    p.add_argument("--title", help="the page's title (default: 'Emotions of RECORDS')")
    p.add_argument("--overwrite", action="store_true", help="replace an existing page")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``sk-deepsense map``; return the exit status."""
    from ..library import write_map

    output = check_writable(args.output or args.records.with_suffix(".html"), args.overwrite, "-o")
    check_not_records(output, args)
    library = read_library(args)
    try:
        write_map(library, output, title=args.title, overwrite=args.overwrite, tags=args.tags)
    except ImportError as exc:
        raise CLIError(str(exc)) from None
    if library.errors:
        n = _count(len(library.errors), "file")
        warning(args, f"{n} could not be predicted: listed on the page")
    print(f"{output}: {len(library.tracks)} tracks on the map ({library.kind})")
    return 0
