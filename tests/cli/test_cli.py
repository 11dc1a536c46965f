"""Command-line behaviour: every command, and one clean line + exit 2 for each bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from helpers.cli import cli_error, run_cli


def test_run_json_reports_the_classic_two_spikes(capsys):
    code, out, err = run_cli(capsys, "run", "--stim", "step(amp=10, start=10, dur=30)",
                             "--t-stop", "80", "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("model", "method", "dt_ms", "t_stop_ms", "n_spikes", "spike_times_ms",
                "v_rest_mV", "v_max_mV", "v_min_mV"):
        assert key in data
    assert data["model"] == "hh" and data["t_stop_ms"] == 80
    # 10 uA/cm2 for 30 ms drives the squid axon at ~68 Hz: spikes ~15 ms apart, first ~2 ms after onset.
    assert data["n_spikes"] == len(data["spike_times_ms"]) >= 2
    assert 10 < data["spike_times_ms"][0] < 13
    assert -66 < data["v_rest_mV"] < -64
    assert data["v_max_mV"] > 30 and data["v_min_mV"] < data["v_rest_mV"]


def test_run_set_and_temperature_change_the_result(capsys):
    _, out1, _ = run_cli(capsys, "run", "--stim", "step(amp=10)", "--t-stop", "50", "--json")
    _, out2, _ = run_cli(capsys, "run", "--stim", "step(amp=10)", "--t-stop", "50", "--json",
                         "--temperature", "16.3", "--set", "gNa=100")
    a, b = json.loads(out1), json.loads(out2)
    assert b["temperature_C"] == 16.3
    assert a["spike_times_ms"] != b["spike_times_ms"]


def test_run_writes_every_output_format(tmp_path, capsys):
    csv, npz, nc, png = (tmp_path / f"r.{s}" for s in ("csv", "npz", "nc", "png"))
    for target in (csv, npz, nc):
        code, _, err = run_cli(capsys, "run", "--stim", "step(amp=10, start=5, dur=10)",
                               "--t-stop", "20", "--out", str(target))
        assert code == 0, err
        assert target.exists()
    header = csv.read_text().splitlines()[0].split(",")
    assert header[:2] == ["t_ms", "v_mV"]
    assert {"m", "h", "n", "i_na_uA_cm2", "i_k_uA_cm2", "i_l_uA_cm2", "i_stim_uA_cm2"} <= set(header)
    data = np.load(npz)
    assert data["t_ms"][-1] == pytest.approx(20.0)
    code, _, err = run_cli(capsys, "run", "--t-stop", "5", "--plot", str(png))
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_models_lists_presets_and_shows_parameters(capsys):
    code, out, _ = run_cli(capsys, "models")
    assert code == 0 and "hh1952" in out and "Hodgkin" in out
    code, out, _ = run_cli(capsys, "models", "hh")
    assert code == 0
    assert "gNa" in out and "120" in out and "alpha_m" in out


def test_demo_writes_figure_gif_csv_and_summary(tmp_path, capsys):
    code, out, err = run_cli(capsys, "demo", "--outdir", str(tmp_path / "d"))
    assert code == 0, err
    for name in ("hh_demo.png", "hh_demo.gif", "hh_demo.csv"):
        assert (tmp_path / "d" / name).stat().st_size > 0
    assert "resting potential" in out and "spikes" in out and "after-hyperpolarisation" in out


BAD_INPUTS = [
    (["run", "--model", "squid"], "unknown model"),
    (["run", "--set", "gFoo=1"], "unknown parameter"),
    (["run", "--set", "gNa"], "NAME=VALUE"),
    (["run", "--method", "leapfrog"], "unknown method"),
    (["run", "--dt", "0"], "dt must be"),
    (["run", "--dt", "-0.1"], "dt must be"),
    (["run", "--t-stop", "0"], "t_stop must be"),
    (["run", "--t-stop", "1", "--dt", "2"], "must not exceed"),
    (["run", "--stim", "step(amp=1"], "malformed stimulus"),
    (["run", "--stim", "step(amp=1, width=3)"], "unknown keyword"),
    (["run", "--stim", "step(10)"], "keyword=value"),
    (["run", "--stim", "__import__('os').system('true')"], "stimulus"),
    (["run", "--stim", "step(amp=__import__('os'))"], "not a number"),
    (["run", "--stim", "system(cmd=1)"], "unknown stimulus"),
    (["run", "--set", "gNa=-5"], "gNa"),
    (["run", "--set", "Cm=0"], "Cm"),
    (["run", "--set", "Cm=-1"], "Cm"),
    (["run", "--stim", "file(path=/definitely/not/here.csv)"], "not found"),
    (["run", "--method", "euler", "--dt", "0.2", "--stim", "step(amp=10)", "--t-stop", "50"], "diverged"),
    (["run", "--out", "/definitely/not/here/out.csv"], "does not exist"),
    (["run", "--out", "trace.xlsx"], ".csv"),
    (["run", "--plot", "fig.bmp"], ".png"),
    (["run", "--animate", "movie.avi"], ".gif"),
    (["models", "nope"], "unknown model"),
]


@pytest.mark.parametrize("args,fragment", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_status_2(capsys, args, fragment):
    _, line = cli_error(capsys, *args)
    assert fragment in line


def test_malformed_stimulus_file(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("t_ms,i\n0,1\n1,abc\n")
    code, _, err = run_cli(capsys, "run", "--stim", f"file(path={bad})")
    assert code == 2 and "row 2" in err and len(err.strip().splitlines()) == 1


def test_divergence_writes_no_partial_file(tmp_path, capsys):
    out = tmp_path / "trace.csv"
    code, _, err = run_cli(capsys, "run", "--method", "euler", "--dt", "0.2", "--stim", "step(amp=10)",
                           "--t-stop", "50", "--out", str(out), "--plot", str(tmp_path / "f.png"))
    assert code == 2 and "t = " in err and "smaller dt" in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_directory(tmp_path, capsys):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # running as root: permissions are not enforced
            pytest.skip("directory permissions are not enforced for this user")
        code, _, err = run_cli(capsys, "run", "--out", str(locked / "x.csv"))
        assert code == 2 and "permission" in err
    finally:
        locked.chmod(0o700)


def test_file_stimulus_round_trip(tmp_path, capsys):
    f = tmp_path / "stim.csv"
    f.write_text("t_ms,i_uA_cm2\n0,0\n5,0\n5.0001,10\n20,10\n20.0001,0\n30,0\n")
    code, out, err = run_cli(capsys, "run", "--stim", f"file(path={f})", "--t-stop", "30", "--json")
    assert code == 0, err
    assert json.loads(out)["n_spikes"] >= 1


def test_console_script_has_no_traceback_on_error():
    proc = subprocess.run([sys.executable, "-m", "hhsim.cli.main", "run", "--model", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_help_lists_commands(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for cmd in ("run", "demo", "models"):
        assert cmd in out


A_CURRENT_TOML = """
name = "A"
gbar = 20.0
E = -77.0
ion = "k"

