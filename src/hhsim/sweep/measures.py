"""Measures of a sweep, computed for a whole chunk of points at once.

Each measure gives one number per point and a status code saying why a
number is missing (NaN).  Measures that share simulations run together:

* the trace features of ``hhsim scan`` (spike count, rates, AP shape, ISIs)
  from one :func:`~hhsim.simulate_batch` run of every point of the chunk
  under the sweep's stimulus (default ``step(10, start=10, dur=100)``);
* ``rheobase_uA_cm2`` and ``threshold_uA_cm2`` from one vectorised bracket
  search per chunk (one bracket per point, as ``hhsim rheobase`` /
  ``hhsim threshold`` with their defaults: 200 ms and 1 ms steps from rest,
  5 ms delay, rtol 1e-3);
* ``fi_rate_hz_at_<I>``: the steady rate (Hz) of a 1 s step of I µA/cm² from
  rest, as the from-rest branch of ``hhsim fi`` (one batch per current);
* ``v_rest_mV``: the resting potential (no simulation);
* ``absolute_refractory_ms``, ``relative_refractory_ms``: ``hhsim refractory``
  per point (each point's own batch of intervals);
* ``clamp_peak_uA_cm2_at_<V>``: the peak inward current (µA/cm²) of an ideal
  voltage-clamp step from rest to V mV, as ``hhsim vclamp`` (per point);
* ``velocity_m_s``: conduction velocity (m/s) along a uniform cable with this
  membrane (``hhsim cable``, per point); its geometry is swept with the
  parameters of :data:`CABLE_PARAMS` (``cable.diam_um`` ...);
* ``network_rate_hz:NET.POP``: the mean rate (Hz per neuron, after the first
  fifth of the run) of population POP of network preset NET (``hhsim network``),
  its cells of the sweep's model running each point's parameters; ``net.weight_scale``
  and the preset's numeric keywords (``net.i_app``, ``net.n``) are sweepable (per point);
* a user function of a :class:`~hhsim.result.Result` (``{name: fn}``), from one
  recorded ``simulate_batch`` run under the stimulus.

A batch that diverges is split in halves until the point that diverges is
alone; it gets NaN and :data:`DIVERGED`, the others their values (each
neuron of a batch is independent, so splitting changes no number).
"""

from __future__ import annotations

import math
import re

import numpy as np

from .. import stim as _stim
from ..errors import DivergenceError, HHSimError, SweepError

#: Status codes stored beside every measure (``status_<measure>``).
OK, NOT_MEASURABLE, NO_THRESHOLD, FIRES_AT_REST, DIVERGED, MODEL_ERROR, FUNCTION_ERROR = range(7)
REASONS = {
    OK: "ok",
    NOT_MEASURABLE: "not measurable (no spike or too few spikes)",
    NO_THRESHOLD: "no spike up to the largest current tried",
    FIRES_AT_REST: "fires without any stimulus",
    DIVERGED: "the simulation diverged",
    MODEL_ERROR: "the parameters give no valid model (or no resting state)",
    FUNCTION_ERROR: "the user function raised an error",
}

DEFAULT_STIMULUS = _stim.step(10.0, start=10.0, dur=100.0)
RHEOBASE_DUR_MS, PULSE_DUR_MS, FI_DUR_MS = 200.0, 1.0, 1000.0
_NETWORK = re.compile(r"^network_rate_hz(?:_|:|@)(.+)$")
_AT = re.compile(r"^(fi_rate_hz|clamp_peak_uA_cm2)(?:_at_|@|:)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)$")
FIXED = {
    "v_rest_mV": ("mV", "resting potential"),
    "rheobase_uA_cm2": ("µA/cm²", "smallest 200 ms step from rest that fires (hhsim rheobase)"),
    "threshold_uA_cm2": ("µA/cm²", "smallest 1 ms pulse from rest that fires (hhsim threshold)"),
    "absolute_refractory_ms": ("ms", "absolute refractory period (hhsim refractory)"),
    "relative_refractory_ms": ("ms", "relative refractory period (hhsim refractory)"),
    "velocity_m_s": ("m/s", "conduction velocity along a uniform cable of this membrane (hhsim cable)"),
}

#: Geometry of the cable of ``velocity_m_s`` -> (unit, default); sweepable like model parameters.
#: The default is the squid giant axon of Hodgkin & Huxley (1952); without ``cable.length_um``
#: the length is 6 cm x sqrt(diam / 476 µm), so the spike crosses it in about the same time
#: whatever the diameter (velocity and length constant both grow as sqrt(diam)).
CABLE_PARAMS = {"cable.diam_um": ("µm", 476.0), "cable.length_um": ("µm", 60000.0),
                "cable.ra_ohm_cm": ("Ω·cm", 35.4)}
