"""The time loop of a network with cable cells, compiled: no Python per step.

A population of cable cells (:class:`hhsim.network.CableCell`) sits in the
network's node arrays as one proxy node per cell (its V the cell's synapse
node's); the cells themselves are trees of compartments, advanced here by the
cable kernels (:mod:`hhsim.engine.cable_driver`: ``theta_step`` for ``cn``
and ``be``, ``euler_step``, ``rk4_step``) that :func:`hhsim.cable.simulate_cable`
and :class:`hhsim.cable.CableStepper` run.  One step ``n`` of
:func:`run_steps`, all of it compiled:

1. each cell's synaptic conductance at its synapse node at the step's start
   (:func:`~hhsim.engine.network_driver.synaptic_conductance`, mS/cm², turned
   into µS and nA by the node's area), held over the step;
2. the point neurons and the events: the network loop's own compiled step
   (:func:`hhsim.engine.network_loop.steps`, one thread);
3. every cable cell's step; its detection node's crossing of the threshold
   located on the cubic Hermite interpolant of V over the step, with dV/dt at
   both ends from the cable equation of that node (:func:`node_current`), under
   the dead-time rule of :func:`hhsim.engine.network_driver.crossing`; the
   proxy's V set from the synapse node;
4. the cells' spikes noted in the spike monitor and queued over their edges;
   the detection nodes' V recorded every ``every`` steps.

A step that needs a buffer to grow returns to Python with a status, and is
resumed where it stopped (the record :class:`~hhsim.engine.network_tables.CableRun`
holds how far it got), so that no part of a step runs twice.

Cells of one population share their structure (the record
:class:`~hhsim.engine.network_tables.CableShape`); their states are stacked in arrays of
one more dimension (:class:`~hhsim.engine.network_tables.CableCells`).

The slopes.  dV/dt of the detection node c at a time is
``(I_c + g_s (E_s - V_c) + I_stim) / C_c`` with ``I_c`` the membrane current
(the structure's ``membrane_step`` linearises it exactly at V: ``G V - GE``),
the axial currents from its neighbours and the sealed or clamped boundary's,
``g_s``, ``E_s`` the synaptic terms held over the step and ``I_stim`` the
cell's own stimulus at the node (nA; capacitance in nF: mV/ms).  At a step's
end the gates are needed there: the explicit methods have them; the theta
methods keep them half a step behind V (staggered), so a copy of the node's
gates is relaxed over that half step at the new V (as the next step would
relax them), an error O(dt²) in the slope, O(dt³) in the interpolant.  The
step's start slope is the previous end's membrane and axial current with this
step's inputs.  A detection node without membrane (a junction) is located
linearly.

Units: t in ms, V in mV, node currents in nA, conductances in µS, capacitance
in nF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np
from numba import njit, typeof, types

# numba types a CompiledFunction inside a record (a tuple, a NamedTuple) through
# its registration here (imported for that side effect)
import numba.experimental.function_type  # noqa: F401

from .batch import Grid, stimulus_arrays
from .cable_driver import MEMBRANE_SIGNATURES, euler_step, rk4_step, theta_step
from .function_values import CompiledFunction
from .kernel_helpers import hermite_crossing
from .network_driver import DIVERGED, DONE, GROW_MONITOR, GROW_QUEUE, dead_time, inject_spikes, monitor_spikes, \
    released, synaptic_conductance
from .network_loop import steps
from .network_tables import CableCells, CableRun, CableShape
from .tree_solve import REDUCED_SIZE

#: Status of :func:`run_steps` when a cable cell's V blew up (with the step).
CABLE_DIVERGED = -6
#: The cable methods by their code in :class:`CableShape`.
THETA, EULER, RK4 = 0, 1, 2
#: |V| (mV) beyond which a cell counts as diverged (the cable kernels' own limit).
_V_LIMIT = 1e4
#: How far step n of :func:`run_steps` got (``CableRun.stage``) when it returned to Python:
#: not begun, the cells' synaptic terms taken, the point neurons' step done, the cells stepped.
NOT_BEGUN, TERMS_TAKEN, POINT_DONE, CELLS_DONE = 0, 1, 2, 3


@dataclass(frozen=True)
class StepperArrays:
    """What a :class:`~hhsim.cable.CableStepper` advances a cell with (made by its
    ``arrays()``): the lowered cable ``plan`` (cap nF, area µS per mS/cm², gfix µS,
    bfix nA, tree.parent, tree.gax µS), the generated module ``mod``, the method
    (``theta`` None for an explicit one), the parameter runs, each node's axial and
    boundary conductance ``sumg`` (µS), the junction lists, the chain solve's
    ``chain``/``probe``, the point stimuli (sites, waveforms, edges in ms), the
    state ``v`` (mV) and ``y`` at the start."""

    plan: object
    mod: object
    method: str
    theta: float | None
    dt: float
    PT: np.ndarray
    runs: np.ndarray
    sumg: np.ndarray
    alg: tuple
    chain: bool
    probe: int
    sites: np.ndarray
    site_wave: np.ndarray
    site_scale: np.ndarray
    waves: list
    edges: list
    v: np.ndarray
    y: np.ndarray


# ------------------------------------------------------------------ compiled
@njit(cache=True, error_model="numpy", fastmath=False)
def node_current(mem, c, v, y, ys, G, GE, tau, PT, runs, area, sumg, bfix, nbr, nbr_g):
    """Node c's membrane, axial and boundary current (nA, into the node) at the V in
    ``v``, its gates ``y[:, c]`` first relaxed over ``tau`` ms at that V in the
    scratch ``ys`` (``y`` is left alone); ``G``, ``GE``: scratch."""
    for j in range(y.shape[0]):
        ys[j, c] = y[j, c]
    mem[0](v, ys, G, GE, PT, runs, tau, c, c + 1)  # the structure's membrane_step, node c alone
    V = v[c]
    cur = area[c] * (GE[c] - G[c] * V) + bfix[c] - sumg[c] * V
    for q in range(nbr.shape[0]):
        cur += nbr_g[q] * v[nbr[q]]
    return cur


@njit(cache=True, error_model="numpy", fastmath=False)
def _stimulus_at(c, site_node, site_wave, site_scale, rows, k):
    """The cell's own stimulus (nA) into node c from row k of ``rows``."""
    s = 0.0
    for q in range(site_node.shape[0]):
        if site_node[q] == c:
            s += site_scale[q] * rows[k, site_wave[q]]
    return s


