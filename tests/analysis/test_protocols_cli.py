"""Every protocol subcommand: JSON keys with units, figures written, and one clean line
with exit status 2 (no traceback) for each bad input."""

from __future__ import annotations

import json

import pytest

from helpers.cli import cli_error, run_cli

PNG = b"\x89PNG\r\n\x1a\n"


def ok_json(capsys, *args):
    code, out, err = run_cli(capsys, *args, "--json", "--quiet")
    assert code == 0, err
    return json.loads(out)


# ------------------------------------------------------------------ happy paths
def test_rheobase(capsys, tmp_path, ref_rheobase):
    png = tmp_path / "rheo.png"
    d = ok_json(capsys, "rheobase", "--plot", str(png))
    assert d["rheobase_uA_cm2"] == pytest.approx(ref_rheobase, rel=1e-3)
    assert d["model"] == "hh" and d["step_dur_ms"] == 200.0
    assert png.read_bytes()[:8] == PNG


def test_threshold(capsys, ref_threshold_1ms):
    d = ok_json(capsys, "threshold", "--pulse-dur", "1")
    assert d["threshold_uA_cm2"] == pytest.approx(ref_threshold_1ms, rel=1e-3)
    assert d["pulse_dur_ms"] == 1.0


def test_threshold_text_output(capsys):
    code, out, err = run_cli(capsys, "threshold", "--pulse-dur", "1", "--quiet")
    assert code == 0, err
    assert "threshold (1 ms pulse)" in out and "µA/cm²" in out


def test_strength_duration(capsys, tmp_path):
    svg = tmp_path / "sd.svg"
    d = ok_json(capsys, "strength-duration", "--n", "5", "--plot", str(svg))
    for key in ("rheobase_uA_cm2", "chronaxie_ms", "points", "fits", "measured"):
        assert key in d
    assert len(d["points"]) == 5 and all(len(p) == 2 for p in d["points"])
    assert d["points"][0][0] == pytest.approx(0.05) and d["points"][-1][0] == pytest.approx(50.0)
    assert d["points"][0][1] > d["points"][-1][1]
    assert svg.read_text().lstrip().startswith("<?xml")


def test_fi(capsys, tmp_path):
    png = tmp_path / "fi.png"
    d = ok_json(capsys, "fi", "--i-min", "5", "--i-max", "12", "--n", "8", "--dur", "300", "--plot", str(png))
    for key in ("currents_uA_cm2", "rates_hz", "rates_up_hz", "rates_down_hz", "bistable_range_uA_cm2"):
        assert key in d
    assert len(d["currents_uA_cm2"]) == 8 and d["currents_uA_cm2"][0] == 5.0
    assert png.stat().st_size > 0


def test_refractory(capsys, tmp_path):
    png = tmp_path / "refr.png"
    d = ok_json(capsys, "refractory", "--intervals", "4:20:4", "--max-interval", "25", "--plot", str(png))
    assert 0 < d["absolute_ms"] < d["relative_ms"]
    assert [c[0] for c in d["curve"]] == [4.0, 8.0, 12.0, 16.0, 20.0]
    assert d["curve"][0][1] is None  # 4 ms: absolutely refractory
    assert png.stat().st_size > 0


def test_anode_break(capsys, tmp_path):
    png = tmp_path / "ab.pdf"
    d = ok_json(capsys, "anode-break", "--dur", "20", "--plot", str(png))
    assert 1.0 < d["threshold_uA_cm2"] < 5.0
    assert d["injected_uA_cm2"] == pytest.approx(-d["threshold_uA_cm2"])
    assert png.read_bytes()[:4] == b"%PDF"


def test_anode_break_t_current_rebound(capsys):
    """The LTS cell's T-current rebound, from the command line: 100 ms steps, default bracket."""
    d = ok_json(capsys, "anode-break", "--model", "pospischil_lts", "--dur", "100")
    assert 0 < d["threshold_uA_cm2"] < 1.0
    assert d["method"] == "dopri5"


def test_vclamp(capsys, tmp_path):
    png = tmp_path / "vc.png"
    d = ok_json(capsys, "vclamp", "--hold", "-65", "--steps", "-80:40:20", "--dur", "20", "--plot", str(png))
    assert d["steps_mV"] == [-80.0, -60.0, -40.0, -20.0, 0.0, 20.0, 40.0]
    assert len(d["peak_inward_uA_cm2"]) == len(d["steady_state_uA_cm2"]) == 7
    assert set(d["peak_currents_uA_cm2"]) == {"Na", "K", "L"}
    assert d["hold_mV"] == -65.0 and d["clamp"] == "ideal"
    assert png.stat().st_size > 0


def test_vclamp_series_resistance(capsys):
    d = ok_json(capsys, "vclamp", "--steps", "-40:0:40", "--dur", "10", "--rs", "5", "--gain", "1000",
                "--prepulses", "-100:-40:20")
    assert d["clamp"] == "series-resistance" and d["gain"] == 1000.0
    assert len(d["v_error_mV"]) == 2 and d["v_error_mV"][1] > 0


