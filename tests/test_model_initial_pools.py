"""A partial ``initial_state`` that sets an ion pool: the gates it does not name
start at their steady state for that concentration, as NEURON's INITIAL blocks
compute them from the initial ``cai`` (found by the NMODL cross-check, issue 20)."""

from __future__ import annotations

import pytest

import hhsim
from hhsim.channels.hh import hh_k, hh_na
from hhsim.channels.ions import IonPool
from hhsim.channels.kahp import kahp
from hhsim.channels.leak import leak
from hhsim.channels.cal import cal
from hhsim.model import Model


def _cell() -> Model:
    return Model(name="ahp_cell", channels=(hh_na(), hh_k(), cal(0.1), kahp(0.5), leak(0.3, -54.4)),
                 Cm=1.0, temperature=22.0, concentrations=(("Ca_in", 2.4e-4), ("Ca_out", 2.0)),
                 pools=(IonPool("ca", depth=1.0, tau=200.0),))


@pytest.mark.parametrize("ca", [1e-4, 0.025, 0.2])
def test_unnamed_calcium_gate_starts_at_its_steady_state_for_the_given_calcium(ca):
    model = _cell()
    r = hhsim.simulate(model, t_stop=0.1, initial_state={"v": -65.0, "Ca_i": ca})
    # iahp.mod's m_inf written out here: (Ca/cac)^2 / (1 + (Ca/cac)^2), cac = 0.025 mM
    car = (ca / 0.025) ** 2
    assert r.states["AHP.m"][0] == pytest.approx(car / (1.0 + car), rel=1e-12)
    assert r.states["Ca_i"][0] == ca
    # a gate the caller names keeps the caller's value
    named = hhsim.simulate(model, t_stop=0.1, initial_state={"v": -65.0, "Ca_i": ca, "AHP.m": 0.3})
    assert named.states["AHP.m"][0] == 0.3
