"""Shared reference values for the protocol tests (computed once per session).

Every reference here comes from ``helpers.ref_hh`` (the textbook equations and
scipy's ``solve_ivp``), never from hhsim.
"""

from __future__ import annotations

import pytest

from helpers import ref_hh as ref
from helpers.ref_hh import pulse_fires


@pytest.fixture(scope="session")
def ref_rheobase() -> float:
    """Smallest 200 ms step from rest that fires, spikes counted until 20 ms after its end."""
    return ref.bisect(lambda a: pulse_fires(a, 200.0, 20.0), 2.0, 3.0)


@pytest.fixture(scope="session")
def ref_threshold_1ms() -> float:
    """Smallest 1 ms pulse from rest that fires (30 ms tail)."""
    return ref.bisect(lambda a: pulse_fires(a, 1.0, 30.0), 1.0, 20.0)
