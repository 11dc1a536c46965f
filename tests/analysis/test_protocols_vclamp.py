"""Voltage clamp of ``hh`` against closed forms: under an ideal clamp every gate relaxes
exponentially, x(t) = x_inf + (x0 - x_inf) exp(-t / tau_x), so currents, peaks, tails and
the prepulse (inactivation) protocol have exact expressions (``helpers.ref_hh.clamp_currents``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from helpers import ref_hh as ref
from hhsim import analysis
from hhsim.analysis import ProtocolError

STEPS = np.arange(-100.0, 60.0 + 1e-9, 20.0)
DUR = 30.0


@pytest.fixture(scope="module")
def vc():
    return analysis.vclamp("hh", STEPS, dur=DUR, prepulses=np.arange(-120.0, -20.0 + 1e-9, 10.0))


def test_hold_is_the_resting_potential(vc):
    assert vc.hold_mV == pytest.approx(ref.resting_potential(), abs=1e-8)


def test_peak_sodium_current_at_0_mV_matches_closed_form():
    vc = analysis.vclamp("hh", [0.0], prepulses=[])
    want = ref.peak_na(ref.resting_potential(), 0.0)
    assert want < -1000  # a large inward current: m^3 rises before h falls
    assert vc.peak_currents["Na"][0] == pytest.approx(want, rel=1e-4)
    assert vc.to_dict()["peak_Na_uA_cm2"][0] == pytest.approx(want, rel=1e-4)


def test_sodium_peaks_at_every_step_match_closed_form(vc):
    rest = ref.resting_potential()
    for k, v in enumerate(STEPS):
        want = ref.peak_na(rest, v)
        assert vc.peak_currents["Na"][k] == pytest.approx(want, rel=2e-4, abs=1e-3)


def test_steady_state_and_tail_currents_match_closed_form(vc):
    rest = ref.resting_potential()
    for k, v in enumerate(STEPS):
        ina, ik, il = ref.clamp_currents(rest, v, DUR)
        assert vc.steady_state_uA_cm2[k] == pytest.approx(ina + ik + il, rel=1e-5, abs=1e-4)
        m, h, n = ref.gates_after(rest, v, DUR)
        tail = (ref.G_NA * m**3 * h * (rest - ref.E_NA) + ref.G_K * n**4 * (rest - ref.E_K)
                + ref.G_L * (rest - ref.E_L))
        assert vc.tail_uA_cm2[k] == pytest.approx(tail, rel=1e-5, abs=1e-4)


def test_hodgkin_huxley_separation_shape(vc):
    """Early transient inward I_Na that reverses at E_Na; late sustained outward I_K."""
    na, k = vc.peak_currents["Na"], vc.peak_currents["K"]
    v = STEPS
    assert np.all(na[(v >= -40) & (v <= 40)] < -100)
    assert na[v == 60][0] > 0  # above E_Na = 50 mV the early current is outward
    assert np.all(np.diff(vc.steady_state_uA_cm2[v >= -60]) > 0)
    assert np.all(k[v >= -40] > 0)
    # the peak inward current is the transient, the steady state is outward
    assert np.all(vc.peak_inward_uA_cm2[(v >= -40) & (v <= 40)] < 0)
    assert np.all(vc.steady_state_uA_cm2[v >= -40] > 0)


def test_activation_curves_are_the_gates_steady_states(vc):
    for k, v in enumerate(STEPS):
        (m, h, n), _ = ref.steady(v)
        assert vc.activation["Na"][k] == pytest.approx(m**3, abs=1e-12)
        assert vc.activation["K"][k] == pytest.approx(n**4, abs=1e-12)
    half = brentq(lambda v: ref.steady(v)[0][0] ** 3 - 0.5, -60, 20)
    assert vc.activation_fits["Na"].v_half_mV == pytest.approx(half, abs=3.0)
    assert vc.activation_fits["Na"].slope_mV > 0


def test_inactivation_prepulse_protocol_matches_closed_form(vc):
    rest = ref.resting_potential()
    pre = vc.inactivation_prepulses_mV
    peaks = []
    for vp in pre:
        start = ref.gates_after(rest, vp, 50.0)  # after the 50 ms prepulse
        peaks.append(abs(ref.peak_na(vp, 0.0, start=start)))
    want = np.array(peaks) / max(peaks)
    assert vc.inactivation["Na"] == pytest.approx(want, abs=2e-4)
    # close to h_inf itself (HH's protocol): the half point near -62 mV, slope negative
    fit = vc.inactivation_fits["Na"]
    half = brentq(lambda v: ref.steady(v)[0][1] - 0.5, -90, -40)
    assert fit.v_half_mV == pytest.approx(half, abs=1.5)
    assert fit.slope_mV < 0


def test_series_resistance_steady_state_error():
    """With R_s the membrane settles where (V_cmd - V_m) / R_s equals the steady-state ionic current."""
    rs = 10.0  # Ω·cm²
    r = analysis.vclamp("hh", [-80.0, -50.0], dur=100.0, series_resistance=rs, prepulses=[])
    end = int(round((r.pre_ms + r.dur_ms) / r.dt_ms))
    for k, vcmd in enumerate((-80.0, -50.0)):
        v_ref = brentq(lambda v: (vcmd - v) / (rs / 1000.0) - ref.i_ion_ss(v), vcmd - 20, vcmd + 20, xtol=1e-12)
        assert r.v_m_mV[k, end] == pytest.approx(v_ref, abs=2e-3)
        assert r.i_clamp_uA_cm2[k, end] == pytest.approx(ref.i_ion_ss(v_ref), rel=1e-3, abs=1e-3)
    d = r.to_dict()
    assert d["clamp"] == "series-resistance" and d["series_resistance_ohm_cm2"] == rs
    assert len(d["v_error_mV"]) == 2


def test_json_keys(vc):
    d = vc.to_dict()
    for key in ("steps_mV", "peak_inward_uA_cm2", "steady_state_uA_cm2", "peak_currents_uA_cm2",
                "tail_uA_cm2", "activation", "inactivation", "hold_mV"):
        assert key in d
    assert set(d["peak_currents_uA_cm2"]) == {"Na", "K", "L"}
    assert d["steps_mV"] == list(STEPS)


@pytest.mark.parametrize("kw", [dict(steps=[]), dict(dur=0.0), dict(series_resistance=-1.0),
                                dict(gain=100.0), dict(hold=float("inf"))])
def test_bad_settings(kw):
    args = {"steps": [0.0], **kw}
    with pytest.raises(ProtocolError):
        analysis.vclamp("hh", **args)
