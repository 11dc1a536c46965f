"""Cables compute their rate forms from shared exponentials (``hhsim.physics.exp_sharing``)
when every node allows the same sharing, and form by form otherwise; both give the
same propagated spike to rounding, and sharing is off when the nodes disagree."""

from __future__ import annotations

import numpy as np

import hhsim
from hhsim import stim
from hhsim.cable import Morphology, Section, cable, point, simulate_cable
from hhsim.cable import lowering
from hhsim.cable.tree import build_tree
from hhsim.cable.geometry import segment_counts


def _axon(monkeypatch=None, share=True):
    if not share:
        monkeypatch.setattr(lowering, "groups", lambda s, rp: [(None, np.arange(rp.shape[1]))])
    return simulate_cable(cable(5000.0, 20.0, 100.0), "hh", point(stim.pulse(10.0, 0.5, 0.5), at=0.0),
                          dx=25.0, dt=0.005, t_stop=8.0, record=[0, 100, 199], record_every=1)


def test_shared_and_direct_exponentials_give_the_same_spike(monkeypatch):
    shared = _axon()
    direct = _axon(monkeypatch, share=False)
    assert shared.v.max() > 20.0  # the spike reached the far end
    np.testing.assert_allclose(shared.v, direct.v, rtol=0, atol=1e-8)


def _slowed_hh():
    """``hh`` with alpha_m's k 11 mV instead of 10: no longer 8 x beta_n's slope."""
    import dataclasses

    hh = hhsim.models.get("hh")
    na = hh.channel("Na")
    gates = tuple(dataclasses.replace(g, alpha=g.alpha.with_param("k", 11.0)) if g.name == "m" else g
                  for g in na.gates)
    return hh._replace_channel("Na", lambda ch: ch.replace(gates=gates))


def test_a_cell_whose_nodes_disagree_computes_each_form_alone():
    morph = cable(1000.0, 10.0, 100.0)
    counts = segment_counts(morph, lambda s: 1.0, nseg=10)
    plan = lowering.lower_cable(build_tree(morph, counts), [hhsim.models.get("hh")], "sealed")
    assert plan.structure.exp_sharing is not None
    slowed = lowering.lower_cable(build_tree(morph, counts), [_slowed_hh()], "sealed")
    assert slowed.structure.exp_sharing is not None  # its own (smaller) grouping
    assert slowed.structure.exp_sharing != plan.structure.exp_sharing
    # one region with the 1952 slopes, one slowed: no one sharing fits every node,
    # and the cell still runs (each form its own exponential)
    two = Morphology((Section("a", 500.0, 10.0, region="fast"), Section("b", 500.0, 10.0, region="slow", parent="a")),
                     ra=100.0)
    res = simulate_cable(two, {"fast": "hh", "slow": _slowed_hh()}, point(stim.pulse(5.0, 0.5, 0.5), at=0.0),
                         dx=25.0, dt=0.005, t_stop=5.0, record=[0], record_every=1)
    assert res.v.max() > 0.0
    mixed = lowering.lower_cable(build_tree(two, segment_counts(two, lambda s: 1.0, nseg=10)),
                                 [hhsim.models.get("hh"), _slowed_hh()], "sealed")
    assert mixed.structure.exp_sharing is None
