"""Brian2's STDP example (Song, Miller & Abbott 2000), run in an interpreter that has Brian2.

    .venv-brian2/bin/python benchmarks/_brian2_stdp.py --cell lif|wb --t-stop MS --seeds 1 2 3 [--n 1000]

The example, in its own words restated here: N = 1000 Poisson inputs at F = 15 Hz
onto one cell through exponential conductance synapses (tau_e = 5 ms, E_e = 0 mV)
whose weights start uniform in [0, g_max] and follow pair-based additive STDP
(traces Apre, Apost, tau_pre = tau_post = 20 ms, dApre = 0.01 g_max,
dApost = -1.05 dApre), clipped to [0, g_max]: ``on_pre``: ge += w, Apre += dApre,
w = clip(w + Apost, 0, g_max); ``on_post``: Apost += dApost, w = clip(w + Apre, 0, g_max).

``--cell lif``: the example's own leaky integrate-and-fire cell (tau_m = 10 ms, E_L =
-74 mV, threshold -54 mV, reset -60 mV, g_max = 0.01 in units of the leak).
``--cell wb``: the same synapses onto the Wang-Buzsaki cell (hhsim's ``wang_buzsaki``
preset: the same equations; leak reversal ``--el`` mV), g_max in mS/cm2, optionally with
``--n-inh`` inhibitory Poisson inputs at 10 Hz (E_i = -80 mV, tau 5 ms, ``--w-inh``
mS/cm2) -- a conductance-based cell hhsim can also run (it has no integrate-and-fire).
Prints one JSON line: {seed: {"mean_w_over_gmax", "rate_hz", "low", "high"}}.
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", choices=("lif", "wb"), default="lif")
    ap.add_argument("--t-stop", type=float, default=100000.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--gmax", type=float, default=None)
    ap.add_argument("--a-plus", type=float, default=0.01)
    ap.add_argument("--w-inh", type=float, default=0.0)
    ap.add_argument("--n-inh", type=int, default=0)
    ap.add_argument("--el", type=float, default=-65.0)
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--mode", choices=("cpp", "cython"), default="cpp",
                    help="C++ standalone (default: a 100 s run at dt 0.025 ms takes minutes) or Cython runtime")
    a = ap.parse_args()
    import tempfile

    import brian2 as b2
    from brian2 import Hz, PoissonGroup, PoissonInput, NeuronGroup, Synapses, clip, ms, mV, run  # noqa: F401

    b2.prefs.codegen.target = "cython"
    out = {}
    for seed in a.seeds:
        if a.mode == "cpp":
            b2.set_device("cpp_standalone", build_on_run=False)
            b2.device.reinit()
            b2.device.activate(build_on_run=False)
        else:
            b2.start_scope()
        b2.seed(seed)
        np.random.seed(seed)
        b2.defaultclock.dt = a.dt * ms
        taupre = taupost = 20 * ms
        F = 15 * Hz
        if a.cell == "lif":
            gmax = a.gmax if a.gmax is not None else 0.01
            eqs = """dv/dt = (ge * (Ee - v) + El - v) / taum : volt
                     dge/dt = -ge / taue : 1"""
            ns = dict(taum=10 * ms, Ee=0 * mV, El=-74 * mV, taue=5 * ms)
            cell = NeuronGroup(1, eqs, threshold="v > -54*mV", reset="v = -60*mV", method="euler", namespace=ns)
            cell.v = -74 * mV
        else:
            gmax = a.gmax if a.gmax is not None else 0.002
            # Wang & Buzsaki (1996): V mV, t ms, conductances mS/cm2, C = 1 uF/cm2, phi = 5
            eqs = """
            dv/dt = (-gNa * minf**3 * h * (v - ENa) - gK * n**4 * (v - EK) - gL * (v - EL)
                     - ge * (v - Ee) - gi * (v - Ei)) / Cm : volt
            am = 0.1/mV * (v + 35*mV) / (1 - exp(-(v + 35*mV) / (10*mV))) / ms : Hz
            bm = 4 * exp(-(v + 60*mV) / (18*mV)) / ms : Hz
            minf = am / (am + bm) : 1
            dh/dt = phi * (0.07 * exp(-(v + 58*mV) / (20*mV)) / ms * (1 - h)
                           - 1 / (1 + exp(-(v + 28*mV) / (10*mV))) / ms * h) : 1
            dn/dt = phi * (0.01/mV * (v + 34*mV) / (1 - exp(-(v + 34*mV) / (10*mV))) / ms * (1 - n)
                           - 0.125 * exp(-(v + 44*mV) / (80*mV)) / ms * n) : 1
            dge/dt = -ge / taue : siemens / meter**2
            dgi/dt = -gi / taui : siemens / meter**2
            """
            msiemens, cm2 = b2.msiemens, b2.cm ** 2
            ns = dict(gNa=35 * msiemens / cm2, ENa=55 * mV, gK=9 * msiemens / cm2, EK=-90 * mV,
                      gL=0.1 * msiemens / cm2, EL=a.el * mV, Cm=1 * b2.ufarad / cm2, phi=5, Ee=0 * mV, Ei=-80 * mV,
                      taue=5 * ms, taui=5 * ms)
            cell = NeuronGroup(1, eqs, threshold="v > 0*mV", refractory="v > 0*mV", method="rk4",
                               namespace=ns)
            cell.v = -65 * mV
            cell.h = 0.9
            cell.n = 0.1
            if a.n_inh:
                inh = PoissonInput(cell, "gi", a.n_inh, 10 * Hz, weight=a.w_inh * msiemens / cm2)  # noqa: F841
        unit = "" if a.cell == "lif" else " * msiemens / cm**2"
        inp = PoissonGroup(a.n, rates=F)
        dApre = a.a_plus * gmax
        dApost = -dApre * 1.05
        S = Synapses(inp, cell, f"""w : 1
                        dApre/dt = -Apre / taupre : 1 (event-driven)
                        dApost/dt = -Apost / taupost : 1 (event-driven)""",
                     on_pre=f"""ge += w{unit}
                                Apre += dApre
                                w = clip(w + Apost, 0, gmax)""",
                     on_post="""Apost += dApost
                                w = clip(w + Apre, 0, gmax)""",
                     namespace=dict(taupre=taupre, taupost=taupost, dApre=dApre, dApost=dApost, gmax=gmax))
        S.connect()
        S.w = "rand() * gmax"
        sm = b2.SpikeMonitor(cell)
        run(a.t_stop * ms)
        if a.mode == "cpp":
            d = tempfile.mkdtemp(prefix="hhsim_b2_stdp_")
            b2.device.build(directory=d, compile=True, run=True, with_output=False)
        wn = np.asarray(S.w[:]) / gmax
        out[seed] = {"mean_w_over_gmax": float(wn.mean()), "rate_hz": float(sm.num_spikes / (a.t_stop / 1000.0)),
                     "low": float(np.mean(wn < 0.1)), "high": float(np.mean(wn > 0.9)),
                     "hist": np.histogram(wn, bins=10, range=(0, 1))[0].tolist()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
