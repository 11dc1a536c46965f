"""NWB output: files read back by pynwb hold the simulated traces, spikes and states,
and nwbinspector reports nothing that applies to a simulation."""

from __future__ import annotations

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")
pytest.importorskip("nwbinspector")

import hhsim  # noqa: E402
from hhsim.interop import nwb  # noqa: E402


def _read(path):
    io = pynwb.NWBHDF5IO(str(path), "r")
    return io, io.read()


def test_run_written_as_current_clamp(tmp_path):
    r = hhsim.simulate("hh", hhsim.stim.step(10.0, start=5.0, dur=30.0), t_stop=50.0)
    path = r.save(tmp_path / "run.nwb")
    assert nwb.inspect(path) == []
    io, f = _read(path)
    with io:
        resp = f.acquisition["membrane_potential"]
        stim = f.stimulus["stimulus"]
        assert resp.neurodata_type == "CurrentClampSeries" and stim.neurodata_type == "CurrentClampStimulusSeries"
        np.testing.assert_array_equal(resp.data[:] * resp.conversion, r.v * 1e-3)
        assert resp.rate == pytest.approx(1e3 / r.dt) and resp.starting_time == 0.0
        # 10 uA/cm2 on the default 1000 um2 membrane: 1e-10 A = 100 pA
        np.testing.assert_allclose(stim.data[:] * stim.conversion, r.stimulus * 1e-14 * nwb.DEFAULT_AREA_UM2)
        rec = f.intracellular_recordings.to_dataframe()
        assert len(rec) == 1
        np.testing.assert_allclose(f.units["spike_times"][0], r.spike_times * 1e-3)
        assert f.units.resolution == pytest.approx(r.dt * 1e-3)
        misc = f.processing["misc"]
        np.testing.assert_array_equal(misc["state_m"].data[:], r.states["m"])
        np.testing.assert_allclose(misc["current_Na"].data[:] * misc["current_Na"].conversion,
                                   r.currents["Na"] * 1e-2)  # uA/cm2 in A/m2


def test_threshold_search_and_network_written(tmp_path, capsys):
    from helpers.cli import run_cli

    out = tmp_path / "rheobase.nwb"
    code, stdout, err = run_cli(capsys, "rheobase", "--dur", "50", "--out", str(out))
    assert code == 0, err
    assert nwb.inspect(out) == []
    io, f = _read(out)
    with io:
        assert len(f.intracellular_recordings.to_dataframe()) == 2
        below, above = f.units["spike_times"][0], f.units["spike_times"][1]
        assert len(below) == 0 and len(above) >= 1
    net_out = tmp_path / "chain.nwb"
    code, stdout, err = run_cli(capsys, "network", "--preset", "chain", "--t-stop", "20", "--out", str(net_out))
    assert code == 0, err
    assert nwb.inspect(net_out) == []
    from hhsim.network import presets, simulate_network

    r = simulate_network(presets.get("chain").replace(t_stop=20.0), progress=False)
    io, f = _read(net_out)
    with io:
        df = f.units.to_dataframe()
        assert len(df) == r.sizes["chain"]
        for _, row in df.iterrows():
            idx, t = r.spikes[row["population"]]
            np.testing.assert_allclose(row["spike_times"], np.sort(t[idx == row["neuron"]]) * 1e-3)
        v = f.processing["misc"]["chain_v"]
        np.testing.assert_array_equal(v.data[:], r.v["chain"])


def test_bad_nwb_output(tmp_path, capsys):
    from helpers.cli import cli_error

    _, line = cli_error(capsys, "rheobase", "--out", str(tmp_path / "x.csv"))
    assert ".nwb" in line
    _, line = cli_error(capsys, "run", "--out", str(tmp_path / "missing" / "x.nwb"))
    assert "does not exist" in line


def test_fi_curve_written_as_one_sweep_per_current(tmp_path, capsys):
    import json

    from helpers.cli import run_cli

    out = tmp_path / "fi.nwb"
    args = ["fi", "--i-min", "0", "--i-max", "15", "--n", "4", "--dur", "100"]
    code, stdout, err = run_cli(capsys, *args, "--out", str(out))
    assert code == 0, err
    assert nwb.inspect(out) == []
    code, text, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    rates = json.loads(text)["rates_hz"]
    io, f = _read(out)
    with io:
        assert len(f.intracellular_recordings.to_dataframe()) == 4
        for k, amp in enumerate(np.linspace(0.0, 15.0, 4)):
            v = f.acquisition[f"membrane_potential_{k}"]
            stim = f.stimulus[f"stimulus_{k}"]
            trace = v.data[:] * v.conversion * 1e3  # mV
            t = v.starting_time * 1e3 + np.arange(trace.size) / v.rate * 1e3  # ms
            # the step of the sweep, 1000 um2 membrane: amp uA/cm2 = amp * 10 pA
            np.testing.assert_allclose(stim.data[1:-1] * stim.conversion, amp * 1e-14 * nwb.DEFAULT_AREA_UM2)
            spikes = np.asarray(f.units["spike_times"][k]) * 1e3
            assert spikes.size > 0 or rates[k] == 0  # a steady rate needs spikes (an onset spike alone has none)
            # the recorded trace crosses 0 mV upward where the unit's spikes are (within a step)
            up = np.flatnonzero((trace[:-1] < 0.0) & (trace[1:] >= 0.0))
            assert up.size == spikes.size
            assert np.all(np.abs(t[up] - spikes) <= 1.0 / v.rate * 1e3 + 1e-9)
        assert rates[-1] > 0 and len(f.units["spike_times"][3]) > 1


