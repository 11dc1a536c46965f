"""The bifurcation figure read as a student reads it (issue 24, section 8), from its artists.

``hhsim bifurcation --plot``: stable orbits whose peak stays below the spike
detection threshold are marked where the simulated f-I curve shows 0 Hz beside
them (and the legend says why), and every abbreviation written on the diagram
(H, SN, LPC, PD) is spelled out in the legend.  The figure is taken from
:func:`hhsim.plot.dynamics.plot_diagram` as the command draws it; nothing is
read from pixels.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import hhsim.plot.dynamics as plot_dynamics
from helpers.cli import run_cli

SPELLED = {
    "H": "H: Hopf bifurcation (sub: subcritical, sup: supercritical)",
    "SN": "SN: saddle-node of equilibria",
    "LPC": "LPC: limit point of cycles (fold of periodic orbits)",
    "PD": "PD: period doubling",
}


def _figure(monkeypatch, capsys, tmp_path, *args):
    """The Figure ``hhsim bifurcation ARGS --plot`` draws (and the file it wrote)."""
    drawn = []
    original = plot_dynamics.plot_diagram

    def keep(d, path=None):
        fig = original(d, path)
        drawn.append(fig)
        return fig

    monkeypatch.setattr(plot_dynamics, "plot_diagram", keep)
    out = tmp_path / "diagram.png"
    code, _, err = run_cli(capsys, "bifurcation", *args, "--plot", str(out), "--quiet")
    assert code == 0, err
    assert out.stat().st_size > 10_000 and len(drawn) == 1
    return drawn[0]


def _legend(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def _abbreviations(ax) -> set[str]:
    """The abbreviations the annotations on an axis start with ("H (sub) 9.775" -> "H")."""
    return {re.match(r"[A-Z]+", t.get_text()).group(0) for t in ax.texts if re.match(r"[A-Z]+\b", t.get_text())}




def test_hh_figure_marks_oscillations_below_the_threshold_and_spells_out_every_abbreviation(
        monkeypatch, capsys, tmp_path):
    fig = _figure(monkeypatch, capsys, tmp_path, "--model", "hh", "--to", "200")
    ax_v, ax_f, ax_t = fig.axes[:3]

    # the V panel: the threshold drawn and named, every abbreviation written on it spelled out, no other
    v_legend = _legend(ax_v)
    assert "spike detection threshold (0 mV)" in v_legend
    used = _abbreviations(ax_v)
    assert {"H", "LPC"} <= used  # hh to 200 µA/cm²: two Hopf points and folds of cycles
    for abbr in used:
        assert SPELLED[abbr] in v_legend, (abbr, v_legend)
    for abbr, text in SPELLED.items():  # only what is drawn is explained
        drawn = abbr in used or any(line.get_marker() == {"PD": "d", "SN": "s"}.get(abbr) and len(line.get_xdata())
                                    for line in ax_v.lines)
        assert (text in v_legend) == drawn, (abbr, v_legend)

    # the frequency panel: the simulated points say what they count, and the stable orbits that
    # never reach 0 mV are marked and explained where the simulation shows 0 Hz beside them
    f_legend = _legend(ax_f)
    below = "oscillations peaking below 0 mV (no spike counted: simulated rate 0)"
    assert below in f_legend
    assert any("simulated, current rising (spikes crossing 0 mV)" == t for t in f_legend)
    marks = [line for line in ax_f.lines if line.get_marker() == "x"]
    assert len(marks) == 1 and marks[0].get_label() == below
    i_x, f_x = (np.asarray(a, dtype=float) for a in marks[0].get_data())
    assert i_x.size >= 5 and np.all(f_x > 100.0)  # the small stable cycles at 125-170 Hz
    assert i_x.max() <= 155.0  # none beyond the supercritical Hopf point, where the cycle ends
    rising = next(line for line in ax_f.lines if line.get_label().startswith("simulated, current rising"))
    i_sim, f_sim = (np.asarray(a, dtype=float) for a in rising.get_data())
    inside = (i_sim >= i_x.min()) & (i_sim <= i_x.max())
    assert inside.any() and np.all(f_sim[inside] == 0.0)  # the 0 Hz the marks explain
    # each mark sits on a stable orbit whose V max is below the threshold (the V panel's red curve)
    assert ax_v.get_ylabel() == "V (mV)" and ax_f.get_ylabel() == "frequency (Hz)"
    assert ax_t.get_xlabel() == "injected current I (µA/cm²)"


def test_a_saddle_node_is_spelled_out(monkeypatch, capsys, tmp_path):
    fig = _figure(monkeypatch, capsys, tmp_path, "--model", "wang_buzsaki", "--no-cycles", "--no-fi")
    ax_v = fig.axes[0]
    used = _abbreviations(ax_v)
    assert "SN" in used
    legend = _legend(ax_v)
    for abbr in used:
        assert SPELLED[abbr] in legend, (abbr, legend)
    assert SPELLED["LPC"] not in legend and SPELLED["PD"] not in legend  # no cycles drawn, none explained
