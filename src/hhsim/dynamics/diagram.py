"""The bifurcation diagram of a model along the injected current.

:func:`bifurcation_diagram` puts the parts together: the equilibrium branch
(V parametrisation), its saddle-nodes and Hopf points, the branches of
periodic orbits from every Hopf point and, where firing starts at a
saddle-node, from a simulated spike train; and the onset of firing, i.e.
how the resting state coming from hyperpolarised potentials ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import models as _models
from .. import validate as _validate
from ..analysis._common import MAX_RANGE_VALUES, check_interval
from ..errors import HHSimError, ParameterError
from ..model import Model
from . import cycles as _cycles
from . import equilibria as _eq
from .field import ModelField, model_field
from .hopf import HopfPoint, hopf_points
from .saddle_node import SaddleNode, saddle_nodes


@dataclass
class Diagram:
    """Everything :func:`bifurcation_diagram` found, in µA/cm², mV, ms, Hz."""

    model: Model
    field: ModelField
    i_span: tuple[float, float]
    branch: _eq.Branch
    hopf: list[HopfPoint]
    saddle_nodes: list[SaddleNode]
    cycles: list[_cycles.CycleBranch] = field(default_factory=list)
    onset: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fi: object = None

    def in_span(self, i: float) -> bool:
        return self.i_span[0] <= i <= self.i_span[1]

    @property
    def cycle_folds(self) -> list[_cycles.CyclePoint]:
        return _unique([p for b in self.cycles for p in b.folds])

    @property
    def period_doublings(self) -> list[_cycles.CyclePoint]:
        return _unique([p for b in self.cycles for p in b.period_doublings])

    @property
    def torus_points(self) -> list[_cycles.CyclePoint]:
        return _unique([p for b in self.cycles for p in b.torus])

    def equilibrium_points(self, every_mV: float = 0.5) -> list[dict]:
        """Samples of the branch within the current span: V, I, stability."""
        br = self.branch
        k = max(1, int(round(every_mV / (br.v[1] - br.v[0]))))
        nu = br.n_unstable()
        return [{"V_mV": float(br.v[j]), "I_uA_cm2": float(br.current[j]), "stable": bool(br.stable[j]),
                 "n_unstable": int(nu[j])}
                for j in range(0, br.v.size, k) if self.in_span(br.current[j])]

    def plot(self, path=None):
        """The figure (:func:`hhsim.plot.dynamics.plot_diagram`), written to ``path`` if given."""
        from ..plot.dynamics import plot_diagram

        return plot_diagram(self, path)

    def to_dict(self) -> dict:
        def cyc(p):
            lo, hi = p.orbit.v_extrema()
            return {"I_uA_cm2": p.i_uA_cm2, "period_ms": p.period_ms, "V_min_mV": lo, "V_max_mV": hi}

        return json_safe({
            "model": self.model.name, "parameter": "I", "unit": "uA/cm2",
            "from": self.i_span[0], "to": self.i_span[1],
            "equilibria": self.equilibrium_points(),
            "hopf": [h.to_dict() for h in self.hopf if self.in_span(h.i_uA_cm2)],
            "saddle_nodes": [s.to_dict() for s in self.saddle_nodes if self.in_span(s.i_uA_cm2)],
            "cycle_folds": [cyc(p) for p in self.cycle_folds],
            "period_doublings": [cyc(p) for p in self.period_doublings],
            "torus": [cyc(p) for p in self.torus_points],
            "homoclinic": [cyc(b.homoclinic) for b in self.cycles if b.homoclinic is not None],
            "cycles": [dict(start=b.start, end=b.end, points=[
                {**cyc(p), "stable": p.stable,
                 "floquet_abs": [float(abs(m)) for m in p.multipliers]} for p in b.points]) for b in self.cycles],
            "onset": self.onset,
            "notes": self.notes,
        })


def json_safe(x):
    """Plain floats, non-finite numbers as None (JSON has no NaN or infinity)."""
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if np.isfinite(x) else None
    return x


def _unique(points):
    out = []
    for p in points:
        if not any(abs(p.i_uA_cm2 - q.i_uA_cm2) < 1e-6 and abs(p.period_ms - q.period_ms) < 1e-4 for q in out):
            out.append(p)
    return sorted(out, key=lambda p: p.i_uA_cm2)


def _onset(d: Diagram) -> dict:
    """How the lowest stable rest branch ends as the current rises."""
    br = d.branch
    stable = br.stable
    if not stable.any():
        return {"type": None, "I_uA_cm2": None, "note": "the model has no stable equilibrium"}
    # walk up in V from the first stable sample: the rest branch ends where it
    # loses stability (a Hopf point) or where I_ss(V) turns back (a saddle-node)
    k0 = int(np.argmax(stable))
    k = k0
    while k + 1 < br.v.size and stable[k + 1] and br.current[k + 1] >= br.current[k]:
        k += 1
    v_end = br.v[k]
    cands = [("hopf", h.v_mV, h.i_uA_cm2) for h in d.hopf] + \
            [("saddle-node", s.v_mV, s.i_uA_cm2) for s in d.saddle_nodes]
    if k + 1 >= br.v.size or not cands:
        return {"type": None, "I_uA_cm2": None, "note": "the rest branch stays stable over the voltage span"}
    kind, v, i = min(cands, key=lambda c: abs(c[1] - v_end))
    return {"type": kind, "I_uA_cm2": float(i), "V_mV": float(v)}


#: Largest injected current (µA/cm², either sign) a diagram spans: as phase_plane and orbit_at accept.
MAX_CURRENT = 1e5
#: Most continuation steps of one branch of periodic orbits.
MAX_CONTINUATION_STEPS = 100_000


def bifurcation_diagram(model: str | Model = "hh", i_from: float = 0.0, i_to: float | None = None, *,
                        cycles: bool = True, fi: bool = False, fi_points: int = 41,
                        max_steps: int = 300, progress: bool | None = None) -> Diagram:
    """The bifurcation diagram along the injected current from ``i_from`` to ``i_to`` µA/cm².

    ``i_to`` None: 50 µA/cm², or 1.2 times the highest Hopf current below
    200 µA/cm² if that is more.
    ``cycles``: also continue the periodic orbits; ``fi``: also simulate the
    f-I curve (up and down staircases, :func:`hhsim.analysis.fi_curve`) for the figure.
    ``progress``: a bar counting periodic orbits on a terminal (None: automatic, False: never).
    """
    model = _models.get(model)
    for flag, value in (("cycles", cycles), ("fi", fi)):
        if not isinstance(value, (bool, np.bool_)):
            raise ParameterError(f"{flag} must be True or False (got {type(value).__name__} {_validate.shown(value)})")
    max_steps = _validate.whole(max_steps, "max_steps", lo=1, hi=MAX_CONTINUATION_STEPS)
    fi_points = _validate.whole(fi_points, "fi_points", lo=2, hi=MAX_RANGE_VALUES)
    i_from = _validate.number(i_from, "i_from", unit="µA/cm²", lo=-MAX_CURRENT, hi=MAX_CURRENT)
    if i_to is not None:
        i_to = _validate.number(i_to, "i_to", unit="µA/cm²", lo=-MAX_CURRENT, hi=MAX_CURRENT)
    f = model_field(model)
    br = _eq.branch(f)
    hopf = hopf_points(f, br)
    if i_to is None:
        top = [h.i_uA_cm2 for h in hopf if h.i_uA_cm2 < 200.0]
        i_to = max([50.0] + [1.2 * t for t in top])
    try:
        lo, hi = check_interval("current", i_from, i_to, "µA/cm²")
    except HHSimError as exc:
        raise ParameterError(str(exc)) from None
    d = Diagram(model, f, (lo, hi), br, hopf, saddle_nodes(f, br))
    d.onset = _onset(d)
    if d.onset.get("I_uA_cm2") is not None and not d.in_span(d.onset["I_uA_cm2"]):
        d.onset["note"] = (f"the rest state ends at {d.onset['I_uA_cm2']:.6g} µA/cm², outside "
                           f"{lo:g} to {hi:g} µA/cm²")
    rest = [e for e in _eq.at_current(f, lo) if e.stable]
    if not rest:
        d.notes.append(f"no stable rest state at {lo:g} µA/cm²")
    if not any(d.in_span(h.i_uA_cm2) for h in d.hopf):
        d.notes.append(f"no Hopf point between {lo:g} and {hi:g} µA/cm²")
    if not any(d.in_span(s.i_uA_cm2) for s in d.saddle_nodes):
        d.notes.append(f"no saddle-node between {lo:g} and {hi:g} µA/cm²")
    if cycles:
        bar = _orbit_bar(progress)
        try:
            _add_cycles(d, max_steps, lambda: bar.update(1))
        finally:
            bar.close()
        names = {"fold": "fold-of-cycles", "pd": "period-doubling", "torus": "torus"}
        for kind, what in names.items():
            at = [i for b in d.cycles for k, i in b.unconfirmed if k == kind]
            if at:
                d.notes.append(f"{len(at)} sign change(s) of the {what} test function without the event "
                               f"itself (near {', '.join(f'{i:.4g}' for i in at[:4])} µA/cm²): not reported")
        if not d.cycle_folds:
            d.notes.append("no fold of limit cycles found")
    _explain_onset(d)
    if fi:
        from ..analysis import fi_curve

        d.fi = fi_curve(model, lo, hi, n=fi_points, progress=progress)
    return d


def _explain_onset(d: Diagram) -> None:
    """What the onset implies for firing (``onset["mechanism"]``)."""
    kind, i = d.onset.get("type"), d.onset.get("I_uA_cm2")
    if kind is None:
        return
    if kind == "hopf":
        h = min(d.hopf, key=lambda h: abs(h.i_uA_cm2 - i))
        if h.kind == "subcritical":
            stable = [p.i_uA_cm2 for b in d.cycles for p in b.points if p.stable]
            text = "subcritical Hopf: firing starts abruptly at a nonzero rate"
            if stable and min(stable) < i:
                # the stable firing branch begins at a fold of cycles: bistability from there up to the Hopf point
                low = min(stable)
                near = [p.i_uA_cm2 for p in d.cycle_folds if abs(p.i_uA_cm2 - low) < 0.05 * abs(i - low) + 1e-6]
                text += (f"; rest and repetitive firing coexist from {near[0] if near else low:.6g} µA/cm²"
                         + (" (fold of cycles)" if near else ""))
        else:
            text = "supercritical Hopf: small oscillations grow from zero amplitude"
        d.onset["mechanism"] = text
        return
    span = 0.02 * (d.i_span[1] - d.i_span[0]) + 0.1
    snic = any(b.homoclinic is not None and abs(b.homoclinic.i_uA_cm2 - i) < span for b in d.cycles)
    if snic:
        text = "saddle-node on an invariant circle: firing starts at zero frequency (type I)"
    elif not d.cycles:
        text = "saddle-node: the rest state disappears (no periodic orbits computed)"
    else:
        text = "saddle-node: the rest state disappears (no periodic orbit of diverging period found at it)"
    d.onset["mechanism"] = text


def _orbit_bar(progress: bool | None):
    """A tqdm counter of orbits on stderr, only on a terminal."""
    from ..progress import bar

    return bar(desc="periodic orbits", unit="orbit", progress=progress)


def _add_cycles(d: Diagram, max_steps: int, on_point=None) -> None:
    f, (lo, hi) = d.field, d.i_span
    done: list[float] = []
    for h in d.hopf:
        if not d.in_span(h.i_uA_cm2) or any(abs(h.i_uA_cm2 - x) < 1e-6 for x in done):
            continue
        try:
            o, tan = _cycles.from_hopf(f, h)
            b = _cycles.continue_cycles(f, o, tan, (lo, hi), ds=0.05, hopf_points=d.hopf, from_equilibrium=True,
                                        max_steps=max_steps, start_label=f"Hopf {h.i_uA_cm2:.6g} µA/cm²",
                                        on_point=on_point)
        except HHSimError as exc:
            d.notes.append(f"cycles from the Hopf point at {h.i_uA_cm2:.6g} µA/cm² not continued: {exc}")
            continue
        d.cycles.append(b)
        done.append(h.i_uA_cm2)
        for other in d.hopf:
            if other is not h and f"Hopf point {other.i_uA_cm2:.6g}" in b.end:
                done.append(other.i_uA_cm2)
    onset = d.onset.get("I_uA_cm2")
    if onset is None:
        return
    # the firing branch from a spike train: needed for a saddle-node onset (no Hopf
    # point feeds it) and whenever the branches from Hopf points held no stable orbit
    has_stable = any(p.stable for b in d.cycles for p in b.points)
    if has_stable and d.onset.get("type") != "saddle-node":
        return
    base = onset if lo <= onset < hi else lo
    i0 = min(hi, base + max(0.05 * (hi - lo), 0.02 * abs(base) + 0.05))
    try:
        start = _cycles.orbit_at(f, i0)
    except HHSimError as exc:
        d.notes.append(f"no periodic orbit from a spike train at {i0:.6g} µA/cm²: {exc}")
        return
    for b in d.cycles:  # already on a computed branch? (period interpolated at i0 between its points)
        for p, q in zip(b.points[:-1], b.points[1:]):
            a, c = p.i_uA_cm2, q.i_uA_cm2
            if min(a, c) <= i0 <= max(a, c) and a != c:
                t = p.period_ms + (q.period_ms - p.period_ms) * (i0 - a) / (c - a)
                if abs(t - start.period_ms) < 0.02 * start.period_ms:
                    return
    for sign in (-1.0, 1.0):
        tan = np.zeros(_cycles.INTERVALS * start.orbit.m * f.n + 2)  # the continuation's mesh size
        tan[-1] = sign
        try:
            b = _cycles.continue_cycles(f, start.orbit, tan, (lo, hi), ds=0.2, hopf_points=d.hopf,
                                        max_steps=max_steps, start_label=f"spike train at {i0:.6g} µA/cm²",
                                        on_point=on_point)
        except HHSimError as exc:
            d.notes.append(f"cycles from the spike train at {i0:.6g} µA/cm² not continued: {exc}")
            continue
        d.cycles.append(b)
