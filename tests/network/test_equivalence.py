"""Equivalences in Jaxley's style: a network of one cell is `simulate`."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.network import Monitors, Network, Population, simulate_network


@pytest.mark.parametrize("method, dt", [("rk4", 0.025), ("expeuler", 0.01), ("euler", 0.005)])
@pytest.mark.parametrize("model", ["hh", "wang_buzsaki"])
def test_one_cell_network_is_simulate(model, method, dt):
    stim = hhsim.stim.step(10.0, start=5.0, dur=30.0)
    single = hhsim.simulate(model, stim, t_stop=50.0, dt=dt, method=method)
    net = Network(populations=[Population("A", model, stim=stim)], t_stop=50.0, dt=dt, method=method,
                  monitors=Monitors(states={"A": [0]}, every_ms=dt))
    r = simulate_network(net)
    assert r.t.shape == single.t.shape
    np.testing.assert_allclose(r.v["A"][:, 0], single.v, rtol=0, atol=1e-9)
    for name in single.model.state_names:
        np.testing.assert_allclose(r.states["A"][name][:, 0], single.states[name], rtol=0, atol=1e-11)
    assert single.spike_times.size >= 2
    np.testing.assert_allclose(r.spikes["A"][1], single.spike_times, rtol=0, atol=1e-9)


def test_many_unconnected_cells_are_independent_simulations():
    """Cells of one population with per-neuron drive: each equals its own `simulate`."""
    stim = hhsim.stim.step(1.0, start=2.0)
    scales = [3.0, 7.0, 12.0, 20.0]
    net = Network(populations=[Population("A", "hh", n=4, stim=stim, stim_scale=scales)], t_stop=40.0,
                  dt=0.025, method="rk4", monitors=Monitors(states={"A": "all"}, every_ms=0.025))
    r = simulate_network(net)
    trains = r.trains("A")
    for k, s in enumerate(scales):
        single = hhsim.simulate("hh", hhsim.stim.step(s, start=2.0), t_stop=40.0, dt=0.025, method="rk4")
        np.testing.assert_allclose(r.v["A"][:, k], single.v, rtol=0, atol=1e-9)
        np.testing.assert_allclose(trains[k], single.spike_times, rtol=0, atol=1e-9)
