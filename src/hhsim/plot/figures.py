"""Static figures of a simulated trace.

Only matplotlib's object API is used (``Figure`` + ``FigureCanvasAgg``), never
``pyplot``: no global state, no GUI backend, safe in threads and headless runs.
Labels are plain text, not ``$mathtext$``: matplotlib's mathtext parser is
shared and not thread-safe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import OutputError
from ..io import atomic_write, check_writable
from ..validate import file_path

#: Suffixes ``plot_result`` can write (matplotlib format = suffix without dot).
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")

_V_COLOR = "#1f3b73"
_REST_COLOR = "0.45"
_SPIKE_COLOR = "#d62728"
_STIM_COLOR = "#2c7f3f"
_GATE_COLORS = ("#e66101", "#5e3c99", "#1b9e77", "#b2182b", "#2166ac", "#7f7f7f")
_CURRENT_COLORS = {"Na": "#d62728", "K": "#1f77b4", "L": "#7f7f7f"}
_FONT = {"label": 10, "tick": 9, "legend": 8, "title": 11}


def plot_result(result, path: str | Path | None = None, *, title: str | None = None) -> Figure:
    """Draw the classic four-panel figure of a simulation on a shared time axis.

    Panels, top to bottom:

    (a) membrane potential V (mV), the resting potential ``result.v_rest`` (mV) as a
        dashed line, and spike times (ms) as faint vertical lines;
    (b) every gating variable in ``result.states`` (dimensionless, in [0, 1]);
    (c) ionic current densities ``result.currents`` (µA/cm², outward positive);
    (d) the stimulus: injected current (µA/cm²), or the command voltage (mV)
        when ``result.clamped``.

    Parameters
    ----------
    result : hhsim.Result
    path : optional file name; when given the figure is written atomically, in the
        format given by its suffix (``.png``, ``.svg`` or ``.pdf``).
    title : optional title; default names the model and the stimulus.

    Returns
    -------
    matplotlib.figure.Figure (not attached to pyplot).

    Raises
    ------
    OutputError : unsupported suffix, missing directory or unwritable file.
    """
    if path is not None:
        _check_suffix(path)
        check_writable(path)  # fail before drawing
    fig = Figure(figsize=(8.0, 8.5), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(4, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.6, 2, 1.1]})
    _plot_voltage(axes[0], result)
    _plot_gates(axes[1], result)
    _plot_currents(axes[2], result)
    _plot_stimulus(axes[3], result)
    for letter, ax in zip("abcd", axes):
        _style_axis(ax)
        ax.text(-0.1, 1.0, f"({letter})", transform=ax.transAxes, fontsize=_FONT["label"],
                fontweight="bold", va="top", ha="right")
    axes[-1].set_xlabel("time (ms)", fontsize=_FONT["label"])
    axes[-1].set_xlim(float(result.t[0]), float(result.t[-1]))
    fig.suptitle(title if title is not None else default_title(result), fontsize=_FONT["title"])
    fig.align_ylabels(axes)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def default_title(result) -> str:
    """'<model> model — <stimulus description>' (stimulus from ``result.meta``)."""
    name = getattr(result.model, "name", str(result.model))
    stimulus = result.meta.get("stimulus")
    head = f"{name} model" + (" (voltage clamp)" if result.clamped else "")
    return f"{head} — {stimulus}" if stimulus else head


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` atomically to ``path`` (.png, .svg or .pdf)."""
    path = file_path(path, "a figure's file name", error=OutputError, example="out.png")
    fmt = _check_suffix(path)[1:]
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, bbox_inches="tight"))
    return path


def _check_suffix(path: str | Path) -> str:
    suffix = file_path(path, "a figure's file name", error=OutputError, example="out.png").suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise OutputError(
            f"cannot write {str(path)!r}: use a {', '.join(FIGURE_SUFFIXES[:-1])} "
            f"or {FIGURE_SUFFIXES[-1]} file name"
        )
    return suffix


# ---------------------------------------------------------------- panels
def _plot_voltage(ax, result) -> None:
    """V (mV) over t (ms), the resting potential and the spike times."""
    for i, ts in enumerate(np.asarray(result.spike_times, dtype=float)):
        ax.axvline(ts, color=_SPIKE_COLOR, lw=0.8, alpha=0.25, zorder=1,
                   label="spike" if i == 0 else None)
    ax.axhline(result.v_rest, color=_REST_COLOR, ls="--", lw=1.0, zorder=2,
               label=f"rest {result.v_rest:.1f} mV", gid="v_rest")
    ax.plot(result.t, result.v, color=_V_COLOR, lw=1.4, zorder=3, label="V")
    ax.set_ylabel("V (mV)")
    ax.legend(loc="upper right", fontsize=_FONT["legend"], frameon=False, ncol=3)


def _plot_gates(ax, result) -> None:
    """Gating variables (dimensionless) in [0, 1]; concentrations (mM) on a twin axis."""
    n_gates = len(result.model.gates)
    items = list(result.states.items())
    gates, pools = items[:n_gates], items[n_gates:]
    for (name, values), color in zip(gates, _cycle(_GATE_COLORS)):
        ax.plot(result.t, values, color=color, lw=1.2, label=name)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel("gates (1)")
    ax.legend(loc="upper left", fontsize=_FONT["legend"], frameon=False,
              ncol=max(1, min(len(gates), 8)))
    if pools:
        twin = ax.twinx()
        for name, values in pools:
            twin.plot(result.t, values, color="0.35", lw=1.0, ls=":", label=name)
        twin.set_ylabel("concentration (mM)")
        twin.legend(loc="upper right", fontsize=_FONT["legend"], frameon=False)


def _plot_currents(ax, result) -> None:
    """Ionic current densities (µA/cm², outward positive)."""
    fallback = _cycle(_GATE_COLORS)
    for name, values in result.currents.items():
        color = _CURRENT_COLORS.get(name) or next(fallback)
        ax.plot(result.t, values, color=color, lw=1.2, label=f"I_{name}")
    ax.axhline(0.0, color="0.7", lw=0.6, zorder=0)
    ax.set_ylabel("I (µA/cm²)")
    ax.legend(loc="upper right", fontsize=_FONT["legend"], frameon=False,
              ncol=max(1, len(result.currents)))


def _plot_stimulus(ax, result) -> None:
    """Injected current (µA/cm²), or command voltage (mV) under clamp."""
    stim = np.asarray(result.stimulus, dtype=float)
    ax.plot(result.t, stim, color=_STIM_COLOR, lw=1.3, drawstyle="steps-post")
    if not result.clamped:
        ax.fill_between(result.t, 0.0, stim, step="post", color=_STIM_COLOR, alpha=0.15, lw=0)
    ax.set_ylabel("V_cmd (mV)" if result.clamped else "I_stim (µA/cm²)")
    lo, hi = float(np.min(stim)), float(np.max(stim))
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)


def _style_axis(ax) -> None:
    ax.yaxis.label.set_size(_FONT["label"])
    ax.tick_params(labelsize=_FONT["tick"])
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(True, color="0.92", lw=0.6)
    ax.set_axisbelow(True)


def _cycle(seq):
    while True:
        yield from seq
