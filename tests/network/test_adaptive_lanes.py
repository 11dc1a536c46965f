"""Adaptive network cells in SIMD lanes (``hhsim.engine.network_adaptive_lanes``): the lanes'
right-hand side against the point engine's, a network run in lanes against the same network
one cell at a time, and which structures take which path.

The lanes' accuracy against independent references (solve_ivp with exact events, the
fixed-step loop at a small step) is checked by ``test_adaptive_network.py``, whose
``hh`` networks run in lanes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hhsim.engine import network_adaptive_run as runner
from hhsim.engine.batch import make_grid
from hhsim.engine.codegen import adaptive_functions, flat_parameters
from hhsim.engine.network_adaptive_codegen import LANES, STAGE_ROWS, lanes_function, supports
from hhsim.engine.network_lower import lower_network
from hhsim.engine.solvers.dopri5_driver import data_pointer
from hhsim.network import Monitors, Network, Population, presets, simulate_network

pytestmark = pytest.mark.xdist_group("adaptive_network")


def _group(model: str, n: int = LANES):
    net = Network(populations=[Population("P", model, n=n)], t_stop=1.0)
    return lower_network(net, make_grid(1.0, 0.025)).groups[0]


@pytest.mark.parametrize("model", ["traub_miles", "pospischil_ib"])
def test_lanes_rhs_is_the_point_engines_rhs(model):
    """dY/dt of every lane (states and currents drawn at random, a calcium pool in
    pospischil_ib) equals the point engine's ``rhs_into`` for that lane's cell."""
    group = _group(model)
    plan = group.plan
    s = plan.structure
    assert supports(s)
    rng = np.random.default_rng(7)
    nv = s.n_states + 1
    params = flat_parameters(plan)
    y0 = np.concatenate([[plan.v0[0]], plan.y0[:, 0]])
    Z = np.ascontiguousarray(y0[:, None] * rng.uniform(0.5, 1.5, size=(nv, LANES)))
    Z[0] = rng.uniform(-90.0, 40.0, LANES)  # mV
    current = rng.uniform(-20.0, 20.0, LANES)  # µA/cm²
    K = np.zeros((STAGE_ROWS, nv, LANES))
    lanes_rhs = lanes_function(s)
    P = np.ascontiguousarray(params.T)
    _call(lanes_rhs, Z, K, 3, current, P)
    rhs_into = adaptive_functions(s)[0]
    for lane in range(LANES):
        y = np.ascontiguousarray(Z[:, lane])
        k = np.zeros(nv)
        _call_one(rhs_into, y, k, current[lane], np.ascontiguousarray(params[lane]))
        np.testing.assert_allclose(K[3, :, lane], k, rtol=1e-12, atol=1e-12 * np.max(np.abs(k)))
    assert not K[[0, 1, 2, 4, 5, 6, 7]].any()  # only the row asked for is written


def _call(function, Z, K, at, current, P):
    from numba import njit

    @njit
    def call(f, Z, K, at, current, P):
        f(data_pointer(Z), data_pointer(K), at, data_pointer(current), data_pointer(P))

    call(function, Z, K, at, current, P)


def _call_one(function, y, k, current, p):
    from numba import njit

    @njit
    def call(f, y, k, current, p):
        f(data_pointer(y), data_pointer(k), 0, current, data_pointer(p))

    call(function, y, k, current, p)


def test_lanes_agree_with_one_cell_at_a_time(monkeypatch):
    """COBAHH (100 cells, 0.5 ms delays, 25 ms) at rtol = atol = 1e-9: the same spikes
    of the same cells within 1e-6 ms and the same recorded traces within 1e-5 mV, in
    lanes and one cell at a time (the same method; they differ in the last bits)."""
    net = presets.cobahh(n=100, t_stop=25.0)
    net = net.replace(projections=tuple(dataclasses.replace(p, delay=0.5) for p in net.projections),
                      monitors=Monitors(spikes="all", states={"E": [0, 41], "I": [5]}, every_ms=0.25))
    runs = {}
    for lanes in (True, False):
        monkeypatch.setattr(runner, "USE_LANES", lanes)
        runs[lanes] = simulate_network(net, method="dopri5", rtol=1e-9, atol=1e-9)
    for pop in ("E", "I"):
        (ia, ta), (ib, tb) = runs[True].spikes[pop], runs[False].spikes[pop]
        assert ta.size == tb.size
        for c in np.unique(ia):
            np.testing.assert_allclose(np.sort(ta[ia == c]), np.sort(tb[ib == c]), atol=1e-6)
        np.testing.assert_allclose(runs[True].v[pop], runs[False].v[pop], atol=1e-5)
    assert runs[True].spikes["E"][1].size > 20  # the network fires: events, spikes, dead times


def test_which_structures_run_in_lanes():
    """A membrane whose states all have their own equations runs in lanes; one with an
    instantaneous gate (Wang-Buzsaki's sodium activation, set from V) one cell at a time."""
    lanes = runner._structure(_group("hh", 3))
    alone = runner._structure(_group("wang_buzsaki", 3))
    assert lanes.kernel is runner.lanes.advance_lanes
    assert alone.kernel is runner.na.advance_cells
    assert (lanes.n, alone.n) == (3, 3)


def test_lanes_step_control_is_the_point_engines():
    """The lanes' branch-free step control (their log and exp) gives the growth factor and
    the remembered log error of ``step_growth`` (the point engine's PI control), from the
    shortcut below err = 8e-8 through the limit 10 to shrinking steps; and its log is ln."""
    from hhsim.engine.network_adaptive_control import flog, lanes_step_growth
    from hhsim.engine.solvers.dopri5_driver import step_growth

    x = np.exp(np.linspace(-60.0, 40.0, 2001))
    assert max(abs(flog(v) - np.log(v)) for v in x) < 1e-13
    err = np.array([1e-9, 8e-8, 9e-8, 1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.2, 0.3, 0.5, 0.6, 0.7, 0.9, 0.99, 1.0])
    log_prev = np.log(np.array([1e-4, 1e-3, 0.5, 0.9, 1e-4, 0.2, 0.01, 1.0, 1e-4, 0.3, 0.7, 1e-2, 0.05, 0.99, 0.4,
                                0.8]))
    fac, log_next = np.zeros(LANES), np.zeros(LANES)
    lanes_step_growth(err, log_prev, fac, log_next)
    expected = np.array([step_growth(e, p) for e, p in zip(err, log_prev)])
    assert fac[0] == 10.0 and fac.min() < 1.0 < fac.max()
    np.testing.assert_allclose(fac, expected[:, 0], rtol=1e-13)
    np.testing.assert_allclose(log_next, expected[:, 1], rtol=0, atol=1e-13)


def test_the_default_method_is_adaptive_where_it_pays():
    """A network of at least PAYS_FROM_CELLS cells given no method, step or tolerance runs
    dopri5 (its default tolerances) where the adaptive path takes it and steps every cell
    in lanes, and gives the bits of asking for it; with zero delays, an instantaneous gate
    or fewer cells the rule says rk4, and a step of its own keeps a fixed-step method."""
    net = presets.cobahh(n=runner.PAYS_FROM_CELLS, t_stop=3.0).replace(method=None, dt=None)
    delayed = net.replace(projections=tuple(dataclasses.replace(p, delay=0.5) for p in net.projections),
                          monitors=Monitors(spikes="all", states={"E": [0]}, every_ms=0.25))
    auto = simulate_network(delayed)
    asked = simulate_network(delayed, method="dopri5")
    assert (auto.method, asked.method) == ("dopri5", "dopri5")
    assert auto.meta["tolerances"] == {"rtol": runner.RTOL, "atol": runner.ATOL}
    np.testing.assert_array_equal(auto.spikes["E"][1], asked.spikes["E"][1])
    np.testing.assert_array_equal(auto.v["E"], asked.v["E"])
    grid = make_grid(3.0, 0.025)
    assert runner.pays(lower_network(delayed, grid))
    assert not runner.pays(lower_network(net, grid))  # zero delays: events inside a step
    wb = Network(populations=[Population("P", "wang_buzsaki", n=runner.PAYS_FROM_CELLS)], t_stop=1.0)
    assert not runner.pays(lower_network(wb, grid))  # an instantaneous gate: one cell at a time
    few = delayed.replace(populations=tuple(dataclasses.replace(p, n=p.n // 10) for p in delayed.populations))
    assert not runner.pays(lower_network(few, grid))  # fewer cells than it was measured at
    stepped = simulate_network(delayed.replace(method="expeuler", t_stop=0.5), dt=0.1)
    assert stepped.method == "expeuler"  # a method of its own is kept
    assert simulate_network(delayed.replace(t_stop=0.5), dt=0.05).method == "rk4"  # a step asked for


@pytest.mark.parametrize("lanes", [True, False])
def test_a_group_shares_exponentials_only_where_every_cell_allows(monkeypatch, lanes):
    """Two populations of one membrane structure, the second with alpha_m's k changed so
    that its slope is no longer 8 x beta_n's: the group computes every rate form with its
    own exponential, and each population's spikes are those it fires in a network of its
    own (there with the shared exponentials its cells all allow), in lanes and one cell
    at a time, at rtol = atol = 1e-9."""
    from hhsim import models, stim
    from hhsim.physics import exp_sharing

    monkeypatch.setattr(runner, "USE_LANES", lanes)
    hh = models.get("hh")
    slowed = hh.with_params({"Na.m.alpha.k": 10.7})
    drive = stim.step(10.0, start=1.0)
    pops = [Population("A", hh, n=4, stim=drive), Population("B", slowed, n=4, stim=drive)]
    mixed = Network(populations=pops, t_stop=40.0)
    group = lower_network(mixed, make_grid(40.0, 0.025)).groups[0]
    assert group.plan.ncomp == 8  # one structure group
    assert exp_sharing.common(group.plan.structure, group.plan.rp) is None
    assert exp_sharing.common(group.plan.structure, group.plan.rp[:, :4]) is not None
    together = simulate_network(mixed, method="dopri5", rtol=1e-9, atol=1e-9)
    for pop in pops:
        alone = simulate_network(Network(populations=[pop], t_stop=40.0), method="dopri5", rtol=1e-9, atol=1e-9)
        (i_t, t_t), (i_a, t_a) = together.spikes[pop.name], alone.spikes[pop.name]
        assert t_a.size >= 8 and np.array_equal(i_t, i_a)
        np.testing.assert_allclose(t_t, t_a, rtol=0, atol=1e-6)
