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

from dataclasses import dataclass

from .base import Synapse

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
