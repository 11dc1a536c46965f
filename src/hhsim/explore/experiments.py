"""The explorer's tabs without any web framework: voltage clamp, protocols, propagation.

Each function takes an :class:`~hhsim.explore.state.ExplorerState` (the
model as the page has it) and plain settings, checks them against
:mod:`hhsim.explore.limits`, calls the library (``hhsim.analysis``,
``hhsim.cable``) and returns plain dicts of NumPy arrays and numbers that the
page draws and the tests read.  Units are in the keys (mV, ms, µA/cm², Hz,
m/s, µm).
"""

from __future__ import annotations

import math
import shlex

import numpy as np

from .. import analysis
from ..analysis._common import arange_inclusive, check_interval, positive, whole
from .limits import (
    MAX_CABLE_COMPARTMENTS, MAX_CABLE_STEPS, MAX_CLAMP_DUR_MS, MAX_CLAMP_STEPS, MAX_DIAGRAM_SPAN_UA, MAX_FI_DUR_MS,
    MAX_FI_POINTS, MAX_NETWORK_NEURONS, MAX_NETWORK_T_STOP_MS, LimitError, check_at_most, check_steps,
)
from .state import ExplorerState

PROTOCOLS = ("rheobase", "threshold", "fi", "refractory")


def _model_words(state: ExplorerState) -> list[str]:
    """``--model ... --set ... --temperature ... --drug ...`` as the protocol commands take them."""
    words = ["--model", state.model]
    for p in state.channel_files:
        words += ["--channel", str(p)]
    for k, v in state.params:
        words += ["--set", f"{k}={float(v)!r}"]
    if state.temperature is not None:
        words += ["--temperature", repr(float(state.temperature))]
    for d in state.drugs:
        words += ["--drug", d]
    return words


def _command(*words) -> str:
    return " ".join(shlex.quote(str(w)) for w in words)


# ------------------------------------------------------------------ voltage clamp
def clamp_family(state: ExplorerState, *, hold: float | None = None, v_from: float = -100.0,
                 v_to: float = 60.0, v_step: float = 10.0, dur: float = 30.0) -> dict:
    """A voltage-clamp step family from ``hold`` (mV, None = rest) to ``v_from..v_to`` every
    ``v_step`` mV, each ``dur`` ms: traces, I-V, activation and inactivation curves."""
    v_from, v_to = check_interval("steps", v_from, v_to, "mV")
    v_step = positive("step", v_step, "mV")
    steps = arange_inclusive(v_from, v_to, v_step)
    if steps.size > MAX_CLAMP_STEPS:
        raise LimitError(f"{steps.size} clamp steps is over the explorer's limit of {MAX_CLAMP_STEPS}; "
                         "use a larger step")
    dur = check_at_most("clamp duration", positive("clamp duration", dur), MAX_CLAMP_DUR_MS, "ms")
    model = state.build_model()
    r = analysis.vclamp(model, steps, hold=hold, dur=dur, progress=False)
    words = ["hhsim", "vclamp", *_model_words(state)]
    if hold is not None:
        words += ["--hold", repr(float(hold))]
    words += ["--steps", f"{v_from:g}:{v_to:g}:{v_step:g}", "--dur", repr(float(dur)), "--json"]
    return {
        "t_ms": r.t_ms, "steps_mV": r.steps_mV, "hold_mV": r.hold_mV,
        "i_total_uA_cm2": r.i_total_uA_cm2, "currents": r.currents,
        "peak_inward_uA_cm2": r.peak_inward_uA_cm2, "steady_state_uA_cm2": r.steady_state_uA_cm2,
        "peak_currents": r.peak_currents,
        "activation": r.activation, "activation_fits": {k: f.to_dict() if f else None
                                                        for k, f in r.activation_fits.items()},
        "inactivation_prepulses_mV": r.inactivation_prepulses_mV, "inactivation": r.inactivation,
        "inactivation_fits": {k: f.to_dict() if f else None for k, f in r.inactivation_fits.items()},
        "command": _command(*words), "result": r,
    }


# ------------------------------------------------------------------ protocols
def check_protocols(which, fi_i_min: float, fi_i_max: float, fi_n: int, fi_dur: float) -> None:
    """Refuse unknown protocols and f-I settings over the bounds before any work starts."""
    which = list(which)
    if not which:
        raise LimitError("choose at least one protocol: " + ", ".join(PROTOCOLS))
    for w in which:
        if w not in PROTOCOLS:
            raise LimitError(f"unknown protocol {w!r}; accepted: {', '.join(PROTOCOLS)}")
    if "fi" in which:
        check_interval("f-I currents", fi_i_min, fi_i_max, "µA/cm²")
        n = whole("f-I points", fi_n, 2)
        if n > MAX_FI_POINTS:
            raise LimitError(f"{n} f-I points is over the explorer's limit of {MAX_FI_POINTS}")
        check_at_most("f-I step duration", positive("f-I step duration", fi_dur), MAX_FI_DUR_MS, "ms")


