"""Cell files: every preset round-trips, point units convert, bad files are one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.cli import cli_error, run_cli

import hhsim
from hhsim.cells import describe_cell, load_cell, read_cell, write_cell
from hhsim.errors import ModelError, ParameterError
from hhsim.network.toml_io import loads as load_network

STEP = hhsim.stim.step(10.0, start=5.0, dur=20.0)


@pytest.mark.parametrize("name", hhsim.models.names())
def test_every_preset_round_trips_to_the_identical_model(name, tmp_path):
    model = hhsim.models.get(name)
    path = write_cell(model, tmp_path / f"{name}.toml")
    back = load_cell(path)
    assert back == model  # every channel, gate, rate parameter, pool, concentration, text
    a = hhsim.simulate(model, STEP, t_stop=30.0)
    b = hhsim.simulate(str(path), STEP, t_stop=30.0)  # a cell file wherever a model name is taken
    np.testing.assert_array_equal(a.spike_times, b.spike_times)
    np.testing.assert_array_equal(a.v, b.v)


def test_cli_describe_then_run_the_file(tmp_path, capsys):
    path = tmp_path / "tm.toml"
    code, out, err = run_cli(capsys, "models", "traub_miles", "--describe", "--out", str(path))
    assert code == 0, err
    code, text, err = run_cli(capsys, "models", "traub_miles", "--describe")
    assert code == 0 and text == path.read_text()
    runs = []
    for model in ("traub_miles", str(path)):
        code, out, err = run_cli(capsys, "run", "--model", model, "--t-stop", "30", "--json",
                                 "--stim", "step(amp=2, start=5)")
        assert code == 0, err
        runs.append(json.loads(out)["spike_times_ms"])
    assert runs[0] == runs[1] and len(runs[0]) >= 1


HH_POINT = """
name = "hh_point"
temperature = "279.45 K"          # 6.3 degC

[membrane]
capacitance = "10 pF"             # with C_m = 1 uF/cm2: an area of 1000 um2

[[channels]]
name = "Na"
gbar = "1.2 uS"                   # 1200 nS / 1000 um2 = 120 mS/cm2
E = "0.05 V"
ion = "na"
[[channels.gates]]
name = "m"
power = 3
alpha = {form = "linexp", A = 0.1, k = 10.0, V0 = -40.0}
beta = {form = "exp", A = 4.0, k = -18.0, V0 = -65.0}
[[channels.gates]]
name = "h"
power = 1
alpha = {form = "exp", A = 0.07, k = -20.0, V0 = -65.0}
beta = {form = "sigmoid", A = 1.0, k = -10.0, V0 = -35.0}

[[channels]]
file = "k.toml"                   # the channel from its own file, gbar given here
gbar = "360 nS"

[[channels]]
name = "L"
gbar = "3 nS"
E = "-54.387 mV"

