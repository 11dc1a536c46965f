"""``simulate_network``: lower a network, run the compiled driver, collect the result."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import replace

import numpy as np

from ..engine import network_driver as drv
from ..engine import aligned, spin
from ..engine.threads import coupled_thread_count
from ..engine.batch import make_grid
from ..engine import network_loop
from ..engine import network_cables as cables
from ..engine import backend as _backends
from ..engine.backend import NetworkJob
from ..engine import network_adaptive_run as adaptive
from ..engine.network_codegen import METHODS, needs_mid_and_end, network_module
from ..engine.network_lower import EDGE_BYTES, SLOT_BYTES, NetworkPlan, lower_network
from ..engine.network_tables import EventQueue, Membranes, NodeEvents, Recording, Spikes
from ..engine.network_noise import chan_function
from ..noise.network import lower_network_noise
from ..physics.evaluate import physics
from ..physics.exp_sharing import find as find_exp_sharing
from ..engine.solvers import METHODS as REGISTRY
from ..errors import DivergenceError, ParameterError, SolverError
from ..limits import MEMORY_ENV, format_bytes, memory_budget
from .connect import estimate_count
from .network import Network
from .result import NetworkResult
from .synapses import current, custom, gap, graded, kinetic, linear, stp

#: The synapse families' NumPy twins, by role, for the NumPy back end (hhsim.engine.backend).
SYNAPSE_TWINS = {"linear": linear, "current": current, "kinetic": kinetic, "custom": custom, "graded": graded,
                 "gap": gap, "stp": stp}


class _NumpyTwins(Mapping):
    """:data:`SYNAPSE_TWINS` and ``cable``, the cable's NumPy right-hand side for cable cells,
    imported when a NumPy run looks it up: the cable package (with SciPy's sparse
    matrices) cost 0.15 s of every network command's start otherwise."""

    def __getitem__(self, role: str):
        if role == "cable":
            from ..cable.numpy_path import CableODE

            return CableODE
        return SYNAPSE_TWINS[role]

    def __iter__(self) -> Iterator[str]:
        return iter((*SYNAPSE_TWINS, "cable"))

    def __len__(self) -> int:
        return len(SYNAPSE_TWINS) + 1


#: The NumPy twins by role, for the NumPy back end.
NUMPY_TWINS = _NumpyTwins()

#: Defaults: classical RK4 at 0.025 ms puts `hh` spike times within about 1e-4 ms
#: of a converged reference (the two-cell test), and events split its steps exactly.
#: A network given no method and no step takes the adaptive method instead where it
#: pays (:func:`hhsim.engine.network_adaptive_run.pays`: faster at better accuracy).
DEFAULT_METHOD = "rk4"
DEFAULT_DT = 0.025  # ms
DEFAULT_RECORD_MS = 0.1
#: Steps per call of the compiled driver (Ctrl-C and progress between calls).
CHUNK = 4000
#: Nodes of the point structures per thread below which a network runs on one
#: thread (the threads meet twice per step, about 0.1 µs each on two cores,
#: against about 15 ns per node-step of work split).
MIN_NODES_PER_THREAD = 1000
#: Steps per compiled call below which it runs on one thread (starting threads
#: costs about 0.1 ms).
MIN_STEPS_PER_THREADED_CALL = 100


def resolve(net: Network, t_stop=None, dt=None, method=None) -> tuple[float, float, str]:
    """(t_stop ms, dt ms, method) after defaults, checked."""
    method = str(method or net.method or DEFAULT_METHOD).lower()
    if method not in METHODS and method != adaptive.NAME:
        raise SolverError(f"unknown method {method!r} for networks; accepted: {', '.join(METHODS)}, {adaptive.NAME}")
    dt = dt if dt is not None else (net.dt if net.dt is not None else DEFAULT_DT)
    t_stop = t_stop if t_stop is not None else net.t_stop
    grid = make_grid(t_stop, dt)
    return float(t_stop), grid.dt, method


