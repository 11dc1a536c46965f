"""The graded transmitter synapse of Wang & Buzsáki (1996).

s' = alpha F(V_pre) (1 - s) - beta s with F(V) = 1 / (1 + exp(-(V - theta)/2)):
transmitter release follows the presynaptic voltage continuously, no
events.  I_syn = w s (V - E).  alpha 12 /ms, beta 0.1 /ms, theta 0 mV,
E -75 mV (the paper's GABA-A synapse; its total g_syn = 0.1 mS/cm² is
divided over the M inputs of each cell).

Source: Wang X-J, Buzsáki G (1996) J Neurosci 16:6402-6413, eq. 5-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Synapse


@dataclass(frozen=True)
class Graded(Synapse):
    alpha: float = 12.0
    beta: float = 0.1
    theta: float = 0.0
    E: float = -75.0
    kind = "graded"
    family = "graded"
    source = "Wang X-J, Buzsaki G (1996) J Neurosci 16:6402-6413"


# ------------------------------------------------------------------ NumPy twin
def numpy_release(v_pre, theta: float):
    """F(V_pre) = 1 / (1 + exp(-(V_pre - theta) / 2)), the transmitter's drive."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(v_pre, dtype=float) - theta) / 2.0))


def numpy_relax(s, v_pre, alpha: float, beta: float, theta: float, dt: float):
    """The gating variables s after dt ms at fixed presynaptic V (exact)."""
    a = alpha * numpy_release(v_pre, theta)
    rate = a + beta
    s_inf = a / rate
    return s_inf + (s - s_inf) * np.exp(-rate * dt)


def numpy_terms(w, s, E: float):
    """(G, G E) of graded synapses of weights w (mS/cm²) at gating s, summed."""
    g = float(np.sum(np.asarray(w) * np.asarray(s)))
    return g, g * E
