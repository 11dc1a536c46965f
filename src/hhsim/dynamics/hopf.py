"""Hopf points of the equilibrium branch: detection, Newton refinement, criticality.

Detection: along the branch sampled in V, the number of eigenvalues with a
positive real part *and* a nonzero imaginary part changes by two.

Refinement: Newton's method on the extended system (Kuznetsov 2004,
*Elements of Applied Bifurcation Theory*, §10.2), with the equilibrium
condition eliminated by the V parametrisation of the branch::

    J(u*(V)) q - i ω q = 0,      c^H q - 1 = 0        (unknowns V, ω, q ∈ C^n)

The V column, d/dV [J(u*(V)) q] = D²f[du*/dV, q], comes from Cauchy-integral
second derivatives (:mod:`hhsim.dynamics.derivatives`), so the iteration
converges quadratically to a root whose residual is exact to rounding.

Criticality: the first Lyapunov coefficient (Kuznetsov 2004, eq. 10.53)
with J q = iωq, Jᵀp = -iωp, <q, q> = 1, <p, q> = 1::

    l1 = Re <p, C(q,q,q̄) - 2 B(q, J⁻¹ B(q,q̄)) + B(q̄, (2iω - J)⁻¹ B(q,q))> / (2ω)

l1 > 0: subcritical (unstable cycles born, a hard onset with bistability);
l1 < 0: supercritical (stable small cycles).  Its unit follows the states'
units (mV for V, 1 for gates) with q normalised in them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HHSimError
from .derivatives import jacobian, second, third
from .equilibria import EIG_TOL, Branch, steady_current, tangent
from .field import ModelField

NEWTON_MAX = 30
NEWTON_TOL = 1e-14


@dataclass(frozen=True)
class HopfPoint:
    """A Hopf point: V (mV), I (µA/cm²), ω (rad/ms), the state, q, l1 and its kind."""

    v_mV: float
    i_uA_cm2: float
    omega_per_ms: float
    state: np.ndarray
    eigenvector: np.ndarray
    lyapunov: float
    newton_steps: int

    @property
    def frequency_hz(self) -> float:
        return self.omega_per_ms / (2 * np.pi) * 1e3

    @property
    def kind(self) -> str:
        return "subcritical" if self.lyapunov > 0 else "supercritical"

    def to_dict(self) -> dict:
        return {"I_uA_cm2": self.i_uA_cm2, "V_mV": self.v_mV, "frequency_hz": self.frequency_hz,
                "lyapunov": self.lyapunov, "kind": self.kind}


def _complex_pairs_up(ev: np.ndarray) -> np.ndarray:
    return np.sum((ev.real > 0) & (np.abs(ev.imag) > EIG_TOL), axis=-1)


def detect(br: Branch) -> list[int]:
    """Indices k such that a Hopf point lies between samples k and k+1."""
    c = _complex_pairs_up(br.eigenvalues)
    r = np.sum((br.eigenvalues.real > 0) & (np.abs(br.eigenvalues.imag) <= EIG_TOL), axis=1)
    ok = np.isfinite(br.current[:-1]) & np.isfinite(br.current[1:])
    return [int(k) for k in np.nonzero((np.abs(np.diff(c)) == 2) & (np.diff(r) == 0) & ok)[0]]


def _critical_pair(J: np.ndarray):
    ev, vec = np.linalg.eig(J)
    cand = np.nonzero(ev.imag > EIG_TOL)[0]
    if cand.size == 0:
        return None
    k = cand[np.argmin(np.abs(ev[cand].real))]
    return ev[k], vec[:, k]


def _realify(M: np.ndarray) -> np.ndarray:
    return np.block([[M.real, -M.imag], [M.imag, M.real]])


def refine(field: ModelField, v_guess: float) -> HopfPoint:
    """Newton on the extended system from V = ``v_guess`` (mV); raises if it does not converge."""
    n = field.n
    v = float(v_guess)
    u = field.steady_state(v)[:, 0]
    J = jacobian(field, u)
    pair = _critical_pair(J)
    if pair is None:
        raise HHSimError(f"no complex eigenvalue pair near V = {v:.6g} mV to start a Hopf refinement")
    lam, q = pair
    omega = float(abs(lam.imag))
    c = q / np.vdot(q, q)  # c^H q = 1 at the start
    steps = 0
    for steps in range(1, NEWTON_MAX + 1):
        u = field.steady_state(v)[:, 0]
        J = jacobian(field, u)
        w = tangent(J)
        r1 = J @ q - 1j * omega * q
        r2 = np.vdot(c, q) - 1.0
        dV = second(field, u, w, q, field.scale)
        top = np.column_stack([np.concatenate([dV.real, dV.imag]),
                               np.concatenate([(-1j * q).real, (-1j * q).imag]),
                               _realify(J - 1j * omega * np.eye(n))])
        ch = c.conj()[None, :]
        bottom = np.column_stack([np.zeros((2, 2)), _realify(ch)])
        K = np.vstack([top, bottom])
        res = np.concatenate([r1.real, r1.imag, [r2.real, r2.imag]])
        delta = np.linalg.solve(K, -res)
        v += delta[0]
        omega += delta[1]
        q = q + delta[2: 2 + n] + 1j * delta[2 + n:]
        if abs(delta[0]) <= NEWTON_TOL * max(1.0, abs(v)) and abs(delta[1]) <= NEWTON_TOL * abs(omega) * 10:
            break
    else:
        raise HHSimError(f"Hopf refinement near V = {v_guess:.6g} mV did not converge")
    u = field.steady_state(v)[:, 0]
    J = jacobian(field, u)
    l1 = lyapunov(field, u, J, omega, q)
    return HopfPoint(v, float(steady_current(field, v)[0]), abs(omega), u,
                     q / np.sqrt(np.vdot(q, q).real), l1, steps)


def lyapunov(field, u: np.ndarray, J: np.ndarray, omega: float, q: np.ndarray) -> float:
    """First Lyapunov coefficient at a Hopf point (see the module docstring)."""
    n = J.shape[0]
    q = q / np.sqrt(np.vdot(q, q).real)
    ev, left = np.linalg.eig(J.T)
    p = left[:, np.argmin(np.abs(ev + 1j * omega))]
    p = p / np.vdot(p, q).conj()  # <p, q> = p^H q = 1
    s = field.scale
    b_qqbar = second(field, u, q, q.conj(), s)
    b_qq = second(field, u, q, q, s)
    h11 = -np.linalg.solve(J, b_qqbar)
    h20 = np.linalg.solve(2j * omega * np.eye(n) - J, b_qq)
    c_qqq = third(field, u, q, q.conj(), s)
    total = c_qqq + 2.0 * second(field, u, q, h11, s) + second(field, u, q.conj(), h20, s)
    return float(np.vdot(p, total).real / (2.0 * omega))


def hopf_points(field: ModelField, br: Branch) -> list[HopfPoint]:
    """Every Hopf point of the sampled branch, refined (sorted by current)."""
    out = []
    for k in detect(br):
        h = refine(field, 0.5 * (br.v[k] + br.v[k + 1]))
        if not any(abs(h.v_mV - o.v_mV) < 1e-8 for o in out):
            out.append(h)
    return out
