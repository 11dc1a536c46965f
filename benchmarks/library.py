"""Channel-library benchmark: presets with calcium dynamics, NEURON, NumPy, custom channels.

Measured in one run (wall time, best of several; compile excluded by a
warm-up call unless said otherwise):

1. ``pospischil_lts`` (INa, IK, IM, T-type Ca with a calcium pool and Nernst
   E_Ca), 1000 ms: a hyperpolarising step (-0.75 µA/cm², 100-400 ms: a
   rebound burst) then a depolarising one (+1 µA/cm², 600-1000 ms):

   * hhsim at its defaults, and with ``rk4`` at dt 0.025 ms;
   * NEURON running the same model written in NMODL (``benchmarks/nmodl``,
     compiled here with ``nrnivmodl``): fixed step 0.025 ms (backward Euler
     and Crank-Nicolson) and CVODE (rtol = atol = 1e-6);
   * the plain-NumPy path of hhsim (``engine/numpy_path.py``, rk4, 0.025 ms);
   * accuracy: max |spike time error| of each against NEURON at dt = 0.0005 ms
     with Crank-Nicolson (``secondorder = 2``), the reference.

2. ``destexhe_tc`` (adds a GHK T-current and Ih), 1000 ms, the same kind of
   protocol: hhsim against its NumPy path (no NMODL version here).

3. Custom channels against built-in ones: the tutorial's hand-written
   A-current (``examples/a_current_tutorial.py``) against the library's
   ``cs_a`` in the squid axon, and the squid-axon channels rewritten as
   expression strings against the built-in ``hh``: max |dV| and time.

Usage::

    .venv/bin/python benchmarks/library.py           # table
    .venv/bin/python benchmarks/library.py --json    # numbers as JSON
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import hhsim
from _timing import best_of
from hhsim.channels import Channel, Gate
from hhsim.engine.batch import make_grid
from hhsim.physics.structure import lower
from hhsim.engine.numpy_path import run_numpy

HERE = Path(__file__).resolve().parent
AREA_CM2 = 1e-4
T_STOP = 1000.0
HYPER = (-0.75, 100.0, 300.0)  # µA/cm², start, duration (ms)
DEPOL = (1.0, 600.0, 400.0)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def protocol() -> hhsim.stim.Stimulus:
    return hhsim.stim.step(HYPER[0], start=HYPER[1], dur=HYPER[2]) + hhsim.stim.step(
        DEPOL[0], start=DEPOL[1], dur=DEPOL[2])


def crossings(t, v, thr=0.0):
    t, v = np.asarray(t, float), np.asarray(v, float)
    i = np.nonzero((v[:-1] < thr) & (v[1:] >= thr))[0]
    return t[i] + (thr - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


def spike_error(a, ref):
    a, ref = np.asarray(a), np.asarray(ref)
    if len(a) != len(ref) or not len(a):
        return None
    return float(np.max(np.abs(a - ref)))


# ------------------------------------------------------------------ NEURON
def neuron_lts(model, builddir: Path):
    """Run ``model`` (pospischil_lts) in NEURON from the NMODL files; returns a runner."""
    import neuron
    from neuron import h

    mods = builddir / "mods"
    mods.mkdir()
    for f in (HERE / "nmodl").glob("*.mod"):
        shutil.copy(f, mods)
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "nrnivmodl")], cwd=mods, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    compile_s = time.perf_counter() - t0
    neuron.load_mechanisms(str(mods))
    h.load_file("stdrun.hoc")
    sec = h.Section(name="lts")
    sec.L = sec.diam = math.sqrt(AREA_CM2 * 1e8 / math.pi)
    sec.nseg = 1
    sec.cm = model.Cm
    for mech in ("lib_traub", "lib_im", "lib_it", "lib_cad", "pas"):
        sec.insert(mech)
    seg = sec(0.5)
    ch = model.channel
    seg.lib_traub.gnabar = ch("Na").gbar * 1e-3
    seg.lib_traub.gkbar = ch("K").gbar * 1e-3
    seg.lib_traub.vt = dict(ch("Na").params)["VT"]
    seg.lib_im.gkbar = ch("M").gbar * 1e-3
    seg.lib_im.taumax = dict(ch("M").params)["tau_max"]
    seg.lib_it.gcabar = ch("CaT").gbar * 1e-3
    seg.lib_it.vx = dict(ch("CaT").params)["Vx"]
    pool = model.pool("ca")
    seg.lib_cad.depth, seg.lib_cad.taur = pool.depth, pool.tau
    seg.lib_cad.cainf = model.concentration["Ca_in"]
    seg.pas.g = ch("L").gbar * 1e-3
    seg.pas.e = ch("L").E
    sec.ena, sec.ek = ch("Na").E, ch("K").E
    h.cao0_ca_ion = model.concentration["Ca_out"]
    h.cai0_ca_ion = model.concentration["Ca_in"]
    h.celsius = model.temperature
    clamps = []
    for amp, start, dur in (HYPER, DEPOL):
        c = h.IClamp(seg)
        c.delay, c.dur, c.amp = start, dur, amp * AREA_CM2 * 1e3  # nA
        clamps.append(c)
    tv = h.Vector().record(h._ref_t)
    vv = h.Vector().record(seg._ref_v)
    v_rest = model.resting_potential()

    def run(dt: float, secondorder: int = 0, cvode: bool = False):
        h.cvode.active(1 if cvode else 0)
        if cvode:
            h.cvode.rtol(1e-6)
            h.cvode.atol(1e-6)
        h.secondorder = secondorder
        h.dt = dt
        h.finitialize(v_rest)
        h.continuerun(T_STOP)
        return crossings(np.array(tv), np.array(vv))

    run.keep = (sec, clamps, tv, vv)  # keep NEURON objects alive
    return run, compile_s


# ------------------------------------------------------------------ custom channels
def expression_hh() -> hhsim.Model:
    """The squid axon with its channels written as expression strings (as a user would)."""
    na = Channel("Na", gbar=120.0, E=50.0, ion="na", gates=[
        Gate("m", 3, alpha="0.1*linexp(V + 40, 10)", beta="4*exp(-(V + 65)/18)"),
        Gate("h", 1, alpha="0.07*exp(-(V + 65)/20)", beta="1/(1 + exp(-(V + 35)/10))"),
    ])
    k = Channel("K", gbar=36.0, E=-77.0, ion="k", gates=[
        Gate("n", 4, alpha="0.01*linexp(V + 55, 10)", beta="0.125*exp(-(V + 65)/80)"),
    ])
    leak = Channel("L", gbar=0.3, E=-54.387)
    return hhsim.Model("hh_expr", (na, k, leak), Cm=1.0, temperature=6.3)


def tutorial():
    spec = importlib.util.spec_from_file_location("a_current_tutorial", HERE.parent / "examples" / "a_current_tutorial.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def compare(a_model, b_model, stim, t_stop=1000.0, repeats=15):
    a = hhsim.simulate(a_model, stim, t_stop=t_stop)
    b = hhsim.simulate(b_model, stim, t_stop=t_stop)
    ta = best_of(lambda: hhsim.simulate(a_model, stim, t_stop=t_stop), repeats)
    tb = best_of(lambda: hhsim.simulate(b_model, stim, t_stop=t_stop), repeats)
    ka = best_of(lambda: hhsim.simulate(a_model, stim, t_stop=t_stop, method="rk4"), repeats)
    kb = best_of(lambda: hhsim.simulate(b_model, stim, t_stop=t_stop, method="rk4"), repeats)
    return {
        "max_dv_mV": float(np.max(np.abs(a.v - b.v))), "n_spikes": [a.n_spikes, b.n_spikes],
        "builtin_ms": 1e3 * ta, "custom_ms": 1e3 * tb, "builtin_rk4_ms": 1e3 * ka, "custom_rk4_ms": 1e3 * kb,
    }


# ------------------------------------------------------------------ main
def numpy_time(model, stim, t_stop: float, dt: float = 0.025):
    """(seconds, spike times, max |V_numpy - V_compiled|) for rk4 at ``dt``."""
    from hhsim.engine.batch import run_batch

    plan = lower(model)
    grid = make_grid(t_stop, dt)
    t0 = time.perf_counter()
    t, v, y = run_numpy(plan, [stim], grid, "rk4")
    elapsed = time.perf_counter() - t0
    compiled = run_batch(plan, [stim], grid, "rk4")
    return elapsed, compiled.spike_times[0], float(np.max(np.abs(compiled.v[:, 0] - v[:, 0])))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="hhsim channel-library benchmark")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    out: dict = {}
    stim = protocol()

    # 1. pospischil_lts
    lts = hhsim.models.get("pospischil_lts")
    t0 = time.perf_counter()
    r = hhsim.simulate(lts, stim, t_stop=T_STOP)
    first = time.perf_counter() - t0
    ours = {
        "default": (best_of(lambda: hhsim.simulate(lts, stim, t_stop=T_STOP), 7), r.spike_times, r.method),
    }
    rk = hhsim.simulate(lts, stim, t_stop=T_STOP, method="rk4", dt=0.025)
    ours["rk4 dt 0.025"] = (best_of(lambda: hhsim.simulate(lts, stim, t_stop=T_STOP, method="rk4", dt=0.025), 7),
                            rk.spike_times, "rk4")
    log("numpy path (pospischil_lts, 1000 ms, rk4 0.025 ms) ...")
    np_s, np_spk, np_dv = numpy_time(lts, stim, T_STOP)
    out["pospischil_lts_numpy_vs_compiled_max_dv_mV"] = np_dv
    lts_rows = {k: {"ms": 1e3 * v[0], "spikes": v[1]} for k, v in ours.items()}
    lts_rows["numpy path rk4 0.025"] = {"ms": 1e3 * np_s, "spikes": np_spk}
    ref = None
    try:
        import neuron  # noqa: F401

        with tempfile.TemporaryDirectory() as tmp:
            log("compiling NMODL with nrnivmodl ...")
            run, compile_s = neuron_lts(lts, Path(tmp))
            out["neuron_nrnivmodl_s"] = compile_s
            log("NEURON reference (dt 0.002, 0.001, 0.0005 ms, Crank-Nicolson, extrapolated) ...")
            levels = [run(dt, secondorder=2) for dt in (0.002, 0.001, 0.0005)]
            d1, d2 = spike_error(levels[0], levels[1]), spike_error(levels[1], levels[2])
            order = math.log2(d1 / d2)  # measured (about 1 here: the cad/cnexp splitting)
            ref = levels[2] + (levels[2] - levels[1]) / (2.0 ** order - 1.0)
            prev = levels[1] + (levels[1] - levels[0]) / (2.0 ** order - 1.0)
            out["neuron_reference"] = {"measured_order": order, "dt_0.0005_vs_0.001_ms": d2,
                                       "extrapolated_change_ms": spike_error(ref, prev)}
            for label, kw in (("NEURON fixed 0.025 (backward Euler)", dict(dt=0.025)),
                              ("NEURON fixed 0.025 (Crank-Nicolson)", dict(dt=0.025, secondorder=2)),
                              ("NEURON CVODE 1e-6", dict(dt=0.025, cvode=True))):
                spikes = run(**kw)
                ms = 1e3 * best_of(lambda: run(**kw), 3)
                lts_rows[label] = {"ms": ms, "spikes": spikes}
    except ImportError:
        log("neuron not installed: NEURON rows skipped")
    for k, row in lts_rows.items():
        row["n_spikes"] = len(row["spikes"])
        row["max_spike_err_ms"] = spike_error(row["spikes"], ref) if ref is not None else None
        row["spikes"] = np.asarray(row["spikes"])
        row["spikes"] = [round(float(s), 4) for s in row["spikes"]]
    out["pospischil_lts"] = {"first_call_incl_compile_s": first, "method_default": r.method, "rows": lts_rows}

    # 2. destexhe_tc
    tc = hhsim.models.get("destexhe_tc")
    tcs = hhsim.stim.step(-0.5, start=100, dur=300) + hhsim.stim.step(0.5, start=600, dur=400)
    rt = hhsim.simulate(tc, tcs, t_stop=T_STOP)
    t_def = best_of(lambda: hhsim.simulate(tc, tcs, t_stop=T_STOP), 7)
    t_rk = best_of(lambda: hhsim.simulate(tc, tcs, t_stop=T_STOP, method="rk4"), 7)
    rk_tc = hhsim.simulate(tc, tcs, t_stop=T_STOP, method="rk4")
    log("numpy path (destexhe_tc) ...")
    np_tc, _, np_tc_dv = numpy_time(tc, tcs, T_STOP)
    out["destexhe_tc"] = {
        "default_ms": 1e3 * t_def, "rk4_0.025_ms": 1e3 * t_rk, "numpy_rk4_0.025_ms": 1e3 * np_tc,
        "n_spikes": rt.n_spikes, "numpy_vs_compiled_rk4_max_dv_mV": np_tc_dv,
        "rk4_vs_default_max_spike_diff_ms": spike_error(rk_tc.spike_times, rt.spike_times),
        "ca_i_max_mM": float(rt.states["Ca_i"].max()),
    }

    # 3. custom vs built-in
    tut = tutorial()
    hh = hhsim.models.get("hh")
    out["custom_a_current"] = compare(hh.with_channels(hhsim.channels.get("cs_a", gbar=20.0, E=-77.0)),
                                      tut.squid_with_a(20.0), hhsim.stim.step(18.0, start=20.0))
    out["custom_hh"] = compare(hh, expression_hh(), hhsim.stim.step(10.0))

    if args.json:
        print(json.dumps(out, indent=1, default=float))
        return 0
    print(f"pospischil_lts, 1000 ms (rebound burst + tonic firing); hhsim default method: {r.method}")
    print(f"  first call including numba compile: {first:.2f} s"
          + (f"; nrnivmodl: {out.get('neuron_nrnivmodl_s', 0):.1f} s" if "neuron_nrnivmodl_s" in out else ""))
    print(f"  {'run':38s} {'time (ms)':>10s} {'spikes':>7s} {'max |spike err| (ms)':>22s}")
    base = lts_rows["default"]["ms"]
    print(f"  (NumPy path vs compiled rk4, same steps: max |dV| {out['pospischil_lts_numpy_vs_compiled_max_dv_mV']:.1e} mV)")
    for k, row in lts_rows.items():
        err = "n/a" if row["max_spike_err_ms"] is None else f"{row['max_spike_err_ms']:.2e}"
        print(f"  {k:38s} {row['ms']:10.1f} {row['n_spikes']:7d} {err:>22s}   ({row['ms'] / base:6.1f}x hhsim default)")
    if ref is not None:
        nr = out["neuron_reference"]
        print(f"  reference: NEURON Crank-Nicolson at dt 0.002/0.001/0.0005 ms, measured order "
              f"{nr['measured_order']:.2f}, Richardson-extrapolated ({len(ref)} spikes; the extrapolation "
              f"moves by {nr['extrapolated_change_ms']:.1e} ms between levels)")
    d = out["destexhe_tc"]
    print(f"\ndestexhe_tc, 1000 ms: hhsim default {d['default_ms']:.1f} ms, rk4 {d['rk4_0.025_ms']:.1f} ms, "
          f"NumPy path {d['numpy_rk4_0.025_ms']:.0f} ms ({d['numpy_rk4_0.025_ms'] / d['rk4_0.025_ms']:.0f}x rk4); "
          f"{d['n_spikes']} spikes; NumPy vs compiled rk4 max |dV| {d['numpy_vs_compiled_rk4_max_dv_mV']:.1e} mV; "
          f"rk4 vs default spike times {d['rk4_vs_default_max_spike_diff_ms']:.1e} ms")
    for key, label in (("custom_a_current", "tutorial A-current vs library cs_a (in hh)"),
                       ("custom_hh", "hh written as expressions vs built-in hh")):
        c = out[key]
        print(f"\n{label}: max |dV| {c['max_dv_mV']:.1e} mV; 1 s default {c['builtin_ms']:.2f} vs "
              f"{c['custom_ms']:.2f} ms; rk4 {c['builtin_rk4_ms']:.2f} vs {c['custom_rk4_ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
