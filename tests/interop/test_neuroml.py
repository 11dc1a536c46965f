"""NeuroML2 in and out: presets round-trip, the NeuroML content alone defines the same
equations, pyNeuroML's example cell runs as the converged solution of its equations,
networks and custom LEMS rates are read as written, bad files fail in one line."""

from __future__ import annotations

import dataclasses
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

neuroml = pytest.importorskip("neuroml")
nml_utils = pytest.importorskip("neuroml.utils")
pytest.importorskip("lxml")

import hhsim  # noqa: E402
from hhsim import models  # noqa: E402
from hhsim.errors import ModelError  # noqa: E402
from hhsim.interop import neuroml as nml  # noqa: E402
from helpers.cli import cli_error, run_cli  # noqa: E402

V = np.linspace(-100.0, 50.0, 301) + 0.0123  # off the grid points of removable singularities


def example(name: str, tmp_path: Path) -> Path:
    """A NeuroML2 example file shipped inside the installed pyNeuroML package (in its
    jNeuroML jar), copied to ``tmp_path``."""
    pyneuroml = pytest.importorskip("pyneuroml")
    jars = sorted((Path(pyneuroml.__file__).parent / "lib").glob("jNeuroML-*.jar"))
    if not jars:
        pytest.skip("pyNeuroML ships no jNeuroML jar here")
    with zipfile.ZipFile(jars[-1]) as z:
        data = z.read(f"examples/{name}")
    path = tmp_path / name
    path.write_bytes(data)
    return path


def strip_hhsim_properties(src: Path, dst: Path) -> None:
    """Copy a NeuroML file without hhsim's own properties: only NeuroML's content left."""
    from lxml import etree

    tree = etree.parse(str(src))
    for el in list(tree.iter("{*}property")):
        if el.get("tag", "").startswith("hhsim:"):
            el.getparent().remove(el)
    tree.write(str(dst))


# ------------------------------------------------------------------ presets
@pytest.mark.parametrize("name", models.names())
def test_every_preset_round_trips_identically(name, tmp_path, capsys):
    model = models.get(name)
    path = nml.write_neuroml(model, tmp_path / f"{name}.nml")
    nml_utils.validate_neuroml2(str(path))  # libNeuroML's own check (our writer also checked the schema)
    assert "valid" in capsys.readouterr().out
    assert nml.load_model(path) == model


@pytest.mark.parametrize("name", ["hh", "traub_miles"])  # kernels other tests compile too
def test_round_trip_gives_identical_spike_times(name, tmp_path):
    model = models.get(name)
    back = nml.load_model(nml.write_neuroml(model, tmp_path / "m.nml"))
    stim = hhsim.stim.step(10.0, start=5.0, dur=30.0)
    a = hhsim.simulate(model, stim, t_stop=60.0)
    b = hhsim.simulate(back, stim, t_stop=60.0)
    assert a.n_spikes > 0
    np.testing.assert_array_equal(a.spike_times, b.spike_times)


@pytest.mark.parametrize("name", models.names())
def test_neuroml_content_alone_gives_the_same_equations(name, tmp_path):
    """Without hhsim's properties a NeuroML tool sees the same currents and kinetics."""
    model = models.get(name)
    full = nml.write_neuroml(model, tmp_path / "full.nml")
    plain = tmp_path / "plain.nml"
    strip_hhsim_properties(full, plain)
    other = nml.load_model(plain)
    assert other.temperature == model.temperature and other.Cm == model.Cm
    np.testing.assert_allclose(other.steady_state_current(V), model.steady_state_current(V), rtol=1e-11, atol=1e-12)
    for ch in model.channels:
        och = next(c for c in other.channels if c.name == ch.name)
        assert och.phi(model.temperature) == pytest.approx(ch.phi(model.temperature), rel=1e-14)
        for g in ch.gates:
            og = next(x for x in och.gates if x.name == g.name)
            assert og.instantaneous == g.instantaneous
            np.testing.assert_allclose(og.steady_state(V, och.env), g.steady_state(V, ch.env), rtol=1e-11, atol=1e-14)
            np.testing.assert_allclose(og.time_constant(V, 1.0, och.env), g.time_constant(V, 1.0, ch.env), rtol=1e-11)


