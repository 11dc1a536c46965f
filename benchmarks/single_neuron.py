"""Single-neuron benchmark: hhsim against scipy ``odeint`` and NEURON.

One squid-axon ``hh`` neuron (Cm 1 µF/cm²; gNa 120, gK 36, gL 0.3 mS/cm²;
ENa 50, EK -77, EL -54.387 mV; 6.3 °C) driven by a 10 µA/cm² current step
from t = 0, started at its resting equilibrium.

Measured in one run:

* speed, 1000 ms of biological time (wall time, best of several runs):
  hhsim at its defaults (dopri5, tolerance 1e-6, output every 0.025 ms;
  compile excluded by a warm-up call), scipy ``odeint`` on a 0.01 ms output
  grid with two right-hand sides: the seeds' way (one NumPy function per
  rate, ``np.exp`` on scalars, an ``I_inj(t)`` function; the target's peer)
  and a tuned one (``math.exp``, constant current), NEURON with a fixed step of 0.01 ms and NEURON with CVODE;
* accuracy, 200 ms: max |spike time error| (ms) of each against a reference
  computed here with ``solve_ivp`` (DOP853, rtol = atol = 1e-10, event
  location of upward 0 mV crossings);
* cold start: wall time of ``import hhsim`` plus one 1000 ms simulation in
  a fresh Python process, first with an empty kernel cache, then warm.

The HH equations used for ``odeint`` and for the reference are written out
below, independently of hhsim.  NEURON is optional: without the ``neuron``
package its rows are skipped.

Usage::

    .venv/bin/python benchmarks/single_neuron.py          # table
    .venv/bin/python benchmarks/single_neuron.py --json   # numbers as JSON
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.integrate import odeint, solve_ivp
from scipy.optimize import brentq

import hhsim
from _timing import best_of

# ------------------------------------------------------------ the experiment
I_STIM = 10.0  # injected current density, µA/cm², on from t = 0
T_SPEED = 1000.0  # ms of biological time for the timings
T_ACCURACY = 200.0  # ms simulated for the accuracy comparison
DT_GRID = 0.01  # ms: odeint output grid and NEURON fixed step
REF_TOL = 1e-10  # rtol = atol of the DOP853 reference

N_HHSIM = 7  # best-of counts
N_OTHER = 3

# Targets (hhsim against the others).
TARGET_VS_NEURON = 30.0  # NEURON fixed step time / hhsim time, at least
TARGET_VS_ODEINT = 50.0  # odeint time / hhsim time, at least
TARGET_SPIKE_ERR = 1e-4  # ms, hhsim max |spike time error|, at most
TARGET_WARM_START = 1.0  # s, import + first simulation with a warm cache, below

# ------------------------------------------- HH equations (independent of hhsim)
C_M = 1.0  # µF/cm²
G_NA, G_K, G_L = 120.0, 36.0, 0.3  # mS/cm²
E_NA, E_K, E_L = 50.0, -77.0, -54.387  # mV
# At 6.3 °C the temperature factor 3 ** ((T - 6.3) / 10) is exactly 1.


def _vtrap(x: float, k: float) -> float:
    """x / (exp(x / k) - 1), continuous at x = 0 (as in NEURON's hh.mod)."""
    if abs(x / k) < 1e-6:
        return k * (1.0 - x / k / 2.0)
    return x / (math.exp(x / k) - 1.0)


def hh_rates(v: float) -> tuple[float, float, float, float, float, float]:
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at v (mV)."""
    am = 0.1 * _vtrap(-(v + 40.0), 10.0)
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    an = 0.01 * _vtrap(-(v + 55.0), 10.0)
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


def hh_rhs(y, t, i_stim: float = I_STIM) -> list[float]:
    """d(v, m, h, n)/dt (mV/ms, 1/ms) in odeint's argument order f(y, t)."""
    v, m, h, n = y
    am, bm, ah, bh, an, bn = hh_rates(v)
    i_ion = G_NA * m**3 * h * (v - E_NA) + G_K * n**4 * (v - E_K) + G_L * (v - E_L)
    return [
        (i_stim - i_ion) / C_M,
        am * (1.0 - m) - bm * m,
        ah * (1.0 - h) - bh * h,
        an * (1.0 - n) - bn * n,
    ]


def hh_steady_gates(v: float) -> tuple[float, float, float]:
    """(m, h, n) at steady state at v (mV)."""
    am, bm, ah, bh, an, bn = hh_rates(v)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def hh_resting_potential() -> float:
    """The resting potential (mV): zero of the steady-state current without stimulus."""
    return brentq(
        lambda v: hh_rhs([v, *hh_steady_gates(v)], 0.0, i_stim=0.0)[0],
        -70.0, -60.0, xtol=1e-14, rtol=1e-15,
    )


# ------------------------- the seeds' way: a typical teaching script's odeint RHS
# Written the way the scripts hhsim replaces write it (one NumPy function per
# rate, ``np.exp`` on scalars, an ``I_inj(t)`` function, ``odeint(f, y0, t)``).
def seeds_alpha_m(V):
    return 0.1 * (V + 40.0) / (1.0 - np.exp(-(V + 40.0) / 10.0))


def seeds_beta_m(V):
    return 4.0 * np.exp(-(V + 65.0) / 18.0)


def seeds_alpha_h(V):
    return 0.07 * np.exp(-(V + 65.0) / 20.0)


def seeds_beta_h(V):
    return 1.0 / (1.0 + np.exp(-(V + 35.0) / 10.0))


def seeds_alpha_n(V):
    return 0.01 * (V + 55.0) / (1.0 - np.exp(-(V + 55.0) / 10.0))


def seeds_beta_n(V):
    return 0.125 * np.exp(-(V + 65.0) / 80.0)


def seeds_I_inj(t):
    return I_STIM if t >= 0.0 else 0.0


def seeds_hodgkin_huxley(y, t):
    V, m, h, n = y
    I_Na = G_NA * m**3 * h * (V - E_NA)
    I_K = G_K * n**4 * (V - E_K)
    I_L = G_L * (V - E_L)
    dVdt = (seeds_I_inj(t) - I_Na - I_K - I_L) / C_M
    dmdt = seeds_alpha_m(V) * (1.0 - m) - seeds_beta_m(V) * m
    dhdt = seeds_alpha_h(V) * (1.0 - h) - seeds_beta_h(V) * h
    dndt = seeds_alpha_n(V) * (1.0 - n) - seeds_beta_n(V) * n
    return [dVdt, dmdt, dhdt, dndt]


# ------------------------------------------------------------------ helpers
def upward_crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Times (ms) where v crosses ``threshold`` upwards, by linear interpolation."""
    t, v = np.asarray(t, float), np.asarray(v, float)
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


def spike_error(spikes: np.ndarray, reference: np.ndarray) -> float | None:
    """Max |spike time error| (ms), spikes paired in order; None if the counts differ."""
    spikes = np.asarray(spikes, float)
    if len(spikes) != len(reference) or len(spikes) == 0:
        return None
    return float(np.max(np.abs(spikes - reference)))


def log(msg: str) -> None:
    """Progress messages go to stderr so that --json output stays clean."""
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ runners
def run_hhsim(t_stop: float) -> np.ndarray:
    """hhsim at its default settings; returns spike times (ms)."""
    return hhsim.simulate("hh", hhsim.stim.step(I_STIM), t_stop=t_stop).spike_times


def run_odeint(t_stop: float, y0, rhs=hh_rhs) -> tuple[np.ndarray, np.ndarray]:
    """odeint (LSODA, default tolerances) on a DT_GRID output grid; returns (t, v)."""
    t = np.arange(0.0, t_stop + DT_GRID / 2, DT_GRID)
    y = odeint(rhs, y0, t)
    return t, y[:, 0]


def run_odeint_seeds(t_stop: float, y0) -> tuple[np.ndarray, np.ndarray]:
    """odeint with the seeds-style right-hand side (NumPy scalar functions)."""
    return run_odeint(t_stop, y0, rhs=seeds_hodgkin_huxley)


def reference_spikes(t_stop: float, y0) -> np.ndarray:
    """Spike times (ms) from DOP853 at rtol = atol = REF_TOL with event location."""

    def crossing(t, y):
        return y[0]

    crossing.direction = 1.0
    sol = solve_ivp(
        lambda t, y: hh_rhs(y, t), (0.0, t_stop), y0,
        method="DOP853", rtol=REF_TOL, atol=REF_TOL, events=crossing,
    )
    if not sol.success:
        raise RuntimeError(f"reference integration failed: {sol.message}")
    return sol.t_events[0]


class NeuronCell:
    """A single-compartment NEURON cell with the built-in ``hh`` mechanism.

    The section is a cylinder with L = diam chosen so that its area is
    exactly 1e-4 cm² (1e4 µm²); the IClamp amplitude is then
    I_nA = I_STIM (µA/cm²) * area (cm²) * 1e3 = 1 nA.  Cm 1 µF/cm², nseg 1,
    EL -54.387, ENa 50, EK -77 mV, 6.3 °C; rate tables as NEURON's default.
    """

    AREA_CM2 = 1e-4

    def __init__(self, h):
        self.h = h
        h.load_file("stdrun.hoc")
        h.celsius = 6.3
        sec = h.Section(name="soma")
        side_um = math.sqrt(self.AREA_CM2 * 1e8 / math.pi)  # π d L = area, L = d
        sec.L = sec.diam = side_um
        sec.nseg = 1
        sec.cm = C_M
        sec.insert("hh")
        sec.el_hh = E_L
        sec.ena = E_NA
        sec.ek = E_K
        self.sec = sec
        self.area_cm2 = sec(0.5).area() * 1e-8
        self.iclamp = h.IClamp(sec(0.5))
        self.iclamp.delay = 0.0
        self.iclamp.dur = 1e9
        self.iclamp.amp = I_STIM * self.area_cm2 * 1e3  # nA
        self.t_vec = h.Vector().record(h._ref_t)
        self.v_vec = h.Vector().record(sec(0.5)._ref_v)
        self.netcon = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        self.netcon.threshold = 0.0
        self.nc_spikes = h.Vector()
        self.netcon.record(self.nc_spikes)

    def run(self, t_stop: float, v_init: float, cvode: bool) -> float:
        """Initialise at v_init (mV), run to t_stop (ms); returns the wall time (s)
        of ``continuerun`` alone (v and NetCon spike times are recorded)."""
        h = self.h
        h.cvode.active(1 if cvode else 0)
        h.dt = DT_GRID
        h.finitialize(v_init)
        t0 = time.perf_counter()
        h.continuerun(t_stop)
        return time.perf_counter() - t0

    def spikes_interpolated(self) -> np.ndarray:
        """Upward 0 mV crossings of the recorded v, linearly interpolated (ms)."""
        return upward_crossings(np.array(self.t_vec), np.array(self.v_vec))

    def spikes_netcon(self) -> np.ndarray:
        """Spike times (ms) NEURON's NetCon reported."""
        return np.array(self.nc_spikes)


def cold_start(n_runs: int = 2) -> list[dict]:
    """Wall times of import hhsim + one 1000 ms simulation in fresh processes.

    All runs share a new, empty cache directory (HHSIM_CACHE_DIR for the
    generated kernels and NUMBA_CACHE_DIR for numba's compiled code), so the
    first run compiles everything and fills the cache and the later ones
    find it warm.  ``inside_s`` is timed within the process (import and
    simulation); ``process_s`` adds the interpreter start-up.
    """
    code = (
        "import time; t=time.perf_counter(); import hhsim; "
        "r=hhsim.simulate('hh', hhsim.stim.step(10), t_stop=1000); "
        "print(time.perf_counter()-t)"
    )
    out = []
    with tempfile.TemporaryDirectory(prefix="hhsim-bench-cache-") as cache:
        env = dict(os.environ, HHSIM_CACHE_DIR=cache, NUMBA_CACHE_DIR=cache)
        for _ in range(n_runs):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            process_s = time.perf_counter() - t0
            out.append({"inside_s": float(proc.stdout.strip().splitlines()[-1]), "process_s": process_s})
    return out


# ------------------------------------------------------------------ benchmark
def measure() -> dict:
    """Run every measurement; returns the numbers (times in s, spike times in ms)."""
    v_rest = hh_resting_potential()
    v_rest_hhsim = float(hhsim.simulate("hh", None, t_stop=1.0).v_rest)
    y0 = [v_rest, *hh_steady_gates(v_rest)]
    res: dict = {
        "setup": {
            "i_stim_uA_cm2": I_STIM, "t_speed_ms": T_SPEED, "t_accuracy_ms": T_ACCURACY,
            "dt_grid_ms": DT_GRID, "v_rest_mV": v_rest, "v_rest_hhsim_mV": v_rest_hhsim,
            "reference": f"solve_ivp DOP853 rtol=atol={REF_TOL:g}, event location",
        },
        "timing_s": {}, "spikes_1s": {}, "accuracy": {},
    }

    # --- speed, T_SPEED ms
    log("hhsim ...")
    run_hhsim(T_SPEED)  # warm-up: compile / load the cached kernels
    res["timing_s"]["hhsim"] = best_of(lambda: run_hhsim(T_SPEED), N_HHSIM)
    res["spikes_1s"]["hhsim"] = len(run_hhsim(T_SPEED))

    log("scipy odeint (tuned RHS) ...")
    res["timing_s"]["odeint"] = best_of(lambda: run_odeint(T_SPEED, y0), N_OTHER)
    res["spikes_1s"]["odeint"] = len(upward_crossings(*run_odeint(T_SPEED, y0)))
    log("scipy odeint (seeds-style RHS) ...")
    res["timing_s"]["odeint_seeds"] = best_of(lambda: run_odeint_seeds(T_SPEED, y0), N_OTHER)
    res["spikes_1s"]["odeint_seeds"] = len(upward_crossings(*run_odeint_seeds(T_SPEED, y0)))

    try:
        from neuron import h
    except ImportError:
        h = None
        log("NEURON not importable: NEURON rows skipped")
    res["neuron_version"] = None
    if h is not None:
        import neuron

        res["neuron_version"] = neuron.__version__
        cell = NeuronCell(h)
        res["setup"]["neuron_area_cm2"] = cell.area_cm2
        res["setup"]["neuron_iclamp_nA"] = cell.iclamp.amp
        for key, cvode in (("neuron_fixed", False), ("neuron_cvode", True)):
            log(f"NEURON {'CVODE' if cvode else 'fixed step'} ...")
            res["timing_s"][key] = min(cell.run(T_SPEED, v_rest, cvode) for _ in range(N_OTHER))
            res["spikes_1s"][key] = len(cell.spikes_netcon())
        res["neuron_cvode_tol"] = {"rtol": h.cvode.rtol(), "atol": h.cvode.atol()}

    # --- accuracy, T_ACCURACY ms
    log("reference (DOP853) ...")
    ref = reference_spikes(T_ACCURACY, y0)
    acc = res["accuracy"]
    acc["reference"] = {"n": len(ref), "err_ms": 0.0, "spikes_ms": ref.tolist()}

    def add(key: str, spikes: np.ndarray) -> None:
        acc[key] = {"n": len(spikes), "err_ms": spike_error(spikes, ref), "spikes_ms": np.asarray(spikes).tolist()}

    add("hhsim", run_hhsim(T_ACCURACY))
    add("odeint_linear", upward_crossings(*run_odeint(T_ACCURACY, y0)))
    add("odeint_seeds_linear", upward_crossings(*run_odeint_seeds(T_ACCURACY, y0)))
    if h is not None:
        cell.run(T_ACCURACY, v_rest, cvode=False)
        add("neuron_fixed_linear", cell.spikes_interpolated())
        add("neuron_fixed_netcon", cell.spikes_netcon())
        cell.run(T_ACCURACY, v_rest, cvode=True)
        add("neuron_cvode_linear", cell.spikes_interpolated())
        add("neuron_cvode_netcon", cell.spikes_netcon())

    # --- cold start
    log("cold start (2 fresh processes) ...")
    res["cold_start"] = cold_start(2)

    # --- ratios and targets
    t = res["timing_s"]
    ratios = {"odeint/hhsim": t["odeint_seeds"] / t["hhsim"], "odeint_tuned/hhsim": t["odeint"] / t["hhsim"]}
    if h is not None:
        ratios["neuron_fixed/hhsim"] = t["neuron_fixed"] / t["hhsim"]
        ratios["neuron_cvode/hhsim"] = t["neuron_cvode"] / t["hhsim"]
    res["ratios"] = ratios
    res["targets"] = {
        "neuron_fixed/hhsim >= 30": None if h is None else ratios["neuron_fixed/hhsim"] >= TARGET_VS_NEURON,
        "odeint/hhsim >= 50": ratios["odeint/hhsim"] >= TARGET_VS_ODEINT,
        "hhsim spike error <= 1e-4 ms": (acc["hhsim"]["err_ms"] is not None
                                         and acc["hhsim"]["err_ms"] <= TARGET_SPIKE_ERR),
        "warm-cache first simulation < 1 s": res["cold_start"][-1]["inside_s"] < TARGET_WARM_START,
    }
    return res


# ------------------------------------------------------------------ report
def _met(ok) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def report(res: dict) -> str:
    """The results as a readable table; the last line holds the ratios."""
    s, t, acc = res["setup"], res["timing_s"], res["accuracy"]
    has_nrn = "neuron_fixed" in t
    lines = [
        f"Single HH neuron ('hh', squid axon, 6.3 °C), {s['i_stim_uA_cm2']:g} µA/cm² step from t = 0, "
        f"start at rest {s['v_rest_mV']:.6f} mV (hhsim: {s['v_rest_hhsim_mV']:.6f} mV)",
        f"hhsim {hhsim.__version__}, numpy {np.__version__}, "
        f"NEURON {res['neuron_version'] or 'not installed (skipped)'}, Python {sys.version.split()[0]}",
    ]
    if has_nrn:
        lines.append(
            f"NEURON cell: 1 section, nseg 1, area {s['neuron_area_cm2']:.6g} cm², "
            f"IClamp {s['neuron_iclamp_nA']:.6g} nA, built-in hh (rate tables on, NEURON's default)"
        )
    lines += ["", f"Speed: {s['t_speed_ms']:g} ms of biological time, wall time (best of N)"]
    row = "  {:<28} {:<52} {:>10} {:>7}"
    lines.append(row.format("simulator", "settings", "time (ms)", "spikes"))
    rows = [
        ("hhsim", f"dopri5 tol 1e-6, output 0.025 ms (defaults), compiled; N={N_HHSIM}", "hhsim"),
        ("scipy odeint (seeds' way)", f"NumPy RHS functions, default tol, {DT_GRID:g} ms grid; N={N_OTHER}", "odeint_seeds"),
        ("scipy odeint (tuned)", f"math.exp RHS, default tol, {DT_GRID:g} ms grid; N={N_OTHER}", "odeint"),
    ]
    if has_nrn:
        tol = res.get("neuron_cvode_tol", {})
        rows += [
            ("NEURON fixed step", f"dt {DT_GRID:g} ms, continuerun, records v + NetCon; N={N_OTHER}", "neuron_fixed"),
            ("NEURON CVODE", f"rtol {tol.get('rtol', 0):g}, atol {tol.get('atol', 0):g} (defaults); N={N_OTHER}", "neuron_cvode"),
        ]
    for name, settings, key in rows:
        lines.append(row.format(name, settings, f"{t[key] * 1e3:.2f}", res["spikes_1s"][key]))
    if not has_nrn:
        lines.append("  NEURON: skipped (the `neuron` package is not importable)")

    lines += [
        "",
        f"Accuracy: {s['t_accuracy_ms']:g} ms; reference {s['reference']}: "
        f"{acc['reference']['n']} spikes",
    ]
    row = "  {:<28} {:<52} {:>7} {:>14}"
    lines.append(row.format("simulator", "spike times from", "spikes", "max |err| (ms)"))
    acc_rows = [
        ("hhsim", "hhsim (its own crossing detection)", "hhsim"),
        ("scipy odeint (seeds' way)", f"linear interpolation on its {DT_GRID:g} ms output grid", "odeint_seeds_linear"),
        ("scipy odeint (tuned)", f"linear interpolation on its {DT_GRID:g} ms output grid", "odeint_linear"),
    ]
    if has_nrn:
        acc_rows += [
            ("NEURON fixed step", "linear interpolation of v recorded every step", "neuron_fixed_linear"),
            ("NEURON fixed step", "NetCon (threshold 0 mV)", "neuron_fixed_netcon"),
            ("NEURON CVODE", "linear interpolation of v at CVODE's steps", "neuron_cvode_linear"),
            ("NEURON CVODE", "NetCon (threshold 0 mV)", "neuron_cvode_netcon"),
        ]
    for name, how, key in acc_rows:
        err = acc[key]["err_ms"]
        err_s = "count differs" if err is None else f"{err:.3g}"
        lines.append(row.format(name, how, acc[key]["n"], err_s))

    cs = res["cold_start"]
    lines += [
        "",
        "Cold start: fresh process, `import hhsim` + one 1000 ms simulation, timed inside the process",
        "  (shared new empty HHSIM_CACHE_DIR / NUMBA_CACHE_DIR; process time adds interpreter start-up)",
        f"  first  (empty cache, compiles): {cs[0]['inside_s']:.3f} s   (process {cs[0]['process_s']:.3f} s)",
        f"  second (warm cache):            {cs[1]['inside_s']:.3f} s   (process {cs[1]['process_s']:.3f} s)",
    ]

    r, tg = res["ratios"], res["targets"]
    err = acc["hhsim"]["err_ms"]
    row = "  {:<32} {:>12}   {:<18} {}"
    lines += ["", "Targets", row.format("measure", "value", "target", "status")]
    lines += [
        row.format("NEURON fixed step / hhsim time",
                   f"{r['neuron_fixed/hhsim']:.1f}x" if has_nrn else "n/a",
                   f">= {TARGET_VS_NEURON:g}x", _met(tg["neuron_fixed/hhsim >= 30"])),
        row.format("odeint (seeds' way) / hhsim", f"{r['odeint/hhsim']:.1f}x",
                   f">= {TARGET_VS_ODEINT:g}x", _met(tg["odeint/hhsim >= 50"])),
        row.format("odeint (tuned RHS) / hhsim", f"{r['odeint_tuned/hhsim']:.1f}x", "(no target)", ""),
        row.format("hhsim max spike time error", "count differs" if err is None else f"{err:.2g} ms",
                   f"<= {TARGET_SPIKE_ERR:g} ms", _met(tg["hhsim spike error <= 1e-4 ms"])),
        row.format("warm-cache first simulation", f"{cs[-1]['inside_s']:.3f} s",
                   f"< {TARGET_WARM_START:g} s", _met(tg["warm-cache first simulation < 1 s"])),
    ]
    parts = []
    if has_nrn:
        parts.append(f"NEURON fixed/hhsim {r['neuron_fixed/hhsim']:.1f}x (target >= {TARGET_VS_NEURON:g}x)")
    parts.append(f"odeint(seeds' way)/hhsim {r['odeint/hhsim']:.1f}x (target >= {TARGET_VS_ODEINT:g}x)")
    parts.append(f"odeint(tuned)/hhsim {r['odeint_tuned/hhsim']:.1f}x")
    if has_nrn:
        parts.append(f"NEURON CVODE/hhsim {r['neuron_cvode/hhsim']:.1f}x (no target)")
    lines.append("ratios: " + " | ".join(parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    args = parser.parse_args(argv)
    res = measure()
    if args.json:
        print(json.dumps(res, indent=2, default=float))
    else:
        print(report(res))


if __name__ == "__main__":
    main()
