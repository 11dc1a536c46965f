"""Seeded per-element values: per-neuron parameters, initial states, synaptic weights and delays.

A value specification is one of

* a number: the same value everywhere (:class:`Constant`);
* an array of numbers, one per element (:class:`Values`);
* a distribution, written as a TOML table or as a short call::

      {dist = "uniform", low = -65, high = -55}      "uniform(-65, -55)"
      {dist = "normal", mean = 6, std = 1}           "normal(6, 1)"
      {dist = "normal", mean = 6, std = 1, low = 0}  "normal(6, 1, low=0)"
      {dist = "constant", value = 3}                 "constant(3)"

  (:class:`Uniform` on [low, high), :class:`Normal`, :class:`Constant`).  The
  call is read by a tiny grammar, never evaluated: a name, then numbers,
  positional in the order shown or as ``key=number``.

:func:`sample` draws ``n`` float64 values from a :class:`numpy.random.Generator`.

Truncation: a normal with ``low`` and/or ``high`` is the *truncated* normal:
values outside the bounds are redrawn (not clipped, which would pile them up
on the bound).  For weights and delays pass ``low=0`` to :func:`sample`: a
normal then never gives a negative value, and a uniform, constant or array
that could is refused with a clear message.

Units of weights and currents: :func:`parse_quantity` reads ``"6 nS"``,
:func:`parse_with_unit` also ``"normal(6, 1) nS"`` and tables with a ``unit`` key,
:func:`to_density` converts conductances and currents to the densities the
engine uses (mS/cm², µA/cm²) through the membrane area (µm²)::

    g [mS/cm²] = g [nS] * 1e-6 mS/nS / (area [µm²] * 1e-8 cm²/µm²) = g [nS] * 100 / area
    I [µA/cm²] = I [nA] * 1e-3 µA/nA / (area [µm²] * 1e-8 cm²/µm²) = I [nA] * 1e5 / area
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

#: Below this probability mass inside a normal's bounds, sample it by the
#: inverse CDF (scipy's truncnorm) rather than by redrawing.
_REDRAW_MIN_MASS = 0.05


def _number(value, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{what} must be a number (got {value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"{what} must be a finite number (got {value})")
    return value


def _optional(value, what: str) -> float | None:
    return None if value is None else _number(value, what)


@dataclass(frozen=True)
class Constant:
    """The same ``value`` for every element."""

    value: float

    def __post_init__(self):
        object.__setattr__(self, "value", _number(self.value, "constant value"))

    def __str__(self):
        return f"{self.value:g}"


@dataclass(frozen=True)
class Uniform:
    """Uniform on ``[low, high)``."""

    low: float
    high: float

    def __post_init__(self):
        object.__setattr__(self, "low", _number(self.low, "uniform low"))
        object.__setattr__(self, "high", _number(self.high, "uniform high"))
        if self.low > self.high:
            raise ParameterError(f"uniform needs low <= high (got low = {self.low:g}, high = {self.high:g})")
        if not math.isfinite(self.high - self.low):  # numpy's uniform needs the width itself finite
            raise ParameterError(f"uniform({self.low:g}, {self.high:g}) is too wide to sample; accepted: "
                                 "bounds whose difference is a finite number (below 1.8e308)")

    def __str__(self):
        return f"uniform({self.low:g}, {self.high:g})"


@dataclass(frozen=True)
class Normal:
    """Normal of ``mean`` and standard deviation ``std``, truncated to [low, high] when given.

    Truncation redraws the values outside the bounds (the truncated normal);
    it never clips them onto the bound.
    """

    mean: float
    std: float
    low: float | None = None
    high: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "mean", _number(self.mean, "normal mean"))
        object.__setattr__(self, "std", _number(self.std, "normal std"))
        object.__setattr__(self, "low", _optional(self.low, "normal low"))
        object.__setattr__(self, "high", _optional(self.high, "normal high"))
        if self.std < 0:
            raise ParameterError(f"normal std must be >= 0 (got {self.std:g})")
        if not math.isfinite(abs(self.mean) + 40.0 * self.std):  # draws (and their bounds) must stay finite
            raise ParameterError(f"normal({self.mean:g}, {self.std:g}) would draw values beyond the largest "
                                 "number; accepted: |mean| + 40 std below 1.8e308")
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        if lo >= hi:
            raise ParameterError(f"normal needs low < high (got low = {lo:g}, high = {hi:g})")
        if self.std == 0 and not lo <= self.mean <= hi:
            raise ParameterError(f"normal with std 0 has mean {self.mean:g} outside [{lo:g}, {hi:g}]")

    def __str__(self):
        bounds = "".join(f", {k}={getattr(self, k):g}" for k in ("low", "high") if getattr(self, k) is not None)
        return f"normal({self.mean:g}, {self.std:g}{bounds})"


@dataclass(frozen=True, eq=False)
class Values:
    """One given value per element (a read-only float64 array)."""

    values: np.ndarray

    def __post_init__(self):
        arr = np.array(self.values, dtype=np.float64)  # a private copy
        if arr.ndim != 1:
            raise ParameterError(f"an array of values must be flat (got {arr.ndim} dimensions)")
        if not np.all(np.isfinite(arr)):
            raise ParameterError("an array of values must hold finite numbers only")
        arr.flags.writeable = False
        object.__setattr__(self, "values", arr)

    def __eq__(self, other):
        if not isinstance(other, Values):
            return NotImplemented
        return np.array_equal(self.values, other.values)

    __hash__ = None

    def __str__(self):
        return f"an array of {self.values.size} values"


#: Distribution name -> (class, parameter names in positional order, required names).
_DISTS = {
    "uniform": (Uniform, ("low", "high"), ("low", "high")),
    "normal": (Normal, ("mean", "std", "low", "high"), ("mean", "std")),
    "constant": (Constant, ("value",), ("value",)),
}
_ACCEPTED = (
    "a number, an array of numbers, uniform(low, high), normal(mean, std[, low=, high=]), constant(value), "
    'or a table such as {dist = "uniform", low = -65, high = -55}'
)
_NUMBER_TEXT = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"^{_NUMBER_TEXT}$")
_CALL = re.compile(r"^([A-Za-z_]\w*)\s*\((.*)\)$", re.S)
_KEYWORD = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(.*)$", re.S)


def parse(value):
    """The value specification for a number, an array, a TOML table or a call string.

    Raises :class:`~hhsim.errors.ParameterError` naming what is accepted.
    """
    if isinstance(value, (Constant, Uniform, Normal, Values)):
        return value
    if value is None or isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"a value must be {_ACCEPTED} (got {value!r})")
    if isinstance(value, numbers.Real):
        return Constant(value)
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, Mapping):
        return _parse_table(value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"a value must be {_ACCEPTED} (got {type(value).__name__})") from None
    return Constant(float(arr)) if arr.ndim == 0 else Values(arr)


def _build(name: str, kwargs: dict):
    cls, names, required = _DISTS[name]
    missing = [k for k in required if k not in kwargs]
    if missing:
        raise ParameterError(f"{name} needs {', '.join(missing)} (parameters: {', '.join(names)})")
    return cls(**kwargs)


def _parse_text(text: str):
    s = text.strip()
    if _NUMBER.match(s):
        return Constant(float(s))
    m = _CALL.match(s)
    if not m:
        raise ParameterError(f"cannot read the value {text!r}; accepted: {_ACCEPTED}")
    name, body = m.group(1), m.group(2)
    if name not in _DISTS:
        raise ParameterError(f"unknown distribution {name!r}; accepted: {', '.join(_DISTS)}")
    names = _DISTS[name][1]
    args = [a.strip() for a in body.split(",")] if body.strip() else []
    kwargs: dict = {}
    for i, arg in enumerate(args):
        km = _KEYWORD.match(arg)
        key, num = (km.group(1), km.group(2).strip()) if km else (None, arg)
        if key is None:
            if any(_KEYWORD.match(a) for a in args[:i]):
                raise ParameterError(f"{name}: positional value {arg!r} after a keyword in {text!r}")
            if i >= len(names):
                raise ParameterError(f"{name} takes at most {len(names)} values ({', '.join(names)}); got {text!r}")
            key = names[i]
        elif key not in names:
            raise ParameterError(f"{name}: unknown parameter {key!r}; accepted: {', '.join(names)}")
        if key in kwargs:
            raise ParameterError(f"{name}: {key} given twice in {text!r}")
        if not _NUMBER.match(num):
            raise ParameterError(f"{name}: {key} = {num!r} is not a number")
        kwargs[key] = float(num)
    return _build(name, kwargs)


def _parse_table(table: Mapping):
    if "dist" not in table:
        raise ParameterError(f"a distribution table needs a 'dist' key (uniform, normal or constant); "
                             f"got keys {', '.join(map(str, table)) or 'none'}")
    name = table["dist"]
    if name not in _DISTS:
        raise ParameterError(f"unknown distribution {name!r}; accepted: {', '.join(_DISTS)}")
    names = _DISTS[name][1]
    kwargs = {k: v for k, v in table.items() if k != "dist"}
    unknown = [k for k in kwargs if k not in names]
    if unknown:
        raise ParameterError(f"{name}: unknown parameter {unknown[0]!r}; accepted: {', '.join(names)}")
    return _build(name, kwargs)


def describe(spec):
    """The TOML-ready form of a value specification (a number, a list or a table)."""
    spec = parse(spec)
    if isinstance(spec, Constant):
        return spec.value
    if isinstance(spec, Values):
        return spec.values.tolist()
    if isinstance(spec, Uniform):
        return {"dist": "uniform", "low": spec.low, "high": spec.high}
    out = {"dist": "normal", "mean": spec.mean, "std": spec.std}
    for key in ("low", "high"):
        if getattr(spec, key) is not None:
            out[key] = getattr(spec, key)
    return out


def _generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence) or (
            isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)) and rng >= 0):
        return np.random.default_rng(rng)
    raise ParameterError(f"rng must be a numpy Generator, a SeedSequence or a seed >= 0 (got {rng!r})")


def _truncated_normal(mean, std, lo, hi, n, rng) -> np.ndarray:
    """``n`` draws of the normal truncated to [lo, hi] (infinite bounds allowed)."""
    if std == 0 or (lo == -math.inf and hi == math.inf):
        return rng.normal(mean, std, n)
    from scipy.special import ndtr

    a, b = (lo - mean) / std, (hi - mean) / std
    if float(ndtr(b) - ndtr(a)) >= _REDRAW_MIN_MASS:
        x = rng.normal(mean, std, n)
        bad = np.flatnonzero((x < lo) | (x > hi))
        while bad.size:  # each pass keeps at least 5 % of the draws
            x[bad] = rng.normal(mean, std, bad.size)
            bad = bad[(x[bad] < lo) | (x[bad] > hi)]
        return x
    from scipy.stats import truncnorm  # far in a tail: redrawing would take too long

    return truncnorm.rvs(a, b, loc=mean, scale=std, size=n, random_state=rng)


def sample(spec, n: int, rng, *, low: float | None = None, high: float | None = None,
           name: str = "value") -> np.ndarray:
    """``n`` float64 values of ``spec`` (anything :func:`parse` accepts).

    Parameters
    ----------
    spec : number, array-like, dict, str or a specification object
    n : int
        Number of elements (an array must have exactly ``n`` values).
    rng : numpy.random.Generator (or a seed / SeedSequence for one)
        Only distributions draw from it.
    low, high : float, optional
        Bounds every value must respect, e.g. ``low=0`` for weights and
        delays: a normal is truncated to them (redrawn); any other
        specification that could leave them is refused.
    name : str
        What the values are, for error messages (``"weight"``).
    """
    spec = parse(spec)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 0:
        raise ParameterError(f"the number of {name} values must be a whole number >= 0 (got {n!r})")
    n = int(n)
    from ..limits import check_memory

    # the draws and their temporary copies, checked before any is made
    check_memory(3 * 8.0 * n, f"{n} {name} values", "sample fewer values", ParameterError)
    lo = -math.inf if low is None else float(low)
    hi = math.inf if high is None else float(high)
    if isinstance(spec, Normal):
        lo_n = max(lo, -math.inf if spec.low is None else spec.low)
        hi_n = min(hi, math.inf if spec.high is None else spec.high)
        if lo_n >= hi_n or (spec.std == 0 and not lo_n <= spec.mean <= hi_n):
            raise ParameterError(f"{name} {spec} cannot lie within [{lo:g}, {hi:g}]")
        return _truncated_normal(spec.mean, spec.std, lo_n, hi_n, n, _generator(rng))
    if isinstance(spec, Values):
        if spec.values.size != n:
            raise ParameterError(f"{name}: {spec.values.size} values given for {n} elements; "
                                 f"give one number or exactly {n} values")
        out = spec.values.copy()
        span = (out.min(), out.max()) if n else (lo, lo)
    elif isinstance(spec, Constant):
        out = np.full(n, spec.value)
        span = (spec.value, spec.value)
    else:
        span = (spec.low, spec.high)
    if span[0] < lo or span[1] > hi:
        raise ParameterError(f"{name} {spec} gives values outside [{lo:g}, {hi:g}]; accepted: values within it")
    if isinstance(spec, Uniform):
        out = _generator(rng).uniform(spec.low, spec.high, n)
    return out


# -- quantities with units ----------------------------------------------------------------

#: Canonical unit -> (kind, factor to nS for conductances, to nA for currents, 1 otherwise).
UNITS = {
    "pS": ("conductance", 1e-3),
    "nS": ("conductance", 1.0),
    "uS": ("conductance", 1e3),
    "mS": ("conductance", 1e6),
    "mS/cm2": ("conductance density", 1.0),
    "pA": ("current", 1e-3),
    "nA": ("current", 1.0),
    "uA": ("current", 1e3),
    "uA/cm2": ("current density", 1.0),
    "ms": ("time", 1.0),
    "mV": ("voltage", 1.0),
}
_UNITS_ACCEPTED = "nS, pS, uS (µS), mS, mS/cm2 (mS/cm²), nA, pA, uA (µA), uA/cm2 (µA/cm²), ms, mV"
_QUANTITY = re.compile(rf"^\s*({_NUMBER_TEXT})\s*(.*?)\s*$", re.S)


def canonical_unit(unit: str) -> str:
    """The spelling of ``unit`` used as a key of :data:`UNITS` (µ -> u, ² -> 2, no spaces)."""
    u = str(unit).replace("\u00b5", "u").replace("\u03bc", "u").replace("²", "2").replace("^2", "2")
    u = "".join(u.split())
    if u not in UNITS:
        raise ParameterError(f"unknown unit {unit!r}; accepted: {_UNITS_ACCEPTED}")
    return u


def unit_kind(unit: str) -> str:
    """``"conductance"``, ``"conductance density"``, ``"current"``, ``"current density"``, ``"time"`` or ``"voltage"``."""
    return UNITS[canonical_unit(unit)][0]


def parse_quantity(text) -> tuple[float, str | None]:
    """``"6 nS"`` -> ``(6.0, "nS")``; a bare number gives ``(value, None)``.

    The unit comes back in its canonical spelling (``"6 µS"`` -> ``(6.0, "uS")``).
    """
    if isinstance(text, numbers.Real) and not isinstance(text, (bool, np.bool_)):
        return _number(text, "quantity"), None
    if not isinstance(text, str):
        raise ParameterError(f"a quantity must be written like '6 nS' (got {text!r})")
    m = _QUANTITY.match(text)
    if not m:
        raise ParameterError(f"cannot read the quantity {text!r}: write a number and a unit, e.g. '6 nS' "
                             f"(units: {_UNITS_ACCEPTED})")
    value = float(m.group(1))
    return value, (canonical_unit(m.group(2)) if m.group(2) else None)


_CALL_WITH_UNIT = re.compile(r"^(.*\))\s*([^()]*)$", re.S)


def parse_with_unit(value):
    """A value specification and its unit (canonical spelling, or None when there is none).

    Accepts everything :func:`parse` does, plus a unit after a number or a
    call, ``"6 nS"``, ``"normal(6, 1) nS"``, and a ``unit`` key in a table,
    ``{dist = "normal", mean = 6, std = 1, unit = "nS"}`` or
    ``{value = 6, unit = "nS"}``.
    """
    if isinstance(value, str):
        text = value.strip()
        m = _CALL_WITH_UNIT.match(text)
        if m:
            unit = m.group(2).strip()
            return parse(m.group(1)), (canonical_unit(unit) if unit else None)
        if _NUMBER.match(text):
            return parse(text), None
        number, unit = parse_quantity(text)
        return Constant(number), unit
    if isinstance(value, Mapping) and "unit" in value:
        table = {k: v for k, v in value.items() if k != "unit"}
        unit = canonical_unit(value["unit"])
        if set(table) == {"value"}:
            return parse(table["value"]), unit
        return parse(table), unit
    return parse(value), None


def to_density(value, unit: str, area_um2: float | None, *, what: str = "weight"):
    """``value`` in ``unit`` as a density: conductances in mS/cm², currents in µA/cm².

    ``area_um2`` is the membrane area (µm²) of the neuron receiving the
    conductance or current; densities (mS/cm², µA/cm²) pass through unchanged.
    ``value`` may be a number or an array; the result has the same form.
    """
    u = canonical_unit(unit)
    kind, factor = UNITS[u]
    if kind in ("conductance density", "current density"):
        return value * 1.0
    if kind not in ("conductance", "current"):
        raise ParameterError(f"{what} in {u} is a {kind}, not a conductance or current; "
                             "accepted: nS, pS, uS, mS, mS/cm2, nA, pA, uA, uA/cm2")
    if area_um2 is None:
        shown = f"'{value:g} {unit}'" if isinstance(value, numbers.Real) else f"in {unit}"
        raise ParameterError(f"{what} {shown} needs the population's area (area_um2)")
    area = _number(area_um2, "area_um2")
    if area <= 0:
        raise ParameterError(f"area_um2 must be > 0 µm² (got {area:g})")
    # nS -> mS/cm²: 1e-6 / 1e-8 = 100 per µm²; nA -> µA/cm²: 1e-3 / 1e-8 = 1e5 per µm².
    per_area = 100.0 if kind == "conductance" else 1e5
    return value * (factor * per_area / area)
