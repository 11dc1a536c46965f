"""A long unbranched cable on two threads (a half of the chain each, four-block
elimination): the same bits as on one, for every implicit method, with stimulus
edges (the steps taken as two half steps are the first thread's alone) and
recording at every step; a run that diverges ends every thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hhsim import stim
from hhsim.cable import Morphology, Section, cable, point, simulate_cable
from hhsim.cable import simulate as cs
from hhsim.errors import DivergenceError

from helpers.thread_choice import record_threads


@pytest.fixture
def threads_used(monkeypatch):
    """Let short runs split (two threads from 16 nodes per half and 10 steps per call)
    and note how many threads each compiled call ran on."""
    monkeypatch.setattr(cs, "MIN_NODES_PER_THREAD", 16)
    monkeypatch.setattr(cs, "MIN_STEPS_PER_THREADED_CALL", 10)
    used = []
    implicit = cs._Runner._implicit

    def spy(self, args, n_steps):
        used.append(self.threads if n_steps >= cs.MIN_STEPS_PER_THREADED_CALL else 1)
        return implicit(self, args, n_steps)

    monkeypatch.setattr(cs._Runner, "_implicit", spy)
    return used


def _axon(method: str):
    # 201 compartments (odd: unequal halves and blocks), a pulse whose edges fall
    # inside steps, a second stimulus on the far half, V recorded at every step
    stimuli = [point(stim.pulse(10.0, 0.5013, 0.5), at=0.0), point(stim.pulse(6.0, 3.0, 0.4), at=0.8)]
    return simulate_cable(cable(5000.0, 20.0, 100.0), "hh", stimuli, dx=5000.0 / 201, dt=0.01, t_stop=9.0,
                          method=method, record=[0, 57, 100, 150, 200], record_every=1)


@pytest.mark.parametrize("method", ["cn", "be"])
def test_two_threads_give_the_bits_of_one(threads_used, monkeypatch, method):
    runs = {}
    for n in (1, 2):
        monkeypatch.setenv("HHSIM_THREADS", str(n))
        threads_used.clear()
        runs[n] = _axon(method)
        assert max(threads_used) == n
    one, two = runs[1], runs[2]
    assert one.spike_counts.max() >= 1  # the spike travelled
    np.testing.assert_array_equal(one.v, two.v)
    np.testing.assert_array_equal(one.spike_counts, two.spike_counts)
    np.testing.assert_array_equal(one.crossing_times, two.crossing_times)


def test_a_branched_cell_stays_on_one_thread(threads_used, monkeypatch):
    monkeypatch.setenv("HHSIM_THREADS", "2")
    tree = Morphology([Section("trunk", 400.0, 4.0), Section("a", 400.0, 2.0, parent="trunk"),
                       Section("b", 400.0, 2.0, parent="trunk")])
    simulate_cable(tree, "hh", point(stim.pulse(2.0, 0.5, 0.5), x=0.0, section="trunk"), dx=10.0, dt=0.01,
                   t_stop=3.0)
    assert max(threads_used) == 1


def test_divergence_on_two_threads_is_reported_and_every_thread_ends(threads_used, monkeypatch):
    monkeypatch.setenv("HHSIM_THREADS", "2")
    before = threading.active_count()
    with pytest.raises(DivergenceError):
        simulate_cable(cable(5000.0, 20.0, 100.0), "hh", point(stim.pulse(1e12, 1.0, 1.0), at=0.9), dx=25.0,
                       dt=0.01, t_stop=4.0)
    assert max(threads_used) == 2
    assert threading.active_count() == before


def test_the_free_cores_are_asked_again_at_every_call(monkeypatch):
    """Threads that never hurt: a long chain chooses its threads again before every
    compiled call (other work may start or stop while it runs), and the changing choice
    keeps the bits of one thread."""
    monkeypatch.setattr(cs, "MIN_NODES_PER_THREAD", 16)
    monkeypatch.setattr(cs, "MIN_STEPS_PER_THREADED_CALL", 10)
    monkeypatch.setattr(cs, "CALL_STEPS", 200)  # 900 steps: calls of 200, 200, 200, 200, 100
    monkeypatch.setenv("HHSIM_THREADS", "1")
    one = _axon("cn")

    monkeypatch.delenv("HHSIM_THREADS")
    # the free cores as other work comes and goes
    used = record_threads(monkeypatch, cs, cs._Runner, "_implicit", [2, 2, 1, 2, 1, 2] * 4)
    changing = _axon("cn")
    assert used == [2, 1, 2, 1, 2]  # one answer at the start, then one per call
    assert one.spike_counts.max() >= 1
    np.testing.assert_array_equal(one.v, changing.v)
    np.testing.assert_array_equal(one.spike_counts, changing.spike_counts)
    np.testing.assert_array_equal(one.crossing_times, changing.crossing_times)
