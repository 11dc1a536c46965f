"""Quantities with units: conversion into hhsim's units, refusal of the wrong dimension."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hhsim.errors import ParameterError
from hhsim.quantity import library_unit, to_unit

# Expected values from SI arithmetic written out here: 1 pA = 1e-12 A = 1e-3 nA;
# 1 um2 = 1e-8 cm2; 1 S = 1e3 mS; 1 V = 1e3 mV; 0 degC = 273.15 K.
CASES = [
    ("100 pA", "nA", 100e-12 / 1e-9),
    ("20 nS", "nS", 20.0),
    ("0.02 uS", "nS", 0.02e-6 / 1e-9),
    ("12 pF", "pF", 12.0),
    ("1200 um2", "um2", 1200.0),
    ("1200 µm²", "um2", 1200.0),
    ("-100 mV", "mV", -100.0),
    ("-0.1 V", "mV", -100.0),
    ("0.1 mS/cm2", "mS/cm2", 0.1),
    ("0.036 S/cm2", "mS/cm2", 36.0),
    ("1 uF/cm2", "uF/cm2", 1.0),
    ("2 mM", "mM", 2.0),
    ("0.5 um", "um", 0.5),
    ("0.2 s", "ms", 200.0),
    ("309.15 K", "degC", 36.0),
    ("2e-4 cm/s", "cm/s", 2e-4),
    ("0.1 /ms", "1/ms", 0.1),
    (-65, "mV", -65.0),
    ("-65", "mV", -65.0),
]


@pytest.mark.parametrize("value, unit, expected", CASES)
def test_conversion_into_library_units(value, unit, expected):
    assert to_unit(value, unit, "x") == pytest.approx(expected, rel=1e-12)


def test_point_quantities_become_densities_with_an_area():
    # 20 nS over 1000 um2: 20e-9 S / 1e-5 cm2 = 2e-3 S/cm2 = 2 mS/cm2
    assert to_unit("20 nS", "mS/cm2", "g", area_um2=1000.0) == pytest.approx(2.0, rel=1e-12)
    # 100 pA over 1000 um2: 1e-10 A / 1e-5 cm2 = 1e-5 A/cm2 = 10 uA/cm2
    assert to_unit("100 pA", "uA/cm2", "I", area_um2=1000.0) == pytest.approx(10.0, rel=1e-12)
    # 12 pF over 1200 um2: 12e-12 F / 1.2e-5 cm2 = 1e-6 F/cm2 = 1 uF/cm2
    assert to_unit("12 pF", "uF/cm2", "C", area_um2=1200.0) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("value, unit, words", [
    ("100 pA", "nS", ["weight", "current", "conductance"]),
    ("3 ms", "mV", ["weight", "time", "voltage"]),
    ("20 nS", "mS/cm2", ["area"]),            # a point quantity without an area
    ("1 mV", "1", ["plain number"]),
    ("3 blorps", "mV", ["unknown unit"]),
    ("3 furlongs", "mV", ["length", "voltage"]),
    ("1 ms**", "ms", ["unknown unit"]),
    ("1 __import__('os')", "ms", ["unknown unit"]),
    ("abc", "mV", ["not a number"]),
    (True, "mV", ["number"]),
    ("1e999 mV", "mV", ["finite"]),
])
def test_wrong_dimension_or_malformed_is_refused_in_one_line(value, unit, words):
    with pytest.raises(ParameterError) as info:
        to_unit(value, unit, "weight")
    message = str(info.value)
    assert "\n" not in message
    for w in words:
        assert w in message


def test_library_unit_of_a_quantity():
    assert library_unit("-7 V", "Vx") == "mV"
    assert library_unit("20 nS", "g") == "nS"
    assert library_unit("5 ms", "tau") == "ms"


def test_pint_is_imported_only_when_a_unit_is_met():
    code = ("import sys, hhsim; m = hhsim.models.get('hh').with_params(gNa=100); "
            "assert 'pint' not in sys.modules, 'pint imported without a unit'; "
            "m.with_params(gNa='0.1 S/cm2'); assert 'pint' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
