"""A parameter column lowered once (``hhsim.batch_columns``) is the plan of one model per neuron.

``simulate_batch`` no longer builds a model per neuron for conductances,
reversal potentials, the capacitance or the threshold: it lowers the model
once and writes the columns.  Every array of that plan must be the array
``lower`` builds from the models, bit for bit (initial states included: the
resting potentials found all at once equal each model's own), and anything
else must take the model-per-neuron path.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import hhsim
from hhsim.batch_columns import columns_plan, copied_row, model_with
from hhsim.physics.rest import resting_potentials, steady_current
from hhsim.physics.structure import lower

N = 6


@pytest.mark.parametrize("model_name, values", [
    ("hh", {"gNa": np.linspace(60.0, 180.0, N)}),
    ("hh", {"gK": np.linspace(20.0, 50.0, N), "EL": np.linspace(-70.0, -45.0, N)}),
    ("hh", {"Cm": np.linspace(0.5, 2.0, N), "spike_threshold": np.linspace(-20.0, 10.0, N)}),
    ("wang_buzsaki", {"gNa": np.linspace(20.0, 50.0, N), "EL": np.linspace(-70.0, -60.0, N)}),
    ("traub_miles", {"gL": np.linspace(0.05, 0.3, N)}),  # starts at v_init = -60 mV
])
def test_the_plan_is_the_plan_of_one_model_per_neuron(model_name, values):
    base = hhsim.models.get(model_name)
    plan = columns_plan(base, values, N)
    assert plan is not None
    models = [model_with(base, {k: float(v[i]) for k, v in values.items()}) for i in range(N)]
    expected = lower(models)
    assert plan.structure == expected.structure
    for array in ("gbar", "erev", "phi", "cm", "rp", "v0", "y0", "threshold"):
        assert np.array_equal(getattr(plan, array), getattr(expected, array)), array


@pytest.mark.parametrize("name", ["temperature", "Na.m.alpha.A", "ttx_nM"])
def test_rates_temperature_and_drugs_take_one_model_per_neuron(name):
    base = hhsim.models.get("hh")
    assert copied_row(base, name) is None
    assert columns_plan(base, {name: np.linspace(1.0, 2.0, N)}, N) is None


def test_pools_and_given_gate_values_take_one_model_per_neuron():
    assert columns_plan(hhsim.models.get("destexhe_tc"), {"gL": np.full(N, 0.02)}, N) is None
    started = replace(hhsim.models.get("hh"), initial_states=(("h", 0.5),))
    assert columns_plan(started, {"gNa": np.full(N, 100.0)}, N) is None


def test_each_rest_is_a_stable_root_of_the_steady_state_current():
    # independent of the search: I_ss(V_rest) = 0 and dI_ss/dV > 0 there, from the
    # textbook HH steady states written out here (6.3 degC, Hodgkin & Huxley 1952)
    g_na = np.linspace(60.0, 180.0, 25)
    plan = columns_plan(hhsim.models.get("hh"), {"gNa": g_na}, g_na.size)
    rest = resting_potentials(plan)

    def i_ss(v, gna):
        am = 0.1 * (v + 40.0) / (1.0 - np.exp(-(v + 40.0) / 10.0))
        bm = 4.0 * np.exp(-(v + 65.0) / 18.0)
        ah = 0.07 * np.exp(-(v + 65.0) / 20.0)
        bh = 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
        an = 0.01 * (v + 55.0) / (1.0 - np.exp(-(v + 55.0) / 10.0))
        bn = 0.125 * np.exp(-(v + 65.0) / 80.0)
        m, h, n = am / (am + bm), ah / (ah + bh), an / (an + bn)
        return gna * m ** 3 * h * (v - 50.0) + 36.0 * n ** 4 * (v + 77.0) + 0.3 * (v + 54.387)

    assert np.all(np.abs(i_ss(rest, g_na)) < 1e-9)
    assert np.all(i_ss(rest + 1e-3, g_na) > i_ss(rest - 1e-3, g_na))
    # the search's own current agrees with the formula away from the root too
    v = np.linspace(-89.7, 20.3, 12)  # off the removable 0/0 at -40 and -55 mV
    assert np.allclose(steady_current(plan, v[:, None])[:, 3], i_ss(v, g_na[3]), rtol=1e-12, atol=1e-12)


def test_a_batch_of_ten_thousand_builds_no_model_per_neuron(monkeypatch):
    calls = []
    real = hhsim.model.Model.with_params

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(hhsim.model.Model, "with_params", counted)
    b = hhsim.simulate_batch("hh", {"gNa": np.linspace(100.0, 140.0, 10_000)}, t_stop=1.0, dt=0.05,
                             method="expeuler")
    assert b.n == 10_000 and len(calls) <= 4  # the two probes of the parameter's row, not one per neuron
    assert b.models[9_999].params()["gNa"].value == 140.0


@pytest.mark.parametrize("method", ["expeuler", "rk4"])
def test_a_batch_of_mixed_kinetics_gives_each_neuron_its_lone_bits(method):
    # temperatures differ: the batch takes the loop that reads rate factors per neuron,
    # each lone neuron the loop compiled for shared ones; the same operations either way
    temps = np.array([6.3, 6.3, 12.0, 18.5])
    step = hhsim.stim.step(1.0, start=2.0, dur=20.0)
    b = hhsim.simulate_batch("hh", {"temperature": temps}, stimulus=step, scale=np.full(4, 10.0), t_stop=25.0,
                             method=method, record="all")
    for i, temp in enumerate(temps):
        alone = hhsim.simulate(hhsim.models.get("hh").with_params(temperature=float(temp)),
                               hhsim.stim.step(10.0, start=2.0, dur=20.0), t_stop=25.0, method=method)
        assert np.array_equal(b.traces["v"][:, i], alone.v), i
        assert np.array_equal(b.spike_times[i], alone.spike_times), i
