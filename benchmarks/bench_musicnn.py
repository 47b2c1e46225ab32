"""Speed of the pre-trained front end beside the log-mel transformer, and of the recommended fit.

    python benchmarks/bench_musicnn.py [--data ../shared/data/4q-dev] [--n-files 20]
        [--fit-clips 320] [--cache DIR]

Measured in one run, nothing cached, on the same files (``--n-files`` clips of 4q-dev, or
generated 30-s clips when the folder is absent):

- seconds per clip of ``MusicnnTransformer`` (the recommended model's front end: penultimate
  and tags) and of ``LogMelTransformer()`` (the networks' features), with 1 and 2
  extraction threads (torch and BLAS at their defaults: all cores), and their ratio;
- the real-time factor of musicnn (seconds of audio per second of extraction);
- musicnn's seconds per clip with 1, 2 (the default), 4 and 16 patches per forward pass;
- the fit of ``make_recommended()``'s head on ``--fit-clips`` clips whose musicnn features
  are cached (the head is all that fits: the transformer learns nothing).

Report what else ran on the machine beside it: the figures are only comparable within a run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def files(data: Path | None, n: int, work: Path) -> list[str]:
    """``n`` clips of ``data`` (4q-dev layout), or ``n`` generated 30-s wav files."""
    if data is not None and data.is_dir():
        found = sorted(str(p) for p in data.glob("Q*/*.mp3"))
        return [found[i] for i in np.linspace(0, len(found) - 1, n).astype(int)]
    import soundfile as sf

    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        t = np.arange(30 * 22050) / 22050
        y = 0.3 * np.sin(2 * np.pi * (200 + 40 * i) * t) + 0.05 * rng.standard_normal(t.size)
        out.append(str(work / f"clip{i}.wav"))
        sf.write(out[-1], y.astype(np.float32), 22050)
    return out


def per_clip(transformer, paths: list[str]) -> float:
    """Seconds per clip of ``transformer.transform(paths)`` (no cache)."""
    t0 = time.perf_counter()
    transformer.transform(paths)
    return (time.perf_counter() - t0) / len(paths)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/4q-dev"))
    parser.add_argument("--n-files", type=int, default=20)
    parser.add_argument("--fit-clips", type=int, default=320)
    parser.add_argument(
        "--cache", type=Path, help="feature cache of an earlier run to fit from (default: new)"
    )
    args = parser.parse_args(argv)

    from sk_deepsense import LogMelTransformer, MusicnnTransformer, make_recommended

    print(f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        paths = files(args.data, args.n_files, Path(tmp))
        source = "4q-dev" if args.data.is_dir() else "generated"
        print(f"{len(paths)} clips ({source}), seconds per clip, nothing cached:")
        musicnn = MusicnnTransformer(output=["penultimate", "taggram"])
        per_clip(musicnn, paths[:2])  # load the network once, outside the timing
        for n_jobs in (1, 2):
            m = per_clip(musicnn.set_params(n_jobs=n_jobs), paths)
            lm = per_clip(LogMelTransformer(n_jobs=n_jobs), paths)
            print(
                f"  n_jobs={n_jobs}: musicnn {m:.3f} s ({30 / m:.0f}x real time for 30 s), "
                f"log-mel {lm:.3f} s; musicnn / log-mel = {m / lm:.1f}",
                flush=True,
            )
        # the batch of patches per forward pass: small batches keep the activations in the
        # CPU caches (the default, 2) against the 16 of the first release
        from sk_deepsense.features import _musicnn as module

        default = module._PATCHES_PER_FORWARD
        for batch in sorted({1, default, 4, 16}):
            module._PATCHES_PER_FORWARD = batch
            m = per_clip(musicnn.set_params(n_jobs=2), paths)
            print(f"  {batch:2d} patches per forward (n_jobs=2): musicnn {m:.3f} s per clip")
        module._PATCHES_PER_FORWARD = default
        if args.fit_clips and args.data.is_dir():
            from sk_deepsense.datasets import load_4q

            data = load_4q(args.data)
            n = min(args.fit_clips, len(data.filenames))
            model = make_recommended(memory=args.cache or Path(tmp) / "cache", n_jobs=2)
            t0 = time.perf_counter()
            model.fit(data.filenames[:n], data.target[:n])  # extracts and caches
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            model.fit(data.filenames[:n], data.target[:n])  # features from the cache
            print(
                f"make_recommended().fit on {n} clips: {time.perf_counter() - t0:.1f} s with "
                f"the features cached ({first:.0f} s extracting them first)"
            )


if __name__ == "__main__":
    main()
