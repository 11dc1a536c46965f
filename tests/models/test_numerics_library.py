"""Numerics of the new model features, on every preset.

* the compiled kernels agree with the plain-NumPy path (every fixed-step
  method) to 1e-9: instantaneous gates, expression rates, Nernst reversal
  potentials driven by a calcium pool, GHK currents, calcium-dependent rates;
* instantaneous gates are recorded at x_inf(V) by every method;
* the default method is converged: its spike times move by < 1e-3 ms when
  the tolerances are tightened 100x, and rk4's by < 0.1 ms when dt halves;
* every fixed-step solver keeps its order with the new states (a pool, a
  GHK current and an instantaneous gate): measured on ``destexhe_tc``
  against scipy's DOP853 at rtol = atol = 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import hhsim
from hhsim import stim
from hhsim.engine.batch import make_grid, run_batch
from hhsim.engine.codegen import kernel_module
from hhsim.physics.structure import lower
from hhsim.engine.numpy_path import run_numpy
from hhsim.engine.solvers import ADAPTIVE, FIXED_STEP

# (depolarising step, hyperpolarising step) in µA/cm² that make each preset spike
DRIVES = {
    "hh": (10.0, -3.0), "hh1952": (10.0, -3.0), "traub_miles": (1.0, -0.5), "wang_buzsaki": (1.0, -1.0),
    "connor_stevens": (10.0, -3.0), "erisir": (8.0, -5.0), "pospischil_rs": (3.0, -0.3),
    "pospischil_fs": (6.0, -1.5), "pospischil_ib": (0.8, -0.1), "pospischil_lts": (1.0, -0.75),
    "destexhe_tc": (0.5, -0.5),
}


def test_every_preset_has_a_drive():
    assert set(DRIVES) == set(hhsim.models.names())


@pytest.mark.parametrize("name", list(DRIVES))
def test_compiled_matches_numpy(name):
    dep, hyp = DRIVES[name]
    m = hhsim.models.get(name)
    # two neurons with different parameters, two waveforms
    plan = lower([m, m.with_params(Cm=1.3)])
    strong = max(3 * dep, 10.0)
    stimuli = [stim.step(strong, start=1.0, dur=6.0), stim.step(hyp, start=0.0, dur=4.0) + stim.step(strong, start=5.0)]
    grid = make_grid(12.0, 0.01)
    wave = np.array([0, 1])
    for method in FIXED_STEP:
        out = run_batch(plan, stimuli, grid, method, wave=wave)
        t, v, y = run_numpy(plan, stimuli, grid, method, wave=wave)
        assert out.v.max() > 0.0 or name == "hh1952", (name, method)  # a spike: the nonlinear part runs
        assert np.max(np.abs(out.v - v)) < 1e-9, (name, method)
        assert np.max(np.abs(out.y - y)) < 1e-9, (name, method)


@pytest.mark.parametrize("method", [None, *FIXED_STEP, *ADAPTIVE])
def test_instantaneous_gates_are_recorded_at_steady_state(method):
    for name, gate, channel in (("wang_buzsaki", "m", "Na"), ("destexhe_tc", "s", "CaT")):
        m = hhsim.models.get(name)
        r = hhsim.simulate(m, stim.step(DRIVES[name][0], start=2.0), t_stop=30.0, method=method)
        ch = m.channel(channel)
        g = [x for x in ch.gates if x.name == gate][0]
        env = dict(m._env())
        env.update(ch.params)
        np.testing.assert_allclose(r.states[gate], g.steady_state(r.v, env), rtol=1e-12, atol=1e-14)
        assert np.ptp(r.states[gate]) > 0.1


@pytest.mark.parametrize("name", list(DRIVES))
def test_default_method_is_converged(name):
    dep, hyp = DRIVES[name]
    s = stim.step(hyp, start=10.0, dur=60.0) + stim.step(dep, start=100.0, dur=100.0)
    default = hhsim.simulate(name, s, t_stop=200.0)
    tight = hhsim.simulate(name, s, t_stop=200.0, rtol=1e-8, atol=1e-8)
    assert default.n_spikes >= 1
    assert default.n_spikes == tight.n_spikes
    assert np.max(np.abs(default.spike_times - tight.spike_times)) < 1e-3
    dt = FIXED_STEP["rk4"].default_dt
    a = hhsim.simulate(name, s, t_stop=200.0, method="rk4", dt=dt)
    b = hhsim.simulate(name, s, t_stop=200.0, method="rk4", dt=dt / 2)
    assert a.n_spikes == b.n_spikes == default.n_spikes
    assert np.max(np.abs(a.spike_times - b.spike_times)) < 0.1


# ------------------------------------------------------------------ orders
T_STOP, COMMON_DT = 12.0, 0.05


@pytest.fixture(scope="module")
def tc_reference():
    """destexhe_tc under a smooth current (starts at 0 with t), DOP853 at 1e-12 on the kernel's RHS."""
    m = hhsim.models.get("destexhe_tc").with_params(Cm=1.0)
    plan = lower(m)
    rhs = kernel_module(plan.structure).rhs_vec
    args = (plan.gbar, plan.erev, plan.phi, plan.cm, plan.rp)

    def f(t, y):
        return rhs(y, 6.0 * math.sin(2 * math.pi * 80e-3 * t), *args)

    t = np.linspace(0.0, T_STOP, int(round(T_STOP / COMMON_DT)) + 1)
    y0 = np.concatenate([plan.v0, plan.y0[:, 0]])
    sol = solve_ivp(f, (0.0, T_STOP), y0, method="DOP853", rtol=1e-12, atol=1e-12, t_eval=t)
    assert sol.success and sol.y[0].max() > 0.0, "the test problem should contain a spike"
    return m, sol.y[0]


@pytest.mark.parametrize("name", list(FIXED_STEP))
def test_order_with_pool_ghk_and_instantaneous_gate(name, tc_reference):
    m, ref = tc_reference
    solver = FIXED_STEP[name]
    base = COMMON_DT / 2 ** max(0, math.ceil(math.log2(COMMON_DT / solver.default_dt) - 1e-9))
    dts = [base / 2 ** k for k in range(3)]
    errs = []
    for dt in dts:
        r = hhsim.simulate(m, stim.sine(6.0, 80.0), t_stop=T_STOP, dt=dt, method=name)
        v = r.v[:: int(round(COMMON_DT / dt))]
        errs.append(float(np.max(np.abs(v - ref))))
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert errs[-1] > 1e-9
    assert abs(orders[-1] - solver.order) <= 0.3, (name, errs, orders)
