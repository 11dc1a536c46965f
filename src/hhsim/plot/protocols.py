"""Figures of the electrophysiology protocols (:mod:`hhsim.analysis`).

One function per protocol result; each returns a matplotlib ``Figure``
(object API only, never ``pyplot``) and, given ``path``, writes it
atomically (.png, .svg or .pdf).  Labels are plain text with units.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import OutputError
from ..io import atomic_write, check_writable
from ..validate import file_path

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
_V = "#1f3b73"
_BELOW = "0.55"
_ABOVE = "#d62728"
_STIM = "#2c7f3f"
_UP = "#d95f02"
_DOWN = "#7570b3"
_REST = "#1b9e77"
_CH = {"Na": "#d62728", "K": "#1f77b4", "L": "#7f7f7f"}


def _new(figsize, path):
    if path is not None:
        check_figure_path(path)
    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def check_figure_path(path) -> Path:
    """Refuse a bad suffix or an unwritable place before any work is done."""
    p = file_path(path, "a figure's file name", error=OutputError, example="out.png")
    if p.suffix.lower() not in FIGURE_SUFFIXES:
        raise OutputError(f"cannot write {str(p)!r}: use a .png, .svg or .pdf file name")
    return check_writable(p)


def _finish(fig, path):
    for ax in fig.get_axes():
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.grid(True, color="0.92", lw=0.6)
        ax.set_axisbelow(True)
    fig.tight_layout()
    if path is not None:
        p = check_figure_path(path)
        fmt = p.suffix.lower()[1:]
        atomic_write(p, lambda tmp: fig.savefig(tmp, format=fmt, bbox_inches="tight"))
    return fig


def _model_label(result) -> str:
    m = result.model
    return f"{m.name}, {m.temperature:g} °C"


# ------------------------------------------------------------------ thresholds
def plot_threshold(result, path=None) -> Figure:
    """Rheobase / pulse threshold / anode break: V just below and just above threshold, and the current."""
    fig = _new((7.5, 6.0), path)
    ax_v, ax_i = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
    lo, hi = result.bracket_uA_cm2
    ax_v.plot(result.t_ms, result.v_below_mV, color=_BELOW, lw=1.3,
              label=f"{result.polarity * lo:.4g} µA/cm² (no spike)")
    ax_v.plot(result.t_ms, result.v_above_mV, color=_ABOVE, lw=1.3,
              label=f"{result.polarity * hi:.4g} µA/cm² (spike)")
    ax_v.axhline(result.model.spike_threshold, color="0.8", ls=":", lw=1.0, label="spike threshold")
    ax_v.set_ylabel("V (mV)")
    ax_v.legend(loc="upper right", frameon=False, fontsize=8)
    ax_i.plot(result.t_ms, result.i_below_uA_cm2, color=_BELOW, lw=1.2, drawstyle="steps-post")
    ax_i.plot(result.t_ms, result.i_above_uA_cm2, color=_ABOVE, lw=1.2, drawstyle="steps-post")
    ax_i.set_ylabel("I (µA/cm²)")
    ax_i.set_xlabel("time (ms)")
    name = {"rheobase": "Rheobase", "pulse threshold": "Pulse threshold",
            "anode break": "Anode-break threshold"}[result.kind]
    what = f"{result.pulse_dur_ms:g} ms {'hyperpolarising step' if result.polarity < 0 else ('step' if result.kind == 'rheobase' else 'pulse')}"
    fig.suptitle(f"{name}: {result.threshold_uA_cm2:.4g} µA/cm² ({what}; {_model_label(result)})", fontsize=11)
    return _finish(fig, path)


def plot_strength_duration(result, path=None) -> Figure:
    """Threshold against pulse duration on log-log axes, with the fitted laws, rheobase and chronaxie."""
    fig = _new((7.0, 5.0), path)
    ax = fig.subplots()
    d, i = result.durations_ms, result.thresholds_uA_cm2
    ax.loglog(d, i, "o", color="k", ms=5, label="threshold (simulated)", zorder=3)
    dd = np.geomspace(d.min(), d.max(), 200)
    styles = {"weiss": ("#1f77b4", "-"), "lapicque": ("#d62728", "--")}
    for name, fit in result.fits.items():
        c, ls = styles.get(name, ("0.4", "-"))
        ax.loglog(dd, fit.predict(dd), color=c, ls=ls, lw=1.3,
                  label=f"{name.capitalize()}: rheobase {fit.rheobase_uA_cm2:.3g} µA/cm², "
                        f"chronaxie {fit.chronaxie_ms:.3g} ms")
    ax.axhline(result.rheobase_uA_cm2, color="0.5", ls=":", lw=1.0)
    ax.axhline(2 * result.rheobase_uA_cm2, color="0.75", ls=":", lw=1.0)
    ax.axvline(result.chronaxie_ms, color="0.5", ls=":", lw=1.0)
    ax.set_xlabel("pulse duration (ms)")
    ax.set_ylabel("threshold current (µA/cm²)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Strength-duration curve ({_model_label(result)}; reported: {result.law})", fontsize=11)
    return _finish(fig, path)


# ------------------------------------------------------------------ f-I
def plot_fi(result, path=None) -> Figure:
    """Rates from rest and along the up and down sweeps, with the bistable range shaded."""
    fig = _new((7.0, 5.0), path)
    ax = fig.subplots()
    c = result.currents_uA_cm2
    br = result.bistable_range_uA_cm2
    if br is not None:
        ax.axvspan(br[0], br[1], color="#fdd49e", alpha=0.6, lw=0,
                   label=f"bistable: {br[0]:.3g}-{br[1]:.3g} µA/cm²")
    ax.plot(c, result.rates_hz, "o", color=_REST, ms=4, label="from rest")
    ax.plot(c, result.rates_up_hz, "^-", color=_UP, ms=4, lw=1.0, label="sweep up (continuation)")
    ax.plot(c, result.rates_down_hz, "v--", color=_DOWN, ms=4, lw=1.0, label="sweep down (continuation)")
    ax.set_xlabel("injected current (µA/cm²)")
    ax.set_ylabel("steady firing rate (Hz)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_title(f"f-I curve ({_model_label(result)}, {result.dur_ms:g} ms per current)", fontsize=11)
    return _finish(fig, path)


# ------------------------------------------------------------------ refractoriness
def plot_refractory(result, path=None) -> Figure:
    """Paired-pulse responses at a few intervals and the recovery of the threshold."""
    fig = _new((7.5, 7.0), path)
    ax_v, ax_r = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1.2, 1]})
    t0 = result.delay_ms
    ax_v.plot(result.t_ms - t0, result.v_mV, color="k", lw=1.4, label="conditioning spike")
    picks = np.unique(np.linspace(0, result.intervals_ms.size - 1, 6).round().astype(int))
    cmap = _colors(len(picks))
    for color, k in zip(cmap, picks):
        x = result.intervals_ms[k]
        ax_v.plot(result.test_t_ms + x, result.test_v_mV[k], color=color, lw=1.0,
                  label=f"test at {x:g} ms")
    ax_v.set_xlim(-2, min(result.intervals_ms.max() + 10, result.t_ms[-1] - t0))
    ax_v.set_xlabel("time from the conditioning pulse (ms)")
    ax_v.set_ylabel("V (mV)")
    ax_v.legend(frameon=False, fontsize=7, ncol=2, loc="upper right")
    ratio = np.asarray(result.threshold_ratio, dtype=float)
    ok = np.isfinite(ratio)
    if result.absolute_ms is not None:
        ax_r.axvspan(0, result.absolute_ms, color="0.6", alpha=0.5, lw=0,
                     label=f"absolute: {result.absolute_ms:.3g} ms")
        ax_r.axvspan(result.absolute_ms, result.relative_ms, color="0.85", alpha=0.6, lw=0,
                     label=f"relative: up to {result.relative_ms:.3g} ms")
    ax_r.semilogy(result.intervals_ms[ok], ratio[ok], "o-", color=_ABOVE, ms=4, lw=1.2,
                  label="second-pulse threshold / single-pulse threshold")
    ax_r.axhline(1.0, color="0.4", lw=0.8)
    ax_r.axhline(1.0 + result.relative_tolerance, color="0.4", ls=":", lw=0.8)
    ax_r.axhline(result.max_factor, color="0.4", ls="--", lw=0.8)
    ax_r.set_xlim(0, result.intervals_ms.max() * 1.02)
    ax_r.set_xlabel("interval between pulse onsets (ms)")
    ax_r.set_ylabel("threshold ratio")
    ax_r.legend(frameon=False, fontsize=8)
    fig.suptitle(f"Refractoriness ({_model_label(result)}; {result.pulse_dur_ms:g} ms pulses, "
                 f"T1 = {result.single_threshold_uA_cm2:.4g} µA/cm²)", fontsize=11)
    return _finish(fig, path)


# ------------------------------------------------------------------ voltage clamp
def plot_vclamp(result, path=None) -> Figure:
    """Hodgkin-Huxley style: command, total current, the separated channel currents, I-V and gating curves."""
    fig = _new((12.0, 7.5), path)
    axes = fig.subplots(2, 3)
    t = result.t_ms
    colors = _colors(result.steps_mV.size)
    gated = [ch.name for ch in result.model.channels if ch.gates]
    shown = sorted(gated, key=lambda k: -np.max(np.abs(result.peak_currents[k])))[:2]
    ax = axes[0, 0]
    for k, c in enumerate(colors):
        ax.plot(t, result.v_m_mV[k], color=c, lw=1.0)
    ax.set_ylabel("V_m (mV)" if not result.ideal else "V_cmd (mV)")
    ax.set_title("command" + ("" if result.ideal else f" and membrane (R_s = {result.series_resistance_ohm_cm2:g} Ω·cm²)"),
                 fontsize=10)
    ax = axes[0, 1]
    for k, c in enumerate(colors):
        ax.plot(t, result.i_total_uA_cm2[k], color=c, lw=1.0)
    ax.set_title("total ionic current", fontsize=10)
    ax.set_ylabel("I (µA/cm²)")
    for ax, name in zip((axes[0, 2], axes[1, 0]), shown + [None] * (2 - len(shown))):
        if name is None:
            ax.set_visible(False)
            continue
        for k, c in enumerate(colors):
            ax.plot(t, result.currents[name][k], color=c, lw=1.0)
        ax.set_title(f"I_{name}", fontsize=10)
        ax.set_ylabel("I (µA/cm²)")
    for ax in (axes[0, 0], axes[0, 1], axes[0, 2], axes[1, 0]):
        ax.set_xlabel("time (ms)")
    ax = axes[1, 1]
    v = result.steps_mV
    ax.plot(v, result.peak_inward_uA_cm2, "o-", color=_ABOVE, ms=4, lw=1.2, label="peak inward")
    ax.plot(v, result.steady_state_uA_cm2, "s-", color="#1f77b4", ms=4, lw=1.2, label="steady state")
    for name in shown:
        ax.plot(v, result.peak_currents[name], ":", color=_CH.get(name, "0.4"), lw=1.0, label=f"peak I_{name}")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("command potential (mV)")
    ax.set_ylabel("I (µA/cm²)")
    ax.set_title("I-V", fontsize=10)
    ax.legend(frameon=False, fontsize=7)
    ax = axes[1, 2]
    vv = np.linspace(v.min(), v.max(), 200)
    for name, values in result.activation.items():
        fit = result.activation_fits.get(name)
        ax.plot(v, values, "o", color=_CH.get(name, "0.4"), ms=4, label=f"{name} activation")
        if fit is not None:
            ax.plot(vv, fit(vv), "-", color=_CH.get(name, "0.4"), lw=1.0,
                    label=f"Boltzmann V½ {fit.v_half_mV:.1f}, k {fit.slope_mV:.1f} mV")
    if result.inactivation_prepulses_mV is not None:
        pv = result.inactivation_prepulses_mV
        pp = np.linspace(pv.min(), pv.max(), 200)
        for name, values in result.inactivation.items():
            fit = result.inactivation_fits.get(name)
            ax.plot(pv, values, "s", mfc="none", color=_CH.get(name, "0.4"), ms=4,
                    label=f"{name} inactivation (prepulse)")
            if fit is not None:
                ax.plot(pp, fit(pp), "--", color=_CH.get(name, "0.4"), lw=1.0,
                        label=f"Boltzmann V½ {fit.v_half_mV:.1f}, k {fit.slope_mV:.1f} mV")
    ax.set_xlabel("V (mV)")
    ax.set_ylabel("fraction (1)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("steady-state activation and inactivation", fontsize=10)
    ax.legend(frameon=False, fontsize=6)
    fig.suptitle(f"Voltage clamp ({_model_label(result)}; hold {result.hold_mV:.1f} mV, "
                 f"{'ideal' if result.ideal else 'series-resistance'} clamp)", fontsize=11)
    return _finish(fig, path)


# ------------------------------------------------------------------ scan
def plot_scan(result, path=None) -> Figure:
    """The feature against the parameter (and the traces, for trace features)."""
    traces = result.v_mV is not None
    fig = _new((7.0, 7.5 if traces else 4.5), path)
    axes = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.2]}) if traces else [fig.subplots()]
    ax = axes[0]
    y = np.asarray(result.results, dtype=float)
    ax.plot(result.values, y, "o-", color=_V, ms=5, lw=1.3)
    ax.set_xlabel(result.param)
    unit = "" if result.unit == "1" else f" ({result.unit})"
    ax.set_ylabel(f"{result.measure}{unit}")
    ax.set_title(f"{result.measure} against {result.param} ({_model_label(result)})", fontsize=11)
    if traces:
        ax = axes[1]
        for c, (val, v) in zip(_colors(len(result.values)), zip(result.values, result.v_mV)):
            ax.plot(result.t_ms, v, color=c, lw=1.0, label=f"{result.param} = {val:.4g}")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("V (mV)")
        ax.set_title(result.stimulus, fontsize=9)
        if len(result.values) <= 12:
            ax.legend(frameon=False, fontsize=7, ncol=2)
    return _finish(fig, path)


def _colors(n: int):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.05, 0.9, max(n, 1))][:n]


def plot_protocol(result, path=None) -> Figure:
    """Dispatch: the figure of any protocol result (anything with a ``plot`` method)."""
    return result.plot(path)
