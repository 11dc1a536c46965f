"""NeuroML gates beyond gateHHrates/gateHHtauInf: gateHHratesTauInf, gateFractional (sub-gates
summed by their fractions) and the gateKS of an ionChannelKS (two states, a chain of
independent subunits, and any other scheme).

A cell written here uses all three; its equations, written out again in this test from
NeuroML's definitions (Channels.xml: a sub-gate relaxes with the rate scale of its
gateFractional and adds ``fractionalConductance * q``; a gateHHratesTauInf relaxes to its
steadyState with its timeCourse, its rates driving nothing; a gateKS transition's ``rf``
flows from -> to and ``rr`` to -> from, a tauInfTransition has ``rf = inf/tau``,
``rr = (1 - inf)/tau``) and integrated by scipy's DOP853, give the spike times hhsim
gives for the file read.  Export then import gives the identical model; what NeuroML or
hhsim cannot hold is refused in one line.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

pytest.importorskip("neuroml")
pytest.importorskip("lxml")

import hhsim  # noqa: E402
from hhsim.errors import ModelError  # noqa: E402
from hhsim.interop import neuroml as nml  # noqa: E402
from helpers.cli import cli_error  # noqa: E402

HEADER = '<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="gates">\n'

CHANNELS = """<ionChannelHH id="pas" conductance="10pS"/>
<ionChannelHH id="naf" species="na" conductance="10pS">
  <gate id="m" type="gateHHrates" instances="3">
    <q10Settings type="q10ExpTemp" q10Factor="3" experimentalTemp="6.3degC"/>
    <forwardRate type="HHExpLinearRate" rate="1per_ms" midpoint="-40mV" scale="10mV"/>
    <reverseRate type="HHExpRate" rate="4per_ms" midpoint="-65mV" scale="-18mV"/>
  </gate>
  <gate id="h" type="gateFractional" instances="1">
    <q10Settings type="q10ExpTemp" q10Factor="3" experimentalTemp="6.3degC"/>
    <subGate id="fast" fractionalConductance="0.7">
      <steadyState type="HHSigmoidVariable" rate="1" midpoint="-60mV" scale="-7mV"/>
      <timeCourse type="fixedTimeCourse" tau="1ms"/>
    </subGate>
    <subGate id="slow" fractionalConductance="0.3">
      <steadyState type="HHSigmoidVariable" rate="1" midpoint="-60mV" scale="-7mV"/>
      <timeCourse type="fixedTimeCourse" tau="20ms"/>
    </subGate>
  </gate>
</ionChannelHH>
<ionChannelHH id="kdr" species="k" conductance="10pS">
  <gateHHratesTauInf id="n" instances="4">
    <forwardRate type="HHExpRate" rate="100per_ms" midpoint="0mV" scale="1mV"/>
    <reverseRate type="HHExpRate" rate="100per_ms" midpoint="0mV" scale="-1mV"/>
    <timeCourse type="fixedTimeCourse" tau="4ms"/>
    <steadyState type="HHSigmoidVariable" rate="1" midpoint="-50mV" scale="8mV"/>
  </gateHHratesTauInf>
</ionChannelHH>
<ionChannelKS id="kks" species="k" conductance="10pS">
  <gateKS id="n" instances="4">
    <closedState id="c"/>
    <openState id="o"/>
    <forwardTransition id="up" from="c" to="o">
      <rate type="HHExpLinearRate" rate="0.1per_ms" midpoint="-55mV" scale="10mV"/>
    </forwardTransition>
    <reverseTransition id="down" from="c" to="o">
      <rate type="HHExpRate" rate="0.125per_ms" midpoint="-65mV" scale="-80mV"/>
    </reverseTransition>
  </gateKS>
</ionChannelKS>
<ionChannelKS id="km" species="k" conductance="10pS">
  <gateKS id="w" instances="1">
    <closedState id="c"/>
    <openState id="o"/>
    <tauInfTransition id="close" from="o" to="c">
      <steadyState type="HHSigmoidVariable" rate="1" midpoint="-35mV" scale="-10mV"/>
      <timeCourse type="fixedTimeCourse" tau="50ms"/>
    </tauInfTransition>
  </gateKS>
