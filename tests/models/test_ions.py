"""Ion concentrations: Nernst and GHK against hand computation, K_out and rest, the calcium pool."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.channels import Channel, IonPool
from hhsim.channels.ions import ghk_factor, nernst
from hhsim.engine.batch import make_grid, run_batch
from hhsim.physics.structure import lower

# CODATA 2018 constants, typed here (not taken from hhsim)
R, F = 8.314462618, 96485.33212


def test_nernst_hand_values():
    # K+: 4 mM out, 140 mM in, 37 °C.  RT/F = 8.314462618 * 310.15 / 96485.33212 = 26.7267 mV; E = 26.7267 ln(4/140) = -95.023 mV
    assert 1e3 * R * 310.15 / F == pytest.approx(26.72666, abs=1e-5)
    assert float(nernst(4.0, 140.0, 1, 37.0)) == pytest.approx(-95.0226, abs=1e-4)
    # Na+: 145 out, 12 in, 37 °C: 26.7267 ln(145/12) = +66.598 mV;  Ca2+: 2 mM out, 1e-4 mM in, 36 °C: +131.9 mV
    assert float(nernst(145.0, 12.0, 1, 37.0)) == pytest.approx(66.5982, abs=1e-4)
    assert float(nernst(2.0, 1e-4, 2, 36.0)) == pytest.approx(1e3 * R * 309.15 / (2 * F) * math.log(2e4), rel=1e-13)
    assert float(nernst(2.0, 2.4e-4, 2, 36.0)) == pytest.approx(120.25, abs=0.01)  # Destexhe's "eca = 120 mV"
    # Cl- (z = -1): 110 out, 4 in, 37 °C: -88.6 mV
    assert float(nernst(110.0, 4.0, -1, 37.0)) == pytest.approx(-88.5771, abs=1e-4)


def test_model_reversal_follows_concentrations_and_temperature():
    wb = hhsim.models.get("wang_buzsaki")
    assert wb.channel("K").E == pytest.approx(-90.0, abs=1e-12)  # the paper's value at 36 °C
    k_in, k_out = wb.concentration["K_in"], wb.concentration["K_out"]
    hot = wb.with_params(temperature=40.0)
    assert hot.channel("K").E == pytest.approx(1e3 * R * 313.15 / F * math.log(k_out / k_in), rel=1e-12)
    high = wb.with_params(K_out=10.0)
    assert high.channel("K").E == pytest.approx(1e3 * R * 309.15 / F * math.log(10.0 / 140.0), rel=1e-12)
    assert high.channel("Na").E == wb.channel("Na").E  # only potassium moved


def test_ghk_hand_values():
    # Ca2+, 36 °C, c_in 1e-4 mM, c_out 2 mM, V = -50 mV:
    v, ci, co, T = -50.0, 1e-4, 2.0, 36.0
    xi = 2 * v * 1e-3 * F / (R * (T + 273.15))
    by_hand = 2 * F * xi * (ci - co * math.exp(-xi)) / (1 - math.exp(-xi))  # µA/cm² per cm/s
    assert float(ghk_factor(v, ci, co, 2, T)) == pytest.approx(by_hand, rel=1e-13)
    assert by_hand < 0  # inward
    # continuous through V = 0 (limit z F (c_in - c_out)) and zero at the Nernst potential
    assert float(ghk_factor(0.0, ci, co, 2, T)) == pytest.approx(2 * F * (ci - co), rel=1e-12)
    assert float(ghk_factor(1e-9, ci, co, 2, T)) == pytest.approx(2 * F * (ci - co), rel=1e-9)
    e = float(nernst(co, ci, 2, T))
    assert abs(float(ghk_factor(e, ci, co, 2, T))) < 1e-9 * abs(by_hand)


def k_only_membrane(k_out: float) -> hhsim.Model:
    return hhsim.Model("k_only", (Channel("KL", gbar=0.5, E="nernst", ion="k"),), temperature=37.0,
                       concentrations={"K_in": 140.0, "K_out": k_out})


def test_k_only_membrane_rests_at_nernst():
    for k_out in (2.0, 4.0, 10.0, 40.0):
        m = k_only_membrane(k_out)
        assert m.resting_potential() == pytest.approx(1e3 * R * 310.15 / F * math.log(k_out / 140.0), abs=1e-9)
    # 4 -> 40 mM: rest moves by (RT/F) ln 10 = 61.5 mV
    shift = k_only_membrane(40.0).resting_potential() - k_only_membrane(4.0).resting_potential()
    assert shift == pytest.approx(1e3 * R * 310.15 / F * math.log(10.0), abs=1e-9)


@pytest.mark.parametrize("name", ["wang_buzsaki", "pospischil_rs", "destexhe_tc"])
def test_raising_k_out_depolarises_rest_as_predicted(name):
    """Raise K_out by 20 %: the cell, simulated from its old rest, settles where the
    linearised membrane predicts, dV = (sum of K conductances / total slope conductance) * dEK."""
    m = hhsim.models.get(name)
    new = m.with_params(K_out=1.2 * m.concentration["K_out"])
    d_ek = new.channel("K").E - m.channel("K").E
    assert d_ek == pytest.approx(1e3 * R * 309.15 / F * math.log(1.2), rel=1e-12)  # Nernst, by hand
    v0 = m.resting_potential()
    # prediction from the old steady state: I_ss(V, EK) = 0 -> dV = -(dI/dEK) dEK / (dI/dV)
    h = 1e-3
    slope = (m.steady_state_current(v0 + h) - m.steady_state_current(v0 - h)) / (2 * h)
    shifted = m.with_params(K_out=m.concentration["K_out"] * math.exp(h / (1e3 * R * 309.15 / F)))
    di_dek = (shifted.steady_state_current(v0) - m.steady_state_current(v0)) / h
    predicted = float(-di_dek * d_ek / slope)
    r = hhsim.simulate(new, None, t_stop=3000.0, v_init=v0)
    settled = float(r.v[-1])
    assert predicted > 0.02  # depolarising
    assert settled - v0 == pytest.approx(predicted, rel=0.1, abs=2e-3)
    assert settled == pytest.approx(new.resting_potential(), abs=0.05)


# ------------------------------------------------------------------ calcium pool
def ca_pool_model(g=0.05, e_ca=120.0, depth=1.0, tau=5.0, rest=1e-4):
    """A leak-like calcium channel with a fixed reversal feeding a calcium shell."""
    return hhsim.Model(
        "pool", (Channel("CaLeak", gbar=g, E=e_ca, ion="ca"), Channel("L", gbar=0.1, E=-65.0)),
        temperature=36.0, concentrations={"Ca_in": rest, "Ca_out": 2.0},
        pools=(IonPool("ca", depth=depth, tau=tau),),
    )


@pytest.mark.parametrize("method,tol", [("expeuler", 1e-13), ("rk4", 1e-12), ("euler", 1e-3)])
def test_pool_under_clamp_is_exponential(method, tol):
    """Clamped at Vc the influx is constant: Ca(t) = Ca_ss + (Ca0 - Ca_ss) exp(-t/tau),
    Ca_ss = rest + tau k g (E - Vc), k = 10 / (2 F depth)  (exact for expeuler)."""
    g, e_ca, depth, tau, rest, vc = 0.05, 120.0, 0.5, 5.0, 1e-4, -20.0
    m = ca_pool_model(g, e_ca, depth, tau, rest)
    plan = lower(m, initial=(-65.0, np.array([rest])))
    out = run_batch(plan, [stim.step(vc)], make_grid(30.0, 0.01), method, clamp=True)
    k = 10.0 / (2 * F * depth)
    ca_ss = rest + tau * k * g * (e_ca - vc)
    expected = ca_ss + (rest - ca_ss) * np.exp(-out.t / tau)
    assert ca_ss > 10 * rest
    assert np.max(np.abs(out.y[:, 0, 0] - expected)) < tol * ca_ss


def test_pool_steady_state_and_result_states():
    m = ca_pool_model()
    v0, states = m.initial_state()
    k = 10.0 / (2 * F * 1.0)
    # at rest the pool sits at rest + tau k g (E - V0)
    assert states[-1] == pytest.approx(1e-4 + 5.0 * k * 0.05 * (120.0 - v0), rel=1e-12)
    r = hhsim.simulate(m, stim.step(2.0, start=5.0, dur=10.0), t_stop=30.0)
    assert "Ca_i" in r.states and r.model.state_unit("Ca_i") == "mM"
    cols = r.columns()
    assert "Ca_i_mM" in cols and "i_caleak_uA_cm2" in cols


@pytest.mark.parametrize("name", ["pospischil_lts", "destexhe_tc", "pospischil_ib"])
def test_result_currents_drive_the_membrane(name):
    """V(t) - V(0) = integral of (I_stim - sum(Result.currents)) / Cm along a fine trace: the
    reported currents (Nernst with the pool's Ca_i, GHK) are the ones the kernel integrated."""
    m = hhsim.models.get(name)
    s = stim.step(-0.5, start=5.0, dur=40.0) + stim.step(2.0, start=60.0, dur=30.0)
    r = hhsim.simulate(m, s, t_stop=100.0, method="rk4", dt=0.005)
    rate = (r.stimulus - sum(r.currents.values())) / m.Cm  # dV/dt from the reported currents
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(r.t))])
    assert r.n_spikes >= 1
    assert np.max(np.abs((r.v - r.v[0]) - integral)) < 0.05  # mV, trapezoid error over spikes
    assert set(r.currents) == {c.name for c in m.channels}
    assert np.all(r.states["Ca_i"] > 0)


def test_ghk_channel_current_in_result_matches_formula():
    tc = hhsim.models.get("destexhe_tc")
    r = hhsim.simulate(tc, stim.step(-0.5, start=5.0, dur=100.0), t_stop=200.0, method="rk4")
    ch = tc.channel("CaT")
    xi = 2 * r.v * 1e-3 * F / (R * 309.15)
    ghk = 2 * F * xi * (r.states["Ca_i"] - 2.0 * np.exp(-xi)) / (1 - np.exp(-xi))
    by_hand = ch.gbar * r.states["s"] ** 2 * r.states["u"] * ghk
    np.testing.assert_allclose(r.currents["CaT"], by_hand, rtol=1e-10, atol=1e-12)
