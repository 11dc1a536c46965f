"""Cable pictures: the space-time plot, traces, animation; formats and errors."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from hhsim import stim
from hhsim.cable import cable, point, simulate_cable
from hhsim.errors import OutputError
from hhsim.plot.cable import animate_cable, plot_cable, plot_kymograph, plot_traces


@pytest.fixture(scope="module")
def result():
    return simulate_cable(cable(20000.0, 476.0, 35.4), "hh", point(stim.pulse(20000.0, 0.5, 0.2), at=0.0),
                          dx=200.0, t_stop=4.0, temperature=18.5)


def test_kymograph_shows_v_of_x_and_t(result):
    fig = plot_kymograph(result)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    mesh = ax.collections[0]
    assert mesh.get_array().size == result.v.size
    assert np.nanmax(mesh.get_array()) == pytest.approx(result.v.max())
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "position (mm)"


def test_traces_at_chosen_positions(result):
    fig = plot_traces(result, positions=[2000.0, 10000.0, 18000.0])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    for line, x in zip(lines, (2000.0, 10000.0, 18000.0)):
        col = int(np.argmin(np.abs(result.rec_dist - x)))
        assert np.array_equal(line.get_ydata(), result.v[:, col])


def test_files_and_bad_suffixes(result, tmp_path):
    plot_cable(result, tmp_path / "c.svg")
    animate_cable(result, tmp_path / "c.gif", fps=5, seconds=1)
    assert (tmp_path / "c.svg").read_text().startswith("<?xml")
    with pytest.raises(OutputError, match="use a"):
        plot_cable(result, tmp_path / "c.txt")
    with pytest.raises(OutputError, match="use a"):
        animate_cable(result, tmp_path / "c.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.gif", "c.svg"]
