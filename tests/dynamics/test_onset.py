"""Type I onset: the saddle-node current equals the rheobase of a long step."""

from __future__ import annotations

import pytest

import hhsim
from hhsim.dynamics import bifurcation_diagram


@pytest.mark.slow
@pytest.mark.parametrize("name", ["wang_buzsaki", "connor_stevens"])
def test_saddle_node_onset_equals_long_step_rheobase(name):
    """Wang & Buzsáki 1996 and Connor, Walter & McKown 1977 cells start firing at a
    saddle-node (type I, arbitrarily low rates); a 5 s step from rest fires from there."""
    d = bifurcation_diagram(name, 0.0, 20.0, cycles=False)
    assert d.onset["type"] == "saddle-node"
    rb = hhsim.analysis.rheobase(name, 5000.0, rtol=1e-4, progress=False)
    assert d.onset["I_uA_cm2"] == pytest.approx(rb.threshold_uA_cm2, rel=2e-3)


def test_hh_onset_is_the_subcritical_hopf():
    d = bifurcation_diagram("hh", 0.0, 20.0, cycles=False)
    assert d.onset["type"] == "hopf" and d.onset["I_uA_cm2"] == pytest.approx(9.7754, abs=1e-3)