@njit(cache=True, error_model="numpy", fastmath=False)
def _holds_edge(edge_steps, n):
    """Does step n hold an edge of the cell's stimuli?"""
    j = np.searchsorted(edge_steps, n)
    return j < edge_steps.shape[0] and edge_steps[j] == n


@njit(cache=True, error_model="numpy", fastmath=False)
def locate_spike(i, t, dt, V0, V1, m0, m1, thr, last, refr, hold):
    """The spike time (ms) of network node i, a cable cell whose detection node went
    from V0 to V1 (mV) over the step [t, t + dt] (``m0``, ``m1``: dV/dt at its ends
    times dt), or NaN: an upward crossing of ``thr`` on the cubic Hermite
    interpolant, under the dead-time rule of
    :func:`hhsim.engine.network_driver.crossing` (a crossing within ``refr[i]`` of
    the last spike ``last[i]`` held to the dead time's end and emitted there if V is
    at or above threshold then, in this step or a later one: ``hold[i]``)."""
    out = math.nan
    if V0 < thr <= V1:
        ts = t + dt * hermite_crossing(V0, V1, m0, m1, thr)
        out, wait = dead_time(ts, last[i], refr[i], V0, V1, m0, m1, t, dt, thr)
        if wait < math.inf:
            hold[i] = wait
    elif hold[i] <= t + dt:
        out = released(hold[i], V0, V1, m0, m1, t, dt, thr)
        hold[i] = math.inf
    if out == out:
        last[i] = out
        hold[i] = math.inf
    return out


@njit(cache=True, error_model="numpy", fastmath=False)
def advance_theta(sh, cc, q, n, k, dt):
    """Advance cell q of a population by step n (row k of the chunk's stimuli) with
    its synaptic terms, by the theta method (Crank-Nicolson's two backward-Euler half
    steps at a stimulus edge and the step after, as the cable stepper takes them);
    False if its V blew up."""
    site = sh.site
    cc.g_ext[site] = cc.g_syn[q]
    cc.ge_ext[site] = cc.ge_syn[q]
    split = False
    if sh.theta == 0.5 and sh.edge_steps.shape[0] > 0:
        split = _holds_edge(sh.edge_steps, n) or _holds_edge(sh.edge_steps, n - 1)
    tau = 0.5 * (cc.h_prev[0] + dt)
    i_t = sh.i_m if sh.theta == 0.5 else sh.i_b
    return theta_step(sh.mem, sh.theta, split, sh.chain, sh.probe, cc.v[q], cc.y[q], tau, dt, cc.G, cc.GE,
                      cc.vmax[q], cc.hist[q], (n + 1) % 4, sh.PT, sh.runs, sh.cap, sh.area, sh.sumg, sh.bfix,
                      sh.parent, sh.gax, cc.g_ext, cc.ge_ext, cc.zeros, sh.site_node, sh.site_wave, sh.site_scale,
                      i_t, sh.i_b, k, sh.alg_idx, sh.alg_ptr, sh.alg_nbr, sh.alg_g, cc.d, cc.b, cc.d2, cc.b2, cc.cw,
                      cc.red)


