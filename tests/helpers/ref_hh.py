"""An independent reference for the protocol tests: the Hodgkin-Huxley equations
written out from the 1952 paper (modern convention, rest near -65 mV, 6.3 °C,
NEURON's ``hh`` constants) and integrated with scipy's ``solve_ivp`` at tight
tolerances.  Nothing here imports hhsim.

    C dV/dt = I(t) - gNa m^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL)
    dx/dt   = alpha_x(V) (1 - x) - beta_x(V) x                     x = m, h, n

    alpha_m = 0.1 (V + 40) / (1 - exp(-(V + 40) / 10))    beta_m = 4 exp(-(V + 65) / 18)
    alpha_h = 0.07 exp(-(V + 65) / 20)                     beta_h = 1 / (1 + exp(-(V + 35) / 10))
    alpha_n = 0.01 (V + 55) / (1 - exp(-(V + 55) / 10))   beta_n = 0.125 exp(-(V + 65) / 80)

Units: mV, ms, µF/cm², mS/cm², µA/cm².
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

CM = 1.0
G_NA, G_K, G_L = 120.0, 36.0, 0.3
E_NA, E_K, E_L = 50.0, -77.0, -54.387
RTOL = 1e-9


def _lin_over_exp(u: float, k: float) -> float:
    """u / (1 - exp(-u/k)), with its limit k at u = 0."""
    if abs(u) < 1e-9:
        return k + u / 2.0
    return u / -math.expm1(-u / k)


def rates(v: float):
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at V (mV)."""
    return (
        0.1 * _lin_over_exp(v + 40.0, 10.0),
        4.0 * math.exp(-(v + 65.0) / 18.0),
        0.07 * math.exp(-(v + 65.0) / 20.0),
        1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0)),
        0.01 * _lin_over_exp(v + 55.0, 10.0),
        0.125 * math.exp(-(v + 65.0) / 80.0),
    )


def steady(v: float):
    """(m_inf, h_inf, n_inf) and (tau_m, tau_h, tau_n) in ms at V (mV)."""
    am, bm, ah, bh, an, bn = rates(v)
    return (am / (am + bm), ah / (ah + bh), an / (an + bn)), (1 / (am + bm), 1 / (ah + bh), 1 / (an + bn))


def i_ion_ss(v: float) -> float:
    (m, h, n), _ = steady(v)
    return G_NA * m**3 * h * (v - E_NA) + G_K * n**4 * (v - E_K) + G_L * (v - E_L)


def resting_potential() -> float:
    return brentq(i_ion_ss, -70.0, -60.0, xtol=1e-13)


def equilibrium(i_dc: float) -> float:
    """The membrane potential where the steady-state current equals ``i_dc`` (near rest)."""
    return brentq(lambda v: i_ion_ss(v) - i_dc, -80.0, -40.0, xtol=1e-13)


def state_at(v: float) -> np.ndarray:
    (m, h, n), _ = steady(v)
    return np.array([v, m, h, n])


def rhs(t, y, current):
    v, m, h, n = y
    am, bm, ah, bh, an, bn = rates(v)
    i_ion = G_NA * m**3 * h * (v - E_NA) + G_K * n**4 * (v - E_K) + G_L * (v - E_L)
    return [(current(t) - i_ion) / CM, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def jacobian(v: float, i_dc: float = 0.0, eps: float = 1e-6) -> np.ndarray:
    """Jacobian of the right-hand side at the steady state (V, gates at steady state), by central differences."""
    y0 = state_at(v)
    jac = np.empty((4, 4))
    for k in range(4):
        d = np.zeros(4)
        d[k] = eps
        jac[:, k] = (np.array(rhs(0, y0 + d, lambda t: i_dc)) - np.array(rhs(0, y0 - d, lambda t: i_dc))) / (2 * eps)
    return jac


def run(pieces, y0, rtol: float = RTOL, threshold: float = 0.0, max_step: float = 0.5):
    """Integrate a piecewise-constant current given as [(t_start, t_end, amp), ...].

    Each piece is integrated separately (no step straddles a jump).  Returns
    (final state, upward crossings of ``threshold`` in ms, (t, y) samples).
    """
    def crossing(t, y, *_):
        return y[0] - threshold

    crossing.direction = 1.0
    y = np.asarray(y0, dtype=float)
    spikes, ts, ys = [], [], []
    for a, b, amp in pieces:
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=rtol, atol=rtol * 1e-2,
                        events=crossing, args=(lambda t, amp=amp: amp,), max_step=max_step,
                        dense_output=False)
        assert sol.success, sol.message
        spikes.extend(sol.t_events[0].tolist())
        ts.append(sol.t)
        ys.append(sol.y)
        y = sol.y[:, -1]
    return y, np.array(spikes), (np.concatenate(ts), np.concatenate(ys, axis=1))