# ------------------------------------------------------------------ the pyNeuroML example
def _converged_example_spikes() -> list[float]:
    """The equations of NML2_SingleCompHHCell.nml (as its LEMS_NML2_Ex5_DetCell runs them),
    written out here and integrated by DOP853 at tight tolerances with event location."""
    from scipy.integrate import solve_ivp

    area_cm2 = math.pi * 17.841242 ** 2 * 1e-8  # the soma sphere, 1000 um2
    amp = 0.08e-3 / area_cm2  # 0.08 nA in uA/cm2

    def exp_linear(rate, x):  # NeuroML's HHExpLinearRate: rate x / (1 - exp(-x))
        return rate if x == 0 else rate * x / -math.expm1(-x)

    def rates(v):
        return (exp_linear(1.0, (v + 40) / 10), 4 * math.exp((v + 65) / -18),
                0.07 * math.exp((v + 65) / -20), 1 / (1 + math.exp(-(v + 35) / 10)),
                exp_linear(0.1, (v + 55) / 10), 0.125 * math.exp((v + 65) / -80))

    def rhs(t, y, i):
        v, m, h, n = y
        am, bm, ah, bh, an, bn = rates(v)
        ion = 120 * m ** 3 * h * (v - 50) + 36 * n ** 4 * (v + 77) + 0.3 * (v + 54.3)
        return [i - ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]

    am, bm, ah, bh, an, bn = rates(-65.0)
    y = [-65.0, am / (am + bm), ah / (ah + bh), an / (an + bn)]

    def crossing(t, y, i):  # spikeThresh -20 mV
        return y[0] + 20.0

    crossing.direction = 1
    spikes = []
    for a, b, i in ((0.0, 100.0, 0.0), (100.0, 200.0, amp), (200.0, 300.0, 0.0)):
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-12, args=(i,), events=crossing)
        spikes += list(sol.t_events[0])
        y = sol.y[:, -1]
    return spikes


def test_example_network_runs_as_the_converged_solution(tmp_path, capsys):
    from helpers.cli import run_cli

    path = example("NML2_SingleCompHHCell.nml", tmp_path)
    out = tmp_path / "spikes.csv"
    code, stdout, err = run_cli(capsys, "network", str(path), "--t-stop", "300", "--out", str(out))
    assert code == 0, err
    import pandas as pd

    got = pd.read_csv(out)["t_ms"].to_numpy()
    want = np.array(_converged_example_spikes())
    assert len(want) == 7
    np.testing.assert_allclose(got, want, atol=0.01, rtol=0)


def test_example_cell_reads_as_written(tmp_path):
    path = example("NML2_SingleCompHHCell.nml", tmp_path)
    c = nml.read(path)
    model = c.models["hhcell"]
    assert c.areas_um2["hhcell"] == pytest.approx(math.pi * 17.841242 ** 2, rel=1e-15)
    assert [ch.name for ch in model.channels] == ["leak", "naChans", "kChans"]
    assert model.channel("leak").gbar == pytest.approx(0.3, rel=1e-15)  # 3.0 S_per_m2
    assert model.channel("naChans").E == 50.0 and model.spike_threshold == -20.0 and model.v_init == -65.0
    m = model.channel("naChans").gates[0]
    # HHExpLinearRate rate 1/ms, midpoint -40 mV, scale 10 mV: alpha_m of Hodgkin-Huxley
    v = np.array([-70.0, -40.0, 0.0])
    np.testing.assert_allclose(m.alpha(v), [0.1 * 30 / (math.exp(3) - 1), 1.0, 0.1 * 40 / (1 - math.exp(-4))],
                               rtol=1e-14)
    stim = nml.load_stimulus(path)
    assert stim.start == 100.0 and stim.dur == 100.0
    assert stim.amp == pytest.approx(0.08e-3 / (math.pi * 17.841242 ** 2 * 1e-8), rel=1e-14)


# ------------------------------------------------------------------ networks
def test_network_round_trip(tmp_path):
    from hhsim.network import Network, Population, Projection, connect, synapses
    from hhsim.network.distributions import parse_quantity, to_density

    hh = models.get("hh")
    net = Network(
        populations=[Population("A", hh, n=2, stim=[hhsim.stim.pulse(8.0, 5.0, 20.0), None], area_um2=1500.0),
                     Population("B", hh, n=2, area_um2=800.0)],
        projections=[Projection("A", "B", synapses.BiExp(tau_rise=0.5, tau_decay=4.0, E=0.0),
                                connect={"pre": [0, 0], "post": [0, 1]}, weight="4 nS", delay=[1.5, 2.5]),
                     Projection("A", "B", synapses.Gap(), connect="one_to_one", weight="2 nS")],
        t_stop=60.0, name="pair")
    path = nml.write_neuroml(net, tmp_path / "pair.nml")
    back = nml.load_network(path, t_stop=60.0)
    assert [p.area_um2 for p in back.populations] == pytest.approx([1500.0, 800.0], rel=1e-14)
    assert back.projections[0].synapse == net.projections[0].synapse
    # the same description (weights compared as densities on the target, as the engine uses them)
    for pa, pb in zip(net.populations, back.populations):
        assert (pa.name, pa.n, pa.model) == (pb.name, pb.n, pb.model)
    stim = back.populations[0].stim
    assert stim[1] is None and (stim[0].start, stim[0].dur) == (5.0, 20.0)
    assert stim[0].amp == pytest.approx(8.0, rel=1e-14)
    for pa, pb in zip(net.projections, back.projections):
        assert pa.synapse == pb.synapse
        pairs = connect.connect(pb.connect, 2, 2, seed=0)
        want = connect.connect(pa.connect, 2, 2, seed=0)
        np.testing.assert_array_equal(pairs[0], want[0])
        np.testing.assert_array_equal(pairs[1], want[1])
        assert to_density(*parse_quantity(pb.weight), 800.0) == pytest.approx(
            to_density(*parse_quantity(pa.weight), 800.0), rel=1e-14)
        np.testing.assert_array_equal(np.broadcast_to(pb.delay, 2), np.broadcast_to(pa.delay, 2))


