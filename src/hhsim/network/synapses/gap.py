"""Gap junctions: an ohmic conductance between two cells, I_i = w (V_i - V_j).

The weight is the junction's conductance: mS/cm² of the target, or nS
converted by each side's area.  Junctions are symmetric: one projection
A -> B couples both ways.  The neighbour's voltage is taken at the start of
each step (first order in the coupling; the steady state is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Synapse


@dataclass(frozen=True)
class Gap(Synapse):
    kind = "gap"
    family = "gap"
    source = "electrical synapse (ohmic)"
