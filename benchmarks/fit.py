"""Fitting benchmark: hhsim's fit against BluePyOpt over NEURON, on one synthetic problem.

The problem (the one of the tests): current-clamp sweeps of the squid-axon
``hh`` model with gNa, gK, gL and EL changed by 10-30 % (gNa x1.2, gK x0.8,
gL x1.25, EL x1.1), three 80 ms sweeps with 60 ms steps of -3, 4 and 10
µA/cm² on a 20,000 µm² membrane, sampled every 0.05 ms, with 0.5 mV of
Gaussian noise.  Both fit the same four parameters within the same bounds
to the same eFEL features of the same data (spike count, AP amplitude and
half width, AHP depth, ISIs, latency, baseline and end-of-step voltage),
each a z-score with sigma = 10 % of the data value + 0.1, a missing
feature counting z = 10.

* **hhsim**: ``hhsim.fit.fit`` with the features objective, CMA-ES, every
  generation one batch of all candidates on all sweeps.
* **BluePyOpt** (optional extra ``bench``): its ephys cell model (one soma
  section with NEURON's built-in ``hh``, 20,000 µm², the stimuli in nA),
  one objective per feature and sweep, its default IBEA genetic search,
  fixed step 0.025 ms, its evaluations on a pool of worker processes
  (one per core).

One loss judges both: after the run, the best candidate of each BluePyOpt
generation is scored by the same feature loss hhsim minimises (sum of
squared z-scores; computed on hhsim's simulation of the same equations, not
timed).  The target is the loss both reached (the larger of the two final
losses); reported are the wall times each needed to first reach it, and
their ratio.  hhsim's first-run compile time is measured separately and
reported (it is paid once per machine, the kernels are cached).

Usage::

    .venv/bin/python benchmarks/fit.py                 # table
    .venv/bin/python benchmarks/fit.py --json
    .venv/bin/python benchmarks/fit.py --generations 20 --population 16
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import sys
import tempfile
import time

import numpy as np

import hhsim
from hhsim import stim
from hhsim.fit import CURRENT_CLAMP, Feature, Objective, fit, make_sweep
from hhsim.fit.objectives import Evaluator

TRUTH = {"gNa": 120.0 * 1.2, "gK": 36.0 * 0.8, "gL": 0.3 * 1.25, "EL": -54.387 * 1.1}
BOUNDS = {"gNa": (80.0, 200.0), "gK": (20.0, 60.0), "gL": (0.1, 1.0), "EL": (-70.0, -45.0)}
AMPS = (-3.0, 4.0, 10.0)  # µA/cm²
START, DUR, T_STOP, DT_DATA = 10.0, 60.0, 80.0, 0.05  # ms
AREA_UM2 = 20000.0
NOISE_MV = 0.5
FEATURES = ("spike_count", "AP_amplitude", "spike_half_width", "AHP_depth", "all_ISI_values",
            "time_to_first_spike", "voltage_base", "steady_state_voltage_stimend")
MISSING_Z = 10.0
TARGET_RATIO = 20.0

# NEURON's hh parameters for hhsim's names (S/cm² for conductances, mV for el)
NRN_NAMES = {"gNa": "gnabar_hh", "gK": "gkbar_hh", "gL": "gl_hh", "EL": "el_hh"}
NRN_SCALE = {"gNa": 1e-3, "gK": 1e-3, "gL": 1e-3, "EL": 1.0}


def synthetic_sweeps() -> list:
    model = hhsim.models.get("hh").with_params(TRUTH)
    rng = np.random.default_rng(2026)
    out = []
    for k, amp in enumerate(AMPS):
        s = stim.step(amp, start=START, dur=DUR)
        r = hhsim.simulate(model, s, t_stop=T_STOP, dt=DT_DATA)
        out.append(make_sweep(f"step{k}", CURRENT_CLAMP, r.t, r.v + rng.normal(0.0, NOISE_MV, r.v.size), s, ""))
    return out


def objective() -> Objective:
    return Objective(kinds=("features",), features=tuple(Feature(f) for f in FEATURES))


def param_texts() -> list[str]:
    return [f"{n}={lo:g}:{hi:g}" + (":log" if n == "gL" else "") for n, (lo, hi) in BOUNDS.items()]


# ------------------------------------------------------------------ hhsim
def run_hhsim(sweeps, generations: int, population: int, seed: int) -> dict:
    t0 = time.perf_counter()
    fit("hh", sweeps, param_texts(), objective=objective(), generations=1, population=4, seed=seed)
    warm = time.perf_counter() - t0
    timeline = []
    t0 = time.perf_counter()
    r = fit("hh", sweeps, param_texts(), objective=objective(), generations=generations, population=population,
            seed=seed, on_generation=lambda g, loss: timeline.append((time.perf_counter() - t0, loss)))
    return {"first_run_s": warm, "wall_s": time.perf_counter() - t0, "timeline": timeline, "params": r.params,
            "evaluations": r.evaluations}


# ------------------------------------------------------------------ BluePyOpt over NEURON
def _soma_swc(path: str) -> None:
    """One spherical soma of AREA_UM2 (NEURON's import makes it a cylinder of the same area)."""
    r = math.sqrt(AREA_UM2 / (4 * math.pi))
    with open(path, "w") as fh:
        fh.write(f"1 1 0 0 0 {r:.6f} -1\n")


def bluepyopt_problem(sweeps, data_features, swc: str):
    import bluepyopt.ephys as ephys

    soma = ephys.locations.NrnSeclistLocation("somatic", seclist_name="somatic")
    soma_mid = ephys.locations.NrnSeclistCompLocation(name="soma", seclist_name="somatic", sec_index=0,
                                                      comp_x=0.5)
    mech = ephys.mechanisms.NrnMODMechanism(name="hh", suffix="hh", locations=[soma])
    params = [ephys.parameters.NrnSectionParameter(name="cm", param_name="cm", value=1.0, locations=[soma],
                                                   frozen=True)]
    for name, (lo, hi) in BOUNDS.items():
        k = NRN_SCALE[name]
        params.append(ephys.parameters.NrnSectionParameter(
            name=NRN_NAMES[name], param_name=NRN_NAMES[name], locations=[soma], frozen=False,
            bounds=[lo * k, hi * k] if k > 0 else [hi * k, lo * k]))
    morph = ephys.morphologies.NrnFileMorphology(swc, do_replace_axon=False)
    cell = ephys.models.CellModel(name="hh_cell", morph=morph, mechs=[mech], params=params)
    protocols, objectives = {}, []
    nA_per = AREA_UM2 * 1e-5  # nA per µA/cm²
    for s, feats in zip(sweeps, data_features):
        rec_name = f"{s.name}.soma.v"
        pulse = ephys.stimuli.NrnSquarePulse(step_amplitude=AMPS[int(s.name[-1])] * nA_per, step_delay=START,
                                             step_duration=DUR, location=soma_mid, total_duration=T_STOP)
        rec = ephys.recordings.CompRecording(name=rec_name, location=soma_mid, variable="v")
        protocols[s.name] = ephys.protocols.SweepProtocol(s.name, [pulse], [rec])
        for f in FEATURES:
            d = feats.get(f)
            if d is None:
                continue
            feat = ephys.efeatures.eFELFeature(f"{s.name}.{f}", efel_feature_name=f,
                                               recording_names={"": rec_name}, stim_start=START,
                                               stim_end=START + DUR, exp_mean=d, exp_std=0.1 * abs(d) + 0.1,
                                               max_score=MISSING_Z, force_max_score=True)
            objectives.append(ephys.objectives.SingletonObjective(feat.name, feat))
    calc = ephys.objectivescalculators.ObjectivesCalculator(objectives)
    sim = ephys.simulators.NrnSimulator(dt=0.025, cvode_active=False)
    names = [NRN_NAMES[n] for n in BOUNDS]
    return ephys.evaluators.CellEvaluator(cell_model=cell, param_names=names, fitness_protocols=protocols,
                                          fitness_calculator=calc, sim=sim, isolate_protocols=False)


def run_bluepyopt(sweeps, data_features, generations: int, population: int, seed: int, workers: int) -> dict:
    import bluepyopt

    tmp = tempfile.mkdtemp(prefix="hhsim-bench-fit-")
    swc = os.path.join(tmp, "soma.swc")
    _soma_swc(swc)
    evaluator = bluepyopt_problem(sweeps, data_features, swc)
    pool = multiprocessing.get_context("fork").Pool(workers)
    records = []  # (elapsed s, best individual's parameters of this generation)
    t0 = time.perf_counter()

    def mapper(func, individuals):
        individuals = list(individuals)
        results = pool.map(func, individuals)
        sums = [float(np.sum(np.square(r))) for r in results]
        k = int(np.argmin(sums))
        records.append((time.perf_counter() - t0, [float(x) for x in individuals[k]]))
        return results

    opt = bluepyopt.deapext.optimisations.IBEADEAPOptimisation(evaluator=evaluator, offspring_size=population,
                                                               map_function=mapper, seed=seed + 1)
    try:
        opt.run(max_ngen=generations)
    finally:
        pool.close()
        pool.join()
        shutil.rmtree(tmp, ignore_errors=True)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "records": records, "evaluations": population * (generations + 1)}


