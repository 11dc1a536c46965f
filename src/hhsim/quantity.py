"""Quantities with units at the edge: ``"100 pA"`` -> 0.1 (nA), converted once.

Everywhere a number is accepted from a user (cell and channel files, network
files, :meth:`hhsim.Model.with_params`), a string with a unit may be given
instead.  :func:`to_unit` converts it into hhsim's library unit for that
place (see :mod:`hhsim.units`) and refuses a quantity of the wrong
dimension with one line naming what was expected::

    >>> to_unit("100 pA", "nA", "weight")
    0.1
    >>> to_unit(-65, "mV", "EL")                 # a bare number is already in mV
    -65.0
    >>> to_unit("20 nS", "mS/cm2", "gNa", area_um2=1000.0)   # point -> density
    2.0

Unit spellings: anything pint understands (``pA``, ``nS``, ``uF``, ``µm**2``,
``ohm*cm``, ``degC``, ``1/ms``), plus the short powers of the literature:
``cm2``, ``um2``, ``µm²`` (a unit name followed by a digit is that power).

pint is imported only when a string with a unit is met: importing it and
building its registry costs about 0.3-0.5 s here, which a run that never
meets a unit should not pay (see :func:`_registry`).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from .errors import ParameterError


@dataclass(frozen=True)
class Dimension:
    """A kind of quantity hhsim accepts: its name, library unit and an example."""

    name: str
    unit: str  # hhsim's spelling, as shown to users
    pint_unit: str  # the same unit in pint's syntax
    example: str


#: The library units (:mod:`hhsim.units`), by hhsim's spelling.
DIMENSIONS: dict[str, Dimension] = {d.unit: d for d in (
    Dimension("voltage", "mV", "mV", "-65 mV"),
    Dimension("time", "ms", "ms", "5 ms"),
    Dimension("current", "nA", "nA", "100 pA"),
    Dimension("conductance", "nS", "nS", "20 nS"),
    Dimension("capacitance", "pF", "pF", "12 pF"),
    Dimension("current density", "uA/cm2", "uA/cm**2", "10 uA/cm2"),
    Dimension("conductance density", "mS/cm2", "mS/cm**2", "0.1 mS/cm2"),
    Dimension("capacitance density", "uF/cm2", "uF/cm**2", "1 uF/cm2"),
    Dimension("area", "um2", "um**2", "1200 um2"),
    Dimension("length", "um", "um", "1 um"),
    Dimension("concentration", "mM", "mM", "2 mM"),
    Dimension("temperature", "degC", "degC", "36 degC"),
    Dimension("permeability", "cm/s", "cm/s", "2e-4 cm/s"),
    Dimension("axial resistivity", "ohm*cm", "ohm*cm", "100 ohm*cm"),
    Dimension("rate", "1/ms", "1/ms", "0.1 /ms"),
    Dimension("concentration rate", "mM/ms", "mM/ms", "2e-4 mM/ms"),
    Dimension("frequency", "Hz", "Hz", "10 Hz"),
    Dimension("dimensionless", "1", "dimensionless", "0.5"),
)}

#: Densities and the point quantity that a membrane area turns into them.
_POINT_OF = {"uA/cm2": "nA", "mS/cm2": "nS", "uF/cm2": "pF"}

_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")
_SUPERSCRIPTS = str.maketrans({"²": "**2", "³": "**3", "⁻": "-", "¹": "1", "μ": "µ"})
_UNIT_CHARS = re.compile(r"^[A-Za-zµΩ_0-9*/ ().-]+$")
_SHORT_POWER = re.compile(r"(?<![\w*^])([A-Za-zµΩ]+)([23])(?![\w.])")


def dimension(unit: str) -> Dimension:
    """The :class:`Dimension` of a library unit (``"nA"``, ``"mS/cm2"``, ...)."""
    try:
        return DIMENSIONS[unit]
    except KeyError:
        raise ValueError(f"{unit!r} is not one of hhsim's units: {', '.join(DIMENSIONS)}") from None


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_unit(value, unit: str, what: str, *, area_um2: float | None = None) -> float:
    """``value`` in the library unit ``unit`` (a key of :data:`DIMENSIONS`).

    ``value``: a number (taken as already in ``unit``), a string of a number
    (the same), or a string of a number and a unit (``"100 pA"``), converted.
    ``area_um2``: a membrane area (µm²) that turns a point quantity (nA, nS,
    pF) into the density ``unit`` asks for (µA/cm², mS/cm², µF/cm²).
    ``what`` names the quantity in error messages.  Raises
    :class:`~hhsim.errors.ParameterError` for anything else; the result is
    finite.
    """
    target = dimension(unit)
    if is_number(value):
        return _finite(float(value), what, value)
    if not isinstance(value, str):
        raise ParameterError(
            f"{what} needs a number in {target.unit} or a string with a unit such as "
            f"{target.example!r}, got {type(value).__name__} {value!r}")
    m = _NUMBER.match(value)
    if not m:
        raise ParameterError(
            f"{what}: {value!r} is not a number with a unit; write e.g. {target.example!r}")
    number, text = float(m.group(1)), m.group(2)
    if not text:
        return _finite(number, what, value)
    return _finite(_convert(number, text, target, what, value, area_um2), what, value)


def library_unit(value: str, what: str) -> str:
    """The library unit (a key of :data:`DIMENSIONS`) of the dimension of a string
    quantity: ``"-7 V"`` -> ``"mV"``, ``"20 nS"`` -> ``"nS"``."""
    text = unit_of(value)
    if text is None:
        raise ParameterError(f"{what}: {value!r} has no unit; give a number, or a number and a unit")
    given = _parse(text, what, value, "-65 mV")
    ureg = _registry()
    for d in DIMENSIONS.values():
        if ureg.parse_units(d.pint_unit).dimensionality == given.dimensionality:
            return d.unit
    raise ParameterError(f"{what}: the unit of {value!r} is none of hhsim's: {', '.join(DIMENSIONS)}")


def unit_of(value) -> str | None:
    """The unit text of a string quantity (``"100 pA"`` -> ``"pA"``), else None."""
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m and m.group(2):
            return m.group(2)
    return None


def _finite(x: float, what: str, shown) -> float:
    if not math.isfinite(x):
        raise ParameterError(f"{what} must be finite, got {shown!r}")
    return x


def _parse(text: str, what: str, shown, example: str):
    """pint's units for ``text`` (short powers such as ``cm2`` spelled out)."""
    ureg = _registry()
    spelled = _SHORT_POWER.sub(r"\1**\2", text.translate(_SUPERSCRIPTS).replace("^", "**"))
    if spelled.startswith("/"):  # "0.1 /ms"
        spelled = "1" + spelled
    try:
        if len(text) > 60 or not _UNIT_CHARS.match(spelled):
            raise ValueError(text)
        given = ureg.parse_units(spelled)
    except Exception:  # noqa: BLE001 - pint's tokenizer (no eval) raises many kinds on malformed text
        raise ParameterError(
            f"{what}: unknown unit {text!r} in {shown!r}; write e.g. {example!r}") from None
    return given


