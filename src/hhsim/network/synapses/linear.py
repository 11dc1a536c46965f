"""Linear conductance synapses: exponential, alpha and bi-exponential.

Each event of weight w adds a conductance waveform of peak w (mS/cm²) to the
target: exp ``w e^{-t/tau}``; alpha ``w (t/tau) e^{1 - t/tau}``; biexp
``w f (e^{-t/tau_decay} - e^{-t/tau_rise})`` with f normalising the peak.
The states are summed on the target and propagated exactly between events,
so the conductance is exact at any time (Brette et al. 2007 use exp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError
from .base import Synapse

#: The engine's codes of the waveforms (``hhsim.engine.network_kernels``: LIN_EXP,
#: LIN_ALPHA, LIN_BIEXP), shared by the conductance and current families.
LIN_EXP_CODE, LIN_ALPHA_CODE, LIN_BIEXP_CODE = 0, 1, 2


@dataclass(frozen=True)
class Exp(Synapse):
    """g(t) = w exp(-t / tau); tau (ms), E (mV)."""

    tau: float = 5.0
    E: float = 0.0
    kind = "exp"
    code = LIN_EXP_CODE
    source = "Brette R et al. (2007) J Comput Neurosci 23:349-398 (COBA benchmarks)"

    def taus(self) -> tuple[float, float, float]:
        """(t1, t2, peak normalisation) for the engine."""
        return self.tau, self.tau, 1.0


@dataclass(frozen=True)
class Alpha(Synapse):
    """g(t) = w (t / tau) exp(1 - t / tau): peak w at t = tau (ms)."""

    tau: float = 2.0
    E: float = 0.0
    kind = "alpha"
    code = LIN_ALPHA_CODE
    source = "Rall W (1967) J Neurophysiol 30:1138-1168 (alpha function)"

    def taus(self) -> tuple[float, float, float]:
        return self.tau, self.tau, 1.0


@dataclass(frozen=True)
class BiExp(Synapse):
    """g(t) = w f (exp(-t / tau_decay) - exp(-t / tau_rise)), peak w; tau_rise < tau_decay (ms)."""

    tau_rise: float = 0.5
    tau_decay: float = 5.0
    E: float = 0.0
    kind = "biexp"
    code = LIN_BIEXP_CODE
    source = "difference of exponentials, e.g. NEURON's Exp2Syn"

    def __post_init__(self):
        super().__post_init__()
        if not self.tau_rise < self.tau_decay:
            raise ParameterError(
                f"synapse biexp needs tau_rise < tau_decay (got {self.tau_rise:g} and {self.tau_decay:g} ms)")

    def taus(self) -> tuple[float, float, float]:
        tr, td = self.tau_rise, self.tau_decay
        tp = td * tr / (td - tr) * math.log(td / tr)
        return td, tr, 1.0 / (math.exp(-tp / td) - math.exp(-tp / tr))


# ------------------------------------------------------------------ NumPy twin
# The family's event, propagation and conductance in NumPy (scalars or arrays of
# states), as the compiled network kernels compute them; the NumPy reference back
# end (hhsim.engine.backend.numpy_network) calls them.  g in mS/cm², t in ms.
def numpy_conductance(code: int, A, B, t1: float, t2: float, s):
    """Conductance of the state (A, B) s ms later (no event in between)."""
    if code == LIN_EXP_CODE:
        return A * np.exp(-s / t1)
    if code == LIN_ALPHA_CODE:
        return (A + B * s) * np.exp(-s / t1)
    return A * np.exp(-s / t1) - B * np.exp(-s / t2)


def numpy_propagate(code: int, A, B, s, t1: float, t2: float):
    """The state (A, B) s ms later, exactly."""
    e1 = np.exp(-s / t1)
    if code == LIN_EXP_CODE:
        return A * e1, B * 0.0
    if code == LIN_ALPHA_CODE:
        return (A + B * s) * e1, B * e1
    return A * e1, B * np.exp(-s / t2)


def numpy_event(code: int, A, B, w, t1: float, norm: float):
    """The state (A, B) after an event of weight w (the waveform's peak is w)."""
    if code == LIN_EXP_CODE:
        return A + w, B
    if code == LIN_ALPHA_CODE:
        return A, B + w * math.e / t1
    return A + w * norm, B + w * norm


def numpy_terms(g, E: float):
    """(G, G E) a conductance g adds to the membrane (mS/cm², mS/cm² x mV)."""
    return g, g * E
