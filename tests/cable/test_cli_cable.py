"""``hhsim cable``: the preset, outputs, pictures, and one clean line + exit 2 for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from helpers.cli import run_cli

from ._travelling_wave import hh_wave_velocity


def test_preset_hh1952_axon_json(capsys):
    code, out, err = run_cli(capsys, "cable", "--preset", "hh1952-axon", "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("velocity_m_s", "propagated", "n_compartments", "spike_amplitude_mV"):
        assert key in data
    assert data["propagated"] is True
    assert data["n_compartments"] == 1200 and data["temperature_C"] == 18.5
    assert data["diam_um"] == 476 and data["ri_ohm_cm"] == 35.4
    assert data["velocity_m_s"] == pytest.approx(hh_wave_velocity(18.5), rel=1e-3)
    assert 80 < data["spike_amplitude_mV"] < 110


def test_cable_options_and_text_output(capsys):
    code, out, err = run_cli(capsys, "cable", "--length", "1", "--diam", "100", "--ri", "50", "--dx", "100",
                             "--temperature", "10", "--stim", "pulses(amp=3000, dur=0.3, start=0.2, at=0)",
                             "--t-stop", "6")
    assert code == 0, err
    assert "conduction velocity" in out and "propagated           yes" in out
    code, out, err = run_cli(capsys, "cable", "--length", "1", "--diam", "100", "--dx", "100", "--json",
                             "--stim", "pulses(amp=3000, dur=0.3, start=0.2, x=0.5)", "--t-stop", "6")
    data = json.loads(out)
    assert data["n_compartments"] == 100 and data["dx_um"] == 100


def test_plot_animation_and_data_files(tmp_path, capsys):
    png, gif, npz = tmp_path / "k.png", tmp_path / "k.gif", tmp_path / "v.npz"
    code, out, err = run_cli(capsys, "cable", "--length", "1", "--diam", "200", "--dx", "100",
                             "--plot", str(png), "--animate", str(gif), "--out", str(npz))
    assert code == 0, err
    assert Image.open(png).size[0] > 400
    with Image.open(gif) as im:
        assert im.n_frames > 10
    data = np.load(npz)
    assert data["v_mV"].shape == (data["t_ms"].size, data["x_um"].size)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.gif", "k.png", "v.npz"]  # no temporaries left


def test_swc_morphology(tmp_path, capsys):
    swc = tmp_path / "cell.swc"
    swc.write_text("1 1 0 0 0 10 -1\n2 2 10 0 0 1 1\n3 2 1010 0 0 1 2\n4 3 -10 0 0 1 1\n5 3 -300 0 0 1 4\n")
    code, out, err = run_cli(capsys, "cable", "--swc", str(swc), "--dx", "20", "--json", "--t-stop", "10")
    assert code == 0, err
    data = json.loads(out)
    assert data["propagated"] is True and data["n_compartments"] > 50


@pytest.mark.parametrize("args, needle", [
    (["--length", "-1"], "--length must be a number > 0 cm"),
    (["--diam", "0"], "--diam must be a number > 0"),
    (["--ri", "-3"], "--ri must be a number > 0"),
    (["--dx", "0"], "compartment length dx must be a number > 0"),
    (["--length", "1e6", "--dx", "1e-4"], "would need about"),
    (["--stim", "pulses(amp=10, dur=1, at=50000)"], "outside the cable"),
    (["--stim", "pulses(amp=10, dur=1, x=1.5)"], "outside the cable"),
    (["--stim", "pulses(amp=10, dur=1, at=abc)"], "is not a finite number"),
    (["--preset", "nope"], "unknown cable preset"),
    (["--method", "rk4", "--dt", "0.01"], "unstable"),
    (["--method", "leapfrog"], "unknown cable method"),
    (["--boundary", "open"], "unknown boundary condition"),
])
def test_bad_input_one_line_exit_2(capsys, args, needle):
    code, out, err = run_cli(capsys, "cable", "--length", "1", *args)
    assert code == 2
    assert err.startswith("hhsim: error:") and needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("content, needle", [
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 3\n3 3 10 0 0 1 2\n", "cycle"),
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 1\n3 3 10 0 0 1 7\n", "does not exist"),
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 1\n2 3 10 0 0 1 1\n", "duplicate sample id"),
    ("1 1 0 0 0 5 2\n2 3 5 0 0 1 1\n", "no root sample"),
])
def test_bad_swc_one_line_exit_2(tmp_path, capsys, content, needle):
    swc = tmp_path / "bad.swc"
    swc.write_text(content)
    code, out, err = run_cli(capsys, "cable", "--swc", str(swc))
    assert code == 2 and needle in err and err.count("\n") == 1
