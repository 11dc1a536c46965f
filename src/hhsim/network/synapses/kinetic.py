"""Kinetic receptor models with a pulse of transmitter (Destexhe, Mainen & Sejnowski).

Each presynaptic spike releases transmitter as a square pulse of ``Tmax``
(mM) lasting ``Tdur`` (ms).  Receptors bind it by first-order kinetics; the
state lives on each edge and is advanced exactly (the equations are linear
with piecewise-constant coefficients).  The weight is the maximal
conductance (mS/cm²).

Sources: Destexhe A, Mainen ZF, Sejnowski TJ (1994) Synthesis of models for
excitable membranes, synaptic transmission and neuromodulation using a
common kinetic formalism. J Comput Neurosci 1:195-230; Destexhe, Mainen &
Sejnowski (1998) Kinetic models of synaptic transmission, in Koch & Segev
(eds) Methods in Neuronal Modeling, 2nd ed., MIT Press, ch. 1 (the rate
constants below); magnesium block: Jahr CE, Stevens CF (1990) J Neurosci
10:3178-3182.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Synapse
from .custom import numpy_advance as _custom_advance

_SOURCE_98 = ("Destexhe A, Mainen ZF, Sejnowski TJ (1998) Kinetic models of synaptic transmission, "
              "in Methods in Neuronal Modeling (Koch & Segev eds), 2nd ed., MIT Press")


@dataclass(frozen=True)
class _Pulse(Synapse):
    family = "kinetic"
    gprotein = False
    nmda = False

    def rates(self) -> tuple:
        """(kind code, rate parameters padded to 7, Tmax) for the engine."""
        return 0, (self.alpha, self.beta, self.Tdur, 0.0, 0.0, 0.0, 0.0), self.Tmax


@dataclass(frozen=True)
class AMPA(_Pulse):
    """r' = alpha T (1 - r) - beta r; alpha 1.1 /mM/ms, beta 0.19 /ms, E 0 mV."""

    alpha: float = 1.1
    beta: float = 0.19
    Tmax: float = 1.0
    Tdur: float = 1.0
    E: float = 0.0
    kind = "ampa"
    source = _SOURCE_98


@dataclass(frozen=True)
class GABA_A(_Pulse):
    """r' = alpha T (1 - r) - beta r; alpha 5 /mM/ms, beta 0.18 /ms, E -80 mV."""

    alpha: float = 5.0
    beta: float = 0.18
    Tmax: float = 1.0
    Tdur: float = 1.0
    E: float = -80.0
    kind = "gaba_a"
    source = _SOURCE_98


@dataclass(frozen=True)
class NMDA(_Pulse):
    """r' = alpha T (1 - r) - beta r, g = w r B(V), B = 1 / (1 + [Mg] e^{-0.062 V} / 3.57).

    alpha 0.072 /mM/ms, beta 0.0066 /ms, E 0 mV, [Mg2+]o 1 mM.
    """

    alpha: float = 0.072
    beta: float = 0.0066
    Tmax: float = 1.0
    Tdur: float = 1.0
    E: float = 0.0
    mg: float = 1.0
    kind = "nmda"
    nmda = True
    source = _SOURCE_98 + "; Jahr CE, Stevens CF (1990) J Neurosci 10:3178-3182"


@dataclass(frozen=True)
class GABA_B(Synapse):
    """Receptor R and G-protein G: R' = K1 T (1 - R) - K2 R, G' = K3 R - K4 G,
    g = w G^n / (G^n + Kd).  K1 0.09 /mM/ms, K2 0.0012 /ms, K3 0.18 /ms,
    K4 0.034 /ms, Kd 100, n 4, E -95 mV, Tmax 0.5 mM, Tdur 0.3 ms."""

    K1: float = 0.09
    K2: float = 0.0012
    K3: float = 0.18
    K4: float = 0.034
    Kd: float = 100.0
    n: float = 4.0
    Tmax: float = 0.5
    Tdur: float = 0.3
    E: float = -95.0
    kind = "gaba_b"
    family = "kinetic"
    gprotein = True
    nmda = False
    source = _SOURCE_98

    def rates(self) -> tuple:
        return 1, (self.K1, self.K2, self.K3, self.K4, self.Kd, self.n, self.Tdur), self.Tmax


# ------------------------------------------------------------------ NumPy twin
# An edge's state advanced exactly between events, its open fraction and the NMDA
# magnesium block, in plain Python, as the compiled network kernels compute them;
# the NumPy reference back end (hhsim.engine.backend.numpy_network) calls them.
PULSE_CODE, GPROTEIN_CODE, CUSTOM_CODE = 0, 1, 2


def _numpy_gprotein(R: float, G: float, T: float, K1, K2, K3, K4, s: float):
    """Exact (R, G) of the GABA-B cascade after s ms at transmitter T (mM)."""
    a = K1 * T + K2
    Rinf = K1 * T / a
    Ginf = K3 * Rinf / K4
    ea, e4 = math.exp(-a * s), math.exp(-K4 * s)
    d = K4 - a
    cross = K3 * (R - Rinf) * (ea - e4) / d if abs(d) > 1e-9 * K4 else K3 * (R - Rinf) * s * e4
    return Rinf + (R - Rinf) * ea, Ginf + (G - Ginf) * e4 + cross


def numpy_advance(code: int, p, r: float, g2: float, t_last: float, pulse_end: float, T: float, t: float):
    """State (r, g2) of one edge at t >= t_last (ms): the transmitter pulse of ``T`` mM lasts
    until ``pulse_end``; ``p``: the group's rate parameters (see ``rates``)."""
    if t <= t_last:
        return r, g2
    on = min(t, pulse_end) - t_last if pulse_end > t_last else 0.0
    off = t - t_last - on
    if code == PULSE_CODE:
        alpha, beta = p[0], p[1]
        if on > 0.0:
            inf, rate = alpha * T / (alpha * T + beta), alpha * T + beta
            r = inf + (r - inf) * math.exp(-rate * on)
        if off > 0.0:
            r = r * math.exp(-beta * off)
        return r, g2
    if code == CUSTOM_CODE:
        return _custom_advance(p, r, on, off), g2
    if on > 0.0:
        r, g2 = _numpy_gprotein(r, g2, T, p[0], p[1], p[2], p[3], on)
    if off > 0.0:
        r, g2 = _numpy_gprotein(r, g2, 0.0, p[0], p[1], p[2], p[3], off)
    return r, g2


def numpy_open(code: int, p, r: float, g2: float) -> float:
    """Fraction of the maximal conductance open: r, or G^n / (G^n + Kd) for GABA-B."""
    if code != GPROTEIN_CODE:
        return r
    gn = g2 ** p[5]
    return gn / (gn + p[4])


def numpy_pulse_length(code: int, p) -> float:
    """The transmitter pulse's duration Tdur (ms) in the group's rate parameters."""
    return p[6] if code == GPROTEIN_CODE else p[2]


def numpy_mg_block(v, mg):
    """Jahr & Stevens (1990) magnesium block at v (mV), [Mg2+]o mg (mM)."""
    return 1.0 / (1.0 + np.exp(-0.062 * np.asarray(v, dtype=float)) * (mg / 3.57))
