"""Two `hh` cells coupled both ways against an independent solve_ivp reference
with exact event handling (``helpers.two_cells``): spike times at the default
settings, and the measured order of the spike-time error in dt."""

from __future__ import annotations

import math

import pytest

from helpers import two_cells as ref
from helpers.two_cells_network import T_STOP, network as _network, spike_error as _error
from hhsim.network import simulate_network


@pytest.fixture(scope="module")
def reference():
    a, b = ref.reference(T_STOP)
    assert a.size >= 3 and b.size >= 2  # the coupling matters: B fires only through A
    return a, b


def test_default_settings_within_a_hundredth_of_a_ms(reference):
    r = simulate_network(_network())
    assert r.method == "rk4"
    assert _error(r, reference) < 0.01


@pytest.mark.parametrize("method, dts, order", [
    ("rk4", (0.04, 0.02, 0.01), 4),
    ("expeuler", (0.004, 0.002, 0.001), 1),
    ("euler", (0.004, 0.002, 0.001), 1),
])
def test_spike_time_error_has_the_methods_order(reference, method, dts, order):
    errors = [_error(simulate_network(_network(), method=method, dt=dt), reference) for dt in dts]
    slopes = [math.log2(errors[k] / errors[k + 1]) for k in range(len(errors) - 1)]
    assert all(abs(s - order) < 0.5 for s in slopes), (errors, slopes)
