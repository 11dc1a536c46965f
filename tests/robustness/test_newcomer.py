"""Class 8 (issue 24): answers a newcomer reads right (a NaN explained, a frequency only for a rhythm)."""

from __future__ import annotations

import math

import pytest

import hhsim
from hhsim.cable import cable, point, simulate_cable
from hhsim.network.network import Monitors, Network, Population
from hhsim.network.simulate import simulate_network


def test_a_cable_without_stimulus_says_why_its_velocity_is_nan():
    r = simulate_cable(cable(20000.0, 476.0), t_stop=3.0)
    s = r.summary()
    assert s["velocity_m_s"] is None
    assert "no stimulus" in s["velocity_note"] and "no stimulus" in repr(r)


def test_the_suggested_stimulus_gives_a_velocity():
    r = simulate_cable(cable(20000.0, 476.0), stimuli=point(hhsim.stim.pulse(20000, start=0.5, dur=0.2), x=0),
                       t_stop=6.0)
    assert math.isfinite(r.velocity()) and "velocity_note" not in r.summary()


def test_peak_frequency_is_nan_for_a_few_spikes():
    """One neuron firing 3 spikes has no rhythm: NaN, not the 500 Hz of a flat spectrum's first bin."""
    net = Network([Population("A", "hh", n=1, stim=hhsim.stim.step(10.0, start=5.0, dur=30.0))],
                  monitors=Monitors(spikes="all"), t_stop=60.0)
    r = simulate_network(net)
    assert 1 <= r.n_spikes("A") < 10
    assert math.isnan(r.peak_frequency("A"))


def test_batch_result_repr_is_one_short_line():
    b = hhsim.simulate_batch("hh", n=50, t_stop=5.0, params={"gNa": [100.0 + i for i in range(50)]})
    text = repr(b)
    assert "\n" not in text and len(text) < 200
    assert "50 neurons" in text and "gNa" in text