def run_protocol(state: ExplorerState, name: str, *, fi_i_min: float = 0.0, fi_i_max: float = 20.0,
                 fi_n: int = 21, fi_dur: float = 500.0) -> dict:
    """One protocol of :data:`PROTOCOLS` on the state's model: its JSON summary
    (as ``hhsim NAME --json`` prints it), the curves to draw, and the command."""
    model = state.build_model()
    base = ["hhsim", name, *_model_words(state)]
    if name == "rheobase":
        r = analysis.rheobase(model, progress=False)
        return {"summary": r.to_dict(), "command": _command(*base, "--json")}
    if name == "threshold":
        r = analysis.threshold(model, progress=False)
        return {"summary": r.to_dict(), "command": _command(*base, "--json")}
    if name == "fi":
        r = analysis.fi_curve(model, fi_i_min, fi_i_max, int(fi_n), dur=fi_dur, progress=False)
        return {"summary": r.to_dict(), "currents_uA_cm2": r.currents_uA_cm2, "rates_hz": r.rates_hz,
                "rates_up_hz": r.rates_up_hz, "rates_down_hz": r.rates_down_hz,
                "command": _command(*base, "--i-min", repr(float(fi_i_min)), "--i-max", repr(float(fi_i_max)),
                                    "--n", int(fi_n), "--dur", repr(float(fi_dur)), "--json")}
    if name == "refractory":
        r = analysis.refractory(model, progress=False)
        return {"summary": r.to_dict(), "intervals_ms": r.intervals_ms, "threshold_ratio": r.threshold_ratio,
                "command": _command(*base, "--json")}
    raise LimitError(f"unknown protocol {name!r}; accepted: {', '.join(PROTOCOLS)}")


# ------------------------------------------------------------------ propagation
CABLE_DT_MS = 0.01  # the Crank-Nicolson default of hhsim.cable


def propagation(state: ExplorerState, *, length_cm: float = 2.0, diam_um: float = 476.0,
                ri_ohm_cm: float = 35.4, t_stop: float = 10.0) -> dict:
    """The action potential along an unbranched cable of the state's model (kicked at x = 0):
    the kymograph V(x, t), the conduction velocity and the ``hhsim cable`` command."""
    from ..cable.experiment import run_experiment
    from ..cable.geometry import cable, segment_counts

    for name, value, unit in (("length", length_cm, "cm"), ("diameter", diam_um, "µm"),
                              ("axial resistivity", ri_ohm_cm, "Ω·cm"), ("cable t_stop", t_stop, "ms")):
        positive(name, value, unit)
    check_steps(float(t_stop), CABLE_DT_MS, MAX_CABLE_STEPS, "this cable run", "shorten t_stop")
    model = state.build_model()
    morph = cable(float(length_cm) * 1e4, float(diam_um), float(ri_ohm_cm))
    n = int(sum(segment_counts(morph, lambda s: model.Cm)))
    if n > MAX_CABLE_COMPARTMENTS:
        raise LimitError(f"this cable needs {n} compartments (d_lambda rule), over the explorer's limit of "
                         f"{MAX_CABLE_COMPARTMENTS}; shorten it or make it thinner")
    r = run_experiment(model=model, length_cm=float(length_cm), diam_um=float(diam_um),
                       ri_ohm_cm=float(ri_ohm_cm), t_stop=float(t_stop))
    s = r.summary()
    velocity = s.get("velocity_m_s")
    cmd = None
    if not state.drugs and not state.channel_files:
        words = ["hhsim", "cable", "--model", state.model]
        for k, v in state.params:
            words += ["--set", f"{k}={float(v)!r}"]
        if state.temperature is not None:
            words += ["--temperature", repr(float(state.temperature))]
        words += ["--length", repr(float(length_cm)), "--diam", repr(float(diam_um)),
                  "--ri", repr(float(ri_ohm_cm)), "--t-stop", repr(float(t_stop)), "--json"]
        cmd = _command(*words)
    return {"t_ms": r.t, "x_um": r.rec_dist, "v_mV": r.v, "velocity_m_s": velocity,
            "propagated": bool(r.propagated), "n_compartments": r.n_compartments,
            "first_crossing_ms": r.first_crossing, "node_x_um": r.tree.dist,
            "summary": s, "command": cmd, "result": r}


