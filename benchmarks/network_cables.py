"""Network with cable cells: steps per second of the whole run.

A population of ``--cells`` cable cells (2 mm of 2 µm axon, the ``hh``
membrane, Crank-Nicolson, the cell's own 1 nA pulse at its start) in a
network with 20 ``hh`` point neurons: each point neuron is excited by a
pulse and excites every axon's middle; each axon excites every point
neuron (so events cross both ways).  ``--steps`` steps of dt = 0.025 ms;
the time is the best of ``--repeats`` runs of :func:`hhsim.network.simulate_network`
(lowering included; compiling excluded by a first run).

``--peer-src DIR`` runs the same script, in the same run, on another hhsim
source tree (``PYTHONPATH=DIR``; for example a worktree of the commit before
the cable cells moved into the compiled loop, whose network stepped each
cable cell from Python) and prints the ratio.  Print ``uptime`` beside it:
the machine's load moves these figures.

Usage::

    .venv/bin/python benchmarks/network_cables.py
    .venv/bin/python benchmarks/network_cables.py --peer-src /path/to/old/src --cells 20 --steps 400
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best_of  # noqa: E402

DT = 0.025  # ms


def network(cells: int, steps: int):
    import hhsim
    from hhsim.cable import cable, point
    from hhsim.network import CableCell, Network, Population, Projection, synapses

    stim = point(hhsim.stim.step(1.0, start=1.0, dur=1.0), at=0.0)  # nA
    axon = CableCell(cable(2000.0, 2.0), "hh", stimuli=[stim], synapse_at=("cable", 0.5),
                     detect_at=("cable", 0.9), method="cn")
    return Network(
        populations=[Population("A", "hh", n=20, stim=hhsim.stim.pulse(20.0, start=2.0, dur=1.0)),
                     Population("axon", axon, n=cells)],
        projections=[Projection("A", "axon", synapses.Exp(tau=2.0, E=0.0), weight="2 nS", delay=1.0),
                     Projection("axon", "A", synapses.Exp(tau=2.0, E=0.0), weight=0.01, delay=1.0)],
        t_stop=steps * DT, dt=DT)


def measure(cells: int, steps: int, repeats: int) -> dict:
    from hhsim.network import simulate_network

    net = network(cells, steps)
    r = simulate_network(net)  # compiles
    seconds = best_of(lambda: simulate_network(net), repeats)
    return {"cells": cells, "steps": steps, "seconds": seconds, "steps_per_s": steps / seconds,
            "axon_spikes": int(r.spikes["axon"][1].size), "point_spikes": int(r.spikes["A"][1].size)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=20)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-src", help="another hhsim source tree to run the same network with")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ours = measure(args.cells, args.steps, args.repeats)
    out = {"this": ours}
    if args.peer_src:
        env = dict(os.environ, PYTHONPATH=args.peer_src)
        cmd = [sys.executable, __file__, "--cells", str(args.cells), "--steps", str(args.steps), "--repeats",
               str(args.repeats), "--json"]
        done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        out["peer"] = json.loads(done.stdout)["this"]
        out["speedup"] = out["this"]["steps_per_s"] / out["peer"]["steps_per_s"]
    if args.json:
        print(json.dumps(out))
        return
    for name in ("this", "peer"):
        if name in out:
            m = out[name]
            print(f"{name:5s}: {m['cells']} cable cells x {m['steps']} steps in {m['seconds'] * 1e3:.1f} ms: "
                  f"{m['steps_per_s']:.0f} steps/s (spikes: axons {m['axon_spikes']}, point {m['point_spikes']})")
    if "speedup" in out:
        print(f"speed-up: {out['speedup']:.1f}x")


if __name__ == "__main__":
    main()