[[stimuli]]
kind = "step"
amp = "100 pA"                    # 0.1 nA / 1000 um2 = 10 uA/cm2
start = "5 ms"
dur = "0.02 s"
"""

K_FILE = """
name = "K"
gbar = 1.0
E = -77.0
ion = "k"
[[gates]]
name = "n"
power = 4
alpha = {form = "linexp", A = 0.01, k = 10.0, V0 = -55.0}
beta = {form = "exp", A = 0.125, k = -80.0, V0 = -65.0}
"""


def test_point_units_convert_with_the_membrane_area(tmp_path, capsys):
    (tmp_path / "k.toml").write_text(K_FILE)
    (tmp_path / "cell.toml").write_text(HH_POINT)
    cell = read_cell(tmp_path / "cell.toml")
    m, hh = cell.model, hhsim.models.get("hh")
    assert cell.area_um2 == pytest.approx(1000.0, rel=1e-12)
    assert m.temperature == pytest.approx(6.3, abs=1e-12)
    for key in ("gNa", "gK", "gL", "ENa", "EK", "EL", "Cm"):
        assert m.params()[key].value == pytest.approx(hh.params()[key].value, rel=1e-12), key
    # the stimulus the file carries is the 10 uA/cm2 step of the same duration
    t = np.linspace(0.0, 40.0, 4001)
    np.testing.assert_allclose(cell.stimulus.value(t), STEP.value(t), rtol=1e-12, atol=0)
    # `hhsim run` takes it when no --stim is given
    code, out, err = run_cli(capsys, "run", "--model", str(tmp_path / "cell.toml"), "--t-stop", "30", "--json")
    assert code == 0, err
    ref = hhsim.simulate("hh", STEP, t_stop=30.0).spike_times
    np.testing.assert_allclose(json.loads(out)["spike_times_ms"], ref, atol=1e-6)


def test_with_params_and_set_take_units(capsys):
    hh = hhsim.models.get("hh")
    m = hh.with_params(gNa="0.06 S/cm2", EK="-0.08 V", temperature="291.15 K")
    assert m.params()["gNa"].value == pytest.approx(60.0, rel=1e-12)
    assert m.params()["EK"].value == pytest.approx(-80.0, rel=1e-12)
    assert m.temperature == pytest.approx(18.0, abs=1e-12)
    with pytest.raises(ParameterError, match="is a current; expected a conductance density"):
        hh.with_params(gNa="100 pA")
    _, line = cli_error(capsys, "run", "--set", "EK=5 ms", "--t-stop", "1")
    assert "EK" in line and "time" in line and "voltage" in line


BAD = [
    ('name = "x"\n[membrane]\nC_m = 1.0\nbogus = 3\n', "[membrane]: unknown key 'bogus'"),
    ('name = "x"\nfoo = 1\n', "unknown key 'foo'"),
    ('name = "x"\n[membrane]\nC_m = "1 mV"\n', "C_m"),
    ('name = "x"\n[[channels]]\nname = "L"\ngbar = "3 nS"\nE = -65\n', "area"),
    ('name = "x"\n[[channels]]\nname = "L"\ngbar = "3 pA"\nE = -65\n', "gbar"),
    ('name = "x"\n[[channels]]\nname = "L"\ngbar = 0.1\nE = "nernsst"\n', "E"),
    ('name = "x"\n[[channels]]\nname = "L"\ngbar = 0.1\n', "missing key 'E'"),
    ('name = "x"\n[[channels]]\nfile = "nope.toml"\n', "not found"),
    ('name = "x"\n[[pools]]\nion = "zz"\n', "pools[0]"),
    ('name = "x"\n[[stimuli]]\nkind = "step"\namp = "3 mV"\n', "stimuli[0]"),
    ('name = "x"\n[concentrations]\nK_out = "4 mV"\n', "K_out"),
    ('name = "x"\n[membrane\n', "line 2"),
    ('name = "x"\n[[channels]]\nname = "K"\ngbar = 1\nE = -80\n'
     'conductance = "gbar*n**4 + p"\n[[channels.gates]]\nname = "n"\ninf = "0.5"\ntau = "1"\n', "gbar * ("),
    ('name = "x"\n[[channels]]\nname = "K"\ngbar = 1\nE = -80\n'
     'conductance = "gbar * (n**4 + zz)"\n[[channels.gates]]\nname = "n"\ninf = "0.5"\ntau = "1"\n', "'zz'"),
    ('name = "x"\n[[channels]]\nname = "K"\ngbar = 1\nE = -80\nconductance = "gbar * 2"\n'
     '[[channels.gates]]\nname = "n"\ninf = "0.5"\ntau = "1"\n', "not used"),
    ('name = "x"\n[[channels]]\nname = "K"\ngbar = 1\nE = -80\nconductance = "gbar * (n - 1)"\n'
     '[[channels.gates]]\nname = "n"\ninf = "0.5"\ntau = "1"\n', ">= 0"),
    ('name = "x"\n[[channels]]\nname = "K"\ngbar = 1\nE = -80\n[[channels.gates]]\nname = "n"\npower = 1\n'
     'inf = {form = "sigmoid", A = 1, k = 5}\ntau = 1\n', "V0"),
]


@pytest.mark.parametrize("text, words", BAD)
def test_bad_cell_files_are_one_line_with_file_and_key(text, words, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ModelError) as info:
        load_cell(path) if "[[stimuli]]" not in text else read_cell(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and words in message, message


def test_bad_cell_file_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a short path: the CLI shortens long values in its one line
    (tmp_path / "bad.toml").write_text('name = "x"\n[[channels]]\nname = "L"\ngbar = "3 nS"\nE = -65\n')
    _, line = cli_error(capsys, "run", "--model", "bad.toml", "--t-stop", "1")
    assert "'bad.toml'" in line and "gbar" in line and "area" in line


def test_a_conductance_synapse_refuses_a_weight_in_pA():
    text = ('[populations.a]\nmodel = "hh"\nn = 2\narea_um2 = 1000\n'
            '[[synapses]]\npre = "a"\npost = "a"\nkind = "exp"\nweight = "%s"\n')
    with pytest.raises(ParameterError, match="is a current; a synapse weight is a conductance"):
        load_network(text % "100 pA")
    load_network(text % "6 nS")  # a conductance is accepted


def test_describe_cell_text_reads_back(tmp_path):
    model = hhsim.models.get("destexhe_tc")  # GHK channel, pool, Ih without ion, expression rates
    (tmp_path / "tc.toml").write_text(describe_cell(model))
    assert load_cell(tmp_path / "tc.toml") == model


def test_a_network_population_reads_a_cell_file_next_to_the_network_file(tmp_path):
    from hhsim.network.toml_io import load

    (tmp_path / "sub").mkdir()
    write_cell(hhsim.models.get("wang_buzsaki"), tmp_path / "sub" / "wb.toml")
    (tmp_path / "sub" / "net.toml").write_text('[populations.a]\nmodel = "wb.toml"\nn = 3\n')
    net = load(tmp_path / "sub" / "net.toml")
    assert net.populations[0].model == hhsim.models.get("wang_buzsaki")


def test_rate_parameters_take_units(tmp_path):
    from hhsim.channels.spec import load_channel

    (tmp_path / "k.toml").write_text(
        'name = "K"\ngbar = "36 mS/cm2"\nE = "-77 mV"\n[[gates]]\nname = "n"\npower = 4\n'
        'alpha = {form = "linexp", A = 0.01, k = "10 mV", V0 = "-0.055 V"}\n'
        'beta = {form = "exp", A = "125 1/s", k = -80.0, V0 = "-65 mV"}\n'
        '[[gates]]\nname = "q"\npower = 1\n'
        'inf = {expr = "1/(1 + exp(-(V - Vh)/5))", params = {Vh = "-0.04 V"}}\n'
        'tau = {form = "const", value = "0.002 s"}\n')
    ch = load_channel(tmp_path / "k.toml")
    n = hhsim.channels.get("hh_k").gates[0]
    assert ch.gates[0].alpha == n.alpha and ch.gates[0].beta == n.beta  # the squid's n rates
    assert dict(ch.gates[1].inf.params) == {"Vh": -40.0} and ch.gates[1].inf.unit("Vh") == "mV"
    assert ch.gates[1].tau.value == 2.0  # ms
    (tmp_path / "bad.toml").write_text(
        'name = "K"\ngbar = 1\nE = -77\n[[gates]]\nname = "n"\npower = 1\n'
        'alpha = {form = "exp", A = "3 mV", k = -80.0, V0 = -65.0}\nbeta = 1\n')
    with pytest.raises(ParameterError, match="alpha.A"):
        load_channel(tmp_path / "bad.toml")
