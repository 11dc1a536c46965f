"""Class 5 (issue 24): the Python API and the CLI refuse meaningless values in one line.

Wrong types where a model, a name, a number or a path is expected; gate
values outside 0..1; NaN thresholds; conductances no membrane has; a
channel whose steady state leaves 0..1.  Each is hhsim's own error, never a
TypeError from inside, and the valid edge of a range (gNa from 0) is accepted.
"""

from __future__ import annotations

import math

import pytest
from helpers.cli import cli_error, run_cli

import hhsim
from hhsim.dynamics import continue_parameter, model_field
from hhsim.errors import HHSimError

CHANNEL = """
name = "Kx"
gbar = 5.0
E = -80.0
[[gates]]
name = "w"
power = 1
inf = "{inf}"
tau = "2.0"
"""


@pytest.fixture(scope="module")
def result():
    return hhsim.simulate("hh", t_stop=2.0)


@pytest.mark.parametrize("path", [5, None, 1.5, ["a.csv"], b"out.csv", ""])
def test_save_wants_a_file_name(result, path):
    with pytest.raises(HHSimError, match="must be a file name"):
        result.save(path)


@pytest.mark.parametrize("state, needle", [({"m": 5}, "0 <= m <= 1"), ({"h": -0.2}, "0 <= h <= 1"),
                                           ({"n": float("nan")}, "finite"), ({"m": "x"}, "number")])
def test_initial_gate_values_are_fractions(state, needle):
    with pytest.raises(HHSimError, match=needle):
        hhsim.simulate("hh", t_stop=1.0, initial_state=state)


def test_an_initial_pool_concentration_must_be_positive():
    with pytest.raises(HHSimError, match="concentration"):
        hhsim.simulate("pospischil_lts", t_stop=1.0, initial_state={"Ca_i": -1e-4})


@pytest.mark.parametrize("value", [1e300, -1.0, 2e5])
def test_conductances_no_membrane_has_are_refused(value):
    with pytest.raises(HHSimError, match="conductance density"):
        hhsim.models.get("hh").with_params(gNa=value)


@pytest.mark.parametrize("command", ["run", "cable"])
def test_set_gna_1e300_is_one_line_on_the_cli(capsys, command):
    _, line = cli_error(capsys, command, "--set", "gNa=1e300")
    assert "gNa" in line and "conductance density" in line


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_nan_spike_threshold_is_refused(value):
    import dataclasses

    with pytest.raises(HHSimError, match="spike_threshold"):
        dataclasses.replace(hhsim.models.get("hh"), spike_threshold=value)


def test_a_preset_name_is_a_model_for_the_dynamics_api():
    assert model_field("hh").model == hhsim.models.get("hh")
    branches = continue_parameter("hh", "gK", 30.0, 40.0)
    assert branches and min(branches[0].p) == pytest.approx(30.0)


@pytest.mark.parametrize("args, needle", [((5, "gNa", 100, 120), "unknown model"),
                                          (("hh", 5, 100, 120), "parameter name"),
                                          (("hh", "gNa", "x", 120), "number"),
                                          (("hh", "gNa", 100, math.inf), "finite")])
def test_continue_parameter_refuses_wrong_types_in_one_line(args, needle):
    with pytest.raises(HHSimError, match=needle):
        continue_parameter(*args)


def test_a_conductance_range_from_zero_is_accepted(capsys):
    """gNa from 0 is a valid range: the derivative at its edge is taken one-sided, not at gNa = -0.0002."""
    code, out, err = run_cli(capsys, "bifurcation", "--param", "gNa", "--from", "0", "--to", "200")
    assert code == 0, err
    assert "gNa from 0 to 200" in out


@pytest.mark.parametrize("inf", ["2 / (1 + exp(-(V + 40) / 5))", "-0.5 + 1 / (1 + exp(-(V + 40) / 5))"])
def test_a_channel_whose_steady_state_leaves_0_to_1_is_refused(tmp_path, capsys, inf):
    path = tmp_path / "kx.toml"
    path.write_text(CHANNEL.format(inf=inf))
    _, line = cli_error(capsys, "run", "--channel", str(path), "--t-stop", "1")
    # refused where the file is read or where the model is made, naming the gate
    assert "Kx" in line and "w" in line and ("w_inf" in line or "inf(V)" in line)


def test_a_channel_within_0_to_1_runs(tmp_path, capsys):
    path = tmp_path / "kx.toml"
    path.write_text(CHANNEL.format(inf="1 / (1 + exp(-(V + 40) / 5))"))
    code, _, err = run_cli(capsys, "run", "--channel", str(path), "--t-stop", "1")
    assert code == 0, err