CABLE_T_STOP_MS = 10.0
PARAMETRISED = {
    "fi_rate_hz": ("Hz", "steady rate of a 1 s step of I µA/cm² from rest: fi_rate_hz_at_I"),
    "clamp_peak_uA_cm2": ("µA/cm²", "peak inward current of a clamp step from rest to V mV: clamp_peak_uA_cm2_at_V"),
    "network_rate_hz": ("Hz", "mean rate per neuron of population POP of network preset NET, after the first "
                              "fifth of the run: network_rate_hz:NET.POP"),
}
#: Network parameters sweepable with ``network_rate_hz``: ``net.weight_scale`` multiplies every
#: projection's weight; ``net.<keyword>`` sets a numeric keyword of the preset (``net.i_app``, ``net.n``).
NET_PREFIX = "net."


def trace_features() -> dict[str, tuple[str, str]]:
    from ..analysis.scan import FEATURES, TRACE_FEATURES

    return {k: FEATURES[k] for k in TRACE_FEATURES}


def catalogue() -> dict[str, tuple[str, str]]:
    """Every built-in measure name -> (unit, meaning)."""
    out = dict(trace_features())
    out.update(FIXED)
    out.update({(f"{k}:NET.POP" if k == "network_rate_hz" else f"{k}_at_X"): v for k, v in PARAMETRISED.items()})
    return out


def canonical(name: str) -> str:
    """The canonical name of a built-in measure (scan aliases accepted), or :class:`SweepError`."""
    from ..analysis.scan import ALIASES

    key = str(name).strip()
    m = _AT.match(key)
    if m:
        return f"{m.group(1)}_at_{float(m.group(2)):g}"
    m = _NETWORK.match(key)
    if m:
        rest = m.group(1)
        if "." in rest or ":" in rest:
            preset, pop = re.split(r"[.:]", rest, maxsplit=1)
        else:  # NET alone, or the canonical NET_POP
            preset, pop = _split_network(rest)
        preset, pop = network_target(preset, pop)
        return f"network_rate_hz_{preset}_{pop}"
    key = ALIASES.get(key, ALIASES.get(key.lower(), key))
    if key in trace_features() or key in FIXED:
        return key
    raise SweepError(f"unknown measure {name!r}; accepted: {', '.join(catalogue())}, "
                     "or a function of a Result (Python API)")


def network_target(preset: str, pop: str | None) -> tuple[str, str]:
    """(preset, population) of a network measure, checked (default: the first population)."""
    from ..network import presets

    if preset not in presets.PRESETS:
        raise SweepError(f"unknown network preset {preset!r} in network_rate_hz; accepted: "
                         f"{', '.join(presets.PRESETS)}")
    names = [p.name for p in presets.get(preset).populations]
    if pop is None:
        return preset, names[0]
    if pop not in names:
        raise SweepError(f"network {preset!r} has no population {pop!r}; accepted: {', '.join(names)}")
    return preset, pop


def _split_network(body: str) -> tuple[str, str | None]:
    """``"cobahh"`` -> ("cobahh", None); ``"cobahh_E"`` -> ("cobahh", "E") (longest preset name first)."""
    from ..network import presets

    for preset in sorted(presets.PRESETS, key=len, reverse=True):
        if body == preset:
            return preset, None
        if body.startswith(preset + "_"):
            return preset, body[len(preset) + 1:]
    return body, None


def _network_of(name: str) -> tuple[str, str]:
    return _split_network(name[len("network_rate_hz_"):])


def unit(name: str) -> str:
    if name.startswith("network_rate_hz_"):
        return "Hz"
    m = _AT.match(name)
    if m:
        return PARAMETRISED[m.group(1)][0]
    return catalogue().get(name, ("", ""))[0]


def group_of(name: str, functions: dict) -> str:
    if name in functions:
        return "function"
    m = _AT.match(name)
    if m:
        return m.group(1)
    if name in ("absolute_refractory_ms", "relative_refractory_ms"):
        return "refractory"  # one protocol run gives both
    if name == "velocity_m_s":
        return "velocity"
    if name.startswith("network_rate_hz_"):
        return "network"
    if name in FIXED:
        return name
    return "trace"


