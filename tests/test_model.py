"""The model description: presets, resting state, parameters, rate forms, Q10."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.channels.base import LINEXP_SERIES_BELOW, LinExp
from hhsim.engine.kernel_helpers import EXP_RATIO_SERIES_BELOW
from hhsim.engine.batch import make_grid, run_batch
from hhsim.physics.structure import lower
from hhsim.errors import ParameterError

# ---------------------------------------------------------- textbook HH (modern)
ENA, EK, EL, GNA, GK, GL = 50.0, -77.0, -54.387, 120.0, 36.0, 0.3


def _rates(v):
    am = 0.1 * (v + 40.0) / (1.0 - math.exp(-(v + 40.0) / 10.0))
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    an = 0.01 * (v + 55.0) / (1.0 - math.exp(-(v + 55.0) / 10.0))
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return {"m": (am, bm), "h": (ah, bh), "n": (an, bn)}


def _steady_current(v):
    x = {g: a / (a + b) for g, (a, b) in _rates(v).items()}
    return GNA * x["m"] ** 3 * x["h"] * (v - ENA) + GK * x["n"] ** 4 * (v - EK) + GL * (v - EL)


# ---------------------------------------------------------- resting potential
def test_hh_rest_is_near_minus_65_and_a_root():
    hh = hhsim.models.get("hh")
    v = hh.resting_potential()
    assert v == pytest.approx(-65.0, abs=0.01)
    # independently: the textbook steady-state current vanishes there ...
    assert abs(_steady_current(v)) < 1e-10
    # ... and changes sign across it, from inward below to outward above (stable)
    assert _steady_current(v - 0.01) < 0 < _steady_current(v + 0.01)


def test_hh_initial_state_is_steady_state_at_rest():
    hh = hhsim.models.get("hh")
    v0, gates = hh.initial_state()
    rates = _rates(v0)
    for name, x in zip(hh.state_names, gates):
        a, b = rates[name]
        assert x == pytest.approx(a / (a + b), rel=1e-12)


def test_hh1952_rest_and_shift():
    hh, old = hhsim.models.get("hh"), hhsim.models.get("hh1952")
    assert old.resting_potential() == pytest.approx(0.0, abs=0.01)
    # the 1952 convention is the modern one displaced by exactly 65 mV
    assert old.resting_potential() - hh.resting_potential() == pytest.approx(65.0, abs=1e-9)


def test_hh1952_trace_is_hh_trace_shifted():
    hh, old = hhsim.models.get("hh"), hhsim.models.get("hh1952")
    shift = old.resting_potential() - hh.resting_potential()
    s = stim.step(10.0, start=2.0, dur=20.0)
    # A fixed-step method, so both runs take the same steps (an adaptive one
    # would choose its steps from |V|, which differs between the conventions).
    a = hhsim.simulate(hh, s, t_stop=40.0, method="rk4")
    b = hhsim.simulate(old, s, t_stop=40.0, method="rk4")
    assert a.n_spikes >= 1
    assert np.max(np.abs(b.v - (a.v + shift))) < 1e-6
    for name in ("m", "h", "n"):
        assert np.max(np.abs(b.states[name] - a.states[name])) < 1e-8
    # spikes: 0 mV modern is +65 mV in 1952 (the preset's threshold)
    assert b.n_spikes == a.n_spikes
    np.testing.assert_allclose(b.spike_times, a.spike_times, atol=1e-6)


# ---------------------------------------------------------- with_params
def test_with_params_changes_only_the_named_parameter():
    hh = hhsim.models.get("hh")
    m = hh.with_params(gNa=60, EK=-80, Cm=2.0, temperature=18.5)
    assert m.channel("Na").gbar == 60.0
    assert m.channel("K").E == -80.0
    assert m.Cm == 2.0 and m.temperature == 18.5
    before, after = hh.params(), m.params()
    changed = {k for k in before if before[k].value != after[k].value}
    assert changed == {"gNa", "EK", "Cm", "temperature"}
    # the original is untouched
    assert hh.channel("Na").gbar == 120.0 and hh.Cm == 1.0


def test_with_params_rate_parameter_and_dict_form():
    hh = hhsim.models.get("hh")
    m = hh.with_params({"Na.m.alpha.V0": -45.0}, **{"K.q10": 2.0})
    gate = m.channel("Na").gates[0]
    assert gate.name == "m" and gate.alpha.V0 == -45.0
    assert m.channel("K").q10 == 2.0
    # the shifted rate is the textbook alpha_m shifted by -5 mV
    v = -20.0
    assert gate.alpha(v) == pytest.approx(_rates(v + 5.0)["m"][0], rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"gXYZ": 1.0},
        {"Na.m.alpha.Q": 1.0},
        {"bogus": 1.0},
        {"gNa": -1.0},
        {"gL": -1e-9},
        {"Cm": 0.0},
        {"Cm": -1.0},
        {"gNa": "lots"},
        {"gNa": float("inf")},
        {"temperature": 1000.0},
    ],
)
def test_with_params_rejects(kwargs):
    with pytest.raises(ParameterError):
        hhsim.models.get("hh").with_params(**kwargs)


def test_with_params_unknown_name_lists_accepted():
    with pytest.raises(ParameterError, match="gNa"):
        hhsim.models.get("hh").with_params(gXYZ=1)


# ---------------------------------------------------------- LinExp singularity
def _linexp_exact(A, k, V0, v):
    """A (v - V0) / (1 - exp(-(v - V0)/k)) in 60-digit decimal arithmetic, at the exact
    binary values of the floats (Decimal(float) is exact)."""
    with localcontext() as ctx:
        ctx.prec = 60
        u = Decimal(v) - Decimal(V0)
        if u == 0:
            return float(Decimal(A) * Decimal(k))
        return float(Decimal(A) * u / (1 - (-u / Decimal(k)).exp()))


LINEXPS = [LinExp(A=0.1, k=10.0, V0=-40.0), LinExp(A=0.01, k=10.0, V0=-55.0), LinExp(A=0.32, k=4.0, V0=-54.0)]


@pytest.mark.parametrize("form", LINEXPS)
def test_linexp_at_singular_point(form):
    assert float(form(form.V0)) == pytest.approx(form.A * form.k, rel=1e-15)


@pytest.mark.parametrize("form", LINEXPS)
def test_linexp_matches_high_precision_around_singularity(form):
    from hhsim.engine.kernel_helpers import _linexp_rate

    offsets = [0.0]
    for e in range(-15, 2):
        for mant in (1.0, 3.0, 7.0):
            offsets += [mant * 10.0**e, -mant * 10.0**e]
    # both sides of the switch between the series and the closed form
    # (the NumPy form switches at LINEXP_SERIES_BELOW, the compiled one at EXP_RATIO_SERIES_BELOW)
    for edge in (LINEXP_SERIES_BELOW * form.k, EXP_RATIO_SERIES_BELOW * form.k):
        offsets += [edge * (1 + f) for f in (-1e-3, -1e-9, 0.0, 1e-9, 1e-3)]
        offsets += [-edge * (1 + f) for f in (-1e-3, -1e-9, 0.0, 1e-9, 1e-3)]
    worst_np = worst_jit = 0.0
    for d in offsets:
        v = form.V0 + d
        exact = _linexp_exact(form.A, form.k, form.V0, v)
        worst_np = max(worst_np, abs(float(form(v)) / exact - 1))
        worst_jit = max(worst_jit, abs(_linexp_rate(v, form.A, form.k, form.V0) / exact - 1))
    assert worst_np < 1e-14
    assert worst_jit < 1e-14


def test_linexp_continuous_through_singularity():
    form = LINEXPS[0]
    v = form.V0 + np.linspace(-1e-3, 1e-3, 20001)
    y = form(v)
    assert np.all(np.isfinite(y))
    # smooth and increasing (derivative A/2 at V0): no jump between samples
    dy = np.diff(y)
    assert np.all(dy > 0)
    np.testing.assert_allclose(dy / np.diff(v), form.A / 2, rtol=1e-3)


# ---------------------------------------------------------- temperature
@pytest.mark.parametrize("temperature", [6.3, 16.3, 26.3, 20.0])
def test_q10_factor(temperature):
    hh = hhsim.models.get("hh")
    warm = hh.with_params(temperature=temperature)
    expected = 3.0 ** ((temperature - 6.3) / 10.0)
    plan = lower(warm)
    for i, ch in enumerate(warm.channels):
        if ch.gates:
            assert plan.phi[i, 0] == pytest.approx(expected, rel=1e-14)
    for ch, gate in warm.gates:
        for v in (-80.0, -65.0, -20.0, 30.0):
            a, b = _rates(v)[gate.name]
            assert gate.time_constant(v, ch.phi(warm.temperature)) == pytest.approx(
                1.0 / (expected * (a + b)), rel=1e-12
            )


def test_rates_three_times_faster_at_16_3():
    """Under clamp, dx/dt at 16.3 °C is 3x dx/dt at 6.3 °C (first step of forward Euler)."""
    hh = hhsim.models.get("hh")
    dt = 1e-3
    slopes = []
    for temp in (6.3, 16.3):
        plan = lower(hh.with_params(temperature=temp), initial=(-65.0, np.array([0.05, 0.6, 0.32])))
        out = run_batch(plan, [stim.step(0.0)], make_grid(dt, dt), "euler", clamp=True)
        slopes.append((out.y[1, :, 0] - out.y[0, :, 0]) / dt)
    np.testing.assert_allclose(slopes[1], 3.0 * slopes[0], rtol=1e-12)
    rates = _rates(0.0)
    for j, (g, x) in enumerate(zip("mhn", (0.05, 0.6, 0.32))):
        a, b = rates[g]
        assert slopes[0][j] == pytest.approx(a * (1 - x) - b * x, rel=1e-10)
