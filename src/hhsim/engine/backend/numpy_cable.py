"""A cable in NumPy: the explicit methods on the method-of-lines system, and the
implicit ones (cn, be) as the compiled theta step takes them.

The cable's right-hand side is the entry point's NumPy twin (the job's
``ode``: axial currents edge by edge, the membrane from
:func:`hhsim.physics.evaluate.physics`, junction nodes held at the
conductance-weighted mean of their neighbours); this module steps it with
each explicit solver's NumPy step (``FIXED_STEP[method].numpy_step``) and
times the threshold crossings as the compiled cable does
(:func:`hhsim.engine.cable_driver.crossings`: the cubic through the four
samples around the crossing, linear on the first interval, the parabola on
the last).

The implicit methods (:func:`hhsim.engine.cable_driver.theta_step`, NEURON's
staggered scheme): the gates relaxed exactly over ``tau`` (half a step at the
start, then a whole one) at V(t); the membrane linearised there (``G``, ``GE``
from :func:`hhsim.physics.evaluate.physics`); the tree's matrix (capacitance
over ``theta h``, membrane, axial and boundary conductances) solved by SciPy's
sparse LU; V at the end from V at the theta point.  Crank-Nicolson takes the
step holding a stimulus edge, and the next, as two backward-Euler half steps
(Rannacher's start-up), as the compiled driver does.  Units: V mV, t ms, node
currents nA, capacitances nF, conductances µS.

A cable cell in a network (:mod:`hhsim.engine.backend.numpy_cable_cells`) takes the
same steps one at a time (:meth:`NumpyCable.step`), with a synaptic conductance at one
node held over the step: in the implicit matrix like a channel's, or its current added
to the injected one at every stage of an explicit method, as the compiled cell steps
(:mod:`hhsim.engine.network_cables`) take it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ...errors import DivergenceError
from ...physics.evaluate import physics
from ..batch import Grid, stimulus_arrays
from ..kernel_series import _cubic_crossing_py
from ..solvers import FIXED_STEP, METHODS, names
from .base import CableJob
from .numpy_common import check_method

#: The cable methods the NumPy back end runs: the explicit ones, and the theta methods.
EXPLICIT = tuple(m for m in names("cable") if METHODS[m].explicit and m in FIXED_STEP)
IMPLICIT = tuple(m for m in names("cable") if not METHODS[m].explicit and METHODS[m].theta is not None)


def crossing_fraction(prev2, a, b, nxt, thr, first: bool, final: bool) -> float:
    """Fraction of the interval from a to b (a < thr <= b) where V crosses ``thr``: linear on
    the first interval, the parabola through (prev2, a, b) on the last, else the cubic through
    (prev2, a, b, nxt) at s = -1, 0, 1, 2."""
    if first:
        return (thr - a) / (b - a)
    if final:
        return _cubic_crossing_py(a, 0.5 * (b - prev2), 0.5 * (prev2 - 2.0 * a + b), 0.0, thr)
    c1 = -prev2 / 3.0 - a / 2.0 + b - nxt / 6.0
    c2 = prev2 / 2.0 - a + b / 2.0
    c3 = -prev2 / 6.0 + a / 2.0 - b / 2.0 + nxt / 6.0
    return _cubic_crossing_py(a, c1, c2, c3, thr)


class Synapse(NamedTuple):
    """A synaptic conductance held over a step at one node of a cable."""

    node: int   # the synapse node
    g: float    # conductance, µS
    ge: float   # g E, nA (E the reversal potential, mV)


class _WithSynapse:
    """The cable's right-hand side ``f`` with a :class:`Synapse`'s current ``ge - g V`` (nA)
    added to the injected current of its node at every stage."""

    def __init__(self, f, synapse: Synapse):
        self.f, self.syn = f, synapse

    def __call__(self, v: np.ndarray, y: np.ndarray, inj: np.ndarray):
        inj = inj.copy()
        inj[self.syn.node] += self.syn.ge - self.syn.g * v[self.syn.node]
        return self.f(v, y, inj)


class NumpyCable:
    """Runs a :class:`CableJob` in NumPy; holds the records ``CableResult.build`` reads."""

    def __init__(self, job: CableJob):
        check_method(job.method, EXPLICIT + IMPLICIT, " on cables")
        self.job, self.plan, self.dt = job, job.plan, job.dt
        self.f = job.ode(job.plan, job.v0, job.y0)
        self.theta = job.theta
        if self.theta is None:
            self.step_fn = FIXED_STEP[job.method].numpy_step
        else:
            self.plan.structure.check_classic("the NumPy back end's implicit cable methods")
            self.h_prev = 0.0  # the gates start with V (no stagger yet)
            self.edges = sorted({e for w in job.waves for e in w.breakpoints() if math.isfinite(e) and e >= 0})
        tree = self.plan.tree
        self.child = np.arange(1, self.plan.n)
        self.parent = np.asarray(tree.parent[1:], dtype=np.int64)
        self.gax = np.asarray(tree.gax[1:], dtype=float)
        # each node's axial and boundary conductance (µS)
        self.sumg = np.asarray(self.plan.gfix, dtype=float).copy()
        np.add.at(self.sumg, self.parent, self.gax)
        self.sumg[1:] += self.gax
        self.v = np.asarray(job.v0, dtype=float).copy()
        self.y = np.asarray(job.y0, dtype=float).copy()
        self.rec_nodes = np.asarray(job.rec_nodes, dtype=np.int64)
        self.history = [self.v.copy()]
        self.vmax = self.v.copy()
        self.t_rec = [np.array([0.0])]
        self.v_rec = [self.v[self.rec_nodes][None, :].copy()]
        self.steps = 0
        n = self.plan.n
        self.spk_t = np.full((n, job.max_crossings), np.nan)
        self.spk_n = np.zeros(n, dtype=np.int64)

    def _injected(self, row: np.ndarray) -> np.ndarray:
        inj = np.zeros(self.plan.n)
        np.add.at(inj, self.job.sites, row[:len(self.job.sites)])
        return inj

    def advance(self, n_steps: int, progress: bool = False) -> None:
        dt, n0 = self.dt, self.steps
        i_a, i_m, i_b = stimulus_arrays(self.job.waves, Grid(n0 * dt, dt, n_steps))
        every = self.job.record_every
        for k in range(n_steps):
            self.v, self.y = self.step(n0 + k, [self._injected(arr[k]) for arr in (i_a, i_m, i_b)])
            if not np.all(np.abs(self.v) < 1e4):
                t_fail = (n0 + k + 1) * dt
                raise DivergenceError(f"cable simulation diverged at t = {t_fail:.4g} ms (method {self.job.method}, "
                                      f"dt = {dt:g} ms, backend numpy); use a smaller dt", t_fail)
            np.maximum(self.vmax, self.v, out=self.vmax)
            self.history.append(self.v.copy())
            if (n0 + k + 1) % every == 0:
                self.t_rec.append(np.array([(n0 + k + 1) * dt]))
                self.v_rec.append(self.v[self.rec_nodes][None, :].copy())
        self.steps += n_steps

    def step(self, step: int, drive, synapse: Synapse | None = None):
        """(V, states) after step ``step`` (counted from the run's start) from the present state,
        with the injected currents ``drive`` (nA per node at the step's start, middle and end)
        and a ``synapse`` held over the step; junction nodes held.  The state is not set here
        (an implicit method's record of the last step's length is)."""
        with np.errstate(all="ignore"):
            if self.theta is None:
                f = self.f if synapse is None else _WithSynapse(self.f, synapse)
                v, y = self.step_fn(f, self.v, self.y, *drive, self.dt, False)
            else:
                v, y = self._theta_step(drive[1] if self.theta == 0.5 else drive[2], drive[2], step, synapse)
        return self.f.hold_junctions(v), y

    def node_current(self, c: int, tau: float) -> float:
        """Node c's membrane, axial and boundary current (nA, into the node) at the present V,
        its states first relaxed over ``tau`` ms at that V (a copy: the state is kept)."""
        p, v = self.plan, self.v
        y = self.y
        if tau > 0.0:
            ph = physics(self.f.point, v, y)
            x_inf = ph["A"] / ph["B"]
            y = x_inf + (y - x_inf) * np.exp(-ph["B"] * tau)
        lin = physics(self.f.point, v, y)
        cur = p.area[c] * (lin["GE"][c] - lin["G"][c] * v[c]) + p.bfix[c] - self.sumg[c] * v[c]
        for k, g in p.tree.neighbours()[c]:
            cur += g * v[k]
        return float(cur)

    def _split(self, step: int) -> bool:
        """Crank-Nicolson's step ``step`` holds a stimulus edge, or follows one."""
        return self.theta == 0.5 and any(int(math.floor(e / self.dt + 1e-9)) in (step, step - 1)
                                         for e in self.edges)

    def _solve(self, d: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The tree's matrix (diagonal ``d``, axial conductances off it) solved for ``b``."""
        from scipy.sparse import csc_matrix
        from scipy.sparse.linalg import spsolve

        n = self.plan.n
        rows = np.concatenate([np.arange(n), self.child, self.parent])
        cols = np.concatenate([np.arange(n), self.parent, self.child])
        vals = np.concatenate([d, -self.gax, -self.gax])
        return spsolve(csc_matrix((vals, (rows, cols)), shape=(n, n)), b)

    def _theta_step(self, inj_theta: np.ndarray, inj_end: np.ndarray, step: int, synapse: Synapse | None = None):
        """One theta step of ``dt``: (V at its end, the gates at its middle); a ``synapse``'s
        conductance in the matrix, its g E on the right-hand side."""
        p, v, dt, theta = self.plan, self.v, self.dt, self.theta
        tau = 0.5 * (self.h_prev + dt)
        self.h_prev = dt
        ph = physics(self.f.point, v, self.y)
        x_inf = ph["A"] / ph["B"]
        y = x_inf + (self.y - x_inf) * np.exp(-ph["B"] * tau)
        lin = physics(self.f.point, v, y)
        inv_tdt = 1.0 / (theta * dt)
        cd = p.cap * inv_tdt
        d = cd + p.area * lin["G"] + self.sumg
        b = cd * v + p.area * lin["GE"] + p.bfix
        if synapse is not None:
            d[synapse.node] += synapse.g
            b[synapse.node] += synapse.ge
        if self._split(step):  # two backward-Euler half steps, the same matrix
            half = self._solve(d, b + inj_theta)
            return self._solve(d, b + cd * (half - v) + inj_end), y
        inv_theta = 1.0 / theta
        return self._solve(d, b + inj_theta) * inv_theta - (inv_theta - 1.0) * v, y

    def finish(self) -> None:
        """Time every node's upward crossings of its threshold on the whole history."""
        V = np.array(self.history)
        thr = self.plan.thr
        last = V.shape[0] - 1
        for n, c in zip(*np.nonzero((V[:-1] < thr) & (V[1:] >= thr))):
            n = int(n) + 1  # the interval [t_(n-1), t_n]
            s = crossing_fraction(V[n - 2, c] if n >= 2 else np.nan, V[n - 1, c], V[n, c],
                                  V[n + 1, c] if n < last else np.nan, thr[c], n < 2, n == last)
            k = self.spk_n[c]
            if k < self.spk_t.shape[1]:
                self.spk_t[c, k] = (n - 1 + s) * self.dt
            self.spk_n[c] = k + 1