def simulate_network(net: Network, *, t_stop: float | None = None, dt: float | None = None,
                     method: str | None = None, seed: int | None = None, progress: bool = False,
                     rtol: float | None = None, atol: float | None = None,
                     backend: str | None = None) -> NetworkResult:
    """Simulate ``net``; arguments override the network's own ``t_stop`` (ms), ``dt`` (ms),
    ``method`` (``rk4``, ``expeuler``, ``euler``, ... or ``dopri5``: each cell its own
    adaptive steps between exact events, :mod:`hhsim.engine.network_adaptive`; dt is then
    the recording grid's unit; default: ``dopri5`` where it pays, for a network given no
    method, step or tolerance whose cells it steps in lanes, else ``rk4``), ``seed``, and
    dopri5's tolerances ``rtol``, ``atol``;
    ``backend``: ``"numba"`` (default, compiled) or ``"numpy"`` (the slow NumPy reference,
    fixed-step methods; :mod:`hhsim.engine.backend`)."""
    be = _backends.get(backend)
    if seed is not None:
        net = net.replace(seed=seed)
    # no method and no step asked for anywhere: the adaptive method where it pays (below)
    chosen = any(x is not None for x in (method, net.method, dt, net.dt, rtol, atol, net.rtol, net.atol))
    t_stop, dt, method = resolve(net, t_stop, dt, method)
    tol = _tolerances(net, method, rtol, atol)
    grid = make_grid(t_stop, dt)
    _check_size(net, grid)
    plan = lower_network(net, grid)
    if not chosen and be.name == _backends.DEFAULT and adaptive.pays(plan):
        method = adaptive.NAME  # dt (the default) is then the recording grid's unit
        tol = _tolerances(net, method, rtol, atol)
    if tol is not None:
        if be.name != _backends.DEFAULT:
            raise ParameterError(f"backend {be.name} runs the fixed-step methods on networks ({', '.join(METHODS)}), "
                                 f"not {adaptive.NAME}")
        mon = _monitors(net, plan, grid)
        mon["weights"] = _weight_monitors(net, plan, grid)
        if mon["weights"]["chosen"]:
            raise ParameterError(f"method {adaptive.NAME} does not sample plastic weights; use --method rk4")
        runner = adaptive.AdaptiveRunner(plan, grid, net.seed, mon, tol)
        runner.run(progress)
        result = NetworkResult.build(net, plan, runner, t_stop=t_stop, dt=dt, method=method)
        result.meta["tolerances"] = {"rtol": tol.rtol, "atol": tol.atol}
        return result
    _check_stability(plan, method, dt)
    noise = lower_network_noise(net, plan, grid.dt, method)  # the noisy cells' channels, or None
    mon = _monitors(net, plan, grid)
    mon["weights"] = _weight_monitors(net, plan, grid)
    job = NetworkJob(plan, method, grid, net.seed, mon, noise, compiled=_compiled_runner, twins=NUMPY_TWINS)
    runner = be.run_network(job, progress)
    result = NetworkResult.build(net, plan, runner, t_stop=t_stop, dt=dt, method=method)
    if be.name != _backends.DEFAULT:
        result.meta["backend"] = be.name
    if noise is not None:
        result.meta["channel_noise"] = noise.describe()
    return result


# ------------------------------------------------------------------ checks
def _tolerances(net: Network, method: str, rtol, atol):
    """dopri5's tolerances (arguments over the network's own, then the defaults), or None
    for a fixed-step method (tolerances given with one are refused)."""
    if method != adaptive.NAME:
        if any(x is not None for x in (rtol, atol, net.rtol, net.atol)):
            raise ParameterError(f"rtol and atol apply to method {adaptive.NAME} only (the method is {method})")
        return None
    noisy = [p.name for p in net.populations if getattr(p, "noise", None) is not None]
    if noisy:
        raise ParameterError(f"method {adaptive.NAME} does not integrate channel noise (population {noisy[0]!r}); "
                             f"accepted: {adaptive.ACCEPTED} (or use --method rk4)")
    rtol = rtol if rtol is not None else (net.rtol if net.rtol is not None else adaptive.RTOL)
    atol = atol if atol is not None else (net.atol if net.atol is not None else adaptive.ATOL)
    return adaptive.Tolerances(rtol, atol)


