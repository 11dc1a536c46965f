"""Dynamics-lab benchmark: the full ``hh`` bifurcation diagram from 0 to 200 µA/cm².

Measured (wall time, best of ``--repeats`` runs, after one warm-up run that
compiles the simulation kernels):

* the equilibria, saddle-nodes and Hopf points with their Lyapunov
  coefficients (no cycles);
* the full diagram: the above plus the branch of periodic orbits continued
  from the subcritical Hopf point through the fold of cycles to the
  supercritical one, with Floquet multipliers at every orbit and the folds
  and period doublings located (target: under 5 s);
* the peer: what one does without continuation, the simulated f-I curve
  over the same currents (41 currents, 1000 ms each, up and down staircases
  and runs from rest, compiled dopri5; :func:`hhsim.analysis.fi_curve`),
  which finds the stable firing branch and the bistable window only to the
  resolution of its current grid and nothing of the unstable branch.

Usage::

    .venv/bin/python benchmarks/dynamics.py            # table
    .venv/bin/python benchmarks/dynamics.py --json     # numbers as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import best_of  # noqa: E402

import hhsim  # noqa: E402
from hhsim.analysis import fi_curve  # noqa: E402
from hhsim.dynamics import bifurcation_diagram  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    hhsim.simulate("hh", hhsim.stim.step(8.0), t_stop=10.0)  # compile
    d = bifurcation_diagram("hh", 0.0, 200.0)
    fi_curve("hh", 0.0, 200.0, n=5, dur=100.0, progress=False)
    t_eq = best_of(lambda: bifurcation_diagram("hh", 0.0, 200.0, cycles=False), args.repeats)
    t_full = best_of(lambda: bifurcation_diagram("hh", 0.0, 200.0), args.repeats)
    t_fi = best_of(lambda: fi_curve("hh", 0.0, 200.0, n=41, dur=1000.0, progress=False), args.repeats)
    js = d.to_dict()
    out = {
        "equilibria_hopf_s": t_eq, "full_diagram_s": t_full, "fi_curve_41x1000ms_s": t_fi,
        "ratio_fi_over_full": t_fi / t_full,
        "orbits_on_branch": sum(len(c["points"]) for c in js["cycles"]),
        "hopf_uA_cm2": [h["I_uA_cm2"] for h in js["hopf"]],
        "cycle_folds_uA_cm2": [c["I_uA_cm2"] for c in js["cycle_folds"]],
    }
    if args.json:
        print(json.dumps(out))
        return
    print("hh bifurcation diagram, 0-200 µA/cm² (best of %d, after compile)" % args.repeats)
    print(f"  equilibria + saddle-nodes + Hopf (l1)      {t_eq:8.3f} s")
    print(f"  full diagram with the cycle branch         {t_full:8.3f} s   "
          f"({out['orbits_on_branch']} orbits; target < 5 s)")
    print(f"  peer: simulated f-I curve, 41 x 1000 ms    {t_fi:8.3f} s   ratio peer/full {t_fi / t_full:.2f}")
    print(f"  Hopf points {', '.join(f'{x:.9g}' for x in out['hopf_uA_cm2'])} µA/cm²; "
          f"cycle folds {', '.join(f'{x:.6g}' for x in out['cycle_folds_uA_cm2'])} µA/cm²")


if __name__ == "__main__":
    main()
