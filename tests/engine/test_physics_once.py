"""One description of the physics: Result.currents, Model.channel_currents, the
steady-state I-V curve and the resting-state solver all evaluate the one
NumPy physics (hhsim.physics.evaluate.physics, which the engine's NumPy path
hhsim.engine.numpy_path re-exports), and it agrees with the
Hodgkin-Huxley equations written out independently (tests/helpers/hh_textbook.py)."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim import models, stim
from hhsim.physics import evaluate as numpy_path  # the one NumPy physics (moved from the engine)

from helpers import hh_textbook as tb


def _x_inf(alpha, beta, v):
    a, b = np.array([alpha(x) for x in v]), np.array([beta(x) for x in v])
    return a / (a + b)


def test_result_currents_are_the_textbook_currents():
    r = hhsim.simulate("hh", stim.step(10.0, 1.0, 20.0), t_stop=15.0, method="rk4", dt=0.01)
    m, h, n = r.states["m"], r.states["h"], r.states["n"]
    expected = {"Na": tb.G_NA * m ** 3 * h * (r.v - tb.E_NA), "K": tb.G_K * n ** 4 * (r.v - tb.E_K),
                "L": tb.G_L * (r.v - tb.E_L)}
    for name, i in expected.items():
        assert np.allclose(r.currents[name], i, rtol=1e-12, atol=1e-10), name
    assert np.allclose(r.conductances["Na"], tb.G_NA * m ** 3 * h, rtol=1e-12, atol=0)


def test_steady_state_current_and_rest_are_the_textbook_ones():
    v = np.linspace(-100.0, 40.0, 57)
    ss = (tb.G_NA * _x_inf(tb.alpha_m, tb.beta_m, v) ** 3 * _x_inf(tb.alpha_h, tb.beta_h, v) * (v - tb.E_NA)
          + tb.G_K * _x_inf(tb.alpha_n, tb.beta_n, v) ** 4 * (v - tb.E_K) + tb.G_L * (v - tb.E_L))
    model = models.get("hh")
    assert np.allclose(model.steady_state_current(v), ss, rtol=1e-11, atol=1e-9)
    assert model.resting_potential() == pytest.approx(tb.resting_potential(), abs=1e-9)


def test_currents_conductances_and_steady_states_read_the_engine_physics(monkeypatch):
    model = models.get("destexhe_tc")  # GHK calcium, a pool, expression rates
    v = np.linspace(-90.0, 0.0, 7)
    states = {name: np.full(v.shape, x) for name, x in zip(model.state_names, model.steady_states(-70.0))}
    calls = []
    real = numpy_path.physics

    def counting(plan, v, y, steady=False):
        calls.append(steady)
        return real(plan, v, y, steady)

    monkeypatch.setattr(numpy_path, "physics", counting)
    i = model.channel_currents(v, states)
    g = model.channel_conductances(v, states)
    xs = model.gate_steady_states(v)
    assert calls == [False, False, True]
    assert set(i) == set(g) == {c.name for c in model.channels} and len(xs) == model.n_gates
    # a GHK channel's chord conductance is its current over the drive from its reversal
    ph = real(hhsim.model._lowered(model), v, np.array([states[n] for n in model.state_names]))
    k = [c.name for c in model.channels].index(next(c.name for c in model.channels if c.reversal == "ghk"))
    name = model.channels[k].name
    assert np.allclose(g[name] * (v - ph["E"][k]), i[name], rtol=1e-12, atol=1e-15)