</ionChannelKS>
"""

CELL = """<cell id="c"><morphology id="m"><segment id="0"><proximal x="0" y="0" z="0" diameter="10"/>
<distal x="0" y="0" z="0" diameter="10"/></segment></morphology><biophysicalProperties id="b"><membraneProperties>
<channelDensity id="Na" ionChannel="naf" condDensity="120mS_per_cm2" erev="50mV" ion="na"/>
<channelDensity id="Kdr" ionChannel="kdr" condDensity="20mS_per_cm2" erev="-77mV" ion="k"/>
<channelDensity id="Kks" ionChannel="kks" condDensity="20mS_per_cm2" erev="-77mV" ion="k"/>
<channelDensity id="M" ionChannel="km" condDensity="1mS_per_cm2" erev="-77mV" ion="k"/>
<channelDensity id="L" ionChannel="pas" condDensity="0.3mS_per_cm2" erev="-54.4mV" ion="non_specific"/>
<spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-65mV"/>
</membraneProperties></biophysicalProperties></cell>
"""

TEMPERATURE = 16.3  # °C: the Na gates' Q10 of 3 from 6.3 °C gives a factor 3
STIM = (10.0, 5.0, 40.0)  # µA/cm², start ms, duration ms
T_STOP = 60.0


def write(tmp_path, text: str, name: str = "gates.nml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def independent_spikes() -> list[float]:
    """The cell's equations from NeuroML's definitions, integrated by DOP853 (rtol 1e-11)."""
    from scipy.integrate import solve_ivp

    phi = 3.0 ** ((TEMPERATURE - 6.3) / 10)

    def exp_linear(rate, x):  # HHExpLinearRate
        return rate if x == 0 else rate * x / -math.expm1(-x)

    def sig(v, mid, scale):  # HHSigmoidVariable, rate 1
        return 1 / (1 + math.exp(-(v - mid) / scale))

    def kinetics(v):
        am, bm = exp_linear(1.0, (v + 40) / 10), 4 * math.exp((v + 65) / -18)
        an, bn = exp_linear(0.1, (v + 55) / 10), 0.125 * math.exp((v + 65) / -80)
        w_close = sig(v, -35, -10)  # the o -> c transition's inf: rf (o -> c) = inf/tau
        return am, bm, sig(v, -60, -7), sig(v, -50, 8), an, bn, 1 - w_close

    def rhs(t, y, i):
        v, m, hf, hs, n, k, w = y
        am, bm, hinf, ninf, an, bn, winf = kinetics(v)
        ion = (120 * m ** 3 * (0.7 * hf + 0.3 * hs) * (v - 50) + 20 * n ** 4 * (v + 77)
               + 20 * k ** 4 * (v + 77) + 1 * w * (v + 77) + 0.3 * (v + 54.4))
        return [i - ion, phi * (am * (1 - m) - bm * m), phi * (hinf - hf) / 1.0, phi * (hinf - hs) / 20.0,
                (ninf - n) / 4.0, an * (1 - k) - bn * k, (winf - w) / 50.0]

    am, bm, hinf, ninf, an, bn, winf = kinetics(-65.0)
    y = [-65.0, am / (am + bm), hinf, hinf, ninf, an / (an + bn), winf]

    def crossing(t, y, i):
        return y[0]

    crossing.direction = 1
    amp, start, dur = STIM
    spikes = []
    for a, b, i in ((0.0, start, 0.0), (start, start + dur, amp), (start + dur, T_STOP, 0.0)):
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-12, args=(i,), events=crossing)
        spikes += list(sol.t_events[0])
        y = sol.y[:, -1]
    return spikes


def test_gates_read_as_neuromls_definitions(tmp_path):
    model = nml.load_model(write(tmp_path, HEADER + CHANNELS + CELL + "</neuroml>"))
    na = model.channel("Na")
    assert [g.name for g in na.gates] == ["m", "h_fast", "h_slow"]
    assert na.conductance == "gbar * (m**3 * (0.7*h_fast + 0.3*h_slow))"
    assert (na.q10, na.q10_reference_c) == (3.0, 6.3)
    assert [(g.name, g.power, g.form_names) for g in model.channel("Kks").gates] == [("n", 4, ("alpha", "beta"))]
    assert model.channel("Kks").q10 == 1.0  # NeuroML's transitions take no rate scale
    w = model.channel("M").gates[0]
    v = np.linspace(-100.0, 40.0, 141) + 0.0123
    np.testing.assert_allclose(w.steady_state(v), 1 / (1 + np.exp(-(v + 35) / 10)), rtol=1e-13)
    np.testing.assert_allclose(w.time_constant(v), 50.0, rtol=1e-13)
    n = model.channel("Kdr").gates[0]  # its forward and reverse rates drive nothing
    np.testing.assert_allclose(n.steady_state(v), 1 / (1 + np.exp(-(v + 50) / 8)), rtol=1e-13)
    np.testing.assert_allclose(n.time_constant(v), 4.0, rtol=1e-13)

    run = hhsim.simulate(dataclasses.replace(model, temperature=TEMPERATURE), hhsim.stim.step(STIM[0], start=STIM[1], dur=STIM[2]), t_stop=T_STOP,
                         method="dopri5", rtol=1e-10, atol=1e-10)
    theirs = independent_spikes()
    assert len(theirs) >= 3
    assert len(run.spike_times) == len(theirs)
    np.testing.assert_allclose(run.spike_times, theirs, atol=1e-3)


def test_export_then_import_gives_the_identical_model(tmp_path, capsys):
    nml_utils = pytest.importorskip("neuroml.utils")
    model = nml.load_model(write(tmp_path, HEADER + CHANNELS + CELL + "</neuroml>"))
    path = nml.write_neuroml(model, tmp_path / "out.nml")
    nml_utils.validate_neuroml2(str(path))
    assert "valid" in capsys.readouterr().out
    assert "gateFractional" in path.read_text()
    assert nml.load_model(path) == model
    # a fractional sum written in another order keeps its text through the file
    na = model.channel("Na").replace(conductance="gbar * ((0.3*h_slow + 0.7*h_fast) * m**3)")
    other = dataclasses.replace(model, channels=(na,) + model.channels[1:])
    assert nml.load_model(nml.write_neuroml(other, tmp_path / "other.nml")) == other
    # a conductance that is a product of gate powers alone is written as plain gates, its text kept
    hh = hhsim.models.get("hh")
    na = hh.channel("Na").replace(conductance="gbar * (m**3 * h)")
    product = dataclasses.replace(hh, channels=tuple(na if c.name == "Na" else c for c in hh.channels))
    path = nml.write_neuroml(product, tmp_path / "product.nml")
    assert "gateFractional" not in path.read_text() and nml.load_model(path) == product


KS3 = """<ionChannelKS id="k3" species="k" conductance="10pS">
  <gateKS id="n" instances="1">
    <closedState id="c1"/><closedState id="c2"/>
    <openState id="o"/>
    <forwardTransition id="a" from="c1" to="c2"><rate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="10mV"/></forwardTransition>
    <reverseTransition id="ar" from="c1" to="c2"><rate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="-10mV"/></reverseTransition>
    <forwardTransition id="b" from="c2" to="o"><rate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="10mV"/></forwardTransition>
    <reverseTransition id="br" from="c2" to="o"><rate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="-10mV"/></reverseTransition>
  </gateKS>
