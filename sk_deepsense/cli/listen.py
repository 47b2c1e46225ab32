"""``sk-deepsense listen``: the emotion of a file (or a microphone) as it plays.

The audio goes through :class:`~sk_deepsense.EmotionStream` block by block, at real-time
pace unless ``--no-wait``; one line is printed every ``--every`` seconds of audio: the
emotion of the last ``--window`` seconds (by default the model's clip duration), or with
``--window 0`` the causal prediction from everything heard since the start. ``--plot``
draws the whole timeline at the end. Every option is checked before the audio is opened,
and memory stays bounded: one block (``--chunk``, at most :data:`MAX_CHUNK_S` seconds) and,
windowed, the last window's feature frames (at most :data:`MAX_WINDOW_S` seconds).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._common import (
    CLIError,
    UsageError,
    add_common_options,
    add_pickle_option,
    check_writable,
    load_model,
    note,
    save_figure,
)

__all__ = ["add_parser", "format_frame", "run"]

#: Output formats of ``listen --format``.
FORMATS = ("table", "jsonl")

#: The largest ``--chunk``: a block of audio is read, resampled and analysed at once.
MAX_CHUNK_S = 60.0
#: The largest ``--window``: the feature frames of the last window are kept and predicted
#: at every line (600 s: 25,840 frames at the defaults).
MAX_WINDOW_S = 600.0
#: The largest ``--every`` (one hour between lines).
MAX_EVERY_S = 3600.0

MIC_MISSING = (
    "--mic needs the optional sounddevice package (and the PortAudio library): "
    "pip install sounddevice"
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``listen`` command to ``subparsers`` (the action of ``add_subparsers``)."""
    p = subparsers.add_parser(
        "listen",
        help="print the emotion of an audio file (or the microphone) as it plays",
        description="Stream AUDIO through a saved model block by block, as it plays, and "
        "print the emotion of the last --window seconds at each moment (by default the "
        "model's clip duration, as 'predict --plot'): arousal and valence, or the class "
        "probabilities and the most probable class. With --window 0, each line is instead "
        "the causal prediction from everything heard since the start (the model's offline "
        "per-frame predictions; a causal network: hybrid, lstm, hybrid_nolstm). The model's "
        "features must be MFCC or log-mel with top_db=None (no MFCC deltas).",
    )
    add_common_options(p)
    p.add_argument(
        "model",
        type=Path,
        metavar="MODEL",
        help="a model saved by 'train' (or the demo's model.skds)",
    )
    add_pickle_option(p)
    p.add_argument(
        "audio", type=Path, nargs="?", metavar="AUDIO", help="the audio file (not with --mic)"
    )
    p.add_argument(
        "--chunk",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help=f"audio per block fed to the model (default 0.5, at most {MAX_CHUNK_S:g})",
    )
    p.add_argument(
        "--every",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help=f"seconds of audio between printed lines (default 0.5, at most {MAX_EVERY_S:g})",
    )
    p.add_argument(
        "--window",
        type=float,
        metavar="SECONDS",
        help="each line is the emotion of the last SECONDS of audio (default: the model's clip "
        f"duration, i.e. what it was trained on; at most {MAX_WINDOW_S:g}); 0: everything "
        "since the start (the causal per-frame predictions; the default for a model without "
        "a clip duration and for a dynamic model)",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="as fast as possible instead of at the pace of the music",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="line format: 'table' (aligned columns, for reading) or 'jsonl' (default: table)",
    )
    p.add_argument(
        "--plot", type=Path, metavar="FILE.png", help="draw the whole timeline at the end"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing plot file")
    p.add_argument(
        "--mic",
        action="store_true",
        help="listen to the default microphone (needs the optional sounddevice package)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        metavar="N",
        help="with --mic: stop after N seconds (default: at Ctrl-C)",
    )
    p.set_defaults(func=run)
    return p


def format_frame(time_s: float, values: Any, names: list[str], kind: str, fmt: str) -> str:
    """One printed line for the frame at ``time_s`` (without the newline).

    Parameters
    ----------
    time_s : float
        The frame's time in seconds.
    values : sequence of float
        Its class probabilities or regression outputs.
    names : list of str
        The output names.
    kind : {"proba", "av"}
        Probabilities or regression outputs.
    fmt : {"text", "jsonl"}
        Plain text, or one JSON object.

    Returns
    -------
    line : str

    Examples
    --------
    >>> format_frame(1.5, [0.2, -0.1], ["arousal", "valence"], "av", "text")
    '   1.50 s  arousal +0.200  valence -0.100'
    >>> format_frame(2.0, [0.3, 0.7], ["calm", "happy"], "proba", "jsonl")
    '{"time": 2.0, "probabilities": {"calm": 0.3, "happy": 0.7}, "label": "happy"}'
    """
    values = [float(v) for v in values]
    if kind == "proba":
        best = names[max(range(len(values)), key=values.__getitem__)]
        if fmt == "jsonl":
            probs = {n: round(v, 6) for n, v in zip(names, values, strict=True)}
            record = {"time": round(time_s, 6), "probabilities": probs, "label": best}
            return json.dumps(record)
        cells = "  ".join(f"{n} {v:.2f}" for n, v in zip(names, values, strict=True))
        return f"{time_s:7.2f} s  {cells}  -> {best}"
    if fmt == "jsonl":
        return json.dumps(
            {
                "time": round(time_s, 6),
                **{n: round(v, 6) for n, v in zip(names, values, strict=True)},
            }
        )
    cells = "  ".join(f"{n} {v:+.3f}" for n, v in zip(names, values, strict=True))
    return f"{time_s:7.2f} s  {cells}"


def run(args: argparse.Namespace) -> int:
    """Run ``sk-deepsense listen``; return the exit status."""
    _check_seconds("--chunk", args.chunk, maximum=MAX_CHUNK_S)
    _check_seconds("--every", args.every, maximum=MAX_EVERY_S)
    if args.window is not None:
        _check_seconds("--window", args.window, maximum=MAX_WINDOW_S, zero=True)
    if args.seconds is not None:
        _check_seconds("--seconds", args.seconds, maximum=math.inf)
    if args.mic == (args.audio is not None):
        raise UsageError("give either AUDIO or --mic (one of them)")
    sounddevice = _sounddevice() if args.mic else None
    if args.audio is not None and not args.audio.expanduser().is_file():
        reason = "is a folder" if args.audio.is_dir() else "does not exist"
        raise CLIError(f"AUDIO {str(args.audio)!r} {reason}")
    plot = None if args.plot is None else check_writable(args.plot, args.overwrite, "--plot")

    from ..streaming import EmotionStream

    model = load_model(args.model, allow_pickle=args.allow_pickle)
    window = _window(args, model)
    stream = EmotionStream(model, window=window, step=None if window is None else args.every)
    if sounddevice is not None:
        blocks = _microphone(sounddevice, stream.sr, args.chunk, args.seconds)
        stream.source, pace = "microphone", False  # the sound card sets the pace
    else:
        from ..streaming import read_blocks

        blocks = read_blocks(args.audio.expanduser(), args.chunk, stream.sr)
        stream.source, pace = str(args.audio), not args.no_wait
    how = "since the start" if window is None else f"the last {window:g} s at each moment"
    note(args, f"listening to {stream.source} ({how}; latency {1000 * stream.latency:.0f} ms)")
    parts, next_time = [], 0.0
    start = time.monotonic()
    for rate, block in _with_flush(blocks):
        if block is None:
            part = stream.flush()
        else:
            if stream.seconds == 0 and rate != stream.input_sr:
                stream.input_sr = rate  # the file's own rate, resampled chunk by chunk
            if pace:  # the block has "played" once the wall clock reaches its end
                ahead = start + stream.seconds + len(block) / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            part = stream.push(block)
        if plot is not None:  # a few floats per frame; nothing kept without --plot
            parts.append(part)
        for t, values in zip(part.times, part.values, strict=True):
            if window is not None or t + 1e-9 >= next_time:  # windows come every --every
                print(format_frame(t, values, stream.names, stream.kind, args.format), flush=True)
                while next_time <= t + 1e-9:
                    next_time += args.every
    note(args, f"{stream.n_frames} frames, {stream.seconds:.1f} s of audio in "
         f"{time.monotonic() - start:.1f} s")  # fmt: skip
    if plot is not None:
        _plot(parts, stream, plot)
        note(args, f"timeline written to {plot}")
    return 0


def _check_seconds(option: str, value: float, *, maximum: float, zero: bool = False) -> None:
    """Refuse a number of seconds that is not finite, not > 0 (>= 0 with ``zero``), too big."""
    low = "a number of seconds >= 0" if zero else "a positive number of seconds"
    if not (value >= 0 if zero else value > 0) or not math.isfinite(value):
        raise CLIError(f"{option} {value}: must be {low}, finite")
    if value > maximum:
        raise CLIError(f"{option} {value}: must be at most {maximum:g} seconds")


def _window(args: argparse.Namespace, model: Any) -> float | None:
    """Return the window in seconds, or None for the causal since-the-start predictions.

    ``--window 0`` is None; no ``--window`` is the model's clip duration (its features'
    ``duration``: what it was trained on, as ``predict --plot``), capped at
    :data:`MAX_WINDOW_S`, or None for a model without one and for a dynamic model (its
    per-frame outputs already are the emotion of the moment).
    """
    from ..dynamic import SeriesTargetMixin

    if args.window is not None:
        return args.window or None
    if isinstance(model.steps[-1][1], SeriesTargetMixin):
        return None
    duration = getattr(model.steps[0][1], "duration", None)
    if duration is None:
        return None
    try:
        return min(float(duration), MAX_WINDOW_S)
    except (TypeError, ValueError):
        return None


def _sounddevice() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: the module is there, PortAudio is not
        raise CLIError(MIC_MISSING) from exc
    return sounddevice


def _microphone(
    sounddevice: Any, sr: int, chunk: float, seconds: float | None
) -> Iterator[tuple[int, Any]]:
    """Yield ``(sr, block)`` from the default input device until ``seconds`` or Ctrl-C."""
    size = max(1, int(round(chunk * sr)))
    total = None if seconds is None else int(round(seconds * sr))
    read = 0
    with sounddevice.InputStream(samplerate=sr, channels=1, dtype="float32") as mic:
        try:
            while total is None or read < total:
                n = size if total is None else min(size, total - read)
                data, _ = mic.read(n)
                read += n
                yield sr, data
        except KeyboardInterrupt:  # the end of the recording, not an error
            return


def _with_flush(blocks: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    yield from blocks
    yield 0, None


def _plot(parts: list, stream: Any, out: Path) -> None:
    import numpy as np

    from ..plotting import new_figure
    from ..timeline import EmotionTimeline

    whole = EmotionTimeline(
        times=np.concatenate([p.times for p in parts]),
        values=np.concatenate([p.values for p in parts]),
        names=list(stream.names),
        kind=stream.kind,
        source=stream.source,
    )
    how = "causal" if stream.window is None else f"last {stream.window:g} s"
    fig, ax = new_figure(figsize=(9, 3))
    whole.plot(ax=ax, title=f"{Path(stream.source).name} (streamed, {how})")
    fig.tight_layout()
    save_figure(fig, out)
