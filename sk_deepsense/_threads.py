"""Thread limits scoped to a block: the caller's process settings come back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["limit_threads"]


@contextmanager
def limit_threads(n_threads: int | None, *, controller: Any = None) -> Iterator[None]:
    """Run a block with ``n_threads`` torch intra-op threads and BLAS/OpenMP threads.

    Library code must not change the caller's global state: torch's thread count and the
    native thread pools are restored when the block ends, even on an exception. This is the
    one way the package sets threads (the networks' ``n_threads``, the benchmark's workers).

    Parameters
    ----------
    n_threads : int or None
        Threads inside the block (at least 1); ``None`` changes nothing.
    controller : threadpoolctl.ThreadpoolController or None, default=None
        The native thread pools, found once by the caller: finding them costs about 1 ms
        (a scan of the loaded libraries), too much for a block run many times a second
        (streaming inference). ``None`` finds them anew.

    Examples
    --------
    >>> import torch
    >>> from sk_deepsense._threads import limit_threads
    >>> before = torch.get_num_threads()
    >>> with limit_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n_threads is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    n_threads = max(1, int(n_threads))
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        pools = threadpool_limits if controller is None else controller.limit
        with pools(limits=n_threads):
            yield
    finally:
        torch.set_num_threads(previous)
