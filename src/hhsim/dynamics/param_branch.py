"""Equilibria along any model parameter, by pseudo-arclength continuation.

With the current held at I, an equilibrium in (V, p) solves the scalar
equation ``G(V, p) = I_ss(V; p) - I = 0`` (gates and pools at steady state
at V, so nothing else is unknown).  Unlike the current, a parameter such as
gNa or a reversal potential does not come out explicitly, so the curve is
followed by pseudo-arclength continuation (Keller 1977) in the scaled plane
(V / 10 mV, p / |p0|).  G_V is exact (the implicit-function formula on the
complex-step Jacobian); G_p is a central difference through the model
construction (the parameter may act through Nernst potentials, Q10 factors
or rate constants), which only enters the Newton matrix: the corrected
points satisfy G = 0 to rounding.

Hopf points (a complex pair crossing) and saddle-nodes (dp/ds changes sign)
are located by the secant method on the arclength, re-solving the corrector
at each trial step; each Hopf point gets its first Lyapunov coefficient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import models as _models
from .. import validate as _validate
from ..errors import ParameterError
from .derivatives import jacobian
from .equilibria import EIG_TOL, at_current, slope, steady_current
from .field import model_field
from .hopf import _critical_pair, lyapunov

V_SCALE = 10.0
MAX_STEPS = 400


@dataclass
class ParamBranch:
    """Equilibria in (p, V) with eigenvalues, and the bifurcations on them."""

    name: str
    p: list = field(default_factory=list)
    v: list = field(default_factory=list)
    eigenvalues: list = field(default_factory=list)
    hopf: list = field(default_factory=list)
    saddle_nodes: list = field(default_factory=list)


class _Problem:
    def __init__(self, model, name: str, i_app: float, p0: float):
        self.model, self.name, self.i_app = model, name, float(i_app)
        self.p_scale = max(abs(p0), 1e-3)
        self._cache: dict[float, object] = {}

    def field(self, p: float):
        f = self._cache.get(p)
        if f is None:
            if len(self._cache) > 64:
                self._cache.clear()
            f = self._cache[p] = model_field(self.model.with_params({self.name: float(p)}))
        return f

    def g(self, v: float, p: float) -> float:
        return float(steady_current(self.field(p), v)[0]) - self.i_app

    def grad(self, v: float, p: float) -> np.ndarray:
        """(dG/dV, dG/dp) in the scaled coordinates."""
        f = self.field(p)
        gv = slope(f, jacobian(f, f.steady_state(v)[:, 0]))
        h = 1e-6 * self.p_scale
        try:
            gp = (self.g(v, p + h) - self.g(v, p - h)) / (2 * h)
        except ParameterError:  # at the edge of the parameter's range (gNa = 0): one-sided
            try:
                gp = (self.g(v, p + h) - self.g(v, p)) / h
            except ParameterError:
                gp = (self.g(v, p) - self.g(v, p - h)) / h
        return np.array([gv * V_SCALE, gp * self.p_scale])

    def eig(self, v: float, p: float) -> np.ndarray:
        f = self.field(p)
        return np.linalg.eigvals(jacobian(f, f.steady_state(v)[:, 0]))


def _correct(pr: _Problem, x0: np.ndarray, t: np.ndarray, ds: float):
    """Newton on G = 0 and the arclength condition; x = (V/V_SCALE, p/p_scale)."""
    x = x0 + ds * t
    for _ in range(12):
        v, p = x[0] * V_SCALE, x[1] * pr.p_scale
        try:
            r = np.array([pr.g(v, p), np.dot(x - x0, t) - ds])
        except ParameterError:  # a step past the parameter's range (a conductance below 0): shorter
            return None
        if not np.all(np.isfinite(r)):
            return None
        A = np.vstack([pr.grad(v, p), t])
        dx = np.linalg.solve(A, -r)
        x = x + dx
        if np.max(np.abs(dx)) < 1e-12:
            return x
    return None


def _tangent(pr: _Problem, x: np.ndarray, prev: np.ndarray) -> np.ndarray:
    g = pr.grad(x[0] * V_SCALE, x[1] * pr.p_scale)
    t = np.array([-g[1], g[0]])
    t /= np.linalg.norm(t)
    return t if np.dot(t, prev) >= 0 else -t


def _hopf_test(ev: np.ndarray) -> int:
    return int(np.sum((ev.real > 0) & (np.abs(ev.imag) > EIG_TOL)))


def continue_parameter(model, name: str, p_from: float, p_to: float, i_app: float = 0.0,
                       ds: float = 0.02, ds_max: float = 0.2) -> list[ParamBranch]:
    """Branches of equilibria as ``name`` goes from ``p_from`` to ``p_to`` at current ``i_app``."""
    model = _models.get(model)  # a preset name or a model file is as good as a Model
    if not isinstance(name, str):
        raise ParameterError(f"the parameter name must be a string such as 'gNa' (got {name!r})")
    p_from = _validate.number(p_from, "the range's start")
    p_to = _validate.number(p_to, "the range's end")
    if not (np.isfinite(p_from) and np.isfinite(p_to) and p_to > p_from):
        what = "empty" if p_from == p_to else "reversed or not finite"
        raise ParameterError(f"parameter range {p_from:g} to {p_to:g} is {what}; the end must be greater than the start")
    i_app = _validate.number(i_app, "i_app", unit="µA/cm²", lo=-1e5, hi=1e5)
    ds = _validate.number(ds, "ds", lo=1e-6, hi=1.0)
    ds_max = _validate.number(ds_max, "ds_max", lo=1e-6, hi=1.0)
    if ds > ds_max:
        raise ParameterError(f"ds = {ds:g} is larger than ds_max = {ds_max:g}; accepted: ds <= ds_max")
    model.with_params({name: p_from})  # raises ParameterError for an unknown name
    pr = _Problem(model, name, i_app, max(abs(p_from), abs(p_to)))
    starts = at_current(pr.field(p_from), i_app)
    if not starts:
        raise ParameterError(f"no equilibrium at {name} = {p_from:g} and {i_app:g} µA/cm² to start from")
    branches = []
    for e in starts:
        branches.append(_follow(pr, e.v_mV, p_from, p_to, ds, ds_max))
    return branches


def _follow(pr: _Problem, v0: float, p_from: float, p_to: float, ds: float, ds_max: float) -> ParamBranch:
    b = ParamBranch(pr.name)
    x = np.array([v0 / V_SCALE, p_from / pr.p_scale])
    t = _tangent(pr, x, np.array([0.0, 1.0]))
    ev = pr.eig(v0, p_from)
    b.p.append(p_from)
    b.v.append(v0)
    b.eigenvalues.append(ev)
    step = ds
    for _ in range(MAX_STEPS):
        new = _correct(pr, x, t, step)
        if new is None:
            step *= 0.5
            if step < 1e-8:
                break
            continue
        nt = _tangent(pr, new, t)
        v, p = new[0] * V_SCALE, new[1] * pr.p_scale
        nev = pr.eig(v, p)
        if _hopf_test(nev) != _hopf_test(ev):
            h = _locate(pr, x, t, step, lambda y: _critical_real(pr, y), "hopf")
            if h is not None:
                b.hopf.append(h)
        if np.sign(nt[1]) != np.sign(t[1]):
            sn = _locate(pr, x, t, step, lambda y: pr.grad(y[0] * V_SCALE, y[1] * pr.p_scale)[0], "fold")
            if sn is not None:
                b.saddle_nodes.append(sn)
        x, t, ev = new, nt, nev
        b.p.append(p)
        b.v.append(v)
        b.eigenvalues.append(ev)
        step = min(1.5 * step, ds_max)
        if not (p_from - 1e-12 <= p <= p_to + 1e-12) or not (-150.0 <= v <= 100.0):
            break
    return b


def _critical_real(pr: _Problem, y: np.ndarray) -> float:
    ev = pr.eig(y[0] * V_SCALE, y[1] * pr.p_scale)
    cpx = ev[np.abs(ev.imag) > EIG_TOL]
    return float(cpx.real[np.argmin(np.abs(cpx.real))]) if cpx.size else np.nan


def _locate(pr: _Problem, x0, t, step, test, kind: str):
    """Secant on the arclength for a zero of ``test`` between x0 and the corrected x0 + step t."""
    s0, s1 = 0.0, step
    y0, y1 = x0, _correct(pr, x0, t, step)
    if y1 is None:
        return None
    f0, f1 = test(y0), test(y1)
    if not (np.isfinite(f0) and np.isfinite(f1)) or f0 * f1 > 0:
        return None
    for _ in range(40):
        s = s1 - f1 * (s1 - s0) / (f1 - f0) if f1 != f0 else 0.5 * (s0 + s1)
        if not (min(s0, s1) < s < max(s0, s1)):
            s = 0.5 * (s0 + s1)
        y = _correct(pr, x0, t, s)
        if y is None:
            return None
        fs = test(y)
        if fs * f0 < 0:
            s1, f1 = s, fs
        else:
            s0, f0 = s, fs
        if abs(s1 - s0) < 1e-13 or fs == 0:
            break
    v, p = y[0] * V_SCALE, y[1] * pr.p_scale
    out = {"value": float(p), "V_mV": float(v)}
    if kind == "hopf":
        f = pr.field(p)
        u = f.steady_state(v)[:, 0]
        J = jacobian(f, u)
        lam, q = _critical_pair(J)
        l1 = lyapunov(f, u, J, abs(lam.imag), q)
        out.update(frequency_hz=float(abs(lam.imag)) / (2 * np.pi) * 1e3, lyapunov=l1,
                   kind="subcritical" if l1 > 0 else "supercritical")
    return out


def parameter_diagram(model, name: str, p_from: float, p_to: float, i_app: float = 0.0) -> dict:
    """JSON-ready summary of :func:`continue_parameter` (keys as the current diagram's)."""
    branches = continue_parameter(model, name, p_from, p_to, i_app)
    eqs, hopf, sns = [], [], []
    for b in branches:
        for p, v, ev in zip(b.p, b.v, b.eigenvalues):
            if p_from <= p <= p_to:
                eqs.append({"value": float(p), "V_mV": float(v), "stable": bool(np.all(ev.real < -EIG_TOL)),
                            "n_unstable": int(np.sum(ev.real > EIG_TOL))})
        hopf += b.hopf
        sns += b.saddle_nodes
    notes = ["periodic orbits are continued in the injected current only (--param I)"]
    if not hopf:
        notes.append(f"no Hopf point for {name} between {p_from:g} and {p_to:g}")
    if not sns:
        notes.append(f"no saddle-node for {name} between {p_from:g} and {p_to:g}")
    from .diagram import json_safe

    return json_safe({"model": model.name, "parameter": name, "I_uA_cm2": float(i_app), "from": p_from, "to": p_to,
            "equilibria": eqs, "hopf": _dedupe(hopf), "saddle_nodes": _dedupe(sns), "cycle_folds": [],
            "period_doublings": [], "notes": notes})


def _dedupe(points: list[dict]) -> list[dict]:
    out = []
    for q in sorted(points, key=lambda d: d["value"]):
        if not any(abs(q["value"] - o["value"]) <= 1e-9 * max(1.0, abs(o["value"])) and
                   abs(q["V_mV"] - o["V_mV"]) < 1e-6 for o in out):
            out.append(q)
    return out
