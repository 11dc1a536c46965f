"""Sweep pictures: curves for one parameter, a heat map for two, facets for three, points for samples.

The resting potential needs no simulation, so these sweeps are instant; each
test checks that the picture shows the dataset's own numbers.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hhsim  # noqa: E402
from hhsim.errors import OutputError  # noqa: E402
from hhsim.plot.sweep import plot_sweep  # noqa: E402

AXES = {"gNa": [100.0, 120.0, 140.0], "gK": [30.0, 36.0], "gL": [0.2, 0.3]}


def test_one_parameter_gives_curves(tmp_path):
    ds = hhsim.sweep("hh", {"gK": AXES["gK"]}, ["v_rest", "rheobase"], workers=0)
    fig = plot_sweep(ds, tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
    axes = fig.axes
    assert len(axes) == 2  # one panel per measure
    x, y = axes[0].lines[0].get_data()
    assert np.array_equal(x, ds["gK"].values) and np.array_equal(y, ds["v_rest_mV"].values)


def test_two_parameters_give_a_heat_map(tmp_path):
    ds = hhsim.sweep("hh", {"gNa": AXES["gNa"], "gK": AXES["gK"]}, "v_rest", workers=0)
    fig = plot_sweep(ds, tmp_path / "h.svg")
    assert (tmp_path / "h.svg").read_text().startswith("<?xml")
    mesh = fig.axes[0].collections[0]
    assert np.array_equal(np.asarray(mesh.get_array()).reshape(3, 2), ds["v_rest_mV"].values)  # gNa rows, gK columns


def test_three_parameters_give_facets(tmp_path):
    ds = hhsim.sweep("hh", AXES, "v_rest", workers=0)
    fig = plot_sweep(ds, tmp_path / "f.png")
    panels = [ax for ax in fig.axes if ax.collections and ax.get_label() != "<colorbar>"]
    assert len(panels) == 2  # one heat map per value of gL
    for ax, g_l in zip(panels, AXES["gL"]):
        assert ax.get_title() == f"gL={g_l:g}"
        values = np.asarray(ax.collections[0].get_array()).reshape(3, 2)
        assert np.array_equal(values, ds["v_rest_mV"].sel(gL=g_l).values)


def test_samples_give_points_and_bad_measure_is_refused(tmp_path):
    ds = hhsim.sweep("hh", {"gNa": [100.0, 140.0], "gK": [30.0, 40.0]}, "v_rest", samples=8, workers=0)
    fig = plot_sweep(ds, tmp_path / "s.png")
    offsets = fig.axes[0].collections[0].get_offsets()
    assert np.allclose(offsets[:, 0], ds["gK"].values) and np.allclose(offsets[:, 1], ds["gNa"].values)
    with pytest.raises(OutputError, match="not a measure of this sweep"):
        plot_sweep(ds, tmp_path / "x.png", measure="peak_mV")
