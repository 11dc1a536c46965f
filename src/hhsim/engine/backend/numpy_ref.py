"""The NumPy reference back end: every plan kind in plain NumPy, to test the compiled one.

Slow (a Python loop over time, NumPy over nodes, Python over events) and
refusing up front what would take minutes
(:data:`hhsim.engine.backend.numpy_common.MAX_NODE_STEPS`); nothing here is
generated or compiled.  Its primitives are the trivial ones: a function
runs as written, a parallel loop is one loop, a barrier has nobody to wait
for, arrays are NumPy's.
"""

from __future__ import annotations

import numpy as np

from . import REGISTRY
from .base import CableJob, NetworkJob
from .numpy_cable import NumpyCable
from .numpy_common import check_size
from .numpy_network import NumpyNetwork
from .numpy_point import run_point as _run_point


class NumpyReference:
    name = "numpy"
    description = REGISTRY["numpy"][2]

    def compile(self, function, signature=None):
        """``function`` itself (nothing is compiled)."""
        return function

    def parallel_loop(self, n: int, body) -> None:
        """``body(0, n)``: one worker."""
        body(0, n)

    def barrier(self, sync, n_threads: int, meeting: int) -> bool:
        """Nobody to wait for."""
        return True

    def allocate(self, shape, dtype=float):
        return np.zeros(shape, dtype)

    def run_point(self, plan, stimuli, grid, method, wave=None, scale=None, record_every=1, max_spikes=None,
                  clamp=False, **tolerances):
        return _run_point(plan, stimuli, grid, method, wave, scale, record_every, max_spikes, clamp)

    def run_cable(self, job: CableJob, n_steps: int, progress: bool = False):
        check_size(job.plan.n, n_steps, "compartments")
        runner = NumpyCable(job)
        runner.advance(n_steps, progress)
        runner.finish()
        return runner

    def run_network(self, job: NetworkJob, progress: bool = False):
        runner = NumpyNetwork(job)
        runner.run(progress)
        return runner
