"""``simulate``: one neuron, one stimulus, one call."""

from __future__ import annotations

import numpy as np

from . import models as _models
from .engine.adaptive import ODEINT_TOL, run_adaptive
from .engine.batch import make_grid, run_batch
from .engine.lower import lower
from .engine.solvers import ADAPTIVE, COMPILED_ADAPTIVE, DEFAULT_METHOD, DEFAULT_OUTPUT_DT, FIXED_STEP, dopri5
from .errors import SolverError
from .model import Model
from .result import Result
from .stim import Stimulus, total


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
    """
    model = _models.get(model)
    method, dt = resolve_method(method, dt)
    grid = make_grid(t_stop, dt)
    if isinstance(stimulus, (list, tuple)):
        stimulus = total(stimulus)
    if v_init is not None:
        import dataclasses

        model = dataclasses.replace(model, v_init=float(v_init))
    initial = _initial(model, initial_state)
    plan = lower(model, initial=initial)
    if not (isinstance(record_every, int) and record_every >= 1):
        raise SolverError(f"record_every must be a whole number >= 1 (got {record_every})")

    if method in ADAPTIVE and method not in COMPILED_ADAPTIVE:
        t, v, y, spikes = run_adaptive(plan, stimulus, grid, rtol=rtol or ODEINT_TOL, atol=atol or ODEINT_TOL)
        t, v, y = t[::record_every], v[::record_every], y[::record_every]
    else:
        tol = {"rtol": rtol or dopri5.RTOL, "atol": atol or dopri5.ATOL}
        out = run_batch(plan, [stimulus], grid, method, record_every=record_every, **tol)
        t, v, y, spikes = out.t, out.v[:, 0], out.y[:, :, 0], out.spike_times[0]
    states = {name: y[:, j] for j, name in enumerate(model.state_names)}  # views, no copies
    stim_trace = stimulus.value(t) if stimulus is not None else np.zeros_like(t)
    return Result(
        t=t, v=np.ascontiguousarray(v), states=states, stimulus=stim_trace,
        spike_times=np.asarray(spikes, dtype=float), model=model, method=method, dt=grid.dt,
        t_stop=float(t_stop), v_rest=model.resting_potential(),
        meta={"stimulus": stimulus.describe() if stimulus is not None else "none"},
    )


def _initial(model: Model, initial_state: dict[str, float] | None):
    if initial_state is None:
        return None
    state = dict(initial_state)
    given_v = state.pop("v", state.pop("V", None))
    if given_v is None:
        v0, gates = model.initial_state()
    else:
        v0 = float(given_v)
        gates = model.steady_states(v0)  # gates (and pools) at steady state at v0
    names = model.state_names
    for key, value in state.items():
        if key not in names:
            raise SolverError(f"unknown state {key!r} in initial_state; accepted: v, {', '.join(names)}")
        gates[names.index(key)] = float(value)
    return (v0, gates)