NETWORK = """<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="test">
  <ionChannelHH id="pas" conductance="10pS"/>
  <alphaSynapse id="al" gbase="1nS" erev="0mV" tau="2ms"/>
  <expOneSynapse id="e1" gbase="2nS" erev="0mV" tauDecay="5ms"/>
  <expTwoSynapse id="e2" gbase="0.5nS" erev="-80mV" tauRise="1ms" tauDecay="10ms"/>
  <gapJunction id="gj" conductance="3nS"/>
  <cell id="c">
    <morphology id="m">
      <segment id="0" name="soma"><proximal x="0" y="0" z="0" diameter="10"/><distal x="20" y="0" z="0" diameter="10"/></segment>
    </morphology>
    <biophysicalProperties id="b">
      <membraneProperties>
        <channelDensity id="L" ionChannel="pas" condDensity="1 S_per_m2" erev="-70mV" ion="non_specific"/>
        <spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-70mV"/>
      </membraneProperties>
    </biophysicalProperties>
  </cell>
  <pulseGenerator id="pg" delay="10ms" duration="5ms" amplitude="20pA"/>
  <poissonFiringSynapse id="pfs" averageRate="50 Hz" synapse="al" spikeTarget="./al"/>
  <network id="net" type="networkWithTemperature" temperature="30degC">
    <population id="P" component="c" size="3"/>
    <projection id="p1" presynapticPopulation="P" postsynapticPopulation="P" synapse="e1">
      <connection id="0" preCellId="../P/0/c" postCellId="../P/1/c"/>
    </projection>
    <projection id="p2" presynapticPopulation="P" postsynapticPopulation="P" synapse="e2">
      <connectionWD id="0" preCellId="../P/1/c" postCellId="../P/2/c" weight="3" delay="2ms"/>
    </projection>
    <electricalProjection id="g" presynapticPopulation="P" postsynapticPopulation="P">
      <electricalConnectionInstance id="0" preCell="../P/0/c" postCell="../P/2/c" preSegment="0" postSegment="0" synapse="gj"/>
    </electricalProjection>
    <inputList id="stim" population="P" component="pg">
      <input id="0" target="../P/2/c" destination="synapses"/>
    </inputList>
    <inputList id="drive" population="P" component="pfs">
      <input id="0" target="../P/0/c" destination="synapses"/>
    </inputList>
  </network>
</neuroml>
"""


def test_network_elements_read_as_written(tmp_path):
    from hhsim.network import synapses

    path = tmp_path / "net.nml"
    path.write_text(NETWORK)
    net = nml.load_network(path)
    (pop,) = net.populations
    area = math.pi * 10 * 20  # a cylinder 10 um across, 20 um long
    assert pop.n == 3 and pop.area_um2 == pytest.approx(area, rel=1e-15)
    assert pop.model.temperature == 30.0 and pop.model.channel("L").gbar == pytest.approx(0.1)
    assert pop.stim[0] is None and pop.stim[1] is None
    assert pop.stim[2].amp == pytest.approx(0.02e-3 / (area * 1e-8)) and pop.stim[2].start == 10.0
    by_name = {p.name: p for p in net.projections}
    e1, e2, gap = by_name["e1"], by_name["e2"], next(p for p in net.projections if p.synapse.kind == "gap")
    assert e1.synapse == synapses.Exp(tau=5.0, E=0.0) and e1.weight == "2 nS" and e1.delay == 0.0
    assert e2.synapse == synapses.BiExp(tau_rise=1.0, tau_decay=10.0, E=-80.0)
    assert e2.weight == "1.5 nS" and e2.delay == 2.0
    assert e2.connect == {"pre": [1], "post": [2]}
    assert gap.weight == "3 nS" and gap.connect == {"pre": [0], "post": [2]}
    (src,) = net.sources
    assert src.rate_hz == 50.0 and src.n == 1
    drive = by_name["al"]
    assert drive.pre == src.name and drive.synapse == synapses.Alpha(tau=2.0, E=0.0) and drive.weight == "1 nS"


