"""An event whose delivery time falls exactly on a step's end is delivered.

A spike source at 2.0 ms reaches one resting ``hh`` cell through an exponential
conductance synapse after 2.1 ms: the delivery at 4.1 ms is a step boundary of
dt = 0.0025, 0.005 and 0.01 ms, where ``floor(4.1 / dt)`` rounds one step short
(1639.9999999999998 for 0.0025).  The event was once put into the step that
ends at 4.1 ms and never applied (no spike).

The property checked: a cell at rest is time-invariant, so delaying the input
by 1e-4 ms delays its spike by 1e-4 ms (the fixed-step loop delivers events at
their exact times; the step's discretisation error is far below 1e-6 ms here).
"""

from __future__ import annotations

import pytest

from hhsim.network import Network, Population, Projection, SpikeSource
from hhsim.network.simulate import simulate_network
from hhsim.network.synapses import Exp

SHIFT = 1e-4  # ms


def _first_spike(delay: float, dt: float) -> float:
    net = Network(populations=[Population("cell", "hh", 1)], sources=[SpikeSource("src", 1, times_ms=[2.0])],
                  projections=[Projection("src", "cell", Exp(tau=1.5, E=0.0), weight=1.2, delay=delay)])
    _, times = simulate_network(net, t_stop=8.0, dt=dt, method="rk4").spikes["cell"]
    assert len(times) == 1, (delay, dt, times)
    return float(times[0])


@pytest.mark.parametrize("dt", [0.0025, 0.005, 0.01])
def test_delivery_on_a_step_boundary_is_not_lost(dt):
    on_boundary = _first_spike(2.1, dt)
    later = _first_spike(2.1 + SHIFT, dt)
    earlier = _first_spike(2.1 - SHIFT, dt)
    assert later - on_boundary == pytest.approx(SHIFT, abs=1e-6)
    assert on_boundary - earlier == pytest.approx(SHIFT, abs=1e-6)
