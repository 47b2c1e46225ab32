"""Exceptions raised by sk_deepsense.

All of them derive from :class:`SkDeepsenseError`, so ``except SkDeepsenseError`` catches
every error the library raises on purpose, while each also derives from the built-in exception
a user would expect, as librosa's ``ParameterError`` does: ``except ValueError`` keeps working.

- :class:`ParameterError` (``ValueError``): a value the library cannot use;
- :class:`ParameterTypeError` (``TypeError``): an argument of the wrong type;
- :class:`MissingFileError` (``FileNotFoundError``): a file or folder that is not there;
- :class:`OutputExistsError` (``FileExistsError``): an output that would replace a file;
- :class:`NotAFolderError` (``NotADirectoryError``), :class:`IsAFolderError`
  (``IsADirectoryError``): a path of the wrong kind;
- :class:`StateError` (``RuntimeError``): a call that the object's state forbids;
- :class:`MissingDependencyError` (``ImportError``): an optional extra not installed;
- :class:`AudioLoadError`, :class:`AudioLoadErrors` (``OSError``): audio that cannot be read;
- :class:`ModelFileError`, :class:`RecordsFileError` (``ValueError``): a refused model file
  or file of prediction records;
- :class:`NotStreamableError` (``ValueError``): a model that cannot run chunk by chunk.

Two kinds of error come from scikit-learn, not from here, and keep scikit-learn's types so
that its tools recognise them: a hyperparameter outside its constraints
(``sklearn.utils._param_validation.InvalidParameterError``, raised when ``fit`` validates the
parameters) and an estimator used before ``fit`` (``sklearn.exceptions.NotFittedError``).
Programming errors (``NotImplementedError`` of an abstract method, ``AttributeError`` of a
missing attribute) are not errors raised on purpose. ``tests/test_exceptions.py`` reads every
``raise`` of the package and fails on a built-in exception raised directly.
"""

from __future__ import annotations

import os

__all__ = [
    "AudioLoadError",
    "AudioLoadErrors",
    "IsAFolderError",
    "MissingDependencyError",
    "MissingFileError",
    "ModelFileError",
    "NotAFolderError",
    "NotStreamableError",
    "OutputExistsError",
    "ParameterError",
    "ParameterTypeError",
    "RecordsFileError",
    "SkDeepsenseError",
    "StateError",
]


class SkDeepsenseError(Exception):
    """Base class of every exception raised on purpose by sk_deepsense."""


class ParameterError(SkDeepsenseError, ValueError):
    """A value given to the library cannot be used.

    An argument or a hyperparameter out of its range or inconsistent with another, or input
    data of the wrong shape or content (a label not among the classes, a waveform that is
    not finite, ...). The message names the value and what would be accepted. A
    ``ValueError``, so ``except ValueError`` and scikit-learn's own checks keep working.

    Examples
    --------
    >>> from sk_deepsense.exceptions import ParameterError
    >>> issubclass(ParameterError, ValueError)
    True
    """


class ParameterTypeError(SkDeepsenseError, TypeError):
    """An argument of a type the library cannot use (a ``TypeError``).

    Examples
    --------
    >>> from sk_deepsense.exceptions import ParameterTypeError
    >>> issubclass(ParameterTypeError, TypeError)
    True
    """


class MissingFileError(SkDeepsenseError, FileNotFoundError):
    """A file or folder the call needs does not exist (a ``FileNotFoundError``).

    Audio files that cannot be read raise :class:`AudioLoadError` instead, which
    ``on_error`` can turn into error records.
    """


class OutputExistsError(SkDeepsenseError, FileExistsError):
    """Writing would replace a file the user has (a ``FileExistsError``).

    Nothing is overwritten without asking: the message says how to ask (``overwrite=True``
    or ``--overwrite``), or why even that is refused (e.g. an output that is the input).
    """


class NotAFolderError(SkDeepsenseError, NotADirectoryError):
    """A path that must be a folder is something else (a ``NotADirectoryError``)."""


class IsAFolderError(SkDeepsenseError, IsADirectoryError):
    """A path that must be a file is a folder (an ``IsADirectoryError``)."""


class StateError(SkDeepsenseError, RuntimeError):
    """A call that the object's current state does not allow (a ``RuntimeError``).

    For example, feeding a stream that was flushed: ``reset()`` starts a new one.
    """


class MissingDependencyError(SkDeepsenseError, ImportError):
    """An optional dependency is not installed (an ``ImportError``).

    The message names the extra that installs it, e.g. ``pip install "sk_deepsense[map]"``.
    """


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
