"""The command line starts a first run's dopri5 loop worker before importing numba
(hhsim.first_run): only for a `run` on dopri5 without noise, only when the loop's
index file is not in the cache, and a worker nobody adopted is stopped."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hhsim import first_run


@pytest.mark.parametrize("argv, expected", [
    (["run"], True),
    (["run", "--json", "--t-stop", "50"], True),
    (["run", "--method", "dopri5"], True),
    (["run", "--method=dopri5", "--noise", "none"], True),
    (["run", "--method", "rk4"], False),
    (["run", "--method=expeuler"], False),
    (["run", "--noise", "markov", "--area", "100"], False),
    (["run", "--noise=langevin"], False),
    (["run", "--help"], False),
    (["network", "--preset", "cobahh"], False),
    ([], False),
])
def test_which_commands_run_the_dopri5_loop(argv, expected):
    assert first_run.runs_the_dopri5_loop(argv) is expected


def test_the_loop_is_found_by_its_index_file(tmp_path, monkeypatch):
    monkeypatch.setenv(first_run.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("HHSIM_PREBUILT", "0")  # the prebuilt kernels are not looked at (tests/engine/test_prebuilt.py)
    assert not first_run.loop_in_cache()
    folder = tmp_path / "numba" / "solvers_0123"
    folder.mkdir(parents=True)
    (folder / "dopri5_driver.run_dopri5-42.py311.nbi").write_bytes(b"")
    assert first_run.loop_in_cache()
    # the same location as the engine's cache
    from hhsim.engine import cache

    assert cache.candidates() == first_run.cache_candidates() == [tmp_path]


def test_no_worker_when_one_thread_or_the_loop_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv(first_run.CACHE_ENV, str(tmp_path))
    monkeypatch.setenv("HHSIM_THREADS", "1")
    first_run.start_for(["run"])
    assert first_run.adopt("dopri5") is None


def test_a_worker_nobody_adopted_is_stopped(monkeypatch):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setitem(first_run._WORKERS, "dopri5", sleeper)
    first_run.stop_unadopted()
    assert sleeper.poll() is not None
    assert first_run.adopt("dopri5") is None


def _loadavg(runnable: int):
    return lambda: f"0.50 0.40 0.30 {runnable}/120 4242"


def test_a_worker_needs_a_core_of_its_own(monkeypatch):
    from hhsim import cpu_load

    monkeypatch.delenv("HHSIM_THREADS", raising=False)
    monkeypatch.setattr(cpu_load, "cores", lambda: 2)
    assert first_run.a_core_is_free(_loadavg(1))  # only this process runs
    assert not first_run.a_core_is_free(_loadavg(2))  # one other task: its core and ours
    readings = iter(["0 0 0 3/10 1", "0 0 0 1/10 1"])
    assert first_run.a_core_is_free(lambda: next(readings))  # the smallest reading counts
    assert first_run.a_core_is_free(lambda: "garbage")  # the kernel does not say: as before
    monkeypatch.setattr(cpu_load, "cores", lambda: 4)
    assert first_run.a_core_is_free(_loadavg(3)) and not first_run.a_core_is_free(_loadavg(4))
    monkeypatch.setattr(cpu_load, "cores", lambda: 1)
    assert not first_run.a_core_is_free(_loadavg(1))
    monkeypatch.setenv("HHSIM_THREADS", "2")  # the user's choice stands
    assert first_run.a_core_is_free(_loadavg(9))


def test_no_worker_on_a_busy_machine(tmp_path, monkeypatch):
    from hhsim import cpu_load

    monkeypatch.setenv(first_run.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv("HHSIM_THREADS", raising=False)
    monkeypatch.setenv("HHSIM_PREBUILT", "0")
    monkeypatch.setattr(cpu_load, "cores", lambda: 2)
    monkeypatch.setattr(cpu_load, "_from_proc", _loadavg(3))
    first_run.start_for(["run"])
    assert first_run.adopt("dopri5") is None
