"""Threads that meet at spin barriers: a thread that fails never leaves the others waiting.

The leading thread of a compiled loop waits at every step for the others
(:func:`hhsim.engine.spin.meet`).  If another thread's call fails before it
arrives, the leader must leave and the failure must reach the caller: a run
that hangs at full load, or one that returns with half its nodes never
stepped, are both worse than the error.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import pytest
from numba import njit

from hhsim.engine import spin
from hhsim.engine.backend.numba_cpu import NumbaCPU

#: Longest a case may take before it counts as a hang (s); each takes milliseconds.
HANG_S = 20.0


class PartnerBroke(Exception):
    pass


def _finishes(call, seconds: float = HANG_S) -> tuple[bool, list]:
    """Run ``call()`` on a daemon thread; (whether it ended within ``seconds``, [its result or error])."""
    out: list = []

    def target():
        try:
            out.append(call())
        except BaseException as exc:  # the case's outcome, examined by the test
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), out


@njit(nogil=True)
def _meets_three_times(tid, n_threads, sync, arrivals):
    """A compiled loop of three steps, its threads meeting once per step (without the
    GIL, as the engine's loops); the partner (tid 1) breaks before its second meeting."""
    for p in (1, 2, 3):
        if tid == 1 and p == 2:
            raise PartnerBroke("tid 1 broke at step 2")
        if not spin.meet(sync, n_threads, p):
            return p
        arrivals[tid] += 1
    return 0


@njit(nogil=True)
def _all_meet_four_times(tid, n_threads, sync, arrivals):
    for p in (1, 2, 3, 4):
        if not spin.meet(sync, n_threads, p):
            return -1
        arrivals[tid] += 1
    return tid


def test_a_partner_that_fails_before_a_meeting_ends_the_run_with_its_error():
    arrivals = np.zeros(2, dtype=np.int64)
    ended, out = _finishes(lambda: spin.run_on_threads(_meets_three_times, 2, spin.new_sync(), (arrivals,), "t"))
    assert ended, "the leading thread still waits for a partner that failed"
    assert len(out) == 1 and isinstance(out[0], PartnerBroke)
    assert arrivals[1] == 1 and arrivals[0] <= 1  # the leader never passed a meeting its partner missed


def test_a_thread_that_wakes_after_the_leader_left_still_does_its_part():
    # three threads on at most two free cores: a partner often wakes from the last
    # meeting after the leader has returned, and must still count its last step
    def runs():
        seen = []
        for _ in range(1000):
            arrivals = np.zeros(3, dtype=np.int64)
            result = spin.run_on_threads(_all_meet_four_times, 3, spin.new_sync(), (arrivals,), "t")
            seen.append((result, arrivals.tolist()))
        return seen

    ended, out = _finishes(runs, seconds=180.0)  # 4000 meetings of 3 threads: slow on busy cores
    assert ended and len(out) == 1
    assert all(run == (0, [4, 4, 4]) for run in out[0]), [run for run in out[0] if run != (0, [4, 4, 4])][:3]


def test_a_parallel_loops_failing_part_is_raised_not_lost():
    done = np.zeros(10, dtype=np.int64)

    def body(lo, hi):
        if lo > 0:
            raise PartnerBroke(f"part {lo}..{hi}")
        done[lo:hi] = 1

    with pytest.raises(PartnerBroke):
        NumbaCPU().parallel_loop(10, body, n_threads=2)
    assert done[:5].all()  # the caller's own part ran


@njit(nogil=True)
def _scaled_arrivals(scale, tid, n_threads, sync, arrivals):
    if spin.meet(sync, n_threads, 1):
        arrivals[tid] += scale
    return tid


def test_a_compiled_loop_is_entered_without_each_thread_dispatching():
    arrivals = np.zeros(2, dtype=np.int64)
    bound = functools.partial(_scaled_arrivals, 5)
    assert not _scaled_arrivals.overloads  # a first call: compiled before the threads start
    entry = spin._compiled_entry(bound, (0, 2, spin.new_sync(), arrivals))
    assert len(_scaled_arrivals.overloads) == 1
    assert isinstance(entry, functools.partial) and entry.func is not _scaled_arrivals
    assert entry.func is next(iter(_scaled_arrivals.overloads.values())).entry_point
    ended, out = _finishes(lambda: spin.run_on_threads(bound, 2, spin.new_sync(), (arrivals,), "t"))
    assert ended and out == [0] and arrivals.tolist() == [5, 5]
