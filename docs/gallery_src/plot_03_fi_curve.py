"""
Repetitive firing: the f-I curve
================================

The steady firing rate of the squid axon against the injected current, from rest and by a
staircase up and down.  Firing starts abruptly near 55 Hz (a type II neuron), and between
the fold of limit cycles and the Hopf point rest and firing coexist (the up and down
sweeps differ).  The same as ``hhsim fi --i-min 0 --i-max 20 --n 21 --plot fi.png``.
"""

from hhsim import analysis

fi = analysis.fi_curve("hh", 0, 20, 21, dur=300)
print("bistable range (µA/cm²):", fi.bistable_range_uA_cm2)
fig = fi.plot()