def _convert(number: float, text: str, target: Dimension, what: str, shown, area_um2) -> float:
    ureg = _registry()
    given = _parse(text, what, shown, target.example)
    want = ureg.parse_units(target.pint_unit)
    if given.dimensionality == want.dimensionality:
        if target.name == "temperature":
            return float(ureg.Quantity(number, given).to(want).magnitude)
        return number * _factor(ureg, given, want)
    point = _POINT_OF.get(target.unit)
    if point is not None:
        pu = ureg.parse_units(DIMENSIONS[point].pint_unit)
        if given.dimensionality == pu.dimensionality:
            if area_um2 is None:
                raise ParameterError(
                    f"{what}: {shown!r} is a point {DIMENSIONS[point].name}; a density in {target.unit} "
                    f"is expected here, or give the membrane area (area = \"1200 um2\") or capacitance "
                    f"(capacitance = \"12 pF\") so that point quantities convert")
            # point unit -> library point unit, then / area (1 µm² = 1e-8 cm²): nA/µm² = 1e5 µA/cm²,
            # nS/µm² = 1e2 mS/cm², pF/µm² = 1e2 µF/cm²
            per_um2 = {"nA": 1e5, "nS": 1e2, "pF": 1e2}[point]
            return number * _factor(ureg, given, pu) * per_um2 / float(area_um2)
    if target.name == "dimensionless":
        raise ParameterError(f"{what}: {shown!r} is {_describe(ureg, given)}; expected a plain number")
    raise ParameterError(
        f"{what}: {shown!r} is {_describe(ureg, given)}; expected {_article(target.name)} {target.name} "
        f"in {target.unit} (e.g. {target.example!r})")


def _factor(ureg, given, want) -> float:
    """The conversion factor, rounded to 13 digits: unit factors are short decimals
    (or simple ratios), and pint's route through SI base units leaves a last-bit
    error (100 pA -> 0.09999999999999998 nA) that would show in files and tests."""
    f = float(ureg.Quantity(1.0, given).to(want).magnitude)
    return float(f"{f:.13g}")


def _describe(ureg, units) -> str:
    for d in DIMENSIONS.values():
        if d.name in ("temperature", "dimensionless", "frequency"):
            continue
        if ureg.parse_units(d.pint_unit).dimensionality == units.dimensionality:
            return f"{_article(d.name)} {d.name}"
    return f"a quantity in {units:~}"


def _article(name: str) -> str:
    return "an" if name[0] in "aeiou" else "a"


@functools.lru_cache(maxsize=1)
def _registry():
    """pint's unit registry, built on first use (lazily: see the module docstring)."""
    try:
        import pint
    except ImportError:
        raise ParameterError(
            "quantities with units need the pint package: pip install 'hhsim[units]' "
            "(or give plain numbers in hhsim's units)") from None
    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


__all__ = ["DIMENSIONS", "Dimension", "dimension", "is_number", "library_unit", "to_unit", "unit_of"]
