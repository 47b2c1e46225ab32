"""Progress bars whose rate and ETA leave out the first update (numba compiles during it).

The first clip a process extracts costs seconds of numba compilation (librosa's kernels)
on top of its own work: 15 s where the next ones take 0.2 s. tqdm's own rate counts it, so
its first ETA extrapolates the compile time to every clip (41 minutes shown for 160 clips
of a 40-second run). :func:`progress_bar` shows no rate and no ETA (``?``) until an update
after the first one, and then measures the rate from the first update on: an ETA that
says what the bar will do.
"""

from __future__ import annotations

from typing import Any

__all__ = ["progress_bar"]


def progress_bar(**kwargs: Any) -> Any:
    """Return a ``tqdm.auto.tqdm`` whose rate and ETA leave out the time to the first update.

    Parameters
    ----------
    **kwargs
        Passed to ``tqdm`` (``total``, ``desc``, ``unit``, ``leave``, ``file``, ...). The
        bar is advanced with ``update``.

    Returns
    -------
    bar : tqdm.auto.tqdm
        Until a second ``update``, the bar shows ``?`` for the rate and the time left; then
        the rate is the units done since the first ``update`` over the time since it (the
        mean rate of tqdm's ``smoothing=0``, minus the first, slow step).
    """
    from tqdm.auto import tqdm

    class _Bar(tqdm):
        """tqdm, its rate counted from the first update (see the module docstring)."""

        def __init__(self, *args: Any, **kw: Any) -> None:
            # (elapsed seconds, n) at the first update; None before it
            self.warm_start: tuple[float, float] | None = None
            super().__init__(*args, **kw)

        def update(self, n: float | None = 1) -> bool | None:
            if self.warm_start is None and n and not self.disable:
                self.warm_start = (super().format_dict["elapsed"], self.n + n)
            return super().update(n)

        @property
        def format_dict(self) -> dict[str, Any]:
            d = super().format_dict
            if self.disable:
                return d
            if self.warm_start is None or d["n"] <= self.warm_start[1]:
                d["rate"] = 0  # shown as "?": nothing measured yet but the first, slow step
            else:
                dt = d["elapsed"] - self.warm_start[0]
                d["rate"] = (d["n"] - self.warm_start[1]) / dt if dt > 0 else 0
            return d

    return _Bar(**kwargs)