def _check_stability(plan: NetworkPlan, method: str, dt: float) -> None:
    """Refuse an explicit method at a dt beyond its stability extent for the fastest
    gate of any node over -100..+60 mV (gates at steady state there)."""
    extent = REGISTRY[method].stability
    if extent is None or not math.isfinite(extent):
        return
    worst = 0.0
    v = np.linspace(-100.0, 60.0, 81)
    for g in plan.groups:
        p = g.plan
        cols = np.unique(np.linspace(0, p.ncomp - 1, min(p.ncomp, 4)).astype(int))
        for c in cols:
            sub = _column_plan(p, c, v.size)
            y = np.repeat(sub.y0[:, :1], v.size, axis=1)
            B = physics(sub, v, y)["B"]
            A = physics(sub, v, y)["A"]
            y = np.where(B > 0, A / np.where(B > 0, B, 1.0), y)
            ph = physics(sub, v, y)
            rates = np.concatenate([ph["B"].ravel(), (ph["G"] / sub.cm).ravel()])
            worst = max(worst, float(np.nanmax(rates)))
    if worst * dt > extent:
        raise SolverError(
            f"dt = {dt:g} ms is unstable for {method} (its fastest rate is {worst:.4g}/ms, stable only below "
            f"dt = {extent / worst:.3g} ms); use a smaller --dt or --method expeuler")


def _column_plan(p, c: int, n: int):
    """Neuron c of plan p repeated n times (for evaluating along a voltage axis)."""
    from ..physics.structure import Plan

    rep = lambda a: np.repeat(a[..., c:c + 1], n, axis=-1)  # noqa: E731
    return Plan(p.structure, rep(p.gbar), rep(p.erev), rep(p.phi), rep(p.cm), rep(p.rp), rep(p.v0),
                rep(p.y0), rep(p.threshold))


#: Bytes per synapse while the edge arrays are built and sorted (the arrays kept,
#: plus the sort's permutation and the source column).
BUILD_BYTES_PER_EDGE = EDGE_BYTES + 24


#: Bytes per spike source (its next spike time, its train's pointers and scratch).
SOURCE_BYTES = 64.0


def _state_names(model) -> tuple:
    return tuple(getattr(model, "state_names", ()) or ())


def _node_bytes(model) -> float:
    """Bytes one neuron (or each compartment of a cable cell) holds while a network runs:
    V and the states in the solver's stage copies (about twelve), the parameter
    columns, the synaptic state and the step's scratch rows."""
    ns = len(_state_names(model))
    per_compartment = 8.0 * (12 * (ns + 1) + 40)
    compartments = getattr(model, "n_compartments", None)
    return per_compartment * (float(compartments) if isinstance(compartments, (int, float)) else 1.0)


def _check_size(net: Network, grid) -> None:
    """Refuse, before anything is allocated, a run whose synapses, stimulus knots and
    state monitors would not fit in memory; the message gives the size."""
    sizes = {p.name: p.n for p in net.populations}
    sizes.update({s.name: s.n for s in net.sources})
    counts = [estimate_count(pr.connect, sizes[pr.pre], sizes[pr.post], same_population=pr.pre == pr.post)
              for pr in net.projections]
    n_edges = sum(counts)
    n_slots = sum(c for c, pr in zip(counts, net.projections) if pr.stp is not None or pr.stdp is not None)
    waves = {id(s): s for p in net.populations
             for s in (p.stim if isinstance(p.stim, (list, tuple)) else [p.stim]) if s is not None}
    gridded = sum(1 for s in waves.values() if not s.piecewise_constant)
    n_rec = sum(len(_indices(idx, sizes.get(name, 0), name)) if name in sizes else 0
                for name, idx in (net.monitors.states or {}).items())
    every_ms = DEFAULT_RECORD_MS if net.monitors.every_ms is None else float(net.monitors.every_ms)
    samples = grid.n_steps * grid.dt / every_ms + 1 if (every_ms > 0 and n_rec) else 0
    max_ns = max(len(_state_names(p.model)) for p in net.populations)
    neurons = sum(float(p.n) * _node_bytes(p.model) for p in net.populations) + sum(
        float(s.n) * SOURCE_BYTES for s in net.sources)
    parts = {"synapses": n_edges * BUILD_BYTES_PER_EDGE + n_slots * SLOT_BYTES, "stimulus knots": gridded * (grid.n_steps + 2) * 40.0,
             "state monitor": samples * n_rec * 8.0 * (2 + max_ns), "neurons": neurons}
    need, have = sum(parts.values()), memory_budget()
    if need > have:
        worst = max(parts, key=parts.get)
        remedy = {"synapses": "fewer neurons or a sparser connection rule", "neurons": "fewer neurons",
                  "stimulus knots": "a shorter --t-stop or a larger --dt",
                  "state monitor": "record fewer neurons or a larger every_ms"}[worst]
        raise ParameterError(
            f"this run would need about {format_bytes(need)} (the budget is {format_bytes(have)}, ${MEMORY_ENV}), "
            f"most of it for the {worst} ({format_bytes(parts[worst])}); use {remedy}")


