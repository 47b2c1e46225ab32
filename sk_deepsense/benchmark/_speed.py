"""The benchmark's speed section: extraction timed against a naive librosa loop."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["format_speed", "time_extraction"]


def time_extraction(paths, transformer, n_files: int, n_jobs: int) -> dict[str, Any]:
    """Time extraction of the first files: a naive librosa loop vs ``MFCCTransformer``.

    Parameters
    ----------
    paths : sequence of str
        Audio files; the first ``n_files`` are timed.
    transformer : MFCCTransformer
        Whose parameters both methods use.
    n_files : int
        Files to time.
    n_jobs : int
        ``MFCCTransformer`` is timed with ``n_jobs=1`` and with this many threads.

    Returns
    -------
    info : dict
        ``files``, ``audio_seconds`` and per method ``seconds``, ``files_per_s``,
        ``x_realtime``, ``speedup_vs_naive``.
    """
    import librosa

    from ..features import MFCCTransformer

    paths = list(paths)[:n_files]
    p = transformer.get_params()
    params = {k: p[k] for k in ("sr", "n_mfcc", "n_fft", "hop_length", "n_mels", "fmin", "fmax")}
    out: dict[str, Any] = {"files": len(paths)}

    def naive_loop(files):
        for path in files:
            wave, _ = librosa.load(path, sr=p["sr"], duration=p["duration"], offset=p["offset"])
            librosa.feature.mfcc(y=wave, **params)

    # one untimed file each first, so that one-off costs (imports, filter design, mel basis)
    # are not charged to whichever method happens to run first
    naive_loop(paths[:1])
    t0 = time.perf_counter()
    naive_loop(paths)
    naive = time.perf_counter() - t0
    timings = {"naive librosa loop": naive}
    X = None
    for jobs in sorted({1, n_jobs}):
        mfcc = MFCCTransformer(**params, duration=p["duration"], offset=p["offset"], n_jobs=jobs)
        mfcc.transform(paths[:1])
        t0 = time.perf_counter()
        X = mfcc.transform(paths)
        timings[f"MFCCTransformer(n_jobs={jobs})"] = time.perf_counter() - t0
    from ..features import sequence_lengths

    assert X is not None  # the loop above ran at least once
    audio_s = float(sequence_lengths(X).sum() * p["hop_length"] / p["sr"])
    out["audio_seconds"] = audio_s
    out["extraction"] = {
        name: {
            "seconds": s,
            "files_per_s": len(paths) / s,
            "x_realtime": audio_s / s,
            "speedup_vs_naive": naive / s,
        }
        for name, s in timings.items()
    }
    return out


def format_speed(info: dict[str, Any], summary: list[dict[str, Any]]) -> str:
    """Format the speed section: extraction timings and training/inference throughput.

    Parameters
    ----------
    info : dict
        :attr:`BenchmarkResult.info`; its ``"speed"`` entry (:func:`time_extraction`) if any.
    summary : list of dict
        :meth:`BenchmarkResult.summary`.

    Returns
    -------
    str
        Markdown tables.
    """
    lines = []
    speed = info.get("speed")
    if speed:
        lines.append(
            f"Extraction, first {speed['files']} files ({speed['audio_seconds']:.0f} s of audio "
            "analysed), same run:"
        )
        lines.append("| method | seconds | files/s | x real time | vs naive |")
        lines.append("|---|---|---|---|---|")
        for name, e in speed["extraction"].items():
            lines.append(
                f"| {name} | {e['seconds']:.2f} | {e['files_per_s']:.1f} | "
                f"{e['x_realtime']:.0f}x | {e['speedup_vs_naive']:.2f}x |"
            )
    lines.append("")
    lines.append("Training and inference (clip-epochs/s counts each training clip once per epoch):")
    lines.append("| model | train clip-epochs/s | predict clips/s | peak RSS MiB |")
    lines.append("|---|---|---|---|")
    for s in summary:
        lines.append(
            f"| {s['model']} | {s['train_clips_per_s']:.1f} | {s['predict_clips_per_s']:.0f} | "
            f"{s['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines)
