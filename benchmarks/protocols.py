"""Protocol benchmark: an f-I curve of 200 currents x 1 s from rest, hhsim against NEURON.

The experiment: the squid-axon ``hh`` neuron (6.3 °C) at 200 constant
currents evenly spaced over 0-20 µA/cm², each switched on at t = 0 from the
resting state and held 1 s; the rate of each is its steady firing rate
(spikes of the second half: (n - 1) / (last - first)), as
``hhsim.fi_curve`` computes it.

Measured in one run (best of ``--repeats``; the machine is shared):

* hhsim: the 200 neurons as one compiled batch, as ``fi_curve`` runs its
  from-rest sweep (``hhsim.analysis._common.run_many``), at the protocols'
  default (dopri5, each neuron its own steps, 0.025 ms grid) and with
  exponential Euler at dt = 0.01 ms (vectorised over the neurons); on 1 thread
  and on every core (``HHSIM_THREADS``);
* NEURON, the peer: the single-neuron benchmark's ``hh`` cell
  (``benchmarks/single_neuron.py``), the 200 simulations in a loop at a fixed
  dt = 0.01 ms (``finitialize`` at the resting potential, ``continuerun(1000)``,
  spikes from a NetCon at 0 mV, no traces recorded).  Each simulation costs the same, so by default
  ``--neuron-runs`` of them (evenly spread over the currents) are timed and
  the loop's time is their mean times 200; ``--neuron-runs 200`` times the
  whole loop;
* agreement: the largest rate difference (Hz) between hhsim and NEURON over
  the currents NEURON ran.

Usage::

    .venv/bin/python benchmarks/protocols.py            # table
    .venv/bin/python benchmarks/protocols.py --json     # numbers as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import hhsim
from _timing import best_of
from hhsim.analysis._common import protocol_method, run_many
from hhsim.analysis.spikes import steady_rate
from hhsim.engine import threads
from single_neuron import DT_GRID, NeuronCell, hh_resting_potential

N_CURRENTS = 200
I_MAX = 20.0  # µA/cm²
DUR = 1000.0  # ms
NEURON_DT = DT_GRID  # ms, NEURON's fixed step (0.01, as in the single-neuron benchmark)
TARGET = 30.0  # NEURON loop time / hhsim time, at least


def hhsim_fi(currents, method, dt, n_threads):
    """Rates (Hz) of the from-rest sweep as one batch on ``n_threads`` threads."""
    os.environ["HHSIM_THREADS"] = str(n_threads)
    out = run_many(hhsim.models.get("hh"), [hhsim.stim.step(1.0, start=0.0, dur=DUR)], DUR,
                   n=len(currents), scale=currents, method=method, dt=dt)
    return np.array([steady_rate(s, 0.0, DUR) for s in out.spike_times])


def neuron_rates(currents, v_rest):
    """NEURON: one 1 s simulation per current (µA/cm²) in a loop; (rates in Hz, wall time of each, s)."""
    from neuron import h

    cell = NeuronCell(h)  # the single-neuron benchmark's cell: area 1e-4 cm², NetCon at 0 mV
    cell.t_vec.play_remove()  # no traces: only the spikes are needed
    cell.v_vec.play_remove()
    rates, times = [], []
    for current in currents:
        cell.iclamp.amp = float(current) * cell.area_cm2 * 1e3  # nA
        t0 = time.perf_counter()
        cell.run(DUR, v_rest, cvode=False)
        times.append(time.perf_counter() - t0)
        rates.append(steady_rate(cell.spikes_netcon(), 0.0, DUR))
    return np.array(rates), np.array(times)


def measure(repeats: int, neuron_runs: int) -> dict:
    currents = np.linspace(0.0, I_MAX, N_CURRENTS)
    cores = threads.cores()
    res = {"currents": N_CURRENTS, "dur_ms": DUR, "cores": cores, "repeats": repeats, "hhsim": {}}
    rates = {}
    default_method, default_dt = protocol_method(None, None)
    for label, method, dt in (("default", default_method, default_dt), ("expeuler", "expeuler", NEURON_DT)):
        hhsim_fi(currents[:2], method, dt, 1)  # compile (or load the cached kernel)
        for t in sorted({1, cores}):
            out = {}

            def once():
                out["r"] = hhsim_fi(currents, method, dt, t)

            res["hhsim"][f"{label}_{t}_threads_s"] = best_of(once, repeats)
            rates[label] = out["r"]
        res["hhsim"][f"{label}_method"] = f"{method}, dt {dt:g} ms"
    try:
        import neuron  # noqa: F401
    except ImportError:
        res["neuron_loop_s"] = None
        return res
    v_rest = hh_resting_potential()
    picks = np.unique(np.linspace(0, N_CURRENTS - 1, max(1, min(neuron_runs, N_CURRENTS))).round().astype(int))
    nrn_rates, times = neuron_rates(currents[picks], v_rest)
    res["neuron_runs_timed"] = int(picks.size)
    res["neuron_loop_s"] = float(np.mean(times)) * N_CURRENTS
    res["max_rate_diff_hz"] = {label: float(np.max(np.abs(r[picks] - nrn_rates))) for label, r in rates.items()}
    res["rates_hz_sample"] = {"current": currents[picks].tolist()[:: max(1, picks.size // 5)],
                              "neuron": nrn_rates.tolist()[:: max(1, picks.size // 5)],
                              "hhsim": rates["default"][picks].tolist()[:: max(1, picks.size // 5)]}
    return res


def report(res: dict) -> str:
    cores = res["cores"]
    lines = [f"f-I curve from rest: 'hh', {res['currents']} currents 0-{I_MAX:g} µA/cm², "
             f"{res['dur_ms']:g} ms each (best of {res['repeats']}; shared machine)"]
    nrn = res.get("neuron_loop_s")
    for label in ("default", "expeuler"):
        for t in sorted({1, cores}):
            s = res["hhsim"][f"{label}_{t}_threads_s"]
            ratio = f"   {nrn / s:6.0f}x NEURON" if nrn else ""
            lines.append(f"  hhsim {label:8s} ({res['hhsim'][f'{label}_method']}), {t} thread{'s' if t > 1 else ' '}"
                         f"  {s:8.3f} s{ratio}")
    if nrn:
        best = min(v for k, v in res["hhsim"].items() if k.endswith(f"_{cores}_threads_s"))
        default = res["hhsim"][f"default_{cores}_threads_s"]
        lines.append(f"  NEURON, 200 runs in a loop, fixed dt {NEURON_DT} ms  {nrn:8.3f} s   "
                     f"(mean of {res['neuron_runs_timed']} timed runs x 200)")
        lines.append(f"  target >= {TARGET:g}x NEURON at the protocol default on {cores} cores: "
                     f"{nrn / default:.0f}x, {'met' if nrn / default >= TARGET else 'NOT met'} "
                     f"(fastest hhsim: {nrn / best:.0f}x)")
        lines.append("  max |rate(hhsim) - rate(NEURON)| over the timed currents: "
                     + ", ".join(f"{k} {v:.3g} Hz" for k, v in res["max_rate_diff_hz"].items()))
    else:
        lines.append("  NEURON not installed")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--neuron-runs", type=int, default=10, help="NEURON simulations timed (200: all)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res = measure(args.repeats, args.neuron_runs)
    print(json.dumps(res, indent=2) if args.json else report(res))


if __name__ == "__main__":
    main()
