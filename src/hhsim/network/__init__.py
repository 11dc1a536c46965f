"""Networks of Hodgkin-Huxley neurons: populations, synapses, connectivity, drive, monitors.

>>> import hhsim
>>> from hhsim.network import Network, Population, Projection, simulate_network, synapses
>>> net = Network(
...     populations=[Population("A", "hh", stim=hhsim.stim.step(10, start=5, dur=40)), Population("B", "hh")],
...     projections=[Projection("A", "B", synapses.Exp(tau=3, E=0), weight=0.5, delay=2)],
...     t_stop=60)
>>> r = simulate_network(net)
>>> r.n_spikes("B") > 0
True
"""

from __future__ import annotations

from . import connect, synapses
from .cells import CableCell
from .network import Monitors, Network, Noise, PoissonInput, Population, Projection, SpikeSource
from .result import NetworkResult
from .simulate import simulate_network

__all__ = ["CableCell", "Network", "Population", "Projection", "SpikeSource", "PoissonInput", "Noise", "Monitors",
           "NetworkResult", "simulate_network", "synapses", "connect"]
