"""GridSearchCV on a Dask LocalCluster against the same search with local n_jobs=2.

Prints, measured in one run on this machine (issue 14's target: the Dask run within 1.3x of
local ``n_jobs=2``, with the same scores):

1. ``GridSearchCV`` of 4 hybrid fits (2 candidates x 2 folds, default hybrid but
   ``--max-epochs``) with ``n_jobs=2`` (joblib's local process workers);
2. the same search inside ``joblib.parallel_backend("dask")`` on a ``LocalCluster`` of 2
   single-thread worker processes;
3. their ratio and whether the scores are equal.

Features (log-mel of ``--n-clips`` clips of 15 s from a 4Q folder, stratified by quadrant)
are extracted once, before any timing. The cluster's start and a warm-up run of the same
search on each side (imports, first kernels) are not timed; sending the features to the
workers is, as part of the search's cost. Dask's default ``MALLOC_TRIM_THRESHOLD_=65536``
for its workers is removed (``--keep-dask-malloc-trim`` keeps it), and the features are
broadcast to every worker (``parallel_backend("dask", scatter=[X, y])``).

Run it with nothing else running::

    python benchmarks/bench_dask.py --data-dir ../shared/data/4q-dev
"""

from __future__ import annotations

import os

import joblib
import numpy as np

# the same data and the same search as bench_parallel.py (this folder is on sys.path when a
# script here is run)
from bench_parallel import data_arguments, grid, load_features  # noqa: E402


def main() -> None:
    ap = data_arguments(__doc__.split("\n")[0])
    ap.add_argument(
        "--keep-dask-malloc-trim",
        action="store_true",
        help="start the workers with Dask's MALLOC_TRIM_THRESHOLD_=65536 (slower fits)",
    )
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    X, y = load_features(args.data_dir, args.n_clips, args.duration)
    print(
        f"{len(y)} clips, features {X.shape} ({X.nbytes / 1e6:.1f} MB), "
        f"max_epochs={args.max_epochs}, cpus {os.cpu_count()}"
    )
    grid(X, y, args.max_epochs, n_jobs=2)  # warm-up: worker processes, imports, kernels
    local_s, local_scores = grid(X, y, args.max_epochs, n_jobs=2)

    import dask

    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536 (to hand memory back to the
    # OS sooner); torch's CPU training allocates and frees many small tensors, and with that
    # setting the same fits ran 2.5x slower (docs/distributed.rst). --keep-dask-malloc-trim
    # measures Dask's default.
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if not args.keep_dask_malloc_trim:
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
        # scatter: every worker gets the features once (without it joblib sends them to one
        # worker, and the scheduler places the fits next to them, then moves some late)
        joblib.parallel_backend("dask", scatter=[X, y]),
    ):
        torch_threads = client.run(lambda: __import__("torch").get_num_threads())
        grid(X, y, args.max_epochs, n_jobs=None)  # warm-up: imports, first kernels
        dask_s, dask_scores = grid(X, y, args.max_epochs, n_jobs=None)

    print(f"GridSearchCV 4 fits, local n_jobs=2: {local_s:.1f} s")
    print(
        f"GridSearchCV 4 fits, Dask LocalCluster (2 workers x 1 thread, torch threads "
        f"{sorted(torch_threads.values())}): {dask_s:.1f} s"
    )
    equal = np.array_equal(local_scores, dask_scores)
    print(
        f"Dask / local: {dask_s / local_s:.2f}x (target <= 1.3x); scores equal: {equal} "
        f"(local {np.round(local_scores, 4).tolist()}, Dask {np.round(dask_scores, 4).tolist()})"
    )


if __name__ == "__main__":
    main()
