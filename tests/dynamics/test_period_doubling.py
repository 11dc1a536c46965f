"""Period doubling located on a cycle branch, checked against simulation.

The continuation code takes any analytic vector field whose second argument
is the parameter; the Rössler system (a = b = 0.2) has its first period
doubling near c = 2.83 (Rössler 1976, Phys Lett A 57:397; the period-doubling
cascade to the c = 5.7 attractor).  The test checks the definition (a
Floquet multiplier at -1) and, independently, by simulation: a Poincaré
section shows one point below the located c and two above it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from hhsim.dynamics import cycles
from hhsim.dynamics.collocation import orbit_from_samples

A = B = 0.2


class Rossler:
    """x' = -y - z, y' = x + a y, z' = b + z (x - c); the parameter is c."""

    n = 3
    scale = np.ones(3)
    names = ("x", "y", "z")

    def __call__(self, U, c=0.0):
        x, y, z = U
        return np.array([-y - z, x + A * y, B + z * (x - c)])


def _run(c, t_end=600.0):
    def crossing(t, u):
        return u[1]

    crossing.direction = 1
    return solve_ivp(lambda t, u: Rossler()(u[:, None], c)[:, 0], (0, t_end), [1.0, 1.0, 0.0],
                     method="DOP853", rtol=1e-9, atol=1e-11, events=crossing, dense_output=True)


def _section_points(c) -> int:
    """Distinct x values at the Poincaré section y = 0 (upwards) after the transient."""
    xe = _run(c).y_events[0][-8:, 0]
    return len(np.unique(np.round(xe, 2)))  # two values 0.1-0.6 apart beyond the doubling


def test_rossler_first_period_doubling():
    c0 = 2.5
    sol = _run(c0)
    t0, t1 = sol.t_events[0][-2:]
    t = np.linspace(t0, t1, 2000)
    o = orbit_from_samples(t, sol.sol(t).T, t1 - t0, c0, 60, scale=np.ones(3))
    tan = np.zeros(o.u.size + 2)
    tan[-1] = 1.0
    b = cycles.continue_cycles(Rossler(), o, tan, (2.5, 3.2), ds=0.05, ds_max=0.2)
    (pd,) = b.period_doublings
    assert np.min(np.abs(pd.multipliers + 1.0)) < 1e-6
    assert pd.i_uA_cm2 == pytest.approx(2.83, abs=0.01)
    c_pd = pd.i_uA_cm2
    assert _section_points(c_pd - 0.08) == 1
    assert _section_points(c_pd + 0.08) == 2
