"""Command line for the library: models, channels, rates, run with every preset, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hhsim
from helpers.cli import cli_error, run_cli

A_TOML = """
name = "A"
gbar = 20.0
E = -77.0
ion = "k"
q10_reference_c = 18.0
[params]
Va = -94.22
[[gates]]
name = "a"
power = 3
inf = "(0.0761*exp(0.0314*(V - Va))/(1 + exp(0.0346*(V + 1.17))))**(1/3)"
tau = "0.3632 + 1.158/(1 + exp(0.0497*(V + 55.96)))"
[[gates]]
name = "b"
power = 1
inf = "(1/(1 + exp(0.0688*(V + 53.3))))**4"
tau = "1.24 + 2.678/(1 + exp(0.0624*(V + 50)))"
"""


PRESETS = ["hh", "hh1952", "traub_miles", "wang_buzsaki", "connor_stevens", "erisir", "pospischil_rs",
           "pospischil_fs", "pospischil_ib", "pospischil_lts", "destexhe_tc"]


def test_preset_names_are_stable():
    assert hhsim.models.names() == PRESETS


def test_models_lists_every_preset_with_source(capsys):
    code, out, _ = run_cli(capsys, "models")
    assert code == 0
    for name in PRESETS:
        assert name in out
    for cite in ("Pospischil", "Wang X-J", "Erisir", "Destexhe", "Connor", "Brette"):
        assert cite in out


def test_models_name_shows_parameters_and_equations(capsys):
    code, out, _ = run_cli(capsys, "models", "pospischil_lts")
    assert code == 0
    for piece in ("gCaT", "K_out", "Ca_tau", "Ca_depth", "dCa_i/dt", "Nernst" if False else "ln(Ca_out/Ca_i)",
                  "s_inf(V)", "instantaneous", "tau_u(V)", "resting potential", "CaT.Vx", "-7"):
        assert piece in out, piece
    code, out, _ = run_cli(capsys, "models", "destexhe_tc")
    assert code == 0 and "GHK" in out and "pCaT" in out and "cm/s" in out


def test_channels_lists_library_and_shows_one(capsys):
    code, out, _ = run_cli(capsys, "channels")
    assert code == 0
    for name in hhsim.channels.names():
        assert name in out
    for family in ("traub", "wang_buzsaki", "connor_stevens", "m_current", "cal", "cat", "kahp", "ih", "nap"):
        assert f"channels/{family}.py" in out
    code, out, _ = run_cli(capsys, "channels", "kahp")
    assert code == 0 and "Ca_i" in out and "Destexhe" in out


def test_rates_text_plot_and_csv(tmp_path, capsys):
    code, out, err = run_cli(capsys, "rates", "--model", "hh")
    assert code == 0, err
    line = [ln for ln in out.splitlines() if ln.startswith("Na.m")][0]
    assert "-40.0" in line  # m_inf = 1/2 near -40 mV (textbook)
    png, csv = tmp_path / "r.png", tmp_path / "r.csv"
    code, out, err = run_cli(capsys, "rates", "--model", "destexhe_tc", "--plot", str(png), "--out", str(csv))
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = csv.read_text().splitlines()[0].split(",")
    assert header[0] == "V_mV" and "H.r_tau_ms" in header and "CaT.s_inf" in header
    data = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert data[0, 0] == -120.0 and data[-1, 0] == 60.0


def test_rates_of_hh_against_textbook(capsys, tmp_path):
    csv = tmp_path / "hh.csv"
    assert run_cli(capsys, "rates", "--model", "hh", "--out", str(csv))[0] == 0
    data = np.genfromtxt(csv, delimiter=",", names=True)
    v = data["V_mV"]
    ok = np.abs(v + 40) > 1e-6
    u = np.where(ok, v + 40, 1.0)
    am = 0.1 * u / (1 - np.exp(-u / 10))
    np.testing.assert_allclose(data["Nam_alpha_per_ms"][ok], am[ok], rtol=1e-9)


def test_custom_channel_file(tmp_path, capsys):
    f = tmp_path / "a.toml"
    f.write_text(A_TOML)
    code, out, err = run_cli(capsys, "channels", "--file", str(f))
    assert code == 0, err and "a_inf(V)" in out
    code, out, err = run_cli(capsys, "rates", "--model", "hh", "--channel", str(f))
    assert code == 0, err
    assert "A.a" in out and "A.b" in out


@pytest.mark.parametrize("name", PRESETS)
def test_run_every_preset(capsys, name):
    code, out, err = run_cli(capsys, "run", "--model", name, "--stim", "step(amp=20, start=5, dur=20)",
                             "--t-stop", "40", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == name and data["n_spikes"] >= 1


def test_run_k_out_moves_rest(capsys):
    _, a, _ = run_cli(capsys, "run", "--model", "destexhe_tc", "--t-stop", "5", "--json")
    _, b, _ = run_cli(capsys, "run", "--model", "destexhe_tc", "--t-stop", "5", "--json", "--set", "K_out=8")
    assert json.loads(b)["v_rest_mV"] > json.loads(a)["v_rest_mV"] + 2.0


BAD = [
    (["run", "--model", "pospischil_xyz"], "unknown model"),
    (["models", "traub"], "unknown model"),
    (["rates", "--model", "nope"], "unknown model"),
    (["channels", "nap2"], "unknown channel"),
    (["run", "--model", "wang_buzsaki", "--set", "K_ext=5"], "unknown parameter"),
    (["run", "--model", "wang_buzsaki", "--set", "K_out=0"], "K_out must be a concentration > 0"),
    (["run", "--model", "wang_buzsaki", "--set", "K_out=-4"], "K_out must be a concentration > 0"),
    (["run", "--model", "pospischil_lts", "--set", "Ca_out=0"], "Ca_out must be"),
    (["run", "--model", "pospischil_lts", "--set", "Ca_in=-1e-4"], "Ca_in must be"),
    (["run", "--model", "pospischil_lts", "--set", "Ca_tau=0"], "Ca_tau must be > 0"),
    (["run", "--model", "hh", "--set", "K_out=10"], "reversal potentials are fixed"),
    (["run", "--model", "wang_buzsaki", "--set", "EK=-80"], "Nernst"),
    (["rates", "--model", "hh", "--plot", "x.bmp"], ".png"),
]


@pytest.mark.parametrize("args,fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_status_2(capsys, args, fragment):
    _, line = cli_error(capsys, *args)
    assert fragment in line


BAD_FILES = [
    ("V - Va", "V - Vq", "unknown name 'Vq'"),
    ("exp(0.0688*", "system(0.0688*", "function 'system'"),
    ("exp(0.0688*", "__import__('os').system(0.0688*", "not allowed"),
    ("(1/(1 + exp(0.0688*(V + 53.3))))**4", "1/(V + 53.3)", "not finite"),
    ('power = 1', 'powr = 1', "unknown key 'powr'"),
]


@pytest.mark.parametrize("old,new,fragment", BAD_FILES, ids=[b[2] for b in BAD_FILES])
def test_bad_custom_expression_is_one_line_and_status_2(tmp_path, capsys, old, new, fragment):
    f = tmp_path / "bad.toml"
    f.write_text(A_TOML.replace(old, new, 1))
    _, line = cli_error(capsys, "rates", "--model", "hh", "--channel", str(f))
    assert fragment in line
    assert "'A'" in line or "unknown key" in line
