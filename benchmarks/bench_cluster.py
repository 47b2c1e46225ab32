"""A library predicted on a Dask LocalCluster against the local ``predict_files``.

    python benchmarks/bench_cluster.py --data-dir ../shared/data/4q-dev --n-files 400 4000

For each ``--n-files`` N it builds a folder of N symbolic links to the 4Q clips (each clip
linked several times under other names, as ``bench_library.py`` does), then runs, each in a
child process of its own and one after the other:

- **local**: ``predict_files(model, files)`` in the child, with the model's transformer
  extracting with ``--n-jobs`` threads and torch at its default threads (one per core): the
  local path on the whole machine;
- **cluster**: ``predict_files(model, files, client=client)`` on a ``LocalCluster`` of
  ``--workers`` single-thread worker processes (``sk_deepsense._cluster.local_cluster``,
  what ``--scheduler local:N`` starts), tasks of ``--files-per-task`` files.

Each child first predicts 4 other files (not timed: imports, numba's compilation, the
weights, and on the cluster the workers' own imports); the time is the prediction of the N
files. It prints the peak resident memory of the local child (its own ``ru_maxrss``) and of
each worker process and of the cluster's client, and compares the records file by file:
labels, and the largest difference of a probability (the records are kept at full
precision). The model is ``builtin`` (the shipped 4Q model: musicnn front end, logistic
head) or ``--model FILE`` (a ``.skds``). Issue 27's targets: the cluster within 1.2x of the
local time, equal records, and a worker's peak memory bounded as the local one's (the same
at 4,000 files as at 400). Run it with nothing else running.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_library import clips_of, library  # this folder is on sys.path for a script here


def load(model: str):
    import sk_deepsense

    return sk_deepsense.load_pretrained() if model == "builtin" else sk_deepsense.load_model(model)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(args: argparse.Namespace) -> None:
    """Run one side; print a JSON line: seconds, peak memory, records written to --out."""
    from sk_deepsense import predict_files

    model = load(args.model)
    model[0].set_params(n_jobs=args.n_jobs)
    files = sorted(str(p) for p in Path(args.folder).iterdir())
    warm = files[-4:]  # the same clips under other names: compiled, not cached
    result = {}
    if args.child == "local":
        list(predict_files(model, warm))
        start = time.perf_counter()
        records = list(predict_files(model, files))
        result["seconds"] = time.perf_counter() - start
        result["peak_mib"] = {"local": peak_mib()}
    else:
        from distributed import Client

        from sk_deepsense._cluster import local_cluster

        with local_cluster(args.workers) as cluster, Client(cluster) as client:
            list(predict_files(model, warm * args.workers, client=client, files_per_task=1))
            start = time.perf_counter()
            records = list(
                predict_files(model, files, client=client, files_per_task=args.files_per_task)
            )
            result["seconds"] = time.perf_counter() - start
            workers = client.run(peak_mib)
            threads = client.run(lambda: __import__("torch").get_num_threads())
            result["peak_mib"] = {
                **{f"worker {i}": workers[w] for i, w in enumerate(sorted(workers))},
                "client": peak_mib(),
            }
            result["worker_torch_threads"] = sorted(threads.values())
    Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in records))
    print(json.dumps(result))


def run_side(side: str, folder: Path, out: Path, args: argparse.Namespace) -> dict:
    argv = [sys.executable, __file__, "--child", side, "--folder", str(folder), "--out", str(out),
            "--model", args.model, "--n-jobs", str(args.n_jobs), "--workers",
            str(args.workers), "--files-per-task", str(args.files_per_task)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{side} failed ({done.returncode}): {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(local: Path, cluster: Path) -> str:
    a = {r["path"]: r for r in map(json.loads, local.read_text().splitlines())}
    b = {r["path"]: r for r in map(json.loads, cluster.read_text().splitlines())}
    lines = cluster.read_text().count("\n")
    if a.keys() != b.keys() or lines != len(b):
        return f"DIFFERENT files: {len(a)} local, {len(b)} cluster ({lines} lines)"
    labels = sum(a[p].get("label") == b[p].get("label") for p in a)
    errors = sum("error" in a[p] for p in a), sum("error" in b[p] for p in b)
    diff = max(
        (
            abs(a[p]["probabilities"][c] - b[p]["probabilities"][c])
            for p in a
            if "probabilities" in a[p]
            for c in a[p]["probabilities"]
        ),
        default=0.0,
    )
    return (
        f"{labels}/{len(a)} labels equal, error records {errors}, largest probability "
        f"difference {diff:.2e}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data/4q-dev"))
    ap.add_argument("--n-files", type=int, nargs="+", default=[400])
    ap.add_argument("--model", default="builtin", help="builtin, or a .skds file")
    ap.add_argument("--n-jobs", type=int, default=2, help="local extraction threads")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--files-per-task", type=int, default=8)
    ap.add_argument(
        "--sides", nargs="+", choices=["local", "cluster"], default=["local", "cluster"]
    )
    ap.add_argument("--child", choices=["local", "cluster"], help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    clips = clips_of(args.data_dir.expanduser())
    print(f"model {args.model}; {len(clips)} distinct clips; cpus {os.cpu_count()}; local "
          f"n_jobs {args.n_jobs}; cluster {args.workers} workers x 1 thread, "
          f"{args.files_per_task} files per task")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_cluster.") as tmp:
        root = Path(tmp)
        for n in args.n_files:
            folder = library(clips, n, root)
            results = {}
            for side in args.sides:
                out = root / f"{side}-{n}.jsonl"
                results[side] = run_side(side, folder, out, args)
                r = results[side]
                memory = ", ".join(f"{k} {v:.0f}" for k, v in r["peak_mib"].items())
                extra = (
                    f"; worker torch threads {r['worker_torch_threads']}"
                    if side == "cluster"
                    else ""
                )
                print(f"{n:>5} files  {side:<7}  {r['seconds']:7.1f} s  {n / r['seconds']:6.2f} "
                      f"files/s  peak RSS MiB: {memory}{extra}", flush=True)  # fmt: skip
            if len(results) == 2:
                ratio = results["cluster"]["seconds"] / results["local"]["seconds"]
                same = compare(root / f"local-{n}.jsonl", root / f"cluster-{n}.jsonl")
                print(f"{n:>5} files  cluster / local time = {ratio:.3f}x; records: {same}")


if __name__ == "__main__":
    main()
