"""Noisy batches through the public batch API: ``simulate_batch(..., noise=...)``.

Each neuron has its own channels and its own random stream (neuron i is
stream ``first_neuron + i`` of the seed), so neuron 0 is ``simulate`` with
the same seed, bit for bit, and a batch split into parts gives the same bits.
The runs are those of tests/noise/test_reproducible.py (hh, 50 µm², 25 ms),
so no kernel is compiled for them alone.
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.errors import ParameterError, SolverError

STIM = hhsim.stim.step(4.0, start=2.0, dur=20.0)


@pytest.mark.parametrize("method", ["markov", "langevin"])
def test_neuron_zero_equals_simulate(method):
    b = hhsim.simulate_batch("hh", n=3, stimulus=STIM, t_stop=25.0, noise=method, area_um2=50.0, seed=9,
                             record="all")
    lone = hhsim.simulate("hh", STIM, t_stop=25.0, noise=method, area_um2=50.0, seed=9)
    assert isinstance(b, hhsim.BatchResult) and b.method == method
    np.testing.assert_array_equal(b.t, lone.t)
    np.testing.assert_array_equal(b.traces["v"][:, 0], lone.v)
    np.testing.assert_array_equal(b.spike_times[0], lone.spike_times)
    np.testing.assert_array_equal(b.traces["Na.open"][:, 0], lone.open_fraction["Na"])
    for j, name in enumerate(("m", "h", "n")):
        np.testing.assert_array_equal(b.traces[name][:, 0], lone.states[name])
        assert b.states_final[j, 0] == lone.states[name][-1]
    assert b.v_final[0] == lone.v[-1]
    one = b.result(0)  # a NoiseResult: the noisy channels conduct by their open fraction
    np.testing.assert_array_equal(one.currents["Na"], lone.currents["Na"])
    assert one.channel_counts == lone.channel_counts == {"Na": 3000, "K": 900}
    assert b.meta["noise"]["seed"] == 9 and b.meta["channel_counts"]["K"] == [900, 900, 900]


def test_neurons_of_one_area_have_their_own_channels():
    b = hhsim.simulate_batch("hh", n=4, stimulus=STIM, t_stop=25.0, noise="markov", area_um2=50.0, seed=9,
                             record="v")
    assert np.all(b.channel_counts["Na"] == 3000)
    v = b.traces["v"]
    for i in range(1, 4):
        assert not np.array_equal(v[:, 0], v[:, i])
    # the stream is a neuron's own: the same neuron in a smaller batch is the same
    small = hhsim.simulate_batch("hh", n=2, stimulus=STIM, t_stop=25.0, noise="markov", area_um2=50.0,
                                 seed=9, record="v")
    np.testing.assert_array_equal(small.traces["v"], v[:, :2])


def test_a_split_batch_gives_the_same_bits():
    """Parameters, scales and areas per neuron; two calls with first_neuron = one call."""
    g = np.array([120.0, 100.0, 90.0, 130.0])
    areas = np.array([50.0, 50.0, 60.0, 40.0])
    scale = np.array([1.0, 1.5, 1.0, 0.5])
    kw = dict(stimulus=STIM, t_stop=25.0, noise="markov", seed=4, record="all")
    whole = hhsim.simulate_batch("hh", {"gNa": g}, scale=scale, area_um2=areas, **kw)
    parts = [hhsim.simulate_batch("hh", {"gNa": g[k:k + 2]}, scale=scale[k:k + 2], area_um2=areas[k:k + 2],
                                  first_neuron=k, **kw) for k in (0, 2)]
    for name in whole.traces:
        np.testing.assert_array_equal(whole.traces[name], np.hstack([p.traces[name] for p in parts]))
    for i in range(4):
        np.testing.assert_array_equal(whole.spike_times[i], parts[i // 2].spike_times[i % 2])
    assert list(whole.channel_counts["Na"]) == [3000, 3000, 3600, 2400]
    assert list(whole.params["gNa"]) == list(g)
    # neuron 0 (gNa 120, scale 1, 50 µm²) is the lone neuron of the same seed
    lone = hhsim.simulate("hh", STIM, t_stop=25.0, noise="markov", area_um2=50.0, seed=4)
    np.testing.assert_array_equal(whole.traces["v"][:, 0], lone.v)


@pytest.mark.parametrize("kw, error, words", [
    (dict(noise="gillespie", area_um2=5.0), ParameterError, "runs one neuron"),
    (dict(noise="markov", area_um2=50.0, method="rk4"), SolverError, "'rk4' is not accepted with noise"),
    (dict(noise="markov", area_um2=50.0, method="dopri5", rtol=1e-6), SolverError, "rtol and atol"),
    (dict(first_neuron=3), ParameterError, "needs noise="),
    (dict(area_um2=[10.0, 20.0]), ParameterError, "without noise"),
    (dict(noise="markov", area_um2=[10.0, 20.0, 30.0]), ParameterError, "one value per neuron (2)"),
    (dict(noise="markov", area_um2=[10.0, -1.0]), ParameterError, "area_um2"),
    (dict(noise="markov", area_um2=50.0, first_neuron=-1), ParameterError, "first_neuron"),
    (dict(noise="markov", area_um2=50.0, channel_counts={"Na": 2.5}), ParameterError, "whole number"),
])
def test_what_a_noisy_batch_refuses(kw, error, words):
    with pytest.raises(error) as err:
        hhsim.simulate_batch("hh", {"gNa": [100.0, 120.0]}, stimulus=STIM, t_stop=5.0, **kw)
    assert words in str(err.value) and "\n" not in str(err.value)
