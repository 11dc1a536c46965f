"""Figures and animations: panels, labels, file formats, atomic writes, errors."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import hhsim
from hhsim.errors import OutputError
from hhsim.plot import animate_result, plot_result
from hhsim.plot.animate import decimate, stimulus_intervals


@pytest.fixture(scope="module")
def result():
    return hhsim.simulate("hh", hhsim.stim.step(10, start=10, dur=30), t_stop=80)


@pytest.fixture(scope="module")
def fig(result):
    return plot_result(result)


def _files(directory):
    return sorted(p.name for p in directory.iterdir())


# ---------------------------------------------------------------- figure
def test_figure_has_four_panels_with_unit_labels(fig):
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 4
    labels = [ax.get_ylabel() for ax in axes]
    assert labels[0] == "V (mV)"
    assert labels[1].startswith("gates")
    assert labels[2] == "I (µA/cm²)"
    assert "stim" in labels[3] and "µA/cm²" in labels[3]
    assert axes[-1].get_xlabel() == "time (ms)"


def test_panels_share_the_time_axis(fig, result):
    for ax in fig.get_axes():
        assert ax.get_xlim() == pytest.approx((result.t[0], result.t[-1]))


def test_rest_line_is_at_v_rest(fig, result):
    ax = fig.get_axes()[0]
    rest = [line for line in ax.get_lines() if line.get_label().startswith("rest")]
    assert len(rest) == 1
    assert rest[0].get_linestyle() == "--"
    assert np.allclose(rest[0].get_ydata(), result.v_rest)
    assert f"{result.v_rest:.1f} mV" in rest[0].get_label()


def test_voltage_gates_currents_and_spikes_are_drawn(fig, result):
    v_ax, gate_ax, cur_ax, _ = fig.get_axes()
    assert any(np.array_equal(line.get_ydata(), result.v) for line in v_ax.get_lines())
    gate_labels = {line.get_label() for line in gate_ax.get_lines()}
    assert set(result.states) <= gate_labels
    assert gate_ax.get_ylim()[0] <= 0 and gate_ax.get_ylim()[1] >= 1
    cur_labels = " ".join(line.get_label() for line in cur_ax.get_lines())
    for name in ("Na", "K", "L"):
        assert name in cur_labels
    spike_lines = [line for line in v_ax.get_lines()
                   if np.ptp(line.get_xdata()) == 0 and line.get_label() != "V"
                   and not line.get_label().startswith("rest")]
    assert len(spike_lines) == result.n_spikes > 0


def test_title_names_model_and_stimulus(fig, result):
    title = fig._suptitle.get_text()
    assert "hh" in title and result.meta["stimulus"] in title
    assert plot_result(result, title="custom")._suptitle.get_text() == "custom"


def test_clamped_result_labels_command_voltage(result):
    clamped = dataclasses.replace(result, clamped=True)
    assert "mV" in plot_result(clamped).get_axes()[3].get_ylabel()


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_figure_formats(result, tmp_path, suffix):
    path = tmp_path / f"fig{suffix}"
    plot_result(result, path)
    assert _files(tmp_path) == [path.name]  # no temporary file left behind
    data = path.read_bytes()
    if suffix == ".png":
        with Image.open(path) as im:
            im.verify()
            assert im.format == "PNG"
    elif suffix == ".svg":
        head = data[:2000].decode("utf-8", "replace")
        assert head.startswith("<?xml") or "<svg" in head
    else:
        assert data.startswith(b"%PDF")


def test_save_figure_bad_suffix(result, tmp_path):
    with pytest.raises(OutputError, match=r"\.png.*\.svg.*\.pdf") as err:
        plot_result(result, tmp_path / "fig.jpg")
    assert "\n" not in str(err.value)
    assert _files(tmp_path) == []


def test_save_figure_missing_directory(result, tmp_path):
    with pytest.raises(OutputError):
        plot_result(result, tmp_path / "missing" / "fig.png")
    assert _files(tmp_path) == []


# ---------------------------------------------------------------- animation
@pytest.fixture(scope="module")
def gif(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("gif") / "ap.gif"
    assert animate_result(result, path, fps=10, seconds=2.0, dpi=50) == path
    return path


def test_gif_has_many_frames_drawn_progressively(gif):
    assert _files(gif.parent) == [gif.name]
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.n_frames == 20
        first = np.asarray(im.convert("RGB"))
        im.seek(im.n_frames // 2)
        middle = np.asarray(im.convert("RGB"))
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB"))
    assert not np.array_equal(first, last)
    assert not np.array_equal(first, middle)
    # more of the trace (dark pixels) is drawn as time advances
    dark = [int((frame.sum(axis=2) < 300).sum()) for frame in (first, middle, last)]
    assert dark[0] < dark[1] < dark[2]


def test_gif_default_frame_count(result, tmp_path):
    path = animate_result(result, tmp_path / "ap.gif", dpi=30)
    with Image.open(path) as im:
        assert im.n_frames == 80 > 10


def test_mp4_without_ffmpeg(result, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(OutputError, match="ffmpeg is not installed; use a .gif"):
        animate_result(result, tmp_path / "ap.mp4")
    assert _files(tmp_path) == []


@pytest.mark.parametrize("name", ["ap.avi", "ap.png", "ap"])
def test_animation_bad_suffix(result, tmp_path, name):
    with pytest.raises(OutputError, match=r"\.gif or \.mp4"):
        animate_result(result, tmp_path / name)
    assert _files(tmp_path) == []


def test_animation_missing_directory(result, tmp_path):
    with pytest.raises(OutputError):
        animate_result(result, tmp_path / "missing" / "ap.gif", fps=2, seconds=1, dpi=20)
    assert _files(tmp_path) == []


def test_animation_bad_settings(result, tmp_path):
    with pytest.raises(OutputError):
        animate_result(result, tmp_path / "ap.gif", fps=0)
    assert _files(tmp_path) == []


# ---------------------------------------------------------------- helpers
def test_stimulus_intervals(result):
    assert stimulus_intervals(result) == [(10.0, 40.0, 10.0)]


def test_decimate_keeps_extremes():
    t = np.linspace(0, 100, 100_001)
    v = np.where(np.abs(t - 50.0005) < 1e-3, 40.0, -65.0)
    td, vd = decimate(t, v, max_points=1000)
    assert td.size <= 1002
    assert vd.max() == 40.0 and vd.min() == -65.0
    assert td[0] == 0 and td[-1] == 100
    assert np.all(np.diff(td) > 0)
