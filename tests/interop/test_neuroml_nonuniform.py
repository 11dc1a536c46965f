"""Non-uniform channel densities on a NeuroML cable cell (``channelDensityNonUniform`` with a
``variableParameter`` over a segment group whose ``inhomogeneousParameter`` is the path
length from the root), and the density kinds hhsim refuses.

The cell, written here: an unbranched cable of eight 50 µm segments, 2 µm across,
Hodgkin-Huxley's Na and leak uniform and its K density falling with the path length p
(µm) as ``360 * exp(-p/300)`` S/m² (36 mS/cm² at p = 0).  hhsim gives each segment the
density at its middle.  NEURON (its built-in ``hh``, rate tables off, Crank-Nicolson)
runs the same cell built by hand, one section per segment with that segment's density:
the spike times at the far end agree within 1e-4 ms (measured: 1.5e-5 ms; the densities
taken half a segment off, at each segment's start, move them by 0.08 and 0.37 ms).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("neuroml")
pytest.importorskip("lxml")

from hhsim import stim  # noqa: E402
from hhsim.cable import point, simulate_cable  # noqa: E402
from hhsim.errors import ModelError  # noqa: E402
from hhsim.interop import neuroml as nml  # noqa: E402
from helpers.cli import cli_error  # noqa: E402

N_SEG, SEG_UM, DIAM_UM, RA = 8, 50.0, 2.0, 100.0
DT, T_STOP = 0.005, 30.0
AMP_NA, START, DUR = 0.2, 2.0, 20.0  # nA at the middle of the first segment


def k_density(p_um: float) -> float:
    """The K density (mS/cm²) the file gives at path length p (µm): 360 S/m² exp(-p/300)."""
    return 0.1 * 360.0 * math.exp(-p_um / 300.0)


def cell_file(density: str, extra: str = "", group_params: str | None = None) -> str:
    segs = []
    for i in range(N_SEG):
        parent = f'<parent segment="{i - 1}"/>' if i else ""
        prox = f'<proximal x="{i * SEG_UM:g}" y="0" z="0" diameter="{DIAM_UM:g}"/>' if i == 0 else ""
        segs.append(f'<segment id="{i}" name="s{i}">{parent}{prox}'
                    f'<distal x="{(i + 1) * SEG_UM:g}" y="0" z="0" diameter="{DIAM_UM:g}"/></segment>')
    members = "".join(f'<member segment="{i}"/>' for i in range(N_SEG))
    params = group_params if group_params is not None else (
        '<inhomogeneousParameter id="PathLengthOver_all" variable="p" metric="Path Length from root">'
        '<proximal translationStart="0"/></inhomogeneousParameter>')
    return f"""<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="nonuniform">
<ionChannelHH id="pas" conductance="10pS"/>
<ionChannelHH id="naChan" species="na" conductance="10pS">
  <gateHHrates id="m" instances="3">
    <forwardRate type="HHExpLinearRate" rate="1per_ms" midpoint="-40mV" scale="10mV"/>
    <reverseRate type="HHExpRate" rate="4per_ms" midpoint="-65mV" scale="-18mV"/>
  </gateHHrates>
  <gateHHrates id="h" instances="1">
    <forwardRate type="HHExpRate" rate="0.07per_ms" midpoint="-65mV" scale="-20mV"/>
    <reverseRate type="HHSigmoidRate" rate="1per_ms" midpoint="-35mV" scale="10mV"/>
  </gateHHrates>
</ionChannelHH>
<ionChannelHH id="kChan" species="k" conductance="10pS">
  <gateHHrates id="n" instances="4">
    <forwardRate type="HHExpLinearRate" rate="0.1per_ms" midpoint="-55mV" scale="10mV"/>
    <reverseRate type="HHExpRate" rate="0.125per_ms" midpoint="-65mV" scale="-80mV"/>
  </gateHHrates>
