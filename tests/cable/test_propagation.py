"""The propagated action potential: velocity against an independent
travelling-wave reference, convergence, equivalence with the point neuron,
myelin, failure, and the measurements along the axon."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hhsim
from hhsim import models, stim
from hhsim.cable import Morphology, Section, cable, measure, myelinated_axon, point, simulate_cable
from hhsim.cable.presets import myelin, node_of_ranvier, passive
from hhsim.errors import SolverError

from ._travelling_wave import hh_wave_velocity

KICK = point(stim.pulse(20000.0, start=0.5, dur=0.2), at=0.0)  # nA: well above threshold


def squid(length_um=60000.0):
    return cable(length_um, 476.0, 35.4)


@pytest.mark.parametrize("temperature", [6.3, 18.5])
def test_squid_axon_velocity_matches_travelling_wave(temperature):
    """The hh1952-axon set-up (6 cm, 50 µm compartments, dt 2.5 µs), measured
    between 2 and 4 cm, against the shooting solution of the wave equation."""
    r = simulate_cable(squid(), "hh", KICK, dx=50.0, dt=0.0025, t_stop=6.0 if temperature > 10 else 8.0,
                       temperature=temperature)
    assert r.propagated
    ref = hh_wave_velocity(temperature)
    assert r.velocity() == pytest.approx(ref, rel=1e-2)  # the bound
    assert r.velocity() == pytest.approx(ref, rel=1e-3)  # what it actually achieves


def _far_velocity(temperature, dx, dt):
    """Velocity between 6 and 8 cm of a 10 cm axon (far from the stimulus' transient)."""
    r = simulate_cable(squid(100000.0), "hh", KICK, dx=dx, dt=dt, temperature=temperature,
                       t_stop=5.5 if temperature > 10 else 8.0, record=2)
    return r.velocity(60000.0, 80000.0)


def test_velocity_converges_in_space_at_second_order():
    v = [_far_velocity(18.5, dx, 0.0025) for dx in (200.0, 100.0, 50.0)]
    order = math.log2((v[1] - v[0]) / (v[2] - v[1]))
    assert order == pytest.approx(2.0, abs=0.25)
    extrapolated = v[2] + (v[2] - v[1]) / 3.0
    assert extrapolated == pytest.approx(hh_wave_velocity(18.5), rel=1e-4)


def test_velocity_converges_in_time_at_second_order():
    v = [_far_velocity(6.3, 50.0, dt) for dt in (0.02, 0.01, 0.005)]
    order = math.log2((v[1] - v[0]) / (v[2] - v[1]))
    assert order == pytest.approx(2.0, abs=0.25)
    assert v[2] == pytest.approx(hh_wave_velocity(6.3), rel=2e-4)


# ----------------------------------------------------------- equivalence
AREA_SIDE = math.sqrt(1e4 / math.pi)  # µm: a cylinder of 1e4 µm² = 1e-4 cm² membrane


def test_single_compartment_cable_is_the_point_neuron():
    """Same method and dt: the traces agree to rounding (1 nA on 1e-4 cm² is 10 µA/cm²)."""
    one = cable(AREA_SIDE, AREA_SIDE, 35.4)
    r = simulate_cable(one, "hh", point(stim.step(1.0, start=5, dur=30), at=AREA_SIDE / 2), nseg=1,
                       method="rk4", dt=0.01, t_stop=50.0)
    s = hhsim.simulate("hh", stim.step(10.0, start=5, dur=30), t_stop=50.0, dt=0.01, method="rk4")
    assert r.v.shape == (s.v.size, 1)
    assert np.max(np.abs(r.v[:, 0] - s.v)) < 1e-9
    assert r.spike_counts[0] == s.n_spikes


def test_single_compartment_crank_nicolson_converges_to_the_point_neuron():
    one = cable(AREA_SIDE, AREA_SIDE, 35.4)
    ref = hhsim.simulate("hh", stim.step(10.0, start=5, dur=30), t_stop=50.0, dt=0.0025, method="rk4")
    errs = []
    for dt in (0.01, 0.005):
        r = simulate_cable(one, "hh", point(stim.step(1.0, start=5, dur=30), at=0.0), nseg=1, dt=dt,
                           t_stop=50.0, record_every=int(round(0.0025 * 4 / dt)))
        errs.append(np.max(np.abs(r.v[:, 0] - ref.v[::4])))
    assert errs[1] < 0.2 and errs[0] / errs[1] == pytest.approx(4.0, rel=0.15)


# ------------------------------------------------------------------ myelin
def test_myelinated_axon_conducts_faster_than_bare_axon_of_same_diameter():
    channels = {"node": node_of_ranvier(), "internode": myelin(100)}
    my = simulate_cable(myelinated_axon(10.0, 31, internode_length=1000.0), channels,
                        point(stim.pulse(1.5, start=0.5, dur=0.5), x=0.0), dx=100.0, dt=0.005, t_stop=4.0)
    bare = simulate_cable(cable(20000.0, 10.0, 35.4), "hh", point(stim.pulse(100.0, start=0.5, dur=0.5), at=0.0),
                          dx=50.0, dt=0.01, t_stop=25.0)
    assert my.propagated and bare.propagated
    assert my.velocity() > 5.0 * bare.velocity()
    # saltatory: node after node, about the same time over every internode
    nodes = [int(my.tree.section_nodes[i][0]) for i, s in enumerate(my.morphology.sections) if s.region == "node"]
    steps = np.diff(my.first_crossing[nodes])[8:-8]
    assert np.all(steps > 0) and np.ptp(steps) < 0.1 * steps.mean()


# ----------------------------------------------------------- failure, block
def test_subthreshold_stimulus_does_not_propagate():
    r = simulate_cable(squid(20000.0), "hh", point(stim.pulse(200.0, start=0.5, dur=0.2), at=0.0),
                       dx=100.0, t_stop=5.0)
    assert not r.propagated
    assert math.isnan(r.velocity())


def test_passive_gap_blocks_conduction():
    """3 mm of membrane without sodium channels (about 5 length constants) stops the spike."""
    secs = (Section("a", 10000.0, 476.0, region="axon"), Section("gap", 30000.0, 476.0, region="gap", parent="a"),
            Section("b", 10000.0, 476.0, region="axon", parent="gap"))
    morph = Morphology(secs, ra=35.4)
    r = simulate_cable(morph, {"axon": "hh", "gap": passive(0.3)}, KICK, dx=100.0, t_stop=8.0)
    assert np.isfinite(measure.arrival_time(r, 5000.0))
    assert math.isnan(measure.arrival_time(r, 45000.0))
    assert not r.propagated


# ------------------------------------------------------------ measurements
def test_amplitude_and_width_along_the_axon():
    r = simulate_cable(squid(), "hh", KICK, dx=50.0, dt=0.0025, t_stop=6.0, temperature=18.5, record="all")
    amp = measure.spike_amplitude(r)
    mid = (r.tree.dist > 15000) & (r.tree.dist < 45000)
    assert np.ptp(amp[mid]) < 0.005 * amp[mid].mean()  # a steady wave keeps its shape
    # width at half amplitude, recomputed here from the recorded trace
    x = 30000.0
    col = int(np.argmin(np.abs(r.rec_dist - x)))
    v, t = r.v[:, col], r.t
    rest = r.v_rest[r.rec_nodes[col]]
    half = rest + 0.5 * (v.max() - rest)
    above = t[v >= half]
    assert measure.spike_width(r, x) == pytest.approx(above[-1] - above[0], abs=2 * (t[1] - t[0]))
    assert measure.spike_amplitude_at(r, x) == pytest.approx(v.max() - rest, abs=0.05)


# ----------------------------------------------------------- explicit methods
def test_explicit_methods_refuse_unstable_steps():
    with pytest.raises(SolverError, match="unstable.*stability limit"):
        simulate_cable(squid(5000.0), "hh", KICK, dx=10.0, dt=0.01, method="rk4", t_stop=1.0)
    with pytest.raises(SolverError, match="unstable"):
        simulate_cable(squid(5000.0), "hh", KICK, dx=10.0, dt=0.005, method="euler", t_stop=1.0)


def test_rk4_within_its_limit_agrees_with_crank_nicolson():
    kw = dict(dx=200.0, t_stop=5.0, temperature=18.5, dt=0.0005)  # rk4's limit here: 0.00083 ms
    cn = simulate_cable(squid(20000.0), "hh", KICK, **kw)
    rk = simulate_cable(squid(20000.0), "hh", KICK, method="rk4", **kw)
    assert rk.velocity() == pytest.approx(cn.velocity(), rel=1e-4)


def test_regions_with_different_channel_sets_rest_together():
    """An HH axon joined to a passive one with another leak reversal: the resting
    state is the equilibrium of the whole cable, and nothing moves without input."""
    secs = (Section("a", 5000.0, 50.0, region="axon"), Section("b", 5000.0, 50.0, region="dend", parent="a"))
    morph = Morphology(secs, ra=100.0)
    r = simulate_cable(morph, {"axon": "hh", "dend": passive(0.5, E=-70.0)}, None, dx=100.0, t_stop=5.0)
    assert np.max(np.abs(r.v - r.v[0])) < 1e-6
    # between the two regions' own resting potentials, and smoothly so
    assert np.all((r.v_rest > -70.0) & (r.v_rest < models.get("hh").resting_potential()))


@pytest.mark.parametrize("name", models.names())
def test_every_library_model_runs_as_one_compartment(name):
    """A one-compartment cable of any preset (ion pools, Nernst and GHK currents,
    instantaneous gates included) equals the point neuron."""
    one = cable(AREA_SIDE, AREA_SIDE, 35.4)
    model = models.get(name)
    r = simulate_cable(one, model, point(stim.step(1.0, start=5, dur=20), at=0.0), nseg=1, method="rk4",
                       dt=0.01, t_stop=30.0)
    s = hhsim.simulate(model, stim.step(10.0, start=5, dur=20), t_stop=30.0, dt=0.01, method="rk4")
    assert np.max(np.abs(r.v[:, 0] - s.v)) < 1e-8
