"""Channels as the literature writes them: a conductance expression of the gates (Rothman &
Manis 2003's KHT), a nonspecific current, a fixed reversal beside an ion pool; stable names."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import hhsim
from hhsim.channels.spec import describe_channel, load_channel

# The high-threshold K current of Rothman & Manis (2003, J Neurophysiol 89:3097, eqs. for
# I_KHT): g = gbar (nf n^2 + (1 - nf) p), here with the rates at the model temperature (phi 1).
KHT = """
name = "KHT"
gbar = "15 mS/cm2"
E = -77.0
ion = "k"
q10 = 3.0
q10_reference_c = 6.3
conductance = "gbar * (nf*n**2 + (1 - nf)*p)"
[params]
nf = 0.85
[[gates]]
name = "n"
inf = "(1 + exp(-(V + 15)/5))**-0.5"
tau = "100/(11*exp((V + 60)/24) + 21*exp(-(V + 60)/23)) + 0.7"
[[gates]]
name = "p"
inf = "1/(1 + exp(-(V + 23)/6))"
tau = "100/(4*exp((V + 60)/32) + 5*exp(-(V + 60)/22)) + 5"
"""


def _kht_rates(v):
    n_inf = (1 + np.exp(-(v + 15) / 5)) ** -0.5
    tau_n = 100 / (11 * np.exp((v + 60) / 24) + 21 * np.exp(-(v + 60) / 23)) + 0.7
    p_inf = 1 / (1 + np.exp(-(v + 23) / 6))
    tau_p = 100 / (4 * np.exp((v + 60) / 32) + 5 * np.exp(-(v + 60) / 22)) + 5
    return n_inf, tau_n, p_inf, tau_p


def _hh_rates(v):
    am = 0.1 * (v + 40) / (1 - np.exp(-(v + 40) / 10))
    bm = 4 * np.exp(-(v + 65) / 18)
    ah = 0.07 * np.exp(-(v + 65) / 20)
    bh = 1 / (1 + np.exp(-(v + 35) / 10))
    an = 0.01 * (v + 55) / (1 - np.exp(-(v + 55) / 10))
    bn = 0.125 * np.exp(-(v + 65) / 80)
    return am, bm, ah, bh, an, bn


def test_expression_conductance_matches_an_independent_integration(tmp_path):
    (tmp_path / "kht.toml").write_text(KHT)
    kht = load_channel(tmp_path / "kht.toml")
    model = hhsim.models.get("hh").with_channels(kht)
    v0 = -65.0
    am, bm, ah, bh, an, bn = _hh_rates(v0)
    n_inf, _, p_inf, _ = _kht_rates(v0)
    y0 = [v0, am / (am + bm), ah / (ah + bh), an / (an + bn), n_inf, p_inf]
    # states by their qualified names: stable whatever other channels the model has
    start = dict(zip(["v", "Na.m", "Na.h", "K.n", "KHT.n", "KHT.p"], y0))
    r = hhsim.simulate(model, hhsim.stim.step(10.0, start=5.0, dur=20.0), t_stop=30.0, method="rk4",
                       dt=0.005, initial_state=start)
    ref = _reference_trace(y0, r.t)
    assert r.n_spikes >= 1
    np.testing.assert_allclose(r.v, ref, atol=2e-3)
    # the conductance the library reports is the expression of the recorded gates
    n, p = r.states["KHT.n"], r.states["KHT.p"]
    np.testing.assert_allclose(r.conductances["KHT"], 15 * (0.85 * n**2 + 0.15 * p), rtol=1e-12)


def _reference_trace(y0, t):
    """V of the reference at the times ``t``, integrated piecewise across the step's edges."""
    def rhs(tt, y, amp):
        v, m, h, n, nk, p = y
        am, bm, ah, bh, an, bn = _hh_rates(v)
        n_inf, tau_n, p_inf, tau_p = _kht_rates(v)
        i_ion = (120 * m**3 * h * (v - 50) + 36 * n**4 * (v + 77) + 0.3 * (v + 54.387)
                 + 15 * (0.85 * nk**2 + 0.15 * p) * (v + 77))
        return [amp - i_ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n,
                (n_inf - nk) / tau_n, (p_inf - p) / tau_p]

    v = np.empty_like(t)
    y = np.array(y0, float)
    for a, b, amp in ((0.0, 5.0, 0.0), (5.0, 25.0, 10.0), (25.0, float(t[-1]), 0.0)):
        sel = (t >= a) & (t <= b) if b == t[-1] else (t >= a) & (t < b)
        pts = np.concatenate([t[sel], [b]]) if b != t[-1] else t[sel]
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-12, t_eval=pts, args=(amp,))
        v[sel] = sol.y[0][: sel.sum()]
        y = sol.y[:, -1]
    return v


