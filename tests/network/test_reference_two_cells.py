"""Two `hh` cells coupled both ways against an independent solve_ivp reference
with exact event handling (``helpers.two_cells``): spike times at the default
settings, and the measured order of the spike-time error in dt."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import two_cells as ref
import hhsim
from hhsim.network import Network, Population, Projection, simulate_network, synapses

T_STOP = 60.0


def _network() -> Network:
    return Network(
        populations=[Population("A", "hh", stim=hhsim.stim.step(ref.AMP, start=ref.START, dur=ref.DUR)),
                     Population("B", "hh")],
        projections=[
            Projection("A", "B", synapses.Exp(tau=ref.TAU_AB, E=ref.E_AB), weight=ref.W_AB, delay=ref.D_AB),
            Projection("B", "A", synapses.Exp(tau=ref.TAU_BA, E=ref.E_BA), weight=ref.W_BA, delay=ref.D_BA),
        ],
        t_stop=T_STOP,
    )


@pytest.fixture(scope="module")
def reference():
    a, b = ref.reference(T_STOP)
    assert a.size >= 3 and b.size >= 2  # the coupling matters: B fires only through A
    return a, b


def _error(r, reference) -> float:
    a, b = reference
    ta, tb_ = r.spikes["A"][1], r.spikes["B"][1]
    assert ta.size == a.size and tb_.size == b.size
    return float(max(np.max(np.abs(ta - a)), np.max(np.abs(tb_ - b))))


def test_default_settings_within_a_hundredth_of_a_ms(reference):
    r = simulate_network(_network())
    assert r.method == "rk4"
    assert _error(r, reference) < 0.01


@pytest.mark.parametrize("method, dts, order", [
    ("rk4", (0.04, 0.02, 0.01), 4),
    ("expeuler", (0.004, 0.002, 0.001), 1),
    ("euler", (0.004, 0.002, 0.001), 1),
])
def test_spike_time_error_has_the_methods_order(reference, method, dts, order):
    errors = [_error(simulate_network(_network(), method=method, dt=dt), reference) for dt in dts]
    slopes = [math.log2(errors[k] / errors[k + 1]) for k in range(len(errors) - 1)]
    assert all(abs(s - order) < 0.5 for s in slopes), (errors, slopes)
