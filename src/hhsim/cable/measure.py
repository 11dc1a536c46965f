"""Measurements on a cable: arrival times, conduction velocity, propagation,
spike amplitude and width along the axon, length constant, input resistance.

A *location* is a distance in µm from the start of an unbranched cable, or
a ``(section name, x)`` pair (x from 0 to 1 along that section).
Velocities are in m/s (1 µm/ms = 1e-3 m/s), times in ms, voltages in mV.
"""

from __future__ import annotations

import math

import numpy as np

from ..validate import number, shown, whole
from .geometry import GeometryError
from .lowering import input_resistance as _input_resistance
from .lowering import slope_conductance_density


def _checked(result):
    """``result`` when it is a cable simulation's result (a CableResult), else one clear error."""
    if not all(hasattr(result, a) for a in ("tree", "plan", "spike_counts", "crossing_times")):
        raise GeometryError(f"expected the result of hhsim.cable.simulate_cable (got {type(result).__name__} "
                            f"{shown(result)})")
    return result


def _locate(tree, location) -> tuple[int, float]:
    """(section index, arc µm) of a location."""
    morph = tree.morph
    if isinstance(location, tuple):
        if len(location) != 2:
            raise GeometryError(f"a location on a section is (name, x) (got {shown(location)})")
        name, x = location
        si = morph.index(name)
        x = number(x, f"location x on {name!r}", lo=0.0, hi=1.0, error=GeometryError)
        return si, x * morph.sections[si].length
    return morph.locate(number(location, "location", unit="µm", error=GeometryError))


def _bracket(tree, location) -> list[tuple[int, float]]:
    """Compartment nodes and linear-interpolation weights for a location.

    On an unbranched cable the interpolation runs along the path distance
    across section joints; on a tree, within the section (clamped to its end
    compartments).
    """
    si, arc = _locate(tree, location)
    morph = tree.morph
    if morph.is_unbranched:
        nodes = np.nonzero(~tree.junction)[0]
        nodes = nodes[np.argsort(tree.dist[nodes], kind="stable")]
        xs = tree.dist[nodes]
        d = morph.section_starts()[si] + arc
    else:
        nodes = tree.section_nodes[si]
        xs = tree.arc[nodes]
        d = arc
    if d <= xs[0]:
        return [(int(nodes[0]), 1.0)]
    if d >= xs[-1]:
        return [(int(nodes[-1]), 1.0)]
    k = int(np.searchsorted(xs, d) - 1)
    w = (d - xs[k]) / (xs[k + 1] - xs[k])
    return [(int(nodes[k]), 1.0 - w), (int(nodes[k + 1]), w)]


def terminal_at(tree, location, rtol: float = 1e-9):
    """(terminal, section, end) when a location is a free end, else None."""
    si, arc = _locate(tree, location)
    length = tree.morph.sections[si].length
    for t in tree.terminals:
        if t.section == si and abs(arc - (0.0 if t.end == 0 else length)) <= rtol * length:
            return t, si, t.end
    return None


def path_distance(tree, location) -> float:
    """Distance (µm) from the root's 0-end to a location."""
    si, arc = _locate(tree, location)
    return float(tree.morph.section_starts()[si] + arc)


def arrival_time(result, location, which: int = 0) -> float:
    """Time (ms) of the ``which``-th upward threshold crossing at a location
    (linear interpolation in space between compartment centres; NaN if none)."""
    result = _checked(result)
    which = whole(which, "which (the spike's index)", lo=0, error=GeometryError)
    total = 0.0
    for node, w in _bracket(result.tree, location):
        if result.spike_counts[node] <= which or which >= result.crossing_times.shape[1]:
            return math.nan
        total += w * result.crossing_times[node, which]
    return float(total)


def default_positions(result) -> tuple[float, float]:
    """The two measuring points: compartments nearest to 1/3 and 2/3 of the
    length (the active ones, e.g. nodes of Ranvier, when there are passive parts)."""
    result = _checked(result)
    tree = result.tree
    if not tree.morph.is_unbranched:
        raise GeometryError("give two locations to measure a velocity on a branched morphology")
    total = tree.morph.total_length
    cand = np.nonzero(~tree.junction & result.plan.active)[0]
    if cand.size < 2:
        cand = np.nonzero(~tree.junction)[0]
    out = []
    for f in (1 / 3, 2 / 3):
        k = cand[np.argmin(np.abs(tree.dist[cand] - f * total))]
        out.append(float(tree.dist[k]))
    if out[0] == out[1]:
        raise GeometryError("the cable is too coarse to measure a velocity (one compartment)")
    return out[0], out[1]


