"""``simulate``: one neuron, one stimulus, one call."""

from __future__ import annotations

import numpy as np

from . import models as _models
from .engine.adaptive import ODEINT_TOL, run_adaptive
from .engine import backend as _backends
import dataclasses

from .engine.batch import BatchOutput, Grid, make_grid, run_batch
from .physics.structure import lower
from .engine.solvers import ADAPTIVE, COMPILED_ADAPTIVE, DEFAULT_METHOD, DEFAULT_OUTPUT_DT, FIXED_STEP, dopri5
from .checks import check_stimulus, check_tolerance, finite_number, start_potential
from .errors import ParameterError, SolverError
from .limits import check_memory
from .model import Model
from .result import Result
from .stim import Stimulus
from . import validate as _validate


def resolve_method(method: str | None, dt: float | None) -> tuple[str, float]:
    """The method name and dt (ms) to use, applying the defaults."""
    method = DEFAULT_METHOD if method is None else str(method).lower()
    if method not in FIXED_STEP and method not in ADAPTIVE:
        raise SolverError(
            f"unknown method {method!r}; accepted: {', '.join(list(FIXED_STEP) + list(ADAPTIVE))}"
        )
    if dt is None:
        dt = FIXED_STEP[method].default_dt if method in FIXED_STEP else DEFAULT_OUTPUT_DT
    return method, dt


def simulate(
    model: str | Model,
    stimulus: Stimulus | list[Stimulus] | None = None,
    *,
    t_stop: float,
    dt: float | None = None,
    method: str | None = None,
    v_init: float | None = None,
    initial_state: dict[str, float] | None = None,
    record_every: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    noise=None,
    area_um2: float | None = None,
    density: dict | None = None,
    channel_counts: dict | None = None,
    seed: int | None = None,
    backend: str | None = None,
) -> Result:
    """Simulate one membrane patch.

    Parameters
    ----------
    model : a preset name (``"hh"``) or a :class:`~hhsim.model.Model`.
    stimulus : a stimulus, a list of stimuli (they add up) or None.
    t_stop : duration in ms.
    dt : time step in ms; for the adaptive methods (``dopri5``, ``lsoda``)
        the output and stimulus grid.  Default: the method's default
        (0.025 ms for ``dopri5`` and ``rk4``).
    method : ``dopri5`` (default, adaptive), ``rk4``, ``expeuler``, ``euler``
        or ``lsoda`` (scipy, what ``odeint`` gives).
    v_init : start from this membrane potential (mV) with gates at their
        steady state there, instead of the resting equilibrium.
    initial_state : explicit start, e.g. ``{"v": -60, "m": 0.1, "h": 0.5, "n": 0.4}``;
        gates not given start at steady state.
    record_every : keep every k-th step (spike times still use every step).
    rtol, atol : tolerances of the adaptive methods (defaults: 1e-6 for
        ``dopri5``, odeint's 1.49012e-8 for ``lsoda``).
    noise : channel noise (:mod:`hhsim.noise`): ``"markov"``, ``"langevin"``,
        ``"gillespie"``, ``"none"`` (default) or a :class:`~hhsim.noise.ChannelNoise`;
        then ``area_um2`` (membrane area, µm²), ``density`` (channel -> channels/µm²,
        default Na 60 and K 18 of the squid axon), ``channel_counts`` (channel ->
        number, instead of a density) and ``seed`` describe it, ``dt`` defaults to
        0.01 ms and the result is a :class:`~hhsim.noise.NoiseResult`.
    backend : ``"numba"`` (default, compiled) or ``"numpy"`` (the slow NumPy reference,
        fixed-step methods only; :mod:`hhsim.engine.backend`).
    """
    be = _backends.get(backend)
    native = be.name == _backends.DEFAULT
    spec = _noise_spec(noise, area_um2, density, channel_counts, seed)
    if spec is not None and spec.active:
        if not native:
            raise ParameterError(f"channel noise runs on backend {_backends.DEFAULT} only (got backend {be.name!r})")
        from .noise import simulate_noisy

        if rtol is not None or atol is not None:
            raise SolverError("rtol and atol belong to the adaptive methods; a noisy run has a fixed step dt")
        model = _models.get(model)
        if v_init is not None:
            model = dataclasses.replace(model, v_init=_start_potential(v_init, "expeuler (channel noise)"))
        if initial_state is not None and not isinstance(initial_state, dict):
            raise ParameterError(f"initial_state must be a dict such as {{'v': -60, 'm': 0.1}}, "
                                 f"got {type(initial_state).__name__}")
        return simulate_noisy(model, stimulus, spec, t_stop=t_stop, dt=dt, method=method,
                              record_every=record_every, initial=_initial(model, initial_state))
    model = _models.get(model)
    method, dt = resolve_method(method, dt)
    grid = make_grid(t_stop, dt)
    stimulus = check_stimulus(stimulus)
    record_every = _validate.record_every(record_every, SolverError)
    rtol, atol = check_tolerance("rtol", rtol), check_tolerance("atol", atol)
    if v_init is not None:
        model = dataclasses.replace(model, v_init=_start_potential(v_init, method))
    if initial_state is not None and not isinstance(initial_state, dict):
        raise ParameterError(f"initial_state must be a dict such as {{'v': -60, 'm': 0.1}}, "
                             f"got {type(initial_state).__name__}")
    initial = _initial(model, initial_state)
    check_recording(grid, record_every, len(model.state_names), fixed_step=method in FIXED_STEP)
    plan = lower(model, initial=initial)

    if method in ADAPTIVE and method not in COMPILED_ADAPTIVE and native:
        t, v, y, spikes = run_adaptive(plan, stimulus, grid, rtol=ODEINT_TOL if rtol is None else rtol,
                                       atol=ODEINT_TOL if atol is None else atol)
        t, v, y = t[::record_every], v[::record_every], y[::record_every]
    else:
        tol = {"rtol": dopri5.RTOL if rtol is None else rtol, "atol": dopri5.ATOL if atol is None else atol}
        out = run_in_chunks(plan, stimulus, grid, method, record_every, tol, run=be.run_point)
        t, v, y, spikes = out.t, out.v[:, 0], out.y[:, :, 0], out.spike_times[0]
    states = {name: y[:, j] for j, name in enumerate(model.state_names)}  # views, no copies
    stim_trace = stimulus.value(t) if stimulus is not None else np.zeros_like(t)
    return Result(
        t=t, v=np.ascontiguousarray(v), states=states, stimulus=stim_trace,
        spike_times=np.asarray(spikes, dtype=float), model=model, method=method, dt=grid.dt,
        t_stop=float(t_stop), v_rest=model.resting_potential(),
        meta={"stimulus": stimulus.describe() if stimulus is not None else "none"},
    )