CUSTOM_RATE = """<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="custom">
  <ionChannelHH id="k" species="k" conductance="10pS">
    <gateHHrates id="n" instances="4">
      <q10Settings type="q10Fixed" fixedQ10="2"/>
      <forwardRate type="k_alpha"/>
      <reverseRate type="HHExpRate" rate="0.125per_ms" midpoint="-55mV" scale="-80mV"/>
    </gateHHrates>
  </ionChannelHH>
  <ionChannelHH id="a" species="k" conductance="10pS">
    <gateHHtauInf id="b" instances="1">
      <timeCourse type="k_tau"/>
      <steadyState type="HHSigmoidVariable" rate="1" midpoint="-60mV" scale="-6mV"/>
    </gateHHtauInf>
  </ionChannelHH>
  <cell id="c">
    <morphology id="m">
      <segment id="0"><proximal x="0" y="0" z="0" diameter="10"/><distal x="0" y="0" z="0" diameter="10"/></segment>
    </morphology>
    <biophysicalProperties id="b">
      <membraneProperties>
        <channelDensity id="K" ionChannel="k" condDensity="36mS_per_cm2" erev="-77mV" ion="k"/>
        <channelDensity id="A" ionChannel="a" condDensity="10mS_per_cm2" erev="-77mV" ion="k"/>
        <spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-65mV"/>
      </membraneProperties>
    </biophysicalProperties>
  </cell>
  <ComponentType name="k_alpha" extends="baseVoltageDepRate">
    <Constant name="TIME_SCALE" dimension="time" value="1 ms"/>
    <Constant name="VOLT_SCALE" dimension="voltage" value="1 mV"/>
    <Constant name="HALF" dimension="voltage" value="-0.045 V"/>
    <Dynamics>
      <DerivedVariable name="x" dimension="none" value="(v - HALF) / VOLT_SCALE"/>
      <ConditionalDerivedVariable name="r" dimension="per_time" exposure="r">
        <Case condition="x .neq. 0" value="0.02 * x / (1 - exp(-x / 8)) / TIME_SCALE"/>
        <Case value="0.02 * 8 / TIME_SCALE"/>
      </ConditionalDerivedVariable>
    </Dynamics>
  </ComponentType>
  <ComponentType name="k_tau" extends="baseVoltageDepTime">
    <Constant name="TIME_SCALE" dimension="time" value="1 ms"/>
    <Constant name="VOLT_SCALE" dimension="voltage" value="1 mV"/>
    <Dynamics>
      <DerivedVariable name="V" dimension="none" value="v / VOLT_SCALE"/>
      <DerivedVariable name="t" dimension="time" exposure="t" value="(2 + 10 * ln(1 + exp(-(V + 40)^2 / 200))) * TIME_SCALE"/>
    </Dynamics>
  </ComponentType>
</neuroml>
"""


def test_custom_lems_rates_read_as_written(tmp_path):
    path = tmp_path / "custom.nml"
    path.write_text(CUSTOM_RATE)
    model = nml.load_model(path)
    n = model.channel("K").gates[0]
    v = np.array([-90.0, -45.0, -45.0 + 1e-9, 0.0])
    x = v + 45.0
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(x != 0, 0.02 * x / (1 - np.exp(-x / 8)), 0.16)
    np.testing.assert_allclose(n.alpha(v), 2 * alpha, rtol=1e-9)  # q10Fixed 2 scales the rates
    np.testing.assert_allclose(n.beta(v), 2 * 0.125 * np.exp((v + 55) / -80), rtol=1e-14)
    b = model.channel("A").gates[0]
    np.testing.assert_allclose(b.time_constant(v), 2 + 10 * np.log1p(np.exp(-(v + 40) ** 2 / 200)), rtol=1e-13)
    np.testing.assert_allclose(b.steady_state(v), 1 / (1 + np.exp((v + 60) / 6)), rtol=1e-14)


# ------------------------------------------------------------------ bad files
HEADER = '<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="bad">\n'
GATE_CELL = """<cell id="c"><morphology id="m"><segment id="0"><proximal x="0" y="0" z="0" diameter="10"/>
<distal x="0" y="0" z="0" diameter="10"/></segment></morphology><biophysicalProperties id="b"><membraneProperties>
<channelDensity id="K" ionChannel="k" condDensity="36mS_per_cm2" erev="-77mV" ion="k"/>
<spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-65mV"/>
</membraneProperties></biophysicalProperties></cell>
"""


@pytest.mark.parametrize("text, expect", [
    (HEADER + '<ionChannelHH id="k">\n</neuroml>', ":3: not well-formed XML"),
    (HEADER + '<ionChannelHH id="k" conductance="10 furlongs"/>\n</neuroml>', ":2: not valid NeuroML2"),
    (HEADER + '<blah/>\n</neuroml>', ":2: not valid NeuroML2"),
    ('<Lems>\n<Target component="sim1"/>\n</Lems>', ":1: the root element is <Lems>"),
    (HEADER + '<ionChannelHH id="k" species="k">\n<gateHHrates id="n" instances="4">\n'
     '<forwardRate type="NoSuchRate"/><reverseRate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="1mV"/>'
     '</gateHHrates></ionChannelHH>\n' + GATE_CELL + '</neuroml>', ":2: ionChannel 'k', gateHHrates 'n' forwardRate"),
    (HEADER + '<ionChannelHH id="k" species="k">\n<gateHHrates id="n" instances="4">\n'
     '<forwardRate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="0mV"/>'
     '<reverseRate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="1mV"/>'
     '</gateHHrates></ionChannelHH>\n' + GATE_CELL + '</neuroml>', "scale must not be 0 mV"),
    (HEADER + GATE_CELL + '</neuroml>', "ion channel 'k' is not in the file"),
    ('<!DOCTYPE neuroml [<!ENTITY a "aaaaaaaaaa">]>\n' + HEADER + '<notes>&a;</notes>\n</neuroml>',
     ":1: a DOCTYPE declaration is not accepted"),
])
def test_bad_files_fail_in_one_line(text, expect, tmp_path, capsys):
    from helpers.cli import cli_error

    path = tmp_path / "bad.nml"
    path.write_text(text)
    with pytest.raises(ModelError) as exc:
        nml.load_model(path)
    assert expect in str(exc.value) and "\n" not in str(exc.value)
    _, line = cli_error(capsys, "import-neuroml", str(path))
    assert expect in line and str(path) in line