@njit(cache=True, error_model="numpy", inline="always")
def _explicit_site_terms(sh, cc, q):
    """Cell q's synaptic terms at its synapse node into the explicit kernels' node
    conductance ``gf`` (µS) and current ``bf`` (nA), beside the node's fixed ones."""
    cc.gf[sh.site] = sh.gfix[sh.site] + cc.g_syn[q]
    cc.bf[sh.site] = sh.bfix[sh.site] + cc.ge_syn[q]


@njit(cache=True, error_model="numpy", fastmath=False)
def advance_euler(sh, cc, q, n, k, dt):
    """:func:`advance_theta` by forward Euler."""
    _explicit_site_terms(sh, cc, q)
    return euler_step(sh.mem, cc.v[q], cc.y[q], cc.vmax[q], sh.PT, sh.runs, sh.area, sh.icap, sh.parent, sh.gax,
                      cc.gf, cc.bf, sh.alg_idx, sh.alg_ptr, sh.alg_nbr, sh.alg_g, sh.site_node, sh.site_wave,
                      sh.site_scale, sh.i_a, k, dt, cc.inj, cc.dv, cc.dy, cc.ia, cc.zeros)


@njit(cache=True, error_model="numpy", fastmath=False)
def advance_rk4(sh, cc, q, n, k, dt):
    """:func:`advance_theta` by the classical Runge-Kutta method."""
    _explicit_site_terms(sh, cc, q)
    return rk4_step(sh.mem, cc.v[q], cc.y[q], cc.vmax[q], sh.PT, sh.runs, sh.area, sh.icap, sh.parent, sh.gax,
                    cc.gf, cc.bf, sh.alg_idx, sh.alg_ptr, sh.alg_nbr, sh.alg_g, sh.site_node, sh.site_wave,
                    sh.site_scale, sh.i_a, sh.i_m, sh.i_b, k, dt, cc.inj, cc.kv, cc.ky, cc.vs, cc.ys2, cc.ia,
                    cc.zeros)


#: The cell step of each method, by its code.
ADVANCE = {THETA: advance_theta, EULER: advance_euler, RK4: advance_rk4}


@njit(cache=True, error_model="numpy", fastmath=False)
def _end_current(sh, cc, q, dt):
    """Cell q's detection node's membrane, axial and boundary current (nA) at the end
    of the step just taken (the theta methods' gates relaxed the half step they lag)."""
    tau = 0.5 * dt if sh.method == THETA else 0.0
    return node_current(sh.mem, sh.detect, cc.v[q], cc.y[q], cc.ys, cc.G, cc.GE, tau, sh.PT, sh.runs, sh.area,
                        sh.sumg, sh.bfix, sh.nbr, sh.nbr_g)


@njit(cache=True, error_model="numpy", fastmath=False)
def start_currents(shapes, cells):
    """Every cell's detection node current (nA) at the run's start (gates and V together)."""
    for p in range(len(shapes)):
        sh, cc = shapes[p], cells[p]
        for q in range(cc.v.shape[0]):
            cc.cur[q] = node_current(sh.mem, sh.detect, cc.v[q], cc.y[q], cc.ys, cc.G, cc.GE, 0.0, sh.PT,
                                     sh.runs, sh.area, sh.sumg, sh.bfix, sh.nbr, sh.nbr_g)


@njit(cache=True, error_model="numpy", fastmath=False)
def _synaptic_terms(n, t0, dt, v, LIN, KIN, GAP, shapes, cells):
    """Each cell's synaptic conductance (µS) and g E (nA) at its synapse node, at the
    start of step n, held over the step."""
    t = t0 + n * dt
    for p in range(len(shapes)):
        sh, cc = shapes[p], cells[p]
        scale = sh.area[sh.site]
        for q in range(cc.v.shape[0]):
            G, GE = synaptic_conductance(sh.first + q, t, LIN, KIN, GAP, v)
            cc.g_syn[q] = G * scale
            cc.ge_syn[q] = GE * scale