#: Grid steps per compiled call.  A kernel cannot be interrupted; a long run is
#: taken in calls of at most this many steps (well under a second each for one
#: neuron), with the state carried over exactly, so that Ctrl-C and SIGTERM act
#: within about a second.  Shorter runs are one call, as before.
CHUNK_STEPS = 1 << 19


def run_in_chunks(plan, stimulus, grid: Grid, method: str, record_every: int, tol: dict,
                  run=run_batch) -> BatchOutput:
    """:func:`~hhsim.engine.batch.run_batch` (or a back end's ``run_point``, ``run``) over
    ``grid`` in calls of at most :data:`CHUNK_STEPS` steps (a multiple of ``record_every``),
    recordings joined."""
    if grid.n_steps <= CHUNK_STEPS:
        return run(plan, [stimulus], grid, method, record_every=record_every, **tol)
    chunk = max(record_every, CHUNK_STEPS // record_every * record_every)
    n_rec = grid.n_steps // record_every + 1
    v_all = np.empty((n_rec, plan.ncomp))
    y_all = np.empty((n_rec, plan.structure.n_states, plan.ncomp))
    spikes, done, row, out = [], 0, 0, None
    while done < grid.n_steps:
        k = min(chunk, grid.n_steps - done)
        sub = Grid(grid.t0 + done * grid.dt, grid.dt, k)
        out = run(plan, [stimulus], sub, method, record_every=record_every, **tol)
        first = 0 if row == 0 else 1  # a chunk's first row is the previous chunk's last
        rows = out.v.shape[0] - first
        v_all[row:row + rows] = out.v[first:]
        y_all[row:row + rows] = out.y[first:]
        row += rows
        spikes.append(out.spike_times[0])
        plan = dataclasses.replace(plan, v0=out.v_final.copy(), y0=out.y_final.copy())
        done += k
    t = grid.t0 + grid.dt * record_every * np.arange(n_rec)
    return BatchOutput(t, v_all, y_all, [np.concatenate(spikes)], out.v_final, out.y_final)


def check_recording(grid, record_every: int, n_states: int, n_neurons: int = 1, fixed_step: bool = True) -> None:
    """Refuse before allocating when the recordings (V, every state, t and the
    stimulus) and the fixed-step stimulus arrays would exceed the memory budget."""
    n_rec = grid.n_steps // record_every + 1
    nbytes = 8.0 * n_rec * n_neurons * (n_states + 1) + 16.0 * n_rec
    if fixed_step:  # the stimulus arrays of one chunk (see run_in_chunks)
        nbytes += 24.0 * min(grid.n_steps, CHUNK_STEPS)
    check_memory(nbytes, f"recording {n_rec} time points of {n_neurons * (n_states + 1)} variables",
                 "record fewer points (record_every / --record-every), use a shorter t_stop or a larger dt",
                 SolverError)


def _start_potential(v_init, method: str) -> float:
    """``v_init`` (mV) checked: finite and within a membrane's range (the bound a model's own
    ``v_init`` has); the refusal names the method that could not start there."""
    return start_potential(v_init, why=f": no {method} run can start there")


def _noise_spec(noise, area_um2, density, channel_counts, seed):
    """The run's :class:`~hhsim.noise.ChannelNoise`, or None when no noise argument is
    given (:mod:`hhsim.noise` and the scipy.stats it needs are then not imported: they
    cost a deterministic run's first start about 0.4 s)."""
    if noise is None and all(x is None for x in (area_um2, density, channel_counts, seed)):
        return None
    from .noise import as_noise

    return as_noise(noise, area_um2=area_um2, density=density, counts=channel_counts, seed=seed)


def _initial(model: Model, initial_state: dict[str, float] | None):
    if initial_state is None:
        return None
    state = dict(initial_state)
    given_v = state.pop("v", state.pop("V", None))
    if given_v is None:
        v0, gates = model.initial_state()
    else:
        v0 = finite_number("initial_state v", given_v, "mV")
        _validate.number(v0, "initial_state v", unit="mV", lo=-1000.0, hi=1000.0)  # as v_init: a membrane's range
        gates = model.steady_states(v0)  # gates (and pools) at steady state at v0
    names = model.state_names
    aliases = model.state_aliases  # qualified names (Na.m) always, short ones where unique
    n_gates = len(model.gates)
    named: set[int] = set()
    for key, value in state.items():
        if key not in aliases:
            raise SolverError(f"unknown state {key!r} in initial_state; accepted: v, {', '.join(aliases)}")
        k = names.index(aliases[key])
        x = finite_number(f"initial_state {key}", value)
        if k < n_gates and not 0.0 <= x <= 1.0:  # a gate is a fraction of open channels
            raise SolverError(f"initial_state {key} = {x:g} is not a gate value; accepted: 0 <= {key} <= 1")
        if k >= n_gates and not x > 0.0:  # an ion pool's concentration
            raise SolverError(f"initial_state {key} = {x:g} mM is not a concentration; accepted: > 0 mM")
        gates[k] = x
        named.add(k)
    if any(k >= n_gates for k in named):
        # as NEURON's INITIAL blocks: a gate not named starts at its steady state for the
        # concentrations the pools start from (a Ca-activated gate follows the given Ca_i)
        fixed = {names.index(aliases.get(n, n)) for n, _ in model.initial_states if aliases.get(n, n) in names}
        pools = {p.state_name: gates[n_gates + j] for j, p in enumerate(model.pools)}
        x_inf = model.gate_steady_states(v0, pools)
        for j, (ch, g) in enumerate(model.gates):
            if j not in named and j not in fixed:
                gates[j] = float(x_inf[(ch.name, g.name)])
    return (v0, gates)
