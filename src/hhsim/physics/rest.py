"""Resting potentials of many neurons at once: the roots of their steady-state I-V curves.

For a plan of ``n`` neurons of one structure without concentration pools
(:class:`~hhsim.physics.structure.Plan`), :func:`resting_potentials` finds
each neuron's rest as :meth:`hhsim.model.Model.resting_potential` defines
it: the steady-state current (every gate at its steady state at V) is
tabulated on a 0.25 mV grid from -150 to 150 mV, every sign change is
refined to a root by Brent's method, and the most hyperpolarised root where
the steady-state conductance is positive (stable in V) is taken, else the
first root.

Every neuron's root is refined at the same time: one evaluation of the
NumPy physics per iteration for all brackets, each bracket advancing by
its own Brent step (R. P. Brent, *Algorithms for minimization without
derivatives*, 1973, ch. 4, in the form of scipy's ``brentq``) and frozen
once it has converged.  The arithmetic of a column never involves another
column, so a neuron's rest is the same alone (``Model.resting_potential``
calls this with one column) and in a batch of ten thousand, where one
``brentq`` per model took about 0.3 ms of Python per neuron.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .evaluate import open_fraction, physics
from .structure import Plan

#: The grid on which sign changes are looked for (mV).
GRID = np.arange(-150.0, 150.0 + 1e-9, 0.25)
#: Brent's tolerances: |error| <= (XTOL + RTOL |V|) / 2 (mV), as before with scipy's brentq.
XTOL, RTOL = 1e-13, 1e-15
MAX_ITERATIONS = 200
#: Half-width (mV) of the stability test: dI/dV > 0 across the root.
STABILITY_DV = 1e-4


def steady_current(plan: Plan, v, columns=None) -> np.ndarray:
    """Total ionic current (µA/cm², outward positive) with every gate at its steady state at V.

    ``v`` broadcasts against the plan's columns (or against ``columns``, an
    index array choosing a column per entry of the last axis of ``v``).
    When the neurons share their gates' kinetics (rate parameters and
    temperature factors) and every channel is ohmic, the gates are evaluated
    once per voltage and each neuron's current is sum_i (gbar_i open_i) (V - E_i),
    channel by channel: a batch varying conductances or reversal potentials
    then costs a few multiplications per neuron and voltage.
    """
    v = np.asarray(v, dtype=float)
    if _shares_gates(plan):
        one = plan.columns(np.zeros(1, dtype=np.int64))
        x = physics(one, v, np.zeros((plan.structure.n_states,) + v.shape), steady=True)["x_eff"]
        gbar, erev = (plan.gbar, plan.erev) if columns is None else (plan.gbar[:, columns], plan.erev[:, columns])
        total = 0.0
        for i, gates in enumerate(plan.structure.channel_gates):
            if plan.structure.open_code(i):
                opened = open_fraction(plan.structure, i, x, one.rp)
            else:
                opened = np.ones(v.shape)
                for j in gates:
                    opened = opened * x[j] ** plan.structure.gates[j].power
            total = total + (gbar[i] * opened) * (v - erev[i])
        return np.broadcast_to(total, np.broadcast_shapes(v.shape, gbar.shape[1:])) + 0.0
    if columns is not None:
        plan = plan.columns(columns)
    shape = np.broadcast_shapes(v.shape, (plan.ncomp,))
    y = np.zeros((plan.structure.n_states,) + shape)
    return physics(plan, np.broadcast_to(v, shape), y, steady=True)["I"].sum(axis=0)


def _shares_gates(plan: Plan) -> bool:
    """Every channel ohmic and every neuron with the first one's rate parameters and temperature factors."""
    s = plan.structure
    if any(s.mode(i) != "ohmic" for i in range(s.n_channels)):
        return False
    return plan.shares_kinetics


