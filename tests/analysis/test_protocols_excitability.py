"""Rheobase, pulse threshold, strength-duration and anode break of ``hh`` at 6.3 °C,
against an independent solve_ivp reference (``helpers.ref_hh``) bisected in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import ref_hh as ref
from helpers.ref_hh import DELAY, pulse_fires
from hhsim import analysis
from hhsim.analysis import BracketError, ProtocolError


@pytest.fixture(scope="module")
def rheobase():
    return analysis.rheobase("hh")


def test_rheobase_matches_reference(rheobase, ref_rheobase):
    # the code brackets the threshold to 1e-3 relative and reports the midpoint
    assert rheobase.threshold_uA_cm2 == pytest.approx(ref_rheobase, rel=1e-3)
    lo, hi = rheobase.bracket_uA_cm2
    assert (hi - lo) <= 1e-3 * hi
    # the reference agrees on both ends of the code's bracket (away from the edge by its own precision)
    assert not pulse_fires(lo * (1 - 3e-4), 200.0, 20.0)
    assert pulse_fires(hi * (1 + 3e-4), 200.0, 20.0)


def test_rheobase_traces_straddle_threshold(rheobase):
    assert np.max(rheobase.v_below_mV) < 0.0 <= np.max(rheobase.v_above_mV)
    assert rheobase.spike_times_above_ms.size >= 1
    d = rheobase.to_dict()
    assert d["rheobase_uA_cm2"] == pytest.approx(rheobase.threshold_uA_cm2)
    assert d["step_dur_ms"] == 200.0


def test_one_ms_threshold_matches_reference(ref_threshold_1ms):
    r = analysis.threshold("hh", 1.0)
    assert r.threshold_uA_cm2 == pytest.approx(ref_threshold_1ms, rel=1e-3)
    # a brief pulse needs more current than a long step
    assert r.threshold_uA_cm2 > 2.5


def test_reference_threshold_is_converged(ref_threshold_1ms):
    """The reference's fire/no-fire verdicts do not change when its tolerance is tightened 100-fold."""
    for amp, fires in ((ref_threshold_1ms * (1 - 5e-4), False), (ref_threshold_1ms * (1 + 5e-4), True)):
        pieces = [(0.0, DELAY, 0.0), (DELAY, DELAY + 1.0, amp), (DELAY + 1.0, DELAY + 31.0, 0.0)]
        assert (ref.count_spikes(pieces, rtol=1e-11) >= 1) == fires


def test_pulse_not_on_the_grid_is_exact():
    """0.33 ms is not a multiple of 0.025 ms: the step is shortened so the edges stay on the grid."""
    r = analysis.threshold("hh", 0.33)
    assert abs(0.33 / r.dt_ms - round(0.33 / r.dt_ms)) < 1e-9
    want = ref.bisect(lambda a: pulse_fires(a, 0.33, 30.0), 5.0, 50.0)
    # the delay was snapped to the new grid too (within one step of 5 ms): irrelevant from rest
    assert r.threshold_uA_cm2 == pytest.approx(want, rel=1.5e-3)


@pytest.fixture(scope="module")
def sd():
    return analysis.strength_duration("hh", durations=[0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0])


def test_strength_duration_points_match_reference(sd, ref_threshold_1ms, ref_rheobase):
    d = list(sd.durations_ms)
    assert sd.thresholds_uA_cm2[d.index(1.0)] == pytest.approx(ref_threshold_1ms, rel=1.5e-3)
    for dur in (0.2, 5.0):
        want = ref.bisect(lambda a: pulse_fires(a, dur, 30.0), 1.0, 100.0)
        assert sd.thresholds_uA_cm2[d.index(dur)] == pytest.approx(want, rel=1.5e-3)
    # long pulses reach the rheobase of the 200 ms step (the spike comes early)
    assert sd.thresholds_uA_cm2[-1] == pytest.approx(ref_rheobase, rel=1.5e-3)
    assert np.all(np.diff(sd.thresholds_uA_cm2) <= 1e-9 * sd.thresholds_uA_cm2[:-1])


def test_strength_duration_json_and_measured_chronaxie(sd):
    out = sd.to_dict()
    assert out["law"] == "lapicque"
    assert out["rheobase_uA_cm2"] == pytest.approx(sd.fits["lapicque"].rheobase_uA_cm2)
    assert [p[0] for p in out["points"]] == pytest.approx(list(sd.durations_ms))
    # measured chronaxie: the threshold there is twice the measured rheobase (log-log interpolation)
    c = sd.measured_chronaxie_ms
    i = np.exp(np.interp(np.log(c), np.log(sd.durations_ms), np.log(sd.thresholds_uA_cm2)))
    assert i == pytest.approx(2 * sd.measured_rheobase_uA_cm2, rel=1e-9)
    assert 0.5 < c < 5.0


@pytest.mark.parametrize("rh, c", [(2.0, 1.5), (10.0, 0.3)])
def test_law_fits_recover_exact_laws(rh, c):
    d = np.geomspace(0.05, 50, 12)
    weiss = analysis.fit_weiss(d, rh * (1 + c / d))
    assert weiss.rheobase_uA_cm2 == pytest.approx(rh, rel=1e-10)
    assert weiss.chronaxie_ms == pytest.approx(c, rel=1e-10)
    tau = c / math.log(2)
    lap = analysis.fit_lapicque(d, rh / -np.expm1(-d / tau))
    assert lap.rheobase_uA_cm2 == pytest.approx(rh, rel=1e-6)
    assert lap.chronaxie_ms == pytest.approx(c, rel=1e-6)
    assert lap.rms_relative_residual < 1e-6


def test_anode_break_matches_reference():
    r = analysis.anode_break("hh", 20.0)

    def rebound(amp):
        pieces = [(0.0, DELAY, 0.0), (DELAY, DELAY + 20.0, -amp), (DELAY + 20.0, DELAY + 60.0, 0.0)]
        return ref.count_spikes(pieces) >= 1

    want = ref.bisect(rebound, 1.0, 5.0)
    assert r.threshold_uA_cm2 == pytest.approx(want, rel=1e-3)
    assert r.to_dict()["injected_uA_cm2"] == pytest.approx(-r.threshold_uA_cm2)
    # the rebound spike comes after the release
    assert r.spike_times_above_ms.min() > DELAY + 20.0


def test_bracket_without_threshold_names_largest_amplitude():
    with pytest.raises(BracketError, match=r"largest amplitude tried, 1 µA/cm²"):
        analysis.rheobase("hh", i_max=1.0)


@pytest.mark.parametrize("call", [
    lambda: analysis.rheobase("hh", dur=0),
    lambda: analysis.threshold("hh", pulse_dur=-1),
    lambda: analysis.strength_duration("hh", d_min=5, d_max=1),
    lambda: analysis.strength_duration("hh", d_min=1, d_max=1),
    lambda: analysis.anode_break("hh", dur=float("nan")),
])
def test_bad_settings_raise_protocol_errors(call):
    with pytest.raises(ProtocolError):
        call()