def test_cli_errors_and_export(tmp_path, capsys):
    from helpers.cli import cli_error, run_cli

    _, line = cli_error(capsys, "import-neuroml", str(tmp_path / "missing.nml"))
    assert "not found" in line
    _, line = cli_error(capsys, "export-neuroml", "--model", "hh", "--out", str(tmp_path / "x.txt"))
    assert ".nml" in line
    out = tmp_path / "tm.nml"
    code, stdout, err = run_cli(capsys, "export-neuroml", "--model", "traub_miles", "--out", str(out))
    assert code == 0, err
    code, stdout, err = run_cli(capsys, "import-neuroml", str(out), "--out", str(tmp_path / "tm.toml"))
    assert code == 0, err
    from hhsim.cells import read_cell

    written = read_cell(tmp_path / "tm.toml")
    assert written.model == models.get("traub_miles") and written.area_um2 == pytest.approx(1000.0, rel=1e-14)


# ------------------------------------------------------------------ cells with morphologies
def test_multicompartment_example_reads_as_a_cable_cell(tmp_path):
    """pyNeuroML's MultiCompCell (with the HH channels of NML2_SingleCompHHCell, which its
    file includes) as an hhsim cable cell: the segments' frusta and resistivity."""
    hh = example("NML2_SingleCompHHCell.nml", tmp_path).read_text()
    mc = example("NML2_MultiCompCellNetwork.nml", tmp_path).read_text()
    channels = hh[hh.index('<ionChannelHH id="passiveChan"'):hh.index('<cell id="hhcell">')]
    cell = mc[mc.index('<cell id="MultiCompCell">'):mc.index("</cell>") + len("</cell>")]
    path = tmp_path / "mc.nml"
    path.write_text('<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="mc">\n'
                    + channels + cell + "\n</neuroml>\n")
    cc = nml.load_cable_cell(path)
    secs = cc.morph.sections
    # the unbranched segment groups are the sections; dendSec2 is Dendrite2a and 2b, in 9 compartments
    assert [s.name for s in secs] == ["soma", "dendSec1", "dendSec2"]
    assert [s.parent for s in secs] == [None, "soma", "dendSec1"] and secs[2].nseg == 9
    assert secs[2].profile == ((0.0, 3.0), (10.0, 2.5), (30.0, 1.5))
    # the file's points: soma 10 um long, dendrites 10, 10 (3 -> 2.5 um) and 20 um (2.5 -> 1.5 um)
    area = sum(s.area(0.0, s.length) for s in secs)
    frustum = lambda d0, d1, h: math.pi * (d0 + d1) / 2 * math.hypot(h, (d0 - d1) / 2)  # noqa: E731
    want = math.pi * 10 * 10 + math.pi * 3 * 10 + frustum(3, 2.5, 10) + frustum(2.5, 1.5, 20)
    assert area == pytest.approx(want, rel=1e-12)
    assert cc.morph.ra == 1e5  # 100 kohm_cm
    (model,) = cc.channels.values()
    assert [c.name for c in model.channels] == ["leak", "naChans", "kChans"] and cc.threshold == -20.0


MORPH = """<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="m">
  <ionChannelHH id="pas" conductance="10pS"/>
  <ionChannelHH id="kdr" species="k" conductance="10pS">
    <gateHHrates id="n" instances="4">
      <forwardRate type="HHExpLinearRate" rate="0.1per_ms" midpoint="-55mV" scale="10mV"/>
      <reverseRate type="HHExpRate" rate="0.125per_ms" midpoint="-65mV" scale="-80mV"/>
    </gateHHrates>
  </ionChannelHH>
  <cell id="c">
    <morphology id="m">
      <segment id="0" name="soma"><proximal x="0" y="0" z="0" diameter="20"/><distal x="0" y="0" z="0" diameter="20"/></segment>
      <segment id="1" name="d1"><parent segment="0"/><proximal x="10" y="0" z="0" diameter="4"/><distal x="110" y="0" z="0" diameter="2"/></segment>
      <segment id="2" name="d2"><parent segment="1"/><distal x="110" y="50" z="0" diameter="2"/></segment>
      <segment id="3" name="d3"><parent segment="0" fractionAlong="0"/><proximal x="-10" y="0" z="0" diameter="3"/><distal x="-60" y="0" z="0" diameter="3"/></segment>
      <segmentGroup id="soma_group"><member segment="0"/></segmentGroup>
      <segmentGroup id="dend"><member segment="1"/><member segment="2"/><member segment="3"/></segmentGroup>
      <segmentGroup id="everything"><include segmentGroup="soma_group"/><include segmentGroup="dend"/></segmentGroup>
    </morphology>
    <biophysicalProperties id="b">
      <membraneProperties>
        <channelDensity id="L" ionChannel="pas" condDensity="0.1mS_per_cm2" erev="-65mV" ion="non_specific"/>
        <channelDensity id="K" ionChannel="kdr" condDensity="36mS_per_cm2" erev="-77mV" ion="k" segmentGroup="soma_group"/>
        <spikeThresh value="-10mV"/>
        <specificCapacitance value="1uF_per_cm2" segmentGroup="soma_group"/>
        <specificCapacitance value="2uF_per_cm2" segmentGroup="dend"/>
        <initMembPotential value="-65mV"/>
      </membraneProperties>
      <intracellularProperties><resistivity value="150 ohm_cm"/></intracellularProperties>
    </biophysicalProperties>
  </cell>
</neuroml>
"""


