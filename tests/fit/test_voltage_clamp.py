"""Voltage-clamp recovery: a clamp family of hh with changed K and Na rate constants
(simulated by hhsim.vclamp, the protocol of Hodgkin & Huxley 1952) gives back the
rate-function constants within 2 %."""

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.analysis.vclamp import vclamp
from hhsim.fit import VOLTAGE_CLAMP, Clamp, fit, make_sweep

#: Rate constants changed by 15-25 % (names as `hhsim models hh`).
TRUTH = {"K.n.alpha.A": 0.01 * 1.2, "K.n.beta.A": 0.125 * 0.8, "Na.m.alpha.A": 0.1 * 1.15, "Na.h.alpha.A": 0.07 * 0.8}
BOUNDS = ["K.n.alpha.A=0.005:0.02:log", "K.n.beta.A=0.06:0.25:log", "Na.m.alpha.A=0.05:0.2:log",
          "Na.h.alpha.A=0.035:0.14:log"]
HOLD, PRE, DUR, POST = -65.0, 1.0, 12.0, 2.0
STEPS = (-45.0, -25.0, -5.0, 15.0, 35.0)


def _family(model, series_resistance=None, noise=0.0, leak_subtracted=False, steps=STEPS):
    r = vclamp(model, steps, hold=HOLD, dur=DUR, pre=PRE, post=POST, prepulses=[],
               series_resistance=series_resistance)
    rng = np.random.default_rng(11)
    sweeps = []
    for k, v in enumerate(steps):
        if series_resistance is not None:
            current = r.i_clamp_uA_cm2[k]
        elif leak_subtracted:
            current = r.i_total_uA_cm2[k] - r.currents["L"][k]
        else:
            current = r.i_total_uA_cm2[k]
        command = stim.step(HOLD) + stim.step(v - HOLD, start=PRE, dur=DUR)
        sweeps.append(make_sweep(f"{v:g}mV", VOLTAGE_CLAMP, r.t_ms, current + rng.normal(0, noise, current.size),
                                 command, "vclamp"))
    return sweeps


def test_rate_constants_from_an_ideal_clamp_family():
    model = hhsim.models.get("hh").with_params(TRUTH)
    sweeps = _family(model, noise=0.2)
    r = fit("hh", sweeps, BOUNDS, objective="clamp", generations=30, population=10, seed=0, polish_fit=True)
    for name, truth in TRUTH.items():
        assert r.params[name] == pytest.approx(truth, rel=0.02), (name, r.params[name], truth)


def test_leak_subtracted_family_ignores_the_leak():
    """With the leak subtracted from the data, a wrong gL in the model does not matter."""
    model = hhsim.models.get("hh").with_params(TRUTH)
    sweeps = _family(model, leak_subtracted=True)
    known = {k: v for k, v in TRUTH.items() if k.startswith("Na.")}
    wrong_leak = hhsim.models.get("hh").with_params({**known, "gL": 3.0})
    r = fit(wrong_leak, sweeps, BOUNDS[:2], objective="clamp", clamp=Clamp(leak_subtracted=True), generations=12,
            population=8, seed=0, polish_fit=True)
    for name in ("K.n.alpha.A", "K.n.beta.A"):
        assert r.params[name] == pytest.approx(TRUTH[name], rel=0.02), name


def test_series_resistance_family():
    """Data through a 10 Ω·cm² series resistance (the clamp current as hhsim vclamp --rs gives it)
    are fitted with the same series resistance in the model."""
    model = hhsim.models.get("hh").with_params(TRUTH)
    sweeps = _family(model, series_resistance=10.0, steps=(-25.0, 15.0))
    known = {k: v for k, v in TRUTH.items() if k.startswith("Na.")}
    base = hhsim.models.get("hh").with_params(known)
    r = fit(base, sweeps, BOUNDS[:2], objective="clamp", clamp=Clamp(series_resistance=10.0), generations=12,
            population=8, seed=0, polish_fit=True)
    for name in ("K.n.alpha.A", "K.n.beta.A"):
        assert r.params[name] == pytest.approx(TRUTH[name], rel=0.02), name
