"""The prebuild's workloads read their network files from ``{files}`` (cheap checks: no run).

A network file the prebuild writes must be one ``hhsim network`` reads, else ``hhsim
prebuild`` fails on a fresh installation; the cable-cell workload must hold a cable cell,
or a first network with one compiles the cable cells' fixed kernels from nothing.
"""

from __future__ import annotations

from hhsim.engine.prebuild import WORKLOAD_FILES, WORKLOADS
from hhsim.network import CableCell
from hhsim.network.toml_io import loads


def test_every_workload_file_is_a_network_file_and_is_read_by_a_workload():
    used = {arg.split("{files}/", 1)[1] for args in WORKLOADS for arg in args if arg.startswith("{files}/")}
    assert used == set(WORKLOAD_FILES)
    for name, text in WORKLOAD_FILES.items():
        assert loads(text, where=name).populations  # raises on a bad file


def test_a_workload_runs_a_network_with_a_cable_cell():
    nets = [loads(text, where=name) for name, text in WORKLOAD_FILES.items()]
    assert any(isinstance(p.model, CableCell) for net in nets for p in net.populations)
