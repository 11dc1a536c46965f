"""Presets say how they differ from their peers, and print parameters with distinct names (issue 24, item 6)."""

from __future__ import annotations

import re

from helpers.cli import run_cli

import hhsim


def test_hh_says_how_it_differs_from_neuron_and_nest_and_the_set_reproduces_neuron(capsys):
    code, out, _ = run_cli(capsys, "models", "hh")
    assert code == 0
    assert "-54.387" in out and "-54.3 " in out and "-54.402" in out and "--set EL=-54.3" in out
    # the one-line change gives NEURON's leak reversal (hh.mod: el_hh = -54.3 mV)
    model = hhsim.models.get("hh").with_params(EL=-54.3)
    assert {c.name: c.E for c in model.channels}["L"] == -54.3
    code, _, err = run_cli(capsys, "run", "--set", "EL=-54.3", "--t-stop", "5")
    assert code == 0, err


def test_wang_buzsaki_prints_distinct_names_for_its_phi_and_the_temperature_factor(capsys):
    code, out, _ = run_cli(capsys, "models", "wang_buzsaki")
    assert code == 0
    equations = out.split("equations")[1]
    # 'phi' is Wang & Buzsaki's constant (5) only; the temperature factor has a name of its own
    defined = re.findall(r"^\s*([\w.]+) = ", equations, flags=re.M)
    assert "phi" not in defined
    assert any(name.endswith("q10_factor") for name in defined)