@pytest.mark.parametrize("extra", [[], ["--rs", "2"]])
def test_voltage_clamp_written_as_voltage_clamp_sweeps(tmp_path, capsys, extra):
    from helpers.cli import run_cli

    out = tmp_path / "vc.nwb"
    code, stdout, err = run_cli(capsys, "vclamp", "--steps", "-60:20:40", "--dur", "10", *extra, "--out", str(out))
    assert code == 0, err
    assert nwb.inspect(out) == []
    r = hhsim.analysis.vclamp("hh", np.array([-60.0, -20.0, 20.0]), dur=10.0,
                              series_resistance=float(extra[1]) if extra else None)
    io, f = _read(out)
    with io:
        assert len(f.intracellular_recordings.to_dataframe()) == 3
        for k in range(3):
            cmd, cur = f.stimulus[f"command_{k}"], f.acquisition[f"clamp_current_{k}"]
            assert cmd.neurodata_type == "VoltageClampStimulusSeries" and cur.neurodata_type == "VoltageClampSeries"
            np.testing.assert_allclose(cmd.data[:] * cmd.conversion, r.v_cmd_mV[k] * 1e-3)
            density = r.i_total_uA_cm2[k] if not extra else r.i_clamp_uA_cm2[k]
            # uA/cm2 on the default 1000 um2: x 1e-14 A per (uA/cm2 um2)
            np.testing.assert_allclose(cur.data[:] * cur.conversion, density * 1e-14 * nwb.DEFAULT_AREA_UM2)
        # at 20 mV the hh membrane passes an outward (K) current at the end of the step
        assert cur.data[int(0.9 * (5.0 + 10.0) * cur.rate * 1e-3)] > 0


def test_recovery_curve_written_as_paired_pulse_sweeps(tmp_path, capsys):
    from helpers.cli import run_cli

    out = tmp_path / "refractory.nwb"
    code, stdout, err = run_cli(capsys, "refractory", "--intervals", "4:12:4", "--out", str(out))
    assert code == 0, err
    assert nwb.inspect(out) == []
    r = hhsim.analysis.refractory("hh", intervals=np.array([4.0, 8.0, 12.0]))
    io, f = _read(out)
    with io:
        assert len(f.intracellular_recordings.to_dataframe()) == 4  # the conditioning pulse alone, 3 pairs
        alone = f.acquisition["membrane_potential_0"]
        np.testing.assert_array_equal(alone.data[:], r.v_mV)  # stored in mV, with a conversion to volts
        assert alone.conversion == 1e-3
        assert len(f.units["spike_times"][0]) == 1  # the conditioning spike
        for k, interval in enumerate(r.intervals_ms):
            v = f.acquisition[f"membrane_potential_{k + 1}"].data[:]
            i = f.stimulus[f"stimulus_{k + 1}"].data[:] / nwb.DEFAULT_AREA_UM2  # back to uA/cm2
            dt = r.dt_ms
            start = int(round((r.delay_ms + interval) / dt))
            np.testing.assert_array_equal(v[:start], r.v_mV[:start])  # the conditioning response
            np.testing.assert_array_equal(v[start:], r.test_v_mV[k])  # then the test's
            # two pulses: the conditioning one, then the test one of the recorded amplitude
            on = i > 0
            assert np.isclose(i[start + 1], r.test_amplitude_uA_cm2[k]) and on[:start].sum() > 0
            # just above threshold, a second spike; inside the absolute refractory period (no
            # threshold found, the largest pulse tried) none
            assert len(f.units["spike_times"][k + 1]) == (2 if np.isfinite(r.threshold_ratio[k]) else 1)
        assert np.isfinite(r.threshold_ratio).sum() == 2


def test_scan_of_a_trace_feature_written_as_one_sweep_per_value(tmp_path, capsys):
    from helpers.cli import cli_error, run_cli

    out = tmp_path / "scan.nwb"
    args = ["scan", "--param", "gNa=80:160:3", "--measure", "spike_count", "--stim", "step(amp=10, start=5, dur=40)"]
    code, stdout, err = run_cli(capsys, *args, "--out", str(out))
    assert code == 0, err
    assert nwb.inspect(out) == []
    r = hhsim.analysis.scan("hh", "gNa", [80.0, 120.0, 160.0], "spike_count",
                            stimulus=hhsim.stim.step(10.0, start=5.0, dur=40.0))
    io, f = _read(out)
    with io:
        assert len(f.intracellular_recordings.to_dataframe()) == 3
        for k in range(3):
            np.testing.assert_array_equal(f.acquisition[f"membrane_potential_{k}"].data[:], r.v_mV[k])
            i = f.stimulus[f"stimulus_{k}"].data[:] / nwb.DEFAULT_AREA_UM2
            np.testing.assert_allclose(i, np.where((r.t_ms >= 5.0) & (r.t_ms < 45.0), 10.0, 0.0), atol=1e-12)
            assert len(f.units["spike_times"][k]) == r.results[k]  # the feature counted the same spikes
    # a measure that keeps no traces is refused before any work, in one line
    _, line = cli_error(capsys, "scan", "--param", "gNa=80:160:3", "--measure", "rheobase_uA_cm2",
                        "--out", str(tmp_path / "none.nwb"))
    assert "keeps none" in line and "n_spikes" in line
    assert not (tmp_path / "none.nwb").exists()
