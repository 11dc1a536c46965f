"""The one solver registry: every driver's methods, their kinds and orders."""

import math

import numpy as np
import pytest

from hhsim.cable import METHODS as CABLE_METHODS
from hhsim.engine import solvers


def test_every_point_and_cable_method_is_registered_with_kind_and_order():
    assert solvers.names("point") == list(solvers.FIXED_STEP) + list(solvers.ADAPTIVE)
    assert set(solvers.names("cable")) == set(CABLE_METHODS)
    assert list(CABLE_METHODS) == ["cn", "be", "rk4", "euler"]  # implicit first, higher order first
    for name, (order, dt, theta) in CABLE_METHODS.items():
        m = solvers.METHODS[name]
        assert (m.order, m.default_dt["cable"], m.theta) == (order, dt, theta)
    for name, s in solvers.FIXED_STEP.items():
        assert solvers.METHODS[name].order == s.order and solvers.METHODS[name].solver is s
    kinds = {m.name: m.kind for m in solvers.METHODS.values()}
    assert kinds == {"euler": "explicit", "rk4": "explicit", "ssprk3": "explicit", "expeuler": "exponential",
                     "dopri5": "adaptive", "lsoda": "adaptive", "cn": "implicit", "be": "implicit"}


@pytest.mark.parametrize("name", ["euler", "rk4", "ssprk3"])
def test_explicit_stability_extent_is_the_real_axis_root(name):
    """|R(-s)| = 1 at the registered extent s, < 1 just inside it (R: the method's
    stability polynomial, computed here from its Taylor terms)."""
    terms = {"euler": 1, "rk4": 4, "ssprk3": 3}[name]
    s = solvers.METHODS[name].stability

    def r(x):
        return sum((-x) ** k / math.factorial(k) for k in range(terms + 1))

    assert abs(abs(r(s)) - 1.0) < 1e-12
    assert np.all(np.abs([r(x) for x in np.linspace(1e-3, s * (1 - 1e-6), 200)]) < 1.0)


def test_unknown_domain_is_refused():
    with pytest.raises(KeyError):
        solvers.method("cn", "point")
