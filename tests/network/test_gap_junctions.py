"""Gap junctions: two passive cells reach the analytic steady-state coupling coefficient."""

from __future__ import annotations

import pytest

import hhsim
from hhsim.channels.leak import leak
from hhsim.model import Model
from hhsim.network import Monitors, Network, Population, Projection, simulate_network, synapses

G_L, E_L = 0.1, -70.0  # mS/cm², mV: membrane time constant 10 ms


def _passive() -> Model:
    return Model(name="passive", channels=(leak(G_L, E_L),), Cm=1.0)


@pytest.mark.parametrize("g_c", [0.05, 0.3])
def test_coupling_coefficient(g_c):
    """DC into cell 1: the steady state of
    I = g_L (V1 - E_L) + g_c (V1 - V2),  0 = g_L (V2 - E_L) + g_c (V2 - V1)
    gives (V2 - E_L) / (V1 - E_L) = g_c / (g_L + g_c) and V1 - E_L = I (g_L + g_c) / (g_L (g_L + 2 g_c))."""
    amp = 2.0
    net = Network(
        populations=[Population("one", _passive(), stim=hhsim.stim.step(amp)), Population("two", _passive())],
        projections=[Projection("one", "two", synapses.Gap(), connect="one_to_one", weight=g_c)],
        t_stop=300.0, dt=0.025, method="rk4", monitors=Monitors(states={"one": [0], "two": [0]}, every_ms=1.0))
    r = simulate_network(net)
    dv1 = r.v["one"][-1, 0] - E_L
    dv2 = r.v["two"][-1, 0] - E_L
    assert dv2 / dv1 == pytest.approx(g_c / (G_L + g_c), rel=1e-7)
    assert dv1 == pytest.approx(amp * (G_L + g_c) / (G_L * (G_L + 2 * g_c)), rel=1e-7)


def test_gap_in_ns_uses_each_sides_area():
    """1 nS between cells of 1000 and 2000 µm² is 0.1 and 0.05 mS/cm² on each side."""
    net = Network(
        populations=[Population("one", _passive(), stim=hhsim.stim.step(2.0), area_um2=1000.0),
                     Population("two", _passive(), area_um2=2000.0)],
        projections=[Projection("one", "two", synapses.Gap(), connect="one_to_one", weight="1 nS")],
        t_stop=300.0, dt=0.025, method="rk4", monitors=Monitors(states={"one": [0], "two": [0]}, every_ms=1.0))
    r = simulate_network(net)
    g1, g2 = 0.1, 0.05  # the junction seen from each side (mS/cm²)
    dv1 = r.v["one"][-1, 0] - E_L
    dv2 = r.v["two"][-1, 0] - E_L
    # steady state: g_L dv2 = g2 (dv1 - dv2)
    assert dv2 / dv1 == pytest.approx(g2 / (G_L + g2), rel=1e-7)
    # and I = g_L dv1 + g1 (dv1 - dv2)
    assert G_L * dv1 + g1 * (dv1 - dv2) == pytest.approx(2.0, rel=1e-7)
