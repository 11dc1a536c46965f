"""Multi-state kinetic schemes as channel gates (hhsim.channels.scheme), on point neurons.

One model (one compiled structure) for every assertion: the squid axon whose K
channel is a 4-state scheme that no HH gate is, the chain of two n subunits
C0 - C1 - O plus an inactivated state I reached from the open state
(O <-> I at 0.03 / 0.01 per ms), 12 mS/cm².  The reference is its ODEs written out here and
integrated by scipy's DOP853 at rtol 1e-11.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from scipy.linalg import null_space

import hhsim
from hhsim.channels import Channel
from hhsim.channels.scheme import scheme_states
from hhsim.errors import ModelError
from hhsim.physics.structure import structure_of

A_N = "0.01*linexp(V + 55, 10)"
B_N = "0.125*exp(-(V + 65)/80)"
STATES = ["C0", "C1", "O", "I"]
G_K = 12.0  # mS/cm²


def _model():
    chain = [("C0", "C1", f"2*{A_N}", B_N), ("C1", "O", A_N, f"2*{B_N}")]
    gates = scheme_states("n", STATES, chain + [("O", "I", "0.03", "0.01")])
    k = Channel("K", gbar=G_K, E=-77.0, gates=gates, conductance="gbar * O", q10=3.0, q10_reference_c=6.3)
    return hhsim.models.get("hh").without_channels("K").with_channels(k)


def _an(v):
    x = (v + 55.0) / 10.0
    return 0.1 if abs(x) < 1e-9 else 0.1 * x / (1.0 - math.exp(-x))


def _q(v):
    """Q[i, j], the rate from state j to state i (1/ms), in STATES order."""
    a, b = _an(v), 0.125 * math.exp(-(v + 65.0) / 80.0)
    q = np.zeros((4, 4))
    for k in range(2):
        q[k + 1, k] += (2 - k) * a
        q[k, k + 1] += (k + 1) * b
    q[3, 2] += 0.03
    q[2, 3] += 0.01
    return q - np.diag(q.sum(axis=0))


def _rhs(t, y, amp):
    v, m, h = y[:3]
    x = y[3:]
    am = 1.0 if abs(v + 40) < 1e-9 else 0.1 * (v + 40) / (1 - math.exp(-(v + 40) / 10))
    bm = 4 * math.exp(-(v + 65) / 18)
    ah = 0.07 * math.exp(-(v + 65) / 20)
    bh = 1 / (1 + math.exp(-(v + 35) / 10))
    i_stim = amp if 2.0 <= t < 17.0 else 0.0
    i_ion = 120 * m ** 3 * h * (v - 50) + G_K * x[2] * (v + 77) + 0.3 * (v + 54.387)
    return [(i_stim - i_ion) / 1.0, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, *(_q(v) @ x)]


@pytest.fixture(scope="module")
def model():
    return _model()


def test_steady_state_is_the_null_vector_of_the_rate_matrix(model):
    for v in (-80.0, -65.0, -20.0):
        want = null_space(_q(v))[:, 0]
        want = want / want.sum()
        got = model.steady_states(v)[2:6]
        assert np.allclose(got, want, rtol=1e-10, atol=1e-14)
    assert model.state_names[2:] == STATES
    from hhsim.channels.scheme import equation_lines

    lines = equation_lines(model.channel("K").gates)
    assert lines[0] == "dC0/dt = q10_factor * (k_C1->C0 C1 - (k_C0->C1) C0)"
    assert "dO/dt = q10_factor * (k_C1->O C1 + k_I->O I - (k_O->C1 + k_O->I) O)" in lines
    s = structure_of(model)
    assert s.has_schemes and len(s.schemes) == 1 and len(s.schemes[0]) == 4


def test_every_method_against_solve_ivp(model):
    v0, y0 = model.initial_state()
    stim = hhsim.stim.step(10.0, start=2.0, dur=15.0)
    ref = solve_ivp(_rhs, (0.0, 20.0), [v0, *y0], method="DOP853", rtol=1e-11, atol=1e-13,
                    args=(10.0,), dense_output=True, max_step=0.05)
    t = np.arange(0.0, 20.0 + 1e-9, 0.05)
    want = ref.sol(t)
    assert want[0].max() > 20.0  # it fires (the check means something)
    thr = model.spike_threshold
    fine = np.arange(0.0, 20.0, 1e-3)
    vf = ref.sol(fine)[0]
    k = np.flatnonzero((vf[:-1] < thr) & (vf[1:] >= thr))
    spikes = [brentq(lambda s: ref.sol(s)[0] - thr, fine[i], fine[i + 1], xtol=1e-12) for i in k]
    assert len(spikes) >= 1
    # (step, |V| error on the grid or None, spike-time error in ms)
    # (rk4, euler, ssprk3 and lsoda take the right-hand side dopri5 takes, StepLines.derivs:
    # not compiled again here; every kernel compiled costs seconds of the suite)
    tol = {"dopri5": (0.05, 1e-5, 1e-6), "expeuler": (0.005, None, 0.05)}
    for method, (dt, vtol, ttol) in tol.items():
        kw = {"rtol": 1e-10, "atol": 1e-12} if method == "dopri5" else {}
        r = hhsim.simulate(model, stim, t_stop=20.0, dt=dt, method=method, **kw)
        assert len(r.spike_times) == len(spikes), method
        assert np.max(np.abs(r.spike_times - spikes)) < ttol, method
        if vtol is not None:
            assert np.max(np.abs(np.interp(t, r.t, r.v) - want[0])) < vtol, method
            assert np.max(np.abs(np.interp(t, r.t, r.states["O"]) - want[5])) < vtol / 50.0, method
        occ = np.array([r.states[name] for name in STATES])
        assert np.allclose(occ.sum(axis=0), 1.0, atol=1e-9), method  # the scheme conserves its total
        assert occ.min() > -1e-12, method
    # exponential Euler's occupancies take backward-Euler steps: first order in dt
    errs = []
    for dt in (0.01, 0.005):
        r = hhsim.simulate(model, stim, t_stop=20.0, dt=dt, method="expeuler")
        errs.append(np.max(np.abs(r.spike_times - spikes)))
    assert 1.6 < errs[0] / errs[1] < 2.5, errs
    # a batch runs the same kernel: the same bits as simulate
    b = hhsim.simulate_batch(model, {"gNa": [120.0, 100.0]}, stimulus=stim, t_stop=20.0, dt=0.01, method="expeuler")
    one = hhsim.simulate(model, stim, t_stop=20.0, dt=0.01, method="expeuler")
    assert b.v_final[0] == one.v[-1] and np.array_equal(b.spike_times[0], one.spike_times)
    final = b.states_final if b.states_final.shape[-1] == 2 else b.states_final.T
    assert np.array_equal(final[:, 0], [one.states[n][-1] for n in model.state_names])


def test_cables_and_networks_refuse_a_scheme_in_one_line(model):
    s = structure_of(model)
    with pytest.raises(ModelError, match="kinetic scheme.*point neurons only"):
        s.check_point_only("a cable")
    structure_of(hhsim.models.get("hh")).check_point_only()  # no scheme: nothing to refuse
    # modules with equations of their own (the dynamics tools) ask for the classic equations
    assert s.extensions() == ["the kinetic scheme of channel 'K'"]
    with pytest.raises(ModelError, match="the dynamics tools cannot handle the kinetic scheme of channel 'K'"):
        s.check_classic("the dynamics tools")
    structure_of(hhsim.models.get("destexhe_tc")).check_classic("the dynamics tools")  # a plain pool: fine
