"""Run many independent neurons of one structure through a compiled kernel.

This is the layer every protocol uses: parameters vary per neuron (one
column each in the :class:`~hhsim.engine.lower.Plan`), stimuli are a few
distinct waveforms, each neuron picks one and scales it.  The whole time
loop runs inside the compiled kernel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import DivergenceError, SolverError
from ..stim import Stimulus
from .codegen import kernel_module
from .lower import Plan
from .solvers import FIXED_STEP


@dataclass
class Grid:
    """The fixed time grid: ``n_steps`` steps of ``dt`` ms from ``t0``."""

    t0: float
    dt: float
    n_steps: int

    @property
    def t_end(self) -> float:
        return self.t0 + self.n_steps * self.dt


def make_grid(t_stop: float, dt: float, t0: float = 0.0) -> Grid:
    """Validate ``t_stop`` and ``dt`` (ms) and build the grid.

    dt is kept exactly; when it does not divide ``t_stop`` the run ends at the
    first grid point after ``t_stop`` (so the last step is a whole step).
    """
    checked = []
    for name, value in (("t_stop", t_stop), ("dt", dt)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise SolverError(f"{name} must be a number > 0 ms (got {value!r})") from None
        if not (math.isfinite(value) and value > 0):
            raise SolverError(f"{name} must be a number > 0 ms (got {value})")
        checked.append(value)
    t_stop, dt = checked
    if dt > t_stop:
        raise SolverError(f"dt ({dt} ms) must not exceed t_stop ({t_stop} ms)")
    ratio = t_stop / dt
    n = int(round(ratio)) if abs(ratio - round(ratio)) < 1e-6 * max(1.0, ratio) else int(math.ceil(ratio))
    if n > 2_000_000_000:
        raise SolverError(f"t_stop/dt = {n} steps is too many; use a larger dt")
    return Grid(float(t0), float(dt), n)


def stimulus_arrays(stimuli: list[Stimulus | None], grid: Grid):
    """Stimulus at the start, middle and end (left limit) of every step.

    Returns three arrays of shape (n_steps, n_waveforms).
    """
    n = grid.n_steps
    t = grid.t0 + grid.dt * np.arange(n)
    out = [np.zeros((n, max(1, len(stimuli)))) for _ in range(3)]
    for w, s in enumerate(stimuli):
        if s is None:
            continue
        edges = s.breakpoints()
        out[0][:, w] = s.value(_snap(t, edges, grid.dt))
        out[1][:, w] = s.value(t + 0.5 * grid.dt)
        out[2][:, w] = s.value(_snap(t + grid.dt, edges, grid.dt), left=True)
    return out


def _snap(t: np.ndarray, edges: list[float], dt: float) -> np.ndarray:
    """Move grid times within rounding error of a stimulus edge onto the edge.

    ``0.025 * 400`` is ``10.000000000000002``; without this, a step that
    starts at 10 ms would already be on at the left limit of that point.
    """
    if not edges:
        return t
    t = t.copy()
    for e in edges:
        k = int(round((e - t[0]) / dt)) if t.size else 0
        if 0 <= k < t.size and abs(t[k] - e) < 1e-9 * max(1.0, abs(e)):
            t[k] = e
    return t


@dataclass
class BatchOutput:
    """Recordings of a batch: ``v`` (n_rec, ncomp) mV, ``y`` (n_rec, n_gates, ncomp),
    ``t`` (n_rec,) ms, and per neuron the spike times (ms)."""

    t: np.ndarray
    v: np.ndarray
    y: np.ndarray
    spike_times: list[np.ndarray]
    v_final: np.ndarray
    y_final: np.ndarray


def run_batch(
    plan: Plan,
    stimuli: list[Stimulus | None],
    grid: Grid,
    method: str,
    wave: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    record_every: int = 1,
    max_spikes: int | None = None,
    clamp: bool = False,
) -> BatchOutput:
    """Integrate every neuron of ``plan`` over ``grid`` with a fixed-step ``method``.

    ``wave[c]`` picks neuron c's stimulus from ``stimuli`` and ``scale[c]``
    multiplies it.  ``record_every = 0`` records only the first and last
    state (spikes are still detected at every step).
    """
    if method not in FIXED_STEP:
        raise SolverError(f"unknown fixed-step method {method!r}; accepted: {', '.join(FIXED_STEP)}")
    ncomp = plan.ncomp
    wave = np.zeros(ncomp, dtype=np.int64) if wave is None else np.asarray(wave, dtype=np.int64)
    scale = np.ones(ncomp) if scale is None else np.asarray(scale, dtype=float)
    i_a, i_m, i_b = stimulus_arrays(stimuli, grid)
    n_rec = grid.n_steps // record_every + 1 if record_every > 0 else 1
    v_rec = np.empty((n_rec, ncomp))
    y_rec = np.empty((n_rec, plan.structure.n_gates, ncomp))
    v_rec[0] = plan.v0
    y_rec[0] = plan.y0
    if max_spikes is None:
        max_spikes = int(grid.n_steps * grid.dt / 1.0) + 16  # HH cannot fire faster than ~1/ms
    spk_t = np.full((ncomp, max_spikes), np.nan)
    spk_n = np.zeros(ncomp, dtype=np.int64)
    v = plan.v0.astype(float).copy()
    y = np.ascontiguousarray(plan.y0, dtype=float).copy()

    kernel = getattr(kernel_module(plan.structure), f"run_{method}")
    status = kernel(
        v, y, plan.gbar, plan.erev, plan.phi, plan.cm, plan.rp, wave, scale, i_a, i_m, i_b,
        bool(clamp), float(grid.dt), float(grid.t0), int(grid.n_steps), int(record_every),
        v_rec, y_rec, plan.threshold.astype(float), spk_t, spk_n,
    )
    if status >= 0:
        t_fail = grid.t0 + (status + 1) * grid.dt
        raise DivergenceError(
            f"simulation diverged at t = {t_fail:.4g} ms (method {method}, dt = {grid.dt:g} ms); "
            f"use a smaller dt (e.g. --dt {grid.dt / 10:g})"
            + ("" if method == "expeuler" else " or --method expeuler, which stays stable at large dt"),
            t_fail,
        )
    if record_every > 0:
        t = grid.t0 + grid.dt * record_every * np.arange(n_rec)
    else:
        t = np.array([grid.t0])
    spikes = [spk_t[c, : min(spk_n[c], max_spikes)].copy() for c in range(ncomp)]
    return BatchOutput(t, v_rec, y_rec, spikes, v, y)
