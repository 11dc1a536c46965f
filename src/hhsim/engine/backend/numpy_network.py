"""A network's fixed-step time loop in NumPy: the reference the compiled loop is tested against.

The same step as :mod:`hhsim.engine.network_driver` describes, from the same
lowered :class:`~hhsim.engine.network_lower.NetworkPlan`:

1. the step's start: external spikes of the step queued over their edges,
   the increments of late deliveries added, the step's deliveries gathered
   per node, the noise currents updated, the gap-junction and graded terms
   taken from V at the start and the graded gates relaxed;
2. every node advanced through the step sub-step by sub-step between its
   events (deliveries, Poisson inputs, a jump or kink of its stimulus), each
   event applied at its exact time; a node without events takes one
   sub-step of dt.  Vectorised over the nodes: each pass takes every node
   still in the step to its next event (``numpy_membrane``);
3. the step's end: its spikes queued over their outgoing edges, the
   monitored states recorded.

Cable cells (:mod:`hhsim.engine.backend.numpy_cable_cells`): their synaptic terms
held from the very start of the step, their steps after the step's end above (as the
compiled loop, :mod:`hhsim.engine.network_cables`, takes them), then their spikes
queued like the others.

Covered: point-cell populations of any membrane structure, every method of
``FIXED_STEP``, linear (exp, alpha, biexp), current (exp, alpha), kinetic
(AMPA, GABA-A, NMDA, GABA-B, custom), graded and gap-junction synapses,
delays, spike sources, Poisson inputs, Ornstein-Uhlenbeck noise currents,
Tsodyks-Markram plasticity, dead times, populations of cable cells (every cable
method the NumPy cable runs).  Refused in one line: channel noise,
spike-timing-dependent plasticity (and adaptive methods, in the entry point).
Units: t ms, V mV, G mS/cm², currents µA/cm².
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import DivergenceError, ParameterError
from .. import network_tables as tables
from .base import NetworkJob
from .numpy_cable_cells import NumpyCableCells
from .numpy_common import check_method, check_size, hermite_crossing
from .numpy_membrane import Drive, Membranes, needs_mid_and_end
from .numpy_random import normal01, poisson_count, uniform01
from .numpy_spikes import Queue, Spikes
from .numpy_synapses import Synapses

#: Poisson input events one node may receive in one step (the compiled loop's buffer).
MAX_PIN_EVENTS = 512
_PIN_COUNT, _PIN_TIME, _NOISE = 11, 12, 7  # the compiled loop's random streams
ACCEPTED = ("populations of point cells and of cable cells; linear, current, kinetic, graded and gap synapses; "
            "delays, spike sources, Poisson inputs, noise currents, short-term plasticity, dead times")


def refuse_unsupported(job: NetworkJob) -> None:
    """One line naming what the NumPy back end does not run in ``job``, and what it does."""
    plan = job.plan
    check_method(job.method, where=" on networks")
    what = None
    if plan.cables and "cable" not in job.twins:
        what = f"cable cells without the cable's NumPy twin (population {plan.cables[0]['population']!r})"
    elif job.noise is not None:
        what = "channel noise"
    elif plan.meta.get("plastic"):
        what = f"spike-timing-dependent plasticity (projection {plan.meta['plastic'][0]['label']!r})"
    if what is not None:
        raise ParameterError(f"the NumPy back end does not run {what}; it runs {ACCEPTED} (or use backend numba)")


def _pick(d: Drive, q) -> Drive:
    return Drive(*(a[q] for a in (d.S, d.G, d.GE, d.Gn, d.GEn, d.mg)))


class NumpyNetwork:
    """Runs ``job`` step by step; afterwards holds the records ``hhsim.network.result``
    reads (``SPK``, ``REC``, ``EV``, ``rec_every``, ``w_t``, ``w_samples``, ``w_chosen``)."""

    def __init__(self, job: NetworkJob):
        refuse_unsupported(job)
        plan, grid = job.plan, job.grid
        compartments = sum(c["n"] * c["stepper"].n for c in plan.cables)
        check_size(plan.n_nodes + compartments, grid.n_steps, "cells and compartments" if compartments else "cells")
        self.plan, self.grid, self.seed, self.method = plan, grid, int(job.seed), job.method
        self.syn = Synapses(plan, job.twins)
        self.full = needs_mid_and_end(job.method)
        self.v = plan.v0.astype(float).copy()
        self.groups = [(g.base, Membranes(g.plan, job.method, self.syn.block), np.asarray(g.plan.y0, float).copy())
                       for g in plan.groups]
        st = plan.ST
        self.kt, self.ka, self.kb, self.kj, self.wave, self.scale = st.kt, st.ka, st.kb, st.kj, st.wave, st.scale
        self.noise_p, self.noise_I = st.noise_p, st.noise_I.copy()
        self.spikes = Spikes(plan.n_nodes, plan.refr, job.mon["mask"])
        self.queue = Queue(grid.t0, grid.dt)
        self.ext_k = 0
        self.pin_ptr, self.pin_lam, self.pin_group, self.pin_w = plan.PIN.ptr, plan.PIN.lam, plan.PIN.group, plan.PIN.w
        mon = job.mon
        self.max_ns = mon["max_ns"]
        self.rec_every = mon["every"]
        self.rec_nodes = mon["nodes"]
        self.rec = {"v": [self.v[self.rec_nodes].copy()] if mon["n_rec"] else [],
                    "y": [self._states(self.rec_nodes)] if mon["n_rec"] else [],
                    "i": [np.zeros(self.rec_nodes.size)] if mon["n_rec"] else []}
        self.w_t, self.w_samples, self.w_chosen = [], {}, {}
        self.cells = NumpyCableCells(plan.cables, job.twins["cable"], grid, mon["cable_every"]) if plan.cables else None
        self.steps = 0

    # ------------------------------------------------------------ the run
    def run(self, progress: bool = False) -> None:
        bar = None
        if progress:
            from ...progress import bar as make_bar

            bar = make_bar(self.grid.n_steps, desc=f"network (numpy) dt={self.grid.dt:g} ms", unit="step")
        for n in range(self.grid.n_steps):
            self._step(n)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        self.steps = self.grid.n_steps
        self._records()

    def _step(self, n: int) -> None:
        t0, dt = self.grid.t0, self.grid.dt
        t, t1 = t0 + n * dt, t0 + (n + 1) * dt
        p, syn = self.plan, self.syn
        if self.cells is not None:
            self.cells.hold_synapses(t, syn, self.v)
        while self.ext_k < p.ext_t.size and p.ext_t[self.ext_k] < t + dt:
            src = p.ext_src[self.ext_k]
            for e in range(syn.out_ptr[src], syn.out_ptr[src + 1]):
                self.queue.push(p.ext_t[self.ext_k] + syn.e_delay[e], e, n)
            self.ext_k += 1
        syn.apply_late()
        events, late = self.queue.gather(n, syn.e_post, t)
        syn.late += late
        self._noise(n, dt)
        syn.step_start(self.v, dt)
        self._advance(n, t, t1, events, self._poisson(n, t, dt))
        self._end(n, t, t1)
        if self.cells is not None:
            if not self.cells.step(n, self.spikes, self.v):
                t_fail = t1
                raise DivergenceError(f"a cable cell diverged at t = {t_fail:.4g} ms (dt = {dt:g} ms, backend numpy); "
                                      "use a smaller dt", t_fail)
            self._queue_spikes(n, t1)

    def _noise(self, n: int, dt: float) -> None:
        """Exact Ornstein-Uhlenbeck update of the noise currents (µA/cm²) over the step."""
        for i in np.nonzero(self.noise_p[:, 2] > 0.0)[0]:
            mu, sd, tau = self.noise_p[i]
            e = math.exp(-dt / tau)
            self.noise_I[i] = mu + (self.noise_I[i] - mu) * e + sd * math.sqrt(1.0 - e * e) * normal01(
                self.seed, _NOISE, i, n)

    def _poisson(self, n: int, t: float, dt: float) -> dict:
        """Each driven node's Poisson input events of step n: [(time, input)], sorted by time."""
        out = {}
        for i in np.nonzero(np.diff(self.pin_ptr))[0]:
            lst = []
            for k in range(self.pin_ptr[i], self.pin_ptr[i + 1]):
                for j in range(poisson_count(self.pin_lam[k] * dt, self.seed, _PIN_COUNT, k, n)):
                    if len(lst) < MAX_PIN_EVENTS:
                        lst.append((t + dt * uniform01(self.seed, _PIN_TIME, k, n, j), k))
            out[int(i)] = sorted(lst, key=lambda ev: ev[0])
        return out

    # ------------------------------------------------------------ the nodes through the step
    def _kinks(self, t: float, t1: float) -> np.ndarray:
        """Per waveform: whether it jumps or bends strictly inside (t, t1)."""
        out = np.zeros(self.kt.shape[0], dtype=bool)
        for w in range(self.kt.shape[0]):
            row = self.kt[w]
            j = np.nonzero((row > t) & (row < t1))[0]
            out[w] = bool(np.any(self.kj[w, j - 1])) if j.size else False
        return out

    def _next_event(self, i: int, ta: float, t: float, t1: float, queues: dict, pos: dict):
        """(time, kind) of node i's next event after ``ta``: 1 a delivery, 2 a Poisson input,
        3 a stimulus knot the step must land on, 0 none (the step's end)."""
        te, which = t1, 0
        w = self.wave[i]
        if w >= 0:
            row = self.kt[w]
            j = int(np.searchsorted(row, ta, side="right"))
            while row[j] < te:
                if self.kj[w, j - 1]:
                    te, which = row[j], 3
                    break
                j += 1
        for kind in (1, 2):
            lst = queues[kind].get(i)
            c = pos[kind].get(i, 0)
            if lst is not None and c < len(lst) and lst[c][0] < te:
                te, which = lst[c][0], kind
        return max(te, t), which

    def _advance(self, n: int, t: float, t1: float, events: dict, pins: dict) -> None:
        nn = self.plan.n_nodes
        kinks = self._kinks(t, t1)
        special = set(events) | set(pins) | {int(i) for i in np.nonzero(self.wave >= 0)[0] if kinks[self.wave[i]]}
        queues, pos = {1: events, 2: pins}, {1: {}, 2: {}}
        ta = np.full(nn, t)
        active = np.ones(nn, dtype=bool)
        while active.any():
            te = np.full(nn, t1)
            which = np.zeros(nn, dtype=np.int64)
            for i in special:
                if active[i]:
                    te[i], which[i] = self._next_event(i, ta[i], t, t1, queues, pos)
            h = te - ta
            stepping = active & (h > 0.0)
            if stepping.any():
                self._substeps(np.nonzero(stepping)[0], ta, h, n)
            ta = np.where(stepping, te, ta)
            for i in np.nonzero(active & (which != 0))[0]:
                kind = int(which[i])
                if kind == 3:
                    continue
                c = pos[kind].get(i, 0)
                pos[kind][i] = c + 1
                if kind == 1:
                    self.syn.deliver(i, queues[1][i][c][1], te[i])
                else:
                    k = queues[2][i][c][1]
                    self.syn.linear_event(self.pin_group[k], i, self.pin_w[k])
            active &= which != 0

    def _stim(self, nodes: np.ndarray, tau: np.ndarray, left: bool) -> np.ndarray:
        """Injected current (µA/cm²) of ``nodes`` at times ``tau``: the waveform (piecewise
        linear between its knots; the left limit at a knot if ``left``) times the node's scale,
        plus its noise current."""
        out = self.noise_I[nodes].copy()
        w = self.wave[nodes]
        for wv in np.unique(w[w >= 0]):
            q = np.nonzero(w == wv)[0]
            row = self.kt[wv]
            k = np.searchsorted(row, tau[q], side="left" if left else "right") - 1
            frac = (tau[q] - row[k]) / (row[k + 1] - row[k])
            value = self.ka[wv, k] + (self.kb[wv, k] - self.ka[wv, k]) * frac
            out[q] += self.scale[nodes[q]] * value
        return out

    def _substeps(self, idx: np.ndarray, ta: np.ndarray, h: np.ndarray, n: int) -> None:
        """One sub-step of h (per node) from ``ta`` for the nodes ``idx``."""
        syn, thr = self.syn, self.plan.thr
        for base, mem, Y in self.groups:
            sel = idx[(idx >= base) & (idx < base + mem.plan.ncomp)]
            if not sel.size:
                continue
            cols, a, hs = sel - base, ta[sel], h[sel]
            Gc, GEc = syn.Gf[sel].copy(), syn.GEf[sel].copy()
            Gn, GEn = np.zeros(sel.size), np.zeros(sel.size)
            for q, i in enumerate(sel):
                if syn.has_kinetic(i):
                    g, ge, gn, gen = syn.kinetic_terms(i, a[q])
                    Gc[q], GEc[q], Gn[q], GEn[q] = Gc[q] + g, GEc[q] + ge, gn, gen
            mg = syn.mg[sel]
            G0, GE0 = syn.linear_terms(sel, 0.0)
            start = Drive(self._stim(sel, a, False), G0 + Gc, GE0 + GEc, Gn, GEn, mg)
            if self.full:
                Gm, GEm = syn.linear_terms(sel, 0.5 * hs)
                G1, GE1 = syn.linear_terms(sel, hs)
                mid = Drive(self._stim(sel, a + 0.5 * hs, False), Gm + Gc, GEm + GEc, Gn, GEn, mg)
                end = Drive(self._stim(sel, a + hs, True), G1 + Gc, GE1 + GEc, Gn, GEn, mg)
            else:
                mid = Drive(self._stim(sel, a + 0.5 * hs, False), start.G, start.GE, Gn, GEn, mg)
                end = Drive(self._stim(sel, a + hs, True), start.G, start.GE, Gn, GEn, mg)
            V, y = self.v[sel], Y[:, cols]
            Vn, yn = mem.step(cols, V, y, hs, start, mid, end)
            if not np.all(np.abs(Vn) < 1e4):
                t_fail = self.grid.t0 + (n + 1) * self.grid.dt
                raise DivergenceError(f"network simulation diverged at t = {t_fail:.4g} ms (method {self.method}, "
                                      f"dt = {self.grid.dt:g} ms, backend numpy); use a smaller dt", t_fail)
            self._spikes(sel, cols, mem, V, Vn, y, yn, a, hs, thr[sel], start, end)
            self.v[sel] = Vn
            Y[:, cols] = yn
            syn.advance_linear(sel, hs)

    def _spikes(self, sel, cols, mem, V, Vn, y, yn, a, hs, thr, start: Drive, end: Drive) -> None:
        """Crossings of the sub-step and dead times ending in it (slopes only where needed)."""
        sp = self.spikes
        cross = (V < thr) & (Vn >= thr)
        need = np.nonzero(cross | (sp.hold[sel] <= a + hs))[0]
        if not need.size:
            return
        d0 = mem.slope(cols[need], V[need], y[:, need], _pick(start, need))
        d1 = mem.slope(cols[need], Vn[need], yn[:, need], _pick(end, need))
        for r, q in enumerate(need):
            i, hq = int(sel[q]), hs[q]
            m0, m1 = d0[r] * hq, d1[r] * hq
            if cross[q]:
                ts = a[q] + hq * hermite_crossing(V[q], Vn[q], m0, m1, thr[q])
                sp.crossing(i, ts, V[q], Vn[q], m0, m1, a[q], hq, thr[q])
            if sp.hold[i] <= a[q] + hq:
                sp.release(i, V[q], Vn[q], m0, m1, a[q], hq, thr[q])

    # ------------------------------------------------------------ the step's end
    def _end(self, n: int, t: float, t1: float) -> None:
        syn = self.syn
        self._queue_spikes(n, t1)
        if self.rec_every > 0 and (n + 1) % self.rec_every == 0:
            nodes = self.rec_nodes
            self.rec["v"].append(self.v[nodes].copy())
            self.rec["y"].append(self._states(nodes))
            self.rec["i"].append(np.array([syn.synaptic_current(i, t1, self.v[i]) for i in nodes]))

    def _queue_spikes(self, n: int, t1: float) -> None:
        """The step's spikes over their outgoing edges: into the queue, or (a delivery due
        within the step, on a linear synapse without plasticity) into the next step's start."""
        syn = self.syn
        for ts, src in self.spikes.step:
            for e in range(syn.out_ptr[src], syn.out_ptr[src + 1]):
                td = ts + syn.e_delay[e]
                if td < t1 and syn.e_group[e] >= 0 and syn.e_stp[e] < 0:
                    syn.linear_event(syn.e_group[e], syn.e_post[e], syn.e_w[e], late=True)
                    syn.late += 1
                    continue
                self.queue.push(td, e, n + 1)
        self.spikes.step.clear()

    def _states(self, nodes: np.ndarray) -> np.ndarray:
        """(max states, len(nodes)): the recorded nodes' states, NaN past their structure's."""
        out = np.full((self.max_ns, nodes.size), np.nan)
        for q, i in enumerate(nodes):
            for base, mem, Y in self.groups:
                if base <= i < base + mem.plan.ncomp:
                    out[:Y.shape[0], q] = Y[:, i - base]
        return out

    def _records(self) -> None:
        """The records in the compiled runner's layout (see ``NetworkResult.build``)."""
        sp = self.spikes
        self.SPK = tables.monitored_spikes(np.array(sp.mon_t, dtype=float), np.array(sp.mon_src, dtype=np.int64))
        nr = len(self.rec["v"])
        shape = (nr, self.rec_nodes.size)
        self.REC = tables.Recording(every=np.array([self.rec_every]), nodes=self.rec_nodes, k=None, c=None,
                             v=np.array(self.rec["v"]).reshape(shape),
                             y=np.array(self.rec["y"]).reshape(nr, self.max_ns, self.rec_nodes.size),
                             i=np.array(self.rec["i"]).reshape(shape), n=np.array([nr]))
        self.EV = tables.late_events(self.syn.late)
        if self.cells is not None:
            self.cable_t, self.cable_v = self.cells.records()
