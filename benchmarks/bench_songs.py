"""``sk-deepsense predict`` on whole songs: peak memory and time for 30 s, 10 min and 2 h files.

    OMP_NUM_THREADS=1 python benchmarks/bench_songs.py [--lengths 30 600 7200]
        [--model FILE] [--no-timeline] [--workdir DIR]

Generates one FLAC file per length (44.1 kHz stereo, 16-bit: a CD rip; a few tones and a
little noise, so that libsndfile decodes real frames), then runs, for each file, in a child
process each (its own peak resident memory, ``ru_maxrss`` from ``wait4``, as
``bench_library.py`` measures it, and its wall time):

- ``predict``: the whole song, pooled over its windows (the default);
- ``predict --duration D``: the model's first clip only (``D`` its clip duration: the
  behaviour before whole songs);
- ``predict --plot``: the records, then the sliding-window timeline of the whole file
  (``--no-timeline`` skips it; on a 2-hour file it predicts 4,800 windows).

The model is ``--model FILE`` (a ``.skds`` file or a pipeline saved by ``sk-deepsense
train``), else the default hybrid pipeline of ``sk-deepsense train`` (log-mel, 30 s clips,
three networks) trained for one epoch on eight generated clips: accuracy is irrelevant to
memory and time. A 2-hour file decoded whole would be 2.5 GB of float32 samples at its own
rate (635 MB at 22,050 Hz mono) before any feature.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SR = 44100
CLIP_DURATION = (
    "import sys\n"
    "from pathlib import Path\n"
    "from sk_deepsense.cli._common import feature_step, load_model\n"
    "print(feature_step(load_model(Path(sys.argv[1]), allow_pickle=True)).duration)\n"
)


def write_song(path: Path, seconds: float) -> Path:
    """Write a stereo FLAC of ``seconds``, a minute at a time (never whole in memory)."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    block = 60 * SR
    with sf.SoundFile(path, "w", SR, 2, format="FLAC", subtype="PCM_16") as f:
        for start in range(0, int(seconds * SR), block):
            n = min(block, int(seconds * SR) - start)
            t = (start + np.arange(n)) / SR
            f0 = 220 * 2 ** ((start // block) % 12 / 12)  # a new note every minute
            y = 0.2 * np.sin(2 * np.pi * f0 * t) + 0.1 * np.sin(2 * np.pi * 3 * f0 * t)
            y = y + 0.01 * rng.standard_normal(n)
            f.write(np.stack([y, 0.8 * y], axis=1).astype(np.float32))
    return path


def train_model(out: Path) -> Path:
    """Train the default hybrid pipeline for one epoch on eight generated clips of 30 s."""
    import numpy as np

    from sk_deepsense import save_model
    from sk_deepsense.cli import make_pipeline_for

    rng = np.random.default_rng(1)
    t = np.arange(30 * 22050) / 22050
    clips = [
        (0.3 * np.sin(2 * np.pi * f * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
        for f in rng.uniform(100, 2000, 8)
    ]
    pipe = make_pipeline_for("hybrid", "classification", n_jobs=2)
    pipe.set_params(clf__max_epochs=1)
    pipe.fit(clips, ["calm", "lively"] * 4)
    save_model(pipe, out, overwrite=True)
    return out


def run(argv: list[str]) -> tuple[int, float, float, str]:
    """Run ``argv`` in a child: (exit status, peak RSS in MiB, seconds, last stderr line)."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace").strip().splitlines()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, seconds, err[-1] if err else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=float, nargs="+", default=[30, 600, 7200])
    parser.add_argument("--model", type=Path, help="a saved model (default: trained here)")
    parser.add_argument("--no-timeline", action="store_true", help="skip predict --plot")
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    parser.add_argument("--train-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.train_only:
        train_model(args.train_only)
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        # fitted and read in children: Linux carries a parent's peak RSS over to the
        # children it starts (exec keeps the high-water mark), so this process stays small
        child_env = {**os.environ, "OMP_NUM_THREADS": "1"}
        model = args.model
        if model is None:
            model = work / "model.skds"
            argv = [sys.executable, __file__, "--train-only", str(model)]
            subprocess.run(argv, check=True, env=child_env)
        clip = float(
            subprocess.run(
                [sys.executable, "-c", CLIP_DURATION, str(model)],
                check=True,
                capture_output=True,
                text=True,
                env=child_env,
            ).stdout
        )
        cli = [sys.executable, "-m", "sk_deepsense", "predict", str(model)]
        print(f"model: {model} (clip duration {clip} s)")
        print(f"{'file':>8}  {'command':<28} {'peak RSS MiB':>12} {'seconds':>8}  status")
        for seconds in args.lengths:
            song = work / f"song_{int(seconds)}s.flac"
            if not song.exists():
                write_song(song, seconds)
            runs = [
                ("predict", ["--format", "jsonl"]),
                (f"predict --duration {clip:g}", ["--format", "jsonl", "--duration", str(clip)]),
            ]
            if not args.no_timeline:
                png = work / f"timeline_{int(seconds)}s.png"
                runs.append(("predict --plot", ["--plot", str(png), "--overwrite"]))
            for name, extra in runs:
                code, rss, secs, last = run([*cli, str(song), "-q", *extra])
                label = f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
                status = "ok" if code == 0 else f"exit {code}: {last}"
                print(f"{label:>8}  {name:<28} {rss:12.0f} {secs:8.1f}  {status}", flush=True)


if __name__ == "__main__":
    main()
