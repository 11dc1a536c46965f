"""`wang_buzsaki_gamma` synchronises near 40 Hz, with coherence well above an uncoupled control
(Wang X-J, Buzsáki G (1996) J Neurosci 16:6402-6413, Figs. 1-2: a 40 Hz rhythm for
I_app = 1 µA/cm² and the GABA-A decay of 10 ms)."""

from __future__ import annotations

import dataclasses

import pytest

from hhsim.network import presets, simulate_network


@pytest.fixture(scope="module")
def runs():
    net = presets.wang_buzsaki_gamma()
    assert net.projections[0].connect == "all" and net.populations[0].n == 100
    control = net.replace(projections=[dataclasses.replace(net.projections[0], weight=0.0)])
    return simulate_network(net), simulate_network(control)


def test_gamma_rhythm_near_40_hz(runs):
    coupled, _ = runs
    assert coupled.n_synapses == 100 * 99
    assert 30.0 <= coupled.peak_frequency("I", start=200.0) <= 50.0
    assert 30.0 <= coupled.rate("I", 200.0) <= 50.0  # each cell fires on nearly every cycle


def test_synchrony_well_above_the_uncoupled_control(runs):
    coupled, control = runs
    k, k0 = coupled.synchrony("I", start=200.0), control.synchrony("I", start=200.0)
    assert k > 0.3
    assert k > 2.5 * k0
