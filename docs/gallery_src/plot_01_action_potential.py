"""
The action potential and its currents
=====================================

Hodgkin and Huxley's squid axon (``hh``, 6.3 °C) under a 10 µA/cm² step from 10 to 40 ms:
the membrane potential, the three gates, the sodium, potassium and leak currents, and the
stimulus, on one time axis.  The same figure as ``hhsim run --plot ap.png``.
"""

import hhsim
from hhsim.plot import plot_result

r = hhsim.simulate("hh", hhsim.stim.step(10, start=10, dur=30), t_stop=80)
print(f"{r.n_spikes} spikes; rest {r.v_rest:.2f} mV; peak {r.v.max():.2f} mV")
fig = plot_result(r)
