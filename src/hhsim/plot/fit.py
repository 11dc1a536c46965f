"""The report figure of a fit: data against fit for every sweep, the features, the convergence.

Layout: one panel per sweep (at most :data:`MAX_SWEEPS`, recorded in grey,
fitted model on top), then a panel with the best loss per generation (log
scale) and, for the features objective, a panel of each feature's relative
error per sweep.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .figures import save_figure

#: Sweeps drawn (the others are listed in the JSON report).
MAX_SWEEPS = 12
_DATA = "0.55"
_FIT = "#d62728"


def plot_fit(result, path: str | Path | None = None) -> Figure:
    """The report figure of a :class:`hhsim.fit.FitResult`; written atomically when ``path`` is given."""
    sweeps = result.sweeps[:MAX_SWEEPS]
    extra = 1 + (1 if result.features else 0)
    cols = 2 if len(sweeps) > 1 else 1
    rows = math.ceil((len(sweeps) + extra) / cols)
    fig = Figure(figsize=(5.2 * cols, 2.3 * rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, s, f in zip(axes, sweeps, result.fitted):
        ax.plot(s.t_ms, s.values, color=_DATA, lw=0.8, label="data")
        ax.plot(s.t_ms, f, color=_FIT, lw=0.9, label="fit")
        ax.set_title(s.label(), fontsize=9)
        ax.set_xlabel("t (ms)", fontsize=8)
        ax.set_ylabel("V (mV)" if s.unit == "mV" else "I (µA/cm²)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, frameon=False)
    k = len(sweeps)
    ax = axes[k]
    hist = np.asarray(result.history, dtype=float)
    ax.semilogy(np.arange(1, hist.size + 1), np.maximum(hist, 1e-300), color="#1f3b73")
    ax.set_xlabel("generation", fontsize=8)
    ax.set_ylabel("best loss", fontsize=8)
    text = ", ".join(f"{n} = {v:.4g} ± {result.uncertainty[n]:.2g}" for n, v in result.params.items())
    ax.set_title(text, fontsize=7, wrap=True)
    ax.tick_params(which="both", labelsize=7)
    used = k + 1
    if result.features:
        ax = axes[k + 1]
        _plot_features(ax, result.features)
        used += 1
    for ax in axes[used:]:
        ax.set_visible(False)
    if path is not None:
        save_figure(fig, path)
    return fig


def _plot_features(ax, features: list[dict]) -> None:
    """Relative error (fit - data) / |data| of each feature, one group of bars per feature."""
    names = list(features[0]["data"])
    width = 0.8 / max(1, len(features))
    for j, entry in enumerate(features):
        errs = []
        for n in names:
            d, f = entry["data"].get(n), entry["fit"].get(n)
            errs.append(np.nan if d is None or f is None else (f - d) / (abs(d) + 1e-12))
        ax.bar(np.arange(len(names)) + j * width, errs, width=width, label=entry["sweep"])
    ax.axhline(0.0, color="0.3", lw=0.6)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2)
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("(fit - data) / |data|", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, frameon=False)
