"""Exceptions raised by sk_deepsense.

All of them derive from :class:`SkDeepsenseError`, so ``except SkDeepsenseError`` catches
everything the library raises on purpose, while each also derives from the built-in exception a
user would expect (``OSError`` for files that cannot be read, ``ValueError`` for bad values).
"""

from __future__ import annotations

import os

__all__ = [
    "AudioLoadError",
    "AudioLoadErrors",
    "ModelFileError",
    "NotStreamableError",
    "RecordsFileError",
    "SkDeepsenseError",
]


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
    what : str, default="load audio file"
        What could not be done, for the message: e.g. ``"extract the features of"`` when
        the file decoded but a feature step failed on it.

    Attributes
    ----------
    path : str
        The file that failed.
    reason : str
        Why it failed.
    """

    def __init__(self, path: str | os.PathLike, reason: str, what: str = "load audio file") -> None:
        self.path = os.fspath(path)
        self.reason = reason
        self.what = what
        super().__init__(f"Cannot {what} {self.path!r}: {reason}")

    def __reduce__(self):  # keep the exception picklable across joblib workers
        return (type(self), (self.path, self.reason, self.what))


class AudioLoadErrors(SkDeepsenseError, OSError):
    """Several audio files could not be read (``MFCCTransformer(on_error="raise_all")``).

    Raised once, after every file was tried, so that a large corpus reports all its broken
    files in one go instead of stopping at the first. Nothing is returned, so features and
    labels can never be misaligned: remove the listed samples (``failed_indices``) from both
    and run again (with a feature cache, the good files are not decoded twice).

    Parameters
    ----------
    failures : list of (int, AudioLoadError)
        Position in ``X`` and error of each failing item, in order.
    n_items : int
        How many items were processed.

    Attributes
    ----------
    failures : list of (int, AudioLoadError)
        As given.
    failed_indices : list of int
        Positions of the failing items in ``X``.
    paths : list of str
        The failing files.

    Examples
    --------
    >>> from sk_deepsense import AudioLoadError, AudioLoadErrors
    >>> err = AudioLoadErrors([(2, AudioLoadError("b.mp3", "file does not exist"))], 5)
    >>> print(err)
    1 of 5 audio files could not be read:
      [2] 'b.mp3': file does not exist
    >>> err.failed_indices
    [2]
    """

    max_listed = 20  # lines of the message; every failure stays in ``failures``

    def __init__(self, failures: list[tuple[int, AudioLoadError]], n_items: int) -> None:
        self.failures = list(failures)
        self.n_items = int(n_items)
        self.failed_indices = [i for i, _ in self.failures]
        self.paths = [e.path for _, e in self.failures]
        lines = [f"  [{i}] {e.path!r}: {e.reason}" for i, e in self.failures[: self.max_listed]]
        if len(self.failures) > self.max_listed:
            lines.append(f"  ... and {len(self.failures) - self.max_listed} more (see .failures)")
        super().__init__(
            f"{len(self.failures)} of {self.n_items} audio files could not be read:\n"
            + "\n".join(lines)
        )

    def __reduce__(self):
        return (type(self), (self.failures, self.n_items))


class NotStreamableError(SkDeepsenseError, ValueError):
    """A model cannot be run chunk by chunk with outputs equal to its offline ones.

    Raised by :class:`~sk_deepsense.EmotionStream` (and ``sk-deepsense listen``) for models
    whose per-frame output at time t depends on audio after t or on the whole clip: a
    non-causal network (``architecture="conv1d"`` or ``"conv2d"``), MFCC deltas (a centred
    window), a relative dB floor (``top_db`` not ``None``: it depends on the loudest value
    of the whole clip), features other than MFCC or log-mel, or a pipeline that is not a
    feature transformer followed by a network. The message names what, why and the fix
    (e.g. train with ``top_db=None``).

    Examples
    --------
    >>> from sk_deepsense.exceptions import NotStreamableError
    >>> issubclass(NotStreamableError, ValueError)
    True
    """


class ModelFileError(SkDeepsenseError, ValueError):
    """A model file is not a valid ``.skds`` file: it was refused, and nothing in it ran.

    Raised by :func:`~sk_deepsense.load_model` for every way a file can be wrong: not a zip
    archive, a member missing, duplicated, too large or compressed too well, invalid JSON,
    an unknown class or parameter, network dimensions that the weights do not hold,
    non-finite weights, a feature scale that is not positive, a fitted attribute of a dtype
    it could not have been saved with or of a shape that disagrees with the others, other
    musicnn weights than those shipped, ... The message names the file and the reason.
    A ``ValueError``, as before this class existed.

    Parameters
    ----------
    path : str or os.PathLike
        The file refused.
    reason : str
        Why, in words.

    Attributes
    ----------
    path : str
        The file refused.
    reason : str
        Why it was refused.

    Examples
    --------
    >>> from sk_deepsense import ModelFileError
    >>> err = ModelFileError("evil.skds", "not a zip archive.")
    >>> print(err)
    evil.skds is not a valid sk_deepsense model file: not a zip archive.
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path} is not a valid sk_deepsense model file: {reason}")

    def __reduce__(self):  # keep the exception picklable across joblib workers
        return (type(self), (self.path, self.reason))


class RecordsFileError(SkDeepsenseError, ValueError):
    """A file of prediction records cannot be read: it was refused as a whole.

    Raised by :func:`sk_deepsense.library.read_records` (and so by ``sk-deepsense map`` and
    ``playlist``) for a line that is not a record, records of a classifier and of a
    regressor mixed in one file, a value that is not a finite number, or a file without a
    single readable record. The message names the file, the line and the reason.

    Parameters
    ----------
    path : str or os.PathLike
        The file refused.
    reason : str
        Why, in words (with the line number where there is one).

    Attributes
    ----------
    path : str
        The file refused.
    reason : str
        Why it was refused.

    Examples
    --------
    >>> from sk_deepsense.exceptions import RecordsFileError
    >>> print(RecordsFileError("music.jsonl", "line 3 is not JSON"))
    Cannot read prediction records from 'music.jsonl': line 3 is not JSON
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"Cannot read prediction records from {self.path!r}: {reason}")

    def __reduce__(self):  # keep the exception picklable across joblib workers
        return (type(self), (self.path, self.reason))