def _monitors(net: Network, plan: NetworkPlan, grid) -> dict:
    """Spike mask, recorded nodes and recording arrays; refuse what would not fit."""
    m = net.monitors
    mask = np.zeros(plan.n_nodes, dtype=np.bool_)
    if m.spikes == "all":
        mask[:] = True
    elif isinstance(m.spikes, dict):
        for name, idx in m.spikes.items():
            first, n = _range(plan, name)
            mask[first + _indices(idx, n, name)] = True
    elif m.spikes is not None:
        for name in m.spikes:
            first, n = _range(plan, name)
            mask[first:first + n] = True
    nodes = []
    for name, idx in (m.states or {}).items():
        first, n = _range(plan, name)
        nodes += list(first + _indices(idx, n, name))
    every_ms = DEFAULT_RECORD_MS if m.every_ms is None else float(m.every_ms)
    if not (math.isfinite(every_ms) and every_ms > 0):
        raise ParameterError(f"monitor interval every_ms must be > 0 ms (got {m.every_ms!r})")
    every = max(1, int(round(every_ms / grid.dt)))
    n_rec = grid.n_steps // every + 1 if nodes else 0
    max_ns = max(g.plan.structure.n_states for g in plan.groups)
    need = 8.0 * n_rec * len(nodes) * (2 + max_ns)
    need += 12.0 * plan.n_edges * 0  # edges are already built
    have = memory_budget()
    if need > have:
        raise ParameterError(
            f"the state monitor ({len(nodes)} neurons x {n_rec:,} samples) would need about {format_bytes(need)} "
            f"(the budget is {format_bytes(have)}); record fewer neurons or a larger every_ms")
    return {"mask": mask, "nodes": np.array(nodes, dtype=np.int64), "every": every if nodes else 0,
            "n_rec": n_rec, "max_ns": max_ns, "cable_every": cable_record_every(grid)}


def cable_record_every(grid) -> int:
    """Steps between the records of the cable cells' detection nodes (every 0.1 ms)."""
    return max(1, int(round(DEFAULT_RECORD_MS / grid.dt)))


#: The default interval of the weight monitor (ms).
DEFAULT_WEIGHTS_MS = 10.0


def _weight_monitors(net: Network, plan: NetworkPlan, grid) -> dict:
    """The plastic synapses whose weights are sampled: {projection: (indices, slots)},
    and the interval in steps; refuse unknown projections and indices."""
    m = net.monitors
    plastic = {item["label"]: item for item in plan.meta.get("plastic", [])}
    chosen = {}
    for name, idx in (m.weights or {}).items():
        if name not in plastic:
            raise ParameterError(f"unknown plastic projection {name!r} in monitors weights; accepted: "
                                 f"{', '.join(plastic) or 'none (no projection has an stdp rule)'}")
        item = plastic[name]
        order = np.lexsort((item["post"], item["pre"]))
        sel = _indices(idx, order.size, f"{name} (its synapses)")
        edges = item["edges"][order[sel]]
        slots = np.searchsorted(plan.PL.edge, edges).astype(np.int64)  # sorted (slots by edge)
        chosen[name] = (sel, slots)
    every_ms = DEFAULT_WEIGHTS_MS if m.weights_every_ms is None else float(m.weights_every_ms)
    every = max(1, int(round(every_ms / grid.dt)))
    n_samples = grid.n_steps // every + 1 if chosen else 0
    need = 8.0 * n_samples * sum(sel.size for sel, _ in chosen.values())
    if need > memory_budget():
        raise ParameterError(f"the weight monitor would need about {format_bytes(need)} (the budget is "
                             f"{format_bytes(memory_budget())}); sample fewer synapses or a larger weights_every_ms")
    return {"chosen": chosen, "every": every}