def test_scan(capsys, tmp_path):
    png = tmp_path / "scan.png"
    d = ok_json(capsys, "scan", "--param", "gNa=60:120:3", "--measure", "spike_count",
                "--stim", "step(amp=10, start=10, dur=50)", "--plot", str(png))
    assert d["param"] == "gNa" and d["measure"] == "n_spikes" and d["values"] == [60.0, 90.0, 120.0]
    assert len(d["results"]) == 3 and d["results"][-1] >= 2
    assert png.stat().st_size > 0


def test_protocol_with_set_temperature_and_drug(capsys):
    base = ok_json(capsys, "threshold", "--pulse-dur", "1")
    warm = ok_json(capsys, "threshold", "--pulse-dur", "1", "--temperature", "16.3")
    low = ok_json(capsys, "threshold", "--pulse-dur", "1", "--set", "gNa=80")
    ttx = ok_json(capsys, "threshold", "--pulse-dur", "1", "--drug", "ttx=3nM")
    assert warm["temperature_C"] == 16.3
    assert warm["threshold_uA_cm2"] != base["threshold_uA_cm2"]
    assert low["threshold_uA_cm2"] > base["threshold_uA_cm2"]
    assert ttx["threshold_uA_cm2"] > base["threshold_uA_cm2"] and "TTX" in ttx["model"]


def test_help_lists_the_lab(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for cmd in ("rheobase", "threshold", "strength-duration", "fi", "refractory", "anode-break", "vclamp", "scan"):
        assert cmd in out


# ------------------------------------------------------------------ bad inputs
BAD = [
    (["rheobase", "--dur", "0"], "dur"),
    (["rheobase", "--dur", "-5"], "dur"),
    (["rheobase", "--i-max", "1"], "largest amplitude tried, 1 µA/cm²"),
    (["threshold", "--pulse-dur", "0"], "pulse duration"),
    (["threshold", "--pulse-dur", "1", "--i-max", "2"], "largest amplitude tried, 2 µA/cm²"),
    (["strength-duration", "--d-min", "5", "--d-max", "1"], "reversed"),
    (["strength-duration", "--d-min", "1", "--d-max", "1"], "empty"),
    (["strength-duration", "--n", "1"], "number of durations"),
    (["strength-duration", "--law", "ohm"], "law"),
    (["fi", "--i-min", "10", "--i-max", "5"], "reversed"),
    (["fi", "--i-min", "5", "--i-max", "5"], "empty"),
    (["fi", "--n", "1"], "--n"),
    (["fi", "--dur", "0"], "--dur"),
    (["refractory", "--pulse-dur", "-1"], "pulse duration"),
    (["refractory", "--intervals", "20:4:4"], "reversed"),
    (["refractory", "--intervals", "4:20:0"], "step"),
    (["refractory", "--intervals", "four"], "START:STOP:STEP"),
    (["anode-break", "--dur", "0"], "duration"),
    (["anode-break", "--i-max", "0.5"], "largest amplitude tried, 0.5 µA/cm²"),
    (["vclamp", "--steps", "60:-100:10"], "reversed"),
    (["vclamp", "--steps", "-100:60:0"], "step"),
    (["vclamp", "--steps", "-100:60"], "START:STOP:STEP"),
    (["vclamp", "--dur", "0"], "--dur"),
    (["vclamp", "--rs", "-1"], "series resistance"),
    (["vclamp", "--gain", "100"], "--gain"),
    (["scan", "--param", "gFoo=1:2:3", "--measure", "n_spikes"], "unknown parameter 'gFoo'"),
    (["scan", "--param", "gNa=60:120:3", "--measure", "wobble"], "unknown feature 'wobble'"),
    (["scan", "--param", "gNa=120:60:3", "--measure", "n_spikes"], "reversed"),
    (["scan", "--param", "gNa=60:120:1", "--measure", "n_spikes"], "N"),
    (["scan", "--param", "gNa", "--measure", "n_spikes"], "NAME=START:STOP:N"),
    (["scan", "--param", "gNa=60:120:3", "--measure", "n_spikes", "--stim", "step(amp=oops)"], "amp"),
    (["rheobase", "--set", "gFoo=3"], "gFoo"),
    (["rheobase", "--drug", "ttx"], "concentration"),
    (["rheobase", "--method", "lsoda"], "accepted: dopri5"),
    (["rheobase", "--plot", "out.txt"], ".png"),
    (["rheobase", "--model", "squid"], "unknown model"),
]


@pytest.mark.parametrize("args, fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2(capsys, args, fragment):
    out, line = cli_error(capsys, *args, "--quiet")
    assert out == ""
    assert line.startswith("hhsim: error:")
    assert fragment in line


def test_bad_plot_path_fails_before_any_work(capsys, tmp_path):
    code, _, err = run_cli(capsys, "fi", "--plot", str(tmp_path / "missing" / "fi.png"))
    assert code == 2 and "does not exist" in err
