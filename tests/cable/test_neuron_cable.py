"""The same cable in NEURON (optional: needs the `neuron` package).

With its rate tables off and second-order time stepping, NEURON integrates
the cable with the same staggered Crank-Nicolson scheme and the same
compartments as hhsim: the conduction velocities must agree to rounding-level
precision.  (With its default tables and backward Euler they differ by the
table and first-order errors; see benchmarks/cable.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

from hhsim import models, stim
from hhsim.cable import cable, point, simulate_cable

neuron = pytest.importorskip("neuron")
pytestmark = pytest.mark.neuron

L, D, RA, NSEG, DT, T_STOP = 40000.0, 476.0, 35.4, 400, 0.005, 5.0
X1, X2 = 200, 300  # compartment indices: 2 and 3 cm


def _crossing(t, v):
    k = int(np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0][0])
    return t[k] + (0 - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])


def test_velocity_matches_neuron_crank_nicolson():
    h = neuron.h
    h.load_file("stdrun.hoc")
    ax = h.Section(name="cable_test_axon")
    ax.L, ax.diam, ax.Ra, ax.nseg, ax.cm = L, D, RA, NSEG, 1.0
    ax.insert("hh")
    for seg in ax:
        seg.hh.el = -54.387
        seg.ena, seg.ek = 50.0, -77.0
    h.usetable_hh = 0
    h.celsius = 18.5
    ic = h.IClamp(ax(0.0))
    ic.delay, ic.dur, ic.amp = 0.5, 0.2, 20000.0
    h.dt, h.secondorder = DT, 2
    xs = [(i + 0.5) / NSEG for i in (X1, X2)]
    recs = [h.Vector().record(ax(x)._ref_v) for x in xs]
    tv = h.Vector().record(h._ref_t)
    h.finitialize(models.get("hh").resting_potential())
    h.continuerun(T_STOP)
    t = np.array(tv)
    t1, t2 = (_crossing(t, np.array(r)) for r in recs)
    v_neuron = (X2 - X1) * L / NSEG / (t2 - t1) * 1e-3
    h.usetable_hh = 1
    h.secondorder = 0

    r = simulate_cable(cable(L, D, RA), "hh", point(stim.pulse(20000.0, 0.5, 0.2), at=0.0), nseg=NSEG,
                       dt=DT, t_stop=T_STOP, temperature=18.5, record=[X1, X2], record_every=1)
    v_hhsim = (X2 - X1) * L / NSEG / (_crossing(r.t, r.v[:, 1]) - _crossing(r.t, r.v[:, 0])) * 1e-3
    assert v_hhsim == pytest.approx(v_neuron, rel=1e-6)
