"""The dynamics commands: JSON shape, figures, every preset, one-line errors."""

from __future__ import annotations

import json

import pytest

import hhsim
from helpers.cli import cli_error, run_cli


def test_bifurcation_hh_json_and_figure(capsys, tmp_path):
    fig = tmp_path / "hh.png"
    code, out, err = run_cli(capsys, "bifurcation", "--model", "hh", "--to", "200", "--plot", str(fig), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert {"equilibria", "hopf", "saddle_nodes", "cycle_folds", "period_doublings", "onset"} <= set(d)
    kinds = [(round(h["I_uA_cm2"], 2), h["kind"]) for h in d["hopf"]]
    assert kinds == [(9.78, "subcritical"), (154.52, "supercritical")]
    assert all({"I_uA_cm2", "frequency_hz", "lyapunov", "kind"} <= set(h) for h in d["hopf"])
    assert d["onset"]["type"] == "hopf" and d["onset"]["I_uA_cm2"] == pytest.approx(9.7754, abs=1e-3)
    assert any(abs(c["I_uA_cm2"] - 6.26) < 0.01 for c in d["cycle_folds"])
    assert all({"I_uA_cm2", "period_ms"} <= set(c) for c in d["cycle_folds"])
    assert all({"V_mV", "I_uA_cm2", "stable"} <= set(e) for e in d["equilibria"])
    assert fig.stat().st_size > 10_000


def test_equilibria_command(capsys):
    code, out, _ = run_cli(capsys, "equilibria", "--model", "traub_miles", "--json")
    d = json.loads(out)
    assert code == 0 and not any(e["stable"] for e in d["equilibria"])
    assert d["notes"] == ["no stable rest state at 0 µA/cm²"]
    code, out, _ = run_cli(capsys, "equilibria", "--model", "hh", "--at", "5")
    assert code == 0 and "stable" in out


@pytest.mark.parametrize("args, needle", [
    (("bifurcation", "--param", "gNaa"), "unknown continuation parameter 'gNaa'"),
    (("bifurcation", "--from", "5", "--to", "5"), "empty"),
    (("bifurcation", "--param", "gK", "--from", "5", "--to", "5"), "empty"),
    (("bifurcation", "--plot", "x.txt"), ".png"),
    (("equilibria", "--set", "gFoo=3"), "unknown parameter 'gFoo'"),
])
def test_bad_input_one_line_exit_2(capsys, args, needle):
    _, line = cli_error(capsys, *args)
    assert needle in line


@pytest.mark.slow
@pytest.mark.parametrize("name", hhsim.models.names())
def test_every_preset_bifurcation_runs(capsys, tmp_path, name):
    fig = tmp_path / f"{name}.svg"
    code, out, err = run_cli(capsys, "bifurcation", "--model", name, "--plot", str(fig), "--no-fi", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["model"] == name and d["equilibria"]
    assert d["onset"]["type"] in ("hopf", "saddle-node", None)
    assert fig.stat().st_size > 5_000


def test_phase_plane_command(capsys, tmp_path):
    fig = tmp_path / "wb.png"
    code, out, err = run_cli(capsys, "phase-plane", "--model", "wang_buzsaki", "--start=-50,0.2",
                             "--stim", "pulses(amp=3, start=5, dur=1)", "--plot", str(fig), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert [e["type"] for e in d["equilibria"]] == ["stable node", "saddle", "unstable focus"]
    assert d["separatrix"] and len(d["trajectories"]) == 2 and d["full_trajectory"]
    assert fig.stat().st_size > 10_000


@pytest.mark.parametrize("args, needle", [
    (("phase-plane", "--vars", "V,q"), "has no state 'q'"),
    (("phase-plane", "--vars", "V"), "two different state names"),
    (("phase-plane", "--start", "1,2,3"), "two numbers"),
    (("phase-plane", "--reduce", "magic"), "magic"),
])
def test_phase_plane_bad_input(capsys, args, needle):
    _, line = cli_error(capsys, *args)
    assert needle in line


@pytest.mark.parametrize("name", ["hh", "wang_buzsaki", "pospischil_ib", "destexhe_tc"])
def test_equilibria_agree_with_hhsim_models(capsys, name):
    """The resting potential printed by `hhsim models NAME` is one of the equilibria at 0 µA/cm²."""
    import re

    code, out, _ = run_cli(capsys, "models", name)
    assert code == 0
    v_rest = float(re.search(r"resting potential \(computed\):\s*(-?[\d.]+) mV", out).group(1))
    code, out, _ = run_cli(capsys, "equilibria", "--model", name, "--json")
    vs = [e["V_mV"] for e in json.loads(out)["equilibria"]]
    assert min(abs(v - v_rest) for v in vs) < 5e-5  # the listing prints 4 decimals
