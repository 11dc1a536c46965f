"""External drive: Poisson sources, Poisson input, spike generators, noise currents."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hhsim
from hhsim.channels.leak import leak
from hhsim.model import Model
from hhsim.network import (Monitors, Network, Noise, PoissonInput, Population, Projection, SpikeSource,
                           simulate_network, synapses)

G_L, E_L = 0.1, -70.0  # membrane time constant 10 ms


def _passive() -> Model:
    return Model(name="passive", channels=(leak(G_L, E_L),), Cm=1.0)


def test_poisson_sources_have_the_rate_and_exponential_intervals():
    n, rate, t_stop = 200, 20.0, 2000.0
    net = Network(populations=[Population("cell", _passive())], sources=[SpikeSource("P", n=n, rate_hz=rate)],
                  t_stop=t_stop, dt=0.1, method="expeuler")
    r = simulate_network(net)
    idx, t = r.source_spikes["P"]
    expected = n * rate * t_stop / 1000.0
    assert abs(t.size - expected) < 5 * math.sqrt(expected)
    isi = np.concatenate([np.diff(t[idx == k]) for k in range(n)])
    assert isi.std() / isi.mean() == pytest.approx(1.0, abs=0.05)  # exponential intervals: CV 1
    assert np.all((t >= 0) & (t < t_stop))


def test_time_varying_poisson_rate_by_thinning():
    """rate(t) = 10 Hz before 1 s and 40 Hz after: counts in each half follow it."""
    n = 200
    rate = hhsim.stim.step(10.0) + hhsim.stim.step(30.0, start=1000.0)
    net = Network(populations=[Population("cell", _passive())], sources=[SpikeSource("P", n=n, rate_hz=rate)],
                  t_stop=2000.0, dt=0.1, method="expeuler")
    _, t = simulate_network(net).source_spikes["P"]
    for lo, hi, hz in ((0.0, 1000.0, 10.0), (1000.0, 2000.0, 40.0)):
        expected = n * hz
        count = np.count_nonzero((t >= lo) & (t < hi))
        assert abs(count - expected) < 5 * math.sqrt(expected)


def test_poisson_input_mean_conductance_follows_campbell():
    """N inputs of rate r and weight w through exp(tau): mean g = N r w tau (Campbell's theorem)."""
    n_in, rate, w, tau = 100, 10.0, 0.002, 5.0
    cells = 20
    net = Network(populations=[Population("cell", _passive(), n=cells)],
                  inputs=[PoissonInput("cell", n_in, rate, w, synapses.Exp(tau=tau, E=0.0))],
                  t_stop=2000.0, dt=0.05, method="expeuler",
                  monitors=Monitors(states={"cell": "all"}, every_ms=1.0))
    r = simulate_network(net)
    keep = r.t > 50.0
    g = r.i_syn["cell"][keep] / (r.v["cell"][keep] - 0.0)
    mean = n_in * rate / 1000.0 * w * tau
    # fluctuations: var = N r w^2 tau / 2; about 2000 ms / (2 tau) independent samples per cell
    sem = math.sqrt(n_in * rate / 1000.0 * w**2 * tau / 2) / math.sqrt(cells * 2000.0 / (2 * tau))
    assert abs(g.mean() - mean) < 6 * sem
    assert g.var() == pytest.approx(n_in * rate / 1000.0 * w**2 * tau / 2, rel=0.1)


def test_noise_current_gives_the_ou_voltage_variance():
    """OU current (std s, tau_n) into an RC membrane: Var V = (s / g_L)^2 tau_n / (tau_n + tau_m)."""
    s, tau_n, cells = 1.0, 5.0, 40
    net = Network(populations=[Population("cell", _passive(), n=cells)], noise=[Noise("cell", std=s, tau=tau_n)],
                  t_stop=4000.0, dt=0.05, method="expeuler", monitors=Monitors(states={"cell": "all"}, every_ms=1.0))
    r = simulate_network(net)
    v = r.v["cell"][r.t > 100.0]
    tau_m = 1.0 / G_L
    expected = (s / G_L) ** 2 * tau_n / (tau_n + tau_m)
    assert v.var() == pytest.approx(expected, rel=0.06)
    assert v.mean() == pytest.approx(E_L, abs=0.1)
    # independent per neuron: neighbouring cells are uncorrelated
    assert abs(np.corrcoef(v[:, 0], v[:, 1])[0, 1]) < 0.1


def test_spike_generator_delivers_at_given_times_plus_delay():
    times = [3.3, 17.77, 30.001]
    net = Network(populations=[Population("cell", _passive())], sources=[SpikeSource("G", times_ms=times)],
                  projections=[Projection("G", "cell", synapses.Exp(tau=1.0, E=0.0), weight=0.01, delay=0.5)],
                  t_stop=40.0, dt=0.1, method="rk4", monitors=Monitors(states={"cell": [0]}, every_ms=0.1))
    r = simulate_network(net)
    g = r.i_syn["cell"][:, 0] / r.v["cell"][:, 0]
    expected = sum(np.where(r.t > tk + 0.5, 0.01 * np.exp(-(r.t - tk - 0.5)), 0.0) for tk in times)
    np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-15)
