"""Class 4 (the issue's section 3): no hangs.

* lsoda stops at a runaway voltage like dopri5 (it "succeeded" at 275 V);
* the cable has a step-count limit (dt = 1e-9 ms ran for minutes);
* the SWC reader is linear: a million samples in seconds (it was quadratic);
* Ctrl-C acts within about a second in a long compiled run (the run is taken
  in chunks) and exits 130 with the one line "interrupted".
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import click
import numpy as np
import pytest

from ._harness import assert_one_line_refusal, child_env, limits, run_batch

HANGS = {
    ("run", "--method", "lsoda", "--stim", "step(amp=1e20, start=20)"): "lsoda",
    ("run", "--method", "lsoda", "--stim", "step(amp=1e7, start=20)", "--t-stop", "30"): "10000 mV",
    ("run", "--method", "lsoda", "--stim", "sine(amp=1e9, freq=100)", "--t-stop", "30"): "lsoda",
    ("run", "--method", "lsoda", "--v-init", "2e4", "--t-stop", "5"): "lsoda",
    ("cable", "--dt", "1e-9", "--quiet"): "too many",
    ("cable", "--dt", "1e-9", "--t-stop", "1", "--quiet"): "compartment-steps",
    ("cable", "--dt", "1e-7", "--t-stop", "5", "--nseg", "2000", "--quiet"): "compartment-steps",
    ("run", "--dt", "1e-9", "--t-stop", "100", "--method", "rk4"): "too many",
    ("threshold", "--rtol", "0"): "rtol",
}


def test_runaway_and_endless_runs_are_refused(tmp_path):
    t0 = time.monotonic()
    outcomes = run_batch([list(c) for c in HANGS], tmp_path, timeout=240)
    for o in outcomes:
        assert_one_line_refusal(o, contains=(HANGS[tuple(o.argv)],))
    assert time.monotonic() - t0 < 240


def _chain_swc(path, n: int) -> None:
    ids = np.arange(2, n + 1)
    with open(path, "w") as fh:
        fh.write("# an unbranched dendrite\n1 1 0 0 0 5 -1\n")
        np.savetxt(fh, np.column_stack([ids, np.full(n - 1, 3), 0.5 * ids, 0 * ids, 0 * ids,
                                        np.full(n - 1, 0.5), ids - 1]), fmt="%d %d %.1f %d %d %.1f %d")


@pytest.mark.slow
def test_a_million_swc_samples_read_in_seconds(tmp_path):
    n = 1_000_000
    _chain_swc(tmp_path / "chain.swc", n)
    code = ("import sys, time; from hhsim.cable.swc import read_swc; t = time.perf_counter(); "
            "m = read_swc(sys.argv[1]); print(len(m.sections), m.sections[1].length, time.perf_counter() - t)")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "chain.swc")], capture_output=True, text=True,
                          timeout=90, env=child_env(), preexec_fn=limits())
    assert proc.returncode == 0, proc.stderr[-2000:]
    sections, length, seconds = proc.stdout.split()
    # a one-sample soma and one dendrite from the soma centre (x = 0) to the last sample (x = n / 2 µm)
    assert int(sections) == 2
    assert float(length) == 0.5 * n
    assert float(seconds) < 60


def test_ctrl_c_stops_a_long_compiled_run_within_a_second(tmp_path):
    # 8e7 steps of rk4: tens of seconds in one kernel call before runs were chunked
    args = [sys.executable, "-m", "hhsim.cli.main", "run", "--t-stop", "2e6", "--method", "rk4",
            "--record-every", "10000"]
    warm = subprocess.run(args[:3] + ["run", "--t-stop", "1", "--method", "rk4"], capture_output=True,
                          timeout=120, env=child_env(), preexec_fn=limits())
    assert warm.returncode == 0  # kernels compiled and cached: the long run starts at once
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
                            preexec_fn=limits(), cwd=tmp_path)
    time.sleep(4.0)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    waited = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["hhsim: interrupted"], err
    # a chunk is about 0.2 s of CPU; allow for a shared machine (load 8 on 2 cores here)
    assert waited < 3.0, f"Ctrl-C took {waited:.2f} s"
    assert list(tmp_path.iterdir()) == []


def test_click_abort_is_interrupted_130(capsys, monkeypatch):
    from helpers.cli import run_cli

    from hhsim.cli import main as cli_main

    def abort(*a, **k):
        raise click.exceptions.Abort()

    monkeypatch.setattr(cli_main.cli, "main", abort)
    code, out, err = run_cli(capsys, "run")
    assert code == 130 and err == "hhsim: interrupted\n" and out == ""
