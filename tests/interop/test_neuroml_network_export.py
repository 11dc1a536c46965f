"""Networks with random parts to NeuroML and back: random connection rules and weight and
delay distributions are written as the connections, weights and delays the network draws
with its seed (NeuroML holds explicit connections); sources of spike times as spikeArray
cells; constant-rate Poisson sources as spikeGeneratorPoisson cells, read back at their
place with the network's seed so that hhsim draws the same trains.  Read back, the network
gives the same spike times (to rounding: weights pass through nS).  What NeuroML cannot
hold is refused in one line and nothing is written.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("neuroml")
pytest.importorskip("lxml")

import hhsim  # noqa: E402
from hhsim.errors import ModelError  # noqa: E402
from hhsim.interop import neuroml as nml  # noqa: E402
from hhsim.network import Network, Noise, PoissonInput, Population, Projection, SpikeSource  # noqa: E402
from hhsim.network import simulate_network, synapses as syn  # noqa: E402

AMPA = syn.Exp(tau=2.0, E=0.0)
GABA = syn.Exp(tau=5.0, E=-80.0)


def random_network(**changes) -> Network:
    hh = hhsim.models.get("hh")
    kw = dict(
        populations=(Population("E", hh, n=20, area_um2=1000.0), Population("I", hh, n=5, area_um2=1000.0)),
        sources=(SpikeSource("drive", n=20, rate_hz=80.0),
                 SpikeSource("times", n=3, times_ms=[[5.0, 12.5], [7.0], [9.0, 30.0]]),
                 SpikeSource("bg", n=6, rate_hz=40.0),
                 SpikeSource("burst", n=4, times_ms=[[20.0, 21.0]] * 4)),
        projections=(
            Projection("drive", "E", AMPA, connect="one_to_one", weight="3 nS"),
            Projection("bg", "I", AMPA, connect={"p": 0.5}, weight="2 nS", delay=0.7),
            Projection("times", "E", AMPA, connect={"p": 0.5}, weight="4 nS", delay=1.0),
            Projection("burst", "I", AMPA, connect="all", weight="5 nS", delay=0.5),
            Projection("E", "I", AMPA, connect={"p": 0.3}, weight={"dist": "normal", "mean": 0.05, "std": 0.01},
                       delay={"dist": "uniform", "low": 1.0, "high": 3.0}),
            Projection("I", "E", GABA, connect={"indegree": 2}, weight=0.08, delay=1.5, name="inh"),
        ),
        t_stop=60.0, seed=7, dt=0.02, method="rk4", name="rnd")
    kw.update(changes)
    return Network(**kw)


@pytest.mark.xdist_group("neuroml_network_rk4")
def test_random_network_round_trips_with_the_same_spikes(tmp_path, capsys):
    nml_utils = pytest.importorskip("neuroml.utils")
    net = random_network()
    ours = simulate_network(net, progress=False)
    path = nml.write_neuroml(net, tmp_path / "rnd.nml")
    nml_utils.validate_neuroml2(str(path))
    assert "valid" in capsys.readouterr().out
    text = path.read_text()
    assert "spikeGeneratorPoisson" in text and "spikeArray" in text

    back = nml.load_network(path)
    assert (back.seed, back.t_stop, back.dt, back.method) == (7, 60.0, 0.02, "rk4")
    # the Poisson sources keep their places (0 and 2): their trains come from the same streams
    assert [s.name for s in back.sources] == ["drive", "times_0", "bg", "times_1", "times_2", "burst"]
    assert back.sources[0].rate_hz == 80.0 and back.sources[2].rate_hz == 40.0
    assert back.sources[1].times_ms == [5.0, 12.5]
    e_to_i = next(p for p in back.projections if (p.pre, p.post) == ("E", "I"))
    w = np.asarray(e_to_i.weight, dtype=float)  # drawn: one density per synapse
    assert w.size > 10 and np.unique(w).size == w.size and 0.0 < w.min() and w.max() < 0.1
    d = np.asarray(e_to_i.delay, dtype=float)
    assert d.size == w.size and 1.0 <= d.min() and d.max() <= 3.0

    again = simulate_network(back, progress=False)
    for name in ("drive", "bg"):
        np.testing.assert_array_equal(again.source_spikes[name][1], ours.source_spikes[name][1])
    for pop in ("E", "I"):
        a, b = ours.trains(pop), again.trains(pop)
        assert sum(len(x) for x in a) > 0
        assert [len(x) for x in a] == [len(x) for x in b]
        for x, y in zip(a, b):
            np.testing.assert_allclose(y, x, rtol=0, atol=1e-9)


SPIKE_ARRAY = """<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="sa">
<ionChannelHH id="pas" conductance="10pS"/>
<expOneSynapse id="ampa" gbase="2nS" erev="0mV" tauDecay="2ms"/>
<cell id="c"><morphology id="m"><segment id="0"><proximal x="0" y="0" z="0" diameter="10"/>
<distal x="0" y="0" z="0" diameter="10"/></segment></morphology><biophysicalProperties id="b"><membraneProperties>
<channelDensity id="L" ionChannel="pas" condDensity="0.3mS_per_cm2" erev="-54.4mV" ion="non_specific"/>
<spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-65mV"/>
</membraneProperties></biophysicalProperties></cell>
<spikeArray id="train"><spike id="0" time="3ms"/><spike id="1" time="1.5ms"/><spike id="2" time="0.01s"/></spikeArray>
<network id="net">
  <population id="src" component="train" size="2"/>
  <population id="pop" component="c" size="1"/>
  <projection id="p" presynapticPopulation="src" postsynapticPopulation="pop" synapse="ampa">
    <connection id="0" preCellId="../src/1/train" postCellId="../pop/0/c"/>
  </projection>
