"""Seeded noise is the same for any number of threads and any split of a batch."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.noise import ChannelNoise, simulate_noisy_batch

STIM = hhsim.stim.step(4.0, start=2.0, dur=20.0)


def _batch(noise, n=6, **kw):
    return simulate_noisy_batch("hh", noise, n=n, stimulus=STIM, t_stop=25.0, record="all", **kw)


@pytest.mark.parametrize("method", ["markov", "langevin"])
def test_one_and_two_threads_agree(method, monkeypatch):
    noise = ChannelNoise(method, area_um2=50.0, seed=3)
    monkeypatch.setenv("HHSIM_THREADS", "1")
    one = _batch(noise)
    monkeypatch.setenv("HHSIM_THREADS", "2")
    two = _batch(noise)
    for name in one.traces:
        np.testing.assert_array_equal(one.traces[name], two.traces[name])
    for a, b in zip(one.spike_times, two.spike_times):
        np.testing.assert_array_equal(a, b)
    assert len({tuple(np.round(s, 6)) for s in one.spike_times}) > 1  # the neurons differ


def test_a_neuron_does_not_depend_on_its_batch():
    noise = ChannelNoise("markov", area_um2=50.0, seed=9)
    whole = _batch(noise, n=6)
    part = _batch(noise, n=2, node_offset=3)
    np.testing.assert_array_equal(whole.traces["v"][:, 3:5], part.traces["v"])
    lone = hhsim.simulate("hh", STIM, t_stop=25.0, noise=noise)
    np.testing.assert_array_equal(lone.v, whole.traces["v"][:, 0])
    assert np.array_equal(lone.open_fraction["Na"], whole.traces["Na.open"][:, 0])


def test_seed_changes_the_run_and_repeats_it():
    a = hhsim.simulate("hh", STIM, t_stop=25.0, noise="markov", area_um2=50.0, seed=1)
    b = hhsim.simulate("hh", STIM, t_stop=25.0, noise="markov", area_um2=50.0, seed=1)
    c = hhsim.simulate("hh", STIM, t_stop=25.0, noise="markov", area_um2=50.0, seed=2)
    np.testing.assert_array_equal(a.v, b.v)
    assert not np.array_equal(a.v, c.v)


@pytest.mark.parametrize("method", ["markov", "langevin"])
def test_a_run_in_chunks_gives_the_same_bits(method, monkeypatch):
    """Long runs are taken in calls of at most CHUNK_NODE_STEPS node-steps (Ctrl-C acts
    between them); the state and the random stream carry over exactly."""
    import hhsim.noise.run as run

    noise = ChannelNoise(method, area_um2=50.0, seed=3)
    whole = _batch(noise, n=4, record_every=3)
    monkeypatch.setattr(run, "CHUNK_NODE_STEPS", 4 * 7 * 3 + 5)  # 21-step calls, 7 recordings each
    parts = _batch(noise, n=4, record_every=3)
    for name in whole.traces:
        np.testing.assert_array_equal(whole.traces[name], parts.traces[name])
    for a, b in zip(whole.spike_times, parts.spike_times):
        np.testing.assert_array_equal(a, b)
