"""Noise on other models and the noisy result's derived quantities.

With very many channels (1e9 of each noisy type) the Markov method is the
deterministic exponential-Euler run at the same dt: for Wang-Buzsaki (K noisy;
Na without noise, its m gate instantaneous) and Pospischil's regular-spiking
cell (Na, K and M noisy) the spike times agree within 0.01 ms.
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim

STIM = hhsim.stim.step(2.0, start=5.0, dur=20.0)


@pytest.mark.parametrize("model, noisy, stim", [
    ("wang_buzsaki", ["K"], STIM),
    ("pospischil_rs", ["Na", "K", "M"], hhsim.stim.step(4.0, start=5.0, dur=20.0)),
])
def test_many_channels_give_the_deterministic_spikes(model, noisy, stim):
    det = hhsim.simulate(model, stim, t_stop=30.0, method="expeuler", dt=0.01)
    r = hhsim.simulate(model, stim, t_stop=30.0, noise="markov", channel_counts={k: 10 ** 9 for k in noisy}, seed=4)
    assert det.spike_times.size >= 1
    assert r.spike_times.size == det.spike_times.size
    np.testing.assert_allclose(r.spike_times, det.spike_times, atol=0.01)


def test_noisy_result_conducts_by_its_open_channels(tmp_path):
    r = hhsim.simulate("hh", STIM, t_stop=20.0, noise="markov", area_um2=20.0, seed=1)
    na = r.model.channel("Na")
    np.testing.assert_array_equal(r.conductances["Na"], na.gbar * r.open_fraction["Na"])
    np.testing.assert_allclose(r.currents["Na"], r.conductances["Na"] * (r.v - na.E))
    # open fractions are whole numbers of channels over N
    n_open = r.open_fraction["Na"] * r.channel_counts["Na"]
    np.testing.assert_allclose(n_open, np.round(n_open), atol=1e-9)
    df = r.to_dataframe()
    assert {"g_na_mS_cm2", "i_k_uA_cm2", "m", "n"} <= set(df.columns)
    r.save(tmp_path / "noisy.csv")
    assert r.summary()["channel_counts"] == {"Na": 1200, "K": 360}


def test_noise_none_is_the_deterministic_run():
    a = hhsim.simulate("hh", STIM, t_stop=20.0, method="rk4")
    b = hhsim.simulate("hh", STIM, t_stop=20.0, method="rk4", noise="none")
    np.testing.assert_array_equal(a.v, b.v)