@njit(cache=True, error_model="numpy", fastmath=False)
def _cells_step(n, k, t0, dt, v, SPK, shapes, cells, advance, run):
    """Every cable cell's step n (row k of the chunk's stimuli) by its population's
    ``advance`` (:data:`ADVANCE`), its spike located; False if a cell's V blew up."""
    last, refr = SPK.last, SPK.refr
    t = t0 + n * dt
    run.sp_n[0] = 0
    for p in range(len(shapes)):
        sh, cc = shapes[p], cells[p]
        c = sh.detect
        for q in range(cc.v.shape[0]):
            V0 = cc.v[q, c]
            if not advance[p](sh, cc, q, n, k, dt):
                return False
            V1 = cc.v[q, c]
            if not (abs(V1) < _V_LIMIT):
                return False
            cur1 = _end_current(sh, cc, q, dt)
            if sh.cap[c] > 0.0:
                syn0 = cc.ge_syn[q] - cc.g_syn[q] * V0 if c == sh.site else 0.0
                syn1 = cc.ge_syn[q] - cc.g_syn[q] * V1 if c == sh.site else 0.0
                s0 = _stimulus_at(c, sh.site_node, sh.site_wave, sh.site_scale, sh.i_a, k)
                s1 = _stimulus_at(c, sh.site_node, sh.site_wave, sh.site_scale, sh.i_b, k)
                m0 = dt * (cc.cur[q] + syn0 + s0) / sh.cap[c]
                m1 = dt * (cur1 + syn1 + s1) / sh.cap[c]
            else:  # no membrane: the chord (the Hermite cubic is then the line)
                m0 = m1 = V1 - V0
            cc.cur[q] = cur1
            i = sh.first + q
            ts = locate_spike(i, t, dt, V0, V1, m0, m1, sh.thr, last, refr, run.hold)
            if ts == ts:
                run.sp_t[run.sp_n[0]] = ts
                run.sp_src[run.sp_n[0]] = i
                run.sp_n[0] += 1
            v[i] = cc.v[q, sh.site]
        if sh.method == THETA:
            cc.h_prev[0] = dt
    return True


@njit(cache=True, error_model="numpy", fastmath=False)
def _record(n, shapes, cells, every):
    """V of every detection node after step n, when a record falls there."""
    if (n + 1) % every != 0:
        return
    r = (n + 1) // every
    for p in range(len(shapes)):
        sh, cc = shapes[p], cells[p]
        for q in range(cc.v.shape[0]):
            cc.rec[r, q] = cc.v[q, sh.detect]


@njit(cache=True, error_model="numpy", fastmath=False)
def _shift(sp_t, sp_src, k, m):
    """Move spikes k .. m - 1 of the buffers to the front (the first k were queued)."""
    for j in range(k, m):
        sp_t[j - k] = sp_t[j]
        sp_src[j - k] = sp_src[j]


