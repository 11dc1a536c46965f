"""Saddle-node points of the equilibrium branch: the folds of I_ss(V).

At a fold one real eigenvalue of the Jacobian crosses zero, and by the
implicit function theorem ``dI_ss/dV = -Cm det J / det J_yy`` vanishes there
(:func:`hhsim.dynamics.equilibria.slope`).  The fold is located by Brent's
method on that slope, which is exact (complex-step Jacobian) and bracketed
by the sampled branch, so it always converges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from .derivatives import jacobian
from .equilibria import Branch, slope, steady_current
from .field import ModelField


@dataclass(frozen=True)
class SaddleNode:
    """A fold of the equilibrium branch: V (mV), I (µA/cm²); ``lower`` if the branch
    turns back to lower currents there (a maximum of I_ss, where a stable rest
    state coming from hyperpolarised potentials can end)."""

    v_mV: float
    i_uA_cm2: float
    lower: bool

    def to_dict(self) -> dict:
        return {"I_uA_cm2": self.i_uA_cm2, "V_mV": self.v_mV,
                "fold": "maximum of I_ss" if self.lower else "minimum of I_ss"}


def _slope_at(field: ModelField, v: float) -> float:
    u = field.steady_state(v)[:, 0]
    return slope(field, jacobian(field, u))


def saddle_nodes(field: ModelField, br: Branch) -> list[SaddleNode]:
    """Every fold of the sampled branch, located to rounding in V."""
    s = np.gradient(br.current, br.v)
    out = []
    for k in np.nonzero(np.sign(s[:-1]) * np.sign(s[1:]) < 0)[0]:
        a, b = br.v[max(k - 1, 0)], br.v[min(k + 2, br.v.size - 1)]
        fa, fb = _slope_at(field, a), _slope_at(field, b)
        if not (np.isfinite(fa) and np.isfinite(fb)) or fa * fb > 0:
            continue
        v = brentq(lambda x: _slope_at(field, x), a, b, xtol=1e-13, rtol=1e-15)
        if any(abs(v - o.v_mV) < 1e-8 for o in out):
            continue
        out.append(SaddleNode(float(v), float(steady_current(field, v)[0]), bool(fa > 0)))
    return out
