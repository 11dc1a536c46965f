"""COBAHH in Brian2 (Brette et al. 2007 benchmark 3, as Brian2's examples/COBAHH.py),
run by ``benchmarks/network.py`` in an interpreter that has Brian2.

    python _brian2_cobahh.py --mode cython|cpp --n 4000 --t-stop 1000 --dt 0.1 --seeds 1 2 3

Prints one JSON object: for each seed the time of the compiled run alone (s;
code generation and compilation excluded), the number of synapses and the E and
I rates (Hz) in the second half of the run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time


def build(b2, n: int):
    """The COBAHH network in Brian2 (units and values of Brette et al. 2007)."""
    from brian2 import NeuronGroup, SpikeMonitor, Synapses, mV, ms, msiemens, nS, siemens, ufarad, umetre, cm

    area = 20000 * umetre**2
    ns = {"Cm": 1 * ufarad * cm**-2 * area, "gl": 5e-5 * siemens * cm**-2 * area, "El": -60 * mV,
          "EK": -90 * mV, "ENa": 50 * mV, "g_na": 100 * msiemens * cm**-2 * area,
          "g_kd": 30 * msiemens * cm**-2 * area, "VT": -63 * mV, "taue": 5 * ms, "taui": 10 * ms,
          "we": 6 * nS, "wi": 67 * nS, "Ee": 0 * mV, "Ei": -80 * mV}
    eqs = b2.Equations("""
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK))/Cm : volt
        dm/dt = alpha_m*(1-m) - beta_m*m : 1
        dn/dt = alpha_n*(1-n) - beta_n*n : 1
        dh/dt = alpha_h*(1-h) - beta_h*h : 1
        dge/dt = -ge*(1./taue) : siemens
        dgi/dt = -gi*(1./taui) : siemens
        alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
        beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
        alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
        beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
        alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
        beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
        """)
    P = NeuronGroup(n, model=eqs, threshold="v>-20*mV", refractory=3 * ms, method="exponential_euler",
                    namespace=ns)
    n_e = int(round(0.8 * n))
    Pe, Pi = P[:n_e], P[n_e:]
    Ce = Synapses(Pe, P, on_pre="ge+=we", namespace=ns)
    Ci = Synapses(Pi, P, on_pre="gi+=wi", namespace=ns)
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    P.namespace.update(ns)
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    mon = SpikeMonitor(P)
    return P, Ce, Ci, mon, n_e


def rates(mon, n: int, n_e: int, t_stop_ms: float) -> tuple[float, float]:
    import numpy as np

    i = np.asarray(mon.i[:])
    t = np.asarray(mon.t[:] / 1e-3)
    late = t >= t_stop_ms / 2
    half_s = t_stop_ms / 2 / 1000.0
    return (float(np.count_nonzero(late & (i < n_e)) / (n_e * half_s)),
            float(np.count_nonzero(late & (i >= n_e)) / ((n - n_e) * half_s)))


def run_cython(n: int, t_stop: float, seeds: list[int], dt: float = 0.1) -> list[dict]:
    """``dt``: the clock's step (ms)."""
    import brian2 as b2

    b2.prefs.codegen.target = "cython"
    out = []
    for s in seeds:
        b2.start_scope()
        b2.defaultclock.dt = dt * b2.ms
        b2.seed(s)
        P, Ce, Ci, mon, n_e = build(b2, n)
        net = b2.Network(P, Ce, Ci, mon)
        net.run(dt * b2.ms)  # code generation and Cython compilation happen here
        t0 = time.perf_counter()
        net.run(t_stop * b2.ms - dt * b2.ms)
        el = time.perf_counter() - t0
        e, i = rates(mon, n, n_e, t_stop)
        out.append({"seed": s, "run_s": el, "n_synapses": int(len(Ce) + len(Ci)), "rate_e_hz": e, "rate_i_hz": i})
    return out


def run_cpp(n: int, t_stop: float, seeds: list[int], threads: int = 0, dt: float = 0.1) -> list[dict]:
    """``threads``: OpenMP threads of the standalone binary (0, Brian2's default: none);
    ``dt``: the clock's step (ms)."""
    import brian2 as b2

    out = []
    for s in seeds:
        b2.set_device("cpp_standalone", build_on_run=False)
        b2.device.reinit()
        b2.device.activate(build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = threads
        b2.defaultclock.dt = dt * b2.ms
        b2.seed(s)
        P, Ce, Ci, mon, n_e = build(b2, n)
        b2.run(t_stop * b2.ms)
        with tempfile.TemporaryDirectory() as d:
            b2.device.build(directory=d, compile=True, run=False)
            t0 = time.perf_counter()
            b2.device.run(directory=d, with_output=False)
            el = time.perf_counter() - t0
            e, i = rates(mon, n, n_e, t_stop)
            out.append({"seed": s, "run_s": el, "n_synapses": int(len(Ce) + len(Ci)), "rate_e_hz": e,
                        "rate_i_hz": i})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=("cython", "cpp"), required=True)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--t-stop", type=float, default=1000.0)
    ap.add_argument("--dt", type=float, default=0.1, help="time step (ms)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--threads", type=int, default=0, help="OpenMP threads of the C++ standalone run (0: none)")
    a = ap.parse_args(argv)
    runs = (run_cython(a.n, a.t_stop, a.seeds, a.dt) if a.mode == "cython"
            else run_cpp(a.n, a.t_stop, a.seeds, a.threads, a.dt))
    import brian2

    print(json.dumps({"brian2": brian2.__version__, "mode": a.mode, "n": a.n, "dt_ms": a.dt, "t_stop_ms": a.t_stop,
                      "runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
