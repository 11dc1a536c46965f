"""`hhsim network --plot-weights FILE`: the histogram of a plastic projection's final
weights (issue 23), refused in one line for a network without plastic synapses."""

from __future__ import annotations

from helpers.cli import cli_error, run_cli

NET = """
[populations.B]
model = "hh"
[sources.S]
n = 20
rate_hz = 40.0
[[synapses]]
pre = "S"
post = "B"
weight = 0.02
stdp = {w_max = 0.05, A_plus = 0.05, A_minus = 0.06}
"""


def test_the_weight_histogram_is_written(tmp_path, capsys):
    net = tmp_path / "net.toml"
    net.write_text(NET)
    figure = tmp_path / "w.png"
    code, out, err = run_cli(capsys, "network", str(net), "--t-stop", "200", "--plot-weights", str(figure))
    assert code == 0, err
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {figure}" in out


def test_a_network_without_plastic_synapses_is_refused_before_running(tmp_path, capsys):
    net = tmp_path / "net.toml"
    net.write_text(NET.replace("stdp = {w_max = 0.05, A_plus = 0.05, A_minus = 0.06}\n", ""))
    _, line = cli_error(capsys, "network", str(net), "--plot-weights", str(tmp_path / "w.png"))
    assert "plastic" in line and "stdp" in line
    assert not (tmp_path / "w.png").exists()