def test_expression_channel_file_round_trips(tmp_path):
    (tmp_path / "kht.toml").write_text(KHT)
    kht = load_channel(tmp_path / "kht.toml")
    (tmp_path / "again.toml").write_text(describe_channel(kht))
    assert load_channel(tmp_path / "again.toml") == kht
    model = hhsim.models.get("hh").with_channels(kht)
    assert model.with_params({"KHT.nf": 0.5}).channel("KHT").env["nf"] == 0.5


def test_nonspecific_current_and_fixed_reversal_beside_a_pool(tmp_path):
    # A Ca current with a fixed reversal (E = 120 mV, asked for explicitly) next to a calcium
    # pool: the reversal stays 120 mV while the pool fills; an ion-less Ih with its own E.
    text = """
name = "fixed_eca"
temperature = 36.0
[[pools]]
ion = "ca"
depth = "0.1 um"
tau = "20 ms"
[[channels]]
name = "CaL"
gbar = 0.5
E = "120 mV"
ion = "ca"
[[channels.gates]]
name = "s"
power = 2
inf = "1/(1 + exp(-(V + 20)/5))"
tau = "1"
[[channels]]
name = "H"
gbar = 0.05
E = "-40 mV"
[[channels.gates]]
name = "r"
power = 1
inf = "1/(1 + exp((V + 75)/5.5))"
tau = "100"
[[channels]]
name = "L"
gbar = 0.1
E = -65.0
"""
    (tmp_path / "c.toml").write_text(text)
    model = hhsim.models.get(str(tmp_path / "c.toml"))
    assert model.channel("CaL").reversal == "fixed" and model.channel("H").ion == ""
    r = hhsim.simulate(model, hhsim.stim.step(20.0, start=5.0, dur=30.0), t_stop=40.0, method="rk4", dt=0.01)
    s, ca = r.states["CaL.s"], r.states["Ca_i"]
    np.testing.assert_allclose(r.currents["CaL"], 0.5 * s**2 * (r.v - 120.0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r.currents["H"], 0.05 * r.states["r"] * (r.v + 40.0), rtol=1e-12, atol=1e-15)
    rest = model.concentration["Ca_in"]
    assert ca.max() > 10 * rest  # the inward Ca current fills the pool


def test_qualified_names_survive_adding_a_channel():
    hh = hhsim.models.get("hh")
    r = hhsim.simulate(hh, t_stop=1.0, initial_state={"Na.m": 0.1})
    assert r.states["Na.m"][0] == 0.1 and r.states["m"][0] == 0.1 and "K.n" in r.states
    extra = hhsim.channels.Channel("A", gbar=0.0, E=-80.0, gates=[hhsim.channels.Gate("m", 1, inf="0.5", tau="1")])
    wider = hh.with_channels(extra)
    assert "m" not in wider.state_aliases  # the short name is ambiguous now ...
    assert wider.state_key("Na.m") == "Na.m" and wider.state_key("A.m") == "A.m"  # ... the qualified one is not
    with pytest.raises(hhsim.errors.ParameterError, match="ambiguous"):
        wider.state_key("m")
    # a script's states keyed by qualified names work with either model
    states = {"Na.m": r.states["Na.m"], "Na.h": r.states["Na.h"], "K.n": r.states["K.n"],
              "A.m": np.full_like(r.v, 0.5)}
    np.testing.assert_array_equal(wider.channel_currents(r.v, states)["Na"], r.currents["Na"])
    np.testing.assert_array_equal(hh.channel_currents(r.v, states)["K"], r.currents["K"])


def test_activation_curve_of_an_expression_channel(tmp_path):
    from hhsim.analysis.vclamp import _activation_curve

    (tmp_path / "kht.toml").write_text(KHT)
    model = hhsim.models.get("hh").with_channels(load_channel(tmp_path / "kht.toml"))
    v = np.linspace(-100.0, 40.0, 141)
    n_inf, _, p_inf, _ = _kht_rates(v)  # both KHT gates activate with depolarisation
    np.testing.assert_allclose(_activation_curve(model, model.channel("KHT"), v),
                               0.85 * n_inf**2 + 0.15 * p_inf, rtol=1e-12)