# ------------------------------------------------------------------ chunk
def compute(spec, points: np.ndarray) -> tuple[dict, dict]:
    """Every measure of ``spec`` at ``points`` ((n, d) values of ``spec.names``).

    Returns (values, status): measure -> (n,) float64 and (n,) int8.
    """
    from ..batch_api import model_with

    n = points.shape[0]
    values = {m: np.full(n, np.nan) for m in spec.measures}
    status = {m: np.full(n, MODEL_ERROR, dtype=np.int8) for m in spec.measures}
    models, extras, valid = [], [], []
    for i in range(n):
        given = dict(zip(spec.names, map(float, points[i])))
        geometry = {k: given.pop(k) for k in list(given) if k in CABLE_PARAMS or k.startswith(NET_PREFIX)}
        try:
            model = model_with(spec.model, given)
            model.resting_potential()  # a model without a resting state cannot run from rest
        except HHSimError:
            continue
        models.append(model)
        extras.append(geometry)
        valid.append(i)
    if not valid:
        return values, status
    valid = np.array(valid)
    groups: dict[str, list[str]] = {}
    for m in spec.measures:
        groups.setdefault(group_of(m, spec.functions), []).append(m)
    for group, names in groups.items():
        def run(idx, group=group, names=names):
            if group in _PER_POINT:
                return _GROUPS[group](spec, [models[i] for i in idx], names, [extras[i] for i in idx])
            return _GROUPS[group](spec, [models[i] for i in idx], names)

        vals, stats = _split_on_divergence(run, np.arange(len(models)), names)
        for m in names:
            values[m][valid] = vals[m]
            status[m][valid] = stats[m]
    return values, status


def _split_on_divergence(run, idx: np.ndarray, names: list[str]):
    try:
        return run(idx)
    except DivergenceError:
        if idx.size == 1:
            return ({m: np.array([np.nan]) for m in names},
                    {m: np.array([DIVERGED], dtype=np.int8) for m in names})
        half = idx.size // 2
        a = _split_on_divergence(run, idx[:half], names)
        b = _split_on_divergence(run, idx[half:], names)
        return ({m: np.concatenate([a[0][m], b[0][m]]) for m in names},
                {m: np.concatenate([a[1][m], b[1][m]]) for m in names})


def _measured(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), OK, NOT_MEASURABLE).astype(np.int8)


def _stimulus_window(spec):
    stimulus = DEFAULT_STIMULUS if spec.stimulus is None else spec.stimulus
    edges = [b for b in stimulus.breakpoints() if np.isfinite(b)]
    start = min(edges) if edges else 0.0
    end = max(edges) if len(edges) > 1 else None
    t_stop = spec.t_stop if spec.t_stop is not None else (end if end is not None else start + 100.0) + 20.0
    end = t_stop if end is None else min(end, t_stop)
    return stimulus, start, end, float(t_stop)


def _trace(spec, models, names):
    from ..analysis.scan import _trace_feature
    from ..batch_api import simulate_batch_of

    stimulus, start, end, t_stop = _stimulus_window(spec)
    shape = [m for m in names if m not in ("n_spikes", "rate_hz", "mean_rate_hz")]
    b = simulate_batch_of(models, stimulus=stimulus, t_stop=t_stop, method=spec.method, dt=spec.dt,
                          record=["v"] if shape else None)
    backend = spec.options.get("feature_backend", "auto")
    vals = {}
    for m in names:
        vals[m] = np.array([
            _trace_feature(m, b.t, b.traces["v"][:, c] if shape else None, b.spike_times[c], start, end,
                           models[c].spike_threshold, backend) for c in range(len(models))], dtype=float)
    return vals, {m: _measured(vals[m]) for m in names}


def _function(spec, models, names):
    from ..batch_api import simulate_batch_of

    stimulus, _, _, t_stop = _stimulus_window(spec)
    b = simulate_batch_of(models, stimulus=stimulus, t_stop=t_stop, method=spec.method, dt=spec.dt, record="all")
    vals = {m: np.full(len(models), np.nan) for m in names}
    stats = {m: np.full(len(models), OK, dtype=np.int8) for m in names}
    for c in range(len(models)):
        r = b.result(c)
        for m in names:
            try:
                x = float(spec.functions[m](r))
            except Exception:  # a user function's own failure marks that point, not the sweep
                stats[m][c] = FUNCTION_ERROR
                continue
            vals[m][c] = x
            stats[m][c] = OK if np.isfinite(x) else NOT_MEASURABLE
    return vals, stats


