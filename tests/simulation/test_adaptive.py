"""The default method, compiled Dormand-Prince 5(4): accuracy against an independent reference.

The reference is the textbook HH system (``helpers.hh_textbook``) integrated with
scipy's DOP853 at rtol = atol = 1e-11, piecewise between the stimulus edges
so that no step straddles a jump, with event location of 0 mV crossings.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import hhsim
from hhsim import stim
from hhsim.engine.solvers import DEFAULT_METHOD

from helpers import hh_textbook as tb


def reference_spikes(stimulus, t_stop, tol=1e-11):
    """Upward 0 mV crossings (ms) of the textbook model under ``stimulus``."""
    y = tb.resting_state()
    edges = sorted({0.0, t_stop, *[b for b in stimulus.breakpoints() if 0 < b < t_stop]})
    spikes = []
    for a, b in zip(edges[:-1], edges[1:]):
        mid = 0.5 * (a + b)
        pieces_are_constant = isinstance(stimulus, (stim.Step, stim.Pulses))

        def current(t, a=a, b=b, mid=mid):
            # inside (a, b) the current has no jump; evaluate it away from the edges
            return float(stimulus.value(mid if pieces_are_constant else min(max(t, a), b), left=t >= b))

        def crossing(t, yy, *_):
            return yy[0]

        crossing.direction = 1.0
        sol = solve_ivp(tb.rhs, (a, b), y, method="DOP853", rtol=tol, atol=tol, events=crossing,
                        args=(current,))
        assert sol.success
        spikes += sol.t_events[0].tolist()
        y = sol.y[:, -1]
    return np.array(spikes)


def test_default_method_is_the_adaptive_one():
    assert DEFAULT_METHOD == "dopri5"
    assert hhsim.simulate("hh", None, t_stop=1.0).method == "dopri5"


STIMULI = {
    "step on the grid": stim.step(10.0, start=5.0, dur=30.0),
    "step off the grid": stim.step(10.0, start=5.01, dur=15.003),
    "pulse train off the grid": stim.pulses(30.0, dur=0.5, start=2.003, period=7.31, count=4),
    "sine plus offset": stim.sine(10.0, freq=60.0) + stim.step(3.0),
    "ramp": stim.ramp(dur=40.0, amp1=20.0, start=1.0),
}


@pytest.mark.parametrize("name", list(STIMULI))
def test_spike_times_within_1e4_ms_for_any_stimulus_shape(name):
    s = STIMULI[name]
    ref = reference_spikes(s, 45.0)
    got = hhsim.simulate("hh", s, t_stop=45.0).spike_times
    assert len(ref) >= 1 and len(got) == len(ref)
    assert np.max(np.abs(got - ref)) < 1e-4


def test_error_shrinks_with_the_tolerance():
    s = stim.step(10.0)
    ref = reference_spikes(s, 100.0)
    errors = [np.max(np.abs(hhsim.simulate("hh", s, t_stop=100.0, rtol=tol, atol=tol).spike_times - ref))
              for tol in (1e-5, 1e-7, 1e-9)]
    # a fifth-order method: two decades of tolerance buy at least one decade of accuracy
    assert errors[1] < errors[0] / 10 and errors[2] < errors[1] / 10


def test_recorded_trace_matches_the_reference_on_the_output_grid():
    s = stim.step(10.0, start=2.0, dur=20.0)
    r = hhsim.simulate("hh", s, t_stop=30.0)
    assert r.t[1] - r.t[0] == pytest.approx(0.025)
    sol = solve_ivp(tb.rhs, (0.0, 30.0), tb.resting_state(), method="DOP853", rtol=1e-11, atol=1e-11,
                    t_eval=r.t, args=(lambda t: 10.0 if 2.0 <= t < 22.0 else 0.0,), max_step=0.01)
    # interpolated output of an error-controlled run: well below a tenth of a millivolt
    assert np.max(np.abs(r.v - sol.y[0])) < 0.05
    for j, name in enumerate("mhn", start=1):
        assert np.max(np.abs(r.states[name] - sol.y[j])) < 1e-3


def test_batch_of_adaptive_neurons_equals_single_runs():
    from hhsim.engine.batch import make_grid, run_batch
    from hhsim.physics.structure import lower

    hh = hhsim.models.get("hh")
    models = [hh, hh.with_params(gNa=100), hh.with_params(temperature=10)]
    s = stim.step(1.0, start=1.0, dur=20.0)
    scale = np.array([10.0, 12.0, 8.0])
    out = run_batch(lower(models), [s], make_grid(30.0, 0.025), "dopri5", scale=scale)
    for c, m in enumerate(models):
        single = hhsim.simulate(m, stim.step(scale[c], start=1.0, dur=20.0), t_stop=30.0)
        np.testing.assert_allclose(out.v[:, c], single.v, atol=1e-12)
        np.testing.assert_allclose(out.spike_times[c], single.spike_times, atol=1e-12)
