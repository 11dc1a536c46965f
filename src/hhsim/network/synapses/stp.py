"""Tsodyks-Markram short-term plasticity, on any event synapse.

Between spikes the utilisation u decays to 0 (tau_fac) and the resources x
recover to 1 (tau_rec); at each spike u += U (1 - u), the fraction r = u x
is released and x -= r.  The event's weight (linear kinds) or transmitter
pulse (kinetic kinds) is scaled by r.  tau_fac = 0 gives pure depression
(u = U at every spike).

Sources: Tsodyks M, Markram H (1997) PNAS 94:719-723; Tsodyks M, Pawelzik K,
Markram H (1998) Neural Comput 10:821-835.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import ParameterError


@dataclass(frozen=True)
class TsodyksMarkram:
    U: float = 0.5
    tau_rec: float = 800.0
    tau_fac: float = 0.0

    def __post_init__(self):
        for name in ("U", "tau_rec", "tau_fac"):
            from ... import validate as _v

            value = _v.number(getattr(self, name), f"stp {name}", lo=0.0, hi=1e9)
            object.__setattr__(self, name, value)
        if not 0 < self.U <= 1:
            raise ParameterError(f"stp U must be in (0, 1] (got {self.U:g})")
        if self.tau_rec <= 0:
            raise ParameterError(f"stp tau_rec must be > 0 ms (got {self.tau_rec:g})")

    def describe(self) -> dict:
        return {"U": self.U, "tau_rec": self.tau_rec, "tau_fac": self.tau_fac}


# ------------------------------------------------------------------ NumPy twin
def numpy_release(U: float, tau_rec: float, tau_fac: float, u: float, x: float, t_last: float | None, t: float):
    """A spike at t (ms) on a synapse whose state was (u, x) just after its last spike at
    ``t_last`` (None before the first): returns (r, u, x), the released fraction r = u x and
    the state just after this spike."""
    if t_last is not None:
        d = t - t_last
        x = 1.0 - (1.0 - x) * math.exp(-d / tau_rec)
        if tau_fac > 0.0:
            u = u * math.exp(-d / tau_fac)
    u = u + U * (1.0 - u) if tau_fac > 0.0 else U
    r = u * x
    return r, u, x - r
