"""Batch benchmark: many ``hh`` neurons in lockstep, hhsim's batch kernel against its peers.

The experiment: 10,000 squid-axon ``hh`` neurons (6.3 °C, from rest), each
driven by its own constant current (0 to 20 µA/cm², evenly spread, so that
silent, threshold and fast-firing neurons share the batch), integrated by
exponential Euler at dt = 0.01 ms for 10,000 steps (100 ms), with spike
detection and nothing recorded.

Measured in one run, each the best of ``--repeats`` (the machine is shared:
the best run is the one least disturbed by other work):

* hhsim's batch kernel (``hhsim.engine.batch.run_batch``) on 1 thread and on
  every core (``HHSIM_THREADS``), in ns per neuron-step of wall time, and of
  the process's CPU time (all threads; on a busy machine the wall time
  includes the time other work held the cores);
* the peers on the same equations, from the same run: a plain NumPy loop
  vectorised over the neurons (written out below, independently of hhsim;
  the same exponential-Euler update) and, when the ``neuron`` package is
  installed, NEURON with one copy of the single-neuron benchmark's ``hh``
  cell per neuron, all in one simulation at the same fixed dt (its default
  implicit Euler for V, ``cnexp``-style gates).  The
  peers run fewer steps (their cost per neuron-step does not depend on it;
  the full run would take minutes);
* agreement: the largest |V| difference between hhsim and the NumPy loop
  after the peer's steps, and the spike count of the full run.

Usage::

    .venv/bin/python benchmarks/batch.py              # table
    .venv/bin/python benchmarks/batch.py --json       # numbers as JSON
    .venv/bin/python benchmarks/batch.py --neurons 2000 --steps 2000   # quicker
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np

import hhsim
from _timing import best_of
from hhsim.engine import threads
from hhsim.engine.batch import make_grid, run_batch
from hhsim.physics.structure import lower
from single_neuron import C_M, DT_GRID, E_K, E_L, E_NA, G_K, G_L, G_NA, NeuronCell

DT = DT_GRID  # ms (0.01, NEURON's fixed step in the single-neuron benchmark)
N_NEURONS = 10_000
N_STEPS = 10_000
I_MAX = 20.0  # µA/cm², the largest of the evenly spread currents
PEER_STEPS = 1_000  # steps the peers run
NEURON_CELLS = 1_000  # sections NEURON runs (its cost per cell-step is what is compared)
TARGET_NS = 3.0  # ns per neuron-step on 2 cores, at most

# ------------------------------------------- HH equations (independent of hhsim)
# constants (µF/cm², mS/cm², mV) as in the single-neuron benchmark


def _ratio(x):
    """x / (1 - exp(-x)) elementwise, 1 at x = 0."""
    small = np.abs(x) < 1e-6
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + 0.5 * x, safe / -np.expm1(-safe))


def numpy_rates(v):
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n), 1/ms, at v (mV), 6.3 °C."""
    am = _ratio((v + 40.0) / 10.0)  # 0.1 (v + 40) / (1 - exp(-(v + 40)/10))
    bm = 4.0 * np.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * np.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
    an = 0.1 * _ratio((v + 55.0) / 10.0)  # 0.01 (v + 55) / (1 - exp(-(v + 55)/10))
    bn = 0.125 * np.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


def numpy_expeuler(v, m, h, n, i_stim, dt, steps):
    """Exponential Euler over all neurons with NumPy; returns (v, m, h, n, spike count)."""
    spikes = 0
    for _ in range(steps):
        am, bm, ah, bh, an, bn = numpy_rates(v)
        gna = G_NA * m**3 * h
        gk = G_K * n**4
        g = gna + gk + G_L
        vinf = (i_stim + gna * E_NA + gk * E_K + G_L * E_L) / g
        v_new = vinf + (v - vinf) * np.exp(-dt * g / C_M)
        for x, a, b in ((m, am, bm), (h, ah, bh), (n, an, bn)):
            xinf = a / (a + b)
            x[:] = xinf + (x - xinf) * np.exp(-dt * (a + b))
        spikes += int(np.count_nonzero((v < 0.0) & (v_new >= 0.0)))
        v = v_new
    return v, m, h, n, spikes


# ---------------------------------------------------------------- hhsim
def hhsim_setup(n):
    model = hhsim.models.get("hh")
    plan = lower([model] * n)
    scale = np.linspace(0.0, I_MAX, n)
    return plan, scale


def run_hhsim(plan, scale, steps, n_threads):
    """One batch of ``steps`` steps on ``n_threads`` threads; returns the output."""
    os.environ["HHSIM_THREADS"] = str(n_threads)
    return run_batch(plan, [hhsim.stim.step(1.0)], make_grid(steps * DT, DT), "expeuler",
                     scale=scale, record_every=0)


