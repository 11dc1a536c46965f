"""Figures of the channel-noise protocols (:mod:`hhsim.analysis.channel_noise`).

Each function returns a matplotlib ``Figure`` (object API) and, given ``path``,
writes it atomically (.png, .svg or .pdf); results are read by their attributes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .protocols import _finish, _new

_COL = {"fluctuating": "#d95f02", "constant": "#1f3b73"}


def plot_spontaneous_rate(result, path=None) -> Figure:
    """Spontaneous rate (log scale, with standard errors) and ISI CV against membrane area."""
    fig = _new((7.5, 4.2), path)
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    a, r, se = result.areas_um2, result.rate_hz, result.rate_se_hz
    pos = r > 0
    ax.errorbar(a[pos], r[pos], yerr=np.minimum(se[pos], 0.999 * r[pos]), fmt="o-", color="#1f3b73", ms=4,
                capsize=2, label=f"{result.method}, {result.counts.shape[1]} x {result.t_stop_ms:g} ms")
    if (~pos).any():
        ax.plot(a[~pos], np.full((~pos).sum(), 0.5 / (result.t_stop_ms / 1000.0 * result.counts.shape[1])), "v",
                color="0.5", label="no spike (below the marker)")
    if result.efold_area_um2 is not None and pos.sum() >= 2:
        slope = -1.0 / result.efold_area_um2
        icpt = np.mean(np.log(r[pos]) - slope * a[pos])
        xx = np.linspace(a[pos].min(), a[pos].max(), 50)
        ax.plot(xx, np.exp(icpt + slope * xx), "--", color="#d62728", lw=1,
                label=f"exp fit: e-fold per {result.efold_area_um2:.3g} µm²")
    ax.set_yscale("log")
    ax.set_xlabel("membrane area (µm²)")
    ax.set_ylabel("spontaneous rate (Hz)")
    dens = ", ".join(f"{k} {v:g}" for k, v in result.density_per_um2.items())
    ax.set_title(f"{result.model.name} at rest, {dens} channels/µm²", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ok = np.isfinite(result.cv_isi)
    bx.plot(a[ok], result.cv_isi[ok], "s-", color="#1b9e77", ms=4)
    bx.axhline(1.0, color="0.6", lw=0.8, ls=":")
    bx.set_xlabel("membrane area (µm²)")
    bx.set_ylabel("CV of interspike intervals")
    bx.set_ylim(bottom=0)
    return _finish(fig, path)


def plot_reliability(result, path=None) -> Figure:
    """Reliability and jitter against area for both stimuli, and a raster of the smallest area."""
    fig = _new((10.0, 4.2), path)
    ax, bx, cx = fig.subplots(1, 3)
    for k, s in enumerate(result.stimuli):
        ax.plot(result.areas_um2, result.reliability[:, k], "o-", color=_COL.get(s), ms=4, label=s)
        bx.plot(result.areas_um2, result.jitter_ms[:, k], "o-", color=_COL.get(s), ms=4, label=s)
    for x in (ax, bx):
        x.set_xscale("log")
        x.set_xlabel("membrane area (µm²)")
        x.legend(frameon=False, fontsize=8)
    ax.set_ylabel("reliability (fraction of trials)")
    ax.set_ylim(0, 1.05)
    bx.set_ylabel("jitter (ms, s.d. of spike time)")
    bx.set_ylim(bottom=0)
    ax.set_title(f"{result.model.name}, {result.trials} trials, {result.method}", fontsize=10)
    for k, s in enumerate(result.stimuli):
        trials = result.spike_times[k][0]
        off = k * (len(trials) + 3)
        for j, st in enumerate(trials):
            cx.plot(st, np.full(st.size, off + j), "|", color=_COL.get(s), ms=4)
        cx.plot(result.events_ms[k], np.full(len(result.events_ms[k]), off - 1.5), "v", color="k", ms=3)
    cx.set_xlabel("time (ms)")
    cx.set_ylabel("trial (fluctuating below, constant above)")
    cx.set_title(f"{result.areas_um2[0]:g} µm² (triangles: deterministic spikes)", fontsize=10)
    return _finish(fig, path)
