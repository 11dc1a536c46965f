"""Channel noise in network populations (issue 22, item 2): each cell its own noisy
channels, stepped by the kernel of single cells and batches inside the network's loop.

* unconnected noisy ``hh`` cells at rest fire spontaneously at the rate of the batch
  path's noisy cells of the same area (two independent samples: the difference of
  the mean counts within four standard errors computed from the counts);
* the deterministic network is recovered as the area grows (spike times of driven
  cells converge to the noise-free network's, about as 1/sqrt(channels));
* one thread and two give the same bits (random numbers keyed by seed, cell, step), with
  two blocks of noisy cells (markov and langevin) and deterministic cells beside them;
* what is not supported is refused in one line (exit status 2 from the command line).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import hhsim
from hhsim.errors import HHSimError, ParameterError
from hhsim.network import Monitors, Network, Population, Projection, simulate_network, synapses, toml_io
from hhsim.network import simulate as netsim
from hhsim.noise import ChannelNoise, simulate_noisy_batch
from helpers.cli import cli_error, run_cli

DT = 0.01  # ms: the noisy single-cell default, as the other noise tests


def _rest(n: int, method: str, area: float, t_stop: float, seed: int) -> Network:
    pop = Population("A", "hh", n=n, noise=method, area_um2=area)
    return Network(populations=[pop], t_stop=t_stop, dt=DT, method="expeuler", seed=seed,
                   monitors=Monitors(spikes="all", states={"A": [0, 1]}, every_ms=1.0))


def test_unconnected_noisy_cells_fire_at_the_batch_rate():
    n, area, t_stop = 64, 30.0, 200.0
    net = simulate_network(_rest(n, "markov", area, t_stop, seed=7))
    idx, _ = net.spikes["A"]
    a = np.bincount(idx, minlength=n).astype(float)
    batch = simulate_noisy_batch("hh", ChannelNoise("markov", area_um2=area, seed=3), n=n, t_stop=t_stop, dt=DT)
    b = batch.n_spikes.astype(float)
    assert a.sum() > 100 and b.sum() > 100, "both fire spontaneously at 30 um2"
    se = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    assert abs(a.mean() - b.mean()) < 4.0 * se, (a.mean(), b.mean(), se)
    # the recorded synaptic current is the synapses' alone: none here (the channels' is not in it)
    assert net.i_syn["A"].shape == (201, 2) and not net.i_syn["A"].any()
    # the recorded noisy gates are the counts' mean fractions of open subunits: m of 3 subunits
    # in each of 1800 Na channels, n of 4 in each of 540 K channels (whole numbers of subunits)
    st = net.states["A"]
    for gate, subunits in (("m", 3 * 1800), ("h", 1800), ("n", 4 * 540)):
        x = st[gate][1:] * subunits
        assert np.abs(x - np.round(x)).max() < 1e-6 and np.ptp(x) > 0, gate
    # the channel counts of the summary: the squid densities times the area
    d = net.summary()["populations"]["A"]["channel_noise"]
    assert d["method"] == "markov" and d["channels_per_cell"] == {"Na": 1800, "K": 540}


def _driven(noise: str | None, area: float | None, gap: bool) -> Network:
    kw = {"noise": noise, "area_um2": area} if noise else {}
    pop = Population("A", "hh", n=3, stim=hhsim.stim.step(10.0, start=5.0), stim_scale=[1.0, 1.5, 2.0], **kw)
    # gap junctions: the noisy conductance is then added to the coupling terms step_begin sets
    coupling = [Projection("A", "A", synapses.Gap(), connect={"p": 1.0}, weight=0.02)] if gap else []
    return Network(populations=[pop], projections=coupling, t_stop=40.0, dt=DT, method="expeuler", seed=2)


@pytest.mark.parametrize(("method", "gap"), [("markov", False), ("langevin", False), ("langevin", True)])
def test_the_deterministic_network_is_recovered_as_the_area_grows(method, gap):
    idx0, t0 = simulate_network(_driven(None, None, gap)).spikes["A"]
    assert t0.size >= 9
    err = {}
    for area in (1e4, 1e6):
        idx, t = simulate_network(_driven(method, area, gap)).spikes["A"]
        np.testing.assert_array_equal(idx, idx0)
        err[area] = float(np.abs(t - t0).max())
    # the noise falls as 1/sqrt(channels): 10x from 1e4 to 1e6 um2 (asked: at least 2x)
    assert err[1e6] < 0.1, err
    assert err[1e6] < 0.5 * err[1e4], err


@pytest.fixture
def threads_used(monkeypatch):
    """Let a small network split over two threads and note how many each call ran on."""
    monkeypatch.setattr(netsim, "MIN_NODES_PER_THREAD", 64)
    monkeypatch.setattr(netsim, "MIN_STEPS_PER_THREADED_CALL", 10)
    used = []
    call = netsim._Runner._call

    def spy(self, n0, n1):
        used.append(self.threads if n1 - n0 >= netsim.MIN_STEPS_PER_THREADED_CALL else 1)
        return call(self, n0, n1)

    monkeypatch.setattr(netsim._Runner, "_call", spy)
    return used


def _ei(method: str) -> Network:
    # two blocks of noisy cells (one per method); the deterministic cells of W beside them
    other = "langevin" if method == "markov" else "markov"
    e = Population("E", "hh", n=150, noise=method, area_um2=40.0)
    i = Population("I", "hh", n=40, noise=other, area_um2=60.0)
    w = Population("W", "hh", n=10, stim=hhsim.stim.step(8.0))
    exc, inh = synapses.Exp(tau=2.0, E=0.0), synapses.Exp(tau=5.0, E=-80.0)
    return Network(populations=[e, i, w],
                   projections=[Projection("E", "I", exc, connect={"p": 0.2}, weight=0.05, delay=1.0),
                                Projection("I", "E", inh, connect={"p": 0.3}, weight=0.1, delay=0.5),
                                Projection("E", "E", exc, connect={"p": 0.05}, weight=0.05, delay=0.7, name="ee"),
                                Projection("W", "E", exc, connect={"p": 0.5}, weight=0.05, delay=0.3, name="we")],
                   t_stop=30.0, dt=DT, method="expeuler", seed=11,
                   monitors=Monitors(spikes="all", states={"E": [0, 100, 149], "I": [3], "W": [0]}, every_ms=0.5))


@pytest.mark.parametrize("method", ["markov", "langevin"])
def test_two_threads_give_the_bits_of_one(threads_used, monkeypatch, method):
    runs = {}
    for n in (1, 2):
        monkeypatch.setenv("HHSIM_THREADS", str(n))
        threads_used.clear()
        runs[n] = simulate_network(_ei(method))
        assert max(threads_used) == n
    one, two = runs[1], runs[2]
    assert one.n_spikes("E") > 0 and one.n_spikes("I") > 0 and one.n_spikes("W") > 0
    for pop in ("E", "I", "W"):
        for k in (0, 1):
            np.testing.assert_array_equal(one.spikes[pop][k], two.spikes[pop][k])
        np.testing.assert_array_equal(one.v[pop], two.v[pop])


def test_a_network_file_gives_and_writes_the_noise(tmp_path, capsys):
    path = tmp_path / "noisy.toml"
    path.write_text('name = "noisy"\nt_stop = 20.0\ndt = 0.01\nmethod = "expeuler"\nseed = 4\n'
                    '[populations.A]\nmodel = "hh"\nn = 4\narea_um2 = 20.0\nnoise = "langevin"\n'
                    'density = { Na = 60, K = 18 }\n')
    net = toml_io.load(path)
    pop = net.populations[0]
    assert pop.noise == ChannelNoise("langevin", area_um2=20.0, density={"Na": 60, "K": 18})
    assert toml_io.loads(toml_io.dumps(net)).populations[0].noise == pop.noise
    code, out, err = run_cli(capsys, "network", str(path), "--json")
    assert code == 0, err
    assert '"channel_noise": {"method": "langevin"' in out
    # the same noise from the command line's options on a file without it
    plain = tmp_path / "plain.toml"
    plain.write_text('name = "noisy"\nt_stop = 20.0\ndt = 0.01\nmethod = "expeuler"\nseed = 4\n'
                     '[populations.A]\nmodel = "hh"\nn = 4\n')
    code, out2, err = run_cli(capsys, "network", str(plain), "--json", "--noise", "A=langevin", "--area", "20")
    assert code == 0, err
    a, b = json.loads(out)["populations"]["A"], json.loads(out2)["populations"]["A"]
    assert a["n_spikes"] > 0 and (a["n_spikes"], a["cv_isi"]) == (b["n_spikes"], b["cv_isi"])
    assert a["channel_noise"]["channels_per_cell"] == b["channel_noise"]["channels_per_cell"] == {"Na": 1200, "K": 360}


def _refused(match: str, make):
    with pytest.raises(HHSimError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


def test_refusals():
    from hhsim.cable import cable
    from hhsim.network import CableCell

    _refused(r"noise 'gillespie' runs one patch", lambda: Population("A", "hh", noise="gillespie", area_um2=5))
    _refused(r"takes the network's seed", lambda: Population("A", "hh", noise=ChannelNoise("markov", 5.0, seed=3)))
    _refused(r"density given without noise", lambda: Population("A", "hh", area_um2=5, density={"Na": 60}))
    _refused(r"density of Na = -5 .*negative", lambda: Population("A", "hh", noise="markov", area_um2=5,
                                                                   density={"Na": -5}))
    _refused(r"needs the membrane area", lambda: Population("A", "hh", noise="markov"))
    _refused(r"differs from the population's area_um2",
             lambda: Population("A", "hh", noise=ChannelNoise("markov", 5.0), area_um2=6.0))
    _refused(r"cable cells takes no channel noise",
             lambda: Population("C", CableCell(cable(200.0, 1.0)), noise="markov"))
    three = Network(populations=[Population("A", "hh", noise="markov", area_um2=5),
                                 Population("B", "hh", noise="langevin", area_um2=5),
                                 Population("C", "hh", noise="markov", area_um2=5, density={"Na": 60})], t_stop=1.0)
    _refused(r"3 groups of noisy populations .* at most 2 per network", lambda: simulate_network(three))
    one = Network(populations=[Population("A", "hh", noise="markov", area_um2=5)], t_stop=1.0)
    with pytest.raises(ParameterError, match=r"dopri5") as info:  # the adaptive method: fixed steps only
        simulate_network(one, method="dopri5")
    assert "noise" in str(info.value) and "\n" not in str(info.value)


def test_the_command_line_refuses_in_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('t_stop = 5.0\n[populations.A]\nmodel = "hh"\nn = 2\narea_um2 = 20.0\nnoise = "gillespie"\n')
    _, line = cli_error(capsys, "network", str(path))
    assert "gillespie" in line and "accepted: markov, langevin or none" in line
    path.write_text('t_stop = 5.0\n[populations.A]\nmodel = "hh"\nn = 2\n')
    _, line = cli_error(capsys, "network", str(path), "--noise", "X=markov")
    assert line.endswith("unknown population 'X'; accepted: A")
    _, line = cli_error(capsys, "network", str(path), "--noise", "markov")  # no area
    assert "needs the membrane area" in line
    _, line = cli_error(capsys, "network", str(path), "--area", "A=big")
    assert "expected UM2 or POP=UM2" in line