def test_morphology_regions_and_densities(tmp_path):
    from hhsim.cable import Morphology, Section

    path = tmp_path / "morph.nml"
    path.write_text(MORPH)
    cc = nml.load_cable_cell(path)
    want = Morphology((
        Section("soma", 20.0, 20.0, region="soma_group", ra=150.0),  # the sphere as its cylinder
        Section("d1", 100.0, 4.0, region="dend", parent="soma", profile=((0.0, 4.0), (100.0, 2.0)), ra=150.0),
        Section("d2", 50.0, 2.0, region="dend", parent="d1", ra=150.0),
        Section("d3", 50.0, 3.0, region="dend", parent="soma", parent_end=0, ra=150.0),
    ), ra=150.0, name="c", source=str(path))
    assert cc.morph == want
    soma, dend = cc.channels["soma_group"], cc.channels["dend"]
    assert [c.name for c in soma.channels] == ["L", "K"] and [c.name for c in dend.channels] == ["L"]
    assert (soma.Cm, dend.Cm) == (1.0, 2.0) and soma.channel("K").gbar == 36.0
    assert cc.threshold == -10.0 and cc.synapse_at is None


# ------------------------------------------------------------------ jNeuroML, where Java is present
LEMS = """<Lems>
    <Target component="sim1"/>
    <Include file="Cells.xml"/>
    <Include file="Networks.xml"/>
    <Include file="Simulation.xml"/>
    <Include file="{nml}"/>
    <Simulation id="sim1" length="{length}ms" step="{step}ms" target="{net}">
        <EventOutputFile id="spikes" fileName="{out}" format="TIME_ID">
            <EventSelection id="0" select="{select}" eventPort="spike"/>
        </EventOutputFile>
    </Simulation>
</Lems>
"""


def jneuroml_spikes(tmp_path: Path, nml_name: str, net: str, select: str, length: float) -> dict:
    """Spike times (ms) of ``select`` as jNeuroML (pyNeuroML's jar) runs ``nml_name`` at fixed
    steps of 0.01 and 0.005 ms."""
    import subprocess

    import pyneuroml

    jar = sorted((Path(pyneuroml.__file__).parent / "lib").glob("jNeuroML-*.jar"))[-1]
    runs = {}
    for step in ("0.01", "0.005"):
        lems = tmp_path / f"LEMS_{step}.xml"
        out = f"spikes_{step}.txt"
        lems.write_text(LEMS.format(nml=nml_name, length=length, step=step, net=net, out=out, select=select))
        subprocess.run(["java", "-Xmx1G", "-jar", str(jar), lems.name, "-nogui"], cwd=tmp_path, check=True,
                       capture_output=True, timeout=300)
        runs[step] = np.array([float(line.split()[0]) * 1e3 for line in (tmp_path / out).open()])
    return runs


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="jNeuroML needs Java")
def test_jneuroml_agrees_within_its_step_error(tmp_path):
    """jNeuroML runs the example at fixed steps h and h/2 (first order: its spikes come
    late by about C h); its Richardson extrapolation 2 t(h/2) - t(h) meets hhsim's spikes,
    and at h/2 it differs from hhsim by its own step error t(h) - t(h/2)."""
    path = example("NML2_SingleCompHHCell.nml", tmp_path)
    runs = jneuroml_spikes(tmp_path, path.name, "net1", "hhpop[0]", 300)
    net = nml.load_network(path, t_stop=300.0)
    from hhsim.network import simulate_network

    ours = simulate_network(net, progress=False).trains("hhpop")[0]
    h, h2 = runs["0.01"], runs["0.005"]
    assert len(h) == len(h2) == len(ours) == 7
    assert np.all(h - ours > 0.03) and np.all(h - ours < 1.0)  # published: 0.1 to 0.94 ms late
    step_error = h - h2
    assert np.all(np.abs(h2 - ours) <= 1.2 * step_error + 0.01)  # 0.01: the file's 5 digits in seconds
    np.testing.assert_allclose(2 * h2 - h, ours, atol=0.02)


