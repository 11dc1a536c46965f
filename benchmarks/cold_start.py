#!/usr/bin/env python3
"""What a new user waits for: each entry point in a fresh process with an empty
kernel cache (cold), then again with the cache it left (warm), beside Brian2's
C++ standalone first build and run of the same COBAHH network when Brian2 is
installed.

    .venv/bin/python benchmarks/cold_start.py [--repeats 1] [--brian2-python PATH]

Entry points (whole processes, wall time as a user sees it):

* ``hhsim run --json`` (the squid axon, dopri5, the default);
* ``hhsim network --preset cobahh --t-stop 100``;
* a user's own 7-channel model (the thalamocortical cell of Destexhe et al.
  plus an M-current, built in a script) simulated for 200 ms;
* ``hhsim --help`` (no kernel: the start-up of the command line alone);
* then ``hhsim network --preset wang_buzsaki_gamma`` in the cache a first
  COBAHH left (another membrane: the network loop is compiled once for every
  network, so only its own functions compile).

hhsim's own modules are compiled to bytecode first, as ``pip install`` leaves them.
Each cold run gets a new ``HHSIM_CACHE_DIR`` (a fresh temporary directory);
the warm run reuses it.  Two cold figures: with nothing compiled anywhere
(``HHSIM_PREBUILT=0``), and with the engine's fixed kernels prebuilt for this
installation (``hhsim prebuild``, run first and timed; a first run then
compiles only its model's own functions).  Printed: seconds cold and warm, and for COBAHH the
ratio to Brian2's C++ standalone (code generation, the C++ compiler and the
run, in a fresh process; Brian2 builds in a new directory each time).
Targets of the engine issue on 2 cores: ``run`` within 3 s cold, COBAHH within
10 s and faster than Brian2's first build, the 7-channel model within 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from network import brian2_python  # noqa: E402

SEVEN_CHANNELS = """
import hhsim
from hhsim import channels
tc = hhsim.models.get("destexhe_tc")
cell = tc.with_channels(channels.get("m_current"))
assert len(cell.channels) == 7, len(cell.channels)
r = hhsim.simulate(cell, hhsim.stim.step(1.0, start=20, dur=150), t_stop=200)
print(r.n_spikes)
"""


def hhsim_cli() -> list[str]:
    exe = Path(sys.executable).with_name("hhsim")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "hhsim.cli.main"]


def entry_points() -> dict[str, list[str]]:
    cli = hhsim_cli()
    return {
        "hhsim --help": [*cli, "--help"],
        "hhsim run --json": [*cli, "run", "--json"],
        "hhsim network --preset cobahh --t-stop 100": [*cli, "network", "--preset", "cobahh", "--t-stop", "100"],
        "7-channel model, 200 ms": [sys.executable, "-c", SEVEN_CHANNELS],
    }


def wall(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    el = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {p.stderr.strip().splitlines()[-1:]}")
    return el


#: The two first-run settings: nothing compiled anywhere, or the fixed kernels prebuilt.
SETTINGS = {"nothing compiled": "0", "fixed kernels prebuilt": "1"}


def cold_and_warm(cmd: list[str], repeats: int, prebuilt: str) -> tuple[float, float]:
    colds, warms = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="hhsim-cold-") as cache:
            env = dict(os.environ, HHSIM_CACHE_DIR=cache, MPLBACKEND="Agg", HHSIM_PREBUILT=prebuilt)
            colds.append(wall(cmd, env))
            warms.append(wall(cmd, env))
    return statistics.median(colds), statistics.median(warms)


def prebuild_seconds() -> tuple[float, bool]:
    """``hhsim prebuild`` (wall s) and whether it built (False: the set was there)."""
    import json

    done = subprocess.run([*hhsim_cli(), "prebuild", "--json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"hhsim prebuild failed: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    return report["seconds"], report["built"]


def next_network(repeats: int) -> float:
    """A network of another membrane (``wang_buzsaki_gamma``) in the cache a first COBAHH
    left: the network loop is compiled once for every network, so only the new
    membrane's functions compile (median wall time, s)."""
    cli = hhsim_cli()
    first = [*cli, "network", "--preset", "cobahh", "--t-stop", "100"]
    then = [*cli, "network", "--preset", "wang_buzsaki_gamma", "--t-stop", "100"]
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="hhsim-cold-") as cache:
            env = dict(os.environ, HHSIM_CACHE_DIR=cache, MPLBACKEND="Agg", HHSIM_PREBUILT="0")
            wall(first, env)
            times.append(wall(then, env))
    return statistics.median(times)


def brian2_first_build(py: str) -> float:
    cmd = [py, str(HERE / "_brian2_cobahh.py"), "--mode", "cpp", "--n", "4000", "--t-stop", "100", "--seeds", "1"]
    return wall(cmd, dict(os.environ))


def write_bytecode() -> None:
    """hhsim's modules compiled to bytecode first, as ``pip install`` leaves them: an
    editable installation writes it only on first import, and never where
    ``PYTHONDONTWRITEBYTECODE`` is set, so every process would compile them again
    (0.35-0.45 s of each start, which no user of an installed package pays)."""
    import compileall
    from importlib.util import find_spec

    for folder in find_spec("hhsim").submodule_search_locations:
        compileall.compile_dir(folder, quiet=1, workers=0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=1, help="cold/warm pairs per entry point (median printed)")
    ap.add_argument("--brian2-python", default=None)
    a = ap.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cores {os.cpu_count()}, load average {load:.2f} at the start")
    write_bytecode()
    seconds, built = prebuild_seconds()
    print(f"hhsim prebuild (once per installation): {seconds:.1f} s" + ("" if built else " (it was there already)"))
    print(f"{'entry point':46s} {'cold s':>8s} {'cold s':>8s} {'warm s':>8s}")
    print(f"{'':46s} {'nothing':>8s} {'fixed':>8s}")
    print(f"{'':46s} {'compiled':>8s} {'prebuilt':>8s}")
    figures = {}
    for name, cmd in entry_points().items():
        cold, _ = cold_and_warm(cmd, a.repeats, SETTINGS["nothing compiled"])
        cold_prebuilt, warm = cold_and_warm(cmd, a.repeats, SETTINGS["fixed kernels prebuilt"])
        figures[name] = (cold, cold_prebuilt)
        print(f"{name:46s} {cold:8.2f} {cold_prebuilt:8.2f} {warm:8.2f}", flush=True)
    py = brian2_python(a.brian2_python)
    if py is None:
        print("Brian2 not found (pip install brian2, or --brian2-python): no Brian2 figure")
    else:
        b2 = brian2_first_build(py)
        cob, cob_prebuilt = figures["hhsim network --preset cobahh --t-stop 100"]
        print(f"{'Brian2 C++ standalone COBAHH, first build+run':46s} {b2:8.2f}")
        print(f"hhsim cold COBAHH / Brian2 first build: {cob / b2:.2f} with nothing compiled, "
              f"{cob_prebuilt / b2:.2f} with the fixed kernels prebuilt (below 1: hhsim first)")
    then = next_network(a.repeats)
    print(f"{'then another membrane: wang_buzsaki_gamma':46s} {then:8.2f}   (the cache COBAHH left: the loop is in it)")
    if hasattr(os, "getloadavg"):
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
