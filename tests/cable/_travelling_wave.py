"""The propagated action potential of the Hodgkin-Huxley (1952) axon by
shooting, the way Hodgkin and Huxley computed it (Part III of the paper),
written independently of hhsim.

A wave travelling at constant velocity theta satisfies V(x, t) = V(t - x/theta);
the cable equation (a / 2R) d2V/dx2 = C dV/dt + I_ion becomes the ODE

    V'' = K (V' + I_ion(V, m, h, n) / C),   K = 2 R C theta^2 / a,

with the gates' own equations.  Started on the unstable manifold of rest,
V runs off to +inf or -inf unless K is the wave's; bisection on K finds it
(divergence sign flips at K*).  Then theta = sqrt(K* a / (2 R C)).
Integration: scipy DOP853, rtol 1e-11.  This is the continuum limit (dx,
dt -> 0) of an infinitely long axon: the reference the simulated velocity
must converge to.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

G_NA, G_K, G_L = 120.0, 36.0, 0.3  # mS/cm²
E_NA, E_K, E_L = 50.0, -77.0, -54.387  # mV
C_M = 1.0  # µF/cm²


def _vtrap(x: float, k: float) -> float:
    """x / (exp(x/k) - 1), continuous at 0."""
    if abs(x / k) < 1e-6:
        return k * (1.0 - x / k / 2.0)
    return x / math.expm1(x / k)


def _rates(v: float):
    return (0.1 * _vtrap(-(v + 40.0), 10.0), 4.0 * math.exp(-(v + 65.0) / 18.0),
            0.07 * math.exp(-(v + 65.0) / 20.0), 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0)),
            0.01 * _vtrap(-(v + 55.0), 10.0), 0.125 * math.exp(-(v + 65.0) / 80.0))


def _steady(v: float):
    am, bm, ah, bh, an, bn = _rates(v)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def _i_ion(v, m, h, n):
    return G_NA * m ** 3 * h * (v - E_NA) + G_K * n ** 4 * (v - E_K) + G_L * (v - E_L)


V_REST = brentq(lambda v: _i_ion(v, *_steady(v)), -70.0, -60.0, xtol=1e-14)


def _rhs(K: float, phi: float):
    def f(t, y):
        v, w, m, h, n = y
        am, bm, ah, bh, an, bn = _rates(v)
        return [w, K * (w + _i_ion(v, m, h, n) / C_M),
                phi * (am * (1 - m) - bm * m), phi * (ah * (1 - h) - bh * h), phi * (an * (1 - n) - bn * n)]
    return f


def _runaway_sign(K: float, phi: float) -> float:
    f = _rhs(K, phi)
    y0 = np.array([V_REST, 0.0, *_steady(V_REST)])
    J = np.empty((5, 5))
    f0 = np.array(f(0, y0))
    for j in range(5):
        y = y0.copy()
        y[j] += 1e-7
        J[:, j] = (np.array(f(0, y)) - f0) / 1e-7
    w, vecs = np.linalg.eig(J)
    e = vecs[:, np.argmax(w.real)].real
    e = e / e[0]
    away = lambda t, y: abs(y[0] - V_REST) - 150.0  # noqa: E731
    away.terminal = True
    sol = solve_ivp(f, (0.0, 60.0), y0 + 1e-6 * e, method="DOP853", rtol=1e-11, atol=1e-12, events=away)
    return float(np.sign(sol.y[0, -1] - V_REST))


@functools.lru_cache(maxsize=None)
def hh_wave_velocity(temperature_c: float, diam_um: float = 476.0, ra_ohm_cm: float = 35.4) -> float:
    """Velocity (m/s) of the HH travelling wave (Q10 = 3 from 6.3 °C)."""
    phi = 3.0 ** ((temperature_c - 6.3) / 10.0)
    lo, hi = 1.0, 100.0  # K in 1/ms (the wave lies between)
    s_lo = _runaway_sign(lo, phi)
    assert _runaway_sign(hi, phi) != s_lo
    while hi / lo - 1.0 > 1e-12:
        mid = math.sqrt(lo * hi)
        if _runaway_sign(mid, phi) == s_lo:
            lo = mid
        else:
            hi = mid
    K = math.sqrt(lo * hi) * 1e3  # 1/s
    a = diam_um * 0.5e-6  # m
    R = ra_ohm_cm * 1e-2  # Ω m
    C = C_M * 1e-2  # F/m²
    return math.sqrt(K * a / (2.0 * R * C))
