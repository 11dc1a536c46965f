"""NeuroML's channelDensityGHK2 on a cell of one segment: the GHK-type calcium current of
Jaffe et al. 1994 that NeuroML2CoreTypes (Cells.xml) defines as

    tmp = 25 T / (293.15 * 2)                       (T in K, tmp in mV)
    pOpen = tmp (1 - (ca_i / ca_o) exp(V/tmp)) (V/tmp) / (exp(V/tmp) - 1)
    iDensity = gDensity * pOpen                     (inward positive)

written out again here and compared with the current hhsim computes for the file read, and
with a run of the cell (Na, K, leak, the GHK2 calcium channel filling its pool) against
the same equations integrated by scipy's DOP853.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("neuroml")

import hhsim  # noqa: E402
from hhsim.errors import ModelError  # noqa: E402
from hhsim.interop import neuroml as nml  # noqa: E402

TEMPERATURE = 22.0  # °C
DOC = """<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="ghk2">
<ionChannelHH id="pas" conductance="10pS"/>
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
<ionChannelHH id="cal" species="ca" conductance="10pS">
  <gateHHtauInf id="s" instances="2">
    <timeCourse type="fixedTimeCourse" tau="1ms"/>
    <steadyState type="HHSigmoidVariable" rate="1" midpoint="-20mV" scale="8mV"/>
  </gateHHtauInf>
</ionChannelHH>
<decayingPoolConcentrationModel id="pool" ion="ca" restingConc="1e-4mM" decayConstant="20ms"
    shellThickness="0.1um"/>
<cell id="c"><morphology id="mo"><segment id="0"><proximal x="0" y="0" z="0" diameter="10"/>
<distal x="0" y="0" z="0" diameter="10"/></segment></morphology><biophysicalProperties id="b">
<membraneProperties>
<channelDensity id="Na" ionChannel="na" condDensity="120mS_per_cm2" erev="50mV" ion="na"/>
<channelDensity id="K" ionChannel="k" condDensity="36mS_per_cm2" erev="-77mV" ion="k"/>
<channelDensity id="L" ionChannel="pas" condDensity="0.3mS_per_cm2" erev="-54.3mV" ion="non_specific"/>
<channelDensityGHK2 id="CaL" ionChannel="cal" condDensity="0.5mS_per_cm2" ion="ca"/>
<spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-65mV"/>
</membraneProperties><intracellularProperties>
<species id="ca" ion="ca" concentrationModel="pool" initialConcentration="1e-4mM" initialExtConcentration="2mM"/>
<resistivity value="0.1 kohm_cm"/></intracellularProperties>
</biophysicalProperties></cell>
</neuroml>
"""


def p_open(v, ca_i, ca_o, temperature_c):
    """NeuroML's pOpen (mV) from Cells.xml (exp(x) - 1 as expm1(x), exact near V = 0)."""
    tmp = 25 * (temperature_c + 273.15) / (293.15 * 2)
    x = v / tmp
    efun = 1 - x / 2 if x == 0 else x / math.expm1(x)
    return tmp * (1 - (ca_i / ca_o) * math.exp(x)) * efun


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("ghk2") / "ghk2.nml"
    path.write_text(DOC)
    m = nml.load_model(path)
    import dataclasses

    return dataclasses.replace(m, temperature=TEMPERATURE)


def test_the_current_is_neuromls(model):
    ch = model.channel("CaL")
    assert (ch.reversal, ch.gbar, ch.ion) == ("ghk2", 0.5, "ca")
    for v in (-80.0, -30.0, -1e-9, 0.0, 1e-7, 25.0):
        for ca in (5e-5, 1e-3, 0.05):
            states = {"s": np.array(0.7), "Ca_i": np.array(ca)}
            states.update({k: np.array(0.5) for k in ("m", "h", "n")})
            got = float(model.channel_currents(np.array(v), states)["CaL"])
            want = -0.5 * 0.7 ** 2 * p_open(v, ca, 2.0, TEMPERATURE)  # outward positive
            assert got == pytest.approx(want, rel=1e-10, abs=1e-14)


