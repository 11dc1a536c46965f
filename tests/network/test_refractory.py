"""Refractoriness: a dead time for spike emission per population (Population.refractory, ms).

Brian2's meaning for a conductance-based cell whose equations are not marked
``(unless refractory)``: no spike event within ``refractory`` ms of the last
emitted one, while the membrane integrates on unclamped; a crossing inside the
dead time fires at its end if V is still above threshold there (Brian2's
threshold is a level tested every step).  So the membrane trace must be the one
of refractory 0 to the last bit; when every crossing in a dead time is over by
its end, the emitted spikes are the crossings of refractory 0 kept greedily
(each at least ``refractory`` after the last kept one); and a suppressed spike
must deliver no synaptic event.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from helpers.cli import cli_error

from hhsim import stim
from hhsim.errors import ParameterError
from hhsim.network import (Monitors, Network, PoissonInput, Population, Projection, SpikeSource, presets,
                           simulate_network, toml_io)
from hhsim.network.synapses import Exp

DT = 0.025  # ms


def _greedy(times: np.ndarray, refractory: float) -> np.ndarray:
    """The crossings a dead time of ``refractory`` ms lets through: each at least that long
    after the last one let through."""
    kept, last = [], -np.inf
    for t in times:
        if t - last >= refractory:
            kept.append(t)
            last = t
    return np.array(kept)


def _driven(refractory: float, slow: bool) -> Network:
    """One hh cell driven by 40 µA/cm² (interspike intervals near 9.2 ms after the first); with
    ``slow``, a Poisson input of weight 0 sends it down the node-by-node path every step
    (its membrane unchanged), else it takes the vectorised whole-step path."""
    pop = Population("A", "hh", stim=stim.step(40.0, start=2.0), refractory=refractory)
    inputs = [PoissonInput("A", 1, 200.0, 0.0, Exp(tau=2.0, E=0.0))] if slow else []
    return Network(populations=[pop], inputs=inputs, t_stop=120.0, dt=DT, method="rk4",
                   monitors=Monitors(spikes="all", states={"A": [0]}, every_ms=DT))


@pytest.mark.parametrize("slow", [False, True], ids=["fast-path", "slow-path"])
def test_dead_time_removes_events_only(slow):
    free = simulate_network(_driven(0.0, slow))
    t0 = free.trains("A")[0]
    refractory = 15.0
    assert t0.size >= 12 and np.diff(t0).max() < refractory  # driven faster than 1 / refractory
    dead = simulate_network(_driven(refractory, slow))
    t1 = dead.trains("A")[0]
    # the membrane (and every gate) is exactly as without a dead time
    np.testing.assert_array_equal(dead.v["A"], free.v["A"])
    for name in ("m", "h", "n"):
        np.testing.assert_array_equal(dead.states["A"][name], free.states["A"][name])
    # the spikes: the same crossings, those inside a dead time left out
    assert np.all(np.diff(t1) >= refractory)
    np.testing.assert_array_equal(t1, _greedy(t0, refractory))
    assert 0 < t1.size < t0.size


def test_default_is_no_dead_time():
    assert Population("A", "hh").refractory == 0.0
    a = simulate_network(_driven(0.0, False))
    b = simulate_network(_driven(1e-9, False))  # shorter than any interval: nothing removed
    np.testing.assert_array_equal(a.trains("A")[0], b.trains("A")[0])


def _pair(refractory: float, times=None) -> Network:
    """Cell A (driven fast) excites cell B through an exponential synapse with a 1.3 ms
    delay; or, with ``times``, a spike source firing at those times does."""
    b = Population("B", "hh")
    syn = Exp(tau=3.0, E=0.0)
    mon = Monitors(spikes="all", states={"B": [0]}, every_ms=DT)
    if times is None:
        a = Population("A", "hh", stim=stim.step(40.0, start=2.0), refractory=refractory)
        return Network(populations=[a, b], projections=[Projection("A", "B", syn, weight=0.02, delay=1.3)],
                       t_stop=100.0, dt=DT, method="rk4", monitors=mon)
    src = SpikeSource("A", times_ms=np.asarray(times).tolist())
    return Network(populations=[b], sources=[src], projections=[Projection("A", "B", syn, weight=0.02, delay=1.3)],
                   t_stop=100.0, dt=DT, method="rk4", monitors=mon)


def test_a_suppressed_spike_sends_no_event():
    free = simulate_network(_pair(0.0))
    dead = simulate_network(_pair(10.0))
    emitted = dead.trains("A")[0]
    assert 0 < emitted.size < free.trains("A")[0].size
    # B sees exactly the events of the emitted spikes: as if a source fired at those times
    replay = simulate_network(_pair(0.0, times=emitted))
    np.testing.assert_allclose(dead.v["B"], replay.v["B"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(dead.i_syn["B"], replay.i_syn["B"], rtol=0, atol=1e-12)
    # and not those of every crossing
    assert np.max(np.abs(dead.v["B"] - free.v["B"])) > 1.0


def test_toml_round_trip(tmp_path):
    net = _pair(2.5)
    text = toml_io.dumps(net)
    assert "refractory = 2.5" in text
    back = toml_io.loads(text)
    assert back.population("A").refractory == 2.5 and back.population("B").refractory == 0.0
    assert back.populations == net.populations
    assert "refractory" not in toml_io.dumps(_pair(0.0))  # the default is left out
    p = tmp_path / "net.toml"
    p.write_text(text)
    a, b = simulate_network(net), simulate_network(toml_io.load(p))
    np.testing.assert_array_equal(a.trains("A")[0], b.trains("A")[0])


def test_with_refractory_sets_one_or_every_population():
    net = presets.cobahh(n=20, refractory=0.0)
    both = net.with_refractory(3.0)
    assert [p.refractory for p in both.populations] == [3.0, 3.0]
    one = net.with_refractory(1.0, "I")
    assert [p.refractory for p in one.populations] == [0.0, 1.0]
    with pytest.raises(ParameterError, match="unknown population 'X'"):
        net.with_refractory(1.0, "X")


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "3 ms", True])
def test_bad_refractory_refused(bad):
    with pytest.raises(ParameterError, match="refractory"):
        Population("A", "hh", refractory=bad)


def test_cli_refuses_negative_refractory_in_one_line(capsys, tmp_path):
    p = tmp_path / "net.toml"
    p.write_text(textwrap.dedent("""\
        t_stop = 10
        [populations.A]
        model = "hh"
        refractory = -2.0
        """))
    _, line = cli_error(capsys, "network", str(p))
    assert "refractory" in line and "-2" in line and ">= 0 ms" in line
    _, line = cli_error(capsys, "network", "--preset", "chain", "--refractory", "-1")
    assert "refractory" in line and ">= 0 ms" in line
    _, line = cli_error(capsys, "network", "--preset", "chain", "--refractory", "chain=soon")
    assert "--refractory" in line
    for spec in ("=1", " =1"):  # an empty population name (found by the hidden-variant pass)
        _, line = cli_error(capsys, "network", "--preset", "chain", "--t-stop", "5", "--refractory", spec)
        assert "--refractory" in line and "population" in line


def test_cli_refractory_option(capsys):
    from helpers.cli import run_cli

    code, out, err = run_cli(capsys, "network", "--preset", "chain", "--refractory", "chain=4", "--describe")
    assert code == 0, err
    assert toml_io.loads(out).population("chain").refractory == 4.0


def test_cable_cells_keep_the_dead_time_too():
    """A cable cell's spikes are found outside the compiled loop: the same rule holds."""
    from hhsim.cable import cable, point
    from hhsim.network import CableCell

    drive = point(stim.step(1.0, start=2.0), at=0.0)  # nA at the start of a 500 µm axon

    def run(refractory):
        cell = CableCell(cable(500.0, 2.0), "hh", stimuli=[drive], detect_at=("cable", 0.5), method="cn")
        net = Network(populations=[Population("axon", cell, refractory=refractory)], t_stop=60.0, dt=0.02)
        return simulate_network(net)

    free, dead = run(0.0), run(12.0)
    t0, t1 = free.trains("axon")[0], dead.trains("axon")[0]
    assert t0.size >= 4 and np.diff(t0).max() < 12.0
    np.testing.assert_array_equal(dead.cable_v["axon"], free.cable_v["axon"])
    np.testing.assert_array_equal(t1, _greedy(t0, 12.0))
    assert 0 < t1.size < t0.size