</ionChannelKS>
"""
KS_ASTRAY = KS3.replace('to="o"', 'to="x"', 1)
KSQ10 = """<ionChannelKS id="k3" species="k" conductance="10pS">
  <gateKS id="n" instances="1">
    <q10Settings type="q10ExpTemp" q10Factor="3" experimentalTemp="6.3degC"/>
    <closedState id="c"/><openState id="o"/>
    <forwardTransition id="a" from="c" to="o"><rate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="10mV"/></forwardTransition>
    <reverseTransition id="ar" from="c" to="o"><rate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="-10mV"/></reverseTransition>
  </gateKS>
</ionChannelKS>
"""
SUBQ10 = """<ionChannelHH id="k3" species="k" conductance="10pS">
  <gateFractional id="h" instances="1">
    <subGate id="a" fractionalConductance="1">
      <q10Settings type="q10ExpTemp" q10Factor="3" experimentalTemp="6.3degC"/>
      <steadyState type="HHSigmoidVariable" rate="1" midpoint="-60mV" scale="-7mV"/>
      <timeCourse type="fixedTimeCourse" tau="1ms"/>
    </subGate>
  </gateFractional>
</ionChannelHH>
"""
ONE_CELL = CELL.replace('ionChannel="naf"', 'ionChannel="k3"').replace(
    '<channelDensity id="Kdr" ionChannel="kdr" condDensity="20mS_per_cm2" erev="-77mV" ion="k"/>\n', "").replace(
    '<channelDensity id="Kks" ionChannel="kks" condDensity="20mS_per_cm2" erev="-77mV" ion="k"/>\n', "").replace(
    '<channelDensity id="M" ionChannel="km" condDensity="1mS_per_cm2" erev="-77mV" ion="k"/>\n', "").replace(
    '<channelDensity id="L" ionChannel="pas" condDensity="0.3mS_per_cm2" erev="-54.4mV" ion="non_specific"/>\n',
    "")


@pytest.mark.parametrize("channel, expect", [
    (KS_ASTRAY, "forwardTransition 'b': from 'c2' to 'x'; a transition joins two states of the gate"),
    (KSQ10, "q10Settings on a gateKS is not read"),
    (SUBQ10, "q10Settings on a subGate is not read"),
])
def test_what_hhsim_cannot_hold_is_refused_in_one_line(channel, expect, tmp_path, capsys):
    if channel is SUBQ10:
        text = HEADER + channel + ONE_CELL + "</neuroml>"
    else:
        text = HEADER + '<ionChannelHH id="pas" conductance="10pS"/>\n' + channel + ONE_CELL + "</neuroml>"
    path = write(tmp_path, text)
    with pytest.raises(ModelError) as exc:
        nml.load_model(path)
    assert expect in str(exc.value) and "\n" not in str(exc.value)
    _, line = cli_error(capsys, "import-neuroml", str(path))
    assert expect in line and str(path) in line


def test_a_conductance_neuroml_cannot_hold_is_refused(tmp_path):
    from hhsim.channels import Channel, Gate

    kht = Channel("KHT", gbar=10.0, E=-77.0, ion="k", params={"nf": 0.85},
                  conductance="gbar * (nf*n**2 + (1 - nf)*p)",
                  gates=[Gate("n", 1, inf="1/(1 + exp(-(V + 15)/5))", tau=5.0),
                         Gate("p", 1, inf="1/(1 + exp(-(V + 23)/6))", tau=20.0)])
    model = hhsim.models.get("hh").with_channels(kht)
    with pytest.raises(ModelError) as exc:
        nml.write_neuroml(model, tmp_path / "kht.nml")
    assert "its conductance 'gbar * (nf*n**2 + (1 - nf)*p)' cannot be written to NeuroML" in str(exc.value)
    assert not (tmp_path / "kht.nml").exists()


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="jNeuroML needs Java")
def test_jneuroml_runs_the_gates_as_hhsim_reads_them(tmp_path):
    """NeuroML's own simulator (pyNeuroML's jNeuroML, fixed steps h = 0.01 and 0.005 ms, first
    order) runs the cell with a step of current after 400 ms; its Richardson extrapolation
    2 t(h/2) - t(h) meets hhsim's spike times, and at h/2 it differs from hhsim by its own step
    error.  (Both start from initMembPotential, where this cell does not rest, and fire once
    in the first ms; jNeuroML starts its gateKS occupancies elsewhere than the steady state
    hhsim starts every gate at, and fires earlier: 2.1 against 5.7 ms.  400 ms later, eight
    time constants of the slowest gate, the starts no longer matter.)"""
    from test_neuroml import jneuroml_spikes

    start, dur, t_stop = 400.0, 40.0, 460.0
    amp_na = STIM[0] * math.pi * 10.0 ** 2 * 1e-8 * 1e3  # µA/cm² on the 10 µm sphere, in nA
    net = (f'<pulseGenerator id="stim" delay="{start:g}ms" duration="{dur:g}ms" amplitude="{amp_na!r}nA"/>\n'
           f'<network id="net" type="networkWithTemperature" temperature="{TEMPERATURE:g}degC">\n'
           '<population id="pop" component="c" size="1"/>\n<explicitInput target="pop[0]" input="stim"/>\n'
           '</network>\n')
    cell = CELL.replace("</membraneProperties>", "</membraneProperties><intracellularProperties>"
                        '<resistivity value="0.1 kohm_cm"/></intracellularProperties>')  # jNeuroML needs one
    path = write(tmp_path, HEADER + CHANNELS + cell + net + "</neuroml>")
    # hhsim runs the file's cell as one neuron (the point path: its own small kernels, not a
    # network kernel compiled for this one cell) with the pulse as a step of the same density
    model = dataclasses.replace(nml.load_model(path), temperature=TEMPERATURE)
    ours = np.asarray(hhsim.simulate(model, hhsim.stim.step(STIM[0], start=start, dur=dur), t_stop=t_stop,
                                     rtol=1e-10, atol=1e-10).spike_times)
    runs = jneuroml_spikes(tmp_path, path.name, "net", "pop[0]", t_stop)
    ours = ours[ours > start]
    h, h2 = runs["0.01"][runs["0.01"] > start], runs["0.005"][runs["0.005"] > start]
    assert len(h) == len(h2) == len(ours) == 4
    step_error = h - h2
    assert np.all(step_error > 0)
    assert np.all(np.abs(h2 - ours) <= 1.2 * step_error + 0.01)  # 0.01: the file's digits in seconds
    np.testing.assert_allclose(2 * h2 - h, ours, atol=0.03)  # measured: 0.011 to 0.021 ms


def chain_k(n: int = 4) -> str:
    """Hodgkin-Huxley's K as the kinetic scheme of its four subunits: C0 - C1 - C2 - C3 - O,
    up (n - k) alpha_n, down (k + 1) beta_n."""
    states = "".join(f'<closedState id="c{k}"/>' for k in range(n)) + '<openState id="o"/>'
    name = [f"c{k}" for k in range(n)] + ["o"]
    steps = "".join(
        f'<forwardTransition id="u{k}" from="{name[k]}" to="{name[k + 1]}">'
        f'<rate type="HHExpLinearRate" rate="{0.1 * (n - k):.1f}per_ms" midpoint="-55mV" scale="10mV"/>'
        f'</forwardTransition><reverseTransition id="d{k}" from="{name[k]}" to="{name[k + 1]}">'
        f'<rate type="HHExpRate" rate="{0.125 * (k + 1):.3f}per_ms" midpoint="-65mV" scale="-80mV"/>'
        '</reverseTransition>\n' for k in range(n))
    return f'<ionChannelKS id="kchain" species="k" conductance="10pS"><gateKS id="n" instances="1">{states}\n' \
           f'{steps}</gateKS></ionChannelKS>\n'


HH_CELL = """<ionChannelHH id="pas" conductance="10pS"/>
<ionChannelHH id="na" species="na" conductance="10pS">
  <gateHHrates id="m" instances="3">
    <forwardRate type="HHExpLinearRate" rate="1per_ms" midpoint="-40mV" scale="10mV"/>
    <reverseRate type="HHExpRate" rate="4per_ms" midpoint="-65mV" scale="-18mV"/>
  </gateHHrates>
  <gateHHrates id="h" instances="1">
    <forwardRate type="HHExpRate" rate="0.07per_ms" midpoint="-65mV" scale="-20mV"/>
    <reverseRate type="HHSigmoidRate" rate="1per_ms" midpoint="-35mV" scale="10mV"/>
  </gateHHrates>
