"""Channel noise in a network: cost per neuron-step of noisy cells against the same network without noise.

The experiment (issue 22, item 2): ``--neurons`` hh cells, each with its own
channels (the squid densities, 60 Na and 18 K per µm², on ``--area`` µm²:
1,000 Na channels per cell by default), driven by a constant current from 0 to
10 µA/cm² (one per cell) and coupled by sparse excitatory synapses (p = 0.02,
so that events split some steps), exponential Euler at dt = 0.01 ms, run by

* the network with ``noise="markov"`` and with ``noise="langevin"``;
* the same network without noise (the deterministic membrane);
* the batch path of the same noisy cells, unconnected
  (:func:`hhsim.noise.simulate_noisy_batch`), for the kernel's own cost.

Timed: the compiled run only (the network lowered and every kernel compiled
beforehand; best of ``--repeats``).  Printed: ns per neuron-step of each and
the ratios to the deterministic network, the threads used, and the load.

    .venv/bin/python benchmarks/network_noise.py [--neurons 2000] [--ms 100] [--area 16.7] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import hhsim
from _timing import best_of
from hhsim.engine.batch import make_grid
from hhsim.engine.network_lower import lower_network
from hhsim.network import Network, Population, Projection, synapses
from hhsim.network.simulate import _monitors, _Runner, resolve
from hhsim.noise import ChannelNoise, simulate_noisy_batch
from hhsim.noise.network import lower_network_noise

DT = 0.01  # ms


def network(n: int, ms: float, noise: str | None, area: float) -> Network:
    kw = {"noise": noise, "area_um2": area} if noise else {"area_um2": area}
    pop = Population("A", "hh", n=n, stim=hhsim.stim.step(10.0, start=0.0), stim_scale=list(np.linspace(0, 1, n)),
                     **kw)
    syn = Projection("A", "A", synapses.Exp(tau=2.0, E=0.0), connect={"p": 0.02}, weight=0.01, delay=1.0)
    return Network(populations=[pop], projections=[syn], t_stop=ms, dt=DT, method="expeuler", seed=1)


def time_network(net: Network, repeats: int) -> tuple[float, int]:
    """(best seconds of the compiled run, threads)."""
    t_stop, dt, method = resolve(net)
    grid = make_grid(t_stop, dt)

    def runner():
        plan = lower_network(net, grid)
        noise = lower_network_noise(net, plan, grid.dt, method)
        return _Runner(plan, method, grid, net.seed, _monitors(net, plan, grid), noise)

    warm = runner()
    warm._compile()
    warm._call(0, 1)
    ready = [runner() for _ in range(repeats)]
    threads = ready[0].threads
    it = iter(ready)
    best = best_of(lambda: next(it).run(False), repeats)
    return best, threads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=2000)
    ap.add_argument("--ms", type=float, default=100.0)
    ap.add_argument("--area", type=float, default=1000.0 / 60.0, help="µm² (default: 1,000 Na channels)")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    n, steps = a.neurons, int(round(a.ms / DT))
    per = lambda s: 1e9 * s / (n * steps)  # noqa: E731  ns per neuron-step
    det, th = time_network(network(n, a.ms, None, a.area), a.repeats)
    print(f"{n} hh cells, {a.ms:g} ms at dt {DT} ms ({steps} steps), {a.area:g} um2 "
          f"({round(60 * a.area)} Na, {round(18 * a.area)} K channels per cell), threads {th}, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"  network, no noise      {per(det):8.1f} ns/neuron-step")
    for method in ("markov", "langevin"):
        s, th = time_network(network(n, a.ms, method, a.area), a.repeats)
        print(f"  network, {method:<13} {per(s):8.1f} ns/neuron-step   {s / det:5.2f}x the deterministic network")
    rec = ChannelNoise("markov", area_um2=a.area, seed=1)
    simulate_noisy_batch("hh", rec, n=8, t_stop=1.0, dt=DT)  # compiled
    s = best_of(lambda: simulate_noisy_batch("hh", rec, n=n, t_stop=a.ms, dt=DT, stimulus=hhsim.stim.step(10.0),
                                             scale=np.linspace(0, 1, n)), a.repeats)
    print(f"  batch, markov (kernel) {per(s):8.1f} ns/neuron-step   {s / det:5.2f}x the deterministic network")
    print(f"  load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
