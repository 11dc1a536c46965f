"""Run many independent neurons of one structure through a compiled kernel.

This is the layer every protocol uses: parameters vary per neuron (one
column each in the :class:`~hhsim.physics.structure.Plan`), stimuli are a few
distinct waveforms, each neuron picks one and scales it.  The whole time
loop runs inside the compiled kernel, on ``HHSIM_THREADS`` threads (default:
every core) over chunks of neurons, with the same results for any number
(:mod:`hhsim.engine.threads`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import DivergenceError, SolverError
from ..validate import MAX_STEPS, shown
from ..stim import Stimulus
from . import buffers, threads
from .codegen import SHARING_SOLVERS, adaptive_functions, checked_kernel, flat_parameters, kernel_module
from ..physics.exp_sharing import groups
from ..physics.structure import Plan
from .solvers import COMPILED_ADAPTIVE, FIXED_STEP, dopri5, dopri5_driver


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
            raise SolverError(f"{name} must be a number > 0 ms (got {shown(value)})") from None
        except OverflowError:  # an integer beyond any float
            raise SolverError(f"{name} = {shown(value)} ms is too large; accepted: a finite number > 0 ms") from None
        if not (math.isfinite(value) and value > 0):
            raise SolverError(f"{name} must be a number > 0 ms (got {value})")
        checked.append(value)
    t_stop, dt = checked
    if dt > t_stop:
        raise SolverError(f"dt ({dt} ms) must not exceed t_stop ({t_stop} ms)")
    ratio = t_stop / dt
    if not ratio <= MAX_STEPS:  # also a ratio that overflows (dt of 5e-324 ms)
        raise SolverError(f"t_stop/dt = {ratio:.4g} steps is too many (the limit is {MAX_STEPS:.0e}); "
                          f"use a larger dt")
    n = int(round(ratio)) if abs(ratio - round(ratio)) < 1e-6 * max(1.0, ratio) else int(math.ceil(ratio))
    if n > MAX_STEPS:
        raise SolverError(f"t_stop/dt = {n} steps is too many; use a larger dt")
    return Grid(float(t0), float(dt), n)


def check_resolved(stimuli, grid: Grid) -> None:
    """Refuse a sine the time grid cannot follow (fewer than two samples a period): the kernels
    see the stimulus at the grid points (fixed steps) or interpolated between them (dopri5), so
    such a sine arrived aliased, a current that was never asked for, without a word."""
    from ..errors import StimulusError
    from ..stim import Sine, _parts

    for s in stimuli or []:
        for p in ([] if s is None else _parts(s)):
            if isinstance(p, Sine) and p.amp != 0 and p.freq * grid.dt > 500.0:
                raise StimulusError(
                    f"sine(freq={p.freq:.4g} Hz) changes faster than the time grid can follow: dt = {grid.dt:.4g} ms "
                    f"resolves sines up to {500.0 / grid.dt:.4g} Hz; accepted: a smaller dt (at most "
                    f"{500.0 / p.freq:.4g} ms) or a lower frequency")


def stimulus_arrays(stimuli: list[Stimulus | None], grid: Grid, first: int = 0):
    """Stimulus at the start, middle and end (left limit) of every step; with
    ``first``, of steps ``first`` .. ``first + n_steps - 1`` of the grid from ``t0``
    (a chunk of a longer run, at the same times).

    Returns three arrays of shape (n_steps, n_waveforms).
    """
    check_resolved(stimuli, grid)
    n = grid.n_steps
    t = grid.t0 + grid.dt * np.arange(first, first + n)
    out = [np.zeros((n, max(1, len(stimuli)))) for _ in range(3)]
    for w, s in enumerate(stimuli):
        if s is None:
            continue
        edges = s.breakpoints()
        out[0][:, w] = s.value(_snap(t, edges, grid.dt))
        out[1][:, w] = s.value(t + 0.5 * grid.dt)
        out[2][:, w] = s.value(_snap(t + grid.dt, edges, grid.dt), left=True)
    return out


def stimulus_knots(stimuli: list[Stimulus | None], grid: Grid):
    """Piecewise-linear description of each waveform for the adaptive kernel.

    Knots are the grid points plus every stimulus breakpoint inside the run.
    Returns ``(kt, ka, kb, kj)``, each of shape (n_waveforms, n_knots + 1):
    knot times (ms; padded past the end), the current just after each knot,
    its left limit at the next knot, and 1 where the next knot is a jump or
    breakpoint that steps must land on.
    """
    check_resolved(stimuli, grid)
    rows = []
    for s in stimuli or [None]:
        edges = _inside(s, grid)
        if s is None or s.piecewise_constant:  # knots at the edges only: no grid needed
            t = np.array(sorted({grid.t0, grid.t_end, *edges}))
            right = np.zeros(t.size) if s is None else s.value(t)
            left = np.zeros(t.size) if s is None else s.value(t, left=True)
            stops = np.ones(t.size, dtype=np.int8)
            rows.append((t, right, left, stops))
            continue
        grid_t = grid.t0 + grid.dt * np.arange(grid.n_steps + 1)
        t = grid_t
        if edges:
            t = _snap(grid_t, edges, grid.dt)
            # the edges not already a knot: the distance to the nearest knot (t is sorted), in one pass
            # (a per-edge scan of every knot took minutes for a waveform of millions of samples)
            e = np.asarray(edges, dtype=float)
            right_k = np.clip(np.searchsorted(t, e), 0, t.size - 1)
            left_k = np.clip(right_k - 1, 0, t.size - 1)
            near = np.minimum(np.abs(t[right_k] - e), np.abs(t[left_k] - e))
            extra = e[near > 1e-9 * grid.dt]
            t = np.union1d(t, extra) if extra.size else t
        if s is None:
            right = np.zeros(t.size)
            left = np.zeros(t.size)
        else:
            right, left = s.value(t), s.value(t, left=True)
        stops = np.zeros(t.size, dtype=np.int8)
        stops[:-1] = np.abs(left[1:] - right[1:]) > 1e-12 * (1.0 + np.abs(left[1:]) + np.abs(right[1:]))
        if edges:
            stops[np.clip(np.searchsorted(t, edges) - 1, 0, t.size - 2)] = 1
        rows.append(_drop_straight_knots(t, right, left, stops))
    n = max(r[0].size for r in rows) + 1
    kt = np.empty((len(rows), n))
    ka = np.zeros((len(rows), n))
    kb = np.zeros((len(rows), n))
    kj = np.zeros((len(rows), n), dtype=np.int8)
    for w, (t, right, left, stops) in enumerate(rows):
        m = t.size
        kt[w, :m] = t
        kt[w, m:] = grid.t_end + 1.0 + np.arange(n - m)  # padding past the end
        ka[w, : m - 1] = right[:-1]
        kb[w, : m - 1] = left[1:]
        kj[w, :m] = stops
    return kt, ka, kb, kj


def _drop_straight_knots(t, right, left, stops):
    """Remove interior knots where the waveform neither jumps nor bends.

    A step or pulse train then needs a handful of knots instead of one per
    grid point, which keeps the kernel's stimulus look-ups short.
    """
    if t.size <= 2:
        return t, right, left, stops
    slope = (left[1:] - right[:-1]) / np.diff(t)  # on each interval
    scale = 1.0 + np.abs(right[1:-1])
    keep = np.ones(t.size, dtype=bool)
    keep[1:-1] = (
        (stops[:-2] != 0)
        | (np.abs(left[1:-1] - right[1:-1]) > 1e-12 * scale)
        | (np.abs(slope[1:] - slope[:-1]) * (t[2:] - t[:-2]) > 1e-12 * scale)
    )
    idx = np.nonzero(keep)[0]
    # the stop flag of a kept knot refers to the next kept knot
    new_stops = np.zeros(idx.size, dtype=np.int8)
    new_stops[:-1] = stops[idx[1:] - 1]
    return t[idx], right[idx], left[idx], new_stops


def _inside(s, grid: Grid) -> list[float]:
    """The breakpoints of stimulus ``s`` strictly inside the run, in the order it gives them."""
    if s is None:
        return []
    b = np.asarray(s.breakpoints(), dtype=float)
    return b[(b > grid.t0) & (b < grid.t_end)].tolist()


def _snap(t: np.ndarray, edges: list[float], dt: float) -> np.ndarray:
    """Move grid times within rounding error of a stimulus edge onto the edge.

    ``0.025 * 400`` is ``10.000000000000002``; without this, a step that
    starts at 10 ms would already be on at the left limit of that point.
    """
    if not len(edges) or not t.size:
        return t
    t = t.copy()
    e = np.asarray(edges, dtype=float)
    k = np.rint((e - t[0]) / dt)
    ok = (k >= 0) & (k < t.size)
    e, k = e[ok], k[ok].astype(np.int64)
    close = np.abs(t[k] - e) < 1e-9 * np.maximum(1.0, np.abs(e))
    t[k[close]] = e[close]
    return t


@dataclass
class BatchOutput:
    """Recordings of a batch: ``v`` (n_rec, ncomp) mV, ``y`` (n_rec, n_states, ncomp)
    (gates, then intracellular pools in mM; n_states == n_gates without pools),
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
    rtol: float = dopri5.RTOL,
    atol: float = dopri5.ATOL,
) -> BatchOutput:
    """Integrate every neuron of ``plan`` over ``grid`` with a fixed-step ``method``.

    ``wave[c]`` picks neuron c's stimulus from ``stimuli`` and ``scale[c]``
    multiplies it.  ``record_every = 0`` records only the initial state
    (spikes are still detected at every step; the final state is returned).
    ``method`` is a fixed-step solver or ``dopri5`` (adaptive, tolerances
    ``rtol``/``atol``; then ``dt`` is only the stimulus and output grid).
    Under an ideal clamp there are no membrane dynamics: with an adaptive
    ``method`` the gates are integrated by exponential Euler on the grid,
    exact for gates at the (piecewise-constant) command voltage and stable
    at any dt however fast the rates at extreme voltages.
    """
    if clamp and method in COMPILED_ADAPTIVE:
        method = "expeuler"
    ncomp = plan.ncomp
    wave = np.zeros(ncomp, dtype=np.int64) if wave is None else np.asarray(wave, dtype=np.int64)
    scale = np.ones(ncomp) if scale is None else np.asarray(scale, dtype=float)
    args = (stimuli, grid, method)
    opts = (record_every, max_spikes, clamp, rtol, atol)
    # groups of neurons whose own parameters allow the same shared
    # exponentials run with kernels for them (usually one group): a neuron's
    # result depends on its own parameters only (the other solvers share none)
    if method in SHARING_SOLVERS or method in COMPILED_ADAPTIVE:
        parts = groups(plan.structure, plan.rp)
    else:
        parts = [(None, np.arange(ncomp))]
    if len(parts) == 1:
        out, status = _run_plan(plan.with_exp_sharing(parts[0][0]), *args, wave, scale, *opts)
    else:
        # the parts' recordings and their merged copy exist together: refuse up front
        n_rec, n_spk = _output_sizes(grid, record_every, max_spikes)
        _check_batch_memory(2 * ncomp, plan.structure.n_states, n_rec, n_spk,
                            grid.n_steps * max(1, len(stimuli)) * (method in FIXED_STEP))
        runs = [(idx, *_run_plan(plan.with_exp_sharing(sh).columns(idx), *args, wave[idx], scale[idx], *opts))
                for sh, idx in parts]
        failed = [st for _, _, st in runs if st >= 0]
        status = min(failed) if failed else -1
        out = None if failed else _merge(ncomp, runs)
    if status >= 0:
        raise _failure(method, grid, status)
    return out


