"""Bounds on the work one explorer request may ask for.

The explorer is a server: every request it takes is checked here before any
work starts, and a request over a bound is refused with one line saying what
is accepted (and that the command line has no such bound), never cut short
silently.  The numbers keep one request under a few seconds on a 2-core
machine and the page's plots under a few hundred thousand points.
"""

from __future__ import annotations

import math

from ..errors import HHSimError

#: Longest single-neuron trace (ms).
MAX_T_STOP_MS = 5000.0
#: Most integration steps of one trace (t_stop / dt).
MAX_STEPS = 400_000
#: Most stimulus components added together.
MAX_STIMULI = 8
#: Most command steps in one voltage-clamp family.
MAX_CLAMP_STEPS = 41
#: Longest voltage-clamp step (ms).
MAX_CLAMP_DUR_MS = 500.0
#: Most amplitudes of one f-I curve.
MAX_FI_POINTS = 61
#: Longest f-I step (ms).
MAX_FI_DUR_MS = 2000.0
#: Most compartments of one cable.
MAX_CABLE_COMPARTMENTS = 3000
#: Most cable integration steps (t_stop / dt).
MAX_CABLE_STEPS = 20_000
#: Most points sent to the page per trace (longer traces are thinned for display only).
MAX_DISPLAY_POINTS = 20_000


class LimitError(HHSimError):
    """A request over one of the explorer's bounds."""


def check_at_most(name: str, value: float, bound: float, unit: str = "", hint: str = "") -> float:
    """``value`` if finite and <= ``bound``, else :class:`LimitError` naming both."""
    if not math.isfinite(value):
        raise LimitError(f"{name} must be a finite number (got {value})")
    if value > bound:
        u = f" {unit}" if unit else ""
        raise LimitError(
            f"{name} {value:g}{u} is over the explorer's limit of {bound:g}{u}"
            + (f"; {hint}" if hint else "")
        )
    return value


def check_steps(t_stop: float, dt: float, bound: int, what: str, hint: str) -> int:
    """The number of steps ``t_stop / dt``; :class:`LimitError` above ``bound``."""
    n = math.ceil(t_stop / dt - 1e-9)
    if n > bound:
        raise LimitError(
            f"{what}: {t_stop:g} ms at dt {dt:g} ms is {n} steps, over the explorer's limit of {bound}; {hint}"
        )
    return n
#: Most neurons of one network run.
MAX_NETWORK_NEURONS = 5000
#: Longest network run (ms).
MAX_NETWORK_T_STOP_MS = 1000.0
#: Widest current range of one bifurcation diagram (µA/cm²).
MAX_DIAGRAM_SPAN_UA = 500.0
