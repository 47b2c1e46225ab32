"""Reading 30 s of a long file: time and peak memory against decoding it whole.

    python benchmarks/bench_long_file.py [--minutes 20]

Writes a long test file (WAV, and MP3 unless --no-mp3) into a temporary folder (removed at
the end), then times
``MFCCTransformer(duration=30).transform`` against ``duration=None`` (the whole file) and
reports Python-level peak memory (tracemalloc) for each.
"""

import argparse
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import soundfile as sf

from sk_deepsense import MFCCTransformer


def measure(path, duration):
    tracemalloc.start()
    t0 = time.perf_counter()
    X = MFCCTransformer(duration=duration).transform([path])
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 2**20, X.shape


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--no-mp3", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sk_deepsense-long-"))
    sr = 44100
    t = np.arange(sr) / sr
    second = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    MFCCTransformer(duration=1.0).transform([second])  # warm-up: imports, JIT, mel basis
    files = [("wav", "PCM_16")] + ([] if args.no_mp3 else [("mp3", "MPEG_LAYER_III")])
    print(f"{args.minutes:g}-minute stereo file at {sr} Hz, 30 s wanted (files in {folder})")
    print(f"{'format':<7}{'size MB':>9}{'30 s: s':>10}{'MiB':>8}{'whole: s':>10}{'MiB':>8}")
    for ext, subtype in files:
        path = folder / f"long.{ext}"
        with sf.SoundFile(path, "w", samplerate=sr, channels=2, subtype=subtype) as f:
            for _ in range(int(args.minutes * 60)):
                f.write(np.stack([second, second], axis=1))
        part = measure(path, 30.0)
        whole = measure(path, None)
        print(
            f"{ext:<7}{path.stat().st_size / 1e6:>9.1f}{part[0]:>10.2f}{part[1]:>8.0f}"
            f"{whole[0]:>10.2f}{whole[1]:>8.0f}"
        )
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
