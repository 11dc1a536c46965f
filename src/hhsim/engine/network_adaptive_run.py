"""Run a lowered network with adaptive steps per cell (:mod:`hhsim.engine.network_adaptive`).

:class:`AdaptiveRunner` walks the minimum-delay windows: before a window it
queues the external spikes that fall in it and hands every node the events
due in it; the compiled :func:`~hhsim.engine.network_adaptive.advance_cells`
integrates each membrane structure's cells across it (in chunks on threads);
after it, the window's spikes are monitored and become events.  It keeps the
fixed-step runner's records (``SPK``, ``REC``, ``EV``, ``rec_every``) so that
:class:`~hhsim.network.result.NetworkResult` is built the same way.

:func:`unsupported` names, in one line, what a network holds that this path
does not integrate (it is refused before anything runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import DivergenceError, ParameterError
from ..physics import exp_sharing
from . import threads
from .codegen import adaptive_functions, flat_parameters
from . import network_adaptive as na
from . import network_adaptive_codegen as lanes_codegen
from . import network_adaptive_lanes as lanes
from .network_tables import (CellSteps, ErrorControl, LaneSlopes, NodeEvents, Recording, Spikes, WindowEvents, WindowRecording,
                             WindowSpikes, late_events, monitored_spikes)
from .solvers import dopri5

#: The method's name in the API, the TOML format and the command line.
NAME = "dopri5"
#: Default tolerances (those of the point engine's dopri5).
RTOL = dopri5.RTOL
ATOL = dopri5.ATOL
#: The longest window (ms) when the cells' shortest delay is longer or there is none.
WINDOW_MAX = 5.0
#: Windows in a run above which the run is refused (delays far below the run's length).
MAX_WINDOWS = 5_000_000
#: Cells per thread below which a window runs on fewer threads.
MIN_CELLS_PER_THREAD = 16

ACCEPTED = ("point neurons, linear synapses (exp, alpha, biexp; conductance or current) with delays > 0 ms "
            "between cells, short-term plasticity, spike sources, stimuli and dead times")


@dataclass(frozen=True)
class Tolerances:
    """The adaptive steps' error tolerances: relative ``rtol`` and absolute ``atol``
    (mV for V, the states' own units for the rest)."""

    rtol: float = RTOL
    atol: float = ATOL

    def __post_init__(self):
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value <= 0:
                raise ParameterError(f"{name} must be a number > 0 (got {value!r})")
        if self.rtol >= 1:
            raise ParameterError(f"rtol must be below 1 (got {self.rtol!r}); accepted: 0 < rtol < 1")


def neuron_delay_min(plan) -> float:
    """The shortest delay (ms) of a synapse from one cell to another (inf if none)."""
    e_delay, out_ptr = plan.E.delay, plan.E.out_ptr
    m = int(out_ptr[plan.n_nodes])
    return float(e_delay[:m].min()) if m else math.inf


def unsupported(plan) -> str | None:
    """One line naming what ``plan`` holds that the adaptive path does not integrate, or None."""
    n = plan.n_nodes
    found = []
    if plan.cables:
        found.append("cable cells")
    if plan.GAP.ptr[n] > 0:
        found.append("gap junctions")
    if plan.GR.ptr[n] > 0:
        found.append("graded synapses")
    if plan.KIN.ptr[n] > 0:
        found.append("kinetic synapses (AMPA, GABA, NMDA schemes)")
    if plan.PL and (plan.PL.rule >= 0).any():
        found.append("spike-timing-dependent plasticity")
    if plan.PIN.ptr[n] > 0:
        found.append("Poisson inputs (use a Poisson spike source instead)")
    if np.any(plan.ST.noise_p != 0.0):
        found.append("noise currents")
    if not found and neuron_delay_min(plan) <= 0.0:
        found.append("synaptic delays of 0 ms between cells")
    if not found:
        return None
    return f"method {NAME} does not integrate {', '.join(found)}; accepted: {ACCEPTED} (or use --method rk4)"


#: Cells from which the adaptive method is the default where it pays (:func:`pays`): the
#: size it was measured at.
PAYS_FROM_CELLS = 1000


def pays(plan) -> bool:
    """Whether the adaptive method is the better default for ``plan``: it integrates the
    network (:func:`unsupported`), steps every cell in lanes, and has at least
    :data:`PAYS_FROM_CELLS` cells.  Measured on COBAHH (``benchmarks/network_adaptive.py``:
    1000 cells, 0.5 ms delays, one thread, idle): at its default tolerances every accuracy
    column beat rk4 at 0.025 ms and it took 0.89 of rk4's time; cells stepped one at a
    time take about twice as long."""
    return (plan.n_nodes >= PAYS_FROM_CELLS and unsupported(plan) is None and USE_LANES
            and all(lanes_codegen.supports(g.plan.structure) for g in plan.groups))


class AdaptiveRunner:
    """Owns the adaptive run's arrays and walks its windows (see the module's docstring)."""

    def __init__(self, plan, grid, seed: int, mon: dict, tol: Tolerances):
        reason = unsupported(plan)
        if reason is not None:
            raise ParameterError(reason)
        self.plan, self.grid, self.seed, self.tol = plan, grid, seed, tol
        n = plan.n_nodes
        d_min = neuron_delay_min(plan)
        span = grid.t_end - grid.t0
        self.window = min(d_min, WINDOW_MAX, span)
        if span / self.window > MAX_WINDOWS:
            raise ParameterError(
                f"the shortest delay between cells ({d_min:g} ms) makes {span / self.window:.3g} windows of this "
                f"run; accepted: at most {MAX_WINDOWS:,} (longer delays or a shorter run), or --method rk4")
        self.cap = 8 + int(2.0 * self.window)  # spikes per cell per window: 2 per ms beyond 8
        self.structures = [_structure(g) for g in plan.groups]
        h0 = min(dopri5.H_MAX, 0.01)
        self.CELL = CellSteps(thr=np.ascontiguousarray(plan.thr, dtype=float),
                              refr=np.ascontiguousarray(plan.refr, dtype=float), last=np.full(n, -np.inf),
                              hold=np.full(n, np.inf), h=np.full(n, h0), log_prev=np.full(n, dopri5.LOG_ERR_FLOOR),
                              status=np.full(n, na.OK, dtype=np.int64))
        self.out_t = np.zeros((n, self.cap))
        self.out_n = np.zeros(n, dtype=np.int64)
        self.mask = mon["mask"]
        self._mon_t: list[np.ndarray] = []
        self._mon_src: list[np.ndarray] = []
        # state monitor: each recorded node once, copied back to the monitor's columns at the end
        nodes = mon["nodes"]
        self.rec_every = mon["every"]
        nr, max_ns = mon["n_rec"], mon["max_ns"]
        uniq, back = np.unique(nodes, return_inverse=True)
        self._rec_back = back
        rec_col = np.full(n, -1, dtype=np.int64)
        rec_col[uniq] = np.arange(uniq.size)
        self.rec_v = np.full((nr, uniq.size), np.nan)
        self.rec_y = np.full((nr, max_ns, uniq.size), np.nan)
        self.rec_i = np.full((nr, uniq.size), np.nan)
        if nr:
            for st in self.structures:
                ys, base = st.ys, st.base
                for q, i in enumerate(uniq):
                    if base <= i < base + st.n:
                        self.rec_v[0, q] = ys[i - base, 0]
                        self.rec_y[0, : ys.shape[1] - 1, q] = ys[i - base, 1:]
            self.rec_i[0] = [_synaptic_current(plan.LIN, i, self.rec_v[0, q]) for q, i in enumerate(uniq)]
        rec_dt = float(self.rec_every * grid.dt) if self.rec_every else math.inf
        self.REC_ARGS = WindowRecording(col=rec_col, next=np.ones(n, dtype=np.int64), dt=rec_dt, t0=float(grid.t0),
                                        v=self.rec_v, y=self.rec_y, i=self.rec_i)
        self._nodes, self._n_rec = nodes, nr
        self._pending = _Pool(max(1024, 4 * n))
        self.ext_k = 0
        self.windows = 0
        # HHSIM_THREADS, else the cores other work leaves free (the windows are meetings, as
        # the fixed-step loop's steps are)
        self.threads = threads.coupled_thread_count()

    # ------------------------------------------------------------ the run
    def run(self, progress: bool) -> None:
        grid, plan = self.grid, self.plan
        n = plan.n_nodes
        t0, t_end, W = grid.t0, grid.t_end, self.window
        n_windows = max(1, int(math.ceil((t_end - t0) / W - 1e-9)))
        bar = _bar(n_windows, W) if progress else None
        tol = ErrorControl(rtol=float(self.tol.rtol), atol=float(self.tol.atol), h_max=float(dopri5.H_MAX))
        for k in range(n_windows):
            Ta = t0 + k * W
            Tb = t_end if k == n_windows - 1 else t0 + (k + 1) * W
            self._queue_external(Tb, Ta)
            EVW = self._take(Tb)
            self.out_n[:] = 0
            for st in self.structures:
                args = (*st.lead, Ta, Tb, self.CELL, plan.LIN, plan.ST, EVW, WindowSpikes(self.out_t, self.out_n),
                        self.REC_ARGS, tol)
                bad = _on_threads(st.entry(args), args, st.n, self.threads)
                if bad >= 0:
                    self._failed(st.base + bad, Ta, Tb)
            ts, src = self._window_spikes()
            if ts.size:
                watched = self.mask[src]
                self._mon_t.append(ts[watched])
                self._mon_src.append(src[watched])
                self._emit(ts, src, Tb)
            self.windows += 1
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    def _window_spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """The window's spikes (times in ms, nodes), in time order (then node)."""
        count = np.minimum(self.out_n, self.cap)
        if not count.any():
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        taken = np.arange(self.cap)[None, :] < count[:, None]
        ts = self.out_t[taken]
        src = np.nonzero(taken)[0]
        order = np.argsort(ts, kind="stable")
        return ts[order], src[order]

    def _queue_external(self, Tb: float, Ta: float) -> None:
        """Queue the external spikes before Tb (delivered at spike + delay, not before Ta)."""
        ext_t, ext_src = self.plan.ext_t, self.plan.ext_src
        k1 = int(np.searchsorted(ext_t, Tb, side="left"))
        if k1 > self.ext_k:
            self._emit(ext_t[self.ext_k:k1], ext_src[self.ext_k:k1], Ta)
            self.ext_k = k1

    def _emit(self, ts: np.ndarray, src: np.ndarray, T_next: float) -> None:
        out_ptr = self.plan.E.out_ptr
        need = int(np.sum(out_ptr[src + 1] - out_ptr[src]))
        pool = self._pending
        pool.reserve(need)
        pool.n = int(na.emit_events(np.ascontiguousarray(ts, dtype=float), np.ascontiguousarray(src, dtype=np.int64),
                                    ts.size, self.plan.E, self.plan.STP, T_next, pool.t, pool.post, pool.g, pool.w,
                                    pool.n))

    def _take(self, Tb: float) -> tuple:
        pool = self._pending
        n = self.plan.n_nodes
        ev_ptr = np.zeros(n + 1, dtype=np.int64)
        size = max(1, pool.n)
        ev_t, ev_g, ev_w = np.zeros(size), np.zeros(size, dtype=np.int64), np.zeros(size)
        _, left = na.take_window(Tb, n, pool.t, pool.post, pool.g, pool.w, pool.n, ev_ptr, ev_t, ev_g, ev_w)
        pool.n = int(left)
        return WindowEvents(ev_ptr, ev_t, ev_g, ev_w)

    def _failed(self, i: int, Ta: float, Tb: float) -> None:
        status = int(self.CELL.status[i])
        where = f"between t = {Ta:.6g} and {Tb:.6g} ms"
        if status == na.SPIKES_FULL:
            raise DivergenceError(f"cell {i} fired more than {self.cap} spikes in one window {where}; "
                                  "check its drive (a cell firing above 2 kHz)", Ta)
        if status == na.TOO_STIFF:
            raise DivergenceError(f"the adaptive steps of cell {i} fell below {dopri5.H_MIN:g} ms {where} "
                                  "(its rates became too fast); check the weights and the stimulus", Ta)
        raise DivergenceError(f"cell {i} diverged (|V| reached 10 V) {where}; check the weights and the stimulus", Ta)

    # ------------------------------------------------------------ the records NetworkResult reads
    @property
    def SPK(self) -> Spikes:
        t = np.concatenate(self._mon_t) if self._mon_t else np.zeros(0)
        s = np.concatenate(self._mon_src) if self._mon_src else np.zeros(0, dtype=np.int64)
        return monitored_spikes(t, s)

    @property
    def REC(self) -> Recording:
        b = self._rec_back
        return Recording(every=np.array([self.rec_every], dtype=np.int64), nodes=self._nodes, k=None, c=None,
                         v=self.rec_v[:, b], y=self.rec_y[:, :, b], i=self.rec_i[:, b],
                         n=np.array([self._n_rec], dtype=np.int64))

    @property
    def EV(self) -> NodeEvents:
        return late_events(0)


def _on_threads(kernel, args: tuple, n: int, n_threads: int) -> int:
    """``kernel(*args, lo, hi)`` over n cells: one contiguous share for each of at most
    ``n_threads`` threads, the first on this thread (a window is short: more, smaller
    chunks cost more hand-overs than the imbalance they save).  The first failing cell
    of the lowest share, or -1."""
    n_threads = min(n_threads, max(1, n // MIN_CELLS_PER_THREAD))
    if n_threads == 1:
        return int(kernel(*args, 0, n))
    bounds = [k * n // n_threads for k in range(n_threads + 1)]
    pool = threads._executor(n_threads)  # the shared pool (the batch runs size it so too)
    futures = [pool.submit(kernel, *args, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    statuses = [int(kernel(*args, bounds[0], bounds[1]))] + [int(f.result()) for f in futures]
    return next((s for s in statuses if s >= 0), -1)


#: Whether structures that allow it run in SIMD lanes (:mod:`hhsim.engine.network_adaptive_lanes`);
#: False takes every cell alone (:func:`hhsim.engine.network_adaptive.advance_cells`).
USE_LANES = True


@dataclass
class _Structure:
    """One membrane structure's cells as the windows advance them: the compiled kernel,
    its leading arguments (the structure's functions, states ``ys`` (cells, V + states),
    parameter rows), the structure's first node ``base`` and its number of cells ``n``."""

    kernel: object
    lead: tuple
    ys: np.ndarray
    base: int
    n: int
    _entry: object = None

    def entry(self, args: tuple):
        """The kernel's compiled entry point once it is compiled for these arguments' types
        (a call through the dispatcher types every argument again, about 0.1 ms a
        window), else the dispatcher."""
        if self._entry is not None:
            return self._entry
        if self.kernel.signatures:
            try:
                types = tuple(self.kernel.typeof_pyval(a) for a in (*args, 0, 0))
                self._entry = self.kernel.overloads[types].entry_point
                return self._entry
            except KeyError:
                pass
        return self.kernel


def _structure(group) -> _Structure:
    """The :class:`_Structure` of one group of the plan: in lanes when its membrane allows.
    Its rate forms share exponentials when every cell of the group allows the same
    sharing (:mod:`hhsim.physics.exp_sharing`), else none: one kernel serves them all."""
    p = group.plan.with_exp_sharing(exp_sharing.common(group.plan.structure, group.plan.rp))
    s = p.structure
    ys = np.ascontiguousarray(np.vstack([np.asarray(p.v0, dtype=float)[None, :], np.asarray(p.y0, dtype=float)]).T)
    params = flat_parameters(p)
    base = int(group.base)
    if USE_LANES and lanes_codegen.supports(s):
        slopes = LaneSlopes(k=np.zeros(ys.shape), drive=np.zeros(p.ncomp), known=np.zeros(p.ncomp, dtype=np.bool_))
        return _Structure(lanes.advance_lanes, (lanes_codegen.lanes_function(s), ys, params, slopes, base), ys, base,
                          p.ncomp)
    rhs, inst, _ = adaptive_functions(s)
    is_inst = np.array([0] + [1 if gt.instantaneous else 0 for gt in s.gates] + [0] * len(s.pools), dtype=np.int8)
    return _Structure(na.advance_cells, (rhs, inst, ys, params, is_inst, base), ys, base, p.ncomp)


class _Pool:
    """Pending events: delivery time (ms), target node, linear group, weight; grown on demand."""

    def __init__(self, cap: int):
        self.t, self.post = np.zeros(cap), np.zeros(cap, dtype=np.int64)
        self.g, self.w = np.zeros(cap, dtype=np.int64), np.zeros(cap)
        self.n = 0

    def reserve(self, extra: int) -> None:
        cap = self.t.size
        if self.n + extra <= cap:
            return
        new = max(2 * cap, self.n + extra)
        for name in ("t", "post", "g", "w"):
            a = getattr(self, name)
            b = np.zeros(new, dtype=a.dtype)
            b[: self.n] = a[: self.n]
            setattr(self, name, b)


def _synaptic_current(LIN, i: int, v: float) -> float:
    """G V - G E (µA/cm², outward positive) of node i's linear synapses in their present state."""
    kind, E, A, B, cg = LIN.kind, LIN.E, LIN.A, LIN.B, LIN.cg
    g = np.where(kind == 2, A[:, i] - B[:, i], A[:, i])
    return float(np.sum(g * cg) * v - np.sum(g * E))


def _bar(n_windows: int, window: float):
    from ..progress import bar

    return bar(n_windows, desc=f"network dopri5 windows of {window:g} ms", unit="window")
