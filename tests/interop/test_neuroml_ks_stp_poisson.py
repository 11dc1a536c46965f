"""NeuroML export of kinetic schemes, Tsodyks-Markram short-term plasticity and PoissonInput.

* A channel with a multi-state kinetic scheme (the KINETIC idiom of ``kv_scheme.mod``, with
  a Q10 of 3) is written as an ``ionChannelKS``: the file passes the schema, hhsim reads
  back the identical model, and the file's own rates (as NeuroML tools read them, without
  hhsim's properties) are the channel's rates times its temperature factor: NeuroML's
  transitions take no Q10.  jNeuroML runs the file to hhsim's spike times.
* A biexp projection with short-term plasticity is a ``blockingPlasticSynapse`` with a
  Tsodyks-Markram mechanism; read back, its efficacies on a regular train follow the
  recursion of NeuroML's definition (Synapses.xml), written out here, and so do jNeuroML's
  (which runs hhsim's projections since the cells' hhsim properties are kept on the network).
* A PoissonInput is a ``poissonFiringSynapse`` of ``n_inputs x rate_hz``, and a Poisson
  source whose rate is a step a population of ``SpikeSourcePoisson`` cells; read back, the
  network gives the same spikes.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("neuroml")
pytest.importorskip("lxml")

import hhsim  # noqa: E402
from hhsim.channels import from_nmodl  # noqa: E402
from hhsim.channels.scheme import SchemeState, generator, scheme_states  # noqa: E402
from hhsim.channels import Channel, Gate  # noqa: E402
from hhsim.errors import ModelError  # noqa: E402
from hhsim.interop import neuroml as nml  # noqa: E402
from hhsim.network import Monitors, Network, PoissonInput, Population, Projection, SpikeSource  # noqa: E402
from hhsim.network import simulate_network, synapses as syn  # noqa: E402
from hhsim.network.synapses.stp import TsodyksMarkram  # noqa: E402

MOD = Path(__file__).parent / "mod" / "kv_scheme.mod"


def scheme_model(temperature: float):
    """The squid axon with its K channel replaced by kv_scheme.mod's six-state scheme."""
    kvs = from_nmodl(MOD).replace(gbar=36.0, E=-77.0)
    hh = hhsim.models.get("hh")
    return dataclasses.replace(hh, channels=tuple(c for c in hh.channels if c.name != "K") + (kvs,),
                               name="hhks", temperature=temperature)


def without_hhsim_properties(path: Path, out: Path) -> Path:
    """The file as another NeuroML tool reads it: hhsim's own properties removed."""
    out.write_text(re.sub(r'\s*<property tag="hhsim:[^"]*" value="[^"]*"/>', "", path.read_text()))
    return out


@pytest.mark.parametrize("temperature", [6.3, 16.3])
def test_a_kinetic_scheme_round_trips_and_its_rates_are_neuromls(temperature, tmp_path, capsys):
    nml_utils = pytest.importorskip("neuroml.utils")
    model = scheme_model(temperature)
    assert model.channel("kvs").q10 == 3.0
    path = nml.write_neuroml(model, tmp_path / "ks.nml")
    nml_utils.validate_neuroml2(str(path))
    assert "valid" in capsys.readouterr().out
    text = path.read_text()
    assert "<ionChannelKS" in text and "<gateKS" in text and "tauInfTransition" not in text
    assert nml.load_model(path) == model

    # NeuroML's meaning: the same generator as hhsim's at the temperature, with no Q10
    plain = nml.load_model(without_hhsim_properties(path, tmp_path / "plain.nml")).channel("kvs")
    ours = model.channel("kvs")
    assert plain.q10 == 1.0 and sorted(g.name for g in plain.gates) == sorted(f"kstates_{g.name}" for g in ours.gates)
    phi = 3.0 ** ((temperature - 6.3) / 10.0)
    v = np.linspace(-100.0, 50.0, 151) + 0.0123
    env = dict(ours.params)
    q_ours = generator(ours.gates, v, phi, env)
    order = [g.name for g in plain.gates]  # read closed states first, then the open one
    idx = [order.index(f"kstates_{g.name}") for g in ours.gates]
    q_file = generator(plain.gates, v, 1.0, env)[np.ix_(idx, idx)]
    np.testing.assert_allclose(q_file, q_ours, rtol=1e-12, atol=1e-15)


