"""A custom receptor written in a few lines: first-order binding of a transmitter pulse.

    r' = opening(T) (1 - r) - closing(T) r,     g = w r

with ``opening`` and ``closing`` (1/ms) expressions of the transmitter
concentration ``T`` (mM), in the same whitelist as custom channels' rates
(numbers, + - * / **, exp, log, sqrt, ... ; never evaluated as Python).  Each
presynaptic spike releases a square pulse of ``Tmax`` mM for ``Tdur`` ms, so T
takes two values and the rates are evaluated once for each: between events the
state relaxes exactly, as for the built-in kinetic receptors.  With
``opening = "1.1 * T"`` and ``closing = "0.19"`` it is the AMPA receptor of
Destexhe, Mainen & Sejnowski (1998).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...channels import expr as _expr
from ...errors import ParameterError
from .base import Synapse


@dataclass(frozen=True)
class Custom(Synapse):
    opening: str = "1.1 * T"
    closing: str = "0.19"
    Tmax: float = 1.0
    Tdur: float = 1.0
    E: float = 0.0
    kind = "custom"
    family = "kinetic"
    gprotein = False
    nmda = False
    source = "user-defined first-order receptor (the kinetic formalism of Destexhe, Mainen & Sejnowski 1994)"

    def __post_init__(self):
        for name in ("Tmax", "Tdur", "E"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"synapse custom {name} must be a finite number (got {value!r})")
            object.__setattr__(self, name, float(value))
        if self.Tmax < 0 or self.Tdur <= 0:
            raise ParameterError(f"synapse custom needs Tmax >= 0 and Tdur > 0 ms (got {self.Tmax:g}, {self.Tdur:g})")
        for name in ("opening", "closing"):
            text = getattr(self, name)
            try:
                tree = _expr.parse(text)
                _expr.check_names(tree, text, {"T"}, f"synapse custom {name}")
            except _expr.ExprError as exc:
                raise ParameterError(str(exc)) from None
            for T in (0.0, self.Tmax):
                with np.errstate(all="ignore"):
                    rate = float(_expr.evaluate(tree, {"T": T}))
                if not (math.isfinite(rate) and rate >= 0):
                    raise ParameterError(f"synapse custom {name} = {text!r} must be a finite rate >= 0 /ms at "
                                         f"T = {T:g} mM (got {rate})")

    def _rate(self, name: str, T: float) -> float:
        return float(_expr.evaluate(_expr.parse(getattr(self, name)), {"T": T}))

    def rates(self) -> tuple:
        """(kind code, (opening and closing during the pulse, Tdur, after it), Tmax) for the engine."""
        return 2, (self._rate("opening", self.Tmax), self._rate("closing", self.Tmax), self.Tdur,
                   self._rate("opening", 0.0), self._rate("closing", 0.0), 0.0, 0.0), self.Tmax


# ------------------------------------------------------------------ NumPy twin
def numpy_advance(p, r: float, on: float, off: float) -> float:
    """The open fraction r after ``on`` ms of transmitter and then ``off`` ms without
    (``p``: opening and closing rates during the pulse, Tdur, after it; 1/ms, exact)."""
    if on > 0.0:
        inf, rate = p[0] / (p[0] + p[1]), p[0] + p[1]
        r = inf + (r - inf) * math.exp(-rate * on)
    if off > 0.0:
        inf, rate = p[3] / (p[3] + p[4]), p[3] + p[4]
        r = inf + (r - inf) * math.exp(-rate * off)
    return r
