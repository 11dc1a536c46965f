"""A channel written the tutorial's way runs through the same kernels as the built-in one.

``examples/a_current_tutorial.py`` writes the Connor-Stevens A-current as
expression strings with the paper's numbers; the library's ``cs_a`` writes
it with named constants.  In the squid axon both must give the same trace
(to 1e-10 mV) with every method.  The squid-axon channels rewritten as
expressions must reproduce the built-in ``hh`` (whose rates use the
dedicated LinExp/Exp/Sigmoid shapes) to rounding.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import hhsim
from hhsim.channels import Channel, Gate
from hhsim.engine.solvers import FIXED_STEP

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tutorial():
    spec = importlib.util.spec_from_file_location("a_current_tutorial", ROOT / "examples" / "a_current_tutorial.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("method", [None, *FIXED_STEP])
def test_tutorial_channel_equals_builtin(tutorial, method):
    hh = hhsim.models.get("hh")
    custom = tutorial.squid_with_a(20.0)
    builtin = hh.with_channels(hhsim.channels.get("cs_a", gbar=20.0, E=-77.0))
    stim = hhsim.stim.step(30.0, start=5.0, dur=40.0)
    a = hhsim.simulate(custom, stim, t_stop=60.0, method=method)
    b = hhsim.simulate(builtin, stim, t_stop=60.0, method=method)
    assert a.n_spikes >= 2
    assert np.max(np.abs(a.v - b.v)) <= 1e-10
    for name in ("a", "b"):
        assert np.max(np.abs(a.states[name] - b.states[name])) <= 1e-12
    np.testing.assert_allclose(a.currents["A"], b.currents["A"], rtol=0, atol=1e-10)
    # and the A-current does something: it hyperpolarises rest by several mV
    assert custom.resting_potential() < hh.resting_potential() - 3.0


def test_tutorial_rates_match_the_paper(tutorial):
    """The tutorial's a_inf, b_inf, tau_a, tau_b against Dayan & Abbott's formulas, typed here."""
    ch = tutorial.a_current()
    a, b = ch.gates
    for v in (-90.0, -60.0, -30.0, 0.0, 30.0):
        ainf = (0.0761 * np.exp(0.0314 * (v + 94.22)) / (1 + np.exp(0.0346 * (v + 1.17)))) ** (1 / 3)
        binf = (1 / (1 + np.exp(0.0688 * (v + 53.3)))) ** 4
        assert float(a.steady_state(v)) == pytest.approx(ainf, rel=1e-13)
        assert float(b.steady_state(v)) == pytest.approx(binf, rel=1e-13)
        assert float(a.time_constant(v)) == pytest.approx(0.3632 + 1.158 / (1 + np.exp(0.0497 * (v + 55.96))), rel=1e-13)
        assert float(b.time_constant(v)) == pytest.approx(1.24 + 2.678 / (1 + np.exp(0.0624 * (v + 50))), rel=1e-13)


def expression_hh() -> hhsim.Model:
    na = Channel("Na", gbar=120.0, E=50.0, ion="na", gates=[
        Gate("m", 3, alpha="0.1*linexp(V + 40, 10)", beta="4*exp(-(V + 65)/18)"),
        Gate("h", 1, alpha="0.07*exp(-(V + 65)/20)", beta="1/(1 + exp(-(V + 35)/10))"),
    ])
    k = Channel("K", gbar=36.0, E=-77.0, ion="k", gates=[
        Gate("n", 4, alpha="0.01*linexp(V + 55, 10)", beta="0.125*exp(-(V + 65)/80)")])
    return hhsim.Model("hh_expr", (na, k, Channel("L", gbar=0.3, E=-54.387)), temperature=6.3)


@pytest.mark.parametrize("method", list(FIXED_STEP))
def test_expression_hh_equals_builtin_hh(method):
    stim = hhsim.stim.step(10.0, start=2.0)
    a = hhsim.simulate("hh", stim, t_stop=30.0, method=method)
    b = hhsim.simulate(expression_hh(), stim, t_stop=30.0, method=method)
    assert a.n_spikes >= 2 and b.v_rest == pytest.approx(a.v_rest, abs=1e-9)
    assert np.max(np.abs(a.v - b.v)) < 1e-9
    np.testing.assert_allclose(b.spike_times, a.spike_times, rtol=0, atol=1e-10)


def test_custom_channel_params_change_the_kernel_inputs_not_the_kernel():
    """Two models differing only in an expression constant share one compiled structure."""
    from hhsim.physics.structure import structure_of

    cs = hhsim.models.get("connor_stevens")
    shifted = cs.with_params({"A.Va": -90.0})
    assert structure_of(cs) == structure_of(shifted)
    r0 = hhsim.simulate(cs, hhsim.stim.step(9.0), t_stop=100.0)
    r1 = hhsim.simulate(shifted, hhsim.stim.step(9.0), t_stop=100.0)
    assert np.max(np.abs(r0.v - r1.v)) > 1.0
