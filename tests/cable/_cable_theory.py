"""Analytic passive-cable solutions, written out independently of hhsim.

Units: µm, Ω·cm, mS/cm², µF/cm², nA, mV, ms.  A cylinder of diameter d has
the axial resistance per length r_a = 4 Ra / (pi d^2) and the length
constant lambda = sqrt(d / (4 Ra g_m)).
"""

from __future__ import annotations

import math

import numpy as np


def length_constant_um(d_um: float, ra_ohm_cm: float, g_mS_cm2: float) -> float:
    return math.sqrt(d_um * 1e-4 / (4.0 * ra_ohm_cm * g_mS_cm2 * 1e-3)) * 1e4


def ra_lambda_mohm(d_um: float, ra_ohm_cm: float, g_mS_cm2: float) -> float:
    """r_a * lambda in MΩ: the input resistance of a semi-infinite cylinder."""
    r_a = 4.0 * ra_ohm_cm / (math.pi * (d_um * 1e-4) ** 2)  # Ω/cm
    return r_a * length_constant_um(d_um, ra_ohm_cm, g_mS_cm2) * 1e-4 * 1e-6


def sealed_steady(x_um, L_um, d_um, ra, g, i_na):
    """Steady V - E (mV) along a sealed cylinder with I (nA) injected at x = 0."""
    lam = length_constant_um(d_um, ra, g)
    return ra_lambda_mohm(d_um, ra, g) * i_na * np.cosh((L_um - np.asarray(x_um)) / lam) / math.sinh(L_um / lam)


def killed_steady(x_um, L_um, d_um, ra, g, i_na):
    """As :func:`sealed_steady` with the far end held at rest (V - E = 0 at x = L)."""
    lam = length_constant_um(d_um, ra, g)
    return ra_lambda_mohm(d_um, ra, g) * i_na * np.sinh((L_um - np.asarray(x_um)) / lam) / math.cosh(L_um / lam)


def sealed_transient(x_um, t_ms, L_um, d_um, ra, g, cm, i_na, n_terms: int = 20000):
    """V - E (mV) at x for times t after a current step I (nA) switched on at t = 0
    at the end x = 0 of a sealed cylinder at rest (eigenfunction series).

    V = r_a lambda I [cosh((L-x)/lambda)/sinh(L/lambda)
        - (lambda/L) (e^-T + 2 sum_k cos(k pi x/L) e^-(1+a_k^2)T / (1+a_k^2))],
    a_k = k pi lambda / L, T = t / tau, tau = cm / g.
    """
    lam = length_constant_um(d_um, ra, g)
    tau = cm / g
    T = np.asarray(t_ms, dtype=float) / tau
    k = np.arange(1, n_terms + 1)[:, None]
    a2 = (k * math.pi * lam / L_um) ** 2
    series = np.exp(-T) + 2.0 * np.sum(np.cos(k * math.pi * x_um / L_um) * np.exp(-(1.0 + a2) * T) / (1.0 + a2), axis=0)
    steady = math.cosh((L_um - x_um) / lam) / math.sinh(L_um / lam)
    return ra_lambda_mohm(d_um, ra, g) * i_na * (steady - (lam / L_um) * series)


def rallpack_errors(v, ref):
    """(RMS, max) |v - ref| as % of the reference's range, the measure of the
    Rallpack comparisons in Brian2's test suite."""
    span = float(np.max(ref) - np.min(ref))
    diff = np.asarray(v) - np.asarray(ref)
    return 100.0 * math.sqrt(float(np.mean(diff ** 2))) / span, 100.0 * float(np.max(np.abs(diff))) / span
