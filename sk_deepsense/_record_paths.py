"""File names in records written as valid UTF-8, losslessly (``predict``'s outputs).

A leaf module (standard library only): the command line writes and resumes records with
it, and :mod:`sk_deepsense.library` reads them back.
"""

from __future__ import annotations

import re

__all__ = ["ESCAPED", "escape_path", "unescape_path"]

#: The field (and CSV column) saying that ``path`` is written with backslash escapes.
ESCAPED = "path_escaped"

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})")


def escape_path(path: str) -> tuple[str, bool]:
    r"""Write a file name as valid UTF-8 text, losslessly.

    A name that is valid text is returned unchanged. A name holding bytes that are not
    UTF-8 (``os.listdir`` gives them as the lone surrogates U+DC80..U+DCFF) is written with
    backslash escapes: ``\xNN`` for such a byte, ``\uNNNN`` for any other lone surrogate,
    ``\\`` for a backslash; every other character is itself.

    Parameters
    ----------
    path : str
        The name, as Python holds it.

    Returns
    -------
    text : str
        Valid UTF-8 text.
    escaped : bool
        Whether ``text`` is escaped (then :func:`unescape_path` gives ``path`` back).

    Examples
    --------
    >>> import os
    >>> from sk_deepsense._record_paths import escape_path, unescape_path
    >>> name = os.fsdecode(b"music/bad\xff\xfe.wav")
    >>> escape_path(name)
    ('music/bad\\xff\\xfe.wav', True)
    >>> unescape_path(escape_path(name)[0]) == name, escape_path("caf\u00e9.mp3")
    (True, ('café.mp3', False))
    """
    if not _SURROGATE.search(path):
        return path, False

    def one(ch: str) -> str:
        code = ord(ch)
        if ch == "\\":
            return "\\\\"
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
            return f"\\x{code - 0xDC00:02x}"
        if 0xD800 <= code <= 0xDFFF:
            return f"\\u{code:04x}"
        return ch

    return "".join(one(ch) for ch in path), True


def unescape_path(text: str) -> str:
    """Return the name that :func:`escape_path` wrote as ``text`` (``escaped`` true)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code == "\\":
            return "\\"
        if code[0] == "x":
            return chr(0xDC00 + int(code[1:], 16))
        return chr(int(code[1:], 16))

    return _ESCAPE.sub(one, text)
