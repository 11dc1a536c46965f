"""The cable equations in plain NumPy, to test the compiled cable kernels.

Slow (the time loop is in Python) and kept only for tests: it reads the same
lowered cable (:class:`~hhsim.cable.lowering.CablePlan`: per-node
densities, areas, capacitances, axial and boundary conductances) but writes
the method-of-lines right-hand side out again with NumPy: axial currents
edge by edge, the membrane currents and gate rates from the point-neuron
NumPy path (:func:`hhsim.engine.numpy_path.physics`, which evaluates every
rate form with its own NumPy implementation), junction nodes (no membrane)
held at the conductance-weighted mean of their neighbours, and classical
RK4 in time.  Nothing here comes from the code generator.

Units: V in mV, t in ms, node currents in nA, capacitances in nF,
conductances in µS (``area`` turns a density in mS/cm² into µS).
"""

from __future__ import annotations

import numpy as np

from ..engine.batch import make_grid, stimulus_arrays
from ..physics.structure import Plan
from ..physics.evaluate import physics
from ..errors import SolverError
from .geometry import D_LAMBDA, Morphology, segment_counts
from .lowering import lower_cable, resolve_models
from .stimulus import PointStim
from .tree import build_tree


def _point_plan(plan, v0, y0) -> Plan:
    """The cable's nodes as columns of a point-neuron plan (for ``physics``)."""
    n = plan.n
    return Plan(structure=plan.structure, gbar=plan.gbar, erev=plan.erev, phi=plan.phi,
                cm=np.ones(n), rp=plan.rp, v0=np.asarray(v0, dtype=float), y0=np.asarray(y0, dtype=float),
                threshold=np.asarray(plan.thr, dtype=float))


class CableODE:
    """dV/dt and dy/dt of every node of a lowered cable (method of lines)."""

    def __init__(self, plan, v0, y0):
        self.plan = plan
        tree = plan.tree
        self.child = np.arange(1, tree.n)
        self.parent = np.asarray(tree.parent[1:], dtype=np.int64)
        self.gax = np.asarray(tree.gax[1:], dtype=float)
        self.point = _point_plan(plan, v0, y0)
        self.membrane = plan.cap > 0
        self.junctions = np.nonzero(tree.junction)[0]
        # each junction's neighbours and the conductances joining them
        self.around = [[(k, g) for k, g in tree.neighbours()[j]] for j in self.junctions]

    def hold_junctions(self, v: np.ndarray) -> np.ndarray:
        """V with every junction node at the conductance-weighted mean of its neighbours."""
        v = v.copy()
        for j, nbrs in zip(self.junctions, self.around):
            g = np.array([gk for _, gk in nbrs])
            vk = np.array([v[k] for k, _ in nbrs])
            v[j] = np.dot(g, vk) / g.sum()
        return v

    def __call__(self, v: np.ndarray, y: np.ndarray, inj: np.ndarray):
        """(dV/dt in mV/ms, dy/dt: gates 1/ms, pools mM/ms) at every node; ``inj``: injected current (nA)."""
        p = self.plan
        v = self.hold_junctions(v)
        flow = self.gax * (v[self.parent] - v[self.child])  # nA from parent into child
        axial = np.zeros(p.n)
        np.add.at(axial, self.child, flow)
        np.add.at(axial, self.parent, -flow)
        boundary = p.gfix * (p.vfix - v)
        ph = physics(self.point, v, y)
        membrane = p.area * np.sum(ph["I"], axis=0)  # nA
        dv = np.zeros(p.n)
        m = self.membrane
        dv[m] = (inj[m] + boundary[m] + axial[m] - membrane[m]) / p.cap[m]
        return dv, ph["A"] - ph["B"] * y  # gates, then ion pools


def simulate_cable_numpy(morph: Morphology, channels="hh", stimuli=None, *, t_stop: float, dt: float,
                         nseg=None, dx=None, d_lambda: float = D_LAMBDA, temperature=None,
                         boundary="sealed"):
    """Classical RK4 on the cable in NumPy, from the cable's resting state.

    Returns ``(t, v)``: times (ms) and V (mV) at every node (Hines order),
    shape (n_steps + 1, n_nodes).  Same arguments as
    :func:`hhsim.cable.simulate_cable` (explicit: keep dt small).
    """
    models = resolve_models(morph, channels, temperature)
    counts = segment_counts(morph, lambda s: models[morph.index(s.name)].Cm, dx=dx, nseg=nseg,
                            d_lambda=d_lambda)
    stimuli = [] if stimuli is None else [stimuli] if isinstance(stimuli, PointStim) else list(stimuli)
    tree = build_tree(morph, counts)
    plan = lower_cable(tree, models, boundary)
    grid = make_grid(t_stop, dt)
    sites = np.array([s.node(tree) for s in stimuli], dtype=np.int64)
    i_a, i_m, i_b = stimulus_arrays([s.waveform for s in stimuli], grid)

    def injected(row):
        inj = np.zeros(plan.n)
        for w, node in enumerate(sites):
            inj[node] += row[w]
        return inj

    v = plan.v_rest.astype(float).copy()
    y = plan.y_rest.astype(float).copy()
    f = CableODE(plan, v, y)
    vs = [v.copy()]
    for k in range(grid.n_steps):
        ia, im, ib = injected(i_a[k]), injected(i_m[k]), injected(i_b[k])
        k1v, k1y = f(v, y, ia)
        k2v, k2y = f(v + 0.5 * dt * k1v, y + 0.5 * dt * k1y, im)
        k3v, k3y = f(v + 0.5 * dt * k2v, y + 0.5 * dt * k2y, im)
        k4v, k4y = f(v + dt * k3v, y + dt * k3y, ib)
        v = v + dt / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        v = f.hold_junctions(v)
        if not np.all(np.isfinite(v)):
            raise SolverError(f"NumPy cable RK4 diverged at t = {grid.t0 + (k + 1) * dt:.4g} ms; use a smaller dt")
        vs.append(v.copy())
    t = grid.t0 + dt * np.arange(grid.n_steps + 1)
    return t, np.array(vs)
