"""``hhsim network``: the JSON summary, --describe round trip, the spike table, bad input."""

from __future__ import annotations

import json
import textwrap

import pandas as pd
import pytest

from helpers.cli import cli_error, run_cli

from hhsim.errors import ParameterError
from hhsim.network import toml_io

TWO_CELLS = textwrap.dedent("""\
    t_stop = 100          # ms
    dt = 0.01             # ms
    seed = 1
    [populations.A]
    model = "hh"
    n = 1
    stim = ["step(amp=10, start=5, dur=40)"]
    [populations.B]
    model = "hh"
    n = 1
    [[synapses]]
    pre = "A"
    post = "B"
    kind = "exp"
    tau = 3.0
    E = 0.0
    weight = 0.2
    delay = 2.0
    connect = "all"
    """)


@pytest.fixture
def two_cells(tmp_path):
    p = tmp_path / "net.toml"
    p.write_text(TWO_CELLS)
    return p


def test_json_summary(capsys, two_cells):
    code, out, err = run_cli(capsys, "network", str(two_cells), "--json")
    assert code == 0, err
    s = json.loads(out)
    assert {"t_stop_ms", "dt_ms", "method", "seed", "n_synapses", "populations"} <= set(s)
    assert s["t_stop_ms"] == 100 and s["dt_ms"] == 0.01 and s["seed"] == 1 and s["n_synapses"] == 1
    for name in ("A", "B"):
        assert {"n", "n_spikes", "rate_hz", "cv_isi"} <= set(s["populations"][name])
    a, b = s["populations"]["A"], s["populations"]["B"]
    assert a["n_spikes"] >= 3 and b["n_spikes"] >= 1  # B fires only through the synapse
    assert a["rate_hz"] == pytest.approx(a["n_spikes"] / 0.1)


def test_out_csv_has_the_spike_table(capsys, two_cells, tmp_path):
    out = tmp_path / "spikes.csv"
    code, _, err = run_cli(capsys, "network", str(two_cells), "--out", str(out), "--plot", str(tmp_path / "r.png"))
    assert code == 0, err
    df = pd.read_csv(out)
    assert list(df.columns) == ["population", "neuron", "t_ms"]
    assert set(df.population) == {"A", "B"} and df.t_ms.is_monotonic_increasing
    assert (tmp_path / "r.png").stat().st_size > 1000


@pytest.mark.parametrize("preset", ["chain", "wang_buzsaki_gamma", "cobahh"])
def test_describe_prints_a_file_the_command_accepts(capsys, tmp_path, preset):
    code, text, err = run_cli(capsys, "network", "--preset", preset, "--describe", "--t-stop", "20")
    assert code == 0, err
    f = tmp_path / "described.toml"
    f.write_text(text)
    code, again, err = run_cli(capsys, "network", str(f), "--describe")
    assert code == 0, err
    assert again == text
    if preset != "cobahh":  # the same network, so the same spikes
        _, a, _ = run_cli(capsys, "network", "--preset", preset, "--t-stop", "20", "--json")
        _, b, _ = run_cli(capsys, "network", str(f), "--json")
        assert json.loads(a) == json.loads(b)


def test_chain_spike_travels(capsys, tmp_path):
    out = tmp_path / "chain.csv"
    code, _, err = run_cli(capsys, "network", "--preset", "chain", "--out", str(out), "--animate",
                           str(tmp_path / "chain.gif"))
    assert code == 0, err
    df = pd.read_csv(out).sort_values("neuron")
    assert list(df.neuron) == list(range(10))
    assert df.t_ms.is_monotonic_increasing  # cell k fires after cell k - 1
    assert (tmp_path / "chain.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")


