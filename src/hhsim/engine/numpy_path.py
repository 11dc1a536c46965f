"""The NumPy test path of the compiled point kernels: the same equations
(:func:`hhsim.physics.evaluate.physics`), stepped by each fixed-step solver's
NumPy twin in slow Python loops over time.  For tests only.
"""

from __future__ import annotations

import numpy as np

from ..physics.evaluate import instantaneous, physics
from ..physics.structure import Plan
from .batch import Grid, stimulus_arrays
from .solvers import FIXED_STEP

__all__ = ["physics", "instantaneous", "run_numpy"]


def run_numpy(plan: Plan, stimuli, grid: Grid, method: str, wave=None, scale=None, clamp=False):
    """Integrate like :func:`hhsim.engine.batch.run_batch`; returns (t, v, y) recorded every step."""
    plan.structure.check_classic("the NumPy test path")  # no scheme step, GHK2 or pool options here
    solver = FIXED_STEP[method]
    ncomp = plan.ncomp
    wave = np.zeros(ncomp, dtype=int) if wave is None else np.asarray(wave)
    scale = np.ones(ncomp) if scale is None else np.asarray(scale, dtype=float)
    i_a, i_m, i_b = stimulus_arrays(stimuli, grid)

    def rhs(v, y, i):
        ph = physics(plan, v, y)
        dv = (i - np.sum(ph["I"], axis=0)) / plan.cm
        return dv, ph["A"] - ph["B"] * y

    def relax(v, y):
        ph = physics(plan, v, y)
        return ph["A"], ph["B"], ph["G"], ph["GE"], plan.cm

    step_fn = relax if method == "expeuler" else rhs
    v = plan.v0.astype(float).copy()
    y = plan.y0.astype(float).copy()
    vs = [v.copy()]
    ys = [y.copy()]
    for n in range(grid.n_steps):
        ia, im, ib = (scale * arr[n, wave] for arr in (i_a, i_m, i_b))
        with np.errstate(divide="ignore", invalid="ignore"):
            v, y = solver.numpy_step(step_fn, v, y, ia, im, ib, grid.dt, clamp)
        if clamp:
            v = ib.copy()
        y = instantaneous(plan, v, y)
        vs.append(v.copy())
        ys.append(y.copy())
    t = grid.t0 + grid.dt * np.arange(grid.n_steps + 1)
    return t, np.array(vs), np.array(ys)
