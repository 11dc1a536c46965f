"""Passive cables against cable theory: steady states, input resistance,
length constant, Rallpacks 1 and 2, and the measured orders of the solvers.

The references are closed forms and series written out in
``_cable_theory.py`` (nothing from hhsim); see tests/reference/PROVENANCE.md.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hhsim import stim
from hhsim.cable import Morphology, Section, cable, measure, point, simulate_cable
from hhsim.cable.presets import passive

from ._cable_theory import (
    killed_steady, length_constant_um, ra_lambda_mohm, rallpack_errors, sealed_steady, sealed_transient,
)

E = -65.0
# a short passive cylinder: g 1 mS/cm² (tau 1 ms), d 2 µm, Ra 100 Ω·cm: lambda = 224 µm
G, D, RA, L, I = 1.0, 2.0, 100.0, 500.0, 0.05
MEMBRANE = passive(G, E, 1.0)


def _steady(nseg, boundary="sealed", method="be"):
    return simulate_cable(cable(L, D, RA), MEMBRANE, point(stim.step(I), at=0.0), nseg=nseg,
                          t_stop=30.0, dt=0.02, method=method, boundary=boundary, record="all")


def test_sealed_steady_state_matches_cosh():
    r = _steady(200)
    x = r.tree.dist[r.rec_nodes]
    got = r.v[-1] - E
    want = sealed_steady(x, L, D, RA, G, I)
    assert np.max(np.abs(got - want)) < 2e-4 * want.max()
    # the ends themselves (x = 0 carries the injection)
    assert r.trace_at(0.0)[-1] - E == pytest.approx(sealed_steady(0.0, L, D, RA, G, I), rel=2e-4)
    assert r.trace_at(L)[-1] - E == pytest.approx(sealed_steady(L, L, D, RA, G, I), rel=2e-4)


def test_killed_end_matches_sinh():
    r = _steady(200, boundary=("sealed", "killed"))
    x = r.tree.dist[r.rec_nodes]
    want = killed_steady(x, L, D, RA, G, I)
    assert np.max(np.abs(r.v[-1] - E - want)) < 2e-4 * want.max()
    assert r.trace_at(L)[-1] == pytest.approx(E, abs=1e-9)


def test_input_resistance_and_length_constant():
    lam = length_constant_um(D, RA, G)
    r = _steady(200)
    plan = r.plan
    assert measure.length_constant(plan, L / 2) == pytest.approx(lam, rel=1e-6)
    want = ra_lambda_mohm(D, RA, G) / math.tanh(L / lam)  # sealed: r_a lambda coth(L / lambda)
    assert measure.input_resistance(plan, 0.0) == pytest.approx(want, rel=1e-3)
    # and the simulated steady response to the current step agrees
    assert (r.trace_at(0.0)[-1] - E) / I == pytest.approx(want, rel=2e-4)


def test_crank_nicolson_second_order_in_space():
    errs = []
    for nseg in (10, 20, 40):
        r = _steady(nseg, method="cn")
        errs.append(abs(r.trace_at(0.0)[-1] - E - sealed_steady(0.0, L, D, RA, G, I)))
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - 2.0) < 0.15), orders


@pytest.mark.parametrize("method, order", [("cn", 2), ("be", 1)])
def test_order_in_time(method, order):
    """V at the injection site at t = 2 ms under a 200 Hz sine current, same grid."""
    wave = point(stim.sine(0.2, 200.0), at=0.0)

    def v_end(dt):
        r = simulate_cable(cable(L, D, RA), MEMBRANE, wave, nseg=40, t_stop=2.0, dt=dt, method=method,
                           record=[0])
        return r.v[-1, 0]

    ref = v_end(0.02 / 64)
    errs = [abs(v_end(dt) - ref) for dt in (0.02, 0.01, 0.005)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - order) < 0.2), orders


# --------------------------------------------------------------- Rallpacks
RP_RM, RP_RA, RP_I = 40000.0, 100.0, 0.1  # Ω·cm², Ω·cm, nA (Bhalla et al. 1992)
RP_G = 1e3 / RP_RM  # mS/cm²
RP_MEMBRANE = passive(RP_G, E, 1.0)
# Brian2's bounds on the Rallpack comparisons: RMS and maximum error as % of the voltage range
RP1_BOUNDS = (0.1, 0.5)
RP2_BOUNDS = (0.25, 0.5)


def test_rallpack1_uniform_cable():
    """1 mm, 1 µm, 1000 compartments, 0.1 nA into one end for 250 ms."""
    r = simulate_cable(cable(1000.0, 1.0, RP_RA), RP_MEMBRANE, point(stim.step(RP_I), at=0.0),
                       nseg=1000, t_stop=250.0, dt=0.025, record=[0, 999], record_every=10)
    keep = r.t > 0
    t = r.t[keep]
    for x in (0.0, 1000.0):
        got = r.trace_at(x)[keep] - E
        want = sealed_transient(x, t, 1000.0, 1.0, RP_RA, RP_G, 1.0, RP_I, n_terms=3000)
        rms, worst = rallpack_errors(got, want)
        assert rms < RP1_BOUNDS[0] and worst < RP1_BOUNDS[1], (x, rms, worst)
        # Arbor NSuite's criterion: the largest deviation below 0.1 % of the largest |V|
        assert np.max(np.abs(got - want)) < 1e-3 * np.max(np.abs(want + E))


def _binary_tree(depth=10):
    """Rallpack 2: root 16 µm x 32 µm; each level diameter / 2^(2/3) (3/2 rule), length / 2^(1/3)."""
    secs, level, d, length = [Section("b0", 32.0, 16.0, nseg=1)], ["b0"], 16.0, 32.0
    for _ in range(1, depth):
        d /= 2 ** (2 / 3)
        length /= 2 ** (1 / 3)
        new = []
        for p in level:
            for _side in range(2):
                name = f"b{len(secs)}"
                secs.append(Section(name, length, d, parent=p, nseg=1))
                new.append(name)
        level = new
    return Morphology(tuple(secs), ra=RP_RA), level


def test_rallpack2_branched_tree_equals_its_cylinder():
    """1023 branches; analytic reference: the equivalent cylinder (16 µm, 10 x 32 µm)."""
    morph, leaves = _binary_tree()
    r = simulate_cable(morph, RP_MEMBRANE, point(stim.step(RP_I), section="b0", x=0.0), t_stop=250.0,
                       dt=0.05, record="all", record_every=5)
    assert r.n_compartments == 1023
    keep = r.t > 0
    t = r.t[keep]
    for loc, x in ((("b0", 0.0), 0.0), ((leaves[0], 1.0), 320.0)):
        got = r.trace_at(loc)[keep] - E
        want = sealed_transient(x, t, 320.0, 16.0, RP_RA, RP_G, 1.0, RP_I, n_terms=2000)
        rms, worst = rallpack_errors(got, want)
        assert rms < RP2_BOUNDS[0] and worst < RP2_BOUNDS[1], (loc, rms, worst)
    # every tip sees the same voltage (the tree is symmetric)
    tips = np.array([r.trace_at((name, 1.0)) for name in leaves[::37]])
    assert np.ptp(tips, axis=0).max() < 1e-9
