"""The compiled cable kernels against the plain-NumPy cable equations (design note 5:
"the compiled and NumPy paths agree").

Same lowered cable, same explicit RK4 steps; the NumPy side writes the axial
coupling, the boundaries, the junction nodes and the membrane (through the
point-neuron NumPy path) out again independently of the code generator, so
agreement to rounding checks everything the compiled right-hand side does.
"""

from __future__ import annotations

import numpy as np
import pytest

from hhsim import stim
from hhsim.cable import Morphology, Section, cable, point, simulate_cable
from hhsim.cable.numpy_path import simulate_cable_numpy
from hhsim.cable.presets import passive


def _compare(morph, channels, stimuli, *, t_stop, dt, **kw):
    r = simulate_cable(morph, channels, stimuli, method="rk4", dt=dt, t_stop=t_stop, record="all",
                       record_every=1, **kw)
    t, v = simulate_cable_numpy(morph, channels, stimuli, t_stop=t_stop, dt=dt, **kw)
    np.testing.assert_allclose(r.t, t, rtol=0, atol=1e-12)
    return r, v[:, r.rec_nodes]


def test_unbranched_hh_cable_spikes_and_propagates_identically():
    morph = cable(2000.0, 50.0, 100.0)
    kick = point(stim.pulse(300.0, start=0.2, dur=0.5), at=0.0)  # nA
    r, v_np = _compare(morph, "hh", kick, t_stop=6.0, dt=0.001, nseg=40, temperature=18.5)
    assert r.v.max() > 20.0  # it fired ...
    far = r.rec_nodes[np.argmax(r.rec_dist)]
    assert r.vmax[far] > 0.0  # ... and the spike reached the far end
    assert np.max(np.abs(r.v - v_np)) < 1e-10  # mV


def test_branched_tree_with_regions_junctions_and_killed_end():
    """A Y: an hh trunk with two passive daughters (another leak reversal), one daughter
    killed at its tip; a step into the trunk.  Junction nodes, mixed channel sets,
    a clamped boundary and a non-uniform resting state are all exercised."""
    secs = (Section("trunk", 600.0, 20.0, region="axon", nseg=12),
            Section("left", 400.0, 8.0, region="dend", parent="trunk", nseg=8),
            Section("right", 300.0, 12.0, region="dend", parent="trunk", nseg=6))
    morph = Morphology(secs, ra=120.0)
    channels = {"axon": "hh", "dend": passive(0.2, E=-70.0)}
    drive = point(stim.step(3.0, start=0.5, dur=4.0), section="trunk", x=0.0)
    r, v_np = _compare(morph, channels, drive, t_stop=5.0, dt=0.0005, boundary={(2, 1): "killed"})
    assert r.plan.tree.junction.any()
    assert np.ptp(r.v_rest) > 0.1  # regions pull each other off their own rests
    assert np.max(np.abs(r.v - v_np)) < 1e-10


def test_instantaneous_gates_on_a_cable():
    """Wang-Buzsaki's Na activation is instantaneous (m = m_inf(V)) on the cable too."""
    morph = cable(500.0, 10.0, 100.0)
    kick = point(stim.pulse(20.0, start=0.2, dur=0.5), at=0.0)
    r, v_np = _compare(morph, "wang_buzsaki", kick, t_stop=4.0, dt=0.0005, nseg=10)
    assert r.v.max() > 0.0
    assert np.max(np.abs(r.v - v_np)) < 1e-10


@pytest.mark.parametrize("boundary", ["sealed", "killed", "infinite"])
def test_passive_cable_boundaries(boundary):
    morph = cable(1000.0, 4.0, 150.0)
    inj = point(stim.step(0.05, start=0.1, dur=3.0), x=0.3)
    r, v_np = _compare(morph, passive(0.1, E=-65.0), inj, t_stop=3.0, dt=0.001, nseg=20, boundary=boundary)
    assert np.ptp(r.v) > 1.0
    assert np.max(np.abs(r.v - v_np)) < 1e-10
