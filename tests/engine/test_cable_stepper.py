"""CableStepper: the per-step entry point of a multi-compartment cell.

* stepping with zero extra terms reproduces ``simulate_cable`` (the same
  kernels, the same arithmetic: bitwise), on a cable and on a branched cell
  with junction nodes, for every cable method;
* the extra terms act as the docstring says: analytic steady states of a
  passive compartment with an extra conductance and an injected current,
  and Crank-Nicolson's second order with a step split at an event time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hhsim import stim
from hhsim.cable import cable, point, simulate_cable
from hhsim.cable.presets import passive
from hhsim.cable.stepper import CableStepper
from hhsim.cable.swc import parse_swc
from hhsim.errors import HHSimError, SolverError

FORK = """1 1 0 0 0 6 -1
2 3 6 0 0 1 1
3 3 60 0 0 1 2
4 3 90 20 0 0.6 3
5 3 90 -20 0 0.6 3
6 2 -6 0 0 0.5 1
7 2 -206 0 0 0.5 6
"""


def _trace(stepper: CableStepper, n_steps: int) -> np.ndarray:
    out = [stepper.v.copy()]
    for _ in range(n_steps):
        stepper.advance()
        out.append(stepper.v.copy())
    return np.array(out)


@pytest.mark.parametrize("method, dt", [("cn", 0.025), ("be", 0.02), ("rk4", 0.002), ("euler", 0.001)])
def test_stepping_a_cable_reproduces_simulate_cable(method, dt):
    axon = cable(2000.0, 2.0, 100.0)
    # edges off the grid points, so both sides agree on which steps hold them
    stims = [point(stim.pulse(2.0, 0.1037, 0.3), at=0.0)]
    t_stop = 3.0 if method in ("cn", "be") else 0.6
    r = simulate_cable(axon, "hh", stims, t_stop=t_stop, dt=dt, method=method, nseg=40, record="all",
                       record_every=1)
    s = CableStepper(axon, "hh", dt=dt, method=method, stimuli=stims, nseg=40)
    v = _trace(s, len(r.t) - 1)[:, r.rec_nodes]
    assert np.max(np.abs(v - r.v)) <= 1e-12
    assert s.t == pytest.approx(r.t[-1], abs=1e-12)
    if method == "cn":
        assert np.max(r.v) > 0.0  # it fired: the comparison covers a spike


@pytest.mark.parametrize("method", ["cn", "be"])
def test_stepping_a_branched_cell_reproduces_simulate_cable(method):
    morph = parse_swc(FORK, source="fork.swc")
    soma = morph.sections[0].name
    stims = [point(stim.pulse(1.0, 0.2013, 0.5), section=soma, x=0.5)]
    channels = {"soma": "hh", "axon": "hh", "dend": passive(0.1)}
    r = simulate_cable(morph, channels, stims, t_stop=4.0, dt=0.025, method=method, nseg=5, record="all",
                       record_every=1)
    s = CableStepper(morph, channels, dt=0.025, method=method, stimuli=stims, nseg=5)
    assert not s.tree.is_chain and s.tree.junction.any()
    v = _trace(s, len(r.t) - 1)[:, r.rec_nodes]
    assert np.max(np.abs(v - r.v)) <= 1e-12
    assert s.soma_node in s.tree.section_nodes[0]


def test_extra_conductance_and_current_reach_the_analytic_steady_state():
    """One passive compartment (area A): C dV/dt = -gL A (V - EL) - g (V - E) + I.
    At steady state V = (gL A EL + g E + I) / (gL A + g)."""
    gl, el = 0.3, -65.0  # mS/cm², mV
    comp = cable(20.0, 20.0, 100.0)
    s = CableStepper(comp, passive(gl, el), dt=0.05, method="be", nseg=1)
    assert s.n == 1
    area_um2 = math.pi * 20.0 * 20.0
    assert s.area[0] == pytest.approx(area_um2)
    g, e, i = 0.002, 0.0, 0.05  # µS, mV, nA
    gla = gl * area_um2 * 1e-5  # mS/cm² x µm² -> µS
    assert gl * s.uS_per_mS_cm2[0] == pytest.approx(gla, rel=1e-14)
    for _ in range(4000):  # 200 ms, many membrane time constants (tau = C / (gL A + g) < 3 ms)
        s.advance(None, np.array([g]), np.array([g * e]), np.array([i]))
    expected = (gla * el + g * e + i) / (gla + g)
    assert s.v[0] == pytest.approx(expected, abs=1e-9)


def test_crank_nicolson_with_a_split_step_is_second_order():
    """A passive compartment switched onto an extra conductance at t = 0.3 ms,
    an event time off the grid: the step holding it is split there.  The error
    at 2 ms against the exact exponential falls by 4 when dt halves."""
    gl, el, cm = 0.3, -65.0, 1.0
    comp = cable(20.0, 20.0, 100.0)
    area_cm2 = math.pi * 20.0 * 20.0 * 1e-8
    g, e = 0.003, 0.0  # µS, mV
    gla, cap = gl * area_cm2 * 1e3, cm * area_cm2 * 1e3  # µS, nF
    t_on, t_end = 0.3, 2.0
    tau = cap / (gla + g)
    v_inf = (gla * el + g * e) / (gla + g)
    exact = v_inf + (el - v_inf) * math.exp(-(t_end - t_on) / tau)

    def run(dt):
        s = CableStepper(comp, passive(gl, el, cm), dt=dt, method="cn", nseg=1)
        on = np.zeros(1)
        while s.t < t_end - 1e-12:
            h = min(s.dt, t_end - s.t)
            if s.t < t_on < s.t + h:
                h = t_on - s.t  # land on the event
            if s.t >= t_on - 1e-12:
                on = np.array([g])
            s.advance(h, on, on * e)
        return s.v[0]

    errs = [abs(run(dt) - exact) for dt in (0.04, 0.02, 0.01)]
    orders = [math.log2(errs[k] / errs[k + 1]) for k in range(2)]
    assert min(orders) > 1.8, (errs, orders)


def test_bad_arguments_are_refused():
    s = CableStepper(cable(100.0, 1.0), "hh", dt=0.025, nseg=4)
    with pytest.raises(SolverError, match="at most dt"):
        s.advance(0.05)
    with pytest.raises(HHSimError, match="one per node"):
        s.advance(None, np.zeros(3))
    with pytest.raises(HHSimError, match="outside the section"):
        s.node_at(0, 1.5)
    assert s.node_at("cable", 1.0) == s.n - 1
    with pytest.raises(ValueError):
        s.v[0] = 1.0  # read-only view
    # the registry's stability extent refuses an explicit method at an unstable dt
    with pytest.raises(SolverError, match="unstable"):
        CableStepper(cable(100.0, 1.0), "hh", dt=0.01, method="euler", nseg=20)
    with pytest.raises(SolverError, match="unknown cable method"):
        CableStepper(cable(100.0, 1.0), "hh", method="expeuler")
