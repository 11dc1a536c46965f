"""Pictures of a cable simulation: the space-time plot (kymograph) of V(x, t),
voltage traces at several positions, and an animation of the spike
travelling along the axon.

matplotlib's object API only (``Figure`` + ``FigureCanvasAgg``, no pyplot);
files are written atomically.  Positions are path distances from the start
of the cable, shown in mm (or µm for cables shorter than 2 mm).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import OutputError
from ..io import atomic_write, check_writable
from ..validate import file_path

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
ANIMATION_SUFFIXES = (".gif", ".mp4")
_TRACE_COLORS = ("#1f3b73", "#2c7f3f", "#e66101", "#5e3c99", "#b2182b", "#1b9e77", "#7f7f7f")


def _scale(result) -> tuple[float, str]:
    """Divisor and unit for positions."""
    return (1000.0, "mm") if result.rec_dist.max() >= 2000.0 else (1.0, "µm")


def _ordered(result):
    order = np.argsort(result.rec_dist, kind="stable")
    return result.rec_dist[order], result.v[:, order]


def _draw_kymograph(ax, result, fig) -> None:
    div, unit = _scale(result)
    x, v = _ordered(result)
    mesh = ax.pcolormesh(result.t, x / div, v.T, shading="nearest", cmap="viridis", rasterized=True)
    cb = fig.colorbar(mesh, ax=ax, pad=0.01)
    cb.set_label("V (mV)")
    first = result.first_crossing
    ok = np.isfinite(first) & ~result.tree.junction
    if ok.any():
        ax.plot(first[ok], result.tree.dist[ok] / div, ".", ms=1.5, color="white", alpha=0.8,
                label="threshold crossing")
        ax.legend(loc="lower right", fontsize=8, framealpha=0.6)
    ax.set_ylabel(f"position ({unit})")
    ax.set_xlabel("time (ms)")
    ax.set_title("V(x, t)", fontsize=10)


def default_positions(result, n: int = 5) -> list[float]:
    """``n`` recorded positions (µm) spread along the cable."""
    x = np.unique(result.rec_dist)
    idx = np.unique(np.round(np.linspace(0, x.size - 1, min(n, x.size))).astype(int))
    return [float(x[i]) for i in idx]


def _draw_traces(ax, result, positions) -> None:
    div, unit = _scale(result)
    for k, p in enumerate(positions):
        col = int(np.argmin(np.abs(result.rec_dist - p)))
        ax.plot(result.t, result.v[:, col], color=_TRACE_COLORS[k % len(_TRACE_COLORS)], lw=1.2,
                label=f"{result.rec_dist[col] / div:.3g} {unit}")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV)")
    ax.legend(loc="upper right", fontsize=8, title="position", title_fontsize=8)
    ax.grid(alpha=0.25)


def _title(result) -> str:
    s = result.summary()
    parts = [f"{s['model']} cable, {s['n_compartments']} compartments, {s['temperature_C']:g} °C"]
    v = s.get("velocity_m_s")
    if v is not None:
        parts.append(f"velocity {v:.4g} m/s")
    parts.append("propagated" if s["propagated"] else "did not propagate")
    return "; ".join(parts)


def plot_kymograph(result, path: str | Path | None = None) -> Figure:
    """The space-time plot of V(x, t); written atomically when ``path`` is given."""
    fig = _figure(path, (8.0, 4.5))
    ax = fig.subplots()
    _draw_kymograph(ax, result, fig)
    fig.suptitle(_title(result), fontsize=10)
    return _finish(fig, path)


def plot_traces(result, positions=None, path: str | Path | None = None) -> Figure:
    """V(t) at several positions (µm; default five spread along the cable)."""
    fig = _figure(path, (8.0, 4.0))
    ax = fig.subplots()
    _draw_traces(ax, result, default_positions(result) if positions is None else positions)
    fig.suptitle(_title(result), fontsize=10)
    return _finish(fig, path)


def plot_cable(result, path: str | Path | None = None, positions=None) -> Figure:
    """Kymograph above, traces at several positions below (``hhsim cable --plot``)."""
    fig = _figure(path, (8.0, 8.0))
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1.3, 1]})
    _draw_kymograph(top, result, fig)
    _draw_traces(bottom, result, default_positions(result) if positions is None else positions)
    bottom.set_xlim(top.get_xlim())
    fig.suptitle(_title(result), fontsize=10)
    return _finish(fig, path)


def _figure(path, size) -> Figure:
    if path is not None:
        _suffix(path, FIGURE_SUFFIXES)
        check_writable(path)
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, path) -> Figure:
    if path is not None:
        fmt = file_path(path, "a figure's file name", error=OutputError, example="out.png").suffix.lower()[1:]
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt))
    return fig


def _suffix(path, allowed) -> str:
    suffix = file_path(path, "an output file name", error=OutputError).suffix.lower()
    if suffix not in allowed:
        raise OutputError(f"cannot write {str(path)!r}: use a {' or '.join(allowed)} file name")
    return suffix


def animate_cable(result, path: str | Path, *, fps: int = 20, seconds: float = 4.0, dpi: int = 80) -> Path:
    """An animation of V along the cable over time: the spike travelling.

    Each frame draws V(x) at one time (``round(fps * seconds)`` frames spread
    over the run) with the trail of the peak so far; GIF via Pillow, MP4 via
    ffmpeg when installed.
    """
    path = file_path(path, "an animation's file name", error=OutputError, example="out.gif")
    suffix = _suffix(path, ANIMATION_SUFFIXES)
    if not (fps > 0 and seconds > 0 and dpi > 0):
        raise OutputError(f"animation needs fps, seconds and dpi > 0 (got {fps}, {seconds}, {dpi})")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise OutputError(f"cannot write {path.name}: ffmpeg is not installed; use a .gif file name")
    check_writable(path)
    n_frames = max(2, int(round(fps * seconds)))
    div, unit = _scale(result)
    x, v = _ordered(result)
    frames = np.unique(np.round(np.linspace(0, len(result.t) - 1, n_frames)).astype(int))
    fig = Figure(figsize=(7.0, 3.6), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    pad = 0.05 * max(hi - lo, 1.0)
    ax.set_xlim(x[0] / div, x[-1] / div)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel(f"position ({unit})")
    ax.set_ylabel("V (mV)")
    ax.grid(alpha=0.25)
    rest = float(np.median(result.v_rest[result.rec_nodes]))
    ax.axhline(rest, color="0.5", ls="--", lw=0.8)
    (peak_line,) = ax.plot([], [], color="#e66101", lw=0.8, alpha=0.6, label="peak so far")
    (line,) = ax.plot([], [], color="#1f3b73", lw=1.6, label="V(x)")
    label = ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)

    def write(tmp: str) -> None:
        writer = PillowWriter(fps=fps) if suffix == ".gif" else FFMpegWriter(fps=fps, codec="h264")
        peak = np.full(x.size, -np.inf)
        last = 0
        try:
            with writer.saving(fig, tmp, dpi):
                for i in frames:
                    peak = np.maximum(peak, v[last:i + 1].max(axis=0))
                    last = i + 1
                    line.set_data(x / div, v[i])
                    peak_line.set_data(x / div, peak)
                    label.set_text(f"t = {result.t[i]:.2f} ms")
                    writer.grab_frame()
        except subprocess.CalledProcessError as exc:
            raise OutputError(f"cannot write {str(path)!r}: ffmpeg failed ({exc})") from None

    atomic_write(path, write)
    return path