def test_an_hh_gate_beside_a_scheme_is_a_two_state_gateks(tmp_path, capsys):
    """An ionChannelKS holds gateKS only: an HH gate of the channel is written as the scheme
    c <-> o of its alpha and beta (instances its power), which reads back as the gate."""
    nml_utils = pytest.importorskip("neuroml.utils")
    states = scheme_states("ka", ["C", "O", "I"], [
        ("C", "O", "0.2*exp((V + 40)/20)", "0.1*exp(-(V + 40)/20)"), ("O", "I", "0.05", "0.002")])
    b = Gate("b", 2, alpha="0.01*exp(-(V + 70)/10)", beta="0.02/(1 + exp(-(V + 40)/5))")
    ka = Channel("KA", gbar=5.0, E=-77.0, ion="k", gates=states + (b,), conductance="gbar * (O * b**2)",
                 q10=1.0, q10_reference_c=22.0)
    model = hhsim.models.get("hh").with_channels(ka)
    path = nml.write_neuroml(model, tmp_path / "ka.nml")
    nml_utils.validate_neuroml2(str(path))
    assert "valid" in capsys.readouterr().out
    assert nml.load_model(path) == model
    plain = nml.load_model(without_hhsim_properties(path, tmp_path / "plain.nml")).channel("KA")
    (gate,) = [g for g in plain.gates if not isinstance(g, SchemeState)]
    v = np.linspace(-100.0, 50.0, 31) + 0.0123
    assert gate.name == "b" and plain.conductance == "gbar * (ka_O * b**2)"
    for got, want in ((gate.alpha(v), 0.01 * np.exp(-(v + 70) / 10)),
                      (gate.beta(v), 0.02 / (1 + np.exp(-(v + 40) / 5)))):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_conductance_ionchannelks_cannot_hold_is_refused(tmp_path):
    states = scheme_states("ka", ["C", "O"], [("C", "O", "0.2", "0.1")])
    ka = Channel("KA", gbar=5.0, E=-77.0, ion="k", gates=states, conductance="gbar * (0.5 * O)", q10=1.0)
    with pytest.raises(ModelError) as exc:
        nml.write_neuroml(hhsim.models.get("hh").with_channels(ka), tmp_path / "x.nml")
    assert "cannot be written to NeuroML's ionChannelKS" in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "x.nml").exists()


@pytest.mark.xdist_group("neuroml_ks_scheme")
@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="jNeuroML needs Java")
def test_jneuroml_runs_an_exported_kinetic_scheme_as_hhsim(tmp_path):
    """The squid axon with the five-state K scheme of test_neuroml_gates (its kernel compiled
    there), given a Q10 of 3 and run at 1.3 degC, written by hhsim (rates times 3**-0.5, NeuroML's
    transitions taking no Q10; LEMS component types; forward/reverse pairs): after 100 ms a
    step of current, and jNeuroML's fixed steps 0.01 and 0.005 ms, extrapolated, meet hhsim's
    spike times within the tolerance of the gateKS import tests."""
    from test_neuroml import jneuroml_spikes
    from test_neuroml_gates import HEADER, HH_CELL, HH_DENSITIES, other_chain_k, write

    read = nml.load_model(write(tmp_path, HEADER + HH_CELL + other_chain_k() + HH_DENSITIES.format(k="kchain")
                                + "</neuroml>", "other.nml"))
    k = read.channel("K").replace(q10=3.0, q10_reference_c=6.3)
    model = dataclasses.replace(read, channels=tuple(k if c.name == "K" else c for c in read.channels),
                                temperature=1.3, name="ks")
    start, dur, t_stop = 100.0, 30.0, 140.0
    pulse = hhsim.stim.step(10.0, start=start, dur=dur)
    net = Network(populations=[Population("p", model, stim=pulse, area_um2=math.pi * 100.0)], t_stop=t_stop,
                  name="ks")
    text = nml.write_neuroml(net, tmp_path / "ks.nml").read_text()
    assert "<ionChannelKS" in text and ":ks_temperature" in text
    ours = np.asarray(hhsim.simulate(model, pulse, t_stop=t_stop, rtol=1e-10, atol=1e-10).spike_times)
    runs = jneuroml_spikes(tmp_path, "ks.nml", "ks", "p/0/ks_cell", t_stop)
    ours = ours[ours > start]
    h, h2 = runs["0.01"][runs["0.01"] > start], runs["0.005"][runs["0.005"] > start]
    assert len(h) == len(h2) == len(ours) >= 2
    assert np.all(np.abs(h2 - ours) <= 1.2 * np.abs(h - h2) + 0.01)
    np.testing.assert_allclose(2 * h2 - h, ours, atol=0.03)


