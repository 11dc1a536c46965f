"""Protocol figures: the right axes and marks, written atomically, refused with a bad suffix."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from hhsim import analysis, models
from hhsim.errors import OutputError
from hhsim.plot import protocols as plots


@pytest.fixture(scope="module")
def fi():
    return analysis.fi_curve("hh", 5.0, 12.0, 8, dur=300.0)


def test_fi_figure_marks_the_bistable_range(fi, tmp_path):
    assert fi.bistable_range_uA_cm2 is not None
    fig = fi.plot(tmp_path / "fi.png")
    assert isinstance(fig, Figure)
    ax = fig.get_axes()[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(s.startswith("bistable") for s in labels)
    assert ax.get_xlabel() == "injected current (µA/cm²)" and ax.get_ylabel() == "steady firing rate (Hz)"
    assert (tmp_path / "fi.png").stat().st_size > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_strength_duration_figure_is_log_log():
    sd = analysis.strength_duration("hh", durations=[0.1, 0.3, 1.0, 3.0, 10.0])
    ax = plots.plot_strength_duration(sd).get_axes()[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "pulse duration (ms)"


def test_vclamp_figure_panels():
    vc = analysis.vclamp("hh", [-60.0, 0.0], prepulses=[-100.0, -80.0, -60.0, -40.0])
    fig = vc.plot()
    titles = [ax.get_title() for ax in fig.get_axes()]
    assert "I_Na" in titles and "I_K" in titles and "I-V" in titles


def test_bad_suffix_is_refused_before_drawing(fi, tmp_path):
    with pytest.raises(OutputError, match=".png"):
        fi.plot(tmp_path / "fi.jpg")
    assert not list(tmp_path.iterdir())


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    from hhsim.analysis._common import progress_bar

    assert progress_bar("x", None).disable  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert not progress_bar("x", None).disable
    assert progress_bar("x", False).disable  # --quiet


def test_run_many_segments_match_one_piece():
    """Splitting the time axis (for the progress bar) changes nothing: the state is carried exactly."""
    from hhsim import stim
    from hhsim.analysis._common import run_many

    kw = dict(n=3, scale=np.array([5.0, 10.0, 20.0]), method="rk4", dt=0.025, record_every=4)
    a = run_many(models.get("hh"), [stim.step(1.0, start=2.0, dur=30.0)], 40.0,
                 segments=1, **kw)
    b = run_many(models.get("hh"), [stim.step(1.0, start=2.0, dur=30.0)], 40.0,
                 segments=7, **kw)
    assert np.array_equal(a.t, b.t) and np.array_equal(a.v, b.v)
    # the trajectories are bitwise equal; a crossing time is t0 + (n + f) dt with each
    # segment's own t0, which may round differently in the last bit (1e-15 ms)
    for x, y in zip(a.spike_times, b.spike_times):
        assert x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)
