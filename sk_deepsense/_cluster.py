"""Work spread over a Dask cluster: chunks of items, a bounded number of tasks at a time.

:func:`map_on_cluster` is the one place that submits tasks, keeps the cluster fed and
handles lost workers; :func:`sk_deepsense.batch.predict_files` (``client=``) runs on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from numbers import Integral
from typing import Any

from .exceptions import MissingDependencyError, ParameterError

__all__ = ["TASKS_PER_THREAD", "check_client", "local_cluster", "map_on_cluster"]

#: Tasks kept on the cluster per worker thread: each thread has its next task waiting when
#: it finishes one, and the client never holds more than this many tasks' items.
TASKS_PER_THREAD = 2

_INSTALL = 'pip install "sk_deepsense[dask]"'


def check_client(client: Any) -> None:
    """Refuse anything but a running, synchronous ``distributed.Client``, in one line.

    Raises
    ------
    ParameterError
        If ``client`` is not a ``distributed.Client``, is asynchronous or is closed.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ParameterError(
            f"client must be a dask.distributed.Client, and dask.distributed is not "
            f"installed ({_INSTALL})"
        ) from None
    if not isinstance(client, Client):
        raise ParameterError(
            f"client must be a dask.distributed.Client (or None), got {type(client).__name__}"
        )
    if client.asynchronous:
        raise ParameterError(
            "client must be a synchronous Client: records are yielded as they come, which "
            "an asynchronous client cannot serve"
        )
    if client.status != "running":
        raise ParameterError(f"client is not connected to a scheduler (status {client.status!r})")


def map_on_cluster(
    client: Any,
    function: Callable[..., Any],
    shared: Any,
    chunks: Iterator[list[Any]],
    *args: Any,
    name: str = "sk-deepsense",
) -> Iterator[tuple[list[Any], Any]]:
    """Yield ``(chunk, function(shared, chunk, *args))`` for each chunk, as tasks finish.

    - **``shared`` travels once.** It is the argument of one task whose result stays in a
      worker's memory; every task of a chunk depends on that result, so each worker fetches
      it from another worker the first time it needs it and keeps it. Unlike
      ``client.scatter``, the scheduler computes it again if every worker holding it is
      lost.
    - **Bounded.** At most :data:`TASKS_PER_THREAD` tasks per worker thread are on the
      cluster at a time (counted again as tasks finish, so workers that join are fed);
      ``chunks`` is read lazily, as tasks finish.
    - **A lost worker.** The scheduler runs its tasks again on another worker, and each
      task's result is read once here: nothing is yielded twice. A task whose workers keep
      dying (``KilledWorker``: more deaths than Dask's
      ``distributed.scheduler.allowed-failures``, 3 by default) is split into one task per
      item. A one-item task that still gets ``KilledWorker`` is a suspect: the scheduler
      counts a death against every task the dead worker held, so an innocent item next to
      one that crashes its worker can be blamed too. Suspects are run again **alone**: no
      new task is sent until the cluster holds none of this run's, then each suspect by
      itself. A suspect that kills its workers alone (its decoder crashes, it needs more
      than a worker's memory limit) is yielded with its ``KilledWorker`` error; the others
      with their results.
    - **Order.** Chunks come in the order their tasks finish.

    Any other error of a task is raised here, after the tasks still on the cluster are
    cancelled (as they are when the caller stops iterating).

    Parameters
    ----------
    client : distributed.Client
        A running synchronous client (:func:`check_client`).
    function : callable
        ``function(shared, chunk, *args)``, importable on the workers (a module's
        function: it travels by name).
    shared : object
        What every task needs (a fitted model), sent to the cluster once.
    chunks : iterator of list
        The work, a list of items per task.
    *args
        More arguments of every task (small: they travel with each task).
    name : str, default="sk-deepsense"
        Prefix of the task keys (what the dashboard shows).

    Yields
    ------
    chunk, result : list, object
        A chunk and its result, or a one-item chunk and the ``KilledWorker`` error.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    run = f"{name}-{uuid.uuid4().hex[:12]}"
    held = client.submit(_held, shared, key=f"{run}-shared", pure=False)
    finished = as_completed()
    pending: dict[Any, tuple[Any, list[Any]]] = {}  # a task's key -> its future, its chunk
    split: list[list[Any]] = []  # one-item chunks of a KilledWorker task, sent first
    suspects: list[list[Any]] = []  # one-item chunks that got KilledWorker: run alone
    alone: set[str] = set()  # the key of the suspect running alone
    count = 0

    def send(chunk: list[Any]) -> str:
        nonlocal count
        count += 1
        future = client.submit(function, held, chunk, *args, key=f"{run}-{count}", pure=False)
        pending[future.key] = (future, chunk)
        finished.add(future)
        return future.key

    def refill() -> None:
        if suspects:  # quarantine: nothing else of this run on the cluster meanwhile
            if not pending:
                alone.add(send(suspects.pop()))
            return
        room = TASKS_PER_THREAD * max(1, sum(client.nthreads().values())) - len(pending)
        for _ in range(room):
            chunk = split.pop() if split else next(chunks, None)
            if chunk is None:
                return
            send(chunk)

    try:
        refill()
        for future in finished:
            _, chunk = pending.pop(future.key)
            was_alone = future.key in alone
            alone.discard(future.key)
            if future.status == "error":
                error = future.exception()
                if not isinstance(error, KilledWorker):
                    raise error
                if not was_alone:
                    if len(chunk) > 1:  # one of its items may kill workers: each alone
                        split.extend([item] for item in reversed(chunk))
                    else:  # it, or a task beside it, killed the worker: run it alone
                        suspects.insert(0, chunk)
                    future.release()
                    refill()
                    continue
                result = error  # it killed its workers with nothing of this run beside it
            else:
                result = future.result()
            future.release()
            refill()
            yield chunk, result
    finally:  # stopped early, failed, or done: nothing of this run stays on the cluster
        if client.status == "running":  # (a closed client has nothing left to cancel)
            client.cancel([*(f for f, _ in pending.values()), held])


def _held(shared: Any) -> Any:
    """Return ``shared``: a task whose result keeps it in a worker's memory."""
    return shared


