"""What ``map`` and ``playlist`` share: the records argument and how it is read."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from ._common import CLIError

__all__ = ["add_records_options", "check_not_records", "count", "parse_point", "read_library"]


def add_records_options(p: argparse.ArgumentParser) -> None:
    """Add ``RECORDS``, ``--base``, ``--centre`` and ``--no-tags``."""
    p.add_argument(
        "records",
        type=Path,
        metavar="RECORDS",
        help="the output of 'predict --format jsonl' (or json, csv): one record per file",
    )
    p.add_argument(
        "--base",
        type=Path,
        metavar="DIR",
        help="the folder relative file names in RECORDS are relative to (default: the "
        "current folder, where 'predict' ran)",
    )
    p.add_argument(
        "--centre",
        action="append",
        default=[],
        metavar="LABEL=AROUSAL,VALENCE",
        help="where a class of a classifier lies on the arousal-valence plane, for labels "
        "other than Q1-Q4 (repeat it for each); a track is placed at the "
        "probability-weighted mean of its classes' centres",
    )
    p.add_argument(
        "--no-tags",
        dest="tags",
        action="store_false",
        help="do not read titles, artists and lengths from the audio files' tags",
    )


def parse_point(text: str, option: str) -> tuple[float, float]:
    """Read ``AROUSAL,VALENCE`` (two finite numbers)."""
    parts = text.split(",")
    try:
        a, v = (float(x) for x in parts)
    except ValueError:
        raise CLIError(f"{option} {text!r}: give two numbers, AROUSAL,VALENCE") from None
    if not (math.isfinite(a) and math.isfinite(v)):
        raise CLIError(f"{option} {text!r}: the numbers must be finite")
    return a, v


def read_library(args: argparse.Namespace) -> Any:
    """Read ``args.records`` as :func:`sk_deepsense.library.read_records` does."""
    from ..library import QUADRANT_CENTRES, read_records

    centres = dict(QUADRANT_CENTRES)
    for item in args.centre:
        label, sep, point = item.partition("=")
        if not sep or not label:
            raise CLIError(f"--centre {item!r}: write LABEL=AROUSAL,VALENCE")
        centres[label] = parse_point(point, f"--centre {label}=")
    if args.records.is_dir():
        raise CLIError(f"{str(args.records)!r} is a folder; give the records file of 'predict'")
    return read_records(args.records, base=args.base, centres=centres)


def check_not_records(output: Path, args: argparse.Namespace) -> Path:
    """Refuse an output that is the records file itself, even with ``--overwrite``."""
    records = args.records.expanduser()
    if output.exists() and records.exists() and output.samefile(records):
        raise CLIError(
            f"-o {str(output)!r} is the records file being read; writing there would lose "
            "the predictions (nothing was changed)"
        )
    return output


def count(n: int, noun: str) -> str:
    """Say ``n`` things in words: ``1 file``, ``3 files``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