def _run_plan(plan: Plan, stimuli, grid: Grid, method: str, wave: np.ndarray, scale: np.ndarray,
              record_every: int, max_spikes, clamp: bool, rtol: float, atol: float):
    """:func:`run_batch` on neurons that all take one kernel module: (output, -1), or
    (None, the failing step)."""
    if method not in FIXED_STEP and method not in COMPILED_ADAPTIVE:
        accepted = ", ".join(list(FIXED_STEP) + list(COMPILED_ADAPTIVE))
        raise SolverError(f"unknown method {method!r} for compiled runs; accepted: {accepted}")
    ncomp = plan.ncomp
    n_rec, max_spikes = _output_sizes(grid, record_every, max_spikes)
    ns = plan.structure.n_states
    _check_batch_memory(ncomp, ns, n_rec, max_spikes, grid.n_steps * max(1, len(stimuli)) * (method in FIXED_STEP))
    block = buffers.take(n_rec * ncomp * (1 + ns))  # one block: V, then the states
    v_rec = block[: n_rec * ncomp].reshape(n_rec, ncomp)
    y_rec = block[n_rec * ncomp:].reshape(n_rec, ns, ncomp)
    del block
    v_rec[0] = plan.v0
    y_rec[0] = plan.y0
    spk_t = np.full((ncomp, max_spikes), np.nan)
    spk_n = np.zeros(ncomp, dtype=np.int64)
    v = plan.v0.astype(float).copy()
    y = np.ascontiguousarray(plan.y0, dtype=float).copy()

    module = kernel_module(plan.structure)
    timing = (float(grid.dt), float(grid.t0), int(grid.n_steps), int(record_every))
    outputs = (v_rec, y_rec, np.ascontiguousarray(plan.threshold, dtype=float), spk_t, spk_n)
    # chunks of neurons on HHSIM_THREADS threads (one chunk: a direct call)
    if method in COMPILED_ADAPTIVE:
        if not (0 < rtol < 1 and 0 < atol):
            raise SolverError(f"tolerances must satisfy 0 < rtol < 1 and atol > 0 (got {rtol}, {atol})")
        kernel = _adaptive_kernel(plan)
        args = (v, y, wave, scale, *stimulus_knots(stimuli, grid), *timing, *outputs,
                float(rtol), float(atol), float(dopri5.H_MAX))
        status = threads.run_chunks(kernel, args, ncomp, 1, threads.first_failing_chunk)
    else:
        # neurons sharing their rate parameters and temperature factors (a lone
        # neuron, a batch varying conductances) take the loop compiled for them alone
        name = f"run_{method}_uniform" if plan.shares_kinetics else f"run_{method}"
        kernel = checked_kernel(getattr(module, name), plan.structure)
        common = (v, y, plan.gbar, plan.erev, plan.phi, plan.cm, plan.rp, wave, scale)
        args = (*common, *stimulus_arrays(stimuli, grid), bool(clamp), *timing, *outputs)
        status = threads.run_chunks(kernel, args, ncomp, module.BLOCK, threads.earliest_step)
    if status >= 0:
        return None, status
    if method in COMPILED_ADAPTIVE and any(g.instantaneous for g in plan.structure.gates):
        # adaptive kernels integrate instantaneous gates as constants: refresh them
        args = (plan.gbar, plan.erev, plan.phi, plan.cm, plan.rp)
        for c in range(ncomp):
            sub = _column(args, c)
            y_rec[:, :, c] = module.inst_vec(v_rec[:, c].copy(), np.ascontiguousarray(y_rec[:, :, c]), *sub)
            y[:, c] = module.inst_vec(v[c:c + 1].copy(), np.ascontiguousarray(y[:, c][None, :]), *sub)[0]
    if record_every > 0:
        t = grid.t0 + grid.dt * record_every * np.arange(n_rec)
    else:
        t = np.array([grid.t0])
    spikes = [spk_t[c, : min(spk_n[c], max_spikes)].copy() for c in range(ncomp)]
    return BatchOutput(t, v_rec, y_rec, spikes, v, y), status


