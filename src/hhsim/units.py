"""Units used everywhere in hhsim, and the small physical helpers that need them.

Convention (fixed once):

=====================  ===========
quantity               unit
=====================  ===========
voltage                mV
time                   ms
capacitance density    µF/cm²
conductance density    mS/cm²
current density        µA/cm²
point current          nA
length                 µm
axial resistivity      Ω·cm
temperature            °C
concentration          mM
=====================  ===========

With these units ``Cm dV/dt = I - g (V - E)`` is consistent without factors:
µA/cm² / (µF/cm²) = mV/ms, and mS/cm² * mV = µA/cm².
"""

from __future__ import annotations

import math

#: Faraday constant, C/mol.
FARADAY = 96485.33212
#: Molar gas constant, J/(mol K).
GAS_CONSTANT = 8.314462618
#: 0 °C in kelvin.
ZERO_CELSIUS = 273.15


def q10_factor(temperature_c: float, q10: float = 3.0, reference_c: float = 6.3) -> float:
    """Rate multiplier ``q10 ** ((T - T_ref) / 10)`` (dimensionless).

    Hodgkin and Huxley (1952) used ``q10 = 3`` and ``T_ref = 6.3 °C``.
    """
    return q10 ** ((temperature_c - reference_c) / 10.0)


def nernst(c_out_mM: float, c_in_mM: float, valence: int, temperature_c: float) -> float:
    """Nernst reversal potential in mV: ``(RT / zF) ln(c_out / c_in)``."""
    if c_out_mM <= 0 or c_in_mM <= 0:
        from .errors import ParameterError

        raise ParameterError(
            f"concentrations must be > 0 mM (got out={c_out_mM}, in={c_in_mM})"
        )
    rt_over_f = GAS_CONSTANT * (temperature_c + ZERO_CELSIUS) / FARADAY * 1e3  # mV
    return rt_over_f / valence * math.log(c_out_mM / c_in_mM)
