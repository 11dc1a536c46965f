"""The network time loop is compiled once for every network (issue 19): a network of
another membrane compiles only its own membrane functions, never the loop again.

Two networks of one structure each, with different membranes (``hh`` and
``wang_buzsaki``), different synapses and drive, run one after the other in this
process: the loop (``network_loop.steps``) and each of its parts must hold the
same compiled versions after the second as after the first (numba keeps one
overload per argument types; a loop generated per structure, as before this
design, was a new function for every membrane).
"""

from __future__ import annotations

import hhsim
from hhsim.engine import network_loop
from hhsim.physics.structure import structure_of
from hhsim.network import Network, Population, Projection, simulate_network, synapses


def _loop_versions() -> dict[str, int]:
    parts = {name: function for name, (function, _) in network_loop.PIECES.items()}
    parts["steps"] = network_loop.steps
    return {name: len(function.overloads) for name, function in parts.items()}


def _network(model: str, synapse) -> Network:
    pop = Population("A", model, n=6, stim=hhsim.stim.step(8.0, start=2.0), stim_scale=[1.0, 1.2, 1.4, 1.6, 1.8, 2.0])
    return Network(populations=[pop], projections=[Projection("A", "A", synapse, connect={"p": 0.5}, weight=0.05)],
                   t_stop=20.0, dt=0.025, method="rk4", seed=3)


def test_a_new_membrane_compiles_only_its_own_functions():
    assert structure_of(hhsim.models.get("hh")) != structure_of(hhsim.models.get("wang_buzsaki"))
    first = simulate_network(_network("hh", synapses.Exp(tau=1.0, E=0.0)))
    after_first = _loop_versions()
    second = simulate_network(_network("wang_buzsaki", synapses.Alpha(tau=0.5, E=-75.0)))
    assert _loop_versions() == after_first
    assert all(n >= 1 for n in after_first.values()), "every part of the loop ran"
    assert first.spikes["A"][1].size > 0 and second.spikes["A"][1].size > 0
