"""The same equations in plain NumPy, vectorised over compartments.

Slow (the time loop is in Python) and kept only to test the generated,
compiled kernels: it reads the same :class:`~hhsim.engine.lower.Plan` but
evaluates the rate forms with their NumPy implementations.
"""

from __future__ import annotations

import numpy as np

from ..channels.base import FORMS
from .batch import Grid, stimulus_arrays
from .lower import Plan
from .solvers import FIXED_STEP


def _relaxation(plan: Plan, v: np.ndarray):
    """Gate coefficients A, B (n_gates, ncomp) with dx/dt = A - B x."""
    s = plan.structure
    A = np.empty((s.n_gates, plan.ncomp))
    B = np.empty_like(A)
    for j, g in enumerate(s.gates):
        fa, fb = (
            FORMS[kind](*plan.rp[off: off + len(FORMS[kind].param_names)])
            for kind, off in zip(g.form_kinds, g.param_offsets)
        )
        phi = plan.phi[g.channel_index]
        if g.form_names == ("alpha", "beta"):
            a, b = fa(v), fb(v)
            A[j], B[j] = phi * a, phi * (a + b)
        else:
            tau = fb(v)
            A[j], B[j] = phi * fa(v) / tau, phi / tau
    return A, B


def _conductances(plan: Plan, y: np.ndarray) -> np.ndarray:
    s = plan.structure
    g = plan.gbar.copy()
    for i, idx in enumerate(s.channel_gates):
        for j in idx:
            g[i] = g[i] * y[j] ** s.gates[j].power
    return g


def run_numpy(plan: Plan, stimuli, grid: Grid, method: str, wave=None, scale=None, clamp=False):
    """Integrate like :func:`hhsim.engine.batch.run_batch`; returns (t, v, y) recorded every step."""
    solver = FIXED_STEP[method]
    ncomp = plan.ncomp
    wave = np.zeros(ncomp, dtype=int) if wave is None else np.asarray(wave)
    scale = np.ones(ncomp) if scale is None else np.asarray(scale, dtype=float)
    i_a, i_m, i_b = stimulus_arrays(stimuli, grid)

    def rhs(v, y, i):
        A, B = _relaxation(plan, v)
        g = _conductances(plan, y)
        dv = (i - np.sum(g * (v - plan.erev), axis=0)) / plan.cm
        return dv, A - B * y

    def relax(v, y):
        A, B = _relaxation(plan, v)
        g = _conductances(plan, y)
        return A, B, g.sum(axis=0), (g * plan.erev).sum(axis=0), plan.cm

    step_fn = relax if method == "expeuler" else rhs
    v = plan.v0.astype(float).copy()
    y = plan.y0.astype(float).copy()
    vs = [v.copy()]
    ys = [y.copy()]
    for n in range(grid.n_steps):
        ia, im, ib = (scale * arr[n, wave] for arr in (i_a, i_m, i_b))
        v, y = solver.numpy_step(step_fn, v, y, ia, im, ib, grid.dt, clamp)
        if clamp:
            v = ib.copy()
        vs.append(v.copy())
        ys.append(y.copy())
    t = grid.t0 + grid.dt * np.arange(grid.n_steps + 1)
    return t, np.array(vs), np.array(ys)
