"""The electrophysiology lab on the squid axon, in one short script.

Run it from the repository:  .venv/bin/python examples/lab_protocols.py [OUTDIR]

It measures the classic numbers of the Hodgkin-Huxley axon at 6.3 °C and
writes one figure per experiment into OUTDIR (default ``lab_figures``):
rheobase, threshold of a 1 ms pulse, strength-duration curve (rheobase and
chronaxie), the f-I curve and its bistable range, refractory periods,
anode-break excitation, a voltage-clamp family of steps, and what TTX does.
Every protocol runs its many simulations as vectorised batches; the whole
script takes a few seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hhsim import analysis, models

out = Path(sys.argv[1] if len(sys.argv) > 1 else "lab_figures")
out.mkdir(parents=True, exist_ok=True)
hh = models.get("hh")

r = analysis.rheobase(hh)
print(f"rheobase (200 ms step)          {r.threshold_uA_cm2:7.3f} µA/cm²")
r.plot(out / "rheobase.png")

t = analysis.threshold(hh, pulse_dur=1.0)
print(f"threshold of a 1 ms pulse       {t.threshold_uA_cm2:7.3f} µA/cm²")

sd = analysis.strength_duration(hh)
print(f"strength-duration (Lapicque)    rheobase {sd.rheobase_uA_cm2:.3f} µA/cm², "
      f"chronaxie {sd.chronaxie_ms:.3f} ms")
sd.plot(out / "strength_duration.png")

fi = analysis.fi_curve(hh, 0.0, 15.0, 31, dur=1000.0)
lo, hi = fi.bistable_range_uA_cm2
print(f"f-I: firing starts at {fi.min_rate_hz:.0f} Hz (type II); bistable between {lo:g} and {hi:g} µA/cm²")
fi.plot(out / "fi.png")

ref = analysis.refractory(hh)
print(f"refractory periods              absolute {ref.absolute_ms:.2f} ms, relative {ref.relative_ms:.2f} ms")
ref.plot(out / "refractory.png")

ab = analysis.anode_break(hh, dur=20.0)
print(f"anode break (20 ms step)        {-ab.threshold_uA_cm2:7.3f} µA/cm² is enough for a rebound spike")
ab.plot(out / "anode_break.png")

vc = analysis.vclamp(hh)
k0 = list(vc.steps_mV).index(0.0)
print(f"voltage clamp to 0 mV           peak I_Na {vc.peak_currents['Na'][k0]:.0f} µA/cm², "
      f"steady state {vc.steady_state_uA_cm2[k0]:.0f} µA/cm², tail {vc.tail_uA_cm2[k0]:.0f} µA/cm²")
vc.plot(out / "vclamp.png")

# Pharmacology: the same experiment with TTX at its IC50 (half the Na channels blocked).
ttx = analysis.apply_drugs(hh, [analysis.parse_drug("ttx=5.1nM")])
print(f"with TTX 5.1 nM                 rheobase {analysis.rheobase(ttx).threshold_uA_cm2:7.3f} µA/cm²")

# Vary a parameter and observe: spikes in 100 ms of 10 µA/cm² as TTX rises.
sc = analysis.scan(hh, "ttx_nM", [0, 0.5, 1, 2, 5, 10], "n_spikes")
print("spikes vs TTX (nM)              " + ", ".join(f"{c:g}: {n:.0f}" for c, n in zip(sc.values, sc.results)))
sc.plot(out / "scan_ttx.png")
print(f"figures in {out}/")
