"""One generation of candidates, simulated as one batch per stimulus shape.

Current clamp goes through the public batch entry point
:func:`hhsim.simulate_batch`: every candidate on every sweep is one neuron,
the fitted parameters are per-neuron columns and each sweep's stimulus is
the shared waveform times the neuron's ``scale``.  Sweeps whose stimuli are
multiples of one waveform (a step family) run together, so a generation is
one batch; sweeps of unrelated shapes add one batch per shape.

Voltage clamp runs every candidate on every command of the family in one
compiled batch under an ideal clamp (``clamp=True``, the procedure of
:mod:`hhsim.analysis.vclamp`), or through a series resistance as ``hhsim
vclamp --rs`` does; currents come from :func:`hhsim.analysis.vclamp.channel_traces`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..batch_api import simulate_batch
from ..errors import DivergenceError
from ..model import Model
from ..stim import Stimulus
from .data import DataError, Sweep

#: Loss given to a candidate whose simulation blew up (finite, so CMA-ES can rank it).
FAILED = 1e12


@dataclass(frozen=True)
class Group:
    """Sweeps run in one batch: ``stimulus * scales[j]`` drives sweep ``members[j]``."""

    stimulus: Stimulus | None
    members: tuple[int, ...]
    scales: tuple[float, ...]
    dt_ms: float
    t_stop_ms: float


@dataclass(frozen=True)
class Clamp:
    """How voltage-clamp data were taken: ``series_resistance`` (Ω·cm², None = ideal clamp),
    the amplifier ``gain`` (None = infinite) and whether the linear leak was subtracted (P/N)."""

    series_resistance: float | None = None
    gain: float | None = None
    leak_subtracted: bool = False


def _probe_times(sweep: Sweep, other: Stimulus) -> np.ndarray:
    pts = [sweep.t_ms]
    for s in (sweep.stimulus, other):
        b = np.array([x for x in s.breakpoints() if math.isfinite(x)], dtype=float)
        pts.append(np.concatenate([b - 1e-6, b + 1e-6]))
    t = np.concatenate(pts)
    return t[(t >= 0) & (t <= sweep.duration_ms)]


def proportional(sweep: Sweep, ref: Stimulus) -> float | None:
    """``a`` with ``sweep.stimulus == a * ref`` on the sweep (None if not a multiple)."""
    t = _probe_times(sweep, ref)
    w = sweep.stimulus.value(t)
    r = ref.value(t)
    rr = float(r @ r)
    if rr == 0.0:
        return None
    a = float(w @ r) / rr
    if np.max(np.abs(w - a * r)) <= 1e-9 * max(1.0, float(np.max(np.abs(w)))):
        return a
    return None


def group_sweeps(sweeps: list[Sweep]) -> list[Group]:
    """Sweeps grouped by sampling interval and stimulus shape (see the module docstring)."""
    groups: list[dict] = []
    for i, s in enumerate(sweeps):
        silent = not np.any(s.stimulus.value(_probe_times(s, s.stimulus)))
        for g in groups:
            if abs(g["dt"] - s.dt_ms) > 1e-9 * s.dt_ms:
                continue
            a = 0.0 if silent else (None if g["ref"] is None else proportional(s, g["ref"]))
            if a is not None:
                g["members"].append(i)
                g["scales"].append(a)
                break
        else:
            groups.append({"ref": None if silent else s.stimulus, "members": [i], "scales": [0.0 if silent else 1.0],
                           "dt": s.dt_ms})
    return [Group(g["ref"], tuple(g["members"]), tuple(g["scales"]), g["dt"],
                  max(sweeps[i].duration_ms for i in g["members"])) for g in groups]


def grid_for(sweep_dt: float, method: str | None, dt: float | None) -> tuple[float, int]:
    """(simulation dt, record_every) so that recorded samples fall on the sweep's samples.

    With the adaptive default (``dopri5``) dt is only the output grid: the sweep's
    interval.  A fixed-step method takes the largest step <= ``dt`` dividing it.
    """
    from ..simulation import resolve_method

    method, default_dt = resolve_method(method, dt)
    if method == "dopri5" and dt is None:
        return sweep_dt, 1
    k = max(1, math.ceil(sweep_dt / default_dt - 1e-9))
    return sweep_dt / k, k


def simulate_current_clamp(model: Model, names: list[str], values: np.ndarray, sweeps: list[Sweep],
                           groups: list[Group], *, method: str | None = None, dt: float | None = None) -> list:
    """Membrane potential (mV) of every candidate on every sweep.

    ``values``: (n, d) parameter values (columns in the order of ``names``).
    Returns per sweep an (n, samples) array; a candidate whose run diverged has NaN rows.
    """
    values = np.atleast_2d(values)
    n = values.shape[0]
    out = [None] * len(sweeps)
    for g in groups:
        m = len(g.members)
        params = {name: np.repeat(values[:, j], m) for j, name in enumerate(names)}
        scale = np.tile(np.asarray(g.scales, dtype=float), n)
        sim_dt, every = grid_for(g.dt_ms, method, dt)
        traces = _run_cc(model, params, g, scale, sim_dt, every, method, n * m)
        for j, i in enumerate(g.members):
            size = sweeps[i].t_ms.size
            out[i] = traces[:size, j::m].T.copy()
    return out


def _run_cc(model, params, g: Group, scale, sim_dt, every, method, count) -> np.ndarray:
    """(samples, count) V of one group's batch; on divergence, neuron by neuron (NaN where it failed)."""
    kw = dict(stimulus=g.stimulus, t_stop=g.t_stop_ms, dt=sim_dt, method=method, record="v", record_every=every)
    try:
        return simulate_batch(model, params, scale=scale, **kw).traces["v"]
    except DivergenceError:
        if count == 1:
            return None
    rows = int(round(g.t_stop_ms / (sim_dt * every))) + 1
    out = np.full((rows, count), np.nan)
    for c in range(count):
        one = {k: v[c:c + 1] for k, v in params.items()}
        try:
            v = simulate_batch(model, one, scale=scale[c:c + 1], **kw).traces["v"][:, 0]
            out[: v.size, c] = v[:rows]
        except DivergenceError:
            pass
    return out


