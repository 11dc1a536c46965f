#!/usr/bin/env python3
"""NEST's ``hh_psc_alpha`` beside hhsim, in one run (issue 23: current synapses
with NEST's network semantics).

    .venv/bin/python benchmarks/nest_psc_alpha.py [--n 50] [--t-stop 10000] [--seeds 1 2] [--threads 2]

NEST comes from the ``nest-simulator`` wheel (``pip install hhsim[nest]``).
Both sides read the same description: hhsim runs the example files
``examples/networks/nest_hh_psc_alpha_{generator,poisson}.toml``; NEST is
built here from the numbers those files state.

1. **A spike generator** (9 events of 800 pA, delay 1 ms) into one cell.
   NEST at resolution 0.01 ms records V every step; its upward crossings of
   0 mV (linear between samples) are compared with hhsim's spike times (upward
   crossings located on the cubic interpolant).  NEST stamps a spike at the
   end of the step in which V, above 0 mV, starts to fall; that stamp is also
   computed from hhsim's V sampled on NEST's grid, and compared.
2. **Poisson input** (excitatory 20000 Hz x 80 pA, tau 0.2 ms; inhibitory
   2000 Hz x -40 pA, tau 2 ms; an independent train per neuron and kind) into
   ``--n`` cells for ``--t-stop`` ms, over ``--seeds``: the mean rates and
   their ratio.  Each side's wall time is printed (NEST at ``--threads``,
   hhsim at its default).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples" / "networks"
GENERATOR = EXAMPLES / "nest_hh_psc_alpha_generator.toml"
POISSON = EXAMPLES / "nest_hh_psc_alpha_poisson.toml"

#: NEST's hh_psc_alpha defaults, as the example files state them (pF, nS, mV, ms).
NEST_RESOLUTION_MS = 0.01


def upward_crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Times (ms) where the sampled ``v`` (mV) crosses ``threshold`` upward, linear between samples."""
    k = np.where((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[k] + (threshold - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])


def nest_stamps(t: np.ndarray, v: np.ndarray, refractory_ms: float = 2.0) -> np.ndarray:
    """NEST hh_psc_alpha's spike stamps from V sampled every step: the first sample
    at or above 0 mV that is below the one before (the peak passed), then none
    within ``refractory_ms`` (its t_ref)."""
    out, last = [], -np.inf
    for k in range(1, v.size):
        if v[k] >= 0.0 and v[k - 1] > v[k] and t[k] - last > refractory_ms - 1e-9:
            out.append(t[k])
            last = t[k]
    return np.array(out)


def hhsim_generator():
    from hhsim.network import simulate_network
    from hhsim.network.toml_io import load

    r = simulate_network(load(GENERATOR))
    t = np.asarray(r.t)
    v = np.asarray(r.v["cell"])[:, 0]
    return np.asarray(r.spikes["cell"][1]), t, v


def nest_generator(times, weight_pa, delay_ms, t_stop):
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = NEST_RESOLUTION_MS
    cell = nest.Create("hh_psc_alpha")
    gen = nest.Create("spike_generator", params={"spike_times": list(times)})
    meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": NEST_RESOLUTION_MS})
    rec = nest.Create("spike_recorder")
    nest.Connect(gen, cell, syn_spec={"weight": weight_pa, "delay": delay_ms})
    nest.Connect(meter, cell)
    nest.Connect(cell, rec)
    nest.Simulate(t_stop)
    ev = meter.get("events")
    t = np.concatenate([[0.0], ev["times"]])
    v = np.concatenate([[-65.0], ev["V_m"]])
    return upward_crossings(t, v), np.asarray(rec.get("events")["times"])


def nest_poisson(n, t_stop, seed, threads):
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 0.1
    nest.rng_seed = seed
    nest.local_num_threads = threads
    cells = nest.Create("hh_psc_alpha", n)
    exc = nest.Create("poisson_generator", params={"rate": 20000.0})
    inh = nest.Create("poisson_generator", params={"rate": 2000.0})
    rec = nest.Create("spike_recorder")
    nest.Connect(exc, cells, syn_spec={"weight": 80.0, "delay": 0.1})
    nest.Connect(inh, cells, syn_spec={"weight": -40.0, "delay": 0.1})
    nest.Connect(cells, rec)
    t0 = time.perf_counter()
    nest.Simulate(t_stop)
    return rec.get("n_events") / n / (t_stop / 1000.0), time.perf_counter() - t0


def hhsim_poisson(n, t_stop, seed):
    from hhsim.network import simulate_network
    from hhsim.network.toml_io import load

    net = load(POISSON)
    pops = [dataclasses.replace(p, n=n) for p in net.populations]
    net = net.replace(populations=pops, t_stop=t_stop, seed=seed)
    t0 = time.perf_counter()
    r = simulate_network(net)
    return r.spikes["cell"][1].size / n / (t_stop / 1000.0), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--t-stop", type=float, default=10000.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import tomllib

    import nest  # noqa: F401  (fails here, before any work, when NEST is missing)

    spec = tomllib.loads(GENERATOR.read_text())
    times = spec["sources"]["generator"]["times_ms"]
    syn = spec["synapses"][0]
    weight = float(syn["weight"].split()[0])
    print(f"NEST {nest.__version__}")
    print("1. spike generator into one hh_psc_alpha cell")
    crossings, stamps = nest_generator(times, weight, syn["delay"], spec["t_stop"])
    ours, t, v = hhsim_generator()
    print(f"   NEST 0 mV crossings (ms): {np.array2string(crossings, precision=6)}")
    print(f"   hhsim spike times   (ms): {np.array2string(ours, precision=6)}")
    if ours.size == crossings.size:
        print(f"   largest difference: {np.max(np.abs(ours - crossings)):.2e} ms")
    print(f"   NEST spike stamps   (ms): {stamps}")
    print(f"   NEST's rule on hhsim's V: {nest_stamps(t, v)}")
    print(f"2. Poisson input into {args.n} cells, {args.t_stop:g} ms")
    for seed in args.seeds:
        rate_nest, t_nest = nest_poisson(args.n, args.t_stop, seed, args.threads)
        rate_ours, t_ours = hhsim_poisson(args.n, args.t_stop, seed)
        print(f"   seed {seed}: NEST {rate_nest:.3f} Hz ({t_nest:.1f} s), hhsim {rate_ours:.3f} Hz ({t_ours:.1f} s), "
              f"ratio {rate_ours / rate_nest:.4f}")


if __name__ == "__main__":
    main()
