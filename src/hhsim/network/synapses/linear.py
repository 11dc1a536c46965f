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