def run_neuron(n_cells, steps, v0, currents):
    """NEURON: ``n_cells`` copies of the single-neuron benchmark's ``hh`` cell (one
    section each, IClamp, NetCon spike detection at 0 mV, no traces) simulated
    together at the fixed dt; returns the wall time (s) of the run."""
    from neuron import h

    cells = []
    for k in range(n_cells):
        cell = NeuronCell(h)
        cell.t_vec.play_remove()
        cell.v_vec.play_remove()
        cell.iclamp.amp = float(currents[k]) * cell.area_cm2 * 1e3  # µA/cm² -> nA
        cells.append(cell)
    return cells[0].run(steps * DT, v0, cvode=False)  # one run advances every section


def measure(n, steps, repeats) -> dict:
    plan, scale = hhsim_setup(n)
    cores = threads.cores()
    res = {"neurons": n, "steps": steps, "dt_ms": DT, "cores": cores, "repeats": repeats}
    run_hhsim(plan, scale, 10, 1)  # compile (or load the cached kernel)
    for t in sorted({1, cores}):
        out = {"cpu": math.inf}

        def once():
            c0 = time.process_time()
            out["o"] = run_hhsim(plan, scale, steps, t)
            out["cpu"] = min(out["cpu"], time.process_time() - c0)

        wall = best_of(once, repeats)
        res[f"hhsim_{t}_threads_ns"] = wall / (n * steps) * 1e9
        # CPU time of the process (all threads): the kernel's own cost however busy the machine
        res[f"hhsim_{t}_threads_cpu_ns"] = out["cpu"] / (n * steps) * 1e9
        res["spikes"] = int(sum(len(s) for s in out["o"].spike_times))
    peer_steps = min(steps, PEER_STEPS)
    y0 = plan.y0[:, 0]
    v_np = None

    def numpy_once():
        nonlocal v_np
        v_np = numpy_expeuler(np.full(n, plan.v0[0]), np.full(n, y0[0]), np.full(n, y0[1]),
                              np.full(n, y0[2]), scale, DT, peer_steps)[0]

    wall = best_of(numpy_once, max(1, repeats // 2))
    res["numpy_ns"] = wall / (n * peer_steps) * 1e9
    res["numpy_steps"] = peer_steps
    short = run_hhsim(plan, scale, peer_steps, cores)
    res["max_abs_dv_vs_numpy_mV"] = float(np.max(np.abs(short.v_final - v_np)))
    try:
        import neuron  # noqa: F401

        cells = min(n, NEURON_CELLS)
        wall = min(run_neuron(cells, peer_steps, float(plan.v0[0]), scale[:: max(1, n // cells)][:cells])
                   for _ in range(max(1, repeats // 2)))
        res["neuron_ns"] = wall / (cells * peer_steps) * 1e9
        res["neuron_cells"] = cells
    except ImportError:
        res["neuron_ns"] = None
    return res


def report(res: dict) -> str:
    cores = res["cores"]
    one, many = res["hhsim_1_threads_ns"], res[f"hhsim_{cores}_threads_ns"]
    lines = [
        f"Batch of {res['neurons']:,} 'hh' neurons x {res['steps']:,} steps, exponential Euler, "
        f"dt = {res['dt_ms']} ms, currents 0-{I_MAX:g} µA/cm², no recording "
        f"(best of {res['repeats']}; shared machine)",
        f"  hhsim, 1 thread       {one:8.2f} ns per neuron-step   (CPU time {res['hhsim_1_threads_cpu_ns']:.2f} ns)",
        f"  hhsim, {cores} threads      {many:8.2f} ns per neuron-step   (CPU time of all threads "
        f"{res[f'hhsim_{cores}_threads_cpu_ns']:.2f} ns; speed-up {one / many:.2f}x)",
        f"  target <= {TARGET_NS:g} ns per neuron-step on 2 cores: {'met' if many <= TARGET_NS else 'NOT met'}",
        f"  NumPy loop            {res['numpy_ns']:8.2f} ns per neuron-step   ({res['numpy_steps']} steps; "
        f"hhsim {res['numpy_ns'] / many:.0f}x faster)",
    ]
    if res.get("neuron_ns") is not None:
        lines.append(f"  NEURON (fixed step)   {res['neuron_ns']:8.2f} ns per neuron-step   "
                     f"({res['neuron_cells']} cells x {res['numpy_steps']} steps; hhsim {res['neuron_ns'] / many:.0f}x faster)")
    else:
        lines.append("  NEURON                not installed")
    lines.append(f"  spikes in the batch: {res['spikes']:,};  max |V(hhsim) - V(NumPy)| after "
                 f"{res['numpy_steps']} steps: {res['max_abs_dv_vs_numpy_mV']:.2e} mV")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=N_NEURONS)
    ap.add_argument("--steps", type=int, default=N_STEPS)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res = measure(args.neurons, args.steps, args.repeats)
    print(json.dumps(res, indent=2) if args.json else report(res))


if __name__ == "__main__":
    main()
