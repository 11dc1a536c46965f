"""Adaptive reference path: scipy ``solve_ivp`` (LSODA) over the compiled right-hand side.

This reproduces what a hand-written ``odeint`` script gives (same LSODA
algorithm, same default tolerances ``1.49012e-8``), with spike times located
by ``solve_ivp``'s event finder.  The run is split at every stimulus
breakpoint so that no step straddles a jump in the current.
"""

from __future__ import annotations

import numpy as np

from ..errors import DivergenceError
from ..stim import Stimulus
from .batch import Grid
from .codegen import call_kernel, kernel_module
from ..physics.structure import Plan

ODEINT_TOL = 1.49012e-8
#: |V| (mV) at which a run has diverged: 10 V, the limit of the compiled dopri5.
V_RUNAWAY = 1e4
MAX_SEGMENTS = 1000  # beyond this many stimulus breakpoints, split the run only at jumps


def run_adaptive(plan: Plan, stimulus: Stimulus | None, grid: Grid, method: str = "LSODA",
                 rtol: float = ODEINT_TOL, atol: float = ODEINT_TOL):
    """Integrate neuron 0 of ``plan``; returns (t, V, states (n, n_states), spike_times).

    Instantaneous gates have no dynamics; their rows are filled with x_inf
    along the trace afterwards.
    """
    module = kernel_module(plan.structure)
    rhs_vec = module.rhs_vec
    args = (plan.gbar, plan.erev, plan.phi, plan.cm, plan.rp)
    call_kernel(rhs_vec, plan.structure, (np.concatenate([[plan.v0[0]], plan.y0[:, 0]]), 0.0, *args))

    def segment_rhs(end):
        """RHS on one segment; at its end the current's left limit is used."""

        def fun(t, y):
            i = float(stimulus.value(t, left=t >= end)) if stimulus is not None else 0.0
            return rhs_vec(y, i, *args)

        return fun

    thr = float(plan.threshold[0])

    def crossing(t, y):
        return y[0] - thr

    crossing.direction = 1.0

    def runaway(t, y):  # the divergence check of the compiled dopri5: |V| reaches 10 V
        return abs(y[0]) - V_RUNAWAY

    runaway.terminal = True
    runaway.direction = 1.0
    t_eval = grid.t0 + grid.dt * np.arange(grid.n_steps + 1)
    cuts = [grid.t0]
    if stimulus is not None:
        inside = [b for b in stimulus.breakpoints() if grid.t0 < b < grid.t_end]
        if len(inside) > MAX_SEGMENTS:  # many kinks (sampled input): split only at jumps
            inside = [b for b in inside if stimulus.value(b) != stimulus.value(b, left=True)]
        cuts += inside
    cuts = sorted(set(cuts)) + [grid.t_end]
    y = np.concatenate([[plan.v0[0]], plan.y0[:, 0]])
    ts, ys, spikes = [], [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        seg = t_eval[(t_eval >= a) & (t_eval < b)]
        try:
            sol = _solve_ivp()(segment_rhs(b), (a, b), y, method=method, t_eval=np.append(seg, b),
                            events=(crossing, runaway), rtol=rtol, atol=atol)
        except ValueError:  # an event's root finder on a blown-up (non-finite) interpolant
            raise DivergenceError(f"the adaptive solver (lsoda) diverged between t = {a:.4g} and {b:.4g} ms "
                                  "(the solution became non-finite); check the stimulus amplitude", float(a)) from None
        if sol.status == 1 or (sol.y.size and not np.all(np.abs(sol.y[0]) < V_RUNAWAY)):
            t_fail = float(sol.t_events[1][0]) if sol.t_events[1].size else float(sol.t[-1])
            raise DivergenceError(
                f"the adaptive solver (lsoda) stopped at t = {t_fail:.4g} ms: |V| reached {V_RUNAWAY:g} mV, "
                "outside where the model's rates are usable; check the stimulus amplitude", t_fail)
        if sol.status < 0 or not np.all(np.isfinite(sol.y)):
            t_fail = float(sol.t[-1]) if sol.t.size else float(a)
            raise DivergenceError(f"adaptive solver failed near t = {t_fail:.4g} ms: {sol.message}", t_fail)
        ts.append(sol.t[:-1])
        ys.append(sol.y.T[:-1])
        spikes.extend(sol.t_events[0].tolist())
        y = sol.y[:, -1]
    ts.append([grid.t_end])
    ys.append(y[None, :])
    t = np.concatenate(ts)
    states = np.concatenate(ys)
    v, y = np.ascontiguousarray(states[:, 0]), np.ascontiguousarray(states[:, 1:])
    if any(g.instantaneous for g in plan.structure.gates):
        y = module.inst_vec(v, y, *args)
    return t, v, y, np.array(sorted(spikes))


def _solve_ivp():
    """scipy's ``solve_ivp``, imported on the first LSODA run: scipy.integrate takes about
    0.3 s to import, and the default method (compiled dopri5) never needs it."""
    from scipy.integrate import solve_ivp

    return solve_ivp
