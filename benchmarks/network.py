#!/usr/bin/env python3
"""COBAHH (Brette et al. 2007, benchmark 3) in hhsim beside Brian2, in one run.

    .venv/bin/python benchmarks/network.py [--sizes 4000 16000 64000] [--brian2-sizes 4000]
                                           [--rate-seeds 1 2 3 4 5] [--brian2-python PATH]

Both sides run the same network: 80 % excitatory Traub-Miles cells, p = 0.02,
exponential synapses (6 nS / 67 nS, 5 / 10 ms), 1 s at dt = 0.1 ms with
exponential Euler.  Timed: the compiled run alone (for hhsim the run after
the network is built, kernels compiled beforehand; for Brian2 the run after
code generation and compilation, Cython runtime and C++ standalone).  Printed:
seconds, the ratio, ns per neuron-step, ns per synaptic event, the synapse
building time and bytes per synapse, and the E and I rates of both over seeds.

Brian2 runs in an interpreter that has it: ``--brian2-python``, else
``.venv-brian2/bin/python`` (Brian2 2.9 needs NumPy < 2.4:
``python3 -m venv .venv-brian2 && .venv-brian2/bin/pip install brian2 "numpy<2.4"``),
else this interpreter if it imports brian2.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def brian2_python(given: str | None) -> str | None:
    candidates = [given] if given else [str(HERE.parent / ".venv-brian2" / "bin" / "python"), sys.executable]
    for py in candidates:
        if py and Path(py).exists():
            ok = subprocess.run([py, "-c", "import brian2"], capture_output=True).returncode == 0
            if ok:
                return py
    return None


def run_brian2(py: str, mode: str, n: int, seeds: list[int], threads: int = 0, dt: float = 0.1,
               t_stop: float = 1000.0) -> dict:
    """Brian2's COBAHH (``_brian2_cobahh.py``) in interpreter ``py``; ``dt``, ``t_stop`` in ms."""
    p = subprocess.run([py, str(HERE / "_brian2_cobahh.py"), "--mode", mode, "--n", str(n), "--threads", str(threads),
                        "--dt", str(dt), "--t-stop", str(t_stop), "--seeds", *map(str, seeds)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"Brian2 {mode} failed: {p.stderr.strip().splitlines()[-1:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_hhsim(n: int, seed: int, threads: int | None = None) -> dict:
    """One COBAHH run; ``threads``: the compiled run's threads (default: hhsim's choice,
    ``HHSIM_THREADS`` or every core)."""
    from hhsim.engine.batch import make_grid
    from hhsim.engine.network_lower import lower_network
    from hhsim.network import presets
    from hhsim.network.simulate import _check_stability, _monitors, _Runner, resolve

    net = presets.cobahh(n=n).replace(seed=seed)
    t_stop, dt, method = resolve(net)
    grid = make_grid(t_stop, dt)
    # the build timed alone; its peak memory measured in a process of its own (tracemalloc
    # doubled the build's time and does not see the edge tables' own mappings)
    t0 = time.perf_counter()
    plan = lower_network(net, grid)
    build = time.perf_counter() - t0
    peak = build_peak_bytes(n, seed)
    _check_stability(plan, method, dt)
    _Runner(_fresh(net, grid), method, grid, net.seed, _monitors(net, plan, grid))._call(0, 1)  # compile
    runner = _Runner(plan, method, grid, net.seed, _monitors(net, plan, grid))
    if threads is not None:
        runner.max_threads = threads  # the runner asks for the free cores before each chunk, up to this
    t0 = time.perf_counter()
    runner.run(False)
    run = time.perf_counter() - t0
    used = runner.threads  # the last chunk's
    from hhsim.network.result import NetworkResult

    r = NetworkResult.build(net, plan, runner, t_stop=t_stop, dt=dt, method=method)
    out_deg = np.diff(plan.E[6])
    src = r.spikes["E"][0], r.spikes["I"][0]
    n_e = r.sizes["E"]
    events = int(out_deg[src[0]].sum() + out_deg[n_e + src[1]].sum())
    edge_bytes = sum(a.nbytes for a in plan.E[:6])
    return {"n": n, "seed": seed, "threads": used, "run_s": run, "build_s": build, "n_synapses": plan.n_edges,
            "bytes_per_synapse": edge_bytes / plan.n_edges, "build_peak_bytes_per_synapse": peak / plan.n_edges,
            "events": events, "steps": grid.n_steps, "rate_e_hz": r.rate("E", t_stop / 2),
            "rate_i_hz": r.rate("I", t_stop / 2)}


def build_peak_bytes(n: int, seed: int) -> int:
    """The resident memory (bytes) the build of an ``n``-cell COBAHH adds at its peak, in a
    fresh process (this script with ``--build-peak``): its high-water mark after the build
    less that before (a 400-cell build first loads every compiled helper)."""
    p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--build-peak", str(n), str(seed)],
                       capture_output=True, text=True, check=True)
    return int(p.stdout.strip().splitlines()[-1])


def _measure_build_peak(n: int, seed: int) -> None:
    from hhsim.engine.batch import make_grid
    from hhsim.engine.network_lower import lower_network
    from hhsim.network import presets
    from hhsim.network.simulate import resolve

    net = presets.cobahh(n=n).replace(seed=seed)
    grid = make_grid(*resolve(net)[:2])
    lower_network(presets.cobahh(n=400), grid)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lower_network(net, grid)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) * 1024)  # ru_maxrss is in KiB on Linux