</ionChannelHH>
<ionChannelHH id="k" species="k" conductance="10pS">
  <gateHHrates id="n" instances="4">
    <forwardRate type="HHExpLinearRate" rate="0.1per_ms" midpoint="-55mV" scale="10mV"/>
    <reverseRate type="HHExpRate" rate="0.125per_ms" midpoint="-65mV" scale="-80mV"/>
  </gateHHrates>
</ionChannelHH>
"""
HH_DENSITIES = """<cell id="c"><morphology id="m"><segment id="0"><proximal x="0" y="0" z="0" diameter="10"/>
<distal x="0" y="0" z="0" diameter="10"/></segment></morphology><biophysicalProperties id="b"><membraneProperties>
<channelDensity id="Na" ionChannel="na" condDensity="120mS_per_cm2" erev="50mV" ion="na"/>
<channelDensity id="K" ionChannel="{k}" condDensity="36mS_per_cm2" erev="-77mV" ion="k"/>
<channelDensity id="L" ionChannel="pas" condDensity="0.3mS_per_cm2" erev="-54.3mV" ion="non_specific"/>
<spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-65mV"/>
</membraneProperties><intracellularProperties><resistivity value="0.1 kohm_cm"/></intracellularProperties>
</biophysicalProperties></cell>
"""


def test_a_chain_of_independent_subunits_is_its_hh_gate(tmp_path):
    """The five-state K chain reads as the gate n**4 of gateHHrates: the same channel."""
    chain = nml.load_model(write(tmp_path, HEADER + HH_CELL + chain_k() + HH_DENSITIES.format(k="kchain")
                                 + "</neuroml>", "chain.nml"))
    plain = nml.load_model(write(tmp_path, HEADER + HH_CELL + HH_DENSITIES.format(k="k") + "</neuroml>", "hh.nml"))
    (n,) = chain.channel("K").gates
    assert (n.name, n.power) == ("n", 4) and chain.channel("K").q10 == 1.0
    assert n == plain.channel("K").gates[0]
    # rates that are not (N-k) alpha and (k+1) beta are another scheme: its five states
    other = nml.load_model(write(tmp_path, HEADER + HH_CELL + other_chain_k() + HH_DENSITIES.format(k="kchain")
                                 + "</neuroml>", "other.nml"))
    k = other.channel("K")
    assert [g.name for g in k.gates] == ["n_c0", "n_c1", "n_c2", "n_c3", "n_o"]
    assert k.conductance == "gbar * (n_o)" and k.q10 == 1.0


def other_chain_k() -> str:
    """The chain with its second step up at 0.35 alpha_n instead of 0.3: no set of independent
    subunits, a general five-state scheme."""
    return chain_k().replace('rate="0.3per_ms"', 'rate="0.35per_ms"')


@pytest.mark.xdist_group("neuroml_ks_scheme")
def test_a_general_gateks_runs_as_its_scheme(tmp_path):
    """A gateKS that no HH gate is runs as its five occupancies: spike times of the squid axon
    with that K channel, from its equations written out here (NeuroML's gateKS: each
    transition's rate flows from -> to (forward) or to -> from (reverse), the gate's fraction
    is the open state's occupancy) and integrated by DOP853, from the scheme's steady state."""
    from scipy.integrate import solve_ivp
    from scipy.linalg import null_space

    model = nml.load_model(write(tmp_path, HEADER + HH_CELL + other_chain_k() + HH_DENSITIES.format(k="kchain")
                                 + "</neuroml>", "other.nml"))

    def q_of(v):
        an, bn = 0.1 * ((v + 55) / 10) / -math.expm1(-(v + 55) / 10), 0.125 * math.exp((v + 65) / -80)
        q = np.zeros((5, 5))
        for k, up in enumerate((4, 3.5, 2, 1)):
            q[k + 1, k] += up * an
            q[k, k + 1] += (k + 1) * bn
        return q - np.diag(q.sum(axis=0))

    def rates(v):
        am = 1.0 * ((v + 40) / 10) / -math.expm1(-(v + 40) / 10)
        return am, 4 * math.exp((v + 65) / -18), 0.07 * math.exp((v + 65) / -20), 1 / (1 + math.exp(-(v + 35) / 10))

    def rhs(t, y, i):
        v, m, h, *x = y
        am, bm, ah, bh = rates(v)
        ion = 120 * m ** 3 * h * (v - 50) + 36 * x[4] * (v + 77) + 0.3 * (v + 54.3)
        return [i - ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, *(q_of(v) @ np.array(x))]

    v0 = model.initial_state()[0]  # the cell's initMembPotential
    am, bm, ah, bh = rates(v0)
    occ = null_space(q_of(v0))[:, 0]
    y = [v0, am / (am + bm), ah / (ah + bh), *(occ / occ.sum())]
    np.testing.assert_allclose(model.initial_state()[1], y[1:], rtol=1e-9, atol=1e-13)

    def crossing(t, y, i):
        return y[0]

    crossing.direction = 1
    theirs = []
    for a, b, i in ((0.0, 5.0, 0.0), (5.0, 35.0, 10.0), (35.0, 40.0, 0.0)):
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-12, args=(i,), events=crossing)
        theirs += list(sol.t_events[0])
        y = sol.y[:, -1]
    run = hhsim.simulate(model, hhsim.stim.step(10.0, start=5.0, dur=30.0), t_stop=40.0, rtol=1e-10, atol=1e-10)
    assert len(theirs) >= 2 and len(run.spike_times) == len(theirs)
    np.testing.assert_allclose(run.spike_times, theirs, atol=1e-4)
    # written back as a gateKS of an ionChannelKS, it reads as the identical model
    assert nml.load_model(nml.write_neuroml(model, tmp_path / "back.nml")) == model


@pytest.mark.xdist_group("neuroml_ks_scheme")
@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="jNeuroML needs Java")
def test_jneuroml_integrates_a_general_gateks_as_hhsim(tmp_path):
    """The general five-state scheme run by jNeuroML (fixed steps 0.01 and 0.005 ms, its own
    start of the occupancies) and by hhsim: after 100 ms, a step of current, spike times as
    for the chain below."""
    from test_neuroml import jneuroml_spikes

    start, dur, t_stop = 100.0, 30.0, 140.0
    amp_na = 10.0 * math.pi * 10.0 ** 2 * 1e-8 * 1e3
    net = (f'<pulseGenerator id="stim" delay="{start:g}ms" duration="{dur:g}ms" amplitude="{amp_na!r}nA"/>\n'
           '<network id="net"><population id="pop" component="c" size="1"/>\n'
           '<explicitInput target="pop[0]" input="stim"/></network>\n')
    path = write(tmp_path, HEADER + HH_CELL + other_chain_k() + HH_DENSITIES.format(k="kchain") + net + "</neuroml>")
    ours = np.asarray(hhsim.simulate(nml.load_model(path), hhsim.stim.step(10.0, start=start, dur=dur),
                                     t_stop=t_stop, rtol=1e-10, atol=1e-10).spike_times)
    runs = jneuroml_spikes(tmp_path, path.name, "net", "pop[0]", t_stop)
    ours = ours[ours > start]
    h, h2 = runs["0.01"][runs["0.01"] > start], runs["0.005"][runs["0.005"] > start]
    assert len(h) == len(h2) == len(ours) >= 2
    assert np.all(np.abs(h2 - ours) <= 1.2 * np.abs(h - h2) + 0.01)
    np.testing.assert_allclose(2 * h2 - h, ours, atol=0.03)


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="jNeuroML needs Java")
def test_jneuroml_integrates_the_five_state_chain_as_hhsim_its_gate(tmp_path):
    """jNeuroML integrates all five occupancies of the chain (fixed steps 0.01 and 0.005 ms);
    hhsim integrates n and takes n**4.  After 100 ms (the chain's start no longer matters),
    a step of current: jNeuroML's extrapolated spike times meet hhsim's."""
    from test_neuroml import jneuroml_spikes

    start, dur, t_stop = 100.0, 30.0, 140.0
    amp_na = 10.0 * math.pi * 10.0 ** 2 * 1e-8 * 1e3  # 10 µA/cm² on the 10 µm sphere, in nA
    net = (f'<pulseGenerator id="stim" delay="{start:g}ms" duration="{dur:g}ms" amplitude="{amp_na!r}nA"/>\n'
           '<network id="net"><population id="pop" component="c" size="1"/>\n'
           '<explicitInput target="pop[0]" input="stim"/></network>\n')
    path = write(tmp_path, HEADER + HH_CELL + chain_k() + HH_DENSITIES.format(k="kchain") + net + "</neuroml>")
    # one neuron on the point path, the pulse as a step of the same density (10 µA/cm²)
    ours = np.asarray(hhsim.simulate(nml.load_model(path), hhsim.stim.step(10.0, start=start, dur=dur),
                                     t_stop=t_stop, rtol=1e-10, atol=1e-10).spike_times)
    runs = jneuroml_spikes(tmp_path, path.name, "net", "pop[0]", t_stop)
    ours = ours[ours > start]
    h, h2 = runs["0.01"][runs["0.01"] > start], runs["0.005"][runs["0.005"] > start]
    assert len(h) == len(h2) == len(ours) >= 2
    assert np.all(np.abs(h2 - ours) <= 1.2 * (h - h2) + 0.01)
    np.testing.assert_allclose(2 * h2 - h, ours, atol=0.03)
