"""Ions: valences, concentration names, Nernst and GHK, intracellular pools.

Concentrations are in mM, potentials in mV, temperatures in °C.

* A channel with ``reversal="nernst"`` takes its reversal potential from the
  model's concentrations of its ion by the Nernst equation at the model's
  temperature::

      E = (R T / z F) ln(c_out / c_in)          (mV)

* A channel with ``reversal="ghk"`` carries a Goldman-Hodgkin-Katz current;
  its ``gbar`` is then a permeability ``P`` in cm/s::

      I = P z F xi (c_in - c_out e^-xi) / (1 - e^-xi),   xi = z F V / (R T)

  with c in mM and I in µA/cm² (mM = 1e-6 mol/cm³ and A = 1e6 µA cancel).

* An :class:`IonPool` makes the intracellular concentration a state: a
  submembrane shell of depth ``depth`` (µm) filled by the currents of its
  ion and relaxing to rest with time constant ``tau`` (ms)::

      dC/dt = max(-k I_ion, 0) - (C - C_rest) / tau,    k = 10 / (z F depth)

  (I_ion in µA/cm², outward positive; k in mM/ms per µA/cm²).  As in
  Destexhe's ``cadecay`` mechanism the channels cannot pump the ion out
  (the influx term is clipped at 0); the resting level ``C_rest`` is the
  model's ``X_in`` concentration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..units import FARADAY, GAS_CONSTANT, ZERO_CELSIUS

#: ion symbol -> (valence, concentration prefix)
IONS: dict[str, tuple[int, str]] = {
    "na": (1, "Na"),
    "k": (1, "K"),
    "ca": (2, "Ca"),
    "cl": (-1, "Cl"),
}

#: Typical mammalian concentrations (mM), used when a model names an ion
#: without giving its concentrations (Hille, Ion Channels of Excitable
#: Membranes, 3rd ed., Table 1.1; Ca_in is the resting free calcium).
DEFAULT_CONCENTRATIONS: dict[str, float] = {
    "Na_in": 12.0, "Na_out": 145.0,
    "K_in": 140.0, "K_out": 4.0,
    "Ca_in": 1e-4, "Ca_out": 2.0,
    "Cl_in": 4.0, "Cl_out": 110.0,
}

REVERSALS = ("fixed", "nernst", "ghk")


def valence(ion: str) -> int:
    try:
        return IONS[ion][0]
    except KeyError:
        raise ParameterError(f"unknown ion {ion!r}; accepted: {', '.join(IONS)}") from None


def prefix(ion: str) -> str:
    valence(ion)
    return IONS[ion][1]


def conc_names(ion: str) -> tuple[str, str]:
    """``("K_in", "K_out")`` for ``"k"``."""
    p = prefix(ion)
    return f"{p}_in", f"{p}_out"


def rt_over_f(temperature_c: float) -> float:
    """R T / F in mV at ``temperature_c`` °C."""
    return GAS_CONSTANT * (temperature_c + ZERO_CELSIUS) / FARADAY * 1e3


def nernst(c_out, c_in, z: int, temperature_c: float):
    """Nernst potential (mV), NumPy-broadcasting."""
    return rt_over_f(temperature_c) / z * np.log(np.asarray(c_out, dtype=float) / c_in)


def ghk_factor(v, c_in, c_out, z: int, temperature_c: float):
    """GHK current per unit permeability (µA/cm² per cm/s) at V (mV), NumPy.

    ``z F xi (c_in - c_out e^-xi) / (1 - e^-xi)`` with ``xi = z V / (RT/F)``;
    exact through V = 0 (limit ``z F (c_in - c_out)``).
    """
    xi = z * np.asarray(v, dtype=float) / rt_over_f(temperature_c)
    small = np.abs(xi) < 1e-4
    safe = np.where(small, 1.0, xi)
    ratio = np.where(small, 1.0 + xi * (0.5 + xi / 12.0), safe / -np.expm1(-safe))
    return z * FARADAY * ratio * (c_in - c_out * np.exp(-xi))


def shell_influx_factor(ion: str, depth_um: float) -> float:
    """k in dC/dt = -k I: mM/ms per µA/cm² for a shell ``depth_um`` µm deep.

    I [µA/cm²] * 1e-6 / (z F) mol/(s cm²), spread over depth * 1e-4 cm, is
    I * 1e-2 / (z F depth) mol/(s cm³) = I * 10 / (z F depth) mM/ms.
    """
    return 10.0 / (valence(ion) * FARADAY * depth_um)


@dataclass(frozen=True)
class IonPool:
    """A dynamic intracellular concentration (one per compartment).

    ``ion``: ``"ca"`` (state ``Ca_i``), ``"na"``, ``"k"`` or ``"cl"``;
    ``depth``: shell depth in µm; ``tau``: decay time constant to rest in ms.
    Parameter names: ``Ca_depth``, ``Ca_tau`` (and the resting level ``Ca_in``).
    """

    ion: str = "ca"
    depth: float = 1.0
    tau: float = 5.0

    def __post_init__(self):
        valence(self.ion)
        if not (math.isfinite(self.depth) and self.depth > 0):
            raise ParameterError(f"{self.prefix}_depth must be > 0 µm (got {self.depth})")
        if not (math.isfinite(self.tau) and self.tau > 0):
            raise ParameterError(f"{self.prefix}_tau must be > 0 ms (got {self.tau})")

    @property
    def prefix(self) -> str:
        return IONS[self.ion][1]

    @property
    def state_name(self) -> str:
        return f"{self.prefix}_i"
