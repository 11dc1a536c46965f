"""A cell file's [noise] table: ``hhsim run --model cell.toml`` runs noisy, the command
line's options override the table one by one, and bad values are one line, exit 2.
The runs are hh at 50 µm² for 5 ms (the kernels of tests/noise)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hhsim
from hhsim.cells import read_cell
from hhsim.cells.file import NOISE_METHODS
from hhsim.noise import METHODS, ChannelNoise

from helpers.cli import cli_error, run_cli

STIM = ["--stim", "step(amp=8, start=1, dur=4)", "--t-stop", "5"]


@pytest.fixture
def hh_file(tmp_path, capsys):
    """The hh model as a cell file, without noise; returns a writer of variants."""
    plain = tmp_path / "hh.toml"
    assert run_cli(capsys, "models", "hh", "--describe", "--out", str(plain))[0] == 0
    text = plain.read_text()

    def write(noise_table: str, name: str = "cell.toml"):
        path = tmp_path / name
        path.write_text(text + "\n" + noise_table)
        return path

    return plain, write


def _trace(capsys, tmp_path, *args):
    """V (mV) and the Na conductance (mS/cm²) of a run, as written to .npz (the bits)."""
    out = tmp_path / "trace.npz"
    code, _, err = run_cli(capsys, "run", *args, *STIM, "--out", str(out))
    assert code == 0, err
    with np.load(out) as data:
        return np.vstack([data["v_mV"], data["g_na_mS_cm2"]])


def test_the_table_runs_as_the_options(hh_file, capsys, tmp_path):
    plain, write = hh_file
    cell = write('[noise]\nmethod = "markov"\narea = "50 um2"\ndensity = { Na = 60, K = 18 }\nseed = 9\n')
    assert read_cell(cell).noise == {"method": "markov", "area_um2": 50.0, "density": {"Na": 60.0, "K": 18.0},
                                     "seed": 9}
    from_file = _trace(capsys, tmp_path, "--model", str(cell))
    from_options = _trace(capsys, tmp_path, "--model", str(plain), "--noise", "markov", "--area", "50",
                          "--density", "Na=60,K=18", "--seed", "9")
    np.testing.assert_array_equal(from_file, from_options)
    # and as the Python API given the table
    lone = hhsim.simulate(read_cell(cell).model, hhsim.stim.step(8, start=1, dur=4), t_stop=5.0,
                          noise=ChannelNoise(**read_cell(cell).noise))
    np.testing.assert_array_equal(from_file[0], lone.v)
    assert not np.array_equal(from_file, _trace(capsys, tmp_path, "--model", str(plain)))  # it is noisy


def test_options_override_the_table(hh_file, capsys, tmp_path):
    plain, write = hh_file
    cell = write('[noise]\nmethod = "langevin"\ncounts = { Na = 100 }\nseed = 9\n')

    def summary(*args):
        code, out, err = run_cli(capsys, "run", *args, *STIM, "--json")
        assert code == 0, err
        return json.loads(out)

    s = summary("--model", str(cell), "--seed", "3")
    assert s["method"] == "langevin" and s["noise"]["seed"] == 3 and s["channel_counts"] == {"Na": 100}
    assert s["spike_times_ms"] == summary("--model", str(plain), "--noise", "langevin", "--count", "Na=100",
                                          "--seed", "3")["spike_times_ms"]
    s = summary("--model", str(cell), "--noise", "markov", "--count", "K=40")  # the channels chosen anew
    assert s["method"] == "markov" and s["channel_counts"] == {"K": 40} and s["noise"]["seed"] == 9
    s = summary("--model", str(cell), "--noise", "none")
    assert "channel_counts" not in s and s["method"] != "langevin"
    # the membrane's area is the noise's area unless [noise] gives one
    cell = write('[noise]\nseed = 2\n', "area.toml")
    cell.write_text(cell.read_text().replace("[membrane]\n", '[membrane]\narea = "20 um2"\n', 1))
    assert summary("--model", str(cell))["channel_counts"] == {"Na": 1200, "K": 360}


@pytest.mark.parametrize("table, words", [
    ('method = "poisson"', "method 'poisson' is not a noise method"),
    ('area = -5', "area must be > 0"),
    ('area = "5 ms"', "area"),
    ('density = { Na = -60 }', "density of Na = -60"),
    ('density = { Na = "sixty" }', "density of Na = 'sixty'"),
    ('density = 60', "density must be a table"),
    ('counts = { Na = 2.5 }', "counts of Na = 2.5 is not a whole number"),
    ('counts = { Ca = 10 }', "names channel 'Ca'"),
    ('density = { Na = 60 }\ncounts = { Na = 10 }', "both a density and counts"),
    ('seed = -1', "seed = -1"),
    ('seed = 1.5', "seed = 1.5"),
    ('rate = 1', "unknown key 'rate'"),
    ('method = "markov"', "needs the membrane area"),  # density by default, no area anywhere
    ('counts = { L = 10 }', "channel 'L' has no gates"),
])
def test_bad_values_are_one_line(hh_file, capsys, table, words):
    _, write = hh_file
    cell = write("[noise]\n" + table + "\n")
    _, line = cli_error(capsys, "run", "--model", str(cell), *STIM)
    assert words in line
    if "needs the membrane" not in words and "no gates" not in words:
        assert "[noise]" in line


def test_the_methods_agree_with_the_noise_package():
    assert NOISE_METHODS == METHODS
