#!/usr/bin/env python3
"""COBAHH firing rates: hhsim's ``cobahh`` preset beside Brian2's COBAHH, in one run.

    .venv/bin/python benchmarks/cobahh_brian2_rates.py [--seeds 1 2 3 4 5] [--dts 0.1 0.025]
                                                       [--n 4000] [--t-stop 1000] [--brian2-python PATH]
                                                       [--brian2-mode cpp|cython]

Both sides run Brette et al.'s (2007) benchmark 3 as Brian2's ``examples/COBAHH.py``
writes it (Brian2's side is ``benchmarks/_brian2_cobahh.py``, written here from the
model's equations): 80 % excitatory Traub-Miles cells, p = 0.02, exponential
synapses, threshold -20 mV with a dead time of 3 ms, exponential Euler.  For every
seed and dt it prints the E and I rates (Hz) in the second half-second, for Brian2,
for hhsim's preset (``refractory`` 3 ms) and for the same preset without the dead
time, then Brian2's spread over the seeds (min-max) and whether hhsim's mean over
the seeds, and each of its seeds, lies inside it.

The seeds are each simulator's own (the same number draws different networks), so
the comparison is of distributions: the issue's acceptance is hhsim's mean rate
inside Brian2's spread over seeds 1-5, at each dt.

Brian2 runs in an interpreter that has it: ``--brian2-python``, else
``.venv-brian2/bin/python`` (Brian2 2.9 needs NumPy < 2.4:
``python3 -m venv .venv-brian2 && .venv-brian2/bin/pip install brian2 cython "numpy<2.4"``),
else this interpreter if it imports brian2.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from network import brian2_python, run_brian2  # noqa: E402


def run_hhsim(n: int, t_stop: float, dt: float, seed: int, refractory: float) -> dict:
    """One run of the ``cobahh`` preset; rates (Hz) over the second half."""
    from hhsim.network import presets, simulate_network

    net = presets.cobahh(n=n, t_stop=t_stop, refractory=refractory)
    t0 = time.perf_counter()
    r = simulate_network(net, seed=seed, dt=dt)
    return {"seed": seed, "run_s": time.perf_counter() - t0, "rate_e_hz": r.rate("E", t_stop / 2),
            "rate_i_hz": r.rate("I", t_stop / 2)}


def _row(name: str, runs: list[dict]) -> str:
    e = " ".join(f"{r['rate_e_hz']:6.2f}" for r in runs)
    i = " ".join(f"{r['rate_i_hz']:6.2f}" for r in runs)
    me, mi = np.mean([r["rate_e_hz"] for r in runs]), np.mean([r["rate_i_hz"] for r in runs])
    return f"  {name:<22} E {e}  mean {me:6.2f}   I {i}  mean {mi:6.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--dts", type=float, nargs="+", default=[0.1, 0.025])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--t-stop", type=float, default=1000.0)
    ap.add_argument("--brian2-python", default=None)
    ap.add_argument("--brian2-mode", choices=("cpp", "cython"), default="cpp",
                    help="Brian2's code generation: C++ standalone (default, fastest) or Cython runtime")
    a = ap.parse_args(argv)
    py = brian2_python(a.brian2_python)
    print(f"COBAHH rates, n = {a.n}, {a.t_stop:g} ms, rates over the second half; seeds {a.seeds}; "
          f"{datetime.date.today().isoformat()}")
    if py is None:
        print("Brian2 not found (see the docstring): hhsim only")
    ok = True
    for dt in a.dts:
        print(f"\ndt = {dt:g} ms")
        theirs = None
        if py is not None:
            out = run_brian2(py, a.brian2_mode, a.n, a.seeds, dt=dt, t_stop=a.t_stop)
            theirs = out["runs"]
            print(_row(f"Brian2 {out['brian2']} {a.brian2_mode}", theirs))
        ours = [run_hhsim(a.n, a.t_stop, dt, s, 3.0) for s in a.seeds]
        print(_row("hhsim refractory 3 ms", ours))
        bare = [run_hhsim(a.n, a.t_stop, dt, s, 0.0) for s in a.seeds]
        print(_row("hhsim refractory 0", bare))
        if theirs is None:
            continue
        for key, pop in (("rate_e_hz", "E"), ("rate_i_hz", "I")):
            lo, hi = min(r[key] for r in theirs), max(r[key] for r in theirs)
            m = float(np.mean([r[key] for r in ours]))
            m0 = float(np.mean([r[key] for r in bare]))
            inside = [lo <= r[key] <= hi for r in ours]
            ok &= lo <= m <= hi
            print(f"  {pop}: Brian2's spread [{lo:.2f}, {hi:.2f}]; hhsim mean {m:.2f} inside: {lo <= m <= hi} "
                  f"(seeds inside {sum(inside)}/{len(inside)}); without the dead time {m0:.2f} inside: "
                  f"{lo <= m0 <= hi}")
    if py is not None:
        print(f"\nhhsim's mean rates inside Brian2's spread at every dt: {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
