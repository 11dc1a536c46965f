"""NeuroML2 quantities (``"120 mS_per_cm2"``, ``"-65mV"``) in hhsim's units.

NeuroML2 spells a quantity as a number followed by one of a fixed set of
unit names per dimension (the ``Nml2Quantity_*`` patterns of the NeuroML2
schema).  This table gives, for each dimension hhsim reads, the factor that
turns each accepted unit into the library unit of :mod:`hhsim.units`.
Where the file already uses the library unit the factor is exactly 1, so
files hhsim writes read back bit for bit.
"""

from __future__ import annotations

import math
import re

from ...errors import ModelError

#: dimension -> (library unit, {NeuroML unit: factor to the library unit})
UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "none": ("1", {"": 1.0}),
    "voltage": ("mV", {"mV": 1.0, "V": 1e3}),
    "time": ("ms", {"ms": 1.0, "s": 1e3}),
    "per_time": ("1/ms", {"per_ms": 1.0, "per_s": 1e-3, "Hz": 1e-3}),
    "rate_hz": ("Hz", {"Hz": 1.0, "per_s": 1.0, "per_ms": 1e3}),
    "length": ("um", {"um": 1.0, "cm": 1e4, "m": 1e6}),
    "conductance": ("nS", {"nS": 1.0, "pS": 1e-3, "uS": 1e3, "mS": 1e6, "S": 1e9}),
    "conductance_density": ("mS/cm2", {"mS_per_cm2": 1.0, "S_per_m2": 0.1, "S_per_cm2": 1e3}),
    "permeability": ("cm/s", {"cm_per_s": 1.0, "m_per_s": 100.0, "um_per_ms": 0.1, "cm_per_ms": 1e3}),
    "current": ("nA", {"nA": 1.0, "pA": 1e-3, "uA": 1e3, "A": 1e9}),
    "capacitance": ("pF", {"pF": 1.0, "nF": 1e3, "uF": 1e6, "F": 1e12}),
    "specific_capacitance": ("uF/cm2", {"uF_per_cm2": 1.0, "F_per_m2": 100.0}),
    "concentration": ("mM", {"mM": 1.0, "mol_per_m3": 1.0, "M": 1e3, "mol_per_cm3": 1e6}),
    "temperature": ("degC", {"degC": 1.0}),
    "resistivity": ("ohm*cm", {"ohm_cm": 1.0, "kohm_cm": 1e3, "ohm_m": 100.0}),
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z_0-9]*)\s*$")


def value(text, dimension: str, what: str) -> float:
    """The number of NeuroML quantity ``text`` in hhsim's unit for ``dimension``.

    ``what`` names the attribute for the error message, e.g.
    ``"channelDensity 'naChans' condDensity"``.
    """
    unit_name, table = UNITS[dimension]
    if text is None:
        raise ModelError(f"{what} is missing; give a {dimension.replace('_', ' ')} in "
                         f"{', '.join(u for u in table if u) or 'a plain number'}")
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        number, unit = float(text), ""
    else:
        m = _QUANTITY.match(str(text))
        if m is None:
            raise ModelError(f"{what} = {str(text)[:40]!r} is not a NeuroML quantity (a number and a unit, "
                             f"e.g. '1{next(iter(table))}')")
        number, unit = float(m.group(1)), m.group(2)
    if unit not in table:
        accepted = ", ".join(u for u in table if u) or "no unit"
        raise ModelError(f"{what} = {str(text)[:40]!r}: unit {unit or '(none)'!r} is not a "
                         f"{dimension.replace('_', ' ')}; accepted: {accepted}")
    if not math.isfinite(number):
        raise ModelError(f"{what} = {text!r} must be finite")
    factor = table[unit]
    if factor == 1.0:
        return number
    # a division by an exact power of ten is correctly rounded (3 S_per_m2 -> 0.3, not 0.30000000000000004)
    return number * factor if factor > 1.0 else number / round(1.0 / factor)


def fmt(x: float) -> str:
    """A number as the NeuroML schema spells it (shortest repr, no '+' in the exponent)."""
    x = float(x)
    if not math.isfinite(x):
        raise ModelError(f"cannot write {x} to NeuroML: numbers must be finite")
    text = repr(x)
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace("e+", "e")


def quantity(x: float, unit: str) -> str:
    """``fmt(x)`` followed by the NeuroML ``unit``, e.g. ``"120 mS_per_cm2"``."""
    return f"{fmt(x)}{unit}" if unit else fmt(x)
