"""``sk-deepsense playlist``: a mood playlist (extended M3U) from a predicted library."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import CLIError, UsageError, add_common_options, check_writable, warning
from ._library import add_records_options, check_not_records, parse_point, read_library
from ._library import count as _count

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``playlist`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "playlist",
        help="write a mood playlist (M3U) from a predicted library",
        description="Choose tracks from the records of 'predict' and write them as an "
        "extended M3U playlist: the tracks of one label, surest first (--label Q4: calm), "
        "or the N nearest a point of the arousal-valence plane (--near=-0.5,0.5), with "
        "paths relative to the playlist's folder. Files that could not be predicted are "
        "left out (a warning counts them).",
        epilog="A negative first number needs the = form: --near=-0.5,0.5.",
    )
    add_common_options(p)
    add_records_options(p)
    p.add_argument("--label", help="the tracks of this label, surest first (e.g. Q4)")
    p.add_argument(
        "--near",
        metavar="AROUSAL,VALENCE",
        help="order by distance to this point of the plane, nearest first (in [-1, 1]; "
        "e.g. --near=-0.5,0.5 for calm, 0.5,0.5 for happy)",
    )
    p.add_argument("--n", type=int, metavar="N", help="at most N tracks (default: all)")
    p.add_argument(
        "--min-confidence",
        type=float,
        metavar="P",
        help="only tracks whose predicted label has probability >= P (classifiers)",
    )
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.m3u")
    p.add_argument(
        "--absolute",
        action="store_true",
        help="write absolute paths (default: relative to the playlist's folder)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing playlist")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``sk-deepsense playlist``; return the exit status."""
    from ..library import select_tracks, write_playlist

    if args.label is None and args.near is None:
        raise UsageError("give --label LABEL or --near AROUSAL,VALENCE (or both)")
    near = parse_point(args.near, "--near") if args.near is not None else None
    output = check_not_records(check_writable(args.output, args.overwrite, "-o"), args)
    library = read_library(args)
    try:
        chosen = select_tracks(
            library, label=args.label, near=near, n=args.n, min_confidence=args.min_confidence
        )
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if not chosen:
        raise CLIError(f"no track of {str(args.records)!r} matches; nothing was written")
    written = write_playlist(
        chosen, output, absolute=args.absolute, overwrite=args.overwrite, tags=args.tags
    )
    if library.errors:
        n = _count(len(library.errors), "error record")
        warning(args, f"{n} left out (files not predicted)")
    if len(written) < len(chosen):
        warning(
            args,
            f"{_count(len(chosen) - len(written), 'track')} left out: a line break in the name, "
            "which an M3U entry cannot",
        )
    order = "nearest first" if near is not None else "surest first"
    print(f"{output}: {len(written)} tracks ({order})")
    return 0
