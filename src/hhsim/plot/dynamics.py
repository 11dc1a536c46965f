"""Figures of the dynamics lab (:mod:`hhsim.dynamics`): bifurcation diagram, phase plane.

Object API only (no pyplot); written atomically (.png, .svg or .pdf).
Stable branches are solid, unstable ones dashed.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .figures import save_figure

_EQ = "#1f3b73"
_CYC = "#d62728"
_UP = "#d95f02"
_DOWN = "#7570b3"


def _runs(mask: np.ndarray):
    """(start, stop) index pairs of runs of equal values in ``mask``, overlapping by one sample."""
    edges = np.nonzero(np.diff(mask.astype(int)))[0] + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges + 1, [mask.size]])
    return [(int(a), int(min(b, mask.size))) for a, b in zip(starts, stops)]


def _line(ax, x, y, stable, color, label=None):
    for a, b in _runs(stable):
        ax.plot(x[a:b], y[a:b], color=color, lw=1.6 if stable[a] else 1.1,
                ls="-" if stable[a] else "--", label=label if a == 0 else None)


def plot_diagram(d, path=None) -> Figure:
    """V extrema against I (equilibria and cycles), frequency and period against I."""
    fig = Figure(figsize=(8, 9))
    FigureCanvasAgg(fig)
    ax_v, ax_f, ax_t = fig.subplots(3, 1, sharex=True)
    lo, hi = d.i_span
    br = d.branch
    k = (br.current >= lo - 0.05 * (hi - lo)) & (br.current <= hi + 0.05 * (hi - lo))
    cur = np.where(k, br.current, np.nan)
    _line(ax_v, cur, br.v, br.stable, _EQ, "equilibria")
    for n, b in enumerate(d.cycles):
        a = b.arrays()
        if a["I_uA_cm2"].size < 2:
            continue
        lab = "periodic orbits (V max, min)" if n == 0 else None
        _line(ax_v, a["I_uA_cm2"], a["V_max_mV"], a["stable"], _CYC, lab)
        _line(ax_v, a["I_uA_cm2"], a["V_min_mV"], a["stable"], _CYC)
        _line(ax_f, a["I_uA_cm2"], 1e3 / a["period_ms"], a["stable"], _CYC, "periodic orbits" if n == 0 else None)
        _line(ax_t, a["I_uA_cm2"], a["period_ms"], a["stable"], _CYC)
    thr = float(d.model.spike_threshold)
    below_labelled = False
    for b in d.cycles:  # stable orbits that never reach the spike threshold: the simulation counts 0 Hz there
        a = b.arrays()
        low = np.asarray(a["stable"], dtype=bool) & (np.asarray(a["V_max_mV"]) < thr)
        if low.any():
            ax_f.plot(a["I_uA_cm2"][low], 1e3 / a["period_ms"][low], "x", color=_CYC, ms=5,
                      label=None if below_labelled else
                      f"oscillations peaking below {thr:g} mV (no spike counted: simulated rate 0)")
            below_labelled = True
    ax_v.axhline(thr, color="#999999", ls=":", lw=1.0, label=f"spike detection threshold ({thr:g} mV)")
    used = set()
    for h in d.hopf:
        if d.in_span(h.i_uA_cm2):
            used.add("H")
            ax_v.plot(h.i_uA_cm2, h.v_mV, "o", color="k", ms=5)
            ax_v.annotate(f"H ({h.kind[:3]}) {h.i_uA_cm2:.4g}", (h.i_uA_cm2, h.v_mV), xytext=(4, -12),
                          textcoords="offset points", fontsize=8)
    for s in d.saddle_nodes:
        if d.in_span(s.i_uA_cm2):
            used.add("SN")
            ax_v.plot(s.i_uA_cm2, s.v_mV, "s", color="k", ms=5)
            ax_v.annotate(f"SN {s.i_uA_cm2:.4g}", (s.i_uA_cm2, s.v_mV), xytext=(4, 4),
                          textcoords="offset points", fontsize=8)
    for p in d.cycle_folds:
        used.add("LPC")
        vmin, vmax = p.orbit.v_extrema()
        ax_v.plot([p.i_uA_cm2] * 2, [vmin, vmax], "^", color="k", ms=5)
        ax_v.annotate(f"LPC {p.i_uA_cm2:.4g}", (p.i_uA_cm2, vmax), xytext=(4, 4),
                      textcoords="offset points", fontsize=8)
    for p in d.period_doublings:
        used.add("PD")
        vmin, vmax = p.orbit.v_extrema()
        ax_v.plot([p.i_uA_cm2] * 2, [vmin, vmax], "d", color="#555555", ms=4)
    # the abbreviations spelled out in the legend (only those drawn)
    for key, marker, color, text in (("H", "o", "k", "H: Hopf bifurcation (sub: subcritical, sup: supercritical)"),
                                     ("SN", "s", "k", "SN: saddle-node of equilibria"),
                                     ("LPC", "^", "k", "LPC: limit point of cycles (fold of periodic orbits)"),
                                     ("PD", "d", "#555555", "PD: period doubling")):
        if key in used:
            ax_v.plot([], [], marker, color=color, ms=5, label=text)
    if d.fi is not None:
        c = d.fi.currents_uA_cm2
        thr = f"spikes crossing {d.model.spike_threshold:g} mV"
        ax_f.plot(c, d.fi.rates_up_hz, "^", color=_UP, ms=4, label=f"simulated, current rising ({thr})")
        ax_f.plot(c, d.fi.rates_down_hz, "v", color=_DOWN, ms=4, label="simulated, current falling")
    ax_v.set_ylabel("V (mV)")
    ax_f.set_ylabel("frequency (Hz)")
    ax_t.set_ylabel("period (ms)")
    ax_t.set_xlabel("injected current I (µA/cm²)")
    ax_t.set_yscale("log")
    ax_v.set_xlim(lo, hi)
    for ax in (ax_v, ax_f):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
    onset = d.onset.get("type")
    title = f"{d.model.name}: bifurcation diagram in I (stable solid, unstable dashed)"
    if onset:
        title += f"\nonset: {onset} at {d.onset['I_uA_cm2']:.5g} µA/cm²"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_phase_plane(pp, path=None) -> Figure:
    """Nullclines, vector field, equilibria (by type), trajectories and the separatrix."""
    fig = Figure(figsize=(7, 6))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    X, Y = pp.grid
    U, W = pp.field_xy
    speed = np.hypot(U / np.ptp(X), W / np.ptp(Y))
    speed[speed == 0] = 1.0
    ax.quiver(X, Y, U / speed, W / speed, color="0.7", angles="xy", width=0.002)
    ax.contour(pp.fine[0], pp.fine[1], pp.nullcline_x, levels=[0], colors=[_EQ], linewidths=1.5)
    ax.contour(pp.fine[0], pp.fine[1], pp.nullcline_y, levels=[0], colors=["#2c7f3f"], linewidths=1.5)
    ax.plot([], [], color=_EQ, label=f"d{pp.x_name}/dt = 0")
    ax.plot([], [], color="#2c7f3f", label=f"d{pp.y_name}/dt = 0")
    for k, tr in enumerate(pp.trajectories):
        ax.plot(tr[:, 0], tr[:, 1], color=_CYC, lw=1.0, label="trajectories" if k == 0 else None)
        ax.plot(tr[0, 0], tr[0, 1], "o", color=_CYC, ms=3)
    if pp.full_trajectory is not None:
        ax.plot(pp.full_trajectory[:, 0], pp.full_trajectory[:, 1], color="#7570b3", lw=1.0, ls="-.",
                label="full model (projected)")
    if pp.separatrix is not None:
        ax.plot(pp.separatrix[:, 0], pp.separatrix[:, 1], color="k", ls=":", lw=1.5, label="threshold separatrix")
    for e in pp.equilibria:
        filled = e["stable"]
        ax.plot(e["x"], e["y"], "o", ms=8, mfc="k" if filled else "w", mec="k")
        ax.annotate(e["type"], (e["x"], e["y"]), xytext=(6, 6), textcoords="offset points", fontsize=8)
    ax.set_xlim(pp.x_range)
    ax.set_ylim(pp.y_range)
    ax.set_xlabel(pp.x_label)
    ax.set_ylabel(pp.y_label)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(pp.title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_parameter_diagram(d: dict, path=None) -> Figure:
    """V of the equilibria against a model parameter (from :func:`parameter_diagram`)."""
    fig = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    eqs = d["equilibria"]
    if eqs:
        p = np.array([e["value"] for e in eqs])
        v = np.array([e["V_mV"] for e in eqs])
        st = np.array([e["stable"] for e in eqs])
        # branches are listed one after another; break the line where the parameter jumps back
        cuts = np.nonzero(np.abs(np.diff(p)) > 0.25 * (d["to"] - d["from"]))[0] + 1
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [p.size]])):
            _line(ax, p[a:b], v[a:b], st[a:b], _EQ, "equilibria" if a == 0 else None)
    for h in d["hopf"]:
        ax.plot(h["value"], h["V_mV"], "o", color="k", ms=5)
        ax.annotate(f"H ({h['kind'][:3]}) {h['value']:.4g}", (h["value"], h["V_mV"]), xytext=(4, -12),
                    textcoords="offset points", fontsize=8)
    for s in d["saddle_nodes"]:
        ax.plot(s["value"], s["V_mV"], "s", color="k", ms=5)
        ax.annotate(f"SN {s['value']:.4g}", (s["value"], s["V_mV"]), xytext=(4, 4), textcoords="offset points",
                    fontsize=8)
    ax.set_xlabel(d["parameter"])
    ax.set_ylabel("V (mV)")
    ax.set_xlim(d["from"], d["to"])
    ax.set_title(f"{d['model']}: equilibria against {d['parameter']} at I = {d['I_uA_cm2']:g} µA/cm² "
                 "(stable solid, unstable dashed)", fontsize=10)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig
