"""``predict``'s streamed output: records written one by one, and ``--resume`` of a file.

JSON Lines and CSV are written record by record and flushed after each, so that a pipe, a
``head`` or a killed run still leaves every finished record on disk. ``--resume`` reads such
a file back: it keeps the complete prediction records, drops error records (retried: a
broken download may have been fixed) and a last record cut by a kill, and returns the paths
already done.

Every record is written as valid UTF-8 whatever its file is named: a name that is not (a
Linux file name is bytes; Python holds the bytes that are not UTF-8 as lone surrogates) is
written with backslash escapes and ``path_escaped: true`` (:func:`escape_path`), and read
back to the same name by ``--resume``. CSV cells are escaped against spreadsheet formulas
(:mod:`sk_deepsense._csv_cells`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from .._csv_cells import escape_row, unescape_cell
from .._files import atomic_write_text
from .._record_paths import _SURROGATE, ESCAPED, escape_path, unescape_path
from ..exceptions import ParameterError
from ._common import CLIError

__all__ = [
    "STREAMED",
    "RecordWriter",
    "escape_path",
    "flatten",
    "needs_escapes",
    "output_record",
    "read_finished",
    "unescape_path",
]

#: The ``--format`` values written record by record (and resumable).
STREAMED = ("jsonl", "csv")


def output_record(record: dict[str, Any]) -> dict[str, Any]:
    """Return a record as it is written: valid UTF-8 whatever the file is named.

    ``path`` goes through :func:`escape_path` (``path_escaped: true`` is added when it was
    escaped); any other text that is not valid UTF-8 (an error message, a class name) gets
    Python's backslash escapes.
    """
    text, escaped = escape_path(record["path"])
    out = {k: _valid(v) for k, v in record.items()}
    out["path"] = text
    if escaped:
        out[ESCAPED] = True
    return out


def _valid(value: Any) -> Any:
    if isinstance(value, str) and _SURROGATE.search(value):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_valid(k): _valid(v) for k, v in value.items()}
    return value


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV/table row of a record: ``probabilities`` become ``p_<class>`` columns.

    ``path_escaped``, when there, comes last.
    """
    flat = {k: v for k, v in record.items() if k not in ("probabilities", ESCAPED)}
    for c, p in record.get("probabilities", {}).items():
        flat[f"p_{c}"] = p
    if ESCAPED in record:
        flat[ESCAPED] = record[ESCAPED]
    return flat


def needs_escapes(paths: Iterable[str]) -> bool:
    """Tell whether some of ``paths`` are written escaped (a CSV then has ``path_escaped``)."""
    return any(_SURROGATE.search(p) for p in paths)


def csv_columns(row: dict[str, Any], escapes: bool) -> list[str]:
    """Return the columns of a CSV started by ``row``: its own, ``error`` (``path_escaped``)."""
    return [*(k for k in row if k not in ("error", ESCAPED)), "error", *[ESCAPED][: int(escapes)]]


class RecordWriter:
    """Write ``predict`` records to ``stream`` as JSON Lines or CSV, flushing each.

    Records are written as :func:`output_record` makes them (valid UTF-8; JSON never holds
    a bare NaN: ``allow_nan=False``). A CSV's columns are those of the first prediction
    record, then ``error`` (empty but for failed files) and, with ``escapes`` (some file
    name of the run is not UTF-8), ``path_escaped`` (``true`` for an escaped name); cells
    are escaped against spreadsheet formulas. Error records that come before any
    prediction wait for it (or for :meth:`close`, which then writes the columns
    ``path,error``). ``fieldnames`` continues a resumed CSV file under its existing header.
    """

    def __init__(
        self,
        stream: IO[str],
        fmt: str,
        fieldnames: list[str] | None = None,
        *,
        escapes: bool = False,
    ) -> None:
        if fmt not in STREAMED:
            raise ParameterError(f"fmt must be one of {list(STREAMED)}, got {fmt!r}")
        self.stream, self.fmt, self.escapes = stream, fmt, escapes
        self._csv = None if fieldnames is None else self._writer(fieldnames)
        self._pending: list[dict[str, Any]] = []  # CSV error rows before the columns are known

    def _writer(self, fieldnames: list[str]) -> csv.DictWriter:
        return csv.DictWriter(self.stream, fieldnames=fieldnames, lineterminator="\n")

    def write(self, record: dict[str, Any]) -> None:
        """Write one record and flush it to disk (or down the pipe)."""
        record = output_record(record)
        if self.fmt == "jsonl":
            self.stream.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        else:
            row = escape_row(flatten(record))
            if self._csv is None:
                if "error" in row:
                    self._pending.append(row)
                    return
                self._start_csv(csv_columns(row, self.escapes))
            assert self._csv is not None  # set by _start_csv
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
            self._start_csv(csv_columns({"path": ""}, self.escapes))
        self.stream.flush()