def _fresh(net, grid):
    from hhsim.engine.network_lower import lower_network

    return lower_network(net, grid)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--build-peak"]:
        _measure_build_peak(int(argv[1]), int(argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4000, 16000, 64000])
    ap.add_argument("--brian2-sizes", type=int, nargs="*", default=[4000])
    ap.add_argument("--rate-seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5])
    ap.add_argument("--brian2-python", default=None)
    a = ap.parse_args(argv)
    py = brian2_python(a.brian2_python)
    print(f"COBAHH, 1 s, dt 0.1 ms, exponential Euler; Brian2: {py or 'not available'}")
    # NumPy advises the kernel to back large arrays with huge pages; on some virtual
    # machines a fresh huge page costs 10-20x a small one (the 64,000-cell build 22 s
    # against 5 s on the development VM): NUMPY_MADVISE_HUGEPAGE=0 turns the advice off
    print(f"NumPy's huge-page advice for large arrays: {'on' if np._core.multiarray._get_madvise_hugepage() else 'off'}"
          " (NUMPY_MADVISE_HUGEPAGE)")
    print("hhsim on 1 thread and on its default (HHSIM_THREADS, else every core); Brian2's C++ standalone "
          "on its default (no OpenMP) and with OpenMP on as many threads")
    print(f"{'cells':>7} {'synapses':>10} {'hhsim 1t s':>10} {'hhsim s':>8} {'thr':>3} {'ns/neuron-step':>15} "
          f"{'ns/event':>9} {'build s':>8} {'B/syn':>6} {'build peak B/syn':>16}  {'Brian2 cython s':>15} "
          f"{'C++ s':>7} {'C++ omp s':>9}  {'C++/hhsim 1t':>12} {'C++/hhsim':>9} {'omp/hhsim':>9}")
    fmt = lambda x: f"{x:.3f}" if x is not None else "-"  # noqa: E731
    ratio = lambda a, b: f"{a / b:.2f}x" if a else "-"  # noqa: E731
    for n in a.sizes:
        h1 = run_hhsim(n, 1, threads=1)
        h = run_hhsim(n, 1)
        b_cy = b_cpp = b_omp = None
        if py and n in a.brian2_sizes:
            b_cy = run_brian2(py, "cython", n, [1])["runs"][0]["run_s"]
            b_cpp = run_brian2(py, "cpp", n, [1])["runs"][0]["run_s"]
            if h["threads"] > 1:
                b_omp = run_brian2(py, "cpp", n, [1], threads=h["threads"])["runs"][0]["run_s"]
        ns_step = h["run_s"] / (n * h["steps"]) * 1e9
        ns_event = h["run_s"] / max(h["events"], 1) * 1e9
        print(f"{n:>7} {h['n_synapses']:>10} {h1['run_s']:>10.3f} {h['run_s']:>8.3f} {h['threads']:>3} "
              f"{ns_step:>15.2f} {ns_event:>9.1f} {h['build_s']:>8.3f} {h['bytes_per_synapse']:>6.1f} "
              f"{h['build_peak_bytes_per_synapse']:>16.1f}  {fmt(b_cy):>15} {fmt(b_cpp):>7} {fmt(b_omp):>9}  "
              f"{ratio(b_cpp, h1['run_s']):>12} {ratio(b_cpp, h['run_s']):>9} {ratio(b_omp, h['run_s']):>9}",
              flush=True)
    if a.rate_seeds:
        print("\nrates in the second half-second (Hz), seeds " + " ".join(map(str, a.rate_seeds)))
        ours = [run_hhsim(4000, s) for s in a.rate_seeds]
        print("hhsim   E " + " ".join(f"{r['rate_e_hz']:.1f}" for r in ours)
              + "   I " + " ".join(f"{r['rate_i_hz']:.1f}" for r in ours))
        if py:
            theirs = run_brian2(py, "cython", 4000, a.rate_seeds)["runs"]
            print("Brian2  E " + " ".join(f"{r['rate_e_hz']:.1f}" for r in theirs)
                  + "   I " + " ".join(f"{r['rate_i_hz']:.1f}" for r in theirs))
            lo_e, hi_e = min(r["rate_e_hz"] for r in theirs), max(r["rate_e_hz"] for r in theirs)
            lo_i, hi_i = min(r["rate_i_hz"] for r in theirs), max(r["rate_i_hz"] for r in theirs)
            me = np.mean([r["rate_e_hz"] for r in ours])
            mi = np.mean([r["rate_i_hz"] for r in ours])
            print(f"hhsim mean E {me:.2f} in Brian2's [{lo_e:.2f}, {hi_e:.2f}]: {lo_e <= me <= hi_e}; "
                  f"mean I {mi:.2f} in [{lo_i:.2f}, {hi_i:.2f}]: {lo_i <= mi <= hi_i}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
