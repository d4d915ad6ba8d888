"""Per-series work in parallel: on this machine's processes, or on a Dask cluster past it.

Every machine and energy source is fitted, detected and forecast on its own, so a step's work is a list of
independent calls. :func:`run_each` runs them with joblib: over ``n_jobs`` local processes, or, given the address
of a ``dask.distributed`` scheduler, on that cluster's workers through joblib's Dask backend. The calls and the
order of their results are the same either way, and so are the results: no call draws unseeded randomness, and
every call runs on one BLAS / OpenMP thread wherever it runs (a multithreaded matrix product rounds differently).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from joblib import Parallel, delayed, parallel_config

from enms.boosting import thread_cap


def run_each(function: Callable[..., Any], calls: Iterable[Sequence[Any]], *, n_jobs: int = 1,
             scheduler: str = "", progress: Callable[[str], None] | None = None) -> list[Any]:
    """``[function(*args) for args in calls]``, in that order: in this process (``n_jobs`` 1), over ``n_jobs``
    local processes, or on the ``dask.distributed`` cluster whose scheduler listens at ``scheduler`` (e.g.
    ``tcp://10.0.0.5:8786``; its workers need the same ``enms`` installed). ``progress`` (e.g. ``print``) gets a
    line per tenth of the calls done: 'k/n series, s seconds'."""
    jobs = [delayed(_on_one_thread)(function, *args) for args in calls]
    if scheduler:
        from distributed import Client  # loaded only for a cluster

        with Client(scheduler), parallel_config(backend="dask"):
            return _collected(Parallel(n_jobs=-1, return_as="generator")(jobs), len(jobs), progress)
    if n_jobs == 1:
        return _collected((call(*args, **kwargs) for call, args, kwargs in jobs), len(jobs), progress)
    return _collected(Parallel(n_jobs=n_jobs, return_as="generator")(jobs), len(jobs), progress)


def _on_one_thread(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` with one BLAS / OpenMP thread: the same arithmetic in this process, a local worker or a
    Dask worker (whose threads are capped at one), and no oversubscribed cores."""
    with thread_cap(1):
        return function(*args)


def _collected(results: Iterator[Any], total: int, progress: Callable[[str], None] | None) -> list[Any]:
    """The results as a list, telling ``progress`` after each tenth of them."""
    started, every, out = time.perf_counter(), max(1, math.ceil(total / 10)), []
    for done, result in enumerate(results, start=1):
        out.append(result)
        if progress is not None and (done % every == 0 or done == total):
            progress(f"{done}/{total} series, {time.perf_counter() - started:.0f} s")
    return out


def throughput(series: int, seconds: float, *, n_jobs: int = 1, scheduler: str = "") -> str:
    """One line for a step's page: how many series (machine × energy source) in how many seconds, the rate, and
    where the work ran."""
    where = f"the Dask cluster at {scheduler}" if scheduler else (
        "this process" if n_jobs == 1 else f"{n_jobs} local processes")
    rate = f"{series / seconds:.2f} series/s" if seconds > 0 else "–"
    return f"{series} series in {seconds:.1f} s ({rate}) on {where}"
