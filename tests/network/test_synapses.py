"""Synapse kinetics against their closed forms (or an independent ODE solution),
delivered at exact times from spike sources onto a passive cell.

The conductance seen by the cell is recovered from the recorded synaptic
current, g = I_syn / (V - E); the engine computes I_syn from the same V, so
the comparison is exact up to rounding and tests the kinetics and the timing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from hhsim.channels.leak import leak
from hhsim.model import Model
from hhsim.network import Monitors, Network, Population, Projection, SpikeSource, simulate_network, synapses

G_L, E_L = 0.1, -70.0
T_SPIKE, DELAY = 10.3, 1.234  # ms: delivery at 11.534, between grid points


def _passive() -> Model:
    return Model(name="passive", channels=(leak(G_L, E_L),), Cm=1.0)


def _run(syn, weight, times=(T_SPIKE,), t_stop=60.0, stp=None, dt=0.025, method="rk4"):
    net = Network(
        populations=[Population("cell", _passive())],
        sources=[SpikeSource("src", times_ms=list(times))],
        projections=[Projection("src", "cell", syn, weight=weight, delay=DELAY, stp=stp)],
        t_stop=t_stop, dt=dt, method=method, monitors=Monitors(states={"cell": [0]}, every_ms=0.1))
    r = simulate_network(net)
    g = r.i_syn["cell"][:, 0] / (r.v["cell"][:, 0] - syn.E)
    return r.t, g, r


def _after(t, onset):
    return np.where(t > onset, t - onset, np.nan)


@pytest.mark.parametrize("syn, shape", [
    (synapses.Exp(tau=3.0, E=0.0), lambda s: np.exp(-s / 3.0)),
    (synapses.Alpha(tau=2.0, E=0.0), lambda s: (s / 2.0) * np.exp(1.0 - s / 2.0)),
    (synapses.BiExp(tau_rise=0.5, tau_decay=4.0, E=-80.0), None),
])
def test_linear_waveforms_from_exact_delivery(syn, shape):
    w = 0.01
    t, g, _ = _run(syn, w)
    onset = T_SPIKE + DELAY
    s = _after(t, onset)
    if shape is None:  # bi-exponential normalised to a peak of w
        tr, td = syn.tau_rise, syn.tau_decay
        tp = td * tr / (td - tr) * math.log(td / tr)
        f = 1.0 / (math.exp(-tp / td) - math.exp(-tp / tr))
        shape = lambda s: f * (np.exp(-s / td) - np.exp(-s / tr))  # noqa: E731
        assert np.nanmax(w * shape(s)) == pytest.approx(w, rel=1e-3)
    expected = np.where(np.isnan(s), 0.0, w * shape(np.nan_to_num(s)))
    np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-15)


def test_ampa_pulse_closed_form():
    syn = synapses.AMPA()
    w = 0.01
    t, g, _ = _run(syn, w)
    onset = T_SPIKE + DELAY
    a, b, T, dur = syn.alpha, syn.beta, syn.Tmax, syn.Tdur
    rate, rinf = a * T + b, a * T / (a * T + b)
    s = t - onset
    r_end = rinf * (1 - math.exp(-rate * dur))
    r = np.where(s <= 0, 0.0, np.where(s <= dur, rinf * (1 - np.exp(-rate * np.clip(s, 0, None))),
                                        r_end * np.exp(-b * (s - dur))))
    np.testing.assert_allclose(g, w * r, rtol=1e-9, atol=1e-15)


def test_gaba_b_against_its_ode():
    """A burst of 10 spikes at 200 Hz (GABA-B needs several: G^4 / (G^4 + Kd))."""
    syn = synapses.GABA_B()
    w = 0.05
    times = [T_SPIKE + 5.0 * k for k in range(10)]
    t, g, _ = _run(syn, w, times=times, t_stop=400.0)
    onsets = [tk + DELAY for tk in times]

    def rhs(tt, y):
        T = syn.Tmax if any(on <= tt < on + syn.Tdur for on in onsets) else 0.0
        R, G = y
        return [syn.K1 * T * (1 - R) - syn.K2 * R, syn.K3 * R - syn.K4 * G]

    G = np.zeros_like(t)
    y, t_from = [0.0, 0.0], onsets[0]
    bounds = sorted({b for on in onsets for b in (on, on + syn.Tdur)}) + [400.0]
    for a, b in zip(bounds[:-1], bounds[1:]):  # integrate piece by piece: T jumps at the bounds
        mid = 0.5 * (a + b)
        sol = solve_ivp(lambda tt, yy: rhs(mid, yy), (a, b), y, method="DOP853", rtol=1e-12, atol=1e-15,
                        dense_output=True)
        sel = (t > a) & (t <= b)
        G[sel] = sol.sol(t[sel])[1]
        y = sol.y[:, -1]
    expected = w * G**syn.n / (G**syn.n + syn.Kd)
    assert expected.max() > 1e-5  # the cascade produces a slow current
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-12)


def test_nmda_magnesium_block_follows_jahr_stevens():
    syn = synapses.NMDA(mg=1.0)
    t, g, r = _run(syn, 0.01, t_stop=100.0)
    v = r.v["cell"][:, 0]
    onset = T_SPIKE + DELAY
    a, b, T, dur = syn.alpha, syn.beta, syn.Tmax, syn.Tdur
    rate, rinf = a * T + b, a * T / (a * T + b)
    s = t - onset
    r_end = rinf * (1 - math.exp(-rate * dur))
    rr = np.where(s <= 0, 0.0, np.where(s <= dur, rinf * (1 - np.exp(-rate * np.clip(s, 0, None))),
                                         r_end * np.exp(-b * (s - dur))))
    block = 1.0 / (1.0 + np.exp(-0.062 * v) * (1.0 / 3.57))  # Jahr & Stevens 1990
    np.testing.assert_allclose(g, 0.01 * rr * block, rtol=1e-9, atol=1e-15)


def test_tsodyks_markram_release_sequence():
    """Facilitating and depressing synapse: each event adds w u_k x_k, from the
    recurrence written out here (Tsodyks, Pawelzik & Markram 1998)."""
    U, trec, tfac, tau, w = 0.2, 200.0, 500.0, 2.0, 0.01
    times = [10.0, 25.0, 40.0, 55.0, 70.0]
    t, g, _ = _run(synapses.Exp(tau=tau, E=0.0), w, times=times, t_stop=100.0,
                   stp=synapses.TsodyksMarkram(U=U, tau_rec=trec, tau_fac=tfac))
    u, x, last, rel = 0.0, 1.0, None, []
    for tk in times:
        if last is not None:
            x = 1 - (1 - x) * math.exp(-(tk - last) / trec)
            u = u * math.exp(-(tk - last) / tfac)
        u = u + U * (1 - u)
        rel.append(u * x)
        x -= u * x
        last = tk
    assert rel[1] > rel[0]  # facilitation wins early
    expected = np.zeros_like(t)
    for tk, rk in zip(times, rel):
        on = tk + DELAY
        expected += np.where(t > on, w * rk * np.exp(-(t - on) / tau), 0.0)
    np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-15)


def test_custom_receptor_written_as_ampa_is_ampa():
    """The custom receptor with AMPA's rates gives AMPA's conductance (Destexhe et al. 1998)."""
    w = 0.01
    _, g_ampa, _ = _run(synapses.AMPA(), w, times=(T_SPIKE, T_SPIKE + 0.5, 30.0))
    _, g_custom, _ = _run(synapses.Custom(opening="1.1 * T", closing="0.19"), w, times=(T_SPIKE, T_SPIKE + 0.5, 30.0))
    assert g_ampa.max() > 1e-3
    np.testing.assert_allclose(g_custom, g_ampa, rtol=1e-12, atol=1e-18)


def test_custom_receptor_with_resting_opening_relaxes_to_it():
    """opening(T) = 0.5 T + 0.01, closing = 0.2: between pulses r relaxes to 0.01 / 0.21."""
    syn = synapses.Custom(opening="0.5*T + 0.01", closing="0.2")
    t, g, _ = _run(syn, 1.0, t_stop=200.0)
    onset = T_SPIKE + synapses.Custom().Tdur + DELAY
    late = t > onset + 100.0
    np.testing.assert_allclose(g[late], 0.01 / 0.21, rtol=1e-6)


@pytest.mark.parametrize("kw, words", [
    ({"opening": "__import__('os')"}, "not allowed"),
    ({"opening": "V * 2"}, "unknown name 'V'"),
    ({"closing": "-1"}, "finite rate >= 0"),
])
def test_custom_receptor_refuses_bad_expressions(kw, words):
    from hhsim.errors import ParameterError

    with pytest.raises(ParameterError, match=words):
        synapses.Custom(**kw)
