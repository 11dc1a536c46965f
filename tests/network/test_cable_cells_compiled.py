"""Cable cells inside the compiled network loop: no Python per step, spikes located on
the cubic Hermite interpolant of the detection node's V (end slopes from the cable
equation), buffers grown between chunks and the step resumed where it stopped."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

import hhsim
from hhsim.cable import CableStepper, cable, point, simulate_cable
from hhsim.engine import network_cables, network_driver
from hhsim.network import CableCell, Network, Population, Projection, simulate_network, synapses
from hhsim.network import simulate as net_simulate

# one worker with tests/network/test_cable_cells.py, after it: its kernels are these tests' too
pytestmark = pytest.mark.xdist_group("cable_cells")


def _axon():
    return cable(2000.0, 2.0)  # µm


def _forbid(monkeypatch, obj, name):
    def refuse(*args, **kwargs):
        raise AssertionError(f"{name} ran from Python during the run")

    monkeypatch.setattr(obj, name, refuse)


def test_no_python_per_step(monkeypatch):
    """The run makes one compiled call per chunk: the per-step Python path (the stepper,
    the one-step call of the point loop, the spike helpers called from Python) made
    unusable, the network still gives the cable's own spike."""
    stim = point(hhsim.stim.step(1.0, start=2.0, dur=1.0), at=0.0)
    cell = CableCell(_axon(), "hh", stimuli=[stim], detect_at=("cable", 0.5), method="cn")
    net = Network(populations=[Population("axon", cell)], t_stop=20.0, dt=0.01)
    for obj, name in ((CableStepper, "advance"), (net_simulate._Runner, "_call"),
                      (network_driver, "synaptic_conductance"), (network_driver, "monitor_spikes"),
                      (network_driver, "inject_spikes")):
        _forbid(monkeypatch, obj, name)
    calls = []
    run_steps = network_cables.run_steps

    def counted(*args):
        calls.append(args[:2])
        return run_steps(*args)

    monkeypatch.setattr(network_cables, "run_steps", counted)
    r = simulate_network(net)
    n_steps = 2000
    assert len(calls) <= 2 * (n_steps // net_simulate.CHUNK + 1)  # chunks (and grown buffers), not steps
    assert calls[0][0] == 0 and max(c[1] for c in calls) == n_steps
    ref = simulate_cable(_axon(), "hh", [stim], t_stop=20.0, dt=0.01, method="cn", record=1)
    node = cell.node(cell.stepper(0.01), ("cable", 0.5))
    crossings = ref.crossing_times[node]
    crossings = crossings[np.isfinite(crossings)]
    assert r.spikes["axon"][1].size == crossings.size == 1
    # two cubic locations on the same samples (simulate_cable's through four of them)
    assert abs(r.spikes["axon"][1][0] - crossings[0]) < 1e-4


def _spline_crossing(t, v, thr):
    """(linear, spline) upward crossing times of ``thr`` by samples v at t: the chord of
    the step, and a cubic spline through the samples around it (root by bisection)."""
    k = int(np.nonzero((v[:-1] < thr) & (v[1:] >= thr))[0][0])
    linear = t[k] + (t[k + 1] - t[k]) * (thr - v[k]) / (v[k + 1] - v[k])
    sl = slice(max(0, k - 6), k + 8)
    spline = CubicSpline(t[sl], v[sl])
    return linear, brentq(lambda x: float(spline(x)) - thr, t[k], t[k + 1], xtol=1e-14)


def test_cable_spike_located_on_the_cubic():
    """A cable cell stepped by RK4 (its V samples accurate to O(dt^4)), the detection node
    below the spike's inflection: the network's spike time against the crossing of the
    same cable at dt/8 (simulate_cable, its samples' spline), beside the chord through
    the samples at dt.  The cubic is far nearer, and converges faster than second order."""
    thr, dx, t_stop = -20.0, 100.0, 5.0  # mV, µm, ms
    stim = point(hhsim.stim.step(1.0, start=1.0, dur=1.0), at=0.0)
    node = CableCell(_axon(), "hh", method="rk4", dx=dx).node(
        CableStepper(_axon(), "hh", method="rk4", dt=0.025, dx=dx), ("cable", 0.5))
    fine = simulate_cable(_axon(), "hh", [stim], t_stop=t_stop, dt=0.025 / 8, method="rk4", dx=dx, record=[node],
                          record_every=1)
    _, t_ref = _spline_crossing(fine.t, fine.v[:, 0], thr)
    errors = {}
    for dt in (0.025, 0.0125):
        cell = CableCell(_axon(), "hh", stimuli=[stim], detect_at=("cable", 0.5), method="rk4", dx=dx,
                         threshold=thr)
        r = simulate_network(Network(populations=[Population("axon", cell)], t_stop=t_stop, dt=dt))
        assert r.spikes["axon"][1].size == 1
        same = simulate_cable(_axon(), "hh", [stim], t_stop=t_stop, dt=dt, method="rk4", dx=dx, record=[node],
                              record_every=1)
        t_linear, _ = _spline_crossing(same.t, same.v[:, 0], thr)
        errors[dt] = (abs(r.spikes["axon"][1][0] - t_ref), abs(t_linear - t_ref))
    for dt, (cubic, linear) in errors.items():
        assert cubic < linear / 5, (dt, cubic, linear)
    # halving dt: a second-order location's error falls about 4x, the cubic's (fourth order on
    # these samples, less where the crossing's place in the step moves) by clearly more
    assert errors[0.025][0] / errors[0.0125][0] > 6


def test_queue_grows_inside_a_step_and_the_step_resumes(monkeypatch):
    """Ten cable cells spike in the same step and fan out over more edges than the event
    queue has slots: the compiled loop returns to grow the queue in the middle of queuing
    them and resumes there, queuing the rest once: the targets (each with its own drawn
    weights) fire as in the same run with a queue large enough from the start."""
    n_cells, n_targets = 10, 2000  # 20,000 edges; the queue starts with max(4096, 4 x nodes) slots
    stim = point(hhsim.stim.step(1.0, start=1.0, dur=1.0), at=0.0)
    cell = CableCell(_axon(), "hh", stimuli=[stim], detect_at=("cable", 0.5), method="cn")
    net = Network(
        populations=[Population("axon", cell, n=n_cells), Population("B", "hh", n=n_targets)],
        projections=[Projection("axon", "B", synapses.Exp(tau=2.0, E=0.0), delay=1.0,
                                weight={"dist": "uniform", "low": 0.03, "high": 0.07})],
        t_stop=12.0, dt=0.025, seed=3)
    statuses = []
    run_steps = network_cables.run_steps

    def noted(*args):
        out = run_steps(*args)
        statuses.append(out[0])
        return out

    monkeypatch.setattr(network_cables, "run_steps", noted)
    r = simulate_network(net)
    assert network_driver.GROW_QUEUE in statuses  # (else this test tests nothing)
    queue = net_simulate._queue
    monkeypatch.setattr(net_simulate, "_queue", lambda cap, n_buckets: queue(1 << 18, n_buckets))
    statuses.clear()
    big = simulate_network(net)
    assert network_driver.GROW_QUEUE not in statuses
    idx, tx = r.spikes["axon"]
    assert np.array_equal(np.sort(idx), np.arange(n_cells)) and np.ptp(tx) == 0.0  # identical cells, one step
    idx, tb = r.spikes["B"]
    assert idx.size > n_targets // 2 and tb.min() > tx[0] + 1.0  # fired, after the cables' spikes and the delay
    for a, b in zip(r.spikes["B"], big.spikes["B"]):
        np.testing.assert_array_equal(a, b)
