"""Spike times of the default simulation against an independent tight reference.

``hh`` driven by 10 µA/cm² from t = 0 for 200 ms with the default method and
dt; the reference is scipy's DOP853 at rtol = atol = 1e-10 on the textbook
equations, started at the resting state found here as the root of the
steady-state I-V curve, with an event function for upward 0 mV crossings.
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim import stim

from helpers import hh_textbook as tb

AMP = 10.0
T_STOP = 200.0


@pytest.fixture(scope="module")
def reference_spikes():
    sol = tb.solve(lambda t: AMP, T_STOP, tb.resting_state(), 1e-10, t_eval=[], threshold=0.0)
    return np.asarray(sol.t_events[0])


@pytest.fixture(scope="module")
def default_run():
    return hhsim.simulate("hh", stim.step(AMP), t_stop=T_STOP)


def test_reference_is_converged():
    """Tightening the reference changes no spike by more than 1e-6 ms."""
    a = tb.solve(lambda t: AMP, 60.0, tb.resting_state(), 1e-10, t_eval=[], threshold=0.0).t_events[0]
    b = tb.solve(lambda t: AMP, 60.0, tb.resting_state(), 1e-12, t_eval=[], threshold=0.0).t_events[0]
    assert len(a) == len(b) >= 3
    assert np.max(np.abs(a - b)) < 1e-6


def test_default_run_starts_at_rest(default_run):
    assert default_run.v[0] == pytest.approx(tb.resting_potential(), abs=1e-9)
    assert default_run.v_rest == pytest.approx(tb.resting_potential(), abs=1e-9)


def test_spike_count(default_run, reference_spikes):
    assert len(reference_spikes) >= 10  # tonic firing at ~68 Hz
    assert default_run.n_spikes == len(reference_spikes)


def test_spike_times(default_run, reference_spikes):
    assert default_run.n_spikes == len(reference_spikes)
    err = np.max(np.abs(default_run.spike_times - reference_spikes))
    assert err < 0.01
    assert err < 1e-4, f"max spike time error {err:.3g} ms"
