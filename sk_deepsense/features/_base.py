"""The machinery shared by the audio feature transformers: decode, cache, parallelize, pad.

:class:`BaseAudioTransformer` turns audio files or waveforms into NaN-padded sequences of
per-frame features. A subclass names its kind of feature (``_kind``), its own parameters
(``_extra_params``) and the function that turns one mono waveform into a
``(n_frames, n_coefficients)`` array (``_sequence``); decoding, resampling, cropping, the
disk cache, threads, error collection and padding live here, once.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from numbers import Integral, Real
from typing import Any, ClassVar, cast

import joblib
import librosa
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_array, check_memory
from threadpoolctl import threadpool_limits

from ..exceptions import AudioLoadError, AudioLoadErrors, ParameterError
from ._audio_io import load_audio
from ._named import FeatureSequences
from ._padding import pad_sequences
from ._progress import progress_bar

__all__ = ["BaseAudioTransformer"]

#: Docstring fragment of the parameters every audio transformer shares, in order.
COMMON_PARAMETERS_DOC = """
    duration : float or None, default=30.0
        Seconds of audio used per clip, starting at ``offset``. Longer clips are cropped (and
        only that span of the file is decoded); every output has
        ``1 + round(duration * sr) // hop_length`` frames, the frames past the end of a shorter
        clip being NaN padding. ``None`` uses whole clips and pads to the longest in ``X``.
    offset : float, default=0.0
        Seconds skipped at the start of each clip.
    n_jobs : int or None, default=None
        Files processed in parallel (threads; decoding, FFTs and resampling release the GIL).
        ``None`` means 1, ``-1`` all cores, ``-2`` all but one; 0 is an error. Never more
        threads than files, nor than 4 per CPU core (``MAX_THREADS_PER_CPU``). Inside
        ``joblib.parallel_backend("dask")`` the files are processed by the workers of the
        Dask cluster instead, with the same results (see :doc:`/distributed`).
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Cache of per-file features (a leading ``~`` in a path means the home folder).
        Entries are keyed by the file's absolute path, size and modification time, the kind
        of feature, every feature parameter *and* the versions of sk_deepsense, librosa and
        numpy, so a changed file, setting or library never returns stale features, and a
        grid search over the model decodes each file once. Waveforms given directly are not
        cached.
    on_error : {"raise", "raise_all"}, default="raise"
        What a file that cannot be read does. ``"raise"``: ``transform`` stops at the first
        one with an :class:`~sk_deepsense.exceptions.AudioLoadError`. ``"raise_all"``: every
        file is tried first, then one :class:`~sk_deepsense.exceptions.AudioLoadErrors`
        lists all the failures (with their positions in ``failed_indices``), for large
        corpora with a few broken downloads. Either way nothing is returned for a corpus
        with a broken file: no sample is dropped or zero-filled behind your back, so ``X``
        and ``y`` stay aligned.
    verbose : int, default=0
        If > 0, ``transform`` shows a progress bar over the clips (tqdm, on standard error).
"""

#: Docstring fragment of the input and output contract, for the Notes sections.
CONTRACT_DOC = """
    **Output and padding.** ``transform`` returns a float32 array
    ``(n_samples, n_frames, n_coefficients)`` whose rows are time frames. A clip shorter than
    the others is padded at the end with frames that are entirely NaN; the estimators of this
    package read the real lengths from that padding and mask it, so padding never changes a
    prediction. Use :func:`~sk_deepsense.sequence_lengths` to get the lengths yourself.

    **Input.** ``X`` is a list, tuple, 1-D array or pandas Series whose items are file paths
    (``str`` or ``os.PathLike``) or 1-D waveforms sampled at ``sr``; a 2-D numeric array is
    read as one waveform per row. Files are decoded with soundfile (wav, flac, ogg, mp3, ...),
    falling back to audioread; multichannel audio is averaged to mono and resampled with soxr.
    A file that cannot be read raises :class:`~sk_deepsense.exceptions.AudioLoadError` naming
    the file; nothing is silently dropped or zero-filled.

    **Names and length.** :meth:`get_feature_names_out` names the coefficients (the last
    axis), so names flow through ``Pipeline.get_feature_names_out``; under
    ``set_output(transform="pandas")`` the output is a
    :class:`~sk_deepsense.features.FeatureSequences` carrying them (no DataFrame is 3-D).
    :meth:`expected_n_frames` gives the number of frames that ``duration`` implies.