def local_cluster(n_workers: int) -> Any:
    """Start a ``LocalCluster`` of ``n_workers`` single-thread worker processes.

    The thread policy of docs/distributed.rst: one thread per worker process, and Dask's
    nanny starts each with one BLAS/OpenMP thread. Its ``MALLOC_TRIM_THRESHOLD_`` is
    removed, as for grid searches there. The scheduler and its HTTP server (the dashboard,
    where bokeh is installed) listen on 127.0.0.1 only, the HTTP server on a free port, so
    that two clusters at once do not warn about port 8787.

    Parameters
    ----------
    n_workers : int
        Worker processes (one per core is the policy).

    Returns
    -------
    cluster : distributed.LocalCluster
        Close it when done (it is a context manager).

    Raises
    ------
    ParameterError
        If ``n_workers`` is not a positive int.
    MissingDependencyError
        If dask.distributed is not installed.

    Examples
    --------
    >>> from distributed import Client  # doctest: +SKIP
    >>> from sk_deepsense import load_pretrained, predict_files
    >>> from sk_deepsense.batch import local_cluster
    >>> with local_cluster(2) as cluster, Client(cluster) as client:  # doctest: +SKIP
    ...     records = list(predict_files(load_pretrained(), ["a.mp3"], client=client))
    """
    if not isinstance(n_workers, Integral) or isinstance(n_workers, bool) or n_workers < 1:
        raise ParameterError(f"n_workers must be a positive int, got {n_workers!r}")
    try:
        import dask
        from distributed import LocalCluster
    except ImportError:
        raise MissingDependencyError(f"a Dask cluster needs dask.distributed: {_INSTALL}") from None
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
