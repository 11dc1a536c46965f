"""The numba CPU back end: today's compiled engine behind the seam.

It delegates to the existing drivers, unchanged: the batch kernels
(:func:`hhsim.engine.batch.run_batch`) for independent neurons, and the
entry points' compiled runners (the cable and network glue around
:mod:`hhsim.engine.cable_driver` and :mod:`hhsim.engine.network_loop`),
which the jobs carry.  Its primitives are the ones those drivers use:
``numba.njit`` (cached on disk), threads meeting at a spinning barrier
(:mod:`hhsim.engine.spin`) and cache-line-aligned arrays
(:mod:`hhsim.engine.aligned`).
"""

from __future__ import annotations

import functools

from numba import njit

from .. import aligned, spin
from ..batch import run_batch
from . import REGISTRY
from .base import CableJob, NetworkJob


class NumbaCPU:
    name = "numba"
    description = REGISTRY["numba"][2]

    def compile(self, function, signature=None):
        """``function`` compiled by numba (cached on disk; for ``signature`` now, else on
        first call)."""
        jitted = njit(cache=True, error_model="numpy")(function)
        if signature is not None:
            jitted.compile(signature)
        return jitted

    def parallel_loop(self, n: int, body, n_threads: int = 2) -> None:
        """``body(lo, hi)`` on ``n_threads`` Python threads (``body`` compiled with
        ``nogil=True`` runs them at once), the range split in equal parts."""
        bounds = [n * k // n_threads for k in range(n_threads + 1)]
        others = spin.Partners([functools.partial(body, bounds[k], bounds[k + 1]) for k in range(1, n_threads)],
                               "hhsim-loop")
        try:
            body(bounds[0], bounds[1])
        finally:
            others.join()  # a part's error is raised here, not lost

    def barrier(self, sync, n_threads: int, meeting: int) -> bool:
        """:func:`hhsim.engine.spin.meet` (callable from compiled code too)."""
        return spin.meet(sync, n_threads, meeting)

    def allocate(self, shape, dtype=float):
        """A zeroed array whose data start on a cache line (no false sharing between threads)."""
        return aligned.zeros(shape, dtype)

    def run_point(self, plan, stimuli, grid, method, wave=None, scale=None, record_every=1, max_spikes=None,
                  clamp=False, **tolerances):
        return run_batch(plan, stimuli, grid, method, wave, scale, record_every, max_spikes, clamp, **tolerances)

    def run_cable(self, job: CableJob, n_steps: int, progress: bool = False):
        runner = job.compiled(job)
        runner.advance(n_steps, progress)
        runner.finish()
        return runner

    def run_network(self, job: NetworkJob, progress: bool = False):
        runner = job.compiled(job)
        runner.run(progress)
        return runner