</network>
</neuroml>
"""


def test_a_spike_array_population_is_a_source_of_its_times(tmp_path):
    """A file hhsim did not write: the spikeArray's times (in any time unit, any order) on
    every cell of its population; the projection from it; the cell's EPSPs at those times."""
    path = tmp_path / "sa.nml"
    path.write_text(SPIKE_ARRAY)
    net = nml.load_network(path, t_stop=20.0)
    (src,) = net.sources
    assert (src.name, src.n) == ("src", 2) and src.times_ms == [[1.5, 3.0, 10.0]] * 2
    (pr,) = net.projections
    assert pr.pre == "src" and pr.connect == {"pre": [1], "post": [0]}
    net = net.replace(monitors=hhsim.network.Monitors(states={"pop": [0]}, every_ms=0.025))
    res = simulate_network(net, progress=False)
    idx, times = res.source_spikes["src"]
    np.testing.assert_array_equal(np.sort(times[idx == 1]), [1.5, 3.0, 10.0])
    i_syn = res.i_syn["pop"][:, 0]
    assert np.all(i_syn[res.t < 1.5] == 0.0) and i_syn[np.searchsorted(res.t, 2.0)] < 0.0  # inward from 1.5 ms


@pytest.mark.parametrize("change, expect", [
    ({"sources": (SpikeSource("drive", n=20, rate_hz=hhsim.stim.step(50.0, start=10.0, dur=20.0)
                              + hhsim.stim.step(20.0, start=40.0, dur=10.0)),),
      "projections": (Projection("drive", "E", AMPA, connect="one_to_one", weight="3 nS"),)},
     "a time-varying Poisson rate has no NeuroML form"),
    ({"sources": (), "projections": (), "inputs": (PoissonInput("E", 10, 5.0, "1 nA", syn.ExpCurrent(tau=2.0)),)},
     "synapse kind 'exp_current' has no NeuroML form hhsim writes"),
    ({"sources": (), "projections": (), "noise": (Noise("E", std=1.0),)}, "noise (an Ornstein-Uhlenbeck current)"),
])
def test_what_neuroml_cannot_hold_is_refused_in_one_line(change, expect, tmp_path):
    net = random_network(**change)
    with pytest.raises(ModelError) as exc:
        nml.write_neuroml(net, tmp_path / "x.nml")
    assert expect in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "x.nml").exists()


TRANSIENT = SPIKE_ARRAY.replace(
    '</spikeArray>\n', '</spikeArray>\n<transientPoissonFiringSynapse id="burst" averageRate="200Hz" delay="20ms" '
    'duration="50ms" synapse="ampa" spikeTarget="./ampa"/>\n').replace(
    '<population id="pop" component="c" size="1"/>', '<population id="pop" component="c" size="40"/>').replace(
    '</network>', '<inputList id="bg" population="pop" component="burst">'
    + "".join(f'<input id="{i}" target="../pop/{i}/c" destination="synapses"/>' for i in range(40))
    + '</inputList>\n</network>')


def test_a_transient_poisson_input_fires_only_in_its_window(tmp_path):
    """transientPoissonFiringSynapse: a Poisson source per target whose rate is 200 Hz from
    20 ms for 50 ms and 0 outside; 40 trains give about 400 spikes (sd 20), all in the window."""
    path = tmp_path / "transient.nml"
    path.write_text(TRANSIENT)
    net = nml.load_network(path, t_stop=100.0)
    src = next(s for s in net.sources if s.name == "bg_src")
    assert src.n == 40 and (src.rate_hz.amp, src.rate_hz.start, src.rate_hz.dur) == (200.0, 20.0, 50.0)
    res = simulate_network(net, progress=False)
    _, times = res.source_spikes["bg_src"]
    assert 300 < times.size < 500
    assert times.min() >= 20.0 and times.max() < 70.0