def _range(plan: NetworkPlan, name: str) -> tuple[int, int]:
    if name not in plan.pop_range:
        raise ParameterError(f"unknown population {name!r} in a monitor; accepted: {', '.join(plan.pop_range)}")
    return plan.pop_range[name]


def _indices(idx, n: int, name: str) -> np.ndarray:
    if idx == "all":
        return np.arange(n)
    a = np.asarray(idx).ravel()
    if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() >= n):
        raise ParameterError(f"monitor indices of population {name!r} must be whole numbers in [0, {n - 1}]")
    return a.astype(np.int64)


# ------------------------------------------------------------------ runner
def _compiled_runner(job: NetworkJob) -> "_Runner":
    """The compiled runner of ``job`` (what the numba back end runs)."""
    return _Runner(job.plan, job.method, job.grid, job.seed, job.mon, job.noise)


def _own_sharing(plan, uniform: bool):
    """The structure of a group's ``plan`` with the shared exponentials its nodes' own
    rate parameters allow when they all share them (``uniform``; the fast loop reads
    them once), else with none (:mod:`hhsim.physics.exp_sharing`)."""
    sharing = find_exp_sharing(plan.structure, plan.rp[:, 0]) if uniform and plan.ncomp else None
    return replace(plan.structure, exp_sharing=sharing)