def _adaptive_kernel(plan: Plan):
    """The compiled adaptive loop bound to ``plan``'s model: called as
    ``kernel(v, y, wave, scale, kt, ka, kb, kj, dt, t0, n_steps, rec_every, v_rec, y_rec,
    thr, spk_t, spk_n, rtol, atol, h_max, lo, hi)``."""
    dopri5_driver.start_loop_compile()  # a first run: the loop compiles beside the model's functions
    rhs, inst, stages = adaptive_functions(plan.structure)
    parts = dopri5_driver.loop_parts()  # here, while the worker compiles the loop itself
    loop = dopri5_driver.compiled_loop()
    params = flat_parameters(plan)
    s = plan.structure
    is_inst = np.array([0] + [int(g.instantaneous) for g in s.gates] + [0] * s.n_pools, dtype=np.int8)

    def kernel(*args):
        *run, lo, hi = args
        work = np.empty((9, is_inst.shape[0]))  # the loop's scratch, one per call (thread chunks)
        return loop(rhs, inst, stages, *parts, params, *run, is_inst, work, np.empty(6), lo, hi)

    return kernel


def _output_sizes(grid: Grid, record_every: int, max_spikes: int | None) -> tuple[int, int]:
    """(recorded time points, spike slots per neuron) of a run."""
    n_rec = grid.n_steps // record_every + 1 if record_every > 0 else 1
    if max_spikes is None:
        max_spikes = int(grid.n_steps * grid.dt / 1.0) + 16  # HH cannot fire faster than ~1/ms
    return n_rec, max_spikes


