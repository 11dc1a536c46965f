"""Current-based synapses: an event adds a current waveform, whatever the voltage.

As NEST's ``iaf_psc_exp``/``hh_psc_alpha`` and Brian2's ``I += w`` on_pre: each
event of weight w (µA/cm², or pA / nA on a population with ``area_um2``; a
negative weight inhibits) adds to the target

* ``exp_current``: ``w e^{-t/tau}``;
* ``alpha_current``: ``w (t/tau) e^{1 - t/tau}`` (peak w at t = tau, as NEST's
  ``hh_psc_alpha`` normalises its alpha current).

The states are those of the linear conductance families (summed on the
target, propagated exactly between events); the engine adds them to the
membrane as a current instead of a conductance (``current`` below).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Synapse
from .linear import LIN_ALPHA_CODE, LIN_EXP_CODE


@dataclass(frozen=True)
class ExpCurrent(Synapse):
    """I(t) = w exp(-t / tau); tau (ms), w in µA/cm² (or pA with an area)."""

    tau: float = 2.0
    kind = "exp_current"
    code = LIN_EXP_CODE
    current = True
    source = "exponential current synapse (NEST iaf_psc_exp; Brette et al. 2007, CUBA benchmark)"

    def taus(self) -> tuple[float, float, float]:
        """(t1, t2, peak normalisation) for the engine."""
        return self.tau, self.tau, 1.0


@dataclass(frozen=True)
class AlphaCurrent(Synapse):
    """I(t) = w (t / tau) exp(1 - t / tau): peak w at t = tau (ms)."""

    tau: float = 2.0
    kind = "alpha_current"
    code = LIN_ALPHA_CODE
    current = True
    source = "alpha-function current synapse (NEST hh_psc_alpha, iaf_psc_alpha)"

    def taus(self) -> tuple[float, float, float]:
        return self.tau, self.tau, 1.0


# ------------------------------------------------------------------ NumPy twin
# The states and their propagation are the linear family's (linear.numpy_*); a
# current group differs only in what it adds to the membrane.
def numpy_terms(i, E: float = 1.0):
    """(G, G E) a current group adds: no conductance, its current i (µA/cm², inward
    positive) in the G E term (``E`` is unused: the engine's lin_E of a current group is 1)."""
    return i * 0.0, i
