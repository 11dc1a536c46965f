"""Sweeps on Dask: the numbers do not depend on the workers, the chunking, a killed
worker, an interruption, or a cluster started outside hhsim.

Every reference is the same sweep computed in this process (``workers=0``),
which itself is checked against the protocols in test_sweep_measures.py.
Clusters bind 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

import hhsim
from helpers.cli import run_cli
from conftest import same_numbers

GRID = {"gNa": np.linspace(100.0, 140.0, 4), "gK": np.array([30.0, 36.0, 42.0])}
MEASURES = ["rheobase", "n_spikes"]
BIN = Path(sys.executable).parent


def peak_v(r):
    return float(r.v.max())


@pytest.fixture(scope="module")
def reference():
    return hhsim.sweep("hh", GRID, MEASURES + [peak_v], workers=0)


@pytest.mark.slow
def test_one_two_three_workers_and_any_chunking_are_bitwise_identical(reference):
    from hhsim.sweep.run import _close, connect

    client, _ = connect(workers=1)  # the local cluster hhsim.sweep makes, grown between runs
    try:
        for workers, chunk in ((1, 5), (2, 1), (3, 4)):
            client.cluster.scale(workers)
            client.wait_for_workers(workers, timeout=60)
            ds = hhsim.sweep("hh", GRID, MEASURES + [peak_v], client=client, chunk=chunk, progress=False)
            assert ds.attrs["workers"] == workers
            same_numbers(ds, reference)
    finally:
        _close(client)


def _worker_processes():
    """Worker processes of a local cluster: children of this process started by multiprocessing."""
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if "spawn_main" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def test_a_killed_worker_costs_only_its_chunk(reference):
    killed = []

    def kill_one(done, total, rate, eta):
        if not killed:  # after the first chunk: every worker is busy with the next ones
            victim = _worker_processes()[0]
            victim.send_signal(signal.SIGKILL)
            killed.append(victim.pid)

    ds = hhsim.sweep("hh", GRID, MEASURES + [peak_v], workers=2, chunk=2, progress=kill_one)
    assert killed, "no worker process found to kill"
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == psutil.STATUS_ZOMBIE
    assert ds.attrs["chunks_computed"] == ds.attrs["chunks_total"] == 6
    same_numbers(ds, reference)


def _done(store: Path) -> int:
    import zarr

    try:
        return int(np.asarray(zarr.open_group(str(store), mode="r")["done"][:]).sum())
    except Exception:  # not created yet
        return 0


@pytest.mark.slow
def test_sigint_leaves_a_store_that_resume_completes(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    args = ["sweep", "--param", "gK=30:40:6", "--measure", "absolute_refractory_ms", "--chunk", "1",
            "--out", str(store), "--json", "--quiet"]
    proc = subprocess.Popen([str(BIN / "hhsim"), *args, "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    deadline = time.monotonic() + 60
    while _done(store) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole process group, workers included
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and len(err.strip().splitlines()) == 1, err
    stored = _done(store)
    assert 2 <= stored < 6
    code, out, err = run_cli(capsys, *args, "--workers", "0", "--resume")  # finished here, in this process
    assert code == 0, err
    data = json.loads(out)
    assert (data["chunks_resumed"], data["chunks_computed"]) == (stored, 6 - stored)
    ref = hhsim.sweep("hh", {"gK": np.linspace(30, 40, 6)}, "absolute_refractory_ms", workers=0)
    same_numbers(hhsim.sweep.open_sweep(store), ref)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_an_existing_scheduler_and_workers_started_as_processes(reference, capsys):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], **quiet)
    workers = subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                "--host", "127.0.0.1", "--no-dashboard"], **quiet)
    try:
        from distributed import Client

        with Client(address, timeout="60s") as probe:  # both workers registered before the sweep starts
            probe.wait_for_workers(2, timeout=60)
        code, out, err = run_cli(capsys, "sweep", "--param", "gNa=100:140:4", "--param", "gK=30:42:3",
                                 "--measure", "rheobase", "--measure", "n_spikes", "--scheduler", address,
                                 "--chunk", "3", "--json", "--quiet")
        assert code == 0, err
        data = json.loads(out)
        assert data["workers"] == 2
        for m in ("rheobase_uA_cm2", "n_spikes"):
            assert data["measures"][m]["values"] == reference[m].values.tolist()
    finally:
        for p in (workers, scheduler):
            p.terminate()
        for p in (workers, scheduler):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