def score_records(records, sweeps) -> list[tuple[float, float]]:
    """The hhsim feature loss of each recorded BluePyOpt candidate, best so far, over time."""
    values = np.array([[p[i] / NRN_SCALE[n] for i, n in enumerate(BOUNDS)] for _, p in records])
    from hhsim.fit.simulate import group_sweeps, simulate_current_clamp

    sims = simulate_current_clamp(hhsim.models.get("hh"), list(BOUNDS), values, sweeps, group_sweeps(sweeps))
    losses = Evaluator(objective(), sweeps).losses(sims)
    best, out = math.inf, []
    for (t, _), loss in zip(records, losses):
        best = min(best, float(loss))
        out.append((t, best))
    return out


def time_to(timeline, target: float) -> float | None:
    for t, loss in timeline:
        if loss <= target * (1 + 1e-12):
            return t
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=30)
    ap.add_argument("--population", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="BluePyOpt's worker processes")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sweeps = synthetic_sweeps()
    data_features = Evaluator(objective(), sweeps).data_features
    h = run_hhsim(sweeps, args.generations, args.population, args.seed)
    out = {"problem": {"truth": TRUTH, "bounds": BOUNDS, "features": list(FEATURES), "sweeps": len(sweeps)},
           "generations": args.generations, "population": args.population,
           "hhsim": {"first_run_s": h["first_run_s"], "wall_s": h["wall_s"], "final_loss": h["timeline"][-1][1],
                     "evaluations": h["evaluations"], "params": h["params"]}}
    try:
        import bluepyopt  # noqa: F401
        import neuron  # noqa: F401
    except ImportError as exc:
        out["bluepyopt"] = f"skipped: {exc.name} is not installed (pip install 'hhsim[bench]')"
        _report(out, args.json)
        return 0
    b = run_bluepyopt(sweeps, data_features, args.generations, args.population, args.seed, args.workers)
    b_timeline = score_records(b["records"], sweeps)
    target = max(h["timeline"][-1][1], b_timeline[-1][1])
    th, tb = time_to(h["timeline"], target), time_to(b_timeline, target)
    out["bluepyopt"] = {"wall_s": b["wall_s"], "final_loss": b_timeline[-1][1], "evaluations": b["evaluations"],
                        "workers": args.workers}
    out["target_loss"] = target
    out["time_to_target_s"] = {"hhsim": th, "bluepyopt": tb}
    out["speedup"] = tb / th if th and tb else None
    out["speedup_target"] = TARGET_RATIO
    _report(out, args.json)
    return 0


def _report(out: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(out, indent=1))
        return
    h = out["hhsim"]
    print(f"synthetic hh current clamp, {out['problem']['sweeps']} sweeps, {len(FEATURES)} eFEL features; "
          f"{out['generations']} generations x {out['population']} candidates")
    print(f"hhsim      : {h['wall_s']:8.2f} s wall, final loss {h['final_loss']:.4g} "
          f"(first run with compile {h['first_run_s']:.2f} s)")
    b = out["bluepyopt"]
    if isinstance(b, str):
        print(f"BluePyOpt  : {b}")
        return
    print(f"BluePyOpt  : {b['wall_s']:8.2f} s wall on {b['workers']} workers, final loss {b['final_loss']:.4g}")
    t = out["time_to_target_s"]
    fmt = lambda x: "not reached" if x is None else f"{x:.2f} s"  # noqa: E731
    print(f"time to loss {out['target_loss']:.4g}: hhsim {fmt(t['hhsim'])}, BluePyOpt {fmt(t['bluepyopt'])}")
    if out["speedup"]:
        print(f"speed-up: {out['speedup']:.1f}x (target {TARGET_RATIO:g}x)")


if __name__ == "__main__":
    sys.exit(main())