def _search(models, dur, tail, i_max, method, dt):
    """Per-point threshold of a step of ``dur`` ms from rest, exactly as ``analysis.rheobase`` /
    ``analysis.threshold`` do it for one model (same grid, delay, bracket and batches)."""
    from ..analysis import _common
    from ..analysis._common import aligned_dt, protocol_method, run_many, snap
    from ..analysis.excitability import DELAY_MS, POINTS
    from ..engine.batch import make_grid
    from ..analysis.search import ALWAYS_FIRES, FOUND, bracket_search

    method, dt0 = protocol_method(method, dt)
    dt = aligned_dt(dt0, dur) if dt is None or abs(dur / dt0 - round(dur / dt0)) > 1e-9 else dt0
    delay = snap(DELAY_MS, dt)
    waves = [_stim.step(1.0, start=delay, dur=dur)]
    t_stop = delay + dur + tail

    # run_many shortens its time segments for batches above a work bound (to keep Ctrl-C
    # responsive); the segment ends are where the adaptive steps restart, so a batch larger than
    # the bound would give other bits than `hhsim rheobase`'s 16 neurons.  Sub-batches under the
    # bound keep the protocol's own segments whatever the chunk (each neuron is independent).
    segment = math.ceil(make_grid(t_stop, dt).n_steps / 8)
    largest = max(1, getattr(_common, "CHUNK_NEURON_STEPS", 1 << 62) // segment)

    def fires(amps, which):
        P, K = amps.shape
        batch = [models[p] for p in which for _ in range(K)]
        scale = amps.ravel()
        out = []
        for a in range(0, len(batch), largest):
            got = run_many(batch[a:a + largest], waves, t_stop, scale=scale[a:a + largest], method=method, dt=dt)
            out.extend(s.size >= 1 for s in got.spike_times)
        return np.array(out).reshape(P, K)

    res = bracket_search(fires, 0.0, np.asarray(i_max, dtype=float), rtol=1e-3, points=POINTS)
    stats = np.where(res.status == FOUND, OK, np.where(res.status == ALWAYS_FIRES, FIRES_AT_REST, NO_THRESHOLD))
    return np.where(res.status == FOUND, res.threshold, np.nan), stats.astype(np.int8)


def _rheobase(spec, models, names):
    v, s = _search(models, RHEOBASE_DUR_MS, 20.0, np.full(len(models), 50.0), spec.method, spec.dt)
    return {names[0]: v}, {names[0]: s}


def _threshold(spec, models, names):
    from ..analysis.excitability import default_pulse_i_max

    top = np.array([default_pulse_i_max(PULSE_DUR_MS, m.Cm) for m in models])
    v, s = _search(models, PULSE_DUR_MS, 30.0, top, spec.method, spec.dt)
    return {names[0]: v}, {names[0]: s}


def _fi(spec, models, names):
    from ..analysis._common import protocol_method, snap
    from ..analysis.spikes import steady_rate
    from ..batch_api import simulate_batch_of

    method, dt = protocol_method(spec.method, spec.dt)
    dur = snap(FI_DUR_MS, dt)
    vals = {}
    for m in names:
        current = float(_AT.match(m).group(2))
        b = simulate_batch_of(models, stimulus=_stim.step(1.0, start=0.0, dur=dur), scale=current, t_stop=dur,
                              method=method, dt=dt)
        vals[m] = np.array([steady_rate(s, 0.0, dur) for s in b.spike_times], dtype=float)
    return vals, {m: _measured(vals[m]) for m in names}


def _v_rest(spec, models, names):
    v = np.array([m.resting_potential() for m in models])
    return {names[0]: v}, {names[0]: _measured(v)}


def _per_point(fn):
    """A protocol run point by point (each run is itself one batch); protocol errors mark the point."""
    from ..analysis._common import BracketError

    def run(spec, models, names, extras):
        vals = {m: np.full(len(models), np.nan) for m in names}
        stats = {m: np.full(len(models), OK, dtype=np.int8) for m in names}
        for c, model in enumerate(models):
            try:
                got = fn(spec, model, names, extras[c])
            except DivergenceError:
                for m in names:
                    stats[m][c] = DIVERGED
                continue
            except BracketError as exc:
                for m in names:
                    stats[m][c] = FIRES_AT_REST if "without any stimulus" in str(exc) else NO_THRESHOLD
                continue
            except HHSimError:  # the protocol cannot measure this model (no conditioning spike ...)
                for m in names:
                    stats[m][c] = NOT_MEASURABLE
                continue
            for m in names:
                vals[m][c] = got[m]
                stats[m][c] = OK if np.isfinite(got[m]) else NOT_MEASURABLE
        return vals, stats

    return run


def _refractory_point(spec, model, names, extra):
    from ..analysis.refractory import refractory

    r = refractory(model, method=spec.method, dt=spec.dt, progress=False)
    out = {"absolute_refractory_ms": r.absolute_ms, "relative_refractory_ms": r.relative_ms}
    return {m: np.nan if out[m] is None else float(out[m]) for m in names}


def _clamp_point(spec, model, names, extra):
    from ..analysis.vclamp import vclamp

    levels = [float(_AT.match(m).group(2)) for m in names]
    r = vclamp(model, steps=levels, prepulses=[], method=spec.method, dt=spec.dt, progress=False)
    return {m: float(r.peak_inward_uA_cm2[k]) for k, m in enumerate(names)}


def _velocity_point(spec, model, names, extra):
    """A uniform cable of ``model``'s membrane, a brief current pulse at one end; the velocity
    between 1/3 and 2/3 of the length (``hhsim.cable.conduction_velocity``).  The pulse
    (20 µA for 476 µm) scales as diam^1.5, the input conductance of a long cable."""
    from ..cable import cable, conduction_velocity, point, simulate_cable

    diam = extra.get("cable.diam_um", CABLE_PARAMS["cable.diam_um"][1])
    ra = extra.get("cable.ra_ohm_cm", CABLE_PARAMS["cable.ra_ohm_cm"][1])
    length = extra.get("cable.length_um", CABLE_PARAMS["cable.length_um"][1] * np.sqrt(diam / 476.0))
    amp = 20000.0 * (diam / 476.0) ** 1.5  # nA
    r = simulate_cable(cable(length, diam, ra), model, point(_stim.pulse(amp, start=0.5, dur=0.2), at=0.0),
                       t_stop=CABLE_T_STOP_MS)
    return {"velocity_m_s": float(conduction_velocity(r))}


def network_keywords(preset: str) -> dict:
    """Numeric keywords of a network preset's factory -> default."""
    import inspect

    from ..network import presets

    sig = inspect.signature(presets.PRESETS[preset])
    return {k: p.default for k, p in sig.parameters.items() if isinstance(p.default, (int, float))}


def build_network(preset: str, model, extra: dict):
    """The preset with the point's keywords, weights scaled by ``net.weight_scale``, and every
    population of the sweep's cell model (same name) running the point's model."""
    import dataclasses

    from ..network import presets

    kw = {k[len(NET_PREFIX):]: v for k, v in extra.items() if k.startswith(NET_PREFIX) and k != "net.weight_scale"}
    defaults = network_keywords(preset)
    kw = {k: (int(round(v)) if isinstance(defaults[k], int) else float(v)) for k, v in kw.items()}
    net = presets.get(preset, **kw)
    pops = tuple(dataclasses.replace(p, model=model) if _model_name(p.model) == model.name else p
                 for p in net.populations)
    scale = float(extra.get("net.weight_scale", 1.0))
    projs = tuple(dataclasses.replace(q, weight=_scaled(q.weight, scale)) for q in net.projections) \
        if scale != 1.0 else net.projections
    return net.replace(populations=pops, projections=projs)


def _model_name(m) -> str:
    return m if isinstance(m, str) else getattr(m, "name", "")


def _scaled(weight, scale: float):
    """A projection weight times ``scale``: numbers, arrays and ``"6 nS"``-style strings."""
    if isinstance(weight, str):
        number, _, unit_text = weight.strip().partition(" ")
        return f"{float(number) * scale!r} {unit_text}".strip()
    if isinstance(weight, dict):  # a distribution: scale its location and spread
        return {k: (v * scale if k in ("mean", "std", "low", "high", "value") and isinstance(v, (int, float)) else v)
                for k, v in weight.items()}
    return np.asarray(weight, dtype=float) * scale if np.ndim(weight) else float(weight) * scale


def _network_point(spec, model, names, extra):
    from ..network import simulate_network

    out = {}
    for m in names:
        preset, pop = _network_of(m)
        net = build_network(preset, model, extra)
        r = simulate_network(net)
        out[m] = float(r.rate(pop, start=0.2 * r.t_stop))
    return out


_PER_POINT = ("refractory", "clamp_peak_uA_cm2", "velocity", "network")
_GROUPS = {
    "trace": _trace,
    "function": _function,
    "rheobase_uA_cm2": _rheobase,
    "threshold_uA_cm2": _threshold,
    "fi_rate_hz": _fi,
    "v_rest_mV": _v_rest,
    "refractory": _per_point(_refractory_point),
    "clamp_peak_uA_cm2": _per_point(_clamp_point),
    "velocity": _per_point(_velocity_point),
    "network": _per_point(_network_point),
}