@njit(cache=True, error_model="numpy", nogil=True, fastmath=False)
def run_steps(n_from, n_to, row0, t0, dt, seed, full, v, thr, Y, BASE, P, S, hits, d, mem, fixed, ST, LIN, KIN, GR,
              GAP, E, STP, PIN, Q, EV, SPK, REC, PL, chan, NZ, sync, point, shapes, cells, advance, run):
    """Advance the network with its cable cells through steps n_from .. n_to - 1
    (resuming step n_from at ``run.stage``); the cells' stimuli rows start at step
    ``row0``; ``point``: the network loop's step (:func:`hhsim.engine.network_loop.steps`,
    a function value for these arguments: :func:`point_step`); ``advance``: each
    population's cell step (:data:`ADVANCE`, function values: :meth:`CableSetup.advance`).
    The arguments from ``t0`` to ``NZ`` are those of ``network_loop.steps``.

    Returns (status, step): (-1, n_to) when done; a buffer to grow (network_driver's
    codes), the point loop's divergence or spike overflow, or :data:`CABLE_DIVERGED`,
    with the step to resume or report."""
    stage = run.stage
    for n in range(n_from, n_to):
        if stage[0] == NOT_BEGUN:
            _synaptic_terms(n, t0, dt, v, LIN, KIN, GAP, shapes, cells)
            stage[0] = TERMS_TAKEN
        if stage[0] == TERMS_TAKEN:
            st, at = point(0, 1, sync, n, n + 1, t0, dt, seed, full, v, thr, Y, BASE, P, S, hits, d, mem, fixed, ST,
                           LIN, KIN, GR, GAP, E, STP, PIN, Q, EV, SPK, REC, PL, chan, NZ)
            if st == DIVERGED:
                return st, at
            if at > n:
                stage[0] = POINT_DONE
            if st != DONE:
                return st, n
        if stage[0] == POINT_DONE:
            if not _cells_step(n, n - row0, t0, dt, v, SPK, shapes, cells, advance, run):
                return CABLE_DIVERGED, n
            stage[0] = CELLS_DONE
            run.queued[0] = 0
            run.monitored[0] = 0
        n_sp = run.sp_n[0]
        if n_sp > 0:
            if run.monitored[0] == 0:
                if SPK.mon_t.shape[0] - SPK.mon_n[0] < n_sp:
                    return GROW_MONITOR, n
                monitor_spikes(run.sp_t, run.sp_src, n_sp, SPK)
                run.monitored[0] = 1
            while run.queued[0] < n_sp:  # (the spikes not yet queued are at the front: see _shift)
                k = inject_spikes(run.sp_t, run.sp_src, n_sp - run.queued[0], n, t0, dt, LIN, E, Q, EV)
                _shift(run.sp_t, run.sp_src, k, n_sp - run.queued[0])
                run.queued[0] += k
                if run.queued[0] < n_sp:
                    return GROW_QUEUE, n
        _record(n, shapes, cells, run.every)
        stage[0] = NOT_BEGUN
    return DONE, n_to


# ------------------------------------------------------------------ Python: building the records
def point_step(arguments: tuple) -> CompiledFunction:
    """The network loop's step (:func:`hhsim.engine.network_loop.steps`) as a function value
    for ``arguments`` (a whole call's): called through its address, it is not compiled
    again into :func:`run_steps`."""
    types_ = tuple(typeof(a) for a in arguments)
    steps.compile(types_)
    return CompiledFunction(steps, steps.overloads[types_].signature)


def _membranes(mod, method: int) -> tuple:
    """The structure's membrane functions for a cell's kernels and its slopes: the
    step (the slopes relax one node's gates with it) and the assembly (theta methods)
    or the rates (explicit ones); a placeholder for the one its method never calls."""
    if method == THETA:  # the theta kernels' own values (compiled or loaded once for both)
        return mod.theta_step.args[0]
    _, no_assemble, rates = mod.rk4_step.args[0]
    return CompiledFunction(mod.membrane_step, MEMBRANE_SIGNATURES["membrane_step"]), no_assemble, rates


def _edge_steps(edges, dt: float) -> np.ndarray:
    """The steps holding a stimulus edge (ms), by the rule of the cable stepper."""
    return np.array(sorted({math.floor(e / dt + 1e-9) for e in edges}), dtype=np.int64)


