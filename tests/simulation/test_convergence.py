"""Measured order of accuracy of every registered fixed-step solver.

The problem is smooth (``hh`` from rest driven by a sine current that starts
at 0 with t, so no jump anywhere; it fires a spike within the window), the
reference is scipy's DOP853 at rtol = atol = 1e-12 on the textbook equations.
The solvers are taken from the registry, so a new solver is covered as soon as
it is registered: its declared ``order`` must be what is measured.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.engine.solvers import FIXED_STEP

from helpers import hh_textbook as tb

T_STOP = 15.0  # ms
AMP, FREQ = 10.0, 60.0  # µA/cm², Hz
COMMON_DT = 0.05  # ms, the grid on which errors are compared
LEVELS = 4  # dt, dt/2, dt/4, dt/8


def current(t):
    return AMP * math.sin(2.0 * math.pi * FREQ * 1e-3 * t)


@pytest.fixture(scope="module")
def reference():
    t = np.linspace(0.0, T_STOP, int(round(T_STOP / COMMON_DT)) + 1)
    sol = tb.solve(current, T_STOP, tb.resting_state(), 1e-12, t_eval=t)
    assert sol.y[0].max() > 20.0, "the test problem should contain a spike"
    return sol.y[0]


def _dts(solver):
    # Start at the solver's default step (the accuracy it is meant to be used at),
    # but no coarser than the comparison grid and dividing it exactly.
    base = COMMON_DT / 2 ** max(0, math.ceil(math.log2(COMMON_DT / solver.default_dt) - 1e-9))
    return [base / 2**k for k in range(LEVELS)]


@pytest.mark.parametrize("name", list(FIXED_STEP))
def test_measured_order(name, reference):
    solver = FIXED_STEP[name]
    dts = _dts(solver)
    errs = []
    for dt in dts:
        r = hhsim.simulate("hh", stim.sine(AMP, FREQ), t_stop=T_STOP, dt=dt, method=name)
        stride = int(round(COMMON_DT / dt))
        v = r.v[::stride]
        assert v.shape == reference.shape
        errs.append(float(np.max(np.abs(v - reference))))
    errs = np.array(errs)
    pairwise = np.log2(errs[:-1] / errs[1:])
    fitted = np.polyfit(np.log(dts), np.log(errs), 1)[0]  # slope of log err vs log dt
    print(f"{name}: dt={dts} err={errs} pairwise orders={pairwise} fitted={fitted}")
    # the reference must be far more accurate than the finest run
    assert errs[-1] > 1e-8, f"{name}: finest error {errs[-1]:.2e} too close to the reference's accuracy"
    assert abs(pairwise[-1] - solver.order) <= 0.3, (name, pairwise)
    assert abs(fitted - solver.order) <= 0.3, (name, fitted)
