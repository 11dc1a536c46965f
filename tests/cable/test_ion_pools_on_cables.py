"""Ion pools, Nernst and GHK currents and instantaneous gates on cables.

Crank-Nicolson keeps its second order with them: the staggered scheme takes
the pools and gates at mid-step (predictor-corrector) and the currents that
are nonlinear in V at fixed gates (GHK, instantaneous gates) as tangents at
the theta point.  Measured here on one compartment against the point neuron
integrated to 1e-10 (spike times), and against the NumPy cable equations on
a multi-compartment cell.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import hhsim
from hhsim import models, stim
from hhsim.cable import Morphology, Section, cable, point, simulate_cable
from hhsim.cable.numpy_path import simulate_cable_numpy
from hhsim.cable.presets import passive
from hhsim.errors import ModelError

AREA_SIDE = math.sqrt(1e4 / math.pi)  # µm: 1e-4 cm² of membrane, so 1 nA is 10 µA/cm²


@pytest.mark.parametrize("name", ["destexhe_tc", "pospischil_lts", "wang_buzsaki"])
def test_crank_nicolson_stays_second_order(name):
    """destexhe_tc: Ca pool + GHK T-current + instantaneous m_T; pospischil_lts: Ca pool +
    Nernst T-current; wang_buzsaki: instantaneous Na activation."""
    model = models.get(name)
    ref = hhsim.simulate(model, stim.step(10.0, start=5, dur=40), t_stop=50.0, rtol=1e-10, atol=1e-10)
    one = cable(AREA_SIDE, AREA_SIDE, 35.4)
    errors = []
    for dt in (0.01, 0.005, 0.0025):
        r = simulate_cable(one, model, point(stim.step(1.0, start=5, dur=40), at=0.0), nseg=1, method="cn",
                           dt=dt, t_stop=50.0, max_crossings=64)
        got = r.crossing_times[0][: r.spike_counts[0]]
        assert got.size == ref.spike_times.size >= 3
        errors.append(np.max(np.abs(got - ref.spike_times)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(orders - 2.0) < 0.3), orders


def test_thalamic_cell_with_dendrites_matches_the_numpy_equations():
    """A TC soma (pools, GHK) with a TC dendrite and a passive one (no pool there),
    firing: the compiled kernel against the NumPy cable equations."""
    secs = (Section("soma", 60.0, 20.0, region="soma", nseg=1),
            Section("dend", 120.0, 6.0, region="dend", parent="soma", nseg=2),
            Section("thin", 60.0, 4.0, region="thin", parent="soma", nseg=1))
    morph = Morphology(secs, ra=100.0)
    tc = models.get("destexhe_tc")
    channels = {"soma": tc, "dend": tc, "thin": passive(0.05, E=-70.0)}
    drive = point(stim.step(0.1, start=1.0, dur=15.0), section="soma", x=0.5)  # nA
    kw = dict(t_stop=20.0, dt=0.004)  # rk4's limit here: 0.005 ms
    r = simulate_cable(morph, channels, drive, method="rk4", record="all", record_every=1, **kw)
    t, v = simulate_cable_numpy(morph, channels, drive, **kw)
    assert r.v.max() > 0.0  # it fires: Na, K, the T-current and the pool all move
    assert np.max(np.abs(r.v - v[:, r.rec_nodes])) < 1e-9


def test_pooled_and_unpooled_regions_of_one_channel_are_refused():
    """The same channel cannot take its reversal from a pool in one region and from
    fixed concentrations in another: one clear line."""
    tc = models.get("destexhe_tc")
    no_pool = dataclasses.replace(tc, pools=(), name="tc_fixed_ca")
    secs = (Section("a", 100.0, 10.0, region="a"), Section("b", 100.0, 10.0, region="b", parent="a"))
    with pytest.raises(ModelError, match="give every region with this channel the same ion pool") as err:
        simulate_cable(Morphology(secs, ra=100.0), {"a": tc, "b": no_pool}, None, t_stop=1.0, nseg=2)
    assert "\n" not in str(err.value)