# ------------------------------------------------------------------ network
def network_raster(preset: str, *, t_stop: float | None = None, seed: int | None = None) -> dict:
    """A preset network of :mod:`hhsim.network.presets` (its own cells and synapses): the spike
    raster per population, the rates and the ``hhsim network`` command."""
    from ..network import presets, simulate_network

    net = presets.get(preset)
    changes = {}
    if t_stop is not None:
        changes["t_stop"] = check_at_most("network t_stop", positive("network t_stop", t_stop), MAX_NETWORK_T_STOP_MS, "ms")
    if seed is not None:
        changes["seed"] = whole("seed", seed, 0)
    net = net.replace(**changes) if changes else net
    n = sum(p.n for p in net.populations)
    if n > MAX_NETWORK_NEURONS:
        raise LimitError(f"{n} neurons is over the explorer's limit of {MAX_NETWORK_NEURONS}")
    r = simulate_network(net, progress=False)
    words = ["hhsim", "network", "--preset", preset]
    if t_stop is not None:
        words += ["--t-stop", repr(float(t_stop))]
    if seed is not None:
        words += ["--seed", int(seed)]
    return {"spikes": {k: (np.asarray(i), np.asarray(t)) for k, (i, t) in r.spikes.items()},
            "sizes": dict(r.sizes), "rates_hz": {k: r.rate(k) for k in r.spikes}, "t_stop_ms": r.t_stop,
            "summary": r.summary(), "command": _command(*words, "--json")}


# ------------------------------------------------------------------ dynamics
def phase_plane_data(state: ExplorerState, *, vars: str | None = None, i_app: float = 0.0) -> dict:
    """The phase plane of two states of the state's model (Rinzel's reduction) at ``i_app`` µA/cm²:
    the two nullclines as polylines, the equilibria with their types, the separatrix."""
    import contourpy

    from ..dynamics.phase_plane import phase_plane

    model = state.build_model()
    pp = phase_plane(model, vars, i_app=float(i_app))
    xf, yf = pp.fine

    def lines(z):
        return [ln for ln in contourpy.contour_generator(x=xf, y=yf, z=z).lines(0.0) if len(ln) > 1]

    words = ["hhsim", "phase-plane", *_model_words(state), "--vars", f"{pp.x_name},{pp.y_name}",
             "--at", repr(float(i_app)), "--json"]
    return {"x_name": pp.x_name, "y_name": pp.y_name, "x_label": pp.x_label, "y_label": pp.y_label,
            "x_range": pp.x_range, "y_range": pp.y_range, "title": pp.title,
            "nullcline_x": lines(pp.nullcline_x), "nullcline_y": lines(pp.nullcline_y),
            "equilibria": [{k: e[k] for k in ("x", "y", "type", "stable")} for e in pp.equilibria],
            "separatrix": pp.separatrix, "command": _command(*words)}


def bifurcation_data(state: ExplorerState, *, i_from: float = 0.0, i_to: float = 30.0) -> dict:
    """The bifurcation diagram of the state's model in the injected current (µA/cm²): the
    equilibrium branch with its stability, Hopf points and saddle-nodes, limit-cycle extrema."""
    from ..dynamics import bifurcation_diagram

    i_from, i_to = check_interval("current", i_from, i_to, "µA/cm²")
    check_at_most("current span", i_to - i_from, MAX_DIAGRAM_SPAN_UA, "µA/cm²")
    d = bifurcation_diagram(state.build_model(), i_from, i_to).to_dict()
    cyc = [(p["I_uA_cm2"], p["V_min_mV"], p["V_max_mV"], p["stable"]) for b in d["cycles"] for p in b["points"]]
    words = ["hhsim", "bifurcation", *_model_words(state), "--from", repr(float(i_from)), "--to",
             repr(float(i_to)), "--json"]
    return {"equilibria": d["equilibria"], "hopf": d["hopf"], "saddle_nodes": d["saddle_nodes"],
            "cycles": cyc, "onset": d["onset"], "command": _command(*words)}


def velocity_text(value) -> str:
    """``12.31 m/s`` or a note that it could not be measured."""
    if value is None or not math.isfinite(value):
        return "not measured (the spike did not reach both measuring points)"
    return f"{value:.3f} m/s"


def finite_or_nan(x) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(x)], dtype=float)
