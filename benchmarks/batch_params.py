"""A parameter column per neuron in the public batch API: its cost beside the same batch without it.

The experiment (issue 19): ``hhsim.simulate_batch("hh", {"gNa": 10,000 values})``
against ``simulate_batch("hh", n=10_000)``, both driven by one step current
scaled per neuron (0 to 20 µA/cm²), exponential Euler at dt = 0.01 ms for
10,000 steps, nothing recorded.  The two runs integrate the same number of
neuron-steps; the difference is what the parameter column costs (lowering
the neurons and finding each one's resting potential).  Printed: the best
of ``--repeats`` wall times of each, ns per neuron-step, and the ratio
(target: at most 1.10).

    .venv/bin/python benchmarks/batch_params.py [--neurons 10000] [--steps 10000] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import hhsim
from _timing import best_of

TARGET_RATIO = 1.10
DT = 0.01  # ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    n = args.neurons
    common = dict(stimulus=hhsim.stim.step(1.0, start=1.0, dur=args.steps * DT), scale=np.linspace(0.0, 20.0, n),
                  t_stop=args.steps * DT, dt=DT, method="expeuler")
    g_na = np.linspace(100.0, 140.0, n)  # mS/cm², every neuron its own

    def plain():
        return hhsim.simulate_batch("hh", n=n, **common)

    def column():
        return hhsim.simulate_batch("hh", {"gNa": g_na}, **common)

    plain(), column()  # compiled and warm
    t_plain = best_of(plain, args.repeats)
    t_column = best_of(column, args.repeats)
    steps = n * args.steps
    out = {"neurons": n, "steps": args.steps, "plain_s": t_plain, "column_s": t_column,
           "plain_ns_per_neuron_step": 1e9 * t_plain / steps, "column_ns_per_neuron_step": 1e9 * t_column / steps,
           "ratio": t_column / t_plain, "target_ratio": TARGET_RATIO}
    if args.json:
        print(json.dumps(out))
        return
    print(f"{n} hh neurons x {args.steps} steps (expeuler, dt {DT} ms), best of {args.repeats}")
    print(f"  without a parameter column: {t_plain:.3f} s ({out['plain_ns_per_neuron_step']:.2f} ns per neuron-step)")
    print(f"  gNa per neuron:             {t_column:.3f} s ({out['column_ns_per_neuron_step']:.2f} ns per neuron-step)")
    status = "met" if out["ratio"] <= TARGET_RATIO else "MISSED"
    print(f"  ratio {out['ratio']:.3f} (target <= {TARGET_RATIO}): {status}")


if __name__ == "__main__":
    main()
