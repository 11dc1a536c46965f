"""The parameter space of a fit: names, bounds, linear or log scale.

The search works in the unit box [0, 1]^d; :class:`Space` maps it to
parameter values (in the units ``Model.params()`` lists) and back, so that a
conductance bounded 1:100 on a log scale is searched evenly per decade.

>>> s = Space.parse(["gNa=60:240", "gL=0.03:3:log"])
>>> s.to_values([[0.5, 0.5]]).round(6).tolist()
[[150.0, 0.3]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..model import Model


@dataclass(frozen=True)
class Bound:
    """One fitted parameter: ``low`` <= value <= ``high`` (model units), searched on a log
    scale when ``log`` (both bounds > 0 then)."""

    name: str
    low: float
    high: float
    log: bool = False

    def __post_init__(self):
        for which, v in (("low", self.low), ("high", self.high)):
            if not math.isfinite(v):
                raise ParameterError(f"--param {self.name}: the {which} bound must be a finite number, got {v}")
        if self.low == self.high:
            raise ParameterError(f"--param {self.name}: the bounds {self.low:g}:{self.high:g} are empty; "
                                 "accepted: LOW < HIGH")
        if self.low > self.high:
            raise ParameterError(f"--param {self.name}: the bounds {self.low:g}:{self.high:g} are reversed; "
                                 "accepted: LOW < HIGH")
        if self.log and self.low <= 0:
            raise ParameterError(f"--param {self.name}: a log scale needs bounds > 0, got {self.low:g}:{self.high:g}")

    @classmethod
    def parse(cls, text: str) -> "Bound":
        """``"NAME=LOW:HIGH"`` or ``"NAME=LOW:HIGH:log"`` (``:lin`` is the default)."""
        name, sep, rest = str(text).partition("=")
        name = name.strip()
        parts = [p.strip() for p in rest.split(":")]
        if not sep or not name or len(parts) not in (2, 3):
            raise ParameterError(f"--param needs NAME=LOW:HIGH[:log], got {text!r}")
        scale = parts[2].lower() if len(parts) == 3 else "lin"
        if scale not in ("lin", "log"):
            raise ParameterError(f"--param {name}: scale {parts[2]!r} is not known; accepted: lin, log")
        try:
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise ParameterError(f"--param {name}: bounds {parts[0]!r}:{parts[1]!r} are not numbers") from None
        return cls(name, low, high, scale == "log")

    def to_value(self, u):
        """Unit-box coordinate(s) -> parameter value(s)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

    def to_unit(self, value):
        """Parameter value(s) -> unit-box coordinate(s)."""
        value = np.asarray(value, dtype=float)
        if self.log:
            return (np.log(value) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def describe(self) -> str:
        return f"{self.name}={self.low:g}:{self.high:g}" + (":log" if self.log else "")


@dataclass(frozen=True)
class Space:
    """The fitted parameters, in order."""

    bounds: tuple[Bound, ...]

    @classmethod
    def parse(cls, items) -> "Space":
        """From ``--param`` texts or :class:`Bound` objects."""
        bounds = tuple(b if isinstance(b, Bound) else Bound.parse(b) for b in items)
        if not bounds:
            raise ParameterError("a fit needs at least one --param NAME=LOW:HIGH")
        names = [b.name for b in bounds]
        for n in names:
            if names.count(n) > 1:
                raise ParameterError(f"--param {n} is given twice; give each fitted parameter once")
        return cls(bounds)

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.bounds]

    @property
    def dim(self) -> int:
        return len(self.bounds)

    def check(self, model: Model) -> None:
        """:class:`ParameterError` for a name the model does not list (``hhsim models NAME``)."""
        known = model.params()
        for b in self.bounds:
            if b.name not in known:
                close = [k for k in known if k.lower() == b.name.lower()]
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ParameterError(f"unknown parameter {b.name!r} for model {model.name!r}{hint}; "
                                     f"accepted: {', '.join(known)}")

    def to_values(self, u) -> np.ndarray:
        """(n, d) unit-box points -> (n, d) parameter values."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        return np.column_stack([b.to_value(u[:, j]) for j, b in enumerate(self.bounds)])

    def to_units(self, values) -> np.ndarray:
        """(n, d) parameter values -> (n, d) unit-box points."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        return np.column_stack([b.to_unit(values[:, j]) for j, b in enumerate(self.bounds)])
