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