def conduction_velocity(result, x1=None, x2=None, which: int = 0) -> float:
    """Velocity (m/s) of the ``which``-th spike between two locations, from
    threshold-crossing times; NaN when it did not reach both."""
    result = _checked(result)
    which = whole(which, "which (the spike's index)", lo=0, error=GeometryError)
    if x1 is None or x2 is None:
        x1, x2 = default_positions(result)
    t1, t2 = arrival_time(result, x1, which), arrival_time(result, x2, which)
    d = abs(path_distance(result.tree, x2) - path_distance(result.tree, x1))
    if not (math.isfinite(t1) and math.isfinite(t2)) or t1 == t2:
        return math.nan
    return d / abs(t2 - t1) * 1e-3


def propagated(result) -> bool:
    """True when every compartment with voltage-gated channels crossed threshold."""
    result = _checked(result)
    act = result.plan.active & ~result.tree.junction
    if not act.any():
        return False
    return bool(np.all(result.spike_counts[act] >= 1))


def spike_amplitude(result) -> np.ndarray:
    """Peak V minus the resting potential (mV) at every node."""
    result = _checked(result)
    return result.vmax - result.plan.v_rest


def spike_amplitude_at(result, location) -> float:
    result = _checked(result)
    return float(sum(w * (result.vmax[n] - result.plan.v_rest[n]) for n, w in _bracket(result.tree, location)))


def spike_width(result, location) -> float:
    """Width (ms) at half amplitude of the first spike at the recorded node
    nearest a location (NaN if it did not spike there)."""
    result = _checked(result)
    node = max(_bracket(result.tree, location), key=lambda p: p[1])[0]
    if result.spike_counts[node] < 1:  # no spike there: a subthreshold bump has no spike width
        return math.nan
    col = int(np.argmin(np.abs(result.tree.dist[result.rec_nodes] - result.tree.dist[node])))
    return width_at_half_amplitude(result.t, result.v[:, col], result.plan.v_rest[result.rec_nodes[col]])


def width_at_half_amplitude(t: np.ndarray, v: np.ndarray, v_rest: float) -> float:
    """Duration (ms) above rest + (peak - rest) / 2 around the first peak (linear interpolation)."""
    k = int(np.argmax(v))
    level = v_rest + 0.5 * (v[k] - v_rest)
    if v[k] - v_rest < 1e-6 or v[0] >= level:
        return math.nan
    up = np.nonzero((v[:k] < level) & (v[1:k + 1] >= level))[0]
    down = np.nonzero((v[k:-1] >= level) & (v[k + 1:] < level))[0]
    if up.size == 0 or down.size == 0:
        return math.nan
    i, j = up[-1], k + down[0]
    t_up = t[i] + (level - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i])
    t_dn = t[j] + (v[j] - level) / (v[j] - v[j + 1]) * (t[j + 1] - t[j])
    return float(t_dn - t_up)


def length_constant(plan, location=0.0) -> float:
    """Passive length constant (µm) sqrt(d / (4 Ra g_m)) at a location, with
    g_m the slope conductance of the steady-state I-V curve at rest."""
    si, arc = _locate(plan.tree, location)
    s = plan.tree.morph.sections[si]
    model = plan.models[si]
    node = plan.tree.node_at(si, arc)
    g = slope_conductance_density(model, float(plan.v_rest[node])) * 1e-3  # S/cm²
    d_cm = _diam_at(s, arc) * 1e-4
    return math.sqrt(d_cm / (4.0 * plan.tree.morph.ra_of(s) * g)) * 1e4


def input_resistance(plan, location=0.0) -> float:
    """Input resistance (MΩ) at a location, linearised about rest.

    At a free end, that of the end itself: the end compartment's plus its
    half-compartment resistance (current injected there flows through it);
    elsewhere, that of the compartment holding the location.
    """
    si, arc = _locate(plan.tree, location)
    r = _input_resistance(plan, plan.tree.node_at(si, arc))
    end = terminal_at(plan.tree, location)
    if end is not None:
        term, sec, side = end
        g_b = plan.boundary_g[(sec, side)]
        if math.isinf(g_b):
            return 0.0
        # the end face: g_half to the compartment (input R r), g_b to the boundary
        return 1.0 / (1.0 / (r + 1.0 / term.g_half) + g_b) if g_b > 0 else r + 1.0 / term.g_half
    return r


def _diam_at(s, arc: float) -> float:
    pts, d = s._points()
    return float(np.interp(arc, pts, d))
