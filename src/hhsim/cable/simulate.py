"""``simulate_cable``: a morphology, its channels, point stimuli -> a :class:`CableResult`.

Methods (``method=``):

=========  =====  ==========================================================
``cn``     2      Crank-Nicolson for V, gates staggered half a step and
                  integrated exactly at fixed V (NEURON's ``secondorder``
                  scheme); the default.  Unconditionally stable.
``be``     1      backward Euler for V, gates staggered (NEURON's default).
``rk4``    4      classical Runge-Kutta on the semi-discrete system.
                  Explicit: refused when dt exceeds its stability limit.
``euler``  1      forward Euler, explicit, for teaching; same check.
=========  =====  ==========================================================

Every step of ``cn``/``be`` solves the tree matrix in O(n) inside the
compiled kernel (Hines' elimination).
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..engine import solvers as _solvers
from ..engine import aligned, spin
from ..engine.threads import coupled_thread_count
from ..engine.tree_solve import REDUCED_SIZE
from ..engine.batch import Grid, make_grid, stimulus_arrays
from ..engine.cable_codegen import cable_module
from ..engine.cable_noise import membrane_functions, run_noisy_implicit
from ..engine import backend as _backends
from ..engine.backend import CableJob
from ..errors import DivergenceError, HHSimError, ParameterError, SolverError
from .geometry import D_LAMBDA, Morphology, segment_counts
from .noise import check_cable_noise, lower_cable_noise
from ..noise.spec import as_noise
from .numpy_path import CableODE
from .lowering import _steady_gates, lower_cable, relax_gates, resolve_models, sum_conductances
from .result import CableResult
from .stimulus import PointStim
from .tree import build_tree
from .. import validate as _validate
from ..checks import start_potential

#: method -> (order, default dt in ms, implicit theta or None): the cable's
#: view of the one solver registry (:data:`hhsim.engine.solvers.METHODS`).
#: Listed implicit first, higher order first (cn, be, rk4, euler).
METHODS = {m.name: (m.order, m.default_dt["cable"], m.theta)
           for m in sorted((_solvers.method(n, "cable") for n in _solvers.names("cable")),
                           key=lambda m: (m.kind != "implicit", -m.order))}
DEFAULT_METHOD = _solvers.DEFAULT_CABLE_METHOD

#: Stability limits of the explicit methods on the negative real axis (dt * lambda_max).
_STABILITY = {name: _solvers.METHODS[name].stability for name in METHODS
              if _solvers.METHODS[name].explicit}

#: Auto t_stop: never simulate more than this (ms) without an explicit t_stop.
AUTO_T_MAX = 500.0
#: Most compartments x steps one cable run may take (50-100 ns each here: ten minutes or more).
MAX_COMPARTMENT_STEPS = 1e10
_CHUNK_MS = 1.0
#: Compartments per thread below which a chain runs on one thread (the two
#: threads meet three times per step, about 0.2 µs in all on two cores, against
#: about 9 ns per compartment-step of work split).
MIN_NODES_PER_THREAD = 256
#: Steps per compiled call below which it runs on one thread (starting a thread
#: costs about 0.1 ms).
MIN_STEPS_PER_THREADED_CALL = 50
#: Most steps one compiled call takes (the threads are chosen again before each call).
CALL_STEPS = 20000


class CableSizeError(HHSimError):
    """The discretised cable would not fit in memory."""


def simulate_cable(
    morph: Morphology,
    channels="hh",
    stimuli: PointStim | list[PointStim] | None = None,
    *,
    t_stop: float | None = None,
    dt: float | None = None,
    method: str = DEFAULT_METHOD,
    dx: float | None = None,
    nseg: int | None = None,
    d_lambda: float = D_LAMBDA,
    temperature: float | None = None,
    boundary="sealed",
    v_init: float | None = None,
    record: str | list[int] | int = "auto",
    record_every: int | None = None,
    max_crossings: int | None = None,
    progress: bool = False,
    noise=None,
    density: dict | None = None,
    channel_counts: dict | None = None,
    seed: int | None = None,
    backend: str | None = None,
) -> CableResult:
    """Simulate a cable or a branched morphology.

    Parameters
    ----------
    morph : a :class:`~hhsim.cable.geometry.Morphology` (``cable(...)``,
        ``myelinated_axon(...)``, ``read_swc(...)``).
    channels : a model or preset name for every section, or a dict
        ``{region or section name: model}`` (``"*"`` for the rest).
    stimuli : point stimuli (nA) from :func:`hhsim.cable.point`.
    t_stop : ms; None runs until the activity has ended after the last
        stimulus edge (at most 500 ms).
    dt : ms; default 0.01 (cn), 0.005 (be), 0.001 (rk4), 0.0005 (euler).
    method : ``cn`` (default), ``be``, ``rk4`` or ``euler``.
    dx, nseg, d_lambda : discretisation: maximum compartment length (µm),
        or compartments per section, else the d_lambda rule (0.1 of the AC
        length constant at 1 kHz by default).
    temperature : °C for every region (else each model's own).
    boundary : ``sealed`` (default), ``killed`` or ``infinite`` for every
        free end, a (start, end) pair for a cable, or {(section, end): kind}.
    v_init : start every node at this V (mV) with gates at steady state
        there, instead of the cable's resting equilibrium.
    record : which nodes keep a V trace: ``"auto"`` (at most ~200 evenly
        spread), ``"all"``, an int (that many), or a list of node indices.
    record_every : keep every k-th step (default: a sample every >= 0.005 ms).
    max_crossings : threshold crossings kept per node (default 16).
    noise : ``"markov"``, ``"langevin"``, ``"none"`` (default) or a
        :class:`~hhsim.noise.spec.ChannelNoise`: each compartment's channels
        as counts, ``round(density * area)`` of each kind (its area in µm²;
        :mod:`hhsim.cable.noise`), with the implicit methods ``cn``/``be``.
        The result then holds ``open_fraction`` (each noisy channel's open
        fraction at the recorded nodes) and ``channel_counts``.
    density : channel -> channels/µm² (default 60 Na and 18 K, the squid's).
    channel_counts : channel -> channels in every compartment, instead of a density.
    seed : the random stream's key (0 .. 2**64 - 1; default 0).
    backend : ``"numba"`` (default, compiled) or ``"numpy"`` (the slow NumPy reference:
        every method, a given t_stop, no channel noise; :mod:`hhsim.engine.backend`).
    """
    be = _backends.get(backend)
    native = be.name == _backends.DEFAULT
    method, order, theta, dt = check_method(method, dt)
    noise = as_noise(noise, density=density, counts=channel_counts, seed=seed)
    if noise.active:
        check_cable_noise(noise, method)
    if stimuli is None:
        stimuli = []
    elif isinstance(stimuli, PointStim):
        stimuli = [stimuli]
    stimuli = list(stimuli)
    _check_stimuli(morph, stimuli)
    # the step-count limit of `run`, also when the duration is automatic (up to AUTO_T_MAX)
    n_steps = make_grid(AUTO_T_MAX if t_stop is None else t_stop, dt).n_steps
    max_crossings = 16 if max_crossings is None else int(max_crossings)
    plan, models = prepare(morph, channels, method, dt, dx=dx, nseg=nseg, d_lambda=d_lambda,
                           temperature=temperature, boundary=boundary, max_crossings=max_crossings)
    tree = plan.tree
    if tree.n * n_steps > MAX_COMPARTMENT_STEPS:
        raise SolverError(f"{tree.n} compartments x {n_steps} steps is more than the {MAX_COMPARTMENT_STEPS:.0e} "
                          "compartment-steps accepted (hours of computing); use a larger dt, a shorter t_stop "
                          "or fewer compartments")
    sites = np.array([s.node(tree) for s in stimuli], dtype=np.int64)
    waves = [s.waveform for s in stimuli]

    v0, y0 = initial_state(plan, models, v_init)
    rec_nodes = _record_nodes(tree, record)
    if record_every is None:
        record_every = max(1, int(round(0.005 / dt))) if dt < 0.005 else 1
    record_every = _validate.record_every(record_every, SolverError)

    if t_stop is not None:
        rows = make_grid(t_stop, dt).n_steps // record_every + 1
        need, have = rows * len(rec_nodes) * 8, _available_bytes()
        if need > 0.5 * have:
            raise CableSizeError(
                f"recording {len(rec_nodes):,} positions x {rows:,} times would need about {_human(need)} "
                f"({_human(have)} available); record fewer positions or every k-th step (record_every)"
            )
    if not native and (noise.active or t_stop is None):
        raise ParameterError(f"backend {be.name} runs cables with a given t_stop and no channel noise; "
                             f"use backend {_backends.DEFAULT}" + ("" if noise.active else " or give t_stop"))
    if not noise.active and t_stop is not None:
        job = CableJob(plan, method, theta, dt, v0, y0, sites, waves, rec_nodes, record_every, max_crossings,
                       compiled=_compiled_runner, ode=CableODE)
        runner = be.run_cable(job, make_grid(t_stop, dt).n_steps, progress)
        result = CableResult.build(plan, runner, stimuli, method=method, order=order, dt=dt, auto_t_stop=False)
        if not native:
            result.meta["backend"] = be.name
        return result
    if noise.active:
        run_plan, cable_noise = lower_cable_noise(plan, models, noise, dt, y0)
        runner = _NoisyRunner(run_plan, cable_noise, method, theta, dt, v0, y0, sites, waves, rec_nodes,
                              record_every, max_crossings)
    else:
        runner = _Runner(plan, method, theta, dt, v0, y0, sites, waves, rec_nodes, record_every, max_crossings)
    if t_stop is not None:
        grid = make_grid(t_stop, dt)
        runner.advance(grid.n_steps, progress)
        auto = False
    else:
        runner.run_auto(waves, progress)
        auto = True
    runner.finish()
    result = CableResult.build(plan, runner, stimuli, method=method, order=order, dt=dt, auto_t_stop=auto)
    if noise.active:
        opened = np.concatenate(runner.o_rec, axis=0)
        result.open_fraction = {nm: opened[:, k, :] for k, nm in enumerate(cable_noise.names)}
        result.channel_counts = {nm: cable_noise.counts[k].astype(np.int64) for k, nm in enumerate(cable_noise.names)}
        result.meta["noise"] = cable_noise.describe()
    return result


def check_method(method: str, dt: float | None) -> tuple[str, int, float | None, float]:
    """(name, order, theta or None, dt in ms) of a cable method from the solver registry."""
    method = str(method).lower()
    if method not in METHODS:
        raise SolverError(f"unknown cable method {method!r}; accepted: {', '.join(METHODS)}")
    order, default_dt, theta = METHODS[method]
    dt = default_dt if dt is None else dt
    try:
        dt = float(dt)
    except (TypeError, ValueError):
        raise SolverError(f"dt must be a number > 0 ms (got {_validate.shown(dt)})") from None
    except OverflowError:  # an integer beyond any float
        raise SolverError(f"dt = {_validate.shown(dt)} ms is too large; accepted: a finite number > 0 ms") from None
    if not (math.isfinite(dt) and dt > 0):
        raise SolverError(f"dt must be a number > 0 ms (got {dt})")
    return method, order, theta, dt


def _check_stimuli(morph: Morphology, stimuli: list) -> None:
    if not isinstance(morph, Morphology):
        raise HHSimError("simulate_cable needs a Morphology (hhsim.cable.cable(...), read_swc(...))")
    for s in stimuli:
        if not isinstance(s, PointStim):
            raise HHSimError("cable stimuli must be point stimuli: hhsim.cable.point(waveform, at=µm)")
        s.locate(morph)  # location errors before any allocation


def prepare(morph: Morphology, channels, method: str, dt: float, *, dx=None, nseg=None, d_lambda=D_LAMBDA,
            temperature=None, boundary="sealed", max_crossings: int = 16):
    """Discretise and lower a cable for ``method`` at ``dt`` ms: (CablePlan, models per section).

    Checks the memory it needs first, and refuses an explicit method at an unstable dt.
    """
    if not isinstance(morph, Morphology):
        raise HHSimError("simulate_cable needs a Morphology (hhsim.cable.cable(...), read_swc(...))")
    models = resolve_models(morph, channels, temperature)
    counts = segment_counts(morph, lambda s: models[morph.index(s.name)].Cm, dx=dx, nseg=nseg,
                            d_lambda=d_lambda)
    _check_memory(sum(counts), len(morph.sections), models, method, max_crossings)
    tree = build_tree(morph, counts)
    plan = lower_cable(tree, models, boundary)
    if method in _STABILITY:
        _check_explicit(plan, method, dt)
    return plan, models


def initial_state(plan, models, v_init):
    """The cable's resting equilibrium, except where a V is imposed: ``v_init``
    for every node, or a model's own ``v_init`` for its sections (as
    ``hhsim.simulate`` does); gates at steady state at the starting V."""
    if v_init is None and all(m.v_init is None for m in models):
        return plan.v_rest.copy(), _given_states(plan, models, plan.y_rest.copy())
    v0 = plan.v_rest.copy()
    tree = plan.tree
    if v_init is not None:
        v0[:] = start_potential(v_init)  # the bound a model's own v_init has
    else:
        for si, m in enumerate(models):
            if m.v_init is not None:
                v0[tree.section_nodes[si]] = float(m.v_init)
        for j in np.nonzero(tree.junction)[0]:
            v0[j] = v0[max(int(tree.parent[j]), 0)]
    return v0, _given_states(plan, models, _steady_gates(plan, v0))


def _given_states(plan, models, y):
    """States a model starts at a given value instead of steady state (``Model.initial_states``,
    e.g. the authors' gates at 0), as ``hhsim.simulate`` starts them, in that model's sections."""
    names = None
    for si, m in enumerate(models):
        if not m.initial_states:
            continue
        if names is None:
            names = list(m.state_names) if len(m.state_names) == y.shape[0] else None
        if names is None or list(m.state_names) != names:
            raise HHSimError(f"model {m.name!r} gives initial_states, which a cable of several channel sets "
                             "cannot apply yet; run it in a cable of that model alone")
        _, states = m.initial_state()
        for name, _value in m.initial_states:
            k = names.index(name) if name in names else names.index(m.state_aliases.get(name, name))
            y[k, plan.tree.section_nodes[si]] = states[k]
    return y


# ------------------------------------------------------------------ runner
def _compiled_runner(job: CableJob) -> "_Runner":
    """The compiled runner of ``job`` (what the numba back end runs)."""
    return _Runner(job.plan, job.method, job.theta, job.dt, job.v0, job.y0, job.sites, job.waves, job.rec_nodes,
                   job.record_every, job.max_crossings)


class _Runner:
    """Owns the state arrays; advances the kernel chunk by chunk."""

    def __init__(self, plan, method, theta, dt, v0, y0, sites, waves, rec_nodes, rec_every, max_crossings):
        self.plan, self.method, self.theta, self.dt = plan, method, theta, dt
        self.mod = cable_module(plan.structure)
        n = plan.n
        # what the threads write starts on a cache line (hhsim.engine.aligned)
        self.v = aligned.copy(np.asarray(v0, dtype=float))
        self.y = aligned.copy(np.asarray(y0, dtype=float))
        self.G = aligned.zeros(n)
        self.GE = aligned.zeros(n)
        self.d = aligned.empty(n)
        self.b = aligned.empty(n)
        self.zeros = np.zeros(n)
        # the gates start with V; the first theta step relaxes them half a step
        # ahead (NEURON's staggering), later ones from mid-step to mid-step
        self.h_prev = 0.0
        self.vmax = aligned.copy(self.v)
        self.hist = aligned.empty((4, n))
        self.hist[0] = self.v
        self.sites, self.waves = sites, waves
        self.edges = sorted({e for w in waves for e in w.breakpoints() if math.isfinite(e) and e >= 0})
        self.d2 = aligned.empty(n)
        self.b2 = aligned.empty(n)
        self.cw = aligned.empty(n)
        self.site_wave = np.arange(len(sites), dtype=np.int64)
        self.site_scale = np.ones(len(sites))
        self.rec_nodes = np.asarray(rec_nodes, dtype=np.int64)
        self.rec_every = rec_every
        self.spk_t = np.full((n, max_crossings), np.nan)
        self.spk_n = np.zeros(n, dtype=np.int64)
        self.steps = 0
        self.t_rec = [np.array([0.0])]
        self.v_rec = [self.v[self.rec_nodes][None, :].copy()]
        self.sumg = sum_conductances(plan)
        icap = np.zeros(n)
        icap[plan.cap > 0] = 1.0 / plan.cap[plan.cap > 0]
        self.icap = icap
        self.alg = _junction_lists(plan.tree)
        self.chain = plan.tree.is_chain
        # a chain's halves on two threads (the implicit methods), when long enough
        long_chain = self.chain and n >= 2 * MIN_NODES_PER_THREAD and self.alg[0].size == 0
        # two threads at most, for such a chain; whether the free cores allow them is
        # asked again at every call (_threads_now)
        self.max_threads = 2 if theta is not None and long_chain else 1
        self.threads = self._threads_now()

    def advance(self, n_steps: int, progress: bool = False) -> None:
        chunk = max(1, min(n_steps, CALL_STEPS))
        bar = _progress(n_steps, self.dt) if progress else None
        done = 0
        while done < n_steps:
            k = min(chunk, n_steps - done)
            self._kernel(k)
            done += k
            if bar is not None:
                bar.update(k)
        if bar is not None:
            bar.close()

    def _kernel(self, k: int) -> None:
        p, dt, n0 = self.plan, self.dt, self.steps
        grid = Grid(n0 * dt, dt, k)
        i_a, i_m, i_b = stimulus_arrays(self.waves, grid)
        first_rec = (n0 // self.rec_every + 1) * self.rec_every  # first recorded step index + 1
        n_rec = max(0, (n0 + k) // self.rec_every - n0 // self.rec_every)
        v_rec = np.empty((n_rec, len(self.rec_nodes)))
        common_tail = (dt, 0.0, n0, k, self.rec_every, self.rec_nodes, v_rec, p.thr, self.spk_t, self.spk_n)
        alg = self.alg
        if self.theta is not None:
            i_t = i_m if self.theta == 0.5 else i_b
            args = (self.theta, self.chain, self.v, self.y, self.vmax, self.hist, *p.param_runs(),
                    p.area, p.cap, p.tree.parent, p.tree.gax, self.sumg, p.bfix, *alg,
                    self.sites, self.site_wave, self.site_scale, i_t, i_b, self._damping(n0, k),
                    dt, self.h_prev, 0.0, n0, k, self.rec_every, self.rec_nodes, v_rec, p.thr, self.spk_t,
                    self.spk_n, self.G, self.GE, self.d, self.b, self.d2, self.b2, self.cw, self.zeros)
            status = self._implicit(args, k)
            self.h_prev = dt
        elif self.method == "euler":
            status = self.mod.run_euler(
                self.v, self.y, self.vmax, self.hist, *p.param_runs(), p.area, self.icap,
                p.tree.parent, p.tree.gax, p.gfix, p.bfix, *alg, self.sites, self.site_wave,
                self.site_scale, i_a, *common_tail)
        else:
            status = self.mod.run_rk4(
                self.v, self.y, self.vmax, self.hist, *p.param_runs(), p.area, self.icap,
                p.tree.parent, p.tree.gax, p.gfix, p.bfix, *alg, self.sites, self.site_wave,
                self.site_scale, i_a, i_m, i_b, *common_tail)
        if status >= 0:
            t_fail = (n0 + status + 1) * dt
            raise DivergenceError(
                f"cable simulation diverged at t = {t_fail:.4g} ms (method {self.method}, dt = {dt:g} ms); "
                f"use a smaller dt (e.g. dt = {dt / 10:g})"
                + ("" if self.theta is not None else " or method cn, which is unconditionally stable"),
                t_fail,
            )
        if n_rec:
            self.t_rec.append(dt * np.arange(first_rec, first_rec + n_rec * self.rec_every, self.rec_every))
            self.v_rec.append(v_rec)
        self.steps += k

    def _threads_now(self) -> int:
        """Threads for the next call: two for a long chain when other work leaves two cores
        free right now, else one.  Asked before every call (at most 20,000 steps), so a run
        that other work starts to crowd drops its second thread at the next call; one and
        two threads give the same bits."""
        return 2 if self.max_threads == 2 and coupled_thread_count() >= 2 else 1

    def _implicit(self, args: tuple, n_steps: int) -> int:
        """The compiled theta steps: on two threads (a half of the chain each) for a long
        chain and call, else on this one."""
        sync, red = spin.new_sync(), aligned.zeros(REDUCED_SIZE)  # (red: each thread's own cache lines)
        self.threads = self._threads_now()
        if self.threads == 1 or n_steps < MIN_STEPS_PER_THREADED_CALL:
            return self.mod.run_implicit(0, 1, sync, red, *args)
        return spin.run_on_threads(self.mod.run_implicit, 2, sync, (red, *args), "hhsim-cable")

    def _damping(self, n0: int, k: int) -> np.ndarray:
        """1 for the steps (local index) holding a stimulus edge, and the step after."""
        out = np.zeros(k, dtype=np.int8)
        if self.theta != 0.5:
            return out
        for e in self.edges:
            j = int(math.floor(e / self.dt + 1e-9)) - n0
            for q in (j, j + 1):
                if 0 <= q < k:
                    out[q] = 1
        return out

    def run_auto(self, waves, progress: bool) -> None:
        """Advance until the activity has ended after the last stimulus edge."""
        edges = [e for w in waves for e in w.breakpoints() if math.isfinite(e)]
        t_quiet = max(edges, default=0.0) + _CHUNK_MS
        chunk = max(1, int(round(_CHUNK_MS / self.dt)))
        last_count = -1
        while True:
            self.advance(chunk)
            t = self.steps * self.dt
            count = int(self.spk_n.sum())
            above = bool(np.any(self.v >= self.plan.thr))
            if t >= t_quiet and not above and count == last_count:
                break
            last_count = count
            if t >= AUTO_T_MAX:
                return
        tail = max(1.0, 0.2 * t)  # show the spike leaving in the pictures
        self.advance(int(round(min(tail, AUTO_T_MAX - t) / self.dt)) if t < AUTO_T_MAX else 0)

    def finish(self) -> None:
        self.mod.finish_crossings(self.hist, self.steps, self.plan.thr, self.spk_t, self.spk_n, 0.0, self.dt)


class _NoisyRunner(_Runner):
    """The theta steps with noisy channels (:mod:`hhsim.engine.cable_noise`), on one thread;
    ``o_rec``: the open fractions at the recorded nodes, one array per call."""

    def __init__(self, plan, cable_noise, method, theta, dt, v0, y0, sites, waves, rec_nodes, rec_every,
                 max_crossings):
        super().__init__(plan, method, theta, dt, v0, y0, sites, waves, rec_nodes, rec_every, max_crossings)
        self.max_threads = self.threads = 1
        self.noise = cable_noise
        self.mem = membrane_functions(self.mod)
        self.g_ext = aligned.zeros(plan.n)
        self.ge_ext = aligned.zeros(plan.n)
        self.o_rec = [cable_noise.open_fraction(self.rec_nodes)[None]]

    def _kernel(self, k: int) -> None:
        p, dt, n0 = self.plan, self.dt, self.steps
        grid = Grid(n0 * dt, dt, k)
        _, i_m, i_b = stimulus_arrays(self.waves, grid)
        first_rec = (n0 // self.rec_every + 1) * self.rec_every
        n_rec = max(0, (n0 + k) // self.rec_every - n0 // self.rec_every)
        v_rec = np.empty((n_rec, len(self.rec_nodes)))
        o_rec = np.empty((n_rec, len(self.noise.names), len(self.rec_nodes)))
        i_t = i_m if self.theta == 0.5 else i_b
        status = run_noisy_implicit(
            self.mem, self.theta, self.chain, self.v, self.y, self.vmax, self.hist, *p.param_runs(), p.area,
            p.cap, p.tree.parent, p.tree.gax, self.sumg, p.bfix, *self.alg, self.sites, self.site_wave,
            self.site_scale, i_t, i_b, self._damping(n0, k), dt, self.h_prev, 0.0, n0, k, self.rec_every,
            self.rec_nodes, v_rec, o_rec, p.thr, self.spk_t, self.spk_n, self.G, self.GE, self.d, self.b,
            self.d2, self.b2, self.cw, aligned.zeros(REDUCED_SIZE), self.g_ext, self.ge_ext, self.zeros,
            self.noise.nz)
        self.h_prev = dt
        if status >= 0:
            t_fail = (n0 + status + 1) * dt
            raise DivergenceError(f"cable simulation diverged at t = {t_fail:.4g} ms (method {self.method}, "
                                  f"dt = {dt:g} ms, channel noise); use a smaller dt (e.g. dt = {dt / 10:g})",
                                  t_fail)
        if n_rec:
            self.t_rec.append(dt * np.arange(first_rec, first_rec + n_rec * self.rec_every, self.rec_every))
            self.v_rec.append(v_rec)
            self.o_rec.append(o_rec)
        self.steps += k


def _junction_lists(tree):
    """CSR lists of the junction nodes' neighbours and conductances."""
    idx = np.nonzero(tree.junction)[0].astype(np.int64)
    ptr, nbr, g = [0], [], []
    if idx.size:
        nb = tree.neighbours()
        for j in idx:
            for k, gk in nb[j]:
                nbr.append(k)
                g.append(gk)
            ptr.append(len(nbr))
    return (idx, np.asarray(ptr, dtype=np.int64), np.asarray(nbr, dtype=np.int64), np.asarray(g, dtype=float))


def _record_nodes(tree, record) -> np.ndarray:
    n = tree.n
    order = np.argsort(tree.dist, kind="stable")
    if isinstance(record, str):
        if record == "all":
            return order
        if record != "auto":
            raise SolverError(f"record must be 'auto', 'all', a count or a list of node indices (got {record!r})")
        record = 201
    if isinstance(record, (int, np.integer)):
        if record < 1:
            raise SolverError(f"record must be >= 1 node (got {record})")
        if record >= n:
            return order
        pick = np.unique(np.round(np.linspace(0, n - 1, int(record))).astype(np.int64))
        return order[pick]
    nodes = np.asarray(record, dtype=np.int64).ravel()
    if nodes.size == 0 or nodes.min() < 0 or nodes.max() >= n:
        raise SolverError(f"record node indices must be between 0 and {n - 1}")
    return nodes


def _check_explicit(plan, method: str, dt: float) -> None:
    """Refuse an explicit method where its step would be unstable on this cable.

    The bound on the fastest decay rate is Gershgorin's on the axial coupling,
    2 sum_j g_ij / C_i, plus the membrane's resting conductance, maximised
    over the compartments (junction nodes are eliminated first, which can only
    lower it).
    """
    tree = plan.tree
    sumg = sum_conductances(plan)
    g_rest = np.zeros(plan.n)
    relax_gates(plan, plan.y_rest, plan.v_rest, 0.0, G=g_rest)
    mem = plan.cap > 0
    lam = float(np.max((2.0 * sumg[mem] + plan.area[mem] * g_rest[mem]) / plan.cap[mem]))
    limit = _STABILITY[method] / lam if lam > 0 else math.inf
    if dt > limit:
        seg = min(s.length / n for s, n in zip(tree.morph.sections, tree.nseg))
        raise SolverError(
            f"method {method} is unstable on this cable: dt = {dt:g} ms exceeds its stability limit "
            f"{limit:.3g} ms for {seg:.3g} µm compartments; use method cn (implicit, stable at any dt) "
            f"or dt <= {limit:.3g} ms"
        )


def _progress(n_steps: int, dt: float):
    from ..progress import bar

    return bar(n_steps, desc=f"cable ({n_steps * dt:g} ms)", unit="step")


# ------------------------------------------------------------------ memory
def _available_bytes() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 8 << 30


def memory_estimate(n_nodes: int, models, method: str, max_crossings: int) -> int:
    """Bytes the state, parameters and work arrays of ``n_nodes`` nodes take."""
    n_ch = len({(c.name, len(c.gates)) for m in models for c in m.channels})
    n_g = sum(len(c.gates) for c in {c.name: c for m in models for c in m.channels}.values())
    n_rp = 6 * n_g
    stages = 5 if method == "rk4" else 2
    per_node = 8 * (3 * n_ch + n_rp + (stages + 1) * n_g + 4 + max_crossings + 40)
    return int(n_nodes * per_node * 1.5)  # plus the set-up's temporaries


def _check_memory(n_compartments: int, n_sections: int, models, method: str, max_crossings: int) -> None:
    need = memory_estimate(n_compartments + n_sections, models, method, max_crossings)
    have = _available_bytes()
    if need > 0.8 * have:
        raise CableSizeError(
            f"{n_compartments:,} compartments would need about {_human(need)} of memory "
            f"({_human(have)} available); use a larger compartment length (--dx) or a shorter cable"
        )


def _human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} TiB"  # pragma: no cover