# ------------------------------------------------------------------ STP and PoissonInput
TRAIN = [5.0 + 8.0 * k for k in range(8)]  # ms: a regular train, 125 Hz
STP = TsodyksMarkram(U=0.3, tau_rec=150.0, tau_fac=60.0)
BIEXP = syn.BiExp(tau_rise=0.5, tau_decay=3.0, E=0.0)
BURST = hhsim.stim.step(150.0, start=20.0, dur=30.0)  # Hz: a Poisson source's rate, on from 20 to 50 ms


def neuroml_efficacies(u0: float, tau_rec: float, tau_fac: float, times: list) -> np.ndarray:
    """The release R U at each spike of NeuroML's tsodyksMarkramDepFacMechanism (Synapses.xml):
    R = 1, U = U0 at the start; at a spike R U is released, then R -> R (1 - U) and
    U -> U + U0 (1 - U); between spikes R relaxes to 1 (tauRec), U to U0 (tauFac)."""
    r, u, out, last = 1.0, u0, [], None
    for t in times:
        if last is not None:
            d = t - last
            r = 1.0 - (1.0 - r) * math.exp(-d / tau_rec)
            u = u0 + (u - u0) * math.exp(-d / tau_fac)
        out.append(r * u)
        r, u, last = r * (1.0 - u), u + u0 * (1.0 - u), t
    return np.array(out)


def stp_network() -> Network:
    hh = hhsim.models.get("hh")
    return Network(
        populations=(Population("S", hh, n=1, area_um2=1000.0), Population("P", hh, n=3, area_um2=1000.0)),
        sources=(SpikeSource("train", n=1, times_ms=TRAIN), SpikeSource("burst", n=3, rate_hz=BURST)),
        projections=(Projection("train", "S", BIEXP, connect="all", weight="2 nS", stp=STP),
                     Projection("burst", "P", syn.Exp(tau=2.0, E=0.0), connect="one_to_one", weight="1 nS")),
        inputs=(PoissonInput("P", 20, 40.0, "0.6 nS", syn.Exp(tau=2.0, E=0.0), name="bg"),),
        monitors=Monitors(states={"S": [0]}, every_ms=0.025), t_stop=70.0, seed=11, dt=0.02, method="rk4",
        name="stp_net")  # the step and method of the other NeuroML network tests: their kernels


