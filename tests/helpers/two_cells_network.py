"""The two coupled `hh` cells of :mod:`helpers.two_cells` as an hhsim network, and the
largest spike-time error of a run against that reference (shared by the fixed-step and
the adaptive network tests; the reference itself imports nothing of hhsim)."""

from __future__ import annotations

import numpy as np

from helpers import two_cells as ref
import hhsim
from hhsim.network import Network, Population, Projection, synapses

T_STOP = 60.0  # ms


def network(**kw) -> Network:
    """Cell A driven by the reference's current step excites B, B inhibits A (``kw``: more
    Network fields, e.g. the method)."""
    return Network(
        populations=[Population("A", "hh", stim=hhsim.stim.step(ref.AMP, start=ref.START, dur=ref.DUR)),
                     Population("B", "hh")],
        projections=[
            Projection("A", "B", synapses.Exp(tau=ref.TAU_AB, E=ref.E_AB), weight=ref.W_AB, delay=ref.D_AB),
            Projection("B", "A", synapses.Exp(tau=ref.TAU_BA, E=ref.E_BA), weight=ref.W_BA, delay=ref.D_BA),
        ],
        t_stop=T_STOP, **kw)


def spike_error(r, reference) -> float:
    """The largest |spike time - reference| (ms) over both cells, after checking that each
    fired as often as in the reference."""
    a, b = reference
    ta, tb = r.spikes["A"][1], r.spikes["B"][1]
    assert ta.size == a.size and tb.size == b.size, (ta, a, tb, b)
    return float(max(np.max(np.abs(ta - a)), np.max(np.abs(tb - b))))
