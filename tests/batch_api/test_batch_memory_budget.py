"""One memory policy: $HHSIM_MAX_MEMORY bounds a batch as it bounds every other request,
and the batch's own check (before any model is lowered) obeys it too."""

from __future__ import annotations

import pytest

import hhsim
from hhsim.errors import SolverError


def test_the_memory_budget_reaches_the_batch(monkeypatch):
    # 1000 neurons recording V and 3 gates every step of 10 ms at 0.01 ms: about 32 MB
    monkeypatch.setenv("HHSIM_MAX_MEMORY", "4M")
    with pytest.raises(SolverError, match="would need .* GB for 1000 neurons"):  # the batch's own check
        hhsim.simulate_batch("hh", n=1000, t_stop=10.0, dt=0.01, method="euler", record="all")
    monkeypatch.setenv("HHSIM_MAX_MEMORY", "8G")
    r = hhsim.simulate_batch("hh", n=2, t_stop=1.0, dt=0.01, method="euler", record="all")
    assert r.traces["v"].shape == (101, 2)


def test_a_huge_batch_is_refused_before_any_neuron_is_built():
    # refused up front: building 1e12 models first would never finish
    with pytest.raises(SolverError, match="would need .* for 1000000000000 neurons"):
        hhsim.simulate_batch("hh", n=10**12, t_stop=1.0)
    with pytest.raises(hhsim.ParameterError, match="whole number of neurons"):
        hhsim.simulate_batch("hh", n=2.5, t_stop=1.0)
