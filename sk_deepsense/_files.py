"""Files written whole or not at all: a temporary file beside the target, then a rename.

A leaf module (standard library only), for every file the library writes for a user
(records rewritten by ``--resume``, maps, playlists, saved models): a kill mid-write leaves
the old file, never half of one, and the file keeps its permissions, or gets those of any
new file of the user (``mkstemp`` alone would make it private).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_text"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Give a temporary name beside ``path``; on success rename it to ``path``.

    Parameters
    ----------
    path : path
        The file to (re)place; its folder must exist.

    Yields
    ------
    str
        The temporary file's name (empty; with the old file's permissions, or a new
        file's): write it.

    Examples
    --------
    >>> import os, tempfile
    >>> from sk_deepsense._files import atomic_path
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(target).read()
    'done'
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, _mode_for(path))
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """Return the old file's permissions, or a new file's (``0o666`` less the umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)  # read the umask (it cannot be read without setting it)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(
    path: str | os.PathLike, text: str, *, errors: str = "strict", newline: str | None = ""
) -> None:
    """Write ``text`` to ``path`` in UTF-8, atomically (see :func:`atomic_path`).

    Parameters
    ----------
    path : path
        The file to (re)place.
    text : str
        Its content.
    errors : str, default="strict"
        The encoding's error handler (``"surrogateescape"`` writes a non-UTF-8 file name
        held as lone surrogates as its original bytes).
    newline : str or None, default=""
        As for :func:`open`: ``""`` writes ``text`` as it is.
    """
    with (
        atomic_path(path) as tmp,
        open(tmp, "w", encoding="utf-8", errors=errors, newline=newline) as f,
    ):
        f.write(text)
