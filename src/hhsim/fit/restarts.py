"""Restarts of a fit on Dask: independent CMA-ES searches, one task each.

The cluster is the sweep machinery's (:func:`hhsim.sweep.run.connect`: local
worker processes with one thread each, or a running scheduler).  Kernels
are compiled once before the tasks fan out: the client evaluates one
candidate first (numba compiles into the on-disk cache), and each worker's
first evaluation runs under the sweep's compile lock, so processes sharing a
cache never write it at the same time.  Each task is one seed's whole
search, so the outcome of every restart, and the one kept, do not depend on
the number of workers.
"""

from __future__ import annotations


import numpy as np

from ..progress import bar as progress_bar
from .search import SearchOutcome

_WARM: set = set()


def run_one(problem, seed: int) -> SearchOutcome:
    """One task: the search of ``problem`` from ``seed`` (kernels warmed under the compile lock)."""
    from ..sweep.run import _compile_lock

    key = (problem.model.name, problem.objective.voltage_clamp, problem.method, problem.dt)
    if key not in _WARM:
        with _compile_lock():
            problem.evaluate(np.full((1, problem.space.dim), 0.5))
        _WARM.add(key)
    return problem.search(seed, progress=False)


def run_restarts(problem, seeds: list[int], *, workers: int | None = None, scheduler: str | None = None,
                 client=None, progress: bool | None = None) -> list[SearchOutcome]:
    """The outcome of each seed's search, in the order of ``seeds``."""
    bar = progress_bar(len(seeds), desc="fit restarts", unit="run", progress=progress)
    try:
        if workers == 0 and client is None and scheduler is None:
            out = []
            for s in seeds:
                out.append(problem.search(s, progress=False))
                bar.update(1)
            return out
        from ..sweep.run import _close, connect

        problem.evaluate(np.full((1, problem.space.dim), 0.5))  # compile here, before fanning out
        dask_client, owned = connect(client, scheduler, workers)
        try:
            futures = [dask_client.submit(run_one, problem, s, pure=False, retries=2) for s in seeds]
            for f in futures:
                f.add_done_callback(lambda _f: bar.update(1))
            return dask_client.gather(futures)
        finally:
            if owned:
                _close(dask_client)
    finally:
        bar.close()
