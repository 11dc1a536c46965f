"""The propagated action potential: Hodgkin and Huxley's own test of their model.

Runs the squid giant axon of the 1952 paper (476 µm, 35.4 Ω·cm, 18.5 °C),
prints the conduction velocity next to the paper's computed 18.8 m/s and
measured 21.2 m/s, draws the spike travelling (space-time plot, traces,
animation), then compares a myelinated axon with a bare one of the same
diameter.  Takes a few seconds.

    .venv/bin/python examples/propagation.py [OUTDIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from hhsim import stim
from hhsim.cable import cable, measure, point, presets, simulate_cable
from hhsim.plot.cable import animate_cable, plot_cable

out = Path(sys.argv[1] if len(sys.argv) > 1 else "propagation_out")
out.mkdir(parents=True, exist_ok=True)

# 1. The squid axon of the 1952 paper ---------------------------------------
p = presets.get("hh1952-axon")
axon = p.morphology()  # 6 cm, 476 µm, 35.4 Ω·cm
r = simulate_cable(axon, "hh", p.stimulus(), dx=50.0, dt=0.0025, t_stop=6.0, temperature=18.5)
print(f"squid axon at 18.5 °C: {r.velocity():.2f} m/s "
      f"(Hodgkin & Huxley computed 18.8 m/s and measured 21.2 m/s)")
print(f"  spike amplitude {measure.spike_amplitude_at(r, 30000):.1f} mV, "
      f"width {measure.spike_width(r, 30000):.3f} ms at half amplitude, "
      f"length constant {measure.length_constant(r.plan, 30000) / 1e4:.3f} cm")
plot_cable(r, out / "squid_axon.png")
animate_cable(r, out / "squid_axon.gif")

cold = simulate_cable(axon, "hh", p.stimulus(), dx=50.0, dt=0.0025, t_stop=8.0, temperature=6.3)
print(f"the same axon at 6.3 °C: {cold.velocity():.2f} m/s (slower kinetics, slower spike)")

# 2. Myelin: saltatory conduction -------------------------------------------
m = presets.get("myelinated")
my = simulate_cable(m.morphology(), m.channels, m.stimulus(), dx=m.dx, dt=m.dt, t_stop=m.t_stop,
                    temperature=m.temperature)
bare = simulate_cable(cable(20000.0, 10.0, 35.4), "hh", point(stim.pulse(100.0, 0.5, 0.5), at=0.0),
                      dx=50.0, dt=0.01, t_stop=25.0, temperature=m.temperature)
print(f"10 µm fibre at {m.temperature:g} °C: myelinated {my.velocity():.1f} m/s, bare {bare.velocity():.2f} m/s")
plot_cable(my, out / "myelinated.png")
print(f"figures in {out}/")
