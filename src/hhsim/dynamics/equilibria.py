"""Equilibria along the injected current, parametrised by V.

With every gate and pool at its steady state at a fixed V, the current that
holds the membrane there is explicit: ``I_ss(V)`` (µA/cm²).  The curve
``(I_ss(V), V)`` is therefore the whole branch of equilibria, with nothing to
converge; its folds (``dI_ss/dV = 0``) are the saddle-nodes.  Stability comes
from the eigenvalues of the full Jacobian (V, every dynamic gate, every pool)
taken by the complex step (:mod:`hhsim.dynamics.derivatives`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..errors import ParameterError
from .derivatives import jacobian
from .field import ModelField

#: Default voltage span (mV) of the branch.
V_SPAN = (-120.0, 60.0)
#: Real parts below this (1/ms) count as zero when classifying.
EIG_TOL = 1e-9


@dataclass(frozen=True)
class Equilibrium:
    """One equilibrium: V (mV), the current holding it (µA/cm²), states, eigenvalues (1/ms)."""

    v_mV: float
    i_uA_cm2: float
    state: np.ndarray
    eigenvalues: np.ndarray
    kind: str

    @property
    def stable(self) -> bool:
        return bool(np.all(self.eigenvalues.real < -EIG_TOL))

    def to_dict(self, names) -> dict:
        ev = sorted(self.eigenvalues, key=lambda z: -z.real)
        return {
            "V_mV": float(self.v_mV), "I_uA_cm2": float(self.i_uA_cm2), "stable": self.stable,
            "type": self.kind,
            "state": {n: float(x) for n, x in zip(names, self.state)},
            "eigenvalues_per_ms": [[float(z.real), float(z.imag)] for z in ev],
        }


def classify(eigenvalues: np.ndarray) -> str:
    """``stable node``, ``stable focus``, ``saddle`` (n unstable), ``unstable node``, ``unstable focus``."""
    re = eigenvalues.real
    n_up = int(np.sum(re > EIG_TOL))
    if n_up == 0:
        lead = eigenvalues[np.argmax(re)]
        return "stable focus" if abs(lead.imag) > EIG_TOL else "stable node"
    if n_up == eigenvalues.size:
        return "unstable focus" if np.any(np.abs(eigenvalues.imag) > EIG_TOL) else "unstable node"
    up = eigenvalues[re > EIG_TOL]
    if n_up == 1:
        return "saddle"
    focus = np.any(np.abs(up.imag) > EIG_TOL)
    return f"saddle ({n_up} unstable{', focus' if focus else ''})"


def slope(field: ModelField, J: np.ndarray) -> float:
    """dI_ss/dV (mS/cm²) from the Jacobian at an equilibrium (implicit function theorem)."""
    gy, gv = J[1:, 1:], J[1:, 0]
    dy = -np.linalg.solve(gy, gv) if gy.size else np.zeros(0)
    return float(-field.cm * (J[0, 0] + J[0, 1:] @ dy))


def tangent(J: np.ndarray) -> np.ndarray:
    """du*/dV: how every state of the equilibrium moves per mV."""
    gy, gv = J[1:, 1:], J[1:, 0]
    dy = -np.linalg.solve(gy, gv) if gy.size else np.zeros(0)
    return np.concatenate([[1.0], dy])


@dataclass
class Branch:
    """The equilibrium curve sampled in V: ``v`` (k,) mV, ``current`` (k,) µA/cm²,
    ``states`` (n, k), ``eigenvalues`` (k, n) in 1/ms."""

    field: ModelField
    v: np.ndarray
    current: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray

    @property
    def stable(self) -> np.ndarray:
        return np.all(self.eigenvalues.real < -EIG_TOL, axis=1)

    def n_unstable(self) -> np.ndarray:
        return np.sum(self.eigenvalues.real > EIG_TOL, axis=1)


def steady_current(field: ModelField, v) -> np.ndarray:
    """I_ss(V) (µA/cm²): the injected current that holds V at equilibrium."""
    u = field.steady_state(v)
    with np.errstate(all="ignore"):
        return np.real(field.ionic_current(u))


def branch(field: ModelField, v_span=V_SPAN, step: float = 0.1) -> Branch:
    """Sample the equilibrium branch every ``step`` mV over ``v_span``."""
    lo, hi = map(float, v_span)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ParameterError(f"voltage span needs two finite numbers low < high in mV, got {v_span}")
    v = np.linspace(lo, hi, int(round((hi - lo) / step)) + 1)
    u = field.steady_state(v)
    with np.errstate(all="ignore"):
        cur = np.real(field.ionic_current(u))
        J = jacobian(field, u)
        ev = np.linalg.eigvals(J)
    return Branch(field, v, cur, u, ev)


def point(field: ModelField, v: float) -> Equilibrium:
    """The equilibrium at V (mV), with its current, eigenvalues and type."""
    u = field.steady_state(float(v))[:, 0]
    J = jacobian(field, u)
    ev = np.linalg.eigvals(J)
    return Equilibrium(float(v), float(steady_current(field, v)[0]), u, ev, classify(ev))


def at_current(field: ModelField, i_app: float, v_span=V_SPAN, step: float = 0.25) -> list[Equilibrium]:
    """Every equilibrium at injected current ``i_app`` (µA/cm²) in ``v_span``, by V."""
    i_app = float(i_app)
    if not np.isfinite(i_app):
        raise ParameterError(f"the current must be a finite number in µA/cm², got {i_app}")
    v = np.arange(v_span[0], v_span[1] + 1e-9, step)
    g = steady_current(field, v) - i_app

    def f(x):
        return float(steady_current(field, x)[0]) - i_app

    roots = []
    for k in np.nonzero(np.sign(g[:-1]) * np.sign(g[1:]) <= 0)[0]:
        r = v[k] if g[k] == 0 else brentq(f, v[k], v[k + 1], xtol=1e-13, rtol=1e-15)
        if not roots or abs(r - roots[-1]) > 1e-9:
            roots.append(r)
    return [point(field, r) for r in roots]


def equilibria_at(model, i_app: float = 0.0) -> dict:
    """Every equilibrium of ``model`` (a preset name or Model) at ``i_app`` µA/cm², as a dict.

    Keys: ``model``, ``I_uA_cm2``, ``states`` (row names), ``equilibria`` (by V:
    ``V_mV``, ``stable``, ``type``, ``state``, ``eigenvalues_per_ms`` as [re, im]
    pairs, leading first) and ``notes``.
    """
    from .. import models as _models
    from .field import model_field

    from .. import validate as _validate

    model = _models.get(model)
    i_app = _validate.number(i_app, "i_app", unit="µA/cm²", lo=-1e5, hi=1e5)
    f = model_field(model)
    eqs = at_current(f, i_app)
    notes = []
    if not any(e.stable for e in eqs):
        notes.append(f"no stable rest state at {float(i_app):g} µA/cm²")
    return {
        "model": model.name, "I_uA_cm2": float(i_app), "states": list(f.names),
        "equilibria": [e.to_dict(f.names) for e in eqs], "notes": notes,
    }
