"""``sk-deepsense predict`` over a music library: peak memory and speed, batched vs all at once.

    OMP_NUM_THREADS=1 python benchmarks/bench_library.py --data-dir ../shared/data/4q-dev
        --n-files 400 4000 [--model FILE] [--batch-size 64] [--n-jobs 2]

Builds, for each ``--n-files`` N, a folder of N symbolic links to the 4Q clips of
``--data-dir`` (each clip linked several times under other names, so that nothing is read
from a cache), then runs ``sk-deepsense predict MODEL FOLDER`` in a child process for each
path and reports its peak resident memory (the child's own ``ru_maxrss``, from ``wait4``)
and wall time:

- ``batched``: ``--format jsonl -o FILE --batch-size B`` (records streamed as they come);
- ``all-at-once``: ``--batch-size 0`` (every file extracted before any is predicted: the
  memory behaviour of ``predict`` before batches; it predicts with one forward pass);
- ``before``: the code before batches itself (``--before-tree``, a checkout of it, e.g.
  ``git worktree add /tmp/before ab6576a``): all at once, ``predict`` then
  ``predict_proba``, CSV written at the end.

The model is ``--model FILE`` (a pipeline saved by ``sk-deepsense train``), else a default
hybrid pipeline (``make_pipeline_for("hybrid", "classification")``) trained briefly on
``--train-clips`` clips (accuracy is irrelevant to memory and speed). The targets of issue
16: peak memory at 4,000 files at most 1.2x that at 400, and the batched path at least as
fast as the all-at-once one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PATHS = {"batched": None, "all-at-once": 0}  # --batch-size (None: the --batch-size option)
BEFORE = "before"  # the code before batches (--before-tree): all at once, two forward passes


def clips_of(data_dir: Path) -> list[Path]:
    clips = sorted(p for p in data_dir.rglob("*") if p.suffix.lower() in {".mp3", ".wav"})
    if not clips:
        sys.exit(f"no audio file under {data_dir}")
    return clips


def train_model(clips: list[Path], n_clips: int, epochs: int, out: Path) -> Path:
    """Train a default hybrid classifier on ``n_clips`` clips (label: the folder, Q1..Q4)."""
    import joblib

    from sk_deepsense.cli import make_pipeline_for

    step = max(1, len(clips) // n_clips)
    chosen = clips[::step][:n_clips]
    pipe = make_pipeline_for("hybrid", "classification", n_jobs=2)
    pipe.set_params(clf__max_epochs=epochs)  # the default ensemble of three networks
    pipe.fit([str(p) for p in chosen], [p.parent.name for p in chosen])
    joblib.dump(pipe, out)
    return out


def library(clips: list[Path], n: int, root: Path) -> Path:
    folder = root / f"library-{n}"
    folder.mkdir()
    for i in range(n):
        clip = clips[i % len(clips)]
        (folder / f"track {i:05d}{clip.suffix}").symlink_to(clip.resolve())
    return folder


def run_predict(
    model: Path, folder: Path, out: Path, batch_size: int, n_jobs: int, before: Path | None = None
):
    """Run the command in a child; return (exit status, peak RSS in MiB, seconds).

    With ``before`` (a checkout of the code before batches), that code runs instead, with
    the options it had (CSV on standard output, written at the end, into ``out``).
    """
    argv = [sys.executable, "-m", "sk_deepsense", "predict", str(model), str(folder), "-q",
            "--n-jobs", str(n_jobs)]  # fmt: skip
    env = dict(os.environ)
    if before is None:
        argv += ["--format", "jsonl", "-o", str(out), "--overwrite"]
        argv += ["--batch-size", str(batch_size), "--allow-pickle"]  # our own joblib model
        stdout = subprocess.DEVNULL
    else:
        argv += ["--format", "csv"]
        env["PYTHONPATH"] = str(before.resolve())  # and it comes first on the path
        stdout = open(out, "w")  # noqa: SIM115 - closed below
    start = time.perf_counter()
    # the child runs in the tree it measures: ``python -m`` puts the working folder first
    cwd = None if before is None else before.resolve()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    if before is not None:
        stdout.close()
    if proc.returncode not in (0, 3):
        sys.exit(f"predict failed ({proc.returncode}): {err}")
    return proc.returncode, usage.ru_maxrss / 1024, seconds  # ru_maxrss: KiB on Linux


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data/4q-dev"))
    parser.add_argument("--n-files", type=int, nargs="+", default=[400, 4000])
    parser.add_argument("--model", type=Path, help="a saved pipeline (default: train one)")
    parser.add_argument("--train-clips", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--paths", nargs="+", choices=[*PATHS, BEFORE], default=list(PATHS))
    parser.add_argument(
        "--before-tree", type=Path, help=f"a checkout of the code before batches (--paths {BEFORE})"
    )
    args = parser.parse_args(argv)

    clips = clips_of(args.data_dir.expanduser())
    with tempfile.TemporaryDirectory(prefix="bench_library.") as tmp:
        root = Path(tmp)
        model = args.model
        if model is None:
            t0 = time.perf_counter()
            model = train_model(clips, args.train_clips, args.epochs, root / "model.joblib")
            print(f"trained on {args.train_clips} clips in {time.perf_counter() - t0:.0f} s")
        omp = os.environ.get("OMP_NUM_THREADS")
        print(f"model {model}; {len(clips)} distinct clips; batch size {args.batch_size}; "
              f"n_jobs {args.n_jobs}; OMP_NUM_THREADS={omp}")  # fmt: skip
        rows = []
        print(f"{'files':>6}  {'path':<12} {'batch':>5}  {'peak RSS MiB':>12}  "
              f"{'seconds':>8}  {'files/s':>7}  records")  # fmt: skip
        for n in args.n_files:
            folder = library(clips, n, root)
            for path in args.paths:
                batch = args.batch_size if PATHS.get(path) is None else PATHS[path]
                before = args.before_tree if path == BEFORE else None
                if path == BEFORE and before is None:
                    sys.exit(f"--paths {BEFORE} needs --before-tree")
                out = root / f"{path}-{n}.jsonl"
                code, rss, seconds = run_predict(model, folder, out, batch, args.n_jobs, before)
                records = out.read_text().count("\n") - (path == BEFORE)  # minus the header
                rows.append((n, path, rss, seconds))
                print(f"{n:>6}  {path:<12} {batch:>5}  {rss:>12.0f}  {seconds:>8.1f}  "
                      f"{n / seconds:>7.2f}  {records}{' (exit 3)' if code == 3 else ''}",
                      flush=True)  # fmt: skip
        if len(args.n_files) > 1:
            small, large = min(args.n_files), max(args.n_files)
            by = {(n, p): (rss, s) for n, p, rss, s in rows}
            for path in args.paths:
                ratio = by[large, path][0] / by[small, path][0]
                print(f"peak RSS {path}: {large} files / {small} files = {ratio:.2f}x")
            for other in ("all-at-once", BEFORE):
                if {"batched", other} <= set(args.paths):
                    speed = by[large, other][1] / by[large, "batched"][1]
                    print(f"throughput batched / {other} at {large} files = {speed:.2f}x")


if __name__ == "__main__":
    main()
