"""Bad input to `hhsim fit`: one line, exit status 2, nothing written."""

import numpy as np
import pytest

from helpers.cli import cli_error
from conftest import AREA_UM2, write_hh_csv

GOOD_PARAM = "gNa=80:200"


def _csv(path, header, rows):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _rows(n=40, dt=0.05, cols=1, stim_cols=0):
    out = []
    for k in range(n):
        vals = [f"{k * dt:g}"] + ["-65"] * cols + (["0.1" if k > 5 else "0"] * stim_cols)
        out.append(",".join(vals))
    return out


@pytest.fixture
def good_csv(tmp_path, hh_sweeps):
    return write_hh_csv(tmp_path / "cell.csv", hh_sweeps[:1])


def _fit(tmp_path, data, *extra, params=(GOOD_PARAM,)):
    args = ["fit", "--model", "hh", "--data", str(data), "--generations", "1", "--population", "4", "--quiet",
            "--out", str(tmp_path / "fitted.toml"), "--plot", str(tmp_path / "report.png")]
    for p in params:
        args += ["--param", p]
    return args + list(extra)


def _nothing_written(tmp_path):
    assert not (tmp_path / "fitted.toml").exists() and not (tmp_path / "report.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_mismatched_lengths(tmp_path, capsys):
    rows = _rows(cols=2, stim_cols=2)
    rows[-1] = rows[-1].rsplit(",", 1)[0]  # one sweep's stimulus ends a sample early
    data = _csv(tmp_path / "short.csv", "t_ms,a_mV,b_mV,stim_a_nA,stim_b_nA", rows)
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--area", str(AREA_UM2)))
    assert "row 41" in line and "equal length" in line
    _nothing_written(tmp_path)


def test_nan_samples(tmp_path, capsys):
    rows = _rows(cols=1, stim_cols=1)
    rows[10] = "0.5,nan,0.1"
    data = _csv(tmp_path / "nan.csv", "t_ms,a_mV,stim_a_nA", rows)
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--area", str(AREA_UM2)))
    assert "NaN" in line and "sample 10" in line
    _nothing_written(tmp_path)


def test_missing_units(tmp_path, capsys):
    data = _csv(tmp_path / "nounit.csv", "t_ms,a,stim_a_nA", _rows(cols=1, stim_cols=1))
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--area", str(AREA_UM2)))
    assert "no unit" in line and "--units" in line


def test_point_current_without_area(tmp_path, capsys, good_csv):
    _, line = cli_error(capsys, *_fit(tmp_path, good_csv))
    assert "--area" in line and "nA" in line
    _nothing_written(tmp_path)


def test_wrong_unit_dimension(tmp_path, capsys):
    data = _csv(tmp_path / "ms.csv", "t_ms,a_ms,stim_a_nA", _rows(cols=1, stim_cols=1))
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--area", str(AREA_UM2)))
    assert "neither a potential" in line


@pytest.mark.parametrize("param, words", [
    ("gNa=200:80", "reversed"),
    ("gNa=100:100", "empty"),
    ("gNa=-1:10:log", "log scale"),
    ("gNaa=80:200", "unknown parameter 'gNaa'"),
    ("gNa=80", "NAME=LOW:HIGH"),
])
def test_bad_bounds_and_names(tmp_path, capsys, good_csv, param, words):
    _, line = cli_error(capsys, *_fit(tmp_path, good_csv, "--area", str(AREA_UM2), params=(param,)))
    assert words in line
    _nothing_written(tmp_path)


def test_stimulus_count_does_not_match_sweeps(tmp_path, capsys):
    data = _csv(tmp_path / "nostim.csv", "t_ms,a_mV,b_mV", _rows(cols=2))
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--stim", "step(amp=1,start=0.5,dur=1)"))
    assert "2 sweeps but 1 stimulus specs" in line


def test_stimulus_outside_the_sweep(tmp_path, capsys):
    data = _csv(tmp_path / "late.csv", "t_ms,a_mV", _rows(cols=1))  # 1.95 ms long
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--stim", "step(amp=1,start=50,dur=10)"))
    assert "after the sweep ends" in line
    _nothing_written(tmp_path)


def test_objective_and_clamp_kind_disagree(tmp_path, capsys, good_csv):
    _, line = cli_error(capsys, *_fit(tmp_path, good_csv, "--area", str(AREA_UM2), "--objective", "clamp"))
    assert "current-clamp sweep" in line and "clamp" in line


def test_unknown_feature(tmp_path, capsys, good_csv):
    _, line = cli_error(capsys, *_fit(tmp_path, good_csv, "--area", str(AREA_UM2), "--objective", "features",
                                      "--features", "spike_count_typo"))
    assert "unknown eFEL feature" in line


def test_bad_output_suffix_before_any_work(tmp_path, capsys, good_csv):
    args = _fit(tmp_path, good_csv, "--area", str(AREA_UM2))
    args[args.index("--out") + 1] = str(tmp_path / "fitted.txt")
    _, line = cli_error(capsys, *args)
    assert ".toml" in line


def test_unknown_recording_kind(tmp_path, capsys):
    data = tmp_path / "cell.mat"
    data.write_bytes(b"\0" * 10)
    _, line = cli_error(capsys, *_fit(tmp_path, data))
    assert "accepted: .nwb, .abf, .csv" in line


def test_damaged_nwb(tmp_path, capsys):
    data = tmp_path / "cell.nwb"
    data.write_bytes(b"not hdf5 at all" * 10)
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--area", str(AREA_UM2)))
    assert "not a readable NWB file" in line


def test_features_without_the_features_objective(tmp_path, capsys, good_csv):
    _, line = cli_error(capsys, *_fit(tmp_path, good_csv, "--area", str(AREA_UM2), "--features", "spike_count"))
    assert "--objective features" in line


def test_every_candidate_diverging_is_an_error(tmp_path, capsys):
    """Forward Euler at a step far beyond its stability limit (1 ms samples): no candidate gives a trace."""
    data = _csv(tmp_path / "coarse.csv", "t_ms,a_mV", _rows(n=30, dt=1.0, cols=1))
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--method", "euler", "--dt", "1", "--stim",
                                      "step(amp=10,start=5,dur=20)"))
    assert "diverged" in line
    _nothing_written(tmp_path)


def test_mixed_units_in_one_file(tmp_path, capsys):
    data = _csv(tmp_path / "mixed.csv", "t_ms,a_mV,b_pA,stim_a_nA,stim_b_mV", _rows(cols=2, stim_cols=2))
    _, line = cli_error(capsys, *_fit(tmp_path, data, "--area", str(AREA_UM2)))
    assert "mixes potentials and currents" in line
    _nothing_written(tmp_path)


def test_stimulus_column_of_the_wrong_kind(tmp_path, capsys):
    """A current-clamp sweep whose stimulus column is a potential."""
    data = _csv(tmp_path / "wrong.csv", "t_ms,a_mV,stim_a_mV", _rows(cols=1, stim_cols=1))
    _, line = cli_error(capsys, *_fit(tmp_path, data))
    assert "stimulus of sweep 'a'" in line and "current density" in line