def simulate_voltage_clamp(model: Model, names: list[str], values: np.ndarray, sweeps: list[Sweep],
                           clamp: Clamp = Clamp(), *, method: str | None = None, dt: float | None = None) -> list:
    """Clamp current (µA/cm², outward positive) of every candidate on every sweep, in one batch.

    Ideal clamp: the ionic current at the command potential (the gated
    channels only when the leak was subtracted).  Series resistance: the
    current through R_s, or, leak-subtracted, the gated channels' current at
    the (lagging) membrane potential.
    """
    from ..analysis._common import protocol_method, run_many
    from ..analysis.vclamp import channel_traces
    from ..channels.base import Channel

    values = np.atleast_2d(values)
    n, m = values.shape[0], len(sweeps)
    sweep_dt = sweeps[0].dt_ms
    if any(abs(s.dt_ms - sweep_dt) > 1e-9 * sweep_dt for s in sweeps):
        raise DataError("voltage-clamp sweeps of one fit need one sampling interval; resample them")
    method, _ = protocol_method(method, dt)
    sim_dt, every = grid_for(sweep_dt, method, dt)
    t_stop = max(s.duration_ms for s in sweeps)
    cands = [model.with_params({k: float(v) for k, v in zip(names, row)}) for row in values]
    commands = [s.stimulus for s in sweeps]
    holds = [float(s.stimulus.value(np.zeros(1))[0]) for s in sweeps]
    gated = [ch.name for ch in model.channels if ch.gates]
    models, initial = [], []
    if clamp.series_resistance is None:
        for cm in cands:
            for h in holds:
                models.append(cm)
                initial.append((h, _steady(cm, h)))
        scale = None
    else:
        g_clamp = 1000.0 / clamp.series_resistance  # mS/cm²
        frac = 1.0 if clamp.gain is None else clamp.gain / (1.0 + clamp.gain)
        for cm in cands:
            wired = cm.with_channels(Channel("Rs", gbar=g_clamp, E=0.0))
            for h in holds:
                v0 = _balanced(cm, g_clamp, frac * h)
                models.append(wired)
                initial.append((v0, _steady(cm, v0)))
        scale = np.full(n * m, g_clamp * frac)
    try:
        out = run_many(models, commands, t_stop, method=method, dt=sim_dt, n=n * m, wave=np.tile(np.arange(m), n),
                       scale=scale, initial=initial, record_every=every, clamp=clamp.series_resistance is None)
    except DivergenceError:
        return [np.full((n, s.t_ms.size), np.nan) for s in sweeps]
    result = [np.empty((n, s.t_ms.size)) for s in sweeps]
    for c, cm in enumerate(cands):
        for j, s in enumerate(sweeps):
            col = c * m + j
            size = s.t_ms.size
            v = np.ascontiguousarray(out.v[:size, col])
            y = out.y[:size, :, col]
            if clamp.series_resistance is not None and not clamp.leak_subtracted:
                v_cmd = s.stimulus.value(s.t_ms, left=True)
                v_cmd[0] = holds[j]
                # the current the amplifier injects: equal to the ionic current once the membrane is charged
                result[j][c] = g_clamp * (frac * v_cmd - v)
                continue
            currents, _ = channel_traces(cm, v, y)
            keep = gated if clamp.leak_subtracted else list(currents)
            result[j][c] = sum(np.asarray(currents[k], dtype=float) for k in keep)
    return result


def _steady(model: Model, v: float) -> np.ndarray:
    return model.steady_states(float(v))


def _balanced(model: Model, g_clamp: float, vp: float) -> float:
    """V_m where the clamp current through R_s balances the steady ionic current (pipette at ``vp``)."""
    from scipy.optimize import brentq

    f = lambda v: g_clamp * (vp - v) - float(model.steady_state_current(np.asarray(v)))  # noqa: E731
    try:
        return brentq(f, vp - 200.0, vp + 200.0, xtol=1e-12)
    except ValueError:  # pragma: no cover - a pathological model
        return vp