def count_spikes(pieces, y0=None, **kw) -> int:
    y0 = state_at(resting_potential()) if y0 is None else y0
    return len(run(pieces, y0, **kw)[1])


def bisect(fires, lo: float, hi: float, rtol: float = 2e-4) -> float:
    """Smallest x in [lo, hi] with fires(x) True, for a monotone predicate."""
    assert not fires(lo) and fires(hi), "bracket does not contain the threshold"
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if fires(mid):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


DELAY = 5.0  # ms of rest before the stimulus, as in hhsim's excitability protocols


def pulse_fires(amp: float, dur: float, tail: float, delay: float = DELAY, **kw) -> bool:
    """One rectangular pulse of ``amp`` µA/cm² for ``dur`` ms from rest: at least one spike?"""
    pieces = [(0.0, delay, 0.0), (delay, delay + dur, amp), (delay + dur, delay + dur + tail, 0.0)]
    return count_spikes(pieces, **kw) >= 1


def clamp_currents(v_hold: float, v_step: float, t, h_held: bool = False, gna: float | None = None,
                   gk: float | None = None, start=None):
    """Closed-form currents (µA/cm²) of an ideal clamp step from steady state at ``v_hold`` to ``v_step``.

    Under a clamp every gate relaxes exponentially: x(t) = x_inf + (x0 - x_inf) exp(-t / tau_x).
    ``start``: optional (m0, h0, n0) instead of the steady state at ``v_hold``.
    Returns (I_Na, I_K, I_L) at times ``t`` (ms after the step).
    """
    gna = G_NA if gna is None else gna
    gk = G_K if gk is None else gk
    t = np.asarray(t, dtype=float)
    x0 = steady(v_hold)[0] if start is None else start
    xi, tau = steady(v_step)
    m, h, n = (xi[k] + (x0[k] - xi[k]) * np.exp(-t / tau[k]) for k in range(3))
    if h_held:
        h = np.ones_like(t)
    return (gna * m**3 * h * (v_step - E_NA), gk * n**4 * (v_step - E_K),
            G_L * (v_step - E_L) * np.ones_like(t))


def gates_after(v_hold: float, v_step: float, t: float):
    """(m, h, n) t ms after a clamp step from steady state at v_hold to v_step."""
    x0 = steady(v_hold)[0]
    xi, tau = steady(v_step)
    return tuple(xi[k] + (x0[k] - xi[k]) * math.exp(-t / tau[k]) for k in range(3))


def peak_na(v_hold: float, v_step: float, start=None, gna: float | None = None, h_held: bool = False) -> float:
    """Signed extremum of the closed-form I_Na after a clamp step (minimised on a fine grid, then refined)."""
    from scipy.optimize import minimize_scalar

    def f(t):
        return float(clamp_currents(v_hold, v_step, t, start=start, gna=gna, h_held=h_held)[0])

    tt = np.linspace(0.0, 20.0, 200001)
    ii = clamp_currents(v_hold, v_step, tt, start=start, gna=gna, h_held=h_held)[0]
    k = int(np.argmax(np.abs(ii)))
    if k in (0, tt.size - 1):
        return float(ii[k])
    sign = 1.0 if ii[k] < 0 else -1.0
    opt = minimize_scalar(lambda t: sign * f(t), bounds=(tt[k - 1], tt[k + 1]), method="bounded",
                          options={"xatol": 1e-13})
    return f(opt.x)
