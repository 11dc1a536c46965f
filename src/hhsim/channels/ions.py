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

* A channel with ``reversal="ghk2"`` carries the GHK-type current of Jaffe et
  al. 1994 (NEURON's ``cal2.mod``, NeuroML's ``channelDensityGHK2``); its
  ``gbar`` stays a conductance density (mS/cm²) and the thermal voltage is
  fixed at 25 mV per 293.15 K rather than R T / F::

      I = -g f (1 - (c_in / c_out) e^(V/f)) (V/f) / (e^(V/f) - 1),   f = 25 mV * T / (293.15 K * z)

  (outward positive, µA/cm²; T in kelvin; f = R T / (z F) within 1 %; NeuroML defines it for calcium, z = 2).

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

REVERSALS = ("fixed", "nernst", "ghk", "ghk2")


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


def ghk2_voltage(z: int, temperature_c: float) -> float:
    """f = 25 mV x T / (293.15 K x z) of the ``ghk2`` current (mV)."""
    return 25.0 * (temperature_c + ZERO_CELSIUS) / (293.15 * z)


def ghk2_current(v, c_in, c_out, z: int, temperature_c: float):
    """The ``ghk2`` current per unit conductance (µA/cm² per mS/cm², i.e. mV) at V (mV), NumPy:
    ``-f (1 - (c_in / c_out) e^(V/f)) (V/f) / (e^(V/f) - 1)``, exact through V = 0."""
    f = ghk2_voltage(z, temperature_c)
    nu = np.asarray(v, dtype=float) / f
    small = np.abs(nu) < 1e-4
    safe = np.where(small, 1.0, nu)
    efun = np.where(small, 1.0 - nu / 2.0, safe / np.expm1(safe))
    return -f * (1.0 - (np.asarray(c_in, dtype=float) / c_out) * np.exp(nu)) * efun


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

    Beyond Destexhe's ``cadecay`` (the default), as ModelDB pools write them::

        dC/dt = J - (C - C_rest) / tau - pump_vmax C / (C + pump_km)

    ``clip``: ``J = max(-k I_ion, 0)`` (True, the default: the channels cannot
    pump the ion out) or ``J = -k I_ion`` (False: an outward current of the
    ion removes it); ``rest``: the level ``C_rest`` (mM, may be 0) the pool
    decays to, None for the model's ``X_in`` (which is also where it starts);
    ``pump_vmax`` (mM/ms) and ``pump_km`` (mM): a Michaelis-Menten extrusion
    (Destexhe's ``kt``, ``kd``), none when ``pump_vmax`` is 0.  Point neurons
    run every option; cables and networks run ``clip`` and ``rest`` and refuse
    a pump in one line.  (:func:`hhsim.physics.pools.steady_pools` gives the
    steady state of the whole equation.)
    """

    ion: str = "ca"
    depth: float = 1.0
    tau: float = 5.0
    clip: bool = True
    rest: float | None = None
    pump_vmax: float = 0.0
    pump_km: float = 0.0

    def __post_init__(self):
        valence(self.ion)
        if not (math.isfinite(self.depth) and self.depth > 0):
            raise ParameterError(f"{self.prefix}_depth must be > 0 µm (got {self.depth})")
        if not (math.isfinite(self.tau) and self.tau > 0):
            raise ParameterError(f"{self.prefix}_tau must be > 0 ms (got {self.tau})")
        if not isinstance(self.clip, bool):
            raise ParameterError(f"{self.prefix} pool: clip must be True or False (got {self.clip!r})")
        if self.rest is not None and not (isinstance(self.rest, (int, float)) and math.isfinite(self.rest)
                                          and self.rest >= 0):
            raise ParameterError(f"{self.prefix} pool: rest must be a concentration >= 0 mM or None "
                                 f"(got {self.rest!r})")
        for name, x in (("pump_vmax", self.pump_vmax), ("pump_km", self.pump_km)):
            if not (isinstance(x, (int, float)) and math.isfinite(x) and x >= 0):
                raise ParameterError(f"{self.prefix} pool: {name} must be a number >= 0 (got {x!r})")
        if self.pump_vmax > 0 and not self.pump_km > 0:
            raise ParameterError(f"{self.prefix} pool: a pump (pump_vmax > 0) needs pump_km > 0 mM")

    def describe(self) -> str:
        """One line: ``depth 0.1 µm, tau 80 ms, influx not clipped, rest 0 mM, pump 0.0002 mM/ms (km 0.0001 mM)``."""
        parts = [f"depth {self.depth:g} µm", f"tau {self.tau:g} ms"]
        if not self.clip:
            parts.append("influx not clipped")
        if self.rest is not None:
            parts.append(f"rest {self.rest:g} mM")
        if self.pump_vmax > 0:
            parts.append(f"pump {self.pump_vmax:g} mM/ms (km {self.pump_km:g} mM)")
        return ", ".join(parts)

    @property
    def plain(self) -> bool:
        """Destexhe's ``cadecay`` as it was: clipped influx, rest at X_in, no pump."""
        return self.clip and self.rest is None and self.pump_vmax == 0

    @property
    def prefix(self) -> str:
        return IONS[self.ion][1]

    @property
    def state_name(self) -> str:
        return f"{self.prefix}_i"
