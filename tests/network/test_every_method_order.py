"""Every fixed-step method of the registry runs in the network driver with its
declared order: the spike-time error of two coupled `hh` cells against the
independent solve_ivp reference of ``helpers.two_cells`` halves as dt**order.

Driven by the registry: a method added there (as a tableau, for an explicit
Runge-Kutta method) is measured here with no test code of its own.
"""

from __future__ import annotations

import math

import pytest

from hhsim.engine import solvers
from hhsim.engine.network_codegen import METHODS as NETWORK_METHODS
from hhsim.network import simulate_network

from test_reference_two_cells import T_STOP, _error, _network  # noqa: F401  (the same problem)
from test_reference_two_cells import reference  # noqa: F401  (the module's fixture)


def _dts(order: int) -> tuple[float, float, float]:
    """Steps where the error is well above the reference's and well inside the
    asymptotic range: about 0.004 ms for first order, 0.04 ms for fourth."""
    raw = 0.004 * 10 ** ((order - 1) / 3)
    base = 0.04 / 2 ** round(math.log2(0.04 / raw))
    return base, base / 2, base / 4


def test_the_network_runs_every_fixed_step_method_of_the_registry():
    assert set(NETWORK_METHODS) == set(solvers.FIXED_STEP)


@pytest.mark.parametrize("method", list(solvers.FIXED_STEP))
def test_network_spike_times_converge_at_the_declared_order(reference, method):  # noqa: F811
    order = solvers.METHODS[method].order
    errors = [_error(simulate_network(_network(), method=method, dt=dt), reference) for dt in _dts(order)]
    slopes = [math.log2(errors[k] / errors[k + 1]) for k in range(len(errors) - 1)]
    assert all(abs(s - order) < 0.5 for s in slopes), (method, errors, slopes)