def test_a_run_matches_the_equations(model):
    """The cell fires on a step of current; its calcium current fills the pool (hhsim's planar
    shell: dC/dt = max(-I_Ca 10/(2 F d), 0) - (C - C_rest)/tau, d = 0.1 µm, tau = 20 ms)."""
    from scipy.integrate import solve_ivp

    from hhsim.units import FARADAY

    phi = 1.0  # NeuroML gates without q10Settings
    k = 10.0 / (2 * FARADAY * 0.1)

    def rhs(t, y, amp):
        v, m, h, n, s, ca = y
        am = 1.0 * ((v + 40) / 10) / -math.expm1(-(v + 40) / 10)
        bm = 4 * math.exp((v + 65) / -18)
        ah, bh = 0.07 * math.exp((v + 65) / -20), 1 / (1 + math.exp(-(v + 35) / 10))
        an = 0.1 * ((v + 55) / 10) / -math.expm1(-(v + 55) / 10)
        bn = 0.125 * math.exp((v + 65) / -80)
        s_inf = 1 / (1 + math.exp(-(v + 20) / 8))
        i_ca = -0.5 * s ** 2 * p_open(v, ca, 2.0, TEMPERATURE)
        i_ion = 120 * m ** 3 * h * (v - 50) + 36 * n ** 4 * (v + 77) + 0.3 * (v + 54.3) + i_ca
        return [amp - i_ion, phi * (am * (1 - m) - bm * m), phi * (ah * (1 - h) - bh * h),
                phi * (an * (1 - n) - bn * n), (s_inf - s) / 1.0, max(-k * i_ca, 0.0) - (ca - 1e-4) / 20.0]

    v0, y0 = model.initial_state()
    assert model.state_names == ["m", "h", "n", "s", "Ca_i"]

    def crossing(t, y, amp):
        return y[0]

    crossing.direction = 1
    theirs, y = [], [v0, *y0]
    for a, b, amp in ((0.0, 5.0, 0.0), (5.0, 35.0, 10.0), (35.0, 40.0, 0.0)):
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-13, args=(amp,), events=crossing)
        theirs += list(sol.t_events[0])
        y = sol.y[:, -1]
    run = hhsim.simulate(model, hhsim.stim.step(10.0, start=5.0, dur=30.0), t_stop=40.0, rtol=1e-10, atol=1e-12)
    assert len(theirs) >= 2 and len(run.spike_times) == len(theirs)
    np.testing.assert_allclose(run.spike_times, theirs, atol=1e-4)
    assert run.states["Ca_i"][-1] == pytest.approx(y[5], rel=1e-5)
    assert y[5] > 2e-4  # the calcium current did fill the pool


def test_export_then_import_gives_the_identical_model(model, tmp_path, capsys):
    nml_utils = pytest.importorskip("neuroml.utils")
    path = nml.write_neuroml(model, tmp_path / "out.nml")
    assert "channelDensityGHK2" in path.read_text()
    nml_utils.validate_neuroml2(str(path))
    assert "valid" in capsys.readouterr().out
    assert nml.load_model(path) == model


def test_ghk2_of_another_ion_is_refused_in_one_line(tmp_path):
    path = tmp_path / "k.nml"
    path.write_text(DOC.replace('<channelDensityGHK2 id="CaL" ionChannel="cal" condDensity="0.5mS_per_cm2" ion="ca"/>',
                               '<channelDensityGHK2 id="KG" ionChannel="k" condDensity="0.5mS_per_cm2" ion="k"/>'))
    with pytest.raises(ModelError) as exc:
        nml.load_model(path)
    assert "channelDensityGHK2 carries calcium" in str(exc.value) and "\n" not in str(exc.value)
