"""Each network preset reproduces the number its docstring names, from its source.

* ``cobahh``: the E and I rates of Brian2 2.9's COBAHH (``examples/COBAHH.py``:
  4000 cells, 1 s, refractory 3 ms), hhsim's mean over seeds 1-5 inside Brian2's
  spread over seeds 1-5, at dt = 0.1 ms and at dt = 0.025 ms.  Brian2's figures are
  recorded below (Brian2 is not a test dependency); ``benchmarks/cobahh_brian2_rates.py``
  runs both side by side.
* ``wang_buzsaki_gamma``: Wang & Buzsáki (1996), J Neurosci 16:6402-6413: the
  homogeneous network (Figs. 1-2) oscillates near 40 Hz, every cell on nearly every
  cycle, with coherence kappa near 1; heterogeneous drive lowers the coherence
  steeply (the paper's point (3): heterogeneities must be modest, the fast-spiking
  cells' f-I curve being steep).
"""

from __future__ import annotations

import numpy as np
import pytest

from hhsim.network import presets, simulate_network

#: Brian2 2.9.0's COBAHH rates (Hz, spikes in the second half-second per cell), seeds 1-5,
#: C++ standalone, exponential Euler: ``benchmarks/_brian2_cobahh.py`` (the model of
#: Brian2's examples/COBAHH.py: 4000 cells, p = 0.02, threshold v > -20 mV, refractory
#: 3 ms), run on 2026-12-06 as
#: ``.venv-brian2/bin/python benchmarks/_brian2_cobahh.py --mode cpp --n 4000 --dt DT --seeds 1 2 3 4 5``
#: (Brian2 2.9.0, NumPy 2.3.5, Python 3.11; the same figures from
#: ``benchmarks/cobahh_brian2_rates.py``).
BRIAN2_RATES = {
    0.1: {"E": [38.7956, 36.5144, 34.7600, 38.4931, 41.3413],
          "I": [36.8175, 36.6875, 35.5425, 37.1925, 38.7050]},
    0.025: {"E": [39.4594, 37.7875, 37.8706, 39.8669, 40.9162],
            "I": [38.4875, 39.4075, 38.6950, 38.9750, 40.2875]},
}
SEEDS = (1, 2, 3, 4, 5)


@pytest.mark.slow
@pytest.mark.parametrize("dt", [0.1, 0.025])
def test_cobahh_rates_inside_brian2s_spread(dt):
    rates = {"E": [], "I": []}
    for seed in SEEDS:
        r = simulate_network(presets.cobahh(), seed=seed, dt=dt)
        for pop in rates:
            rates[pop].append(r.rate(pop, 500.0))
    for pop, theirs in BRIAN2_RATES[dt].items():
        mean = float(np.mean(rates[pop]))
        assert min(theirs) <= mean <= max(theirs), (pop, dt, rates[pop], theirs)


def test_cobahh_uses_brian2s_dead_time():
    net = presets.cobahh(n=20)
    assert [p.refractory for p in net.populations] == [3.0, 3.0]
    assert all(p.threshold == -20.0 for p in net.populations)


@pytest.fixture(scope="module")
def gamma():
    """kappa and rate of the preset at heterogeneity 0 (its default), 1 %, 3 % and 5 %."""
    out = {}
    for h in (0.0, 0.01, 0.03, 0.05):
        net = presets.wang_buzsaki_gamma() if h == 0.0 else presets.wang_buzsaki_gamma(heterogeneity=h)
        r = simulate_network(net)
        out[h] = r
    return out


def test_wang_buzsaki_homogeneous_network_is_a_coherent_40_hz_rhythm(gamma):
    r = gamma[0.0]
    assert r.t_stop == 500.0
    assert presets.wang_buzsaki_gamma().populations[0].stim_scale is None  # homogeneous by default
    # the last 200 ms of 500
    assert 35.0 <= r.peak_frequency("I", start=300.0) <= 45.0
    assert 35.0 <= r.rate("I", 300.0) <= 45.0  # every cell on nearly every cycle
    assert r.synchrony("I", start=300.0) >= 0.8


def test_wang_buzsaki_coherence_falls_with_heterogeneity(gamma):
    kappa = [gamma[h].synchrony("I", start=300.0) for h in (0.0, 0.01, 0.03, 0.05)]
    assert kappa[0] >= 0.8
    assert all(a > b for a, b in zip(kappa, kappa[1:])), kappa  # steadily lower
    assert kappa[2] < 0.6  # 3 % heterogeneity already costs much of the synchrony
    assert kappa[3] < 0.3  # and 5 % nearly all of it
    # the rhythm's frequency itself barely moves: the loss is coherence, not the rhythm
    for h in (0.01, 0.03):
        assert 35.0 <= gamma[h].peak_frequency("I", start=300.0) <= 45.0


def test_wang_buzsaki_heterogeneity_refused_when_negative():
    from hhsim.errors import ParameterError

    with pytest.raises(ParameterError, match="heterogeneity"):
        presets.wang_buzsaki_gamma(heterogeneity=-0.1)


def test_chain_spike_travels_at_a_steady_pace():
    """``chain``: one spike per cell, each about 2.2 ms after the one before it."""
    r = simulate_network(presets.chain())
    idx, t = r.spikes["chain"]
    assert sorted(idx.tolist()) == list(range(10))
    hops = np.diff(t[np.argsort(idx, kind="stable")])
    assert np.all((2.0 < hops) & (hops < 2.4)), hops
    assert np.ptp(hops) < 0.01  # the same pace along the chain