def _check_batch_memory(ncomp: int, n_states: int, n_rec: int, max_spikes: int, n_stim: int) -> None:
    """Refuse before allocating: recordings, spike buffers and (fixed-step) stimulus arrays."""
    from ..limits import check_memory

    nbytes = 8.0 * (n_rec * ncomp * (1 + n_states) + ncomp * max_spikes + 3 * n_stim)
    check_memory(nbytes, f"a run of {ncomp} neuron(s) recording {n_rec} time points",
                 "record fewer points, use a shorter duration, a larger dt or fewer neurons", SolverError)


def _failure(method: str, grid: Grid, status: int) -> DivergenceError:
    """The error for a kernel that stopped at grid step ``status``."""
    t_fail = grid.t0 + (status + 1) * grid.dt
    if method in COMPILED_ADAPTIVE:
        return DivergenceError(
            f"the adaptive solver ({method}) could not continue at t = {t_fail:.4g} ms: the membrane "
            f"left the range where the model's rates are usable (|V| above 10 V, or steps below "
            f"{dopri5.H_MIN:g} ms because the rates became too fast); check the stimulus amplitude "
            "or use --method expeuler, which stays stable however fast the gates",
            t_fail,
        )
    return DivergenceError(
        f"simulation diverged at t = {t_fail:.4g} ms (method {method}, dt = {grid.dt:g} ms); "
        f"use a smaller dt (e.g. --dt {grid.dt / 10:g})"
        + ("" if method == "expeuler" else " or --method expeuler, which stays stable at large dt"),
        t_fail,
    )


def _merge(ncomp: int, parts) -> BatchOutput:
    """One :class:`BatchOutput` of ``ncomp`` neurons from (neuron indices, output, status) parts."""
    first = parts[0][1]
    v_rec = np.empty((first.v.shape[0], ncomp))
    y_rec = np.empty((first.y.shape[0], first.y.shape[1], ncomp))
    v, y = np.empty(ncomp), np.empty((first.y_final.shape[0], ncomp))
    spikes = [None] * ncomp
    for idx, out, _ in parts:
        v_rec[:, idx], y_rec[:, :, idx], v[idx], y[:, idx] = out.v, out.y, out.v_final, out.y_final
        for k, c in enumerate(idx):
            spikes[c] = out.spike_times[k]
    return BatchOutput(first.t, v_rec, y_rec, spikes, v, y)


def _column(arrays, c: int):
    """The parameter arrays of neuron ``c`` alone (as a one-neuron plan)."""
    return tuple(np.ascontiguousarray(a[..., c:c + 1]) for a in arrays)
