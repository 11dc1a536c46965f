"""``hhsim sweep`` from the command line: results, files, resume, and bad input (one line, exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import hhsim
from helpers.cli import cli_error, run_cli
from conftest import same_numbers


def test_2d_rheobase_sweep_equals_hhsim_rheobase_point_by_point(capsys):
    code, out, err = run_cli(capsys, "sweep", "--param", "gNa=100:140:3", "--param", "gK=30:40:2",
                             "--measure", "rheobase", "--workers", "0", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["dims"] == ["gNa", "gK"] and data["points"] == 6
    values = data["measures"]["rheobase_uA_cm2"]["values"]
    for i, g_na in enumerate(data["params"]["gNa"]):
        for j, g_k in enumerate(data["params"]["gK"]):
            code, one, err = run_cli(capsys, "rheobase", "--set", f"gNa={g_na!r}", "--set", f"gK={g_k!r}", "--json")
            assert code == 0, err
            assert values[i][j] == json.loads(one)["rheobase_uA_cm2"]


def test_netcdf_output_plot_and_table(tmp_path, capsys):
    nc, png = tmp_path / "s.nc", tmp_path / "s.png"
    code, out, err = run_cli(capsys, "sweep", "--param", "gNa=100:140:3", "--measure", "n_spikes",
                             "--measure", "v_rest", "--workers", "0", "--out", str(nc), "--plot", str(png))
    assert code == 0, err
    assert png.stat().st_size > 1000
    lines = out.strip().splitlines()
    assert lines[1].split("\t") == ["gNa", "n_spikes", "v_rest_mV"] and len(lines) == 5
    with xr.open_dataset(nc) as ds:
        ref = hhsim.sweep("hh", {"gNa": np.linspace(100, 140, 3)}, ["n_spikes", "v_rest"], workers=0)
        same_numbers(ds.load(), ref)
        assert ds["v_rest_mV"].attrs["units"] == "mV"


def test_zarr_store_resume_computes_nothing_twice(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    args = ["sweep", "--param", "gNa=100:140:3", "--param", "gK=30:40:2", "--measure", "n_spikes",
            "--workers", "0", "--chunk", "2", "--out", str(store), "--json"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    first = json.loads(out)
    assert (first["chunks_total"], first["chunks_computed"], first["chunks_resumed"]) == (3, 3, 0)
    code, out, err = run_cli(capsys, *args, "--resume")
    again = json.loads(out)
    assert (again["chunks_computed"], again["chunks_resumed"]) == (0, 3)
    assert again["measures"] == first["measures"]
    same_numbers(hhsim.sweep.open_sweep(store), hhsim.sweep("hh", {"gNa": np.linspace(100, 140, 3),
                                                                    "gK": np.linspace(30, 40, 2)},
                                                             "n_spikes", workers=0))
    # without --resume an existing store is never overwritten
    _, line = cli_error(capsys, *args)
    assert "already exists" in line and "--resume" in line


def test_samples_from_the_command_line(capsys):
    code, out, err = run_cli(capsys, "sweep", "--param", "gNa=80:160", "--param", "gK=20:50", "--samples", "6",
                             "--seed", "1", "--measure", "v_rest", "--workers", "0", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["mode"] == "samples" and data["dims"] == ["sample"]
    assert all(80 <= g <= 160 for g in data["params"]["gNa"])


@pytest.mark.parametrize("args, text", [
    (["--param", "gFoo=1:2:3", "--measure", "rheobase"], "unknown parameter 'gFoo'"),
    (["--param", "gNa=100:140:3", "--measure", "wobble"], "unknown measure 'wobble'"),
    (["--param", "gNa=140:100:3", "--measure", "rheobase"], "is empty"),
    (["--param", "gNa=100:140:0", "--measure", "rheobase"], "N must be a whole number >= 1"),
    (["--param", "gNa=100:140", "--measure", "rheobase"], "needs START:STOP:N"),
    (["--param", "gNa=100:140:3", "--samples", "5", "--measure", "rheobase"], "takes bounds LOW:HIGH"),
    (["--param", "gNa=1:2:100000", "--param", "gK=1:2:100000", "--param", "gL=1:2:1000", "--measure", "rheobase"],
     "more than the .* GB free; stream them to a store"),
    (["--param", "gNa=100:140:3", "--measure", "rheobase", "--resume"], "--resume needs the store"),
    (["--param", "gNa=100:140:3", "--measure", "rheobase", "--out", "x.csv"], "must end in .nc, .zarr"),
    (["--param", "gNa=100:140:3", "--measure", "rheobase", "--method", "lsoda"], "lsoda"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, text):
    import re

    _, line = cli_error(capsys, "sweep", "--workers", "0", *args)
    assert re.search(text, line), line


def test_resume_with_another_sweeps_store(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    code, _, err = run_cli(capsys, "sweep", "--param", "gNa=100:140:3", "--measure", "v_rest", "--workers", "0",
                           "--out", str(store))
    assert code == 0, err
    _, line = cli_error(capsys, "sweep", "--param", "gNa=100:150:3", "--measure", "v_rest", "--workers", "0",
                        "--out", str(store), "--resume")
    assert "belongs to another sweep" in line and "axes" in line
    _, line = cli_error(capsys, "sweep", "--param", "gNa=100:140:3", "--measure", "v_rest", "--set", "gK=30",
                        "--workers", "0", "--out", str(store), "--resume")
    assert "model_params" in line


def test_unreachable_scheduler(capsys, monkeypatch):
    import socket

    from hhsim.sweep import run

    monkeypatch.setattr(run, "CONNECT_TIMEOUT", "1s")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, line = cli_error(capsys, "sweep", "--param", "gNa=100:140:3", "--measure", "v_rest",
                        "--scheduler", f"tcp://127.0.0.1:{port}")
    assert f"tcp://127.0.0.1:{port}" in line and "dask scheduler" in line and "dask worker" in line
