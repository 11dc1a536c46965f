"""Invariants: gates stay in [0, 1]; compiled kernels == NumPy path; batch == singles;
the adaptive method agrees with a tight fixed-step run."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.engine.batch import make_grid, run_batch
from hhsim.physics.structure import lower
from hhsim.engine.numpy_path import run_numpy
from hhsim.engine.solvers import ADAPTIVE, FIXED_STEP

STIMULI = {
    "step10": stim.step(10.0, start=5.0, dur=60.0),
    "noise": stim.noise(std=8.0, mean=6.0, tau=2.0, seed=7, dur=100.0),
    "sine": stim.sine(15.0, freq=40.0),
    "strong_step": stim.step(100.0),
}


@pytest.mark.parametrize("method", [None, *FIXED_STEP, *ADAPTIVE])
@pytest.mark.parametrize("which", list(STIMULI))
def test_gates_within_unit_interval(which, method):
    r = hhsim.simulate("hh", STIMULI[which], t_stop=100.0, method=method)
    assert np.all(np.isfinite(r.v))
    for name, x in r.states.items():
        assert np.all(np.isfinite(x)), name
        assert x.min() >= 0.0 and x.max() <= 1.0, (name, x.min(), x.max())
    if which != "sine":
        assert r.n_spikes >= 1  # the stimuli do drive the neuron


# ------------------------------------------------------- compiled vs NumPy
GNA = [100.0, 120.0, 140.0]
SCALES = [0.5, 1.0, 1.5]


def _plan():
    hh = hhsim.models.get("hh")
    return lower([hh.with_params(gNa=g) for g in GNA])


@pytest.mark.parametrize("method", list(FIXED_STEP))
def test_compiled_matches_numpy(method):
    plan = _plan()
    stimuli = [stim.step(10.0, start=2.0, dur=10.0), stim.sine(6.0, freq=100.0, offset=4.0)]
    wave = np.array([0, 1, 0])
    grid = make_grid(20.0, 0.01)
    out = run_batch(plan, stimuli, grid, method, wave=wave, scale=np.array(SCALES))
    t, v, y = run_numpy(plan, stimuli, grid, method, wave=wave, scale=np.array(SCALES))
    np.testing.assert_array_equal(out.t, t)
    assert out.v.max() > 20.0  # at least one neuron spiked: the nonlinear part is exercised
    assert np.max(np.abs(out.v - v)) < 1e-9
    assert np.max(np.abs(out.y - y)) < 1e-9


@pytest.mark.parametrize("method", list(FIXED_STEP))
def test_compiled_matches_numpy_clamped(method):
    plan = _plan()
    stimuli = [stim.step(-65.0, dur=2.0) + stim.step(10.0, start=2.0)]
    grid = make_grid(8.0, 0.01)
    out = run_batch(plan, stimuli, grid, method, clamp=True)
    t, v, y = run_numpy(plan, stimuli, grid, method, clamp=True)
    assert np.max(np.abs(out.v - v)) < 1e-9
    assert np.max(np.abs(out.y - y)) < 1e-9


# ------------------------------------------------------- batch vs singles
@pytest.mark.parametrize("method", list(FIXED_STEP))
def test_batch_equals_single_runs(method):
    hh = hhsim.models.get("hh")
    models = [hh.with_params(gNa=g) for g in GNA]
    base = stim.step(10.0, start=2.0, dur=15.0)
    dt = FIXED_STEP[method].default_dt
    grid = make_grid(25.0, dt)
    out = run_batch(lower(models), [base], grid, method, scale=np.array(SCALES))
    for c, (m, s) in enumerate(zip(models, SCALES)):
        single = hhsim.simulate(m, stim.step(10.0 * s, start=2.0, dur=15.0), t_stop=25.0, dt=dt, method=method)
        np.testing.assert_allclose(out.v[:, c], single.v, rtol=0, atol=1e-12)
        for j, name in enumerate(m.state_names):
            np.testing.assert_allclose(out.y[:, j, c], single.states[name], rtol=0, atol=1e-12)
        np.testing.assert_allclose(out.spike_times[c], single.spike_times, rtol=0, atol=1e-12)
    # the neurons really differ
    assert np.max(np.abs(out.v[:, 0] - out.v[:, 2])) > 1.0


# ------------------------------------------------------- adaptive
def test_lsoda_agrees_with_tight_rk4():
    s = stim.step(10.0, start=5.0)
    ad = hhsim.simulate("hh", s, t_stop=100.0, method="lsoda")
    rk = hhsim.simulate("hh", s, t_stop=100.0, method="rk4", dt=0.005)
    assert rk.n_spikes >= 5
    assert ad.n_spikes == rk.n_spikes
    assert np.max(np.abs(ad.spike_times - rk.spike_times)) < 1e-3