class CableSetup:
    """The cable populations of one network run: the records of :func:`run_steps`
    (``shapes``, ``cells``, ``run``) and the cells' stimuli.

    ``cables``: :func:`hhsim.engine.network_lower.lower_network`'s ``cables`` (each
    population's stepper of its cell, its first node, synapse and detection nodes and
    threshold); ``every``: steps between the detection nodes' records."""

    def __init__(self, cables: list, grid: Grid, every: int, n_nodes: int):
        self.grid, self.every = grid, int(every)
        self.names = [c["population"] for c in cables]
        arrays = [c["stepper"].arrays() for c in cables]
        self.waves = [a.waves for a in arrays]
        self.shapes = tuple(_shape(c, a) for c, a in zip(cables, arrays))
        self.cells = tuple(_cells(c, a, grid.n_steps // self.every + 1) for c, a in zip(cables, arrays))
        n_cells = sum(c["n"] for c in cables)
        self.run = CableRun(stage=np.zeros(1, dtype=np.int64), queued=np.zeros(1, dtype=np.int64),
                            monitored=np.zeros(1, dtype=np.int64), sp_t=np.zeros(max(1, n_cells)),
                            sp_src=np.zeros(max(1, n_cells), dtype=np.int64), sp_n=np.zeros(1, dtype=np.int64),
                            hold=np.full(n_nodes, np.inf), every=self.every)
        self.rows = (0, 0)
        start_currents(self.shapes, self.cells)
        self.methods = tuple(sh.method for sh in self.shapes)

    def advance(self) -> tuple:
        """Each population's cell step as a function value for the records' types now."""
        sig = types.boolean(typeof(self.shapes[0]), typeof(self.cells[0]), types.int64, types.int64, types.int64,
                            types.float64)
        return tuple(_function_value(ADVANCE[m], sig) for m in self.methods)

    def stimulus_rows(self, n0: int, n1: int) -> None:
        """Each population's stimuli (nA) at the start, middle and end of steps n0 .. n1 - 1
        (row 0: step n0), on the grid's times ``t0 + n dt``."""
        if self.rows == (n0, n1):
            return
        g = self.grid
        self.shapes = tuple(sh if not waves else sh._replace(**dict(zip(
            ("i_a", "i_m", "i_b"), stimulus_arrays(waves, Grid(g.t0, g.dt, n1 - n0), first=n0))))
            for sh, waves in zip(self.shapes, self.waves))
        self.rows = (n0, n1)

    def records(self) -> tuple[np.ndarray, dict]:
        """(t ms, {population: V (mV) of each cell's detection node, (samples, cells)})."""
        n_rec = self.grid.n_steps // self.every + 1
        t = np.concatenate([[0.0], self.grid.t0 + np.arange(1, n_rec) * self.every * self.grid.dt])
        return t, {name: cc.rec for name, cc in zip(self.names, self.cells)}


def _shape(c: dict, a: StepperArrays) -> CableShape:
    p = a.plan
    method = THETA if a.theta is not None else (EULER if a.method == "euler" else RK4)
    icap = np.zeros(p.n)
    icap[p.cap > 0] = 1.0 / p.cap[p.cap > 0]
    pairs = p.tree.neighbours()[c["detect"]]
    no_rows = np.zeros((1, max(1, len(a.waves))))
    return CableShape(
        mem=_membranes(a.mod, method), method=method, theta=float(a.theta or 0.0), chain=bool(a.chain),
        probe=int(a.probe), first=int(c["first"]), site=int(c["site"]), detect=int(c["detect"]),
        thr=float(c["threshold"]), cap=_f(p.cap), area=_f(p.area), sumg=_f(a.sumg), gfix=_f(p.gfix), bfix=_f(p.bfix),
        icap=icap, parent=np.ascontiguousarray(p.tree.parent, dtype=np.int64), gax=_f(p.tree.gax),
        PT=_f(a.PT), runs=a.runs, alg_idx=a.alg[0], alg_ptr=a.alg[1], alg_nbr=a.alg[2], alg_g=a.alg[3],
        site_node=a.sites, site_wave=a.site_wave, site_scale=_f(a.site_scale),
        nbr=np.array([k for k, _ in pairs], dtype=np.int64), nbr_g=np.array([g for _, g in pairs], dtype=float),
        edge_steps=_edge_steps(a.edges, a.dt), i_a=no_rows, i_m=no_rows, i_b=no_rows)


def _cells(c: dict, a: StepperArrays, n_rec: int) -> CableCells:
    k, n, ns = c["n"], a.v.shape[0], a.y.shape[0]
    v = np.ascontiguousarray(np.repeat(a.v[None, :], k, axis=0))
    rec = np.full((n_rec, k), np.nan)
    rec[0] = v[:, c["detect"]]
    return CableCells(
        v=v, y=np.ascontiguousarray(np.repeat(a.y[None], k, axis=0)), vmax=v.copy(), hist=np.zeros((k, 4, n)),
        h_prev=np.zeros(1), g_syn=np.zeros(k), ge_syn=np.zeros(k), cur=np.zeros(k), rec=rec, g_ext=np.zeros(n),
        ge_ext=np.zeros(n), gf=_f(a.plan.gfix).copy(), bf=_f(a.plan.bfix).copy(), zeros=np.zeros(n),
        G=np.zeros(n), GE=np.zeros(n), d=np.empty(n), b=np.empty(n), d2=np.empty(n), b2=np.empty(n),
        cw=np.empty(n), red=np.zeros(REDUCED_SIZE), ys=np.zeros((ns, n)), inj=np.empty(n), dv=np.empty(n),
        dy=np.empty((ns, n)), ia=np.empty(n), kv=np.empty((4, n)), ky=np.empty((4, ns, n)), vs=np.empty(n),
        ys2=np.empty((ns, n)))


_VALUES: dict = {}


def _function_value(function, sig) -> CompiledFunction:
    """``function`` for the signature ``sig`` as a function value (made once per both)."""
    key = (function, str(sig))
    if key not in _VALUES:
        _VALUES[key] = CompiledFunction(function, sig)
    return _VALUES[key]


def _f(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=float)
