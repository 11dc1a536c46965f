"""Problems with closed-form solutions: a passive membrane and clamped gates.

The expected curves are computed here from the textbook formulas (see
``helpers.hh_textbook``), never from hhsim's own rate functions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.engine.batch import make_grid, run_batch
from hhsim.physics.structure import lower

from helpers import hh_textbook as tb

GL, EL, CM = 0.3, -54.387, 1.0
I0 = 5.0  # µA/cm², a step from t = 0


def passive_model():
    return hhsim.models.get("hh").with_params(gNa=0, gK=0, gL=GL, EL=EL, Cm=CM)


def passive_exact(t):
    """V(t) = EL + I0/gL (1 - exp(-t gL / Cm)), written with expm1 for accuracy."""
    return EL + I0 / GL * -np.expm1(-t * GL / CM)


def run_passive(method, dt, t_stop=40.0):
    r = hhsim.simulate(passive_model(), stim.step(I0), t_stop=t_stop, dt=dt, method=method, v_init=EL)
    # the recorded times are multiples of dt from 0
    np.testing.assert_allclose(r.t, dt * np.arange(r.t.size), rtol=0, atol=1e-12)
    return r.t, r.v


def test_passive_expeuler_is_exact():
    t, v = run_passive("expeuler", 0.025)
    assert v[0] == EL
    assert np.max(np.abs(v - passive_exact(t))) < 1e-12


@pytest.mark.parametrize("dt", [0.1, 0.025])
def test_passive_expeuler_is_exact_at_any_dt(dt):
    t, v = run_passive("expeuler", dt)
    assert np.max(np.abs(v - passive_exact(t))) < 1e-12


def test_passive_rk4():
    t, v = run_passive("rk4", 0.025)
    err = np.max(np.abs(v - passive_exact(t)))
    assert err < 1e-9


def test_passive_euler_first_order():
    errs = {}
    for dt in (0.1, 0.05, 0.025):
        t, v = run_passive("euler", dt)
        errs[dt] = np.max(np.abs(v - passive_exact(t)))
    # error halves with dt
    assert errs[0.1] / errs[0.05] == pytest.approx(2.0, rel=0.05)
    assert errs[0.05] / errs[0.025] == pytest.approx(2.0, rel=0.05)
    # and matches the leading term of Euler's error for dV/dt = -lam (V - Vinf):
    # (1 - lam h)^n = exp(-lam t - lam^2 h t / 2 + ...), so
    # err(t) ~ A lam^2 h t exp(-lam t) / 2, largest at lam t = 1: A lam h / (2 e).
    lam, amp = GL / CM, I0 / GL
    for dt, err in errs.items():
        predicted = amp * lam * dt / (2 * math.e)
        assert err == pytest.approx(predicted, rel=0.05)


# ------------------------------------------------------------ clamped gates
COMMANDS = [-90.0, -40.0, 0.0, 40.0]  # mV
V_HOLD = -65.0


def clamp_run(method, dt, commands, t_stop=20.0, temperature=6.3):
    """Clamp from V_HOLD (gates at their textbook steady state there) at each command."""
    model = hhsim.models.get("hh").with_params(temperature=temperature)
    x0 = np.array([tb.x_inf(g, V_HOLD) for g in "mhn"])
    plan = lower([model] * len(commands), initial=(V_HOLD, x0))
    stimuli = [stim.step(c) for c in commands]
    out = run_batch(plan, stimuli, make_grid(t_stop, dt), method, wave=np.arange(len(commands)), clamp=True)
    return out, x0


def relaxation(gate, v, x0, t, phi=1.0):
    xi = tb.x_inf(gate, v)
    tau = tb.tau_x(gate, v, phi)
    return xi + (x0 - xi) * np.exp(-t / tau)


def clamp_error(out, x0, commands, phi=1.0):
    err = 0.0
    for c, vc in enumerate(commands):
        for j, gate in enumerate("mhn"):
            expected = relaxation(gate, vc, x0[j], out.t, phi)
            err = max(err, float(np.max(np.abs(out.y[:, j, c] - expected))))
    return err


@pytest.mark.parametrize("method", ["expeuler", "rk4", "euler"])
def test_clamp_holds_voltage_at_command(method):
    out, _ = clamp_run(method, 0.025, COMMANDS, t_stop=5.0)
    assert np.all(out.v[0] == V_HOLD)
    assert np.all(out.v[1:] == np.array(COMMANDS))
    assert all(s.size == 0 for s in out.spike_times)


def test_clamp_gates_expeuler_exact():
    out, x0 = clamp_run("expeuler", 0.025, COMMANDS)
    assert clamp_error(out, x0, COMMANDS) < 1e-12


def test_clamp_gates_rk4():
    # RK4's per-step error on dx/dt = -(x - x_inf)/tau is (dt/tau)^5/120; with
    # tau down to ~0.12 ms (m at +40 mV) dt = 0.0025 ms keeps the global error < 1e-9.
    out, x0 = clamp_run("rk4", 0.0025, COMMANDS)
    assert clamp_error(out, x0, COMMANDS) < 1e-9


def test_clamp_gates_rk4_fourth_order():
    e1 = clamp_error(*clamp_run("rk4", 0.02, COMMANDS, t_stop=10.0), COMMANDS)
    e2 = clamp_error(*clamp_run("rk4", 0.01, COMMANDS, t_stop=10.0), COMMANDS)
    assert math.log2(e1 / e2) == pytest.approx(4.0, abs=0.3)


def test_clamp_hold_then_step():
    """Hold at -65 mV for 5 ms (gates stay at rest) then step to +20 mV."""
    dt, t_on, v_step = 0.025, 5.0, 20.0
    command = stim.step(V_HOLD, start=0.0, dur=t_on) + stim.step(v_step, start=t_on)
    x0 = np.array([tb.x_inf(g, V_HOLD) for g in "mhn"])
    plan = lower(hhsim.models.get("hh"), initial=(V_HOLD, x0))
    out = run_batch(plan, [command], make_grid(15.0, dt), "expeuler", clamp=True)
    t = out.t
    before = t <= t_on + 1e-9
    after = ~before
    # V is the command (at a grid point on the edge, the left limit: still held)
    np.testing.assert_array_equal(out.v[before, 0], V_HOLD)
    np.testing.assert_array_equal(out.v[after, 0], v_step)
    for j, gate in enumerate("mhn"):
        np.testing.assert_allclose(out.y[before, j, 0], x0[j], rtol=0, atol=1e-14)
        expected = relaxation(gate, v_step, x0[j], t[after] - t_on)
        assert np.max(np.abs(out.y[after, j, 0] - expected)) < 1e-12


@pytest.mark.parametrize("temperature", [16.3, 20.0])
def test_clamp_gates_temperature(temperature):
    """At temperature T the rates are multiplied by 3**((T - 6.3)/10)."""
    phi = 3.0 ** ((temperature - 6.3) / 10.0)
    out, x0 = clamp_run("expeuler", 0.01, COMMANDS, t_stop=10.0, temperature=temperature)
    assert clamp_error(out, x0, COMMANDS, phi) < 1e-12
    # and not at the reference temperature's rates
    assert clamp_error(out, x0, COMMANDS, 1.0) > 1e-3