@pytest.mark.xdist_group("neuroml_network_rk4")
def test_stp_and_poisson_input_round_trip(tmp_path, capsys):
    nml_utils = pytest.importorskip("neuroml.utils")
    net = stp_network()
    path = nml.write_neuroml(net, tmp_path / "stp.nml")
    nml_utils.validate_neuroml2(str(path))
    assert "valid" in capsys.readouterr().out
    text = path.read_text()
    assert "tsodyksMarkramDepFacMechanism" in text and "<poissonFiringSynapse" in text
    assert 'averageRate="800Hz"' in text  # 20 trains of 40 Hz: one Poisson train of 800 Hz
    assert '<SpikeSourcePoisson id="burst_poisson" start="20ms" duration="30ms" rate="150Hz"/>' in text

    back = nml.load_network(path).replace(monitors=net.monitors)
    pr = back.projections[0]
    assert (pr.pre, pr.post, pr.synapse, pr.stp) == ("train", "S", BIEXP, STP)
    assert [(s.name, s.n, s.rate_hz) for s in back.sources][1] == ("burst", 3, BURST)
    (pi,) = back.inputs
    assert (pi.target, pi.n_inputs, pi.rate_hz, pi.weight, pi.synapse, pi.name) == (
        "P", 20, 40.0, "0.6 nS", syn.Exp(tau=2.0, E=0.0), "bg")

    # as another tool reads it (without hhsim's properties): one Poisson train of 800 Hz per
    # neuron of P through one 0.6 nS synapse each
    plain = nml.load_network(without_hhsim_properties(path, tmp_path / "plain.nml"))
    assert not plain.inputs
    (src,) = [s for s in plain.sources if s.name.startswith("pin")]
    (feed,) = [p for p in plain.projections if p.pre == src.name]
    assert (src.n, src.rate_hz, feed.post, feed.connect, feed.weight) == (
        3, 800.0, "P", {"pre": [0, 1, 2], "post": [0, 1, 2]}, "0.6 nS")

    ours, again = simulate_network(net, progress=False), simulate_network(back, progress=False)
    assert sum(len(x) for x in ours.trains("P")) > 0
    for x, y in zip(ours.trains("P"), again.trains("P")):
        np.testing.assert_array_equal(y, x)  # the same PoissonInput: the same streams, the same spikes
    burst = again.source_spikes["burst"][1]
    np.testing.assert_array_equal(burst, ours.source_spikes["burst"][1])
    assert burst.size > 0 and burst.min() >= 20.0 and burst.max() < 50.0

    # the efficacy of each spike of the train, from the conductance g = i_syn / (E - V), over
    # the weight (2 nS on 1000 um2 = 0.2 mS/cm2), is NeuroML's R U spike by spike
    t, v, i_syn = again.t, again.v["S"][:, 0], again.i_syn["S"][:, 0]
    amps = efficacies(t, np.abs(i_syn / (BIEXP.E - v)), 0.2)
    want = neuroml_efficacies(STP.U, STP.tau_rec, STP.tau_fac, TRAIN)
    assert want[1] > want[0] and want[-1] < want[1]  # facilitation, then depression
    np.testing.assert_allclose(amps, want, rtol=1e-6)


def efficacies(t: np.ndarray, g: np.ndarray, weight: float) -> np.ndarray:
    """The amplitude of each spike of the train in a conductance ``g`` sampled at ``t`` (ms),
    over ``weight``: biexp waveforms of peak 1 at the train's times fit g exactly."""
    tr, td = BIEXP.tau_rise, BIEXP.tau_decay
    tp = td * tr / (td - tr) * math.log(td / tr)  # the peak time of the waveform
    norm = 1.0 / (math.exp(-tp / td) - math.exp(-tp / tr))
    basis = np.stack([np.where(t > s, norm * (np.exp(-(t - s) / td) - np.exp(-(t - s) / tr)), 0.0)
                      for s in TRAIN], axis=1)
    return np.linalg.lstsq(basis, g, rcond=None)[0] / weight


