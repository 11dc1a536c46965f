"""
The action potential travelling along the axon
==============================================

A 2 cm squid axon (diameter 476 µm, axoplasm 35.4 Ω·cm) kicked at one end with a 0.2 ms
pulse of 20 µA (20000 nA; the axon is large): the space-time plot of V(x, t), the
crossing times marked, over the voltage at five places.  The measured conduction velocity is close to Hodgkin and
Huxley's computed 12.3 m/s at 6.3 °C.  The same as ``hhsim cable --length 2 --plot
cable.png``.
"""

import hhsim
from hhsim.cable import cable, point, simulate_cable
from hhsim.plot.cable import plot_cable

axon = cable(length=20000, diam=476, ra=35.4)  # µm, µm, Ω·cm
r = simulate_cable(axon, "hh", point(hhsim.stim.pulse(20000, 0.5, 0.2), at=0), t_stop=6)
print(f"velocity {r.velocity():.2f} m/s over {r.v.shape[1]} recorded positions")
fig = plot_cable(r)
