"""The Hodgkin-Huxley equations written out from the textbook, independently of hhsim.

Modern convention (absolute membrane potential in mV, rest near -65 mV), 6.3 °C,
the parameter values of NEURON's ``hh`` mechanism:

    C dV/dt = I(t) - gNa m^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL)
    dx/dt   = alpha_x(V) (1 - x) - beta_x(V) x            for x in m, h, n

    alpha_m = 0.1 (V + 40) / (1 - exp(-(V + 40) / 10))    beta_m = 4 exp(-(V + 65) / 18)
    alpha_h = 0.07 exp(-(V + 65) / 20)                     beta_h = 1 / (1 + exp(-(V + 35) / 10))
    alpha_n = 0.01 (V + 55) / (1 - exp(-(V + 55) / 10))   beta_n = 0.125 exp(-(V + 65) / 80)

Units: mV, ms, µF/cm², mS/cm², µA/cm².  Used as the independent reference of
the numerics tests; nothing here imports hhsim.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

CM = 1.0
G_NA, G_K, G_L = 120.0, 36.0, 0.3
E_NA, E_K, E_L = 50.0, -77.0, -54.387


def _lin_over_exp(u: float, k: float) -> float:
    """u / (1 - exp(-u / k)), with its limit k at u = 0 (evaluated with expm1)."""
    if u == 0.0:
        return k
    return u / -math.expm1(-u / k)


def alpha_m(v):
    return 0.1 * _lin_over_exp(v + 40.0, 10.0)


def beta_m(v):
    return 4.0 * math.exp(-(v + 65.0) / 18.0)


def alpha_h(v):
    return 0.07 * math.exp(-(v + 65.0) / 20.0)


def beta_h(v):
    return 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))


def alpha_n(v):
    return 0.01 * _lin_over_exp(v + 55.0, 10.0)


def beta_n(v):
    return 0.125 * math.exp(-(v + 65.0) / 80.0)


RATES = {"m": (alpha_m, beta_m), "h": (alpha_h, beta_h), "n": (alpha_n, beta_n)}


def x_inf(gate: str, v: float, phi: float = 1.0) -> float:
    a, b = RATES[gate]
    return a(v) / (a(v) + b(v))


def tau_x(gate: str, v: float, phi: float = 1.0) -> float:
    a, b = RATES[gate]
    return 1.0 / (phi * (a(v) + b(v)))


def steady_state_current(v: float, gna=G_NA, gk=G_K, gl=G_L) -> float:
    """Ionic current (µA/cm²) with all gates at steady state."""
    m, h, n = (x_inf(g, v) for g in "mhn")
    return gna * m**3 * h * (v - E_NA) + gk * n**4 * (v - E_K) + gl * (v - E_L)


def resting_potential() -> float:
    """The root of the steady-state I-V curve near -65 mV."""
    return brentq(steady_state_current, -70.0, -60.0, xtol=1e-14, rtol=4 * np.finfo(float).eps)


def resting_state() -> np.ndarray:
    v = resting_potential()
    return np.array([v, x_inf("m", v), x_inf("h", v), x_inf("n", v)])


def rhs(t: float, y, current) -> list[float]:
    v, m, h, n = y
    i_ion = G_NA * m**3 * h * (v - E_NA) + G_K * n**4 * (v - E_K) + G_L * (v - E_L)
    return [
        (current(t) - i_ion) / CM,
        alpha_m(v) * (1.0 - m) - beta_m(v) * m,
        alpha_h(v) * (1.0 - h) - beta_h(v) * h,
        alpha_n(v) * (1.0 - n) - beta_n(v) * n,
    ]


def solve(current, t_stop: float, y0, tol: float, t_eval=None, threshold: float | None = None):
    """solve_ivp(DOP853) from ``y0``; with ``threshold``, also upward crossings of it."""
    events = None
    if threshold is not None:
        def crossing(t, y, *_):
            return y[0] - threshold

        crossing.direction = 1.0
        events = crossing
    sol = solve_ivp(
        rhs, (0.0, t_stop), np.asarray(y0, dtype=float), method="DOP853", rtol=tol, atol=tol,
        t_eval=t_eval, events=events, args=(current,),
    )
    assert sol.success, sol.message
    return sol