def read_finished(
    path: Path, fmt: str, *, escapes: bool = False
) -> tuple[set[str], list[str] | None]:
    """Read an output file to resume: the paths it has predictions for, and its CSV header.

    Keeps the complete prediction records, in order; drops error records (their files are
    tried again) and a last record that a kill cut short (no newline at the end, or not a
    complete record). A CSV is read as CSV records (a quoted file name may hold a newline),
    its cells unescaped; an escaped ``path`` (``path_escaped``) is read back to the name.
    The file is rewritten (atomically) only when something was dropped, or when a CSV
    gains the ``path_escaped`` column (``escapes``: names to escape will be appended).

    Parameters
    ----------
    path : Path
        The ``--output`` file of an earlier run, in format ``fmt``.
    fmt : {"jsonl", "csv"}
        Its format.
    escapes : bool, default=False
        Whether records with escaped names will be appended (a CSV needs the column).

    Returns
    -------
    done : set of str
        The ``path`` of every prediction record kept, as Python holds file names.
    header : list of str or None
        The CSV columns (None for JSON Lines or a file without a prediction).

    Raises
    ------
    CLIError
        If a record other than the last is not a record of this format.
    """
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if fmt == "csv":
        return _read_csv(path, text, escapes)
    lines = text.splitlines(keepends=True)
    kept, done = [], set()
    for n, line in enumerate(lines, start=1):
        record = _parse_json(line) if line.endswith("\n") else None
        if record is None:
            if n == len(lines):
                break  # cut by a kill: dropped, and its file predicted again
            raise _damaged(path, fmt, f"line {n}")
        if not record.get("error"):  # error records are retried
            done.add(_stored_path(record))
            kept.append(line)
    if len(kept) < len(lines):
        _rewrite(path, "".join(kept))
    return done, None


def _read_csv(path: Path, text: str, escapes: bool) -> tuple[set[str], list[str] | None]:
    rows, lines = [], []  # the records, and the line each one ends on
    buffer = io.StringIO(text, newline="")
    reader = csv.reader(buffer, strict=True)
    try:
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error:  # a quoted cell left open: cut by a kill, if it is the last one
        if buffer.read():  # not at the end of the file: damaged in the middle
            raise _damaged(path, "csv", f"line {reader.line_num}") from None
    else:
        if rows and not text.endswith("\n"):  # the last record has no end: cut by a kill
            rows.pop()  # dropped, and its file predicted again
    if not rows:
        _rewrite_if(path, text, "")
        return set(), None
    header, records = rows[0], rows[1:]
    if "path" not in header:
        raise _damaged(path, "csv", "the header (line 1)")
    done, kept = set(), []
    for n, row in enumerate(records):
        if len(row) != len(header):
            if n == len(records) - 1:
                break  # cut by a kill
            raise _damaged(path, "csv", f"line {lines[n + 1]}")
        record = dict(zip(header, row, strict=True))
        if not record.get("error"):  # error records are retried
            done.add(_stored_path({k: unescape_cell(v) for k, v in record.items()}))
            kept.append(row)
    if not kept:  # no prediction kept: new columns may come
        _rewrite_if(path, text, "")
        return set(), None
    if escapes and ESCAPED not in header:  # escaped names will come: add the column
        header = [*header, ESCAPED]
        kept = [[*row, ""] for row in kept]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *kept])
    _rewrite_if(path, text, out.getvalue())
    return done, header


def _stored_path(record: dict[str, Any]) -> str:
    """Return the file name a record is about (``path``, unescaped if ``path_escaped``)."""
    escaped = record.get(ESCAPED)
    if isinstance(escaped, str):  # a CSV cell
        escaped = escaped.strip().lower() == "true"
    return unescape_path(record["path"]) if escaped else record["path"]


def _parse_json(line: str) -> dict[str, Any] | None:
    """Read a line as a record (with a ``path``); None if it is not a complete one."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    ok = isinstance(record, dict) and isinstance(record.get("path"), str)
    return record if ok else None


def _damaged(path: Path, fmt: str, where: str) -> CLIError:
    return CLIError(
        f"--resume: {where} of {str(path)!r} is not a complete {fmt} record; "
        "fix or remove it (nothing was changed)"
    )


def _rewrite_if(path: Path, old: str, new: str) -> None:
    if new != old:
        _rewrite(path, new)


def _rewrite(path: Path, text: str) -> None:
    atomic_write_text(path, text)
