"""
Why the squid axon fires: its bifurcation diagram
=================================================

The resting state of ``hh`` along the injected current, its stability, the Hopf points
(a subcritical one near 9.78 µA/cm² and a supercritical one near 154.5 µA/cm², Rinzel &
Miller 1980) and the branch of periodic orbits with its extremes and period.  The same
as ``hhsim bifurcation --model hh --to 200 --plot bif.png``.
"""

from hhsim import dynamics

d = dynamics.bifurcation_diagram("hh", 0, 200)
print("Hopf points (µA/cm²):", [round(h.i_uA_cm2, 3) for h in d.hopf])
fig = d.plot()
