"""``hhsim run --noise ...``: the JSON, the text line, and one-line refusals."""

from __future__ import annotations

import json

import pytest

from helpers.cli import cli_error, run_cli


def test_run_with_markov_noise_json(capsys):
    code, out, err = run_cli(capsys, "run", "--noise", "markov", "--area", "30", "--density", "Na=60,K=18",
                             "--seed", "3", "--t-stop", "30", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["method"] == "markov" and data["dt_ms"] == 0.01
    assert data["channel_counts"] == {"Na": 1800, "K": 540}
    assert data["noise"]["seed"] == 3 and data["noise"]["area_um2"] == 30.0
    # the same seed repeats the run
    code, again, _ = run_cli(capsys, "run", "--noise", "markov", "--area", "30", "--seed", "3", "--t-stop", "30",
                             "--json")
    assert json.loads(again)["spike_times_ms"] == data["spike_times_ms"]


def test_run_with_counts_text(capsys):
    code, out, err = run_cli(capsys, "run", "--noise", "langevin", "--count", "Na=600,K=180", "--t-stop", "10")
    assert code == 0, err
    assert "channel noise       langevin, seed 0: Na 600, K 180 channels" in out


@pytest.mark.parametrize("args, message", [
    (["--noise", "markov", "--area", "10", "--density", "Na=-60"], "density of Na = -60.0 channels/µm² is negative"),
    (["--noise", "markov", "--count", "Na=10.5"], "count of channel Na = 10.5 is not a whole number"),
    (["--noise", "markov", "--count", "L=100"], "channel 'L' has no gates"),
    (["--noise", "markov", "--area", "10", "--density", "Na"], "--density needs CHANNEL=VALUE pairs"),
    (["--noise", "poisson", "--area", "10"], "noise 'poisson' is not a method"),
    (["--area", "10"], "--area given without --noise"),
    (["--noise", "markov"], "needs the membrane area"),
])
def test_bad_noise_options(capsys, args, message):
    _, line = cli_error(capsys, "run", "--t-stop", "1", *args)
    assert message in line


def test_a_cell_file_gives_the_area(capsys, tmp_path):
    cell = tmp_path / "cell.toml"
    assert run_cli(capsys, "models", "hh", "--describe", "--out", str(cell))[0] == 0
    text = cell.read_text().replace("[membrane]\n", '[membrane]\narea = "50 um2"\n', 1)
    cell.write_text(text)
    code, out, err = run_cli(capsys, "run", "--model", str(cell), "--noise", "markov", "--t-stop", "5", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["noise"]["area_um2"] == 50.0 and data["channel_counts"] == {"Na": 3000, "K": 900}