@pytest.mark.parametrize("slow", [False, True], ids=["fast-path", "slow-path"])
def test_a_crossing_in_the_dead_time_fires_at_its_end_if_still_above(slow):
    """Brian2 tests ``v > threshold`` at every step once a neuron is no longer
    refractory: a crossing inside the dead time, with V still above threshold when the
    dead time ends, is a spike at that end.  The dead time is set to end halfway
    through the second action potential's time above threshold."""
    free = simulate_network(_driven(0.0, slow))
    c = free.trains("A")[0]
    thr = hhsim_model_threshold()
    t, v = free.t, free.v["A"][:, 0]
    after = (t > c[1]) & (v < thr)
    down = t[np.argmax(after)]  # first sample below threshold after the second crossing
    refractory = (c[1] - c[0]) + 0.5 * (down - c[1])
    dead = simulate_network(_driven(refractory, slow))
    np.testing.assert_array_equal(dead.v["A"], free.v["A"])  # only events differ
    s = dead.trains("A")[0]
    assert s[0] == c[0]
    assert s[1] == pytest.approx(c[0] + refractory, abs=1e-12)  # held, released at the dead time's end
    assert np.interp(s[1], t, v) > thr  # V is above threshold there
    assert np.all(np.diff(s) >= refractory - 1e-9)
    for k in range(1, s.size):  # each spike a crossing, or the end of a dead time
        assert np.min(np.abs(c - s[k])) < 1e-12 or s[k] == pytest.approx(s[k - 1] + refractory, abs=1e-9)
    for ck in c:  # a crossing left out lies inside a dead time
        before = s[s <= ck]
        assert np.min(np.abs(s - ck)) < 1e-12 or ck - before[-1] < refractory


