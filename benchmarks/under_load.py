#!/usr/bin/env python3
"""Threads that never hurt: the default thread setting against one thread, on an
idle machine and with two busy processes beside, for a batch, a cable and a
network.

    .venv/bin/python benchmarks/under_load.py [--repeats 7] [--busy 2]

Each workload runs in a fresh process (kernels compiled beforehand by a warm-up
run), once with ``HHSIM_THREADS`` unset (hhsim's default) and once with
``HHSIM_THREADS=1``, alternating, ``--repeats`` times (seven by default: runs of
0.1-0.3 s move by the scheduler's time slices: a run with three read the busy cable
and network at 1.25 and 1.15, the next one, with seven, at 0.91 and 0.88); the median wall time of
the timed call is printed with the ratio default / one thread.  Then the same
with ``--busy`` processes that spin on the CPU beside it (started by this
script, each bounded to the run and stopped by it).

Targets of the engine issue: with two busy processes the default takes at most
1.05x the time of one thread; idle, two threads at least 1.7x faster than one
where the work splits (the cable and the network).

Workloads: ``hh`` batch of 4000 neurons for 200 ms (exponential Euler, dt
0.01 ms); the 6 cm squid axon of ``benchmarks/cable.py`` (Crank-Nicolson,
1200 compartments) for 50 ms (5 ms took 20-50 ms beside two busy processes: the
scheduler's time slices alone moved a run by 2x either way); COBAHH (4000 cells)
for 200 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKLOADS = {
    "batch": """
import numpy as np, hhsim
def go():
    hhsim.simulate_batch("hh", {"gNa": np.full(4000, 120.0)}, stimulus=hhsim.stim.step(10, start=5, dur=150),
                         t_stop=200, dt=0.01, method="expeuler")
""",
    "cable": """
import hhsim
from hhsim.cable import cable, point, simulate_cable
def go():
    simulate_cable(cable(60000.0, 476.0, 35.4), "hh", point(hhsim.stim.pulse(2000.0, 0.1, 0.2), at=0.0),
                   dx=50.0, dt=0.005, t_stop=50.0, temperature=6.3, record=2)
""",
    "network": """
from hhsim.network import presets, simulate_network
net = presets.cobahh(4000, t_stop=200.0)
def go():
    simulate_network(net, seed=1)
""",
}

TIMER = """
import json, time
go()
t0 = time.perf_counter()
go()
print(json.dumps(time.perf_counter() - t0))
"""

SPIN = "import time\nt = time.monotonic() + {seconds}\nwhile time.monotonic() < t: pass\n"


def timed(code: str, threads: str | None) -> float:
    env = dict(os.environ)
    env.pop("HHSIM_THREADS", None)
    if threads is not None:
        env["HHSIM_THREADS"] = threads
    p = subprocess.run([sys.executable, "-c", code + TIMER], env=env, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip().splitlines()[-1:])
    return float(json.loads(p.stdout.strip().splitlines()[-1]))


def compare(code: str, repeats: int) -> tuple[float, float]:
    default, one = [], []
    for _ in range(repeats):
        default.append(timed(code, None))
        one.append(timed(code, "1"))
    return statistics.median(default), statistics.median(one)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--busy", type=int, default=2, help="busy processes beside the loaded runs")
    ap.add_argument("--only", nargs="*", choices=sorted(WORKLOADS), default=sorted(WORKLOADS))
    a = ap.parse_args(argv)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at the start")
    for name in a.only:  # compile every kernel before anything is timed
        timed(WORKLOADS[name], None)
    print(f"{'workload':10s} {'state':10s} {'default s':>10s} {'1 thread s':>11s} {'default/1':>10s}")
    for state in ("idle", f"{a.busy} busy"):
        spinners = []
        if state != "idle":
            spinners = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=3600)]) for _ in range(a.busy)]
            time.sleep(0.5)
        try:
            for name in a.only:
                d, one = compare(WORKLOADS[name], a.repeats)
                print(f"{name:10s} {state:10s} {d:10.3f} {one:11.3f} {d / one:10.2f}", flush=True)
        finally:
            for p in spinners:
                p.kill()
                p.wait()
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
