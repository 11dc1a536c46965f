#!/usr/bin/env python3
"""Adaptive steps per cell (``--method dopri5``) against fixed-step rk4 at 0.025 ms, on COBAHH.

    .venv/bin/python benchmarks/network_adaptive.py [--n 1000] [--t-stop 200] [--delay 0.5]
                                                    [--rtols 1e-4 1e-5 2e-6 1e-6] [--reference-rtol 1e-10]
                                                    [--repeats 2] [--one-cell]

The network is the ``cobahh`` preset (Brette et al. 2007 benchmark 3: Traub-Miles
cells, exponential conductance synapses, Brian2's 3 ms dead time) with ``--n``
cells, and every synapse given a delay of ``--delay`` ms: the preset's synapses
have none (delivered at the next fixed step), and the adaptive method needs a
delay > 0 between cells (its windows are the shortest delay long).  Both methods
run the same network (same connections, weights, initial states) in the same
process, compiled beforehand.

Accuracy is measured against a reference, the adaptive method at
``--reference-rtol`` (checked against rk4 at 0.005 ms, printed too):

* ``agree until``: the time (ms) up to which every reference spike has a spike of
  the same cell within 0.01 ms (and no extra spike): the network is chaotic, so
  each run leaves the reference at some point, the later the more accurate;
* ``median``, ``max``: the median and the largest spike-time error (ms) over the
  reference's spikes in the first ``--early`` ms (before the network's chaos has
  amplified the local errors much);
* ``within 0.1 ms``: the share of the reference's spikes in the first 50 ms
  matched by a spike of the same cell within 0.1 ms;
* the E and I rates (Hz) over the run, and their relative differences.

The adaptive cells run in SIMD lanes (``hhsim.engine.network_adaptive_lanes``);
``--one-cell`` adds, for each tolerance, a row ``1cell <rtol>`` of the same method
one cell at a time (the path of membranes with instantaneous gates), to show what
the lanes give in the same run.

Printed: wall time of each run (the best of ``--repeats`` rounds, each round timing
every run in turn, so that the machine's drift falls on all of them alike), the ratio
rk4 / dopri5, and the load average (the machine's speed drifts with its load).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import time

import numpy as np

from hhsim.engine import network_adaptive_run  # noqa: E402
from hhsim.network import presets, simulate_network  # noqa: E402
from hhsim.network.network import Monitors  # noqa: E402

TOL_AGREE = 0.01  # ms
TOL_MATCH = 0.1  # ms
EARLY = 50.0  # ms


def network(n: int, t_stop: float, delay: float):
    net = presets.cobahh(n=n, t_stop=t_stop)
    projections = tuple(dataclasses.replace(p, delay=delay) for p in net.projections)
    return net.replace(projections=projections, monitors=Monitors(spikes="all"))


def trains(result) -> dict:
    """{(population, cell): sorted spike times (ms)}."""
    out = {}
    for pop in ("E", "I"):
        idx, t = result.spikes[pop]
        for c in np.unique(idx):
            out[(pop, int(c))] = np.sort(t[idx == c])
    return out


def agree_until(ref: dict, run: dict, t_stop: float) -> float:
    """The earliest time (ms) at which a spike of one run has no partner within TOL_AGREE
    in the other (same cell), or t_stop."""
    first = t_stop
    for key in set(ref) | set(run):
        a = ref.get(key, np.zeros(0))
        b = run.get(key, np.zeros(0))
        for x, y in ((a, b), (b, a)):
            if x.size == 0:
                continue
            if y.size == 0:
                first = min(first, float(x[0]))
                continue
            j = np.clip(np.searchsorted(y, x), 1, y.size - 1) if y.size > 1 else np.zeros(x.size, dtype=int)
            near = np.minimum(np.abs(x - y[j]), np.abs(x - y[np.maximum(j - 1, 0)]))
            bad = np.nonzero(near > TOL_AGREE)[0]
            if bad.size:
                first = min(first, float(x[bad[0]]))
    return first


def early_error(ref: dict, run: dict, until: float) -> tuple[float, float]:
    """The median and the largest distance (ms) from a reference spike before ``until`` to
    the nearest spike of the same cell in the run (before chaos has amplified the local
    errors much)."""
    d = []
    for key, a in ref.items():
        b = run.get(key, np.zeros(0))
        d += [float(np.min(np.abs(b - x))) if b.size else np.inf for x in a[a < until]]
    return (float(np.median(d)), float(np.max(d))) if d else (0.0, 0.0)


def matched_early(ref: dict, run: dict) -> float:
    total = hit = 0
    for key, a in ref.items():
        a = a[a < EARLY]
        total += a.size
        b = run.get(key, np.zeros(0))
        for x in a:
            hit += bool(b.size and np.min(np.abs(b - x)) <= TOL_MATCH)
    return hit / total if total else 1.0


def rates(result, n_cells: dict) -> tuple[float, float]:
    dur = result.t_stop / 1000.0
    return tuple(result.spikes[p][1].size / n_cells[p] / dur for p in ("E", "I"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--t-stop", type=float, default=200.0)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--rtols", type=float, nargs="+", default=[1e-4, 1e-5, 2e-6, 1e-6])
    ap.add_argument("--reference-rtol", type=float, default=1e-10)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--early", type=float, default=20.0, help="ms of spikes for the median and max error")
    ap.add_argument("--one-cell", action="store_true",
                    help="also run each tolerance one cell at a time (no SIMD lanes)")
    args = ap.parse_args()
    net = network(args.n, args.t_stop, args.delay)
    n_cells = {p.name: p.n for p in net.populations}
    print(f"COBAHH n = {args.n}, {args.t_stop:g} ms, delay {args.delay:g} ms; HHSIM_THREADS "
          f"{os.environ.get('HHSIM_THREADS', 'unset (the free cores)')}")
    configs = [("reference", dict(method="dopri5", rtol=args.reference_rtol, atol=args.reference_rtol), True),
               ("rk4 0.005", dict(method="rk4", dt=0.005), True), ("rk4 0.025", dict(method="rk4", dt=0.025), True)]
    configs += [(f"dopri5 {rtol:g}", dict(method="dopri5", rtol=rtol, atol=rtol), True) for rtol in args.rtols]
    if args.one_cell:
        configs += [(f"1cell {rtol:g}", dict(method="dopri5", rtol=rtol, atol=rtol), False) for rtol in args.rtols]
    for _, kw, lanes in configs:  # compile
        network_adaptive_run.USE_LANES = lanes
        simulate_network(net, t_stop=1.0, **kw)
    # the runs timed in turn, round after round (the best of --repeats rounds): the
    # machine's drift falls on all of them alike
    results, walls = {}, {}
    for _ in range(args.repeats):
        for label, kw, lanes in configs:
            network_adaptive_run.USE_LANES = lanes
            t0 = time.perf_counter()
            results[label] = simulate_network(net, **kw)
            walls[label] = min(walls.get(label, math.inf), time.perf_counter() - t0)
    network_adaptive_run.USE_LANES = True
    runs = {label: (results[label], walls[label]) for label, _, _ in configs}
    ref, ref_wall = runs["reference"]
    rk_wall = runs["rk4 0.025"][1]
    ref_trains = trains(ref)
    re_, ri_ = rates(ref, n_cells)
    print(f"reference: dopri5 rtol = atol = {args.reference_rtol:g} ({ref_wall:.2f} s), E {re_:.2f} Hz, "
          f"I {ri_:.2f} Hz")
    print(f"{'run':>14} {'wall s':>8} {'median ms':>10} {'max ms':>9} {'agree until ms':>15} {'within 0.1 ms':>14} {'E Hz':>7} "
          f"{'I Hz':>7} {'dE %':>6} {'dI %':>6}")
    for label, (r, wall) in runs.items():
        if label == "reference":
            continue
        tr = trains(r)
        e, i = rates(r, n_cells)
        med, worst = early_error(ref_trains, tr, args.early)
        print(f"{label:>14} {wall:8.3f} {med:10.2e} {worst:9.2e} "
              f"{agree_until(ref_trains, tr, args.t_stop):15.2f} "
              f"{matched_early(ref_trains, tr):14.3f} {e:7.2f} {i:7.2f} {100 * (e / re_ - 1):6.2f} "
              f"{100 * (i / ri_ - 1):6.2f}")
    for label, (r, wall) in runs.items():
        if label.startswith(("dopri5", "1cell")):
            print(f"rk4 0.025 / {label}: {rk_wall / wall:.2f}x")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
