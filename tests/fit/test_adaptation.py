"""A model with adaptation: gM and the M-current's tau_max of pospischil_rs recovered within
5 % from three current steps, by eFEL spike features (count, ISIs, latency)."""

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.fit import CURRENT_CLAMP, Feature, Objective, fit, make_sweep

TRUTH = {"gM": 0.075 * 1.25, "M.tau_max": 608.0 * 0.8}
FEATURES = ("spike_count", "all_ISI_values", "time_to_first_spike", "adaptation_index2")


def test_m_current_from_three_steps():
    model = hhsim.models.get("pospischil_rs").with_params(TRUTH)
    rng = np.random.default_rng(5)
    sweeps = []
    for k, amp in enumerate((1.0, 2.0, 3.0)):
        s = stim.step(amp, start=20.0, dur=250.0)
        r = hhsim.simulate(model, s, t_stop=300.0, dt=0.1)
        sweeps.append(make_sweep(f"{amp:g}uA", CURRENT_CLAMP, r.t, r.v + rng.normal(0, 0.5, r.v.size), s, ""))
    # the steps make a few to a dozen adapting spikes: the ISIs carry the M-current
    objective = Objective(kinds=("features",), features=tuple(Feature(f) for f in FEATURES))
    r = fit("pospischil_rs", sweeps, ["gM=0.02:0.3:log", "M.tau_max=200:2000:log"], objective=objective,
            generations=18, population=8, seed=0)
    for name, truth in TRUTH.items():
        assert r.params[name] == pytest.approx(truth, rel=0.05), (name, r.params[name], truth)
    counts = [f["data"]["spike_count"] for f in r.features]
    assert counts == [f["fit"]["spike_count"] for f in r.features] and counts[0] < counts[-1]