LEMS_G = """<Lems>
    <Target component="sim"/>
    <Include file="Cells.xml"/>
    <Include file="Networks.xml"/>
    <Include file="Simulation.xml"/>
    <Include file="{nml}"/>
    <Simulation id="sim" length="{length}ms" step="{step}ms" target="{net}">
        <OutputFile id="out" fileName="g.dat">
            <OutputColumn id="g" quantity="{quantity}"/>
        </OutputFile>
    </Simulation>
</Lems>
"""


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="jNeuroML needs Java")
def test_jneuroml_releases_as_the_recursion(tmp_path):
    """jNeuroML runs the exported plastic projection (one run, fixed step 0.005 ms): the
    conductance of its blockingPlasticSynapse gives NeuroML's efficacies, those hhsim has,
    within 2e-3 (its forward steps of R and U; 3e-4 at 0.0025 ms)."""
    import subprocess

    import pyneuroml

    net = stp_network()
    net = net.replace(populations=net.populations[:1], sources=net.sources[:1], projections=net.projections[:1],
                      inputs=(), monitors=Monitors())
    nml.write_neuroml(net, tmp_path / "stp.nml")
    (tmp_path / "LEMS.xml").write_text(LEMS_G.format(nml="stp.nml", length=70, step=0.005, net="stp_net",
                                                     quantity="S/0/hh_cell/synapses:syn0_biexp:0/g"))
    jar = sorted((Path(pyneuroml.__file__).parent / "lib").glob("jNeuroML-*.jar"))[-1]
    subprocess.run(["java", "-Xmx1G", "-jar", str(jar), "LEMS.xml", "-nogui"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    data = np.loadtxt(tmp_path / "g.dat")
    amps = efficacies(data[:, 0] * 1e3, data[:, 1] * 1e9, 2.0)  # s -> ms, S -> nS; weight 2 nS
    np.testing.assert_allclose(amps, neuroml_efficacies(STP.U, STP.tau_rec, STP.tau_fac, TRAIN), rtol=2e-3)


def test_depression_only_is_neuromls_dep_mechanism(tmp_path):
    net = stp_network()
    dep = TsodyksMarkram(U=0.5, tau_rec=300.0, tau_fac=0.0)
    net = net.replace(projections=(dataclasses.replace(net.projections[0], stp=dep),), inputs=())
    path = nml.write_neuroml(net, tmp_path / "dep.nml")
    assert 'type="tsodyksMarkramDepMechanism"' in path.read_text() and "tauFac" not in path.read_text()
    assert nml.load_network(path).projections[0].stp == dep


def test_what_neuroml_plasticity_cannot_hold_is_refused_in_one_line(tmp_path):
    net = stp_network()
    on_exp = net.replace(projections=(dataclasses.replace(net.projections[0], synapse=syn.Exp(tau=2.0)),))
    with pytest.raises(ModelError) as exc:
        nml.write_neuroml(on_exp, tmp_path / "x.nml")
    assert "short-term plasticity is written to NeuroML on a biexp synapse only" in str(exc.value)
    assert "\n" not in str(exc.value) and not (tmp_path / "x.nml").exists()
    path = tmp_path / "fac0.nml"
    text = nml.write_neuroml(net, tmp_path / "ok.nml").read_text()
    path.write_text(text.replace('tauFac="60ms"', 'tauFac="0ms"'))
    with pytest.raises(ModelError) as exc:
        nml.load_network(path)
    assert "tauFac must be > 0 ms" in str(exc.value) and "\n" not in str(exc.value)


def test_the_command_line_writes_and_reads_them(tmp_path, capsys):
    """``hhsim export-neuroml --network FILE.toml`` writes the plastic projection and the
    PoissonInput of a network file; the file reads back to the same network; a projection
    with plasticity NeuroML cannot hold is one line and exit status 2."""
    from helpers.cli import cli_error, run_cli
    from hhsim.network import toml_io

    src = tmp_path / "net.toml"
    net = stp_network()  # without its step-rate source, which a network file cannot hold
    src.write_text(toml_io.dumps(net.replace(sources=net.sources[:1], projections=net.projections[:1],
                                             monitors=Monitors())))
    code, out, err = run_cli(capsys, "export-neuroml", "--network", str(src), "--out", str(tmp_path / "net.nml"))
    assert code == 0, err
    back, want = nml.load_network(tmp_path / "net.nml"), toml_io.load(src)
    assert back.inputs == want.inputs and back.projections[0].stp == want.projections[0].stp == STP
    bad = tmp_path / "bad.toml"
    bad.write_text(src.read_text().replace('kind = "biexp"', 'kind = "exp"').replace("tau_rise = 0.5\n", "")
                   .replace("tau_decay = 3.0", "tau = 3.0"))
    _, line = cli_error(capsys, "export-neuroml", "--network", str(bad), "--out", str(tmp_path / "bad.nml"))
    assert "short-term plasticity is written to NeuroML on a biexp synapse only" in line
    assert not (tmp_path / "bad.nml").exists()
