"""Readers: units read from the file and converted once (mV, µA/cm² through the area),
stimuli rebuilt from sampled protocols, ABF files through pyabf."""

import numpy as np
import pytest

from hhsim import stim
from hhsim.fit import CURRENT_CLAMP, VOLTAGE_CLAMP, DataError, read_recording
from hhsim.fit.simulate import group_sweeps


def test_csv_voltage_clamp_in_pa_and_volts(tmp_path):
    """Currents in pA become µA/cm² through the area (1 pA on 1000 µm² is 0.1 µA/cm²);
    a command column in volts becomes mV and exact steps."""
    t = np.arange(0, 10.0001, 0.1)
    command_v = np.where((t >= 2.0) & (t < 7.0), 0.010, -0.070)
    current_pa = np.where(t >= 2.0, 50.0, -5.0)
    path = tmp_path / "vc.csv"
    with open(path, "w") as fh:
        fh.write("t_ms,step_pA,stim_step_V\n")
        np.savetxt(fh, np.column_stack([t, current_pa, command_v]), delimiter=",", fmt="%.10g")
    (s,) = read_recording(path, area_um2=1000.0)
    assert s.clamp == VOLTAGE_CLAMP
    np.testing.assert_allclose(s.values, current_pa * 0.1 / 1.0, rtol=1e-12)
    ref = stim.step(-70.0) + stim.step(80.0, start=2.0, dur=5.0)
    probe = np.linspace(0, 10, 1001)
    np.testing.assert_allclose(s.stimulus.value(probe), ref.value(probe), atol=1e-9)


def test_csv_units_option_and_time_in_seconds(tmp_path):
    t_s = np.arange(0, 0.01, 0.0001)
    path = tmp_path / "cc.csv"
    with open(path, "w") as fh:
        fh.write("t_s,a\n")
        np.savetxt(fh, np.column_stack([t_s, np.full(t_s.size, -0.065)]), delimiter=",", fmt="%.10g")
    (s,) = read_recording(path, units="V", stimuli=[stim.step(1.0, start=2.0, dur=3.0)])
    assert s.clamp == CURRENT_CLAMP and s.dt_ms == pytest.approx(0.1)
    np.testing.assert_allclose(s.values, -65.0)


def test_abf_file_written_by_pyabf(tmp_path):
    pyabf = pytest.importorskip("pyabf")
    from pyabf.abfWriter import writeABF1

    rate = 20000.0  # Hz: 0.05 ms samples
    t = np.arange(2000) / rate * 1000.0
    sweeps = np.array([-65.0 + 10.0 * np.sin(t / 7.0 + k) for k in range(3)])
    path = tmp_path / "cell.abf"
    writeABF1(sweeps, str(path), rate, units="mV")
    specs = [stim.step(a, start=10.0, dur=50.0) for a in (1.0, 2.0, 3.0)]
    got = read_recording(path, stimuli=specs)
    assert [s.clamp for s in got] == [CURRENT_CLAMP] * 3
    for s, ref in zip(got, sweeps):
        assert s.dt_ms == pytest.approx(0.05)
        np.testing.assert_allclose(s.values, ref, atol=0.01)  # ABF1 stores 16-bit integers
    # a family of one step shape at three amplitudes is one batch
    (g,) = group_sweeps(got)
    assert g.members == (0, 1, 2) and g.scales == pytest.approx((1.0, 2.0, 3.0))
    with pytest.raises(DataError, match="no protocol waveform"):
        read_recording(path)
    assert pyabf is not None


def test_nwb_voltage_clamp(tmp_path):
    """A VoltageClampSeries in amperes with its VoltageClampStimulusSeries in volts."""
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.icephys import VoltageClampSeries, VoltageClampStimulusSeries

    nwb = NWBFile(session_description="vc", identifier="vc", session_start_time=datetime(2026, 1, 1,
                                                                                          tzinfo=timezone.utc))
    dev = nwb.create_device(name="amp")
    el = nwb.create_icephys_electrode(name="e", description="pipette", device=dev)
    n, rate = 400, 40000.0
    t = np.arange(n) / rate * 1000.0
    command = np.where((t >= 1.0) & (t < 6.0), -0.020, -0.065)
    current = np.where(t >= 1.0, 2e-9, 0.0)  # 2 nA
    st = VoltageClampStimulusSeries(name="cmd", data=command, electrode=el, gain=1.0, rate=rate, sweep_number=0)
    resp = VoltageClampSeries(name="i", data=current, electrode=el, gain=1.0, rate=rate, sweep_number=0)
    nwb.add_intracellular_recording(electrode=el, stimulus=st, response=resp)
    path = tmp_path / "vc.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    with pytest.raises(DataError, match="--area"):
        read_recording(path)
    (s,) = read_recording(path, area_um2=2000.0)
    assert s.clamp == VOLTAGE_CLAMP
    # 2 nA on 2000 µm² (2e-5 cm²) = 2e-3 µA / 2e-5 cm² = 100 µA/cm²
    np.testing.assert_allclose(s.values, np.where(t >= 1.0, 100.0, 0.0), rtol=1e-9)
    assert s.stimulus.value(np.array([0.5, 3.0, 7.0])) == pytest.approx([-65.0, -20.0, -65.0])
