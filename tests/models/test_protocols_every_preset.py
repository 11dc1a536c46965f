"""Every protocol runs on every preset (issue 4: "each runnable with every protocol").

"Runs" means: it either returns finite, physically ordered numbers, or it
refuses with a :class:`BracketError` whose reason is the model's physiology
(a pacemaker has no threshold; a cell without a rebound current has no
anode-break excitation).  It never diverges, overflows or hangs: the
calcium and A-current presets have rates fast enough at extreme voltages to
make fixed-step RK4 at 0.025 ms blow up, which the default adaptive method
and the exponential-Euler clamp must survive.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import hhsim
from hhsim import analysis
from hhsim.analysis import BracketError

PRESETS = hhsim.models.names()
PACEMAKERS = {"traub_miles"}  # fires ~14 Hz with no input (COBAHH's neuron)
# presets with a rebound spike after release from a 30 mV hyperpolarisation (and the step length it needs)
ANODE_BREAK = {"hh": 20.0, "hh1952": 20.0, "destexhe_tc": 20.0, "pospischil_lts": 100.0}
# adaptation (M-current, slow K) keeps the threshold more than 5% up beyond 40 ms
SLOW_RECOVERY = {"wang_buzsaki", "pospischil_rs", "pospischil_lts"}


@pytest.fixture(autouse=True)
def _overflow_is_an_error():
    """An overflow anywhere in the post-processing means the integration went wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def _models():
    return [pytest.param(name, id=name) for name in PRESETS]


@pytest.mark.parametrize("name", _models())
def test_thresholds_order_on_every_preset(name):
    """Rheobase (200 ms) < 1 ms pulse threshold, and thresholds fall as pulses lengthen."""
    if name in PACEMAKERS:
        for run in (lambda: analysis.rheobase(name), lambda: analysis.threshold(name)):
            with pytest.raises(BracketError, match="already fires"):
                run()
        return
    rheo = analysis.rheobase(name).threshold_uA_cm2
    pulse = analysis.threshold(name).threshold_uA_cm2
    assert np.isfinite(rheo) and np.isfinite(pulse)
    assert 0 < rheo < pulse
    sd = analysis.strength_duration(name, durations=[0.1, 1.0, 10.0])
    th = sd.thresholds_uA_cm2
    assert np.all(np.isfinite(th)) and np.all(np.diff(th) < 0)
    assert th[-1] >= rheo * (1 - 2e-3)  # no pulse fires below rheobase (within the search precision)


@pytest.mark.parametrize("name", _models())
def test_anode_break_on_every_preset(name):
    """Rebound-capable presets give a finite threshold; the others say that none was found."""
    if name in PACEMAKERS:
        with pytest.raises(BracketError, match="already fires"):
            analysis.anode_break(name)
        return
    if name in ANODE_BREAK:
        r = analysis.anode_break(name, dur=ANODE_BREAK[name])
        i_max = analysis.excitability.default_anode_i_max(r.model)
        assert 0 < r.threshold_uA_cm2 < i_max
        # the spike comes after the release, not during the hyperpolarisation
        release = r.delay_ms + r.pulse_dur_ms
        assert r.spike_times_above_ms.size and r.spike_times_above_ms.min() > release
        return
    with pytest.raises(BracketError, match="no spike even at the largest amplitude"):
        analysis.anode_break(name)


def test_t_current_rebound_needs_a_long_step():
    """The LTS rebound rides on T-type de-inactivation (tens of ms): 20 ms steps are too short."""
    with pytest.raises(BracketError, match="lengthen --dur"):
        analysis.anode_break("pospischil_lts", dur=20.0)


@pytest.mark.parametrize("name", _models())
def test_refractory_on_every_preset(name):
    if name in PACEMAKERS:
        with pytest.raises(BracketError, match="already fires"):
            analysis.refractory(name)
        return
    if name in SLOW_RECOVERY:
        with pytest.raises(BracketError, match="raise --max-interval"):
            analysis.refractory(name)
        return
    r = analysis.refractory(name)
    assert r.absolute_ms is not None and r.relative_ms is not None
    assert 0 < r.absolute_ms < r.relative_ms <= 40.0
    # the curve: at least the 20x test pulse is needed early, ~T1 late
    ratio = r.threshold_ratio[np.isfinite(r.threshold_ratio)]
    assert ratio.size and ratio[-1] < 1.05 + 1e-3


@pytest.mark.parametrize("name", _models())
def test_fi_curve_on_every_preset(name):
    """Rates are finite and non-negative; from rest the rate at 20 µA/cm² is above the rate at 0."""
    r = analysis.fi_curve(name, 0.0, 20.0, 5, dur=300.0)
    for rates in (r.rates_hz, r.rates_up_hz, r.rates_down_hz):
        assert np.all(np.isfinite(rates)) and np.all(rates >= 0)
    assert r.rates_hz[-1] > r.rates_hz[0] or name in PACEMAKERS


@pytest.mark.parametrize("name", _models())
def test_vclamp_on_every_preset(name):
    """Currents are finite and every conductance stays within [0, gbar] (gates within [0, 1])."""
    r = analysis.vclamp(name)
    gbar = {ch.name: ch.gbar for ch in r.model.channels}
    for ch in r.model.channels:
        assert np.all(np.isfinite(r.currents[ch.name])), ch.name
        if getattr(ch, "reversal", "fixed") == "ghk":
            continue
        g = r.conductances[ch.name]
        assert np.all(g >= -1e-12) and np.all(g <= gbar[ch.name] * (1 + 1e-9)), ch.name
    assert np.all(np.isfinite(r.peak_inward_uA_cm2))


def test_runaway_membrane_stops_with_a_clear_error():
    """-10 µA/cm² drives the low-leak LTS cell towards -1 V, where its rates exceed 1e6 /ms:
    the adaptive solver stops there (instead of crawling for minutes) and says why."""
    with pytest.raises(hhsim.errors.DivergenceError, match="could not continue at t = .* rates became too fast"):
        hhsim.simulate("pospischil_lts", hhsim.stim.step(-10.0, start=5.0, dur=100.0), t_stop=110.0)


def test_protocols_accept_every_compiled_method():
    """An explicit fixed-step method still runs (and agrees with the default to the search precision)."""
    default = analysis.rheobase("hh").threshold_uA_cm2
    for method in ("rk4", "expeuler"):
        dt = 0.01 if method == "rk4" else 0.002
        th = analysis.rheobase("hh", method=method, dt=dt).threshold_uA_cm2
        assert th == pytest.approx(default, rel=3e-3)
