"""Spikes whose edges all arrive at the next step's start (linear, no plasticity, delay 0).

* Each presynaptic id gets its code from its own edges: 0 (some edge must be queued),
  IMMEDIATE, or IMMEDIATE_SORTED when its targets are in order (checked on edge tables
  written here).
* A thread finds the edges to its own targets by bisection: the same edges, in the same
  order, as filtering every edge (random sorted target lists, every range).
* COBAHH's connectivity is drawn in target order, so every one of its cells takes the
  sorted path; the two-thread run giving the bits of one is
  ``tests/network/test_network_threads.py``.
"""

from __future__ import annotations

import numpy as np

from hhsim.engine.batch import make_grid
from hhsim.engine.network_kernels import IMMEDIATE, IMMEDIATE_SORTED, _target_run
from hhsim.engine.network_lower import _immediate, lower_network
from hhsim.network import presets
from hhsim.network.simulate import resolve


def test_each_id_gets_its_code_from_its_own_edges():
    # id 0: targets 1, 3, 3, 7 (sorted); id 1: 5, 2 (not sorted); id 2: a delayed edge;
    # id 3: an edge to a kinetic synapse (group -1); id 4: a plastic edge; id 5: no edges
    out_ptr = np.array([0, 4, 6, 8, 9, 10, 10], dtype=np.int64)
    post = np.array([1, 3, 3, 7, 5, 2, 0, 4, 6, 8], dtype=np.int32)
    delay = np.zeros(10)
    delay[7] = 0.5
    group = np.zeros(10, dtype=np.int32)
    group[8] = -1
    slot = np.full(10, -1, dtype=np.int32)
    slot[9] = 0
    codes = _immediate(out_ptr, post, delay, group, slot)
    assert list(codes) == [IMMEDIATE_SORTED, IMMEDIATE, 0, 0, 0, IMMEDIATE_SORTED]


def test_bisection_finds_the_edges_filtering_would():
    rng = np.random.default_rng(11)
    for _ in range(200):
        n_edges = int(rng.integers(0, 40))
        post = np.sort(rng.integers(0, 30, n_edges)).astype(np.int32)
        pad = int(rng.integers(0, 5))  # the segment inside a longer table
        table = np.concatenate([np.full(pad, 99, np.int32), post, np.full(3, -1, np.int32)])
        lo = int(rng.integers(0, 31))
        hi = int(rng.integers(lo, 32))
        first, end = _target_run(table, pad, pad + n_edges, lo, hi)
        wanted = [pad + e for e in range(n_edges) if lo <= post[e] < hi]
        assert list(range(first, end)) == wanted


def test_cobahh_cells_take_the_sorted_path():
    net = presets.cobahh(n=400, t_stop=5.0)
    t_stop, dt, _ = resolve(net)
    plan = lower_network(net, make_grid(t_stop, dt))
    assert np.all(plan.E.immediate == IMMEDIATE_SORTED)