"""


# (ignored for mypy: scikit-learn is untyped, so mypy does not see its __init_subclass__)
class BaseAudioTransformer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):  # type: ignore[call-arg]
    """Base class of the audio feature transformers.

    :class:`~sk_deepsense.MFCCTransformer` and :class:`~sk_deepsense.LogMelTransformer` share
    it. Stateless (``fit`` learns nothing). Subclasses set ``_kind`` (a name that is part of the
    cache key), ``_sequence`` (a module-level function of one mono waveform and the feature
    parameters, returning ``(n_frames, n_coefficients)``), their own parameter constraints,
    ``_extra_params`` (their parameters as plain Python values) and ``_coefficient_names``
    (the names of the output's last axis). Do not use directly.

    ``transform`` is three parts, each usable alone: :meth:`iter_transform` extracts the
    clips (validation, the cache, the threads; the progress bar around them) and yields each
    clip's sequence as it is ready, in the order of ``X``; :meth:`stack` raises the failures
    collected by ``on_error="raise_all"``, pads the sequences and gives the output type.
    ``transform(X)`` is ``stack(iter_transform(X))``.

    Their output is 3-D, which no DataFrame holds, so they are excluded from scikit-learn's
    automatic output wrapping (``auto_wrap_output_keys=None``); their own :meth:`set_output`
    accepts ``"pandas"`` and ``"polars"`` (so that ``Pipeline.set_output`` reaches the steps
    after them) and then returns a :class:`~sk_deepsense.features.FeatureSequences`: the same
    array, carrying the names of its coefficients to the next step.
    """

    _kind: ClassVar[str]
    _sequence: ClassVar[Callable[..., np.ndarray]]

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 1, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "duration": [Interval(Real, 0, None, closed="neither"), None],
        "offset": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
        "memory": [str, os.PathLike, joblib.Memory, None],
        "on_error": [StrOptions({"raise", "raise_all"})],
        "verbose": ["verbose"],
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # every subclass stays out of sklearn's DataFrame wrapping: 3-D output (see set_output)
        super().__init_subclass__(**{**kwargs, "auto_wrap_output_keys": None})

    def expected_n_frames(self) -> int | None:
        """Frames per output sequence implied by the parameters.

        A function of ``duration``, ``sr`` and ``hop_length`` only (no ``fit`` needed), hence a
        method and no trailing underscore: it is not learned from data.

        Returns
        -------
        n_frames : int or None
            ``1 + round(duration * sr) // hop_length``; ``None`` when ``duration`` is
            ``None`` (the output is then as long as the longest clip of each ``transform``).

        Examples
        --------
        >>> from sk_deepsense.features import MFCCTransformer
        >>> MFCCTransformer(duration=1.0).expected_n_frames()  # 22050 Hz, 512-sample hop
        44
        """
        if self.duration is None:
            return None
        return 1 + int(round(self.duration * self.sr)) // self.hop_length

    @property
    def frame_rate(self) -> float:
        """Frames per second of the output: ``sr / hop_length``.

        Frame ``t`` is centred on ``offset + t / frame_rate`` seconds of the file. The
        dynamic estimators take it as their ``frame_rate`` to align target series with the
        frames (:mod:`sk_deepsense.dynamic`).

        Examples
        --------
        >>> from sk_deepsense.features import MFCCTransformer
        >>> round(MFCCTransformer().frame_rate, 2)  # 22050 Hz, 512-sample hop
        43.07
        """
        return float(self.sr) / float(self.hop_length)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the coefficients: the last axis of the output sequences.

        Parameters
        ----------
        input_features : None
            Ignored: the input columns are audio samples, which name no output. Accepted so
            that :meth:`sklearn.pipeline.Pipeline.get_feature_names_out` can call it.

        Returns
        -------
        feature_names_out : ndarray of str objects [shape=(n_coefficients,)]
            One name per coefficient, in output order (e.g. ``mfcc0 .. mfcc19``).
        """
        return np.asarray(self._coefficient_names(), dtype=object)

    def set_output(self, *, transform: str | None = None) -> BaseAudioTransformer:
        """Choose the output container of ``transform`` and ``fit_transform``.

        The output is 3-D and no DataFrame holds 3-D data, so ``"pandas"`` and ``"polars"``
        give a :class:`~sk_deepsense.features.FeatureSequences`: the same NaN-padded array,
        carrying the coefficient names (:meth:`get_feature_names_out`) to the next step. A
        :class:`~sk_deepsense.SequenceStatistics` after it then outputs a DataFrame with
        columns such as ``mfcc3_mean``. Rejecting ``"pandas"`` instead would make
        ``Pipeline.set_output(transform="pandas")`` fail for every pipeline that starts from
        audio.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            ``"default"``: a plain ndarray; ``"pandas"``/``"polars"``: a
            :class:`~sk_deepsense.features.FeatureSequences`; ``None``: unchanged.

        Returns
        -------
        self : object
            The transformer.
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas", "polars"):
            raise ParameterError(
                f"transform must be 'default', 'pandas', 'polars' or None, got {transform!r}."
            )
        self._sklearn_output_config = {**getattr(self, "_sklearn_output_config", {})}
        self._sklearn_output_config["transform"] = transform
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> BaseAudioTransformer:
        """Validate ``X``; nothing is learned.

        Parameters
        ----------
        X : list, tuple, 1-D array or pandas Series of paths or waveforms, or 2-D array
            Audio clips (see the class Notes).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer.
        """
        _check_items(X)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Extract the feature sequence of every clip.

        The same as ``self.stack(self.iter_transform(X))``: :meth:`iter_transform` extracts
        the clips (cache, threads, progress bar), :meth:`stack` pads them into one array.

        Parameters
        ----------
        X : list, tuple, 1-D array or pandas Series of paths or waveforms, or 2-D array
            Audio clips (see the class Notes).

        Returns
        -------
        X_features : np.ndarray [shape=(n_samples, n_frames, n_coefficients), dtype=float32]
            Feature sequences; frames past the end of a clip are NaN.

        Raises
        ------
        AudioLoadError
            If a file cannot be read, or its audio holds samples so large that its features
            are not finite (e.g. 1e30 in a float wav); the message names the file.
        AudioLoadErrors
            With ``on_error="raise_all"``, if any file cannot be read: all of them, listed.
        ValueError
            If ``X`` is empty, of an unsupported type, a waveform contains NaN or infinity
            (or gives non-finite features), or ``n_jobs`` is 0.
        """
        return self.stack(self.iter_transform(X))

    def iter_transform(self, X: Any) -> Iterator[np.ndarray | AudioLoadError]:
        """Yield the feature sequence of each clip as soon as it is extracted, in order.

        The clips are extracted as :meth:`transform` does (same cache, same ``n_jobs``
        threads, same progress bar with ``verbose``), but each result is handed over as it
        is ready instead of all at the end: to follow a long extraction, or to write each
        clip's features away without holding them all. :meth:`stack` turns the results
        into ``transform``'s output.

        The order is that of ``X``: the result of clip ``i`` comes once it and every clip
        before it are extracted (the threads work ahead on the next clips meanwhile), so
        the results are the same whatever ``n_jobs``; use ``enumerate`` for the positions.
        With ``on_error="raise"`` and several threads, the first failure to *happen* stops
        the iteration, possibly before the results of clips ahead of it in ``X``.

        ``X`` and the parameters are checked when this method is called; the clips are
        extracted while the iterator is consumed. BLAS is limited to one thread until the
        iterator is exhausted or closed (see ``n_jobs``).

        Parameters
        ----------
        X : list, tuple, 1-D array or pandas Series of paths or waveforms, or 2-D array
            Audio clips (see the class Notes).

        Yields
        ------
        sequence : np.ndarray or AudioLoadError
            The features of one clip, ``(n_frames_i, n_coefficients)`` float32, unpadded
            (its own number of frames). With
            ``on_error="raise_all"``, a file that cannot be read yields its
            :class:`~sk_deepsense.exceptions.AudioLoadError` instead (:meth:`stack` raises
            them all together); with ``on_error="raise"`` the iterator raises it.

        Raises
        ------
        AudioLoadError
            With ``on_error="raise"``, while iterating, for a file that cannot be read.
        ValueError
            At the call, if ``X`` is empty or of an unsupported type, a waveform contains
            NaN or infinity, or ``n_jobs`` is 0; while iterating, if a waveform gives
            non-finite features.

        See Also
        --------
        stack : Pad the results into one array, as ``transform`` returns.

        Examples
        --------
        >>> import numpy as np
        >>> from sk_deepsense.features import MFCCTransformer
        >>> mfcc = MFCCTransformer(duration=1.0)
        >>> clips = [np.zeros(22050, dtype=np.float32), np.zeros(11025, dtype=np.float32)]
        >>> [seq.shape for seq in mfcc.iter_transform(clips)]
        [(44, 20), (22, 20)]
        >>> mfcc.stack(mfcc.iter_transform(clips)).shape
        (2, 44, 20)
        """
        self._validate_params()
        items = _check_items(X)
        extract = self._clip_extractor()
        n_threads = extraction_threads(self.n_jobs, len(items))
        results = _extract_clips(extract, items, n_threads)
        if self.verbose:
            results = _with_progress_bar(results, len(items), self._kind)
        return results

    def stack(self, results: Iterable[np.ndarray | AudioLoadError]) -> np.ndarray:
        """Pad the sequences that :meth:`iter_transform` yields into ``transform``'s output.

        Parameters
        ----------
        results : iterable of np.ndarray or AudioLoadError
            One ``(n_frames_i, n_coefficients)`` sequence per clip, in order, as
            :meth:`iter_transform` yields them.

        Returns
        -------
        X_features : np.ndarray [shape=(n_samples, n_frames, n_coefficients), dtype=float32]
            The sequences, NaN-padded to ``expected_n_frames()`` frames (to the longest
            when ``duration`` is ``None``); a
            :class:`~sk_deepsense.features.FeatureSequences` under
            ``set_output(transform="pandas")``.

        Raises
        ------
        AudioLoadErrors
            If any item is an :class:`~sk_deepsense.exceptions.AudioLoadError`: all of
            them, with their positions.
        """
        sequences = list(results)
        failures = [(i, s) for i, s in enumerate(sequences) if isinstance(s, AudioLoadError)]
        if failures:
            raise AudioLoadErrors(failures, len(sequences))
        X = pad_sequences(cast(list[np.ndarray], sequences), n_frames=self.expected_n_frames())
        if _get_output_config("transform", self)["dense"] != "default":
            return FeatureSequences(X, self.get_feature_names_out())
        return X

    def _clip_extractor(self) -> Callable[[Any], np.ndarray | AudioLoadError]:
        """Return the function that extracts one clip: through the cache, errors per ``on_error``.

        It is called in the extraction threads (or on Dask workers: it travels with the
        tasks, and refers to ``_sequence`` by reference, so a fresh process imports the
        module that defines it).
        """
        params = self._feature_params()
        memory = self.memory
        if isinstance(memory, (str, os.PathLike)):  # "~/.cache/mfcc" means the home folder
            memory = os.path.expanduser(os.fspath(memory))
        memory = check_memory(memory)
        file_features = None
        if memory.location is not None:  # `sequence` is named by params["kind"] in the key
            file_features = memory.cache(_file_features, ignore=["sequence"])
        sequence = type(self)._sequence

        def features(item: Any) -> np.ndarray:
            if isinstance(item, np.ndarray):
                return _waveform_features(item, sequence, **params)
            path = os.path.abspath(os.fspath(item))
            if file_features is None:
                return _path_features(path, sequence, **params)
            try:
                st = os.stat(path)
                stamp = (st.st_size, st.st_mtime_ns)
            except OSError:  # missing: let the uncached path raise its clear error
                return _path_features(path, sequence, **params)
            return file_features(path, stamp, params, _code_versions(), sequence)

        if self.on_error != "raise_all":
            return features

        def collected(item: Any) -> np.ndarray | AudioLoadError:
            try:
                return features(item)
            except AudioLoadError as exc:
                return exc

        return collected

    def _extra_params(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """Return the subclass's own feature parameters, as plain Python values."""
        raise NotImplementedError

    def _coefficient_names(self) -> list[str]:  # pragma: no cover - abstract
        """Return the name of each output coefficient, in order."""
        raise NotImplementedError

    def _feature_params(self) -> dict[str, Any]:
        """Everything that determines the features of a file: the cache key's parameters."""
        return {
            "kind": self._kind,
            "sr": int(self.sr),
            "n_fft": int(self.n_fft),
            "hop_length": int(self.hop_length),
            "duration": None if self.duration is None else float(self.duration),
            "offset": float(self.offset),
            **self._extra_params(),
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _check_items(X: Any) -> list:
    """Return ``X`` as a list of paths (str / PathLike) and finite 1-D float waveforms."""
    if isinstance(X, (str, os.PathLike)):
        raise ParameterError(
            "X must be a collection of audio paths or waveforms, got a single path "
            f"{os.fspath(X)!r}; wrap it in a list."
        )
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:  # DataFrame
        # one column of paths, or numeric columns holding one waveform per row
        paths = X.shape[1] == 1 and X.iloc[:, 0].dtype.kind not in "biufc"
        X = X.iloc[:, 0] if paths else X.to_numpy()
    if isinstance(X, (list, tuple)) or hasattr(X, "iloc"):
        items = list(X)
    elif isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype.kind in "OUS":
        items = list(X)  # paths, or waveforms of different lengths
    else:
        # Anything array-like (ndarray, sparse, objects with __array__): a 2-D numeric array
        # of waveforms, one per row. check_array gives scikit-learn's standard messages.
        if not sp.issparse(X) and np.asarray(X).ndim == 1:
            if np.asarray(X).size == 0:
                raise ParameterError(
                    "Found array with 0 sample(s) (shape=(0,)): X holds no audio clip."
                )
            raise ParameterError(
                "Expected a list of audio paths or waveforms or a 2-D array of waveforms, "
                "got a 1-D numeric array. Reshape your data: a single waveform goes in a "
                "list, [y]."
            )
        items = list(check_array(X, dtype=[np.float64, np.float32], input_name="X"))
    if len(items) == 0:
        raise ParameterError("Found array with 0 sample(s) (shape=(0,)): X holds no audio clip.")
    out: list[str | os.PathLike | np.ndarray] = []
    for i, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            out.append(item)
            continue
        arr = np.asarray(item)
        if arr.dtype.kind not in "biuf" or arr.ndim != 1:
            raise ParameterError(
                f"Item {i} of X is neither an audio path nor a 1-D real waveform "
                f"(got {type(item).__name__} with dtype={arr.dtype}, ndim={arr.ndim})."
            )
        if arr.size == 0:
            raise ParameterError(
                f"Found array with 0 feature(s) (shape=({len(items)}, 0)) while a minimum of "
                f"1 is required: waveform {i} of X has no samples."
            )
        if not np.isfinite(arr).all():
            raise ParameterError(f"Input X contains NaN or infinity in waveform {i}.")
        out.append(arr)
    return out


def _extract_clips(
    extract: Callable[[Any], Any], items: list, n_threads: int
) -> Iterator[np.ndarray | AudioLoadError]:
    """Yield ``extract(item)`` for each item, in order, with ``n_threads`` threads.

    BLAS runs single-threaded whatever ``n_threads`` is: with several extraction threads
    each running its own BLAS product, BLAS threads would fight over the cores (measured: no
    gain from n_jobs=2 without this), and one BLAS setting for every n_jobs keeps the
    features bit-identical across n_jobs (summation order depends on BLAS threads). Inside
    ``joblib.parallel_backend("dask")`` the items go to the cluster's workers instead (an
    explicit backend overrides ``prefer="threads"``). This limit does not reach them, and
    OpenBLAS (0.3.31, numpy's wheels) ignores a limit set from a thread other than the main
    one, where Dask tasks run: the workers' environment must give one BLAS thread, as dask's
    nanny does by default (docs/distributed.rst).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        if n_threads == 1 or len(items) == 1:
            for item in items:
                yield extract(item)
        else:
            yield from joblib.Parallel(n_jobs=n_threads, prefer="threads", return_as="generator")(
                joblib.delayed(extract)(item) for item in items
            )


def _with_progress_bar(results: Iterable[Any], total: int, desc: str) -> Iterator[Any]:
    """Yield ``results``, a progress bar over them on standard error (closed at the end)."""
    bar = progress_bar(total=total, desc=desc, unit="clip", leave=False)
    try:
        for result in results:
            bar.update(1)
            yield result
    finally:
        bar.close()


def _path_features(path: str, sequence: Callable[..., np.ndarray], **params: Any) -> np.ndarray:
    y = load_audio(path, sr=params["sr"], offset=params["offset"], duration=params["duration"])
    try:
        return _finite_sequence(y, sequence, params)
    except _UnusableClip as exc:  # a file: one AudioLoadError, collected by raise_all
        raise AudioLoadError(path, str(exc)) from None


@functools.cache
def _code_versions() -> tuple[str, ...]:
    """Versions of the code that computes features: a new release invalidates the cache."""
    from .._version import __version__

    return (__version__, librosa.__version__, np.__version__)  # type: ignore[attr-defined]


def _file_features(
    path: str, stamp: tuple, params: dict, versions: tuple, sequence: Callable[..., np.ndarray]
) -> np.ndarray:
    """Compute one file's features with ``sequence``.

    ``stamp`` (size, mtime) and ``versions`` are unused here: they are part of the cache key,
    so a changed file or an upgraded library is never answered from a stale entry.
    ``sequence`` is left out of the key: ``params["kind"]`` names it.
    """
    return _path_features(path, sequence, **params)


def _waveform_features(
    y: np.ndarray, sequence: Callable[..., np.ndarray], **params: Any
) -> np.ndarray:
    sr = params["sr"]
    start = int(round(params["offset"] * sr))
    stop = None if params["duration"] is None else start + int(round(params["duration"] * sr))
    y = np.asarray(y[start:stop], dtype=np.float32)
    if y.size == 0:
        raise ParameterError(f"A waveform has no samples after offset={params['offset']} s.")
    try:
        return _finite_sequence(y, sequence, params)
    except _UnusableClip as exc:
        error = ParameterError(f"A waveform of X cannot be used: {exc}.")
        error.reason = str(exc)  # type: ignore[attr-defined]  # for a caller naming the clip
        raise error from None


class _UnusableClip(ParameterError):
    """A clip whose features cannot be computed (its own fault); the caller names the clip.

    Raised by a transformer's ``_sequence`` (e.g. a clip shorter than musicnn's 3-s patch):
    a file becomes an :class:`~sk_deepsense.exceptions.AudioLoadError` naming it, which
    ``on_error="raise_all"`` collects and a library run records, instead of an error that
    stops everything.
    """


class _NonFiniteFeatures(_UnusableClip):
    """A clip whose features are not finite; the caller names the clip."""


#: Why a clip with non-finite features is refused (1e30 in a float wav is finite audio,
#: but its power spectrum overflows float32, and every feature becomes NaN).
NON_FINITE_REASON = "audio holds non-finite or huge samples (its features are not finite)"


def _finite_sequence(
    y: np.ndarray, sequence: Callable[..., np.ndarray], params: dict[str, Any]
) -> np.ndarray:
    """``sequence(y, **params)``, refused with :class:`_NonFiniteFeatures` unless finite.

    A clip whose spectrum overflows float32 would give NaN features, which a network reads
    as padding ("no real frame"), stopping a whole run on one file: it is refused here, per
    clip, where the caller can name it. Overflow warnings of such a clip are silenced (the
    error says it), and an error its non-finite spectrum raises inside librosa (e.g. the
    tempo of :class:`~sk_deepsense.features.DescriptorTransformer`) is the same refusal.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            out = sequence(y, **params)
        except (ValueError, librosa.ParameterError):
            if _spectrum_overflows(y, params["n_fft"]):
                raise _NonFiniteFeatures(NON_FINITE_REASON) from None
            raise
    if not np.isfinite(out).all():
        raise _NonFiniteFeatures(NON_FINITE_REASON)
    return out


def _spectrum_overflows(y: np.ndarray, n_fft: int) -> bool:
    """Whether a frame's power could pass float32's largest value (|X|^2 <= (n_fft max|y|)^2)."""
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    return not np.isfinite(peak) or peak * n_fft >= np.sqrt(np.finfo(np.float32).max)


#: Most extraction threads per CPU core (``n_jobs`` above it is capped): decoding waits on
#: the disk now and then, so a few threads per core can help; thousands only cost memory.
MAX_THREADS_PER_CPU = 4


def max_extraction_threads() -> int:
    """Return the most threads a transformer extracts with: 4 per CPU core."""
    return MAX_THREADS_PER_CPU * (os.cpu_count() or 1)


def extraction_threads(n_jobs: int | None, n_items: int) -> int:
    """Threads for extracting ``n_items`` clips with ``n_jobs``: never more than needed.

    ``None`` is 1; ``-1`` all cores, ``-2`` all but one (joblib's convention). The count is
    capped at the number of clips and at :func:`max_extraction_threads`, so
    ``n_jobs=100000`` starts a few threads, not 100000. Inside
    ``joblib.parallel_backend("dask")`` the cluster runs the tasks and ``n_jobs`` goes to it
    unchanged.

    Raises
    ------
    ValueError
        If ``n_jobs`` is 0 (no thread at all).
    """
    if n_jobs is None:
        return 1
    if n_jobs == 0:
        raise ParameterError(
            "n_jobs=0 extracts with no thread; use None or 1 (one), -1 (all cores)"
        )
    backend = joblib.parallel.get_active_backend()[0]
    if "dask" in type(backend).__module__:  # the cluster's workers, not this machine's cores
        return int(n_jobs)
    n = joblib.effective_n_jobs(int(n_jobs))  # -1: all cores, -2: all but one, ...
    return max(1, min(n, n_items, max_extraction_threads()))
