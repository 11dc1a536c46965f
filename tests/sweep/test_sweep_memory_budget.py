"""The one memory budget ($HHSIM_MAX_MEMORY, hhsim.limits) reaches a sweep's results
held in memory, as it reaches batches and networks (issue 19: one memory policy)."""

from __future__ import annotations

import numpy as np
import pytest

from hhsim.limits import MEMORY_ENV
from hhsim.sweep.run import check_memory_without_store, make_spec
from hhsim.sweep.spec import SweepError


def test_results_over_the_budget_are_refused_before_any_work(monkeypatch):
    spec = make_spec("hh", {"gNa": np.linspace(100.0, 140.0, 200_000)}, "n_spikes")
    need = spec.n_points * (9 * len(spec.measures) + 8 * len(spec.names))
    monkeypatch.setenv(MEMORY_ENV, str(need // 2))
    with pytest.raises(SweepError, match=MEMORY_ENV):
        check_memory_without_store(spec)
    monkeypatch.setenv(MEMORY_ENV, str(need * 4))
    check_memory_without_store(spec)  # within the budget (and free memory): accepted