def test_cable_cells_round_trip(tmp_path):
    from hhsim.cable import Morphology, Section, cable, myelinated_axon
    from hhsim.network import CableCell

    morph = Morphology((
        Section("soma", 20.0, 20.0, region="soma"),
        Section("dend", 200.0, 3.0, region="dend", parent="soma", profile=((0.0, 3.0), (100.0, 2.5), (200.0, 2.0))),
        Section("axon", 500.0, 1.0, region="axon", parent="soma", parent_end=0, ra=50.0, nseg=25)),
        ra=120.0, name="cell")
    channels = {"soma": models.get("traub_miles").with_params(temperature=6.3),
                "dend": models.get("hh").without_channels("Na"), "axon": models.get("hh")}
    for cell in (CableCell(morph, channels, threshold=-10.0), CableCell(myelinated_axon(2.0, 3), "hh"),
                 CableCell(cable(500.0, 2.0), "hh")):  # one section, one segment: still a cable
        path = nml.write_neuroml(cell, tmp_path / "cable.nml")
        back = nml.load_cable_cell(path)
        assert back.morph.sections == cell.morph.sections and back.morph.ra == cell.morph.ra
        assert back.threshold == cell.threshold
        hh = models.get("hh")
        regions = {s.region for s in cell.morph.sections}
        want = channels if isinstance(cell.channels, dict) else {r: hh for r in sorted(regions)}
        assert back.channels == want


def test_included_files_are_read(tmp_path, capsys):
    """A cell in one file, its channels in another that it includes (NeuroML-DB's layout)."""
    from helpers.cli import cli_error

    text = example("NML2_SingleCompHHCell.nml", tmp_path).read_text()
    start, cell = text.index('<ionChannelHH id="passiveChan"'), text.index('<cell id="hhcell">')
    head = '<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="{}">\n'
    (tmp_path / "chans").mkdir()
    (tmp_path / "chans" / "hh.channels.nml").write_text(head.format("chans") + text[start:cell] + "</neuroml>\n")
    main = tmp_path / "cell.nml"
    main.write_text(head.format("cell") + '<include href="chans/hh.channels.nml"/>\n'
                    + text[cell:text.index("</cell>") + len("</cell>")] + "\n</neuroml>\n")
    model = nml.load_model(main)
    assert model == nml.load_model(tmp_path / "NML2_SingleCompHHCell.nml")
    assert [c.name for c in model.channels] == ["leak", "naChans", "kChans"]
    (tmp_path / "chans" / "hh.channels.nml").unlink()
    _, line = cli_error(capsys, "import-neuroml", str(main))
    assert "included file 'chans/hh.channels.nml' not found" in line


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="jNeuroML needs Java")
def test_jneuroml_runs_an_exported_preset(tmp_path):
    """traub_miles written by hhsim (LEMS component types for its rates, Q10 at 36 degC, a
    population list and a pulse) runs in jNeuroML to hhsim's spike times: the Richardson
    extrapolation of its 0.01 and 0.005 ms runs is within 0.05 ms (its spikes at 0.01 ms
    come up to 1.5 ms late; the file holds times to 0.01 ms)."""
    from hhsim.network import Network, Population

    model, pulse = models.get("traub_miles"), hhsim.stim.pulse(2.0, 20.0, 60.0)
    net = Network(populations=[Population("p", model, stim=pulse)], t_stop=100.0, name="tm")
    nml.write_neuroml(net, tmp_path / "tm.nml")
    runs = jneuroml_spikes(tmp_path, "tm.nml", "tm", "p/0/traub_miles_cell", 100)
    ours = hhsim.simulate(model, pulse, t_stop=100.0).spike_times  # the kernel of the round-trip test
    h, h2 = runs["0.01"], runs["0.005"]
    assert len(ours) == 5 and len(h) == len(h2) == len(ours)
    assert np.all(h > ours)
    np.testing.assert_allclose(2 * h2 - h, ours, atol=0.05)


def test_network_with_cable_cells_round_trip(tmp_path):
    from hhsim.cable import Morphology, Section, point
    from hhsim.network import CableCell, Network, Population, Projection, synapses

    morph = Morphology((Section("soma", 20.0, 20.0, region="soma"),
                        Section("dend", 200.0, 3.0, region="dend", parent="soma",
                                profile=((0.0, 3.0), (100.0, 2.5), (200.0, 2.0)))), name="cell")
    channels = {"soma": models.get("hh"), "dend": models.get("hh").without_channels("Na")}
    cell = CableCell(morph, channels, stimuli=(point(hhsim.stim.pulse(0.5, 5.0, 10.0), x=0.25, section="dend"),),
                     synapse_at=("dend", 0.75))
    net = Network(populations=[Population("A", "hh", n=2, stim=hhsim.stim.pulse(10.0, 2.0, 5.0)),
                               Population("C", cell, n=2)],
                  projections=[Projection("A", "C", synapses.Exp(tau=3.0, E=0.0), connect="one_to_one",
                                          weight="2 nS", delay=1.0)], name="mix", t_stop=30.0)
    back = nml.load_network(nml.write_neuroml(net, tmp_path / "mix.nml"))
    c = back.populations[1].model
    assert c.morph.sections == morph.sections and c.channels == channels
    assert c.stimuli == cell.stimuli and c.synapse_at == ("dend", 0.75)
    pr = back.projections[0]
    assert (pr.synapse, pr.weight, pr.delay) == (net.projections[0].synapse, "2 nS", 1.0)
    assert pr.connect == {"pre": [0, 1], "post": [0, 1]}


