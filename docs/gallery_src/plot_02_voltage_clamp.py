"""
Voltage clamp, as Hodgkin and Huxley did it
===========================================

A family of clamp steps from a holding potential of -65 mV: the membrane current of each
step, its peak inward and steady-state currents against the command (the I-V curves),
and the activation and inactivation curves with their Boltzmann fits.  The same as
``hhsim vclamp --plot vclamp.png``.
"""

from hhsim import analysis

vc = analysis.vclamp("hh")
print(f"{len(vc.steps_mV)} steps; largest inward current {vc.peak_inward_uA_cm2.min():.0f} µA/cm²")
fig = vc.plot()
