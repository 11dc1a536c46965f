"""Network figures: a raster with population rates and voltage traces, and a GIF of the activity."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..errors import OutputError  # noqa: E402
from ..io import atomic_write  # noqa: E402
from ..validate import file_path  # noqa: E402

_COLOURS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def _offsets(result) -> dict[str, int]:
    out, k = {}, 0
    for name, n in result.sizes.items():
        out[name] = k
        k += n
    return out


def _bin_ms(result) -> float:
    return max(result.dt, min(2.0, result.t_stop / 200.0))


def draw_raster(ax, result, t_max: float | None = None) -> None:
    """Spikes as dots, one row per neuron, populations stacked and coloured."""
    offsets = _offsets(result)
    for k, (name, (idx, t)) in enumerate(result.spikes.items()):
        sel = t <= t_max if t_max is not None else slice(None)
        ax.plot(t[sel], idx[sel] + offsets[name], ".", ms=1.5 if idx.size > 2000 else 3,
                color=_COLOURS[k % len(_COLOURS)], label=name, rasterized=True)
    ax.set_xlim(0, result.t_stop)
    ax.set_ylim(-0.5, sum(result.sizes.values()) - 0.5)
    ax.set_ylabel("neuron")
    if len(result.spikes) <= 8:
        ax.legend(loc="upper right", fontsize=7, markerscale=3, frameon=False)


def plot_network(result, path: str | Path | None = None, max_traces: int = 3):
    """Raster (top), population rates (middle) and up to ``max_traces`` recorded V traces (bottom)."""
    has_v = bool(result.v)
    fig, axes = plt.subplots(3 if has_v else 2, 1, sharex=True, figsize=(9, 7 if has_v else 5),
                             gridspec_kw={"height_ratios": [3, 1.2, 1.5] if has_v else [3, 1.2]})
    draw_raster(axes[0], result)
    axes[0].set_title(f"{sum(result.sizes.values())} neurons, {result.n_synapses} synapses, "
                      f"{result.method} dt = {result.dt:g} ms")
    bin_ms = _bin_ms(result)
    for k, name in enumerate(result.spikes):
        c, r = result.population_rate(name, bin_ms)
        axes[1].plot(c, r, color=_COLOURS[k % len(_COLOURS)], lw=1, label=name)
    axes[1].set_ylabel(f"rate (Hz)\n{bin_ms:g} ms bins")
    if has_v:
        shown = 0
        for k, (name, v) in enumerate(result.v.items()):
            for q in range(v.shape[1]):
                if shown >= max_traces:
                    break
                axes[2].plot(result.t, v[:, q], lw=0.8, color=_COLOURS[(k + q) % len(_COLOURS)],
                             label=f"{name}[{result.recorded[name][q]}]")
                shown += 1
        axes[2].set_ylabel("V (mV)")
        axes[2].legend(loc="upper right", fontsize=7, frameon=False)
    axes[-1].set_xlabel("time (ms)")
    fig.tight_layout()
    if path is not None:
        path = file_path(path, "a figure's file name", error=OutputError, example="out.png")
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format=path.suffix.lstrip(".").lower()))
        plt.close(fig)
    return fig


def animate_network(result, path: str | Path, frames: int = 60, fps: int = 15) -> Path:
    """A GIF of the activity: the raster and rates drawn as time advances."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    path = file_path(path, "an animation's file name", error=OutputError, example="out.gif")
    fig, (ax_r, ax_p) = plt.subplots(2, 1, sharex=True, figsize=(7, 5), gridspec_kw={"height_ratios": [3, 1.2]})
    bin_ms = _bin_ms(result)
    rates = {name: result.population_rate(name, bin_ms) for name in result.spikes}
    top = max([float(r.max()) for _, r in rates.values()] + [1.0])
    times = np.linspace(result.t_stop / frames, result.t_stop, frames)

    def draw(k):
        ax_r.clear()
        ax_p.clear()
        draw_raster(ax_r, result, times[k])
        ax_r.axvline(times[k], color="0.3", lw=0.8)
        ax_r.set_title(f"t = {times[k]:.1f} ms")
        for j, (name, (c, r)) in enumerate(rates.items()):
            sel = c <= times[k]
            ax_p.plot(c[sel], r[sel], color=_COLOURS[j % len(_COLOURS)], lw=1)
        ax_p.set_xlim(0, result.t_stop)
        ax_p.set_ylim(0, top * 1.05)
        ax_p.set_ylabel("rate (Hz)")
        ax_p.set_xlabel("time (ms)")

    anim = FuncAnimation(fig, draw, frames=frames)
    atomic_write(path, lambda tmp: anim.save(tmp, writer=PillowWriter(fps=fps)))
    plt.close(fig)
    return path