</ionChannelHH>
<cell id="cable">
<morphology id="morph">
{chr(10).join(segs)}
<segmentGroup id="all">{members}{params}</segmentGroup>
</morphology>
<biophysicalProperties id="bio"><membraneProperties>
<channelDensity id="Na" ionChannel="naChan" condDensity="120mS_per_cm2" erev="50mV" ion="na"/>
<channelDensity id="L" ionChannel="pas" condDensity="0.3mS_per_cm2" erev="-54.3mV" ion="non_specific"/>
{density}{extra}
<spikeThresh value="0mV"/><specificCapacitance value="1uF_per_cm2"/><initMembPotential value="-65mV"/>
</membraneProperties><intracellularProperties><resistivity value="{RA:g}ohm_cm"/></intracellularProperties>
</biophysicalProperties></cell>
</neuroml>
"""


K_NON_UNIFORM = """<channelDensityNonUniform id="K" ionChannel="kChan" erev="-77mV" ion="k">
<variableParameter parameter="condDensity" segmentGroup="all">
<inhomogeneousValue inhomogeneousParameter="PathLengthOver_all" value="360 * exp(-p/300)"/>
</variableParameter></channelDensityNonUniform>"""


def crossings(t, v) -> np.ndarray:
    k = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    return t[k] + (0 - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])


def hhsim_run(path):
    cc = nml.load_cable_cell(path)
    r = simulate_cable(cc.morph, cc.channels, point(stim.step(AMP_NA, start=START, dur=DUR), at=SEG_UM / 2),
                       nseg=1, dt=DT, t_stop=T_STOP, v_init=-65.0, record=[N_SEG - 1], record_every=1)
    return cc, crossings(r.t, r.v[:, 0])


def test_each_segment_gets_the_density_at_its_middle(tmp_path):
    path = tmp_path / "cable.nml"
    path.write_text(cell_file(K_NON_UNIFORM))
    cc = nml.load_cable_cell(path)
    assert len(cc.morph.sections) == N_SEG
    for i, sec in enumerate(cc.morph.sections):
        model = cc.channels[sec.region]
        assert model.channel("K").gbar == pytest.approx(k_density((i + 0.5) * SEG_UM), rel=1e-14)
        assert model.channel("K").E == -77.0 and model.channel("Na").gbar == 120.0
    assert len({s.region for s in cc.morph.sections}) == N_SEG


@pytest.mark.neuron
def test_nonuniform_cable_matches_neuron(tmp_path):
    neuron = pytest.importorskip("neuron")
    path = tmp_path / "cable.nml"
    path.write_text(cell_file(K_NON_UNIFORM))
    _, ours = hhsim_run(path)

    h = neuron.h
    h.load_file("stdrun.hoc")
    secs = []
    for i in range(N_SEG):
        sec = h.Section(name=f"nonuniform_{i}")
        sec.L, sec.diam, sec.Ra, sec.nseg, sec.cm = SEG_UM, DIAM_UM, RA, 1, 1.0
        sec.insert("hh")
        for seg in sec:
            seg.hh.gnabar, seg.hh.gl, seg.hh.el = 0.12, 0.0003, -54.3
            seg.hh.gkbar = k_density((i + 0.5) * SEG_UM) * 1e-3  # S/cm²
            seg.ena, seg.ek = 50.0, -77.0
        if secs:
            sec.connect(secs[-1](1.0), 0.0)
        secs.append(sec)
    h.usetable_hh = 0
    h.celsius = 6.3
    ic = h.IClamp(secs[0](0.5))
    ic.delay, ic.dur, ic.amp = START, DUR, AMP_NA
    h.dt, h.secondorder = DT, 2
    vv = h.Vector().record(secs[-1](0.5)._ref_v)
    tv = h.Vector().record(h._ref_t)
    h.finitialize(-65.0)
    h.continuerun(T_STOP)
    theirs = crossings(np.array(tv), np.array(vv))
    h.usetable_hh = 1
    h.secondorder = 0
    assert len(theirs) >= 2 and len(ours) == len(theirs)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("density, params, expect", [
    (K_NON_UNIFORM.replace("exp(-p/300)", "exp(-q/300)"), None, "'q'"),
    (K_NON_UNIFORM.replace("360 * exp(-p/300)", "1 - p/100"), None,
     "'1 - p/100' is -0.25 at p = 125 um (segment 2); a condDensity must be finite and >= 0"),
    (K_NON_UNIFORM, '<inhomogeneousParameter id="PathLengthOver_all" variable="p" metric="Path Length from root">'
     '<distal normalizationEnd="1"/></inhomogeneousParameter>', "normalizationEnd is not supported"),
    ('<channelDensityGHK2 id="K" ionChannel="kChan" condDensity="1mS_per_cm2" ion="k"/>', None,
     "<channelDensityGHK2> is not supported"),
])
def test_densities_hhsim_cannot_read_are_refused_in_one_line(density, params, expect, tmp_path, capsys):
    path = tmp_path / "bad.nml"
    path.write_text(cell_file(density, group_params=params))
    with pytest.raises(ModelError) as exc:
        nml.load_cable_cell(path)
    assert expect in str(exc.value) and "\n" not in str(exc.value)
    _, line = cli_error(capsys, "import-neuroml", str(path))
    assert expect in line and str(path) in line


def test_export_then_import_gives_the_same_spikes(tmp_path, capsys):
    """hhsim writes the cell as one uniform density per segment group (NeuroML's content
    alone); read back, it has the same densities and gives the same spike times (to
    rounding: the channels' currents may be summed in another order)."""
    nml_utils = pytest.importorskip("neuroml.utils")
    path = tmp_path / "cable.nml"
    path.write_text(cell_file(K_NON_UNIFORM))
    cc, ours = hhsim_run(path)
    out = nml.write_neuroml(cc, tmp_path / "out.nml")
    nml_utils.validate_neuroml2(str(out))
    assert "valid" in capsys.readouterr().out
    back, again = hhsim_run(out)
    def k_of(cell):
        return [next(c.gbar for c in cell.channels[s.region].channels if c.name.endswith("K"))
                for s in cell.morph.sections]

    assert k_of(back) == k_of(cc)
    assert len(ours) >= 2
    np.testing.assert_allclose(again, ours, rtol=0, atol=1e-9)


def test_pyneuroml_inhomogeneous_example_reads_as_it_says(tmp_path):
    """NML2_InhomogeneousParams.nml, shipped inside pyNeuroML (with the channel file it
    includes): Na on the dendrite group at 5e-7 exp(-p/200) S/m² ("value is in SI units",
    its comment says), p the path length from the root; the soma has none."""
    from test_neuroml import example

    example("NML2_SimpleIonChannel.nml", tmp_path)
    cc = nml.load_cable_cell(example("NML2_InhomogeneousParams.nml", tmp_path))
    by_segment = {name: cc.channels[region] for name, region in
                  ((s.name, s.region) for s in cc.morph.sections)}
    assert not any(c.name == "nonuniform_na_chans" for c in by_segment["Soma"].channels)
    for name, p_mid in (("MainDendrite1", 15.0), ("MainDendrite2", 25.0)):  # middles, µm from the root
        na = by_segment[name].channel("nonuniform_na_chans")
        assert na.gbar == pytest.approx(0.1 * 5e-7 * math.exp(-p_mid / 200), rel=1e-14)  # mS/cm²
        assert na.E == 50.0 and na.ion == "na"
