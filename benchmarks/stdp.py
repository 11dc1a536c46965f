#!/usr/bin/env python3
"""Brian2's STDP example (Song, Miller & Abbott 2000) in Brian2 and in hhsim, over seeds.

    .venv/bin/python benchmarks/stdp.py [--seeds 1 2 3 4 5] [--t-stop 100000] [--brian2-python PATH]
                                        [--no-lif]

The example: N = 1000 independent Poisson inputs at 15 Hz onto one cell through
exponential conductance synapses (5 ms, 0 mV) whose weights start uniform in
[0, g_max] and follow pair-based additive STDP, all-to-all traces, tau_pre =
tau_post = 20 ms, each pair changing the weight by 0.01 g_max (potentiation) and
-1.05 x 0.01 g_max (depression), clipped to [0, g_max]; 100 s.  Its cell is a
leaky integrate-and-fire neuron, which hhsim does not have: both simulators here
run the same synapses onto the Wang-Buzsaki cell instead (hhsim's
``wang_buzsaki`` preset; Brian2 integrates the same equations,
``_brian2_stdp.py``), with the leak reversal at -85 mV (the example's cell rests
20 mV below its threshold) and g_max = 0.0015 mS/cm² (1.5 % of its leak
conductance, the example's 1 %), at dt = 0.025 ms (Brian2: RK4; hhsim: RK4,
exact spike times and event times).  The example's own integrate-and-fire run in
Brian2 is printed beside them for reference (``--no-lif`` skips it).

Printed: each simulator's final mean weight (as a fraction of g_max), the
postsynaptic rate and the share of weights within 10 % of each bound, per seed;
then whether hhsim's mean weights fall within Brian2's seed spread (min .. max
over seeds, widened by nothing).

Brian2 runs in an interpreter that has it: ``--brian2-python``, else
``.venv-brian2/bin/python``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N_INPUTS, RATE_HZ, GMAX, EL, A_PLUS, DT = 1000, 15.0, 0.0015, -85.0, 0.01, 0.025


def brian2_python(given: str | None) -> str | None:
    candidates = [given] if given else [str(HERE.parent / ".venv-brian2" / "bin" / "python")]
    for py in candidates:
        if py and Path(py).exists() and subprocess.run([py, "-c", "import brian2"],
                                                      capture_output=True).returncode == 0:
            return py
    return None


def run_brian2(py: str, cell: str, seeds: list[int], t_stop: float) -> dict:
    args = [py, str(HERE / "_brian2_stdp.py"), "--cell", cell, "--t-stop", str(t_stop), "--seeds", *map(str, seeds)]
    if cell == "wb":
        args += ["--gmax", str(GMAX), "--el", str(EL), "--a-plus", str(A_PLUS), "--n", str(N_INPUTS),
                 "--dt", str(DT)]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"Brian2 ({cell}) failed: {p.stderr.strip().splitlines()[-1:]}")
    return {int(k): v for k, v in json.loads(p.stdout.strip().splitlines()[-1]).items()}


def hhsim_network(seed: int, t_stop: float):
    from hhsim.network import Network, Population, Projection, SpikeSource
    from hhsim.network.synapses import STDP, Exp

    rule = STDP(tau_plus=20.0, tau_minus=20.0, A_plus=A_PLUS, A_minus=1.05 * A_PLUS, w_max=GMAX, rule="additive",
                delay="axonal")
    return Network(populations=[Population("post", "wang_buzsaki", params={"EL": EL})],
                   sources=[SpikeSource("in", n=N_INPUTS, rate_hz=RATE_HZ)],
                   projections=[Projection("in", "post", Exp(tau=5.0, E=0.0), name="in", stdp=rule,
                                           weight={"dist": "uniform", "low": 0.0, "high": GMAX})],
                   t_stop=t_stop, seed=seed, method="rk4", dt=DT)


def run_hhsim(seeds: list[int], t_stop: float) -> dict:
    from hhsim.network import simulate_network

    out = {}
    for seed in seeds:
        t0 = time.perf_counter()
        r = simulate_network(hhsim_network(seed, t_stop))
        w = r.weights["in"]["w"] / GMAX
        out[seed] = {"mean_w_over_gmax": float(w.mean()), "rate_hz": r.rate("post"),
                     "low": float(np.mean(w < 0.1)), "high": float(np.mean(w > 0.9)),
                     "hist": np.histogram(w, bins=10, range=(0, 1))[0].tolist(),
                     "seconds": time.perf_counter() - t0}
    return out


def show(name: str, runs: dict) -> None:
    for seed, d in sorted(runs.items()):
        extra = f"  {d['seconds']:.1f} s" if "seconds" in d else ""
        print(f"  {name:<14} seed {seed}: mean w/g_max {d['mean_w_over_gmax']:.4f}  rate {d['rate_hz']:6.2f} Hz  "
              f"near 0 {d['low']:.2f}  near g_max {d['high']:.2f}  hist {d['hist']}{extra}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--t-stop", type=float, default=100000.0, help="ms (the example: 100 s)")
    ap.add_argument("--brian2-python", default=None)
    ap.add_argument("--no-lif", action="store_true", help="skip the example's integrate-and-fire run in Brian2")
    a = ap.parse_args()
    py = brian2_python(a.brian2_python)
    print(f"STDP, Song et al. 2000 as Brian2's example: {N_INPUTS} inputs at {RATE_HZ:g} Hz, {a.t_stop / 1000:g} s, "
          f"seeds {a.seeds}; load average {os.getloadavg()[0]:.2f}")
    hh = run_hhsim(a.seeds, a.t_stop)
    print("Wang-Buzsaki cell, EL -85 mV, g_max 0.0015 mS/cm2, A_plus 0.01, dt 0.025 ms:")
    show("hhsim", hh)
    if py is None:
        print("Brian2 not found (--brian2-python): nothing to compare with")
        return 0
    t0 = time.perf_counter()
    b2 = run_brian2(py, "wb", a.seeds, a.t_stop)
    print(f"  (Brian2 took {time.perf_counter() - t0:.0f} s for {len(a.seeds)} seeds, with its code generation)")
    show("Brian2 2.9", b2)
    lo = min(d["mean_w_over_gmax"] for d in b2.values())
    hi = max(d["mean_w_over_gmax"] for d in b2.values())
    means = [d["mean_w_over_gmax"] for d in hh.values()]
    inside = [lo <= m <= hi for m in means]
    print(f"Brian2's seed spread of the mean weight: {lo:.4f} .. {hi:.4f} (mean {np.mean([d['mean_w_over_gmax'] for d in b2.values()]):.4f}); "
          f"hhsim's mean over seeds {np.mean(means):.4f}: {'within' if lo <= np.mean(means) <= hi else 'OUTSIDE'}; "
          f"{sum(inside)} of {len(inside)} hhsim seeds within")
    if not a.no_lif:
        lif = run_brian2(py, "lif", a.seeds, a.t_stop)
        print("The example itself (Brian2, its integrate-and-fire cell), for reference:")
        show("Brian2 LIF", lif)
    return 0


if __name__ == "__main__":
    sys.exit(main())