[params]
Va = -94.22

[[gates]]
name = "a"
power = 3
inf = "(0.0761*exp(0.0314*(V - Va))/(1 + exp(0.0346*(V + 1.17))))**(1/3)"
tau = "0.3632 + 1.158/(1 + exp(0.0497*(V + 55.96)))"
"""


def test_run_with_a_custom_channel_file(tmp_path, capsys):
    f = tmp_path / "a.toml"
    f.write_text(A_CURRENT_TOML)
    base = ["run", "--stim", "step(amp=10)", "--t-stop", "60", "--json"]
    _, plain, _ = run_cli(capsys, *base)
    code, off, err = run_cli(capsys, *base, "--channel", str(f), "--set", "gA=0")
    assert code == 0, err
    # a channel with zero conductance changes nothing (up to the adaptive
    # solver's tolerance: the extra state changes its step sizes)
    assert json.loads(off)["spike_times_ms"] == pytest.approx(json.loads(plain)["spike_times_ms"], abs=1e-4)
    code, on, err = run_cli(capsys, *base, "--channel", str(f))
    assert code == 0, err
    # an extra potassium conductance pulls rest towards EK = -77 mV
    assert -77 < json.loads(on)["v_rest_mV"] < json.loads(plain)["v_rest_mV"]


def test_bad_custom_channel_file_is_one_line(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(A_CURRENT_TOML.replace("0.3632 +", "__import__('os') +"))
    cli_error(capsys, "run", "--channel", str(f))
