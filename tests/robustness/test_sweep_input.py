"""Class 5 (issue 24), sweeps: bad settings and damaged stores are one line, before any cluster starts."""

from __future__ import annotations

import shutil

import pytest
from helpers.cli import cli_error, run_cli

pytest.importorskip("distributed")
pytest.importorskip("zarr")

import hhsim  # noqa: E402
from hhsim.errors import HHSimError  # noqa: E402

SWEEP = ["sweep", "--param", "gNa=80:160:3", "--measure", "n_spikes"]
PARAMS = {"gNa": [80.0, 120.0, 160.0]}


@pytest.mark.parametrize("args, needle", [
    (["--seed", "-1"], "seed = -1 is out of range"),
    (["--scheduler", "tcp://[::1"], "is not an address"),
    (["--scheduler", "nonsense"], "is not an address"),
    (["--scheduler", "http://127.0.0.1:8786/x"], "is not an address"),
    (["--workers", "100000"], "workers = 100000 is out of range"),
])
def test_bad_settings_are_one_line(capsys, args, needle):
    _, line = cli_error(capsys, *SWEEP, *args)
    assert needle in line


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "s.zarr"
    hhsim.sweep("hh", PARAMS, ["n_spikes"], workers=0, store=path, chunk=1)
    return path


def _spoil(path, how):
    if how == "a chunk overwritten":
        (path / "status_n_spikes" / "0").write_bytes(b"x")
    elif how == "attributes unreadable":
        (path / ".zattrs").write_text("{garbage")
        (path / ".zmetadata").unlink()
    elif how == "an array removed":
        shutil.rmtree(path / "n_spikes")
        (path / ".zmetadata").unlink()
    elif how == "not a directory":
        shutil.rmtree(path)
        path.write_text("not a store")


@pytest.mark.parametrize("how", ["a chunk overwritten", "attributes unreadable", "an array removed",
                                 "not a directory"])
def test_resume_on_a_damaged_store_is_one_line(store, tmp_path, how):
    copy = tmp_path / "s.zarr"
    shutil.copytree(store, copy)
    _spoil(copy, how)
    with pytest.raises(HHSimError) as err:
        hhsim.sweep("hh", PARAMS, ["n_spikes"], workers=0, store=copy, chunk=1, resume=True)
    assert "\n" not in str(err.value) and str(copy) in str(err.value)


def test_resume_when_done_computes_nothing_and_points_to_the_store(store, capsys):
    code, out, err = run_cli(capsys, *SWEEP, "--workers", "0", "--out", str(store), "--resume")
    assert code == 0, err
    assert "0 of 3 chunks computed (3 resumed)" in out
    assert "--out FILE.nc" not in out
