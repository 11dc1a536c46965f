"""Sweep benchmark: a 10,000-point rheobase sweep of ``hh`` on Dask, one worker and two.

The sweep: rheobase (smallest 200 ms step from rest that fires, rtol 1e-3,
as ``hhsim rheobase``) over a 100 x 100 grid of gNa (80 to 160 mS/cm²) x gK
(20 to 50 mS/cm²), with the default method (dopri5).

Measured in one run, side by side (wall time; each cluster is started and
its kernels loaded before the clock starts, the start-up is printed apart):

* peer: a plain in-process loop a user would write around the public batch
  API: for each chunk of points, the same vectorised bracket search with
  every round one ``hhsim.simulate_batch`` call (no Dask, no store);
* ``hhsim.sweep(..., workers=0)``: the sweep's own code in this process;
* ``hhsim.sweep`` on a local cluster of 1 worker process, then of 2.

Printed: points per second of each, the ratio two workers / one (target
>= 1.7 on a 2-core machine), and the overhead per task: (one-worker time -
in-process sweep time) / number of tasks.  On a machine shared with other
jobs wall times measure the share of the cores this run got, so the CPU
seconds of every process are printed too: the overhead per task in CPU
time (worker CPU - in-process CPU) / tasks, the split of the work between
the two workers, and the speedup that split allows on two idle cores
(total CPU / the busiest worker's CPU).

Usage::

    .venv/bin/python benchmarks/sweep.py            # 10,000 points
    .venv/bin/python benchmarks/sweep.py --n 30     # a 30 x 30 grid
    .venv/bin/python benchmarks/sweep.py --json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def grid(n: int) -> dict:
    return {"gNa": np.linspace(80.0, 160.0, n), "gK": np.linspace(20.0, 50.0, n)}


def plain_loop(params: dict, chunk: int) -> np.ndarray:
    """Rheobase of every grid point by a user's loop of ``simulate_batch`` calls (in this process)."""
    import hhsim
    from hhsim.analysis.search import FOUND, bracket_search

    g_na, g_k = np.meshgrid(params["gNa"], params["gK"], indexing="ij")
    g_na, g_k = g_na.ravel(), g_k.ravel()
    wave = hhsim.stim.step(1.0, start=5.0, dur=200.0)
    out = np.empty(g_na.size)
    for start in range(0, g_na.size, chunk):
        a, b = g_na[start:start + chunk], g_k[start:start + chunk]

        def fires(amps, which):
            k = amps.shape[1]
            res = hhsim.simulate_batch("hh", {"gNa": np.repeat(a[which], k), "gK": np.repeat(b[which], k)},
                                       stimulus=wave, scale=amps.ravel(), t_stop=225.0)
            return (res.n_spikes >= 1).reshape(amps.shape)

        r = bracket_search(fires, 0.0, np.full(a.size, 50.0), rtol=1e-3, points=16)
        out[start:start + a.size] = np.where(r.status == FOUND, r.threshold, np.nan)
    return out


def main() -> None:
    import hhsim
    from hhsim.sweep.run import _close, auto_chunk, connect

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="grid side (n x n points; default 100)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    params = grid(args.n)
    points = args.n * args.n
    chunk = auto_chunk(points, 2)  # the chunk hhsim picks for two workers, used by every row
    n_tasks = -(-points // chunk)
    hhsim.sweep("hh", {k: v[:1] for k, v in params.items()}, "rheobase", workers=0)  # compile once
    rows = {}

    t0 = time.perf_counter()
    loop = plain_loop(params, chunk)
    rows["plain loop of simulate_batch"] = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    ref = hhsim.sweep("hh", params, "rheobase", workers=0, chunk=chunk, progress=False)
    rows["hhsim.sweep in process"] = time.perf_counter() - t0
    cpu_in_process = time.process_time() - c0

    startup, results, cpu = {}, {}, {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        client, _ = connect(workers=workers)
        client.wait_for_workers(workers)
        startup[workers] = time.perf_counter() - t0
        try:
            before = client.run(time.process_time)
            t0 = time.perf_counter()
            results[workers] = hhsim.sweep("hh", params, "rheobase", client=client, chunk=chunk, progress=False)
            rows[f"hhsim.sweep, {workers} worker{'s' if workers > 1 else ''}"] = time.perf_counter() - t0
            after = client.run(time.process_time)
            cpu[workers] = sorted(after[w] - before[w] for w in after)
        finally:
            _close(client)

    same = all(results[w]["rheobase_uA_cm2"].values.tobytes() == ref["rheobase_uA_cm2"].values.tobytes()
               for w in results)
    swept = ref["rheobase_uA_cm2"].values.ravel()
    equal = int(np.count_nonzero((loop == swept) | (np.isnan(loop) & np.isnan(swept))))
    sizable = swept > 0.01  # near-spontaneous points (rheobase ~1e-8) differ in relative terms only
    diff = float(np.nanmax(np.abs(loop - swept)[sizable] / swept[sizable])) if sizable.any() else 0.0
    one, two = rows["hhsim.sweep, 1 worker"], rows["hhsim.sweep, 2 workers"]
    overhead = (one - rows["hhsim.sweep in process"]) / n_tasks
    overhead_cpu = (sum(cpu[1]) - cpu_in_process) / n_tasks
    bound = sum(cpu[2]) / max(cpu[2])
    summary = {
        "points": points, "chunk": chunk, "tasks": n_tasks,
        "wall_s": {k: round(v, 3) for k, v in rows.items()},
        "points_per_s": {k: round(points / v, 1) for k, v in rows.items()},
        "cluster_startup_s": {str(k): round(v, 2) for k, v in startup.items()},
        "speedup_two_over_one": round(one / two, 3),
        "overhead_per_task_s": round(overhead, 4),
        "cpu_s": {"in_process": round(cpu_in_process, 2), "1_worker": [round(x, 2) for x in cpu[1]],
                  "2_workers": [round(x, 2) for x in cpu[2]]},
        "overhead_per_task_cpu_s": round(overhead_cpu, 4),
        "speedup_bound_two_idle_cores": round(bound, 3),
        "bitwise_identical_1_2_workers_in_process": same,
        "plain_loop_equal_points": equal,
        "max_relative_difference_plain_loop_above_0.01": diff,
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"rheobase sweep of hh: {args.n} x {args.n} = {points} points (gNa x gK), chunk {chunk}, {n_tasks} tasks")
    for k, v in rows.items():
        print(f"  {k:32s} {v:8.2f} s   {points / v:8.1f} points/s")
    print(f"  cluster start-up (not in the times above): 1 worker {startup[1]:.2f} s, 2 workers {startup[2]:.2f} s")
    print(f"  two workers / one: {one / two:.2f}x (target >= 1.7x)")
    print(f"  overhead per task (1 worker - in process) / tasks: {overhead * 1000:.1f} ms")
    print(f"  CPU seconds: in process {cpu_in_process:.1f}; 1 worker {cpu[1][0]:.1f}; "
          f"2 workers {cpu[2][0]:.1f} + {cpu[2][1]:.1f}")
    print(f"  overhead per task in CPU time (1 worker - in process) / tasks: {overhead_cpu * 1000:.1f} ms")
    print(f"  speedup the 2-worker split allows on two idle cores (total / busiest worker CPU): {bound:.2f}x")
    print(f"  1 worker, 2 workers and in process bitwise identical: {same}")
    print(f"  plain loop vs sweep: {equal} of {points} points equal; max relative difference where the "
          f"rheobase > 0.01 µA/cm²: {diff:.2e} (one run vs the protocol's time segments)")


if __name__ == "__main__":
    main()
