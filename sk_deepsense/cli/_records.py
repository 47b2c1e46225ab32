"""``predict``'s streamed output: records written one by one, and ``--resume`` of a file.

JSON Lines and CSV are written record by record and flushed after each, so that a pipe, a
``head`` or a killed run still leaves every finished record on disk. ``--resume`` reads such
a file back: it keeps the complete prediction records, drops error records (retried: a
broken download may have been fixed) and a last line cut by a kill, and returns the paths
already done.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from ._common import CLIError

__all__ = ["STREAMED", "RecordWriter", "flatten", "read_finished"]

#: The ``--format`` values written record by record (and resumable).
STREAMED = ("jsonl", "csv")


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV/table row of a record: ``probabilities`` become ``p_<class>`` columns."""
    flat = {k: v for k, v in record.items() if k != "probabilities"}
    for c, p in record.get("probabilities", {}).items():
        flat[f"p_{c}"] = p
    return flat


class RecordWriter:
    """Write ``predict`` records to ``stream`` as JSON Lines or CSV, flushing each.

    A CSV's columns are those of the first prediction record, then ``error`` (empty but for
    unreadable files); error records that come before any prediction wait for it (or for
    :meth:`close`, which then writes the columns ``path,error``). ``fieldnames`` continues a
    resumed CSV file under its existing header.
    """

    def __init__(self, stream: IO[str], fmt: str, fieldnames: list[str] | None = None) -> None:
        if fmt not in STREAMED:
            raise ValueError(f"fmt must be one of {list(STREAMED)}, got {fmt!r}")
        self.stream, self.fmt = stream, fmt
        self._csv = None if fieldnames is None else self._writer(fieldnames)
        self._pending: list[dict[str, Any]] = []  # CSV error rows before the columns are known

    def _writer(self, fieldnames: list[str]) -> csv.DictWriter:
        return csv.DictWriter(self.stream, fieldnames=fieldnames, lineterminator="\n")

    def write(self, record: dict[str, Any]) -> None:
        """Write one record and flush it to disk (or down the pipe)."""
        if self.fmt == "jsonl":
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            row = flatten(record)
            if self._csv is None:
                if "error" in row:
                    self._pending.append(row)
                    return
                self._start_csv([*row, "error"])
            self._csv.writerow(row)
        self.stream.flush()

    def _start_csv(self, fieldnames: list[str]) -> None:
        self._csv = self._writer(fieldnames)
        self._csv.writeheader()
        self._csv.writerows(self._pending)
        self._pending = []

    def close(self) -> None:
        """Write what waits (CSV error rows when nothing was predicted) and flush."""
        if self.fmt == "csv" and self._csv is None and self._pending:
            self._start_csv(["path", "error"])
        self.stream.flush()


def read_finished(path: Path, fmt: str) -> tuple[set[str], list[str] | None]:
    """Read an output file to resume: the paths it has predictions for, and its CSV header.

    Keeps the complete prediction records, in order; drops error records (their files are
    tried again) and a last line that a kill cut short (no newline, or not a complete
    record). The file is rewritten (atomically) only when something was dropped.

    Parameters
    ----------
    path : Path
        The ``--output`` file of an earlier run, in format ``fmt``.
    fmt : {"jsonl", "csv"}
        Its format.

    Returns
    -------
    done : set of str
        The ``path`` of every prediction record kept.
    header : list of str or None
        The CSV columns (None for JSON Lines or an empty file).

    Raises
    ------
    CLIError
        If a line other than the last is not a record of this format.
    """
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.readlines()
    header = None
    if fmt == "csv" and lines and lines[0].endswith("\n"):
        header = next(csv.reader([lines[0]]))
    kept, done = lines[: int(header is not None)], set()
    for n, line in enumerate(lines[len(kept) :], start=len(kept) + 1):
        record = _parse(line, header) if line.endswith("\n") else None
        if record is None:
            if n == len(lines):
                break  # cut by a kill: dropped, and its file predicted again
            raise CLIError(
                f"--resume: line {n} of {str(path)!r} is not a complete {fmt} record; "
                "fix or remove it (nothing was changed)"
            )
        if not record.get("error"):  # error records are retried
            done.add(record["path"])
            kept.append(line)
    if header is not None and len(kept) == 1:  # no prediction kept: new columns may come
        kept, header = [], None
    if len(kept) < len(lines):
        _rewrite(path, kept)
    return done, header


def _parse(line: str, header: list[str] | None) -> dict[str, Any] | None:
    """Read a line as a record (with a ``path``); None if it is not a complete one."""
    if header is None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
    else:
        row = next(csv.reader(io.StringIO(line)), [])
        record = dict(zip(header, row, strict=False)) if len(row) == len(header) else None
    return record if isinstance(record, dict) and "path" in record else None


def _rewrite(path: Path, lines: list[str]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.writelines(lines)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
