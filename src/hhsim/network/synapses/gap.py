"""Gap junctions: an ohmic conductance between two cells, I_i = w (V_i - V_j).

The weight is the junction's conductance: mS/cm² of the target, or nS
converted by each side's area.  Junctions are symmetric: one projection
A -> B couples both ways.  The neighbour's voltage is taken at the start of
each step (first order in the coupling; the steady state is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Synapse


@dataclass(frozen=True)
class Gap(Synapse):
    kind = "gap"
    family = "gap"
    source = "electrical synapse (ohmic)"


# ------------------------------------------------------------------ NumPy twin
def numpy_terms(g, v_neighbour):
    """(G, G V) of one node's gap junctions: conductances ``g`` (mS/cm²) to neighbours at
    ``v_neighbour`` (mV, the step's start), summed."""
    g = np.asarray(g, dtype=float)
    return float(np.sum(g)), float(np.sum(g * np.asarray(v_neighbour, dtype=float)))