def hhsim_model_threshold() -> float:
    from hhsim import models

    return models.get("hh").spike_threshold


def test_cable_cells_release_a_held_crossing_at_the_dead_times_end():
    """As for point neurons: a cable cell's crossing inside the dead time fires at its end
    when the detection node is still above threshold there (V located linearly in the
    step, as the cable's crossings are)."""
    from hhsim.cable import cable, point
    from hhsim.network import CableCell

    drive = point(stim.step(1.0, start=2.0), at=0.0)

    def run(refractory):
        cell = CableCell(cable(500.0, 2.0), "hh", stimuli=[drive], detect_at=("cable", 0.5), method="cn")
        return simulate_network(Network(populations=[Population("axon", cell, refractory=refractory)],
                                        t_stop=40.0, dt=0.02))

    free = run(0.0)
    c = free.trains("axon")[0]
    t, v = free.cable_t, free.cable_v["axon"][:, 0]
    thr = CableCell(cable(500.0, 2.0), "hh").threshold
    down = t[np.argmax((t > c[1]) & (v < thr))]
    refractory = (c[1] - c[0]) + 0.5 * (down - c[1])
    dead = run(refractory)
    np.testing.assert_array_equal(dead.cable_v["axon"], free.cable_v["axon"])
    s = dead.trains("axon")[0]
    assert s[0] == c[0] and s[1] == pytest.approx(c[0] + refractory, abs=1e-12)
