"""Reading audio files: decode, crop, mix to mono, resample.

soundfile (libsndfile) decodes wav, flac, ogg and mp3 and can seek, so only the requested span
of a long file is read. Formats libsndfile does not know fall back to audioread. Resampling
uses soxr (the same high-quality resampler as ``librosa.load``'s default).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from ..exceptions import AudioLoadError

__all__ = ["load_audio"]


def load_audio(
    path: str | os.PathLike,
    *,
    sr: int = 22050,
    offset: float = 0.0,
    duration: float | None = None,
) -> np.ndarray:
    """Load a span of an audio file as a mono float32 waveform at ``sr``.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (anything libsndfile reads: wav, flac, ogg, mp3, ...; other formats go
        through audioread when a backend for them is installed).
    sr : int, default=22050
        Target sampling rate in Hz.
    offset : float, default=0.0
        Start reading this many seconds into the file.
    duration : float or None, default=None
        Read at most this many seconds; ``None`` reads to the end. Only this span is decoded.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
        Mono waveform at ``sr``; at most ``round(duration * sr)`` samples long.

    Raises
    ------
    AudioLoadError
        If the file is missing, is not a regular file, cannot be decoded, holds no samples in
        the requested span, or holds non-finite samples. The message names the file.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.zeros(44100, dtype="float32"), 44100)
    >>> load_audio(path, sr=22050, duration=0.5).shape
    (11025,)
    """
    p = Path(path)
    if not p.exists():
        raise AudioLoadError(path, "file does not exist")
    if not p.is_file():
        raise AudioLoadError(path, "not a regular file (is it a directory?)")
    if p.stat().st_size == 0:
        raise AudioLoadError(path, "file is empty (0 bytes)")
    try:
        data, native_sr = _read_soundfile(p, offset, duration)
    except Exception as sf_error:  # libsndfile does not know the format: try audioread
        try:
            data, native_sr = _read_audioread(p, offset, duration)
        except Exception as ar_error:
            raise AudioLoadError(
                path,
                "not a readable audio file: neither libsndfile nor audioread could decode it "
                f"(soundfile: {_short(sf_error)}; audioread: {_short(ar_error)})",
            ) from ar_error
    if data.shape[0] == 0:
        where = f" after offset={offset} s" if offset else ""
        raise AudioLoadError(path, f"contains no audio samples{where}")
    y = mix_to_mono(data)
    if not np.isfinite(y).all():
        raise AudioLoadError(path, "decoded samples contain NaN or infinity")
    if native_sr != sr:
        y = soxr.resample(y, native_sr, sr, quality="HQ")
    if duration is not None:
        y = y[: int(round(duration * sr))]
    return np.ascontiguousarray(y, dtype=np.float32)


def mix_to_mono(data: np.ndarray) -> np.ndarray:
    """Average the channels (columns) of float32 ``(n, channels)`` samples: ``(n,)``.

    A matrix-vector product averages channels ~10x faster than ``data.mean(axis=1)``.
    """
    channels = data.shape[1]
    if channels == 1:
        return data[:, 0]
    return data @ np.full(channels, 1.0 / channels, dtype=np.float32)


def _short(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    # libsndfile repeats the path ("Error opening '<path>': ...") and, for a file it cannot
    # identify, claims it does not exist; the caller has checked that it does.
    text = re.sub(r"^Error opening .*?: ", "", text)
    if "does not exist or is not a regular file" in text:
        text = "format not recognised"
    return f"{type(error).__name__}: {text}".rstrip(": ")


def soundfile_name(path: str | os.PathLike) -> str | bytes | os.PathLike:
    """Return the name to give soundfile for ``path``: bytes on POSIX, else the path.

    soundfile encodes a str name strictly, so a name that is not UTF-8 (held with
    surrogates) would fail; Windows names are text (soundfile's wchar open).
    """
    return path if sys.platform == "win32" else os.fsencode(path)


def _read_soundfile(path: Path, offset: float, duration: float | None) -> tuple[np.ndarray, int]:
    with sf.SoundFile(soundfile_name(path)) as f:
        native_sr = f.samplerate
        start = int(round(offset * native_sr))
        if start > 0:
            if f.frames > 0 and start >= f.frames:
                return np.zeros((0, f.channels), dtype=np.float32), native_sr
            f.seek(start)
        n = -1 if duration is None else int(round(duration * native_sr))
        data = f.read(frames=n, dtype="float32", always_2d=True)
    return data, native_sr


def _read_audioread(path: Path, offset: float, duration: float | None) -> tuple[np.ndarray, int]:
    import audioread

    chunks = []
    with audioread.audio_open(os.fspath(path)) as f:
        native_sr, channels = int(f.samplerate), int(f.channels)
        start = int(round(offset * native_sr)) * channels
        stop = None if duration is None else start + int(round(duration * native_sr)) * channels
        pos = 0
        for buf in f:
            frame = np.frombuffer(buf, dtype="<i2").astype(np.float32) / 32768.0
            lo, hi = pos, pos + frame.size
            pos = hi
            if hi <= start:
                continue
            if stop is not None and lo >= stop:
                break
            a = max(start - lo, 0)
            b = frame.size if stop is None else min(stop - lo, frame.size)
            chunks.append(frame[a:b])
    flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    flat = flat[: flat.size - flat.size % channels]
    return flat.reshape(-1, channels), native_sr