def brent(f, a: np.ndarray, b: np.ndarray, fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """Roots of ``f`` in the brackets [a, b] (fa, fb of opposite signs), all at once.

    ``f(x)`` evaluates every bracket's function at the (m,) points ``x``.
    Each bracket runs Brent's iteration on its own and stops when its step
    falls below (XTOL + RTOL |x|) / 2; finished brackets keep their root.
    """
    xpre, xcur = a.astype(float).copy(), b.astype(float).copy()
    fpre, fcur = fa.astype(float).copy(), fb.astype(float).copy()
    xblk, fblk = np.zeros_like(xpre), np.zeros_like(xpre)
    spre, scur = np.zeros_like(xpre), np.zeros_like(xpre)
    root = np.where(fpre == 0, xpre, np.where(fcur == 0, xcur, np.nan))
    active = np.isnan(root)
    for _ in range(MAX_ITERATIONS):
        if not active.any():
            return root
        new_block = (fpre != 0) & (fcur != 0) & (np.signbit(fpre) != np.signbit(fcur))
        xblk = np.where(new_block, xpre, xblk)
        fblk = np.where(new_block, fpre, fblk)
        spre = np.where(new_block, xcur - xpre, spre)
        scur = np.where(new_block, xcur - xpre, scur)
        swap = np.abs(fblk) < np.abs(fcur)
        xpre, xcur, xblk = np.where(swap, xcur, xpre), np.where(swap, xblk, xcur), np.where(swap, xcur, xblk)
        fpre, fcur, fblk = np.where(swap, fcur, fpre), np.where(swap, fblk, fcur), np.where(swap, fcur, fblk)
        delta = (XTOL + RTOL * np.abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        done = active & ((fcur == 0) | (np.abs(sbis) < delta))
        root = np.where(done, xcur, root)
        active &= ~done
        if not active.any():
            return root
        with np.errstate(divide="ignore", invalid="ignore"):
            interpolate = -fcur * (xcur - xpre) / (fcur - fpre)
            dpre = (fpre - fcur) / (xpre - xcur)
            dblk = (fblk - fcur) / (xblk - xcur)
            extrapolate = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
        stry = np.where(xpre == xblk, interpolate, extrapolate)
        try_step = (np.abs(spre) > delta) & (np.abs(fcur) < np.abs(fpre))
        good = try_step & (2 * np.abs(stry) < np.minimum(np.abs(spre), 3 * np.abs(sbis) - delta))
        spre, scur = np.where(good, scur, sbis), np.where(good, stry, sbis)
        xpre, fpre = xcur.copy(), fcur.copy()
        step = np.where(np.abs(scur) > delta, scur, np.where(sbis > 0, delta, -delta))
        xcur = np.where(active, xcur + step, xcur)
        fcur = np.where(active, f(xcur), fcur)
    raise ParameterError(f"the resting potential did not converge in {MAX_ITERATIONS} iterations")


def resting_potentials(plan: Plan, names: list[str] | None = None) -> np.ndarray:
    """(n,) resting potentials (mV) of the plan's neurons (a structure without pools).

    ``names``: each neuron's model name, for the message when one has no
    resting potential between -150 and 150 mV.
    """
    if plan.structure.n_pools:
        raise ValueError("resting_potentials: a structure with pools needs Model.resting_potential")
    n = plan.ncomp
    rest = np.empty(n)
    for lo in range(0, n, COLUMNS_AT_ONCE):
        hi = min(n, lo + COLUMNS_AT_ONCE)
        rest[lo:hi] = _rest(plan.columns(np.arange(lo, hi)) if (lo, hi) != (0, n) else plan)
    missing = np.flatnonzero(np.isnan(rest))
    if missing.size:
        name = names[missing[0] if len(names) > 1 else 0] if names else "the model"
        raise ParameterError(
            f"model {name!r} has no resting potential between -150 and 150 mV; give an initial voltage (v_init)"
        )
    return rest


#: Neurons whose I-V curves are tabulated together (their arrays stay in the cache).
COLUMNS_AT_ONCE = 4096
#: Grid intervals tabulated at a time, from -150 mV up: a neuron stops at its
#: first stable root (the one taken), so most look at 90 mV of the 300.
WINDOW = 80


def _rest(plan: Plan) -> np.ndarray:
    """Resting potentials of the plan's neurons (NaN where there is no root)."""
    n = plan.ncomp
    rest, first, last = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    pending = np.arange(n)
    for start in range(0, GRID.size - 1, WINDOW):
        if pending.size == 0:
            break
        points = GRID[start: start + WINDOW + 1]
        sub = plan.columns(pending) if pending.size != n else plan
        cur = steady_current(sub, points[:, None])  # (points, pending)
        change = np.sign(cur[:-1]) * np.sign(cur[1:]) <= 0
        grid_i, col = np.nonzero(change)
        if grid_i.size:
            order = np.lexsort((grid_i, col))  # each neuron's brackets in grid order
            grid_i, col = grid_i[order], col[order]
            a, b = points[grid_i], points[grid_i + 1]
            fa, fb = cur[grid_i, col], cur[grid_i + 1, col]
            roots = brent(lambda x: steady_current(sub, x, col), a, b, fa, fb)
            stable = steady_current(sub, roots + STABILITY_DV, col) > steady_current(sub, roots - STABILITY_DV, col)
            for r, c, ok in zip(roots.tolist(), pending[col].tolist(), stable.tolist()):
                if not np.isnan(rest[c]):
                    continue  # its rest is found: later roots do not count
                if not np.isnan(last[c]) and abs(r - last[c]) <= 1e-9:
                    continue  # the same root from two adjacent brackets
                last[c] = r
                if np.isnan(first[c]):
                    first[c] = r
                if ok:
                    rest[c] = r
        pending = pending[np.isnan(rest[pending])]
    return np.where(np.isnan(rest), first, rest)