class _Runner:
    """Owns the driver's arrays; grows the buffers the driver asks for."""

    def __init__(self, plan: NetworkPlan, method: str, grid, seed: int, mon: dict, noise=None):
        self.plan, self.method, self.grid, self.seed = plan, method, grid, seed
        nmda = bool(plan.KIN.g_nmda.any())  # some kinetic group is NMDA
        # groups whose nodes share their kinetics take a loop compiled for that alone
        uniform = tuple(g.plan.shares_kinetics for g in plan.groups)
        structures = tuple(_own_sharing(g.plan, u) for g, u in zip(plan.groups, uniform))
        self.membranes = network_module(structures, method, nmda, uniform)
        self.full = needs_mid_and_end(method)
        n = plan.n_nodes
        # what the threads write starts on a cache line (hhsim.engine.aligned)
        self.v = aligned.copy(plan.v0.astype(float))
        self.Y = tuple(aligned.copy(np.asarray(g.plan.y0, dtype=float)) for g in plan.groups)
        self.P = tuple(Membranes(*(np.ascontiguousarray(a, dtype=float) for a in
                                   (g.plan.gbar, g.plan.erev, g.plan.phi, g.plan.cm, g.plan.rp, 1.0 / g.plan.cm)))
                       for g in plan.groups)  # 1 / C_m: the fast loop multiplies by it
        # noisy cells (hhsim.noise.network): their noisy channels' gbar 0 in the membrane
        self.NZ = () if noise is None else noise.records(self.Y)
        if noise is not None:
            self.P = noise.without_noisy_gbar(self.P)
        self.hits = np.zeros(len(plan.groups), dtype=np.bool_)
        self.sub_buffer = np.zeros(network_loop.SUB_BUFFER)
        self.base = np.array([g.base for g in plan.groups], dtype=np.int64)
        self.S = tuple(aligned.zeros((len(drv.SCRATCH), g.plan.ncomp)) for g in plan.groups)
        fast_nodes = sum(g.plan.ncomp for g in plan.groups)
        # at most one thread per MIN_NODES_PER_THREAD fast nodes; how many of them the
        # free cores allow is asked again at every call (_threads_now)
        self.max_threads = max(1, fast_nodes // MIN_NODES_PER_THREAD)
        self.threads = self._threads_now()
        cap = max(4096, 4 * n)
        self.Q = _queue(cap, plan.n_buckets)
        ev = max(1024, n)
        self.EV = NodeEvents(time=np.zeros(ev), code=np.zeros(ev, dtype=np.int64), n=np.zeros(n, dtype=np.int64),
                             node_ptr=np.zeros(n + 1, dtype=np.int64), late=np.zeros(1, dtype=np.int64),
                             cur=np.zeros(1, dtype=np.int64))
        sp = 4 * n + 16
        expected = int(n * grid.t_end / 1000.0 * 30) + 4 * n + 1024
        self.SPK = Spikes(t=np.zeros(sp), src=np.zeros(sp, dtype=np.int64), n=np.zeros(1, dtype=np.int64),
                          ext_t=plan.ext_t, ext_src=plan.ext_src, ext_k=np.zeros(1, dtype=np.int64),
                          mon_t=np.zeros(expected), mon_src=np.zeros(expected, dtype=np.int64),
                          mon_n=np.zeros(1, dtype=np.int64), mon_mask=mon["mask"], pending=np.zeros(1, dtype=np.int64),
                          last=np.full(n, -np.inf), refr=plan.refr, hold=np.full(n, np.inf),
                          hold_min=np.array([np.inf]), pushed=np.zeros(2, dtype=np.int64))
        nodes = mon["nodes"]
        rec_k = np.zeros(nodes.size, dtype=np.int64)
        rec_c = np.zeros(nodes.size, dtype=np.int64)
        for q, i in enumerate(nodes):
            k = int(np.searchsorted(self.base, i, side="right") - 1)
            rec_k[q], rec_c[q] = k, i - self.base[k]
        nr, ns = mon["n_rec"], mon["max_ns"]
        rec_v = np.full((nr, nodes.size), np.nan)
        rec_y = np.full((nr, ns, nodes.size), np.nan)
        rec_i = np.full((nr, nodes.size), np.nan)
        if nr:
            rec_v[0] = self.v[nodes]
            for q in range(nodes.size):
                y = self.Y[rec_k[q]]
                rec_y[0, : y.shape[0], q] = y[:, rec_c[q]]
            rec_i[0] = 0.0
        self.REC = Recording(every=np.array([mon["every"]], dtype=np.int64), nodes=nodes, k=rec_k, c=rec_c, v=rec_v,
                             y=rec_y, i=rec_i, n=np.array([1 if nr else 0], dtype=np.int64))
        self.rec_every = mon["every"]
        self.steps = 0
        wm = mon.get("weights") or {"chosen": {}, "every": 0}
        self.w_every = wm["every"] if wm["chosen"] else 0
        self.w_chosen = wm["chosen"]
        self.w_t: list[float] = []
        self.w_samples: dict = {name: [] for name in self.w_chosen}

    def run(self, progress: bool) -> None:
        self._compile()
        if self.plan.cables:
            self._run_with_cables(progress)
        else:
            self._run(progress)
        self._finish_plasticity()

    def _finish_plasticity(self) -> None:
        """Every plastic synapse counts the postsynaptic spikes that reached it by the end
        (:func:`~hhsim.engine.network_kernels.stdp_flush`); refuse a run whose spike history
        was too short for them."""
        PL = self.plan.PL
        if not PL or not (PL.rule >= 0).any():
            return
        from ..engine.network_kernels import stdp_flush
        from ..engine.network_lower import STDP_HISTORY

        stdp_flush(self.grid.t0 + self.grid.n_steps * self.grid.dt, self.plan.E.post, PL)
        if PL.flag[0]:
            raise DivergenceError(
                f"a plastic synapse's target fired more than {STDP_HISTORY} spikes within two dendritic delays; "
                "its spike-timing-dependent plasticity would be wrong: use shorter delays or the axonal "
                "delay convention", self.grid.t_end)

    def _sample_weights(self, n: int) -> None:
        """Sample the monitored plastic weights after n steps (at the samples' steps only)."""
        if not self.w_every or n % self.w_every:
            return
        from ..engine.network_kernels import stdp_weights_now

        t = self.grid.t0 + n * self.grid.dt
        self.w_t.append(t)
        for name, (sel, slots) in self.w_chosen.items():
            out = np.empty(slots.size)
            stdp_weights_now(t, slots, self.plan.E.post, self.plan.PL, out)
            self.w_samples[name].append(out)

    def _run(self, progress: bool) -> None:
        n_total = self.grid.n_steps
        bar = _bar(n_total, self.grid.dt) if progress else None
        n = 0
        self._sample_weights(0)
        while n < n_total:
            stop = min(n_total, n + CHUNK)
            if self.w_every:
                stop = min(stop, (n // self.w_every + 1) * self.w_every)
            status, at = self._call(n, stop)
            if bar is not None:
                bar.update(at - n)
            n = at
            if status == drv.DONE:
                self._sample_weights(n)
                continue
            if status == drv.DIVERGED:
                self._diverged(at)
            if status == drv.SPIKE_OVERFLOW:
                raise DivergenceError(
                    f"more than 4 spikes per neuron in one step near t = {at * self.grid.dt:.4g} ms; use a smaller dt",
                    at * self.grid.dt)
            self._grow(status)
        if bar is not None:
            bar.close()
        self.steps = n_total

    def _run_with_cables(self, progress: bool) -> None:
        """The network with its cable cells, chunk by chunk in one compiled call each
        (:func:`hhsim.engine.network_cables.run_steps`: the point neurons and events, every
        cable cell's step, its spike located on the cubic interpolant, queued like any
        other); Python only between chunks (buffers, progress, weight samples)."""
        grid = self.grid
        every = cable_record_every(grid)
        setup = cables.CableSetup(self.plan.cables, grid, every, self.plan.n_nodes)
        bar = _bar(grid.n_steps, grid.dt) if progress else None
        n_total = grid.n_steps
        n = 0
        sync = spin.new_sync()
        point = cables.point_step((0, 1, sync, *self._arguments(0, 1)[0]))
        advance = setup.advance()
        self._sample_weights(0)
        while n < n_total:
            stop = min(n_total, n + CHUNK)
            if self.w_every:
                stop = min(stop, (n // self.w_every + 1) * self.w_every)
            setup.stimulus_rows(n, stop)
            while True:
                args, _ = self._arguments(n, stop)
                status, at = cables.run_steps(n, stop, setup.rows[0], *args[2:], sync, point, setup.shapes,
                                              setup.cells, advance, setup.run)
                if bar is not None:
                    bar.update(at - n)
                n = at
                if status == drv.DONE:
                    break
                if status == drv.DIVERGED:
                    self._diverged(at)
                if status == cables.CABLE_DIVERGED:
                    t_fail = grid.t0 + (at + 1) * grid.dt
                    raise DivergenceError(f"a cable cell diverged at t = {t_fail:.4g} ms (dt = {grid.dt:g} ms); "
                                          "use a smaller dt", t_fail)
                if status == drv.SPIKE_OVERFLOW:
                    raise DivergenceError(f"more than 4 spikes per neuron in one step near t = {at * grid.dt:.4g} ms; "
                                          "use a smaller dt", at * grid.dt)
                self._grow(status)
            self._sample_weights(n)
        if bar is not None:
            bar.close()
        self.cable_t, self.cable_v = setup.records()
        self.steps = n_total

    def _grow(self, status: int) -> None:
        if status == drv.GROW_QUEUE:
            self.Q = _grow_queue(self.Q)
        elif status == drv.GROW_MONITOR:
            self.SPK = self.SPK._replace(mon_t=_doubled(self.SPK.mon_t), mon_src=_doubled(self.SPK.mon_src))
        else:
            self.EV = self.EV._replace(time=np.zeros(2 * self.EV.time.size),
                                       code=np.zeros(2 * self.EV.time.size, dtype=np.int64))

    def _diverged(self, at: int):
        t_fail = self.grid.t0 + (at + 1) * self.grid.dt
        raise DivergenceError(
            f"network simulation diverged at t = {t_fail:.4g} ms (method {self.method}, dt = "
            f"{self.grid.dt:g} ms); use a smaller dt (e.g. --dt {self.grid.dt / 10:g}) or check the weights",
            t_fail)

    def _records(self) -> network_loop.LoopRecords:
        p = self.plan
        return network_loop.LoopRecords(v=self.v, thr=p.thr, Y=self.Y, P=self.P, S=self.S, d=self.sub_buffer,
                                        ST=p.ST, LIN=p.LIN, KIN=p.KIN, GR=p.GR, GAP=p.GAP, E=p.E, STP=p.STP,
                                        PIN=p.PIN, Q=self.Q, EV=self.EV, SPK=self.SPK, REC=self.REC, PL=p.PL)

    def _arguments(self, n0: int, n1: int) -> tuple:
        """The arguments of ``network_loop.steps`` after (tid, n_threads, sync), and the types
        of the loop's parts' arguments."""
        p, m, r = self.plan, self.membranes, self._records()
        env = network_loop.type_environment(r)
        fixed = network_loop.fixed_functions(env)
        args = (n0, n1, self.grid.t0, self.grid.dt, self.seed, self.full, self.v, p.thr, self.Y, self.base, self.P,
                self.S, self.hits, self.sub_buffer, (m.fast, m.sub, m.dvdt), fixed, p.ST, p.LIN, p.KIN, p.GR, p.GAP,
                p.E, p.STP, p.PIN, self.Q, self.EV, r.SPK, self.REC, p.PL, self._chan(), self.NZ)
        return args, env

    def _chan(self):
        """The noisy channels' step of the loop (:mod:`hhsim.engine.network_noise`)."""
        return chan_function(self.v, self.plan.GAP, self.plan.GR, self.NZ)

    def _compile(self) -> None:
        """Everything the loop calls, compiled or loaded before the first step (on a first
        run in two processes at once: :func:`hhsim.engine.network_loop.compile_loop`)."""
        args, env = self._arguments(0, 1)
        m = self.membranes
        for block in self.NZ:  # the noise kernel (run_noise), a function value in each block's record
            block[0].__wrapper_address__()
        network_loop.compile_loop(env, (m.fast, m.sub, m.dvdt, self._chan()), (0, 1, spin.new_sync(), *args))

    def _threads_now(self) -> int:
        """Threads for the next call: the cores other work leaves free right now, at most
        :attr:`max_threads`.  Asked before every call (a chunk of at most :data:`CHUNK`
        steps), so a run that other work starts to crowd drops its second thread at the
        next chunk, and takes it back when the cores are free again; any number of
        threads gives the same bits, so the choice never changes a result."""
        return max(1, min(coupled_thread_count(), self.max_threads))

    def _call(self, n0: int, n1: int):
        """Advance steps n0..n1-1 with the compiled loop: on ``self.threads`` threads
        (each the fast path of its share of the nodes, the first also the rest) when
        the call is long enough, else on this one."""
        args, _ = self._arguments(n0, n1)
        sync = spin.new_sync()
        self.threads = self._threads_now()
        n_threads = self.threads if n1 - n0 >= MIN_STEPS_PER_THREADED_CALL else 1
        if n_threads == 1:
            return network_loop.steps(0, 1, sync, *args)
        return spin.run_on_threads(network_loop.steps, n_threads, sync, args, "hhsim-network")


def _doubled(a: np.ndarray) -> np.ndarray:
    """``a`` followed by as many zeros (a grown buffer)."""
    return np.concatenate([a, np.zeros_like(a)])


def _queue(cap: int, n_buckets: int) -> EventQueue:
    """An empty event queue of ``cap`` slots over ``n_buckets`` one-step buckets."""
    return EventQueue(time=np.zeros(cap), edge=np.zeros(cap, dtype=np.int64), next=np.full(cap, -1, dtype=np.int64),
                      head=np.full(n_buckets, -1, dtype=np.int64), tail=np.full(n_buckets, -1, dtype=np.int64),
                      free=np.arange(cap, dtype=np.int64)[::-1].copy(), n_free=np.array([cap], dtype=np.int64))


def _grow_queue(Q: EventQueue) -> EventQueue:
    """The queue with twice the slots; the new ones go on the free list."""
    q_time, q_edge, q_next, head, tail, free, n_free = Q
    cap = q_time.size
    new_free = np.empty(2 * cap, dtype=np.int64)
    nf = int(n_free[0])
    new_free[:nf] = free[:nf]
    new_free[nf:nf + cap] = np.arange(cap, 2 * cap)
    return EventQueue(time=_doubled(q_time), edge=_doubled(q_edge),
                      next=np.concatenate([q_next, np.full(cap, -1, dtype=np.int64)]), head=head, tail=tail,
                      free=new_free, n_free=np.array([nf + cap], dtype=np.int64))


def _bar(n_steps: int, dt: float):
    from ..progress import bar

    return bar(n_steps, desc=f"network dt={dt:g} ms", unit="step")
