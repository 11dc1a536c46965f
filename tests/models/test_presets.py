"""Every preset reproduces its paper's qualitative signature (the figure each test checks is named).

f-I onsets are measured on a batch of neurons (one per current) run through
the compiled kernel: "onset" is the smallest current on the grid that gives
sustained firing (spikes in the last quarter of the window), and its rate
is 1000 / (mean of the last three inter-spike intervals).
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.engine.batch import make_grid, run_batch
from hhsim.physics.structure import lower


def onset(name: str, lo: float, hi: float, n: int = 41, t_stop: float = 2000.0):
    """(current, rate in Hz) at the onset of sustained firing on a grid lo..hi µA/cm²."""
    model = hhsim.models.get(name)
    amps = np.linspace(lo, hi, n)
    out = run_batch(lower([model] * n), [hhsim.stim.step(1.0)], make_grid(t_stop, 0.025), "rk4",
                    scale=amps, record_every=0)
    for a, s in zip(amps, out.spike_times):
        if len(s) >= 4 and s[-1] > 0.75 * t_stop:
            return float(a), float(1000.0 / np.mean(np.diff(s[-4:])))
    pytest.fail(f"{name}: no sustained firing between {lo} and {hi} µA/cm²")


# ------------------------------------------------------------- type I / type II
def test_wang_buzsaki_type_I():
    """Wang & Buzsáki 1996, Fig. 1C: the f-I curve starts at a low rate (rheobase ~0.16 µA/cm²)."""
    current, rate = onset("wang_buzsaki", 0.0, 0.5, t_stop=3000.0)
    assert 0.1 < current < 0.25
    assert 0 < rate < 10.0


def test_connor_stevens_type_I():
    """Dayan & Abbott 2001, Fig. 6.2A: with the A-current the rate rises continuously from zero."""
    current, rate = onset("connor_stevens", 6.0, 10.0, t_stop=3000.0)
    assert 0 < rate < 10.0


def test_hh_type_II():
    """Type II onset of the squid axon (Börgers 2017, ch. 14; Hodgkin's class II):
    repetitive firing appears at about 50 Hz at 6.3 °C, never lower."""
    current, rate = onset("hh", 4.0, 10.0, n=25, t_stop=1000.0)
    assert 5.5 < current < 7.5
    assert rate > 40.0


def test_erisir_type_II():
    """Börgers 2017, ch. 14: the Erisir interneuron is of bifurcation type 2 (firing starts at a high rate)."""
    current, rate = onset("erisir", 5.0, 8.0, n=31, t_stop=1000.0)
    assert rate > 25.0


# ------------------------------------------------------------- adaptation
def _isis(name, amp, dur=500.0):
    r = hhsim.simulate(name, hhsim.stim.step(amp, start=100.0, dur=dur), t_stop=100.0 + dur + 50.0)
    return np.diff(r.spike_times)


@pytest.mark.parametrize("amp", [1.5, 2.0, 3.0])
def test_pospischil_rs_adapts(amp):
    """Pospischil et al. 2008, Fig. 1c (RS cell, 500 ms step): the last ISI is >= 1.5x the first."""
    isi = _isis("pospischil_rs", amp)
    assert len(isi) >= 5
    assert isi[-1] >= 1.5 * isi[0]


@pytest.mark.parametrize("amp", [4.0, 6.0, 8.0])
def test_pospischil_fs_barely_adapts(amp):
    """Pospischil et al. 2008, Fig. 1 (FS cell): sustained firing with little adaptation."""
    isi = _isis("pospischil_fs", amp)
    assert len(isi) >= 20
    assert isi[-1] <= 1.1 * isi[0]


# ------------------------------------------------------------- bursts
def test_pospischil_ib_initial_burst():
    """Pospischil et al. 2008, Fig. 5b (IB cell, 0.15 nA into 29000 µm² = 0.517 µA/cm²):
    an initial burst of >= 3 spikes at short intervals, then a long pause / slow firing."""
    r = hhsim.simulate("pospischil_ib", hhsim.stim.step(0.517, start=100.0, dur=1500.0), t_stop=1700.0)
    isi = np.diff(r.spike_times)
    assert len(isi) >= 3
    assert np.all(isi[:2] < 20.0)  # the burst
    assert np.max(isi[2:]) > 5 * isi[0]  # then the cell slows down
    assert r.states["Ca_i"].max() > 2 * r.states["Ca_i"][0]  # calcium enters during the burst


def _rebound(name, amp, t_hyper=(100.0, 1000.0)):
    start, dur = t_hyper
    r = hhsim.simulate(name, hhsim.stim.step(amp, start=start, dur=dur), t_stop=start + dur + 300.0)
    release = start + dur
    during = r.spike_times[(r.spike_times > start + 200) & (r.spike_times < release)]
    after = r.spike_times[(r.spike_times > release) & (r.spike_times < release + 100.0)]
    v_hold = float(np.mean(r.v[(r.t > release - 50) & (r.t < release)]))
    return r, during, after, v_hold


def test_pospischil_lts_rebound_burst():
    """Pospischil et al. 2008, Fig. 8a (LTS cell): after release from hyperpolarisation the
    T-current gives a rebound burst of at least two spikes."""
    r, during, after, v_hold = _rebound("pospischil_lts", -0.75)
    assert v_hold < -80.0
    assert len(during) == 0
    assert len(after) >= 2
    assert np.all(np.diff(after[:2]) < 20.0)
    assert "Ca_i" in r.states and r.states["Ca_i"].max() > 1.5 * r.model.concentration["Ca_in"]


def test_pospischil_lts_no_rebound_without_t_current():
    """The rebound needs the T-current: with gCaT = 0 there is none."""
    model = hhsim.models.get("pospischil_lts").with_params(gCaT=0.0)
    r = hhsim.simulate(model, hhsim.stim.step(-0.75, start=100.0, dur=1000.0), t_stop=1400.0)
    assert np.sum(r.spike_times > 1100.0) == 0


def test_destexhe_tc_rebound_burst():
    """Destexhe et al. 1996 (TC cell, after Jahnsen & Llinás 1984): release from
    hyperpolarisation gives a low-threshold spike crowned by >= 2 fast spikes."""
    r, during, after, v_hold = _rebound("destexhe_tc", -0.5)
    assert v_hold < -78.0
    assert len(during) == 0
    assert len(after) >= 2
    assert after[1] - after[0] < 20.0
    # the calcium entry of the burst is seen by the pool
    assert r.states["Ca_i"].max() > 3 * r.model.concentration["Ca_in"]
    model = hhsim.models.get("destexhe_tc").with_params(pCaT=0.0)
    r0 = hhsim.simulate(model, hhsim.stim.step(-0.5, start=100.0, dur=1000.0), t_stop=1400.0)
    assert np.sum((r0.spike_times > 1100.0) & (r0.spike_times < 1200.0)) < 2
