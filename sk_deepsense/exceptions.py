"""Exceptions raised by sk_deepsense.

All of them derive from :class:`SkDeepsenseError`, so ``except SkDeepsenseError`` catches
everything the library raises on purpose, while each also derives from the built-in exception a
user would expect (``OSError`` for files that cannot be read, ``ValueError`` for bad values).
"""

from __future__ import annotations

import os

__all__ = ["AudioLoadError", "SkDeepsenseError"]


class SkDeepsenseError(Exception):
    """Base class of every exception raised on purpose by sk_deepsense."""


class AudioLoadError(SkDeepsenseError, OSError):
    """An audio file could not be read or decoded.

    The message always names the file and the reason, e.g.
    ``Cannot load audio file '/data/x.mp3': file does not exist``.

    Parameters
    ----------
    path : str or os.PathLike
        The file that failed.
    reason : str
        Why it failed, in words.

    Attributes
    ----------
    path : str
        The file that failed.
    reason : str
        Why it failed.
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"Cannot load audio file {self.path!r}: {reason}")

    def __reduce__(self):  # keep the exception picklable across joblib workers
        return (type(self), (self.path, self.reason))
