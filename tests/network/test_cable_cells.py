"""Multi-compartment cells in networks: a network of one cable cell is the cable,
and point neurons drive cable cells (and back) through synapses."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.cable import cable, point, simulate_cable
from hhsim.network import CableCell, Network, Population, Projection, simulate_network, synapses

# one worker for these and tests/network/test_cable_cells_compiled.py (the same kernels, compiled once)
pytestmark = pytest.mark.xdist_group("cable_cells")


def _axon():
    return cable(2000.0, 2.0)  # µm: 2 mm of 2 µm axon


def test_network_of_one_cable_cell_is_the_cable():
    stim = point(hhsim.stim.step(1.0, start=2.0, dur=1.0), at=0.0)  # nA at the start
    cell = CableCell(_axon(), "hh", stimuli=[stim], detect_at=("cable", 0.5), method="cn")
    net = Network(populations=[Population("axon", cell)], t_stop=20.0, dt=0.01, method="rk4")
    r = simulate_network(net)
    ref = simulate_cable(_axon(), "hh", [stim], t_stop=20.0, dt=0.01, method="cn", record="all",
                         record_every=10)
    node = cell.node(cell.stepper(0.01), ("cable", 0.5))
    col = int(np.nonzero(ref.rec_nodes == node)[0][0])
    assert r.cable_t.shape == ref.t.shape
    np.testing.assert_array_equal(r.cable_v["axon"][:, 0], ref.v[:, col])  # the same steps: the same bits
    crossings = ref.crossing_times[node]
    crossings = crossings[np.isfinite(crossings)]
    assert crossings.size == 1 and r.spikes["axon"][1].size == 1
    assert abs(r.spikes["axon"][1][0] - crossings[0]) < 0.01  # linear vs cubic location within the step


def test_point_neuron_drives_a_cable_cell_and_back():
    """hh cell A excites the middle of an axon; the axon's spike excites hh cell B."""
    cell = CableCell(_axon(), "hh", synapse_at=("cable", 0.5), detect_at=("cable", 0.9))
    net = Network(
        populations=[Population("A", "hh", stim=hhsim.stim.pulse(20.0, start=2.0, dur=1.0)),
                     Population("axon", cell), Population("B", "hh")],
        projections=[Projection("A", "axon", synapses.Exp(tau=2.0, E=0.0), weight="20 nS", delay=1.0),
                     Projection("axon", "B", synapses.Exp(tau=2.0, E=0.0), weight=0.5, delay=1.0)],
        t_stop=40.0, dt=0.01)
    r = simulate_network(net)
    ta, tx, tb = (r.spikes[p][1] for p in ("A", "axon", "B"))
    assert ta.size == tx.size == tb.size == 1
    assert ta[0] < tx[0] < tb[0]
    # the axon spike starts at its middle and travels 0.4 of 2 mm: at the hh axon's
    # conduction velocity (about 0.5 mm/ms for 2 µm) that takes over a millisecond
    assert tx[0] - ta[0] > 1.0 + 0.5
    assert tb[0] - tx[0] > 1.0


def test_cable_population_rejects_point_options():
    import pytest

    from hhsim.errors import ParameterError

    with pytest.raises(ParameterError, match="takes no params"):
        Population("axon", CableCell(_axon()), params={"gNa": 100})


def test_cable_cell_population_from_a_network_file(tmp_path, capsys):
    import json

    from helpers.cli import run_cli

    text = "\n".join([
        "t_stop = 20", "dt = 0.01",
        "[populations.axon]",
        'model = {length_um = 2000, diam_um = 2, channels = "hh", stimuli = ["step(amp=1, start=2, dur=1, at=0)"],'
        ' detect_at = ["cable", 0.5]}',
    ])
    f = tmp_path / "axon.toml"
    f.write_text(text + "\n")
    code, out, err = run_cli(capsys, "network", str(f), "--json")
    assert code == 0, err
    assert json.loads(out)["populations"]["axon"]["n_spikes"] == 1
    code, described, err = run_cli(capsys, "network", str(f), "--describe")
    assert code == 0, err
    g = tmp_path / "again.toml"
    g.write_text(described)
    code, again, _ = run_cli(capsys, "network", str(g), "--describe")
    assert again == described
