"""CSV cells that a spreadsheet cannot run: formula-looking text is escaped, reversibly.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return, which some strip first) as a formula, so a file named ``=HYPERLINK(...).mp3``
or a class named ``-1+1`` would run when a CSV the library wrote is opened (OWASP "CSV
injection"). Such text is written with a single quote in front, which spreadsheets show as
text. Text that already starts with a quote gets one more, so that :func:`unescape_cell`
gives back exactly what was written, whatever it was. Numbers are never escaped (``-0.25``
stays a number).

Importing this module is cheap (the standard library only): the command line uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["escape_cell", "escape_row", "unescape_cell"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP), and the quote
#: that escapes them (escaped too, so that escaping can be undone).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def escape_cell(value: Any) -> Any:
    """Return ``value`` as a CSV cell that no spreadsheet reads as a formula.

    Parameters
    ----------
    value : object
        A cell. Text starting with one of ``= + - @``, a tab, a carriage return or a single
        quote gets a single quote in front; ``True``/``False`` become ``"true"``/``"false"``;
        anything else (numbers, None) is returned unchanged.

    Returns
    -------
    cell : object
        What to give :mod:`csv`.

    Examples
    --------
    >>> from sk_deepsense._csv_cells import escape_cell, unescape_cell
    >>> escape_cell("=1+1"), escape_cell("-x.mp3"), escape_cell(-0.25), escape_cell("a.mp3")
    ("'=1+1", "'-x.mp3", -0.25, 'a.mp3')
    >>> unescape_cell(escape_cell("'quoted.mp3"))
    "'quoted.mp3"
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """Undo :func:`escape_cell` on a cell read back from a CSV (as text)."""
    return text[1:] if text.startswith("'") else text


def escape_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Escape every cell of a ``csv.DictWriter`` row (see :func:`escape_cell`)."""
    return {k: escape_cell(v) for k, v in row.items()}
