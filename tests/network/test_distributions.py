"""Seeded value distributions, their text and table forms, and unit conversion.

Sample means are compared with the exact mean (scipy.stats for the
truncated normal) within 5 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hhsim.errors import HHSimError, ParameterError
from hhsim.network import distributions as D


def rng(seed=0):
    return np.random.default_rng(seed)


def mean_ok(x, mean, std):
    assert abs(x.mean() - mean) <= 5 * std / math.sqrt(x.size), (x.mean(), mean)


# -- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize("value,spec", [
    (3, D.Constant(3.0)),
    (-65.5, D.Constant(-65.5)),
    (np.float32(2.5), D.Constant(2.5)),
    ("2.5", D.Constant(2.5)),
    ("uniform(-65, -55)", D.Uniform(-65, -55)),
    (" uniform( low = -65 , high=-55 ) ", D.Uniform(-65, -55)),
    ("normal(6, 1)", D.Normal(6, 1)),
    ("normal(6, 1, low=0)", D.Normal(6, 1, low=0)),
    ("normal(6, 1, 0, 10)", D.Normal(6, 1, 0, 10)),
    ("normal(mean=6, std=1e-1, high=7)", D.Normal(6, 0.1, high=7)),
    ("constant(4)", D.Constant(4)),
    ({"dist": "uniform", "low": -65, "high": -55}, D.Uniform(-65, -55)),
    ({"dist": "normal", "mean": 6, "std": 1}, D.Normal(6, 1)),
    ({"dist": "normal", "mean": 6, "std": 1, "low": 0}, D.Normal(6, 1, low=0)),
    ({"dist": "constant", "value": 1}, D.Constant(1)),
    ([1, 2, 3], D.Values(np.array([1.0, 2.0, 3.0]))),
    (np.arange(4), D.Values(np.arange(4.0))),
    (np.array(7.0), D.Constant(7.0)),
])
def test_parse_forms(value, spec):
    assert D.parse(value) == spec
    assert D.parse(D.describe(spec)) == spec  # describe gives back a TOML-ready form


def test_describe_is_toml_ready():
    assert D.describe("uniform(-65, -55)") == {"dist": "uniform", "low": -65.0, "high": -55.0}
    assert D.describe(D.Normal(6, 1, low=0)) == {"dist": "normal", "mean": 6.0, "std": 1.0, "low": 0.0}
    assert D.describe(2) == 2.0
    assert D.describe(np.array([1.5, 2.0])) == [1.5, 2.0]


def test_values_are_a_private_read_only_copy():
    a = np.array([1.0, 2.0])
    v = D.parse(a)
    a[0] = 99.0
    assert v.values[0] == 1.0 and not v.values.flags.writeable
    out = D.sample(v, 2, rng())
    out[1] = -5
    assert v.values[1] == 2.0


@pytest.mark.parametrize("value,match", [
    ("uniform(1)", "uniform needs high"),
    ("uniform(1, 2, 3)", "at most 2 values"),
    ("uniform(a, b)", "is not a number"),
    ("uniform(low=1, 2)", "positional value"),
    ("uniform(1, low=2)", "low given twice"),
    ("uniform(1, 2, width=3)", "unknown parameter 'width'"),
    ("gamma(1, 2)", "unknown distribution 'gamma'"),
    ("__import__('os').system('true')", "unknown distribution '__import__'"),
    ("1 + 2", "cannot read the value"),
    ("6 nS", "cannot read the value"),
    ("uniform(2, 1)", "low <= high"),
    ("normal(6, -1)", "std must be >= 0"),
    ("normal(6, 1, low=7, high=5)", "low < high"),
    ("normal(6, 0, low=7)", "outside"),
    ("normal(6, inf)", "is not a number"),
    ({"dist": "gamma"}, "unknown distribution 'gamma'"),
    ({"dist": "normal", "mean": 1}, "normal needs std"),
    ({"mean": 1, "std": 2}, "needs a 'dist' key"),
    ({"dist": "uniform", "low": 1, "high": 2, "seed": 3}, "unknown parameter 'seed'"),
    ({"dist": "uniform", "low": "a", "high": 2}, "uniform low must be a number"),
    (True, "a value must be"),
    (float("nan"), "finite"),
    ([1.0, float("inf")], "finite numbers only"),
    ([[1, 2], [3, 4]], "must be flat"),
    (["a", "b"], "a value must be"),
    (None, "a value must be"),
])
def test_bad_specs_raise_parameter_error(value, match):
    with pytest.raises(ParameterError, match=match) as info:
        D.parse(value)
    assert isinstance(info.value, HHSimError) and "\n" not in str(info.value)


# -- sampling -------------------------------------------------------------------------------


def test_uniform_range_and_moments():
    x = D.sample("uniform(-65, -55)", 100_000, rng(1))
    assert x.dtype == np.float64 and x.shape == (100_000,)
    assert x.min() >= -65 and x.max() < -55
    mean_ok(x, -60.0, 10 / math.sqrt(12))
    # The variance of a uniform sample: (b - a)^2 / 12, with standard error sqrt((mu4 - s^4) / n).
    var, mu4 = 100 / 12, 10**4 / 80
    assert abs(x.var() - var) <= 5 * math.sqrt((mu4 - var**2) / x.size)


def test_normal_moments():
    x = D.sample({"dist": "normal", "mean": 6, "std": 1.5}, 100_000, rng(2))
    mean_ok(x, 6.0, 1.5)
    assert abs(x.std() - 1.5) <= 5 * 1.5 / math.sqrt(2 * x.size)


@pytest.mark.parametrize("mean,std,low,high", [
    (6.0, 3.0, 0.0, None),    # redraw: 98 % of the mass is kept
    (0.0, 1.0, -0.5, 1.0),    # redraw between two bounds
    (0.0, 1.0, 3.0, None),    # far tail (0.13 % kept): inverse CDF
    (0.0, 1.0, 2.5, 2.6),     # a thin slice of the tail
])
def test_truncated_normal_is_redrawn_not_clipped(mean, std, low, high):
    x = D.sample(D.Normal(mean, std, low, high), 50_000, rng(3))
    lo, hi = (low - mean) / std, (math.inf if high is None else (high - mean) / std)
    ref = stats.truncnorm(lo, hi, loc=mean, scale=std)
    assert x.min() >= low and (high is None or x.max() <= high)
    mean_ok(x, ref.mean(), ref.std())
    assert abs(x.std() - ref.std()) <= 5 * ref.std() / math.sqrt(x.size) * 2
    # Clipping would put a point mass on the bound; redrawing leaves none there.
    assert np.count_nonzero(x == low) == 0


def test_bounds_from_the_caller_for_weights_and_delays():
    w = D.sample("normal(1, 1)", 50_000, rng(4), low=0.0, name="weight")
    assert w.min() >= 0
    mean_ok(w, stats.truncnorm(-1, math.inf, loc=1, scale=1).mean(), 1.0)
    assert D.sample("uniform(0, 2)", 10, rng(), low=0.0).min() >= 0
    assert np.all(D.sample(3.0, 4, rng(), low=0.0) == 3.0)
    with pytest.raises(ParameterError, match=r"weight uniform\(-1, 2\) gives values outside \[0, inf\]"):
        D.sample("uniform(-1, 2)", 10, rng(), low=0.0, name="weight")
    with pytest.raises(ParameterError, match="delay -1 gives values outside"):
        D.sample(-1, 10, rng(), low=0.0, name="delay")
    with pytest.raises(ParameterError, match="gives values outside"):
        D.sample([1.0, -0.5], 2, rng(), low=0.0)
    with pytest.raises(ParameterError, match="cannot lie within"):
        D.sample("normal(1, 1, high=-1)", 10, rng(), low=0.0)


def test_constant_and_arrays():
    assert np.array_equal(D.sample(2.5, 3, rng()), [2.5, 2.5, 2.5])
    assert np.array_equal(D.sample([1, 2, 3], 3, rng()), [1.0, 2.0, 3.0])
    assert D.sample("uniform(0, 1)", 0, rng()).shape == (0,)
    with pytest.raises(ParameterError, match="3 values given for 4 elements; give one number or exactly 4"):
        D.sample([1, 2, 3], 4, rng(), name="v0")
    with pytest.raises(ParameterError, match="whole number >= 0"):
        D.sample(1.0, -1, rng())
    with pytest.raises(ParameterError, match="rng must be"):
        D.sample("uniform(0, 1)", 3, "seed")


def test_seeded_and_only_distributions_draw():
    a = D.sample("normal(0, 1)", 100, np.random.default_rng(7))
    b = D.sample("normal(0, 1)", 100, 7)  # a seed gives the same Generator
    assert np.array_equal(a, b)
    g = np.random.default_rng(8)
    state = g.bit_generator.state
    D.sample(3.0, 10, g)
    D.sample([1.0, 2.0], 2, g)
    assert g.bit_generator.state == state


# -- quantities and units -------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("6 nS", (6.0, "nS")),
    ("6nS", (6.0, "nS")),
    ("67 nS", (67.0, "nS")),
    ("1.5 µS", (1.5, "uS")),          # micro sign
    ("1.5 \u03bcS", (1.5, "uS")),     # Greek mu
    ("1.5 uS", (1.5, "uS")),
    ("20 pS", (20.0, "pS")),
    ("0.1 mS", (0.1, "mS")),
    ("0.1 mS/cm2", (0.1, "mS/cm2")),
    ("0.1 mS/cm²", (0.1, "mS/cm2")),
    ("0.1 mS / cm^2", (0.1, "mS/cm2")),
    ("-2e-1 nA", (-0.2, "nA")),
    ("50 pA", (50.0, "pA")),
    ("3 uA", (3.0, "uA")),
    ("10 µA/cm²", (10.0, "uA/cm2")),
    ("10 uA/cm2", (10.0, "uA/cm2")),
    ("1.5 ms", (1.5, "ms")),
    ("-65 mV", (-65.0, "mV")),
    ("6", (6.0, None)),
    (6, (6.0, None)),
])
def test_parse_quantity(text, expected):
    assert D.parse_quantity(text) == expected


@pytest.mark.parametrize("text,match", [
    ("6 kS", r"unknown unit 'kS'; accepted: nS, pS, uS"),
    ("6 siemens", "unknown unit"),
    ("nS", "cannot read the quantity"),
    ("six nS", "cannot read the quantity"),
    ("normal(6, 1)", "cannot read the quantity"),
    ([6], "must be written like '6 nS'"),
])
def test_bad_quantities(text, match):
    with pytest.raises(ParameterError, match=match):
        D.parse_quantity(text)


def test_to_density_from_si_units():
    # Independent check in SI: 6 nS on 20000 µm² (Brette et al. 2007 COBAHH cells).
    area_cm2 = 20000 * 1e-8
    g_mS_cm2 = 6e-9 / area_cm2 * 1e3
    assert D.to_density(6.0, "nS", 20000.0) == pytest.approx(g_mS_cm2, rel=1e-14)
    assert D.to_density(6.0, "nS", 20000.0) == pytest.approx(0.03, rel=1e-14)
    assert D.to_density(6000.0, "pS", 20000.0) == pytest.approx(0.03, rel=1e-14)
    assert D.to_density(0.006, "µS", 20000.0) == pytest.approx(0.03, rel=1e-14)
    assert D.to_density(6e-6, "mS", 20000.0) == pytest.approx(0.03, rel=1e-14)
    # 1 nA into 1000 µm²: 1e-9 A / 1e-5 cm² = 1e-4 A/cm² = 100 µA/cm².
    assert D.to_density(1.0, "nA", 1000.0) == pytest.approx(1e-9 / (1000 * 1e-8) * 1e6, rel=1e-14)
    assert D.to_density(1000.0, "pA", 1000.0) == pytest.approx(100.0, rel=1e-14)
    assert D.to_density(1e-3, "uA", 1000.0) == pytest.approx(100.0, rel=1e-14)
    # Densities pass through, with or without an area.
    assert D.to_density(0.2, "mS/cm2", None) == 0.2
    assert D.to_density(5.0, "µA/cm²", 123.0) == 5.0
    x = D.to_density(np.array([6.0, 12.0]), "nS", 20000.0)
    assert np.allclose(x, [0.03, 0.06], rtol=1e-14)


def test_to_density_bad_input():
    with pytest.raises(ParameterError, match=r"weight '6 nS' needs the population's area \(area_um2\)"):
        D.to_density(6.0, "nS", None)
    with pytest.raises(ParameterError, match="needs the population's area"):
        D.to_density(np.array([1.0]), "nA", None, what="current")
    with pytest.raises(ParameterError, match="is a time, not a conductance or current"):
        D.to_density(2.0, "ms", 100.0)
    with pytest.raises(ParameterError, match="area_um2 must be > 0"):
        D.to_density(2.0, "nS", 0.0)
    with pytest.raises(ParameterError, match="unknown unit 'S'"):
        D.to_density(2.0, "S", 10.0)
    assert D.unit_kind("µS") == "conductance" and D.unit_kind("mV") == "voltage"


@pytest.mark.parametrize("value,spec,unit", [
    ("6 nS", D.Constant(6), "nS"),
    ("normal(6, 1) nS", D.Normal(6, 1), "nS"),
    ("normal(6, 1, low=0)nS", D.Normal(6, 1, low=0), "nS"),
    ("uniform(1, 2) µS", D.Uniform(1, 2), "uS"),
    ("normal(6, 1)", D.Normal(6, 1), None),
    ("6", D.Constant(6), None),
    (0.2, D.Constant(0.2), None),
    ([1, 2], D.Values(np.array([1.0, 2.0])), None),
    ({"dist": "normal", "mean": 6, "std": 1, "unit": "nS"}, D.Normal(6, 1), "nS"),
    ({"value": 67, "unit": "nS"}, D.Constant(67), "nS"),
    ({"value": [1, 2], "unit": "mS/cm²"}, D.Values(np.array([1.0, 2.0])), "mS/cm2"),
])
def test_parse_with_unit(value, spec, unit):
    assert D.parse_with_unit(value) == (spec, unit)


@pytest.mark.parametrize("value,match", [
    ("normal(6, 1) kS", "unknown unit 'kS'"),
    ("six nS", "cannot read the quantity"),
    ({"value": 6, "unit": "x"}, "unknown unit 'x'"),
    ("gamma(1, 2) nS", "unknown distribution 'gamma'"),
])
def test_parse_with_unit_bad_input(value, match):
    with pytest.raises(ParameterError, match=match):
        D.parse_with_unit(value)
