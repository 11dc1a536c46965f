"""A network's cable cells in NumPy: the twin of the compiled cells' part of a step
(:mod:`hhsim.engine.network_cables`).

Each cell is a :class:`~hhsim.engine.backend.numpy_cable.NumpyCable` of its population's
lowered cable (the cells of a population start alike and each keeps its own state), the
cable's right-hand side the entry point's NumPy twin (the job's ``twins["cable"]``:
``hhsim.cable.numpy_path.CableODE``).  In step n, as the compiled loop takes it:

1. at the step's start, before anything else of the step, each cell's synaptic
   conductance at its synapse node (the proxy node's, mS/cm², times the node's area: µS
   and nA), held over the step (:meth:`NumpyCableCells.hold_synapses`);
2. (the point neurons' step, by the network's runner; the proxies are among its nodes);
3. every cell's step with it (:meth:`NumpyCableCells.step`), its detection node's
   crossing of the threshold located on the cubic Hermite interpolant of V over the
   step, dV/dt at both ends from the node's cable equation (membrane, axial and boundary
   currents, the held synapse, the cell's own stimulus, over its capacitance; the theta
   methods' states relaxed over the half step they lag at the end), under the network's
   dead-time rule; the proxy's V set from the synapse node; V of the detection nodes
   recorded every ``every`` steps.

A detection node without membrane (a junction) is located on the chord.  Units: t ms,
V mV, node currents nA, conductances µS, capacitances nF.
"""

from __future__ import annotations

import numpy as np

from ..batch import Grid, stimulus_arrays
from .base import CableJob
from .numpy_cable import NumpyCable, Synapse
from .numpy_common import hermite_crossing


def _cell_job(c: dict, ode) -> CableJob:
    """The cable run of one cell of a population (``c``: an entry of the plan's ``cables``)."""
    a = c["stepper"].arrays()
    return CableJob(plan=a.plan, method=a.method, theta=a.theta, dt=a.dt, v0=a.v, y0=a.y, sites=a.sites,
                    waves=a.waves, rec_nodes=np.array([c["detect"]], dtype=np.int64), record_every=1,
                    max_crossings=1, compiled=None, ode=ode)


class _Population:
    """One population of cable cells: its cells, where they sit in the network, their stimuli."""

    def __init__(self, c: dict, ode, grid: Grid):
        a = c["stepper"].arrays()
        self.name, self.first, self.n = c["population"], int(c["first"]), int(c["n"])
        self.site, self.detect, self.thr = int(c["site"]), int(c["detect"]), float(c["threshold"])
        self.cells = [NumpyCable(_cell_job(c, ode)) for _ in range(self.n)]
        self.plan = self.cells[0].plan
        self.sites = np.asarray(a.sites, dtype=np.int64)
        self.site_wave = np.asarray(a.site_wave, dtype=np.int64)
        self.site_scale = np.asarray(a.site_scale, dtype=float)
        self.i_a, self.i_m, self.i_b = stimulus_arrays(a.waves, grid)
        self.g = np.zeros(self.n)   # held synaptic conductance, µS
        self.ge = np.zeros(self.n)  # ... its g E, nA
        self.cur = np.array([cell.node_current(self.detect, 0.0) for cell in self.cells])  # nA
        self.rec = [np.array([cell.v[self.detect] for cell in self.cells])]

    def injected(self, k: int) -> list[np.ndarray]:
        """The cells' own stimuli (nA per node) at the start, middle and end of step k."""
        out = []
        for rows in (self.i_a, self.i_m, self.i_b):
            inj = np.zeros(self.plan.n)
            np.add.at(inj, self.sites, self.site_scale * rows[k, self.site_wave])
            out.append(inj)
        return out


class NumpyCableCells:
    """The cable cells of a network's populations (see the module)."""

    def __init__(self, cables: list, ode, grid: Grid, every: int):
        self.grid, self.every = grid, int(every)
        self.pops = [_Population(c, ode, grid) for c in cables]

    def hold_synapses(self, t: float, syn, v: np.ndarray) -> None:
        """Each cell's synaptic conductance (µS) and g E (nA) at its synapse node at ``t``,
        held over the step (``syn``: the runner's synapses, read at the proxy nodes, whose
        V in ``v`` is the synapse node's)."""
        for pop in self.pops:
            area = pop.plan.area[pop.site]
            for q in range(pop.n):
                i = pop.first + q
                G, GE = syn.conductance(i, t, v[i])
                pop.g[q], pop.ge[q] = G * area, GE * area

    def step(self, n: int, spikes, v: np.ndarray) -> bool:
        """Every cell's step n; its spike, if any, noted in ``spikes`` (the runner's
        :class:`~hhsim.engine.backend.numpy_spikes.Spikes`); the proxies' V in ``v``.
        False if a cell's V left |V| < 1e4 mV."""
        dt = self.grid.dt
        t = self.grid.t0 + n * dt
        for pop in self.pops:
            drive = pop.injected(n)
            c, cap = pop.detect, pop.plan.cap[pop.detect]
            tau = 0.5 * dt if pop.cells[0].theta is not None else 0.0
            for q, cell in enumerate(pop.cells):
                V0 = cell.v[c]
                syn = Synapse(pop.site, pop.g[q], pop.ge[q])
                cell.v, cell.y = cell.step(n, drive, syn)
                V1 = cell.v[c]
                if not np.all(np.abs(cell.v) < 1e4):
                    return False
                cur1 = cell.node_current(c, tau)
                if cap > 0.0:
                    syn0 = syn.ge - syn.g * V0 if c == pop.site else 0.0
                    syn1 = syn.ge - syn.g * V1 if c == pop.site else 0.0
                    m0 = dt * (pop.cur[q] + syn0 + drive[0][c]) / cap
                    m1 = dt * (cur1 + syn1 + drive[2][c]) / cap
                else:  # no membrane: the chord (the Hermite cubic is then the line)
                    m0 = m1 = V1 - V0
                pop.cur[q] = cur1
                i = pop.first + q
                if V0 < pop.thr <= V1:
                    ts = t + dt * hermite_crossing(V0, V1, m0, m1, pop.thr)
                    spikes.crossing(i, ts, V0, V1, m0, m1, t, dt, pop.thr)
                elif spikes.hold[i] <= t + dt:
                    spikes.release(i, V0, V1, m0, m1, t, dt, pop.thr)
                v[i] = cell.v[pop.site]
            if (n + 1) % self.every == 0:
                pop.rec.append(np.array([cell.v[c] for cell in pop.cells]))
        return True

    def records(self) -> tuple[np.ndarray, dict]:
        """(t ms, {population: V (mV) of each cell's detection node, (samples, cells)}), as the
        compiled runner's ``CableSetup.records``."""
        n_rec = self.grid.n_steps // self.every + 1
        t = np.concatenate([[0.0], self.grid.t0 + np.arange(1, n_rec) * self.every * self.grid.dt])
        return t, {pop.name: np.array(pop.rec) for pop in self.pops}