def _file(tmp_path, text):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("change, words", [
    (('post = "B"', 'post = "C"'), "unknown population 'C'"),
    (('model = "hh"\nn = 1\nstim', 'model = "squid"\nn = 1\nstim'), "unknown model 'squid'"),
    (('kind = "exp"', 'kind = "expo"'), "unknown synapse kind 'expo'"),
    (("tau = 3.0", "tau = 3.0\ncolour = 1"), "unknown key 'colour'"),
    (("weight = 0.2", 'weight = "6 nS"'), "area"),
    (("tau = 3.0", "tau = -3.0"), "tau must be > 0"),
    (("weight = 0.2", "weight = -0.2"), "weights must be >= 0"),
    (("delay = 2.0", "delay = -2.0"), "delays must be >= 0"),
    (('connect = "all"', "connect = {p = 1.5}"), "p"),
    (('connect = "all"', "connect = {indegree = 5}"), "larger than the source population"),
    (("t_stop = 100", "t_stop = [100"), "not valid TOML"),
])
def test_bad_input_is_one_line(capsys, tmp_path, change, words):
    old, new = change
    assert old in TWO_CELLS
    path = _file(tmp_path, TWO_CELLS.replace(old, new, 1))
    out = tmp_path / "never.csv"
    _, line = cli_error(capsys, "network", path, "--out", str(out))
    assert words in line
    assert not out.exists()


def test_monitor_too_large_is_refused_up_front(capsys, tmp_path):
    text = TWO_CELLS.replace("t_stop = 100", "t_stop = 1e7") + '[monitors]\nstates = {A = [0]}\nevery_ms = 0.01\n'
    _, line = cli_error(capsys, "network", _file(tmp_path, text))
    assert "would need about" in line and "state monitor" in line and "every_ms" in line


def test_unstable_explicit_method_is_refused(capsys, two_cells):
    _, line = cli_error(capsys, "network", str(two_cells), "--method", "euler", "--dt", "0.2")
    assert "unstable" in line and "expeuler" in line


def test_file_and_preset_together_or_neither(capsys, two_cells):
    _, line = cli_error(capsys, "network")
    assert "--preset" in line
    _, line = cli_error(capsys, "network", str(two_cells), "--preset", "chain")
    assert "not both" in line
    _, line = cli_error(capsys, "network", "--preset", "nope")
    assert "unknown network preset 'nope'" in line


def test_network_too_large_is_refused_before_building(capsys, tmp_path):
    text = TWO_CELLS.replace("n = 1\nstim", "n = 1000000\nstim").replace('[populations.B]\nmodel = "hh"\nn = 1',
                                                                      '[populations.B]\nmodel = "hh"\nn = 1000000')
    _, line = cli_error(capsys, "network", _file(tmp_path, text))
    assert "would need about" in line and "synapses" in line and "sparser" in line


def test_network_result_repr_and_notebook_display():
    from hhsim.network import presets, simulate_network

    r = simulate_network(presets.chain(n=3, t_stop=30.0))
    assert "\n" not in repr(r) and "chain 3 (3 spikes)" in repr(r)
    html = r._repr_html_()
    assert "<table>" in html and "<img" in html and "3 spikes" in html


def test_describe_names_the_cell_file_of_a_population(capsys, tmp_path):
    # a population whose model came from a cell file (not a preset) is written as that file
    cell = tmp_path / "cells" / "slow_na.toml"
    cell.parent.mkdir()
    code, _, err = run_cli(capsys, "models", "hh", "--describe", "--out", str(cell))
    assert code == 0, err
    cell.write_text(cell.read_text().replace('name = "hh"', 'name = "slow_na"', 1)
                    .replace("gbar = 120.0", "gbar = 90.0", 1))
    net = tmp_path / "net.toml"
    net.write_text('name = "filed"\nt_stop = 30\n\n[populations.exc]\nmodel = "cells/slow_na.toml"\nn = 2\n'
                   'stim = ["step(amp=10, start=5, dur=20)"]\n')
    code, text, err = run_cli(capsys, "network", str(net), "--describe")
    assert code == 0, err
    assert f'model = "{cell}"' in text
    back = tmp_path / "elsewhere" / "described.toml"
    back.parent.mkdir()
    back.write_text(text)
    _, a, _ = run_cli(capsys, "network", str(net), "--json")
    _, b, _ = run_cli(capsys, "network", str(back), "--json")
    assert json.loads(a) == json.loads(b) and json.loads(a)["populations"]["exc"]["n_spikes"] > 0
    # the file changed after the network was loaded: naming it would no longer say
    # what ran, so the population is refused as any changed model is
    loaded = toml_io.load(back)
    cell.write_text(cell.read_text().replace("gbar = 90.0", "gbar = 70.0", 1))
    with pytest.raises(ParameterError, match="not an unchanged preset"):
        toml_io.dumps(loaded)
