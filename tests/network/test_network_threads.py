"""A network's fast path split over threads (hhsim.engine.spin): the same bits
whatever the number of threads, and a run that stops early lets every thread go."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from hhsim import stim
from hhsim.errors import DivergenceError
from hhsim.network import Monitors, presets, simulate_network
from hhsim.network import simulate as netsim

from helpers.thread_choice import record_threads


@pytest.fixture
def threads_used(monkeypatch):
    """Let small networks split (two threads from 64 nodes and 10 steps per call on)
    and note how many threads each compiled call ran on."""
    monkeypatch.setattr(netsim, "MIN_NODES_PER_THREAD", 64)
    monkeypatch.setattr(netsim, "MIN_STEPS_PER_THREADED_CALL", 10)
    used = []
    call = netsim._Runner._call

    def spy(self, n0, n1):
        used.append(self.threads if n1 - n0 >= netsim.MIN_STEPS_PER_THREADED_CALL else 1)
        return call(self, n0, n1)

    monkeypatch.setattr(netsim._Runner, "_call", spy)
    return used


def _net(method: str):
    # 330 cells (264 E, 66 I, one membrane structure): thread shares of 192 and 138 nodes, the last block short
    net = presets.cobahh(n=330, t_stop=80.0)
    return net.replace(method=method, dt=0.1 if method == "expeuler" else 0.05,
                       monitors=Monitors(spikes="all", states={"E": [0, 200, 263], "I": [5]}, every_ms=0.5))


@pytest.mark.parametrize("method", ["expeuler", "rk4"])
def test_two_threads_give_the_bits_of_one(threads_used, monkeypatch, method):
    runs = {}
    for n in (1, 2):
        monkeypatch.setenv("HHSIM_THREADS", str(n))
        threads_used.clear()
        runs[n] = simulate_network(_net(method))
        assert max(threads_used) == n
    one, two = runs[1], runs[2]
    for pop in ("E", "I"):
        assert one.n_spikes(pop) > 0
        np.testing.assert_array_equal(one.spikes[pop][0], two.spikes[pop][0])
        np.testing.assert_array_equal(one.spikes[pop][1], two.spikes[pop][1])
        np.testing.assert_array_equal(one.v[pop], two.v[pop])


def test_divergence_on_two_threads_is_reported_and_every_thread_ends(threads_used, monkeypatch):
    monkeypatch.setenv("HHSIM_THREADS", "2")
    net = _net("expeuler")
    # an enormous current from 10 ms on (a step boundary: the fast path) into the last
    # excitatory cells, which are the second thread's
    e = net.populations[0]
    kick = [None] * (e.n - 4) + [stim.pulse(1e9, 10.0, 50.0)] * 4
    before = threading.active_count()
    with pytest.raises(DivergenceError, match="diverged at t = 10.1 ms"):
        simulate_network(net.replace(populations=(dataclasses.replace(e, stim=kick), *net.populations[1:])))
    assert max(threads_used) == 2
    assert threading.active_count() == before


def test_two_threads_with_a_full_queue_give_the_bits_of_one(threads_used, monkeypatch):
    """The step's spikes are delivered by both threads and dropped by the first: when the
    event queue fills at a step's end (a queue of 64 slots, delays of 0 to 1 ms, so some
    edges go through the queue and some straight to the next step's start), the spikes
    left over wait for the queue to grow, and the run keeps the bits of one thread."""
    tiny = netsim._queue
    monkeypatch.setattr(netsim, "_queue", lambda cap, n_buckets: tiny(64, n_buckets))
    grown = []
    grow = netsim._grow_queue

    def spy_grow(Q):
        grown.append(Q.time.size)
        return grow(Q)

    monkeypatch.setattr(netsim, "_grow_queue", spy_grow)
    net = _net("expeuler")
    delayed = tuple(dataclasses.replace(p, delay="uniform(0, 1)") for p in net.projections)
    net = net.replace(projections=delayed)
    runs = {}
    for n in (1, 2):
        monkeypatch.setenv("HHSIM_THREADS", str(n))
        threads_used.clear()
        grown.clear()
        runs[n] = simulate_network(net)
        assert max(threads_used) == n
        assert grown  # the queue did fill
    _assert_same_bits(runs[1], runs[2])


def _assert_same_bits(one, two):
    """Both runs fire, and alike to the bit: the spikes of each population and the recorded V."""
    for pop in ("E", "I"):
        assert one.n_spikes(pop) > 0
        np.testing.assert_array_equal(one.spikes[pop][0], two.spikes[pop][0])
        np.testing.assert_array_equal(one.spikes[pop][1], two.spikes[pop][1])
        np.testing.assert_array_equal(one.v[pop], two.v[pop])


def test_the_free_cores_are_asked_again_at_every_chunk(monkeypatch):
    """Threads that never hurt: a run chooses its threads again before every chunk of
    steps (other work may start or stop while it runs), and the changing choice keeps
    the bits of one thread."""
    monkeypatch.setattr(netsim, "MIN_NODES_PER_THREAD", 64)
    monkeypatch.setattr(netsim, "MIN_STEPS_PER_THREADED_CALL", 10)
    monkeypatch.setattr(netsim, "CHUNK", 150)  # 800 steps: 6 chunks
    net = _net("expeuler")
    monkeypatch.setenv("HHSIM_THREADS", "1")
    one = simulate_network(net)

    monkeypatch.delenv("HHSIM_THREADS")
    # the free cores as other work comes and goes
    used = record_threads(monkeypatch, netsim, netsim._Runner, "_call", [2, 2, 1, 2, 1, 1, 2] * 4)
    changing = simulate_network(net)
    assert used == [2, 1, 2, 1, 1, 2]  # one answer at the start, then one per chunk
    _assert_same_bits(one, changing)
