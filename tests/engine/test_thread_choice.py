"""Threads that never hurt: runs whose threads meet every step take only the
cores that other work leaves free (hhsim.engine.threads.coupled_thread_count)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from hhsim.engine import threads


def loadavg(runnable: int) -> callable:
    return lambda: f"0.52 0.58 0.59 {runnable}/211 4321\n"


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.delenv("HHSIM_THREADS", raising=False)
    monkeypatch.setattr(threads, "cores", lambda: 2)


def test_idle_machine_gives_every_core(two_cores):
    # only the reading thread is runnable
    assert threads.busy_cores(loadavg(1)) == 0
    assert threads.coupled_thread_count(loadavg(1)) == 2


def test_one_busy_process_leaves_one_core(two_cores):
    assert threads.busy_cores(loadavg(2)) == 1
    assert threads.coupled_thread_count(loadavg(2)) == 1


def test_more_work_than_cores_still_runs_on_one_thread(two_cores):
    assert threads.busy_cores(loadavg(9)) == 2
    assert threads.coupled_thread_count(loadavg(9)) == 1


def test_hhsim_threads_is_obeyed_whatever_the_load(two_cores, monkeypatch):
    monkeypatch.setenv("HHSIM_THREADS", "2")
    assert threads.coupled_thread_count(loadavg(9)) == 2


def test_unreadable_load_keeps_the_default(two_cores):
    def missing():
        raise FileNotFoundError("/proc/loadavg")

    assert threads.coupled_thread_count(missing) == 2
    assert threads.coupled_thread_count(lambda: "garbage") == 2


def test_smallest_of_the_readings_counts(two_cores):
    readings = iter(["0 0 0 3/10 1", "0 0 0 1/10 1", "0 0 0 3/10 1"])
    assert threads.busy_cores(lambda: next(readings)) == 0


@pytest.mark.skipif(not Path("/proc/loadavg").exists(), reason="needs Linux's /proc/loadavg")
def test_two_busy_processes_take_the_second_thread_away(monkeypatch):
    monkeypatch.delenv("HHSIM_THREADS", raising=False)
    spin = "import time\nt = time.monotonic() + 20\nwhile time.monotonic() < t: pass\n"
    busy = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    try:
        time.sleep(0.3)
        assert threads.coupled_thread_count() <= max(1, threads.cores() - 2)
    finally:
        for p in busy:
            p.kill()
            p.wait()


def test_an_idle_machine_is_read_once_and_a_busy_one_three_times(two_cores):
    calls = []

    def read(runnable):
        def once():
            calls.append(1)
            return f"0 0 0 {runnable}/10 1"
        return once

    threads.busy_cores(read(1))
    assert len(calls) == 1  # no waiting when only the reader runs
    calls.clear()
    threads.busy_cores(read(3))
    assert len(calls) == threads.LOAD_SAMPLES


def test_a_pool_stays_usable_when_another_size_is_asked_for():
    # two callers on different thread counts at once (HHSIM_THREADS changed between
    # them): the first one's pool must still take its work
    two = threads._executor(2)
    three = threads._executor(3)
    assert two.submit(lambda: 2).result(timeout=10) == 2
    assert three.submit(lambda: 3).result(timeout=10) == 3
    assert threads._executor(2) is two