def test_channels_of_a_neuroml_cell_join_a_model(tmp_path, capsys):
    # hh's Na and K written as a NeuroML cell, added to a passive cell: hh again
    hh = hhsim.models.get("hh")
    na_k = dataclasses.replace(hh, name="na_k", channels=hh.channels[:2])
    channels = nml.write_neuroml(na_k, tmp_path / "na_k.nml")
    leak = tmp_path / "leak.toml"
    hhsim.cells.write_cell(dataclasses.replace(hh, name="leak", channels=hh.channels[2:]), leak)
    step = ["--stim", "step(amp=10, start=5, dur=30)", "--t-stop", "40", "--json"]
    code, added, err = run_cli(capsys, "run", "--model", str(leak), "--channel", str(channels), *step)
    assert code == 0, err
    code, plain, err = run_cli(capsys, "run", *step)
    assert code == 0, err
    a, b = json.loads(added), json.loads(plain)
    assert a["n_spikes"] == b["n_spikes"] > 0
    assert np.allclose(a["spike_times_ms"], b["spike_times_ms"], atol=1e-9)


def test_a_neuroml_file_without_a_cell_gives_no_channels(tmp_path, capsys):
    path = nml.write_neuroml(hhsim.models.get("hh"), tmp_path / "hh.nml")
    text = path.read_text()
    start, end = text.index("<cell "), text.index("</cell>") + len("</cell>")
    alone = tmp_path / "channels_only.nml"
    alone.write_text(text[:start] + text[end:])
    _, line = cli_error(capsys, "run", "--channel", str(alone))
    assert "--channel needs a file with one one-segment <cell>" in line and "no <cell>" in line


def test_poisson_input_onto_cable_cells_round_trips_on_their_synapse_site(tmp_path, capsys):
    from hhsim.cable import Morphology, Section
    from hhsim.network import CableCell, Network, PoissonInput, Population, synapses

    nml_utils = pytest.importorskip("neuroml.utils")
    morph = Morphology((Section("soma", 20.0, 20.0, region="soma"),
                        Section("dend", 200.0, 3.0, region="dend", parent="soma")), name="cell")
    cell = CableCell(morph, "hh", synapse_at=("dend", 0.75))
    feed = PoissonInput("C", 20, 40.0, "2 nS", synapses.Exp(tau=3.0, E=0.0), name="bg")
    net = Network(populations=[Population("C", cell, n=2)], inputs=[feed], name="fed", t_stop=30.0)
    path = nml.write_neuroml(net, tmp_path / "fed.nml")
    nml_utils.validate_neuroml2(str(path))
    assert "valid" in capsys.readouterr().out
    from neuroml.loaders import read_neuroml2_file

    doc = read_neuroml2_file(str(path))
    (il,) = doc.networks[0].input_lists
    sites = {(i.segment_id, float(i.fraction_along)) for i in il.input}
    assert len(il.input) == 2 and len(sites) == 1  # every cell's input on one site
    back = nml.load_network(path)
    assert back.populations[0].model.synapse_at == ("dend", 0.75)
    (pi,) = back.inputs
    assert (pi.target, pi.n_inputs, pi.rate_hz, pi.weight, pi.synapse, pi.name) == (
        "C", 20, 40.0, "2 nS", feed.synapse, "bg")


def test_drawn_poisson_weights_onto_cable_cells_are_refused(tmp_path):
    from hhsim.cable import cable
    from hhsim.network import CableCell, Network, PoissonInput, Population, synapses

    net = Network(populations=[Population("C", CableCell(cable(200.0, 2.0), "hh"), n=2)],
                  inputs=[PoissonInput("C", 5, 10.0, {"dist": "normal", "mean": 2.0, "std": 0.5, "unit": "nS"},
                                       synapses.Exp(tau=3.0, E=0.0))], t_stop=10.0)
    with pytest.raises(ModelError, match="drawn weights onto cable cells"):
        nml.write_neuroml(net, tmp_path / "drawn.nml")
    assert not (tmp_path / "drawn.nml").exists()


def test_channel_noise_of_a_population_is_refused_not_dropped(tmp_path):
    from hhsim.network import Network, Population

    net = Network(populations=[Population("P", "hh", n=2, noise="markov", area_um2=100.0)], t_stop=10.0)
    with pytest.raises(ModelError, match="channel noise") as exc:
        nml.write_neuroml(net, tmp_path / "noisy.nml")
    assert "\n" not in str(exc.value) and not (tmp_path / "noisy.nml").exists()
    quiet = Network(populations=[Population("P", "hh", n=2, noise="none", area_um2=100.0)], t_stop=10.0)
    assert nml.load_network(nml.write_neuroml(quiet, tmp_path / "quiet.nml")).populations[0].n == 2
