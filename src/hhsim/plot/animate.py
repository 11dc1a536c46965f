"""Animated action potential: the V trace drawn progressively as time advances.

Uses matplotlib's object API (``Figure`` + ``FigureCanvasAgg``) and a movie
writer driven frame by frame; no ``pyplot`` state.  GIFs are written with
Pillow, MP4 with ffmpeg (only when the ``ffmpeg`` program is installed).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..errors import OutputError
from ..io import atomic_write, check_writable
from ..validate import file_path

#: Suffixes ``animate_result`` can write.
ANIMATION_SUFFIXES = (".gif", ".mp4")

#: At most this many (t, V) points are drawn, whatever the run length.
MAX_TRACE_POINTS = 4000

_V_COLOR = "#1f3b73"
_REST_COLOR = "0.45"
_STIM_COLOR = "#2c7f3f"


def animate_result(result, path: str | Path, *, fps: int = 20, seconds: float = 4.0,
                   dpi: int = 80) -> Path:
    """Write an animation of the membrane potential of ``result`` to ``path``.

    The axes are fixed over the whole run (time in ms, V in mV); each frame
    extends the V trace up to the frame's time.  The resting potential
    ``result.v_rest`` (mV) is a labelled dashed line; while the stimulus is on
    (non-zero current in µA/cm², or a command voltage away from its holding
    value under clamp) a shaded band grows and a "stimulus on" label shows.

    Parameters
    ----------
    result : hhsim.Result
    path : ``.gif`` (Pillow) or ``.mp4`` (needs the ``ffmpeg`` program).
    fps : frames per second of the movie.
    seconds : movie duration (s); the movie has ``round(fps * seconds)`` frames
        (80 by default), independent of the length of the simulation.
    dpi : dots per inch; the figure is 7 x 4 inches (560 x 320 pixels at 80 dpi).

    Returns
    -------
    pathlib.Path of the written file (written atomically: all or nothing).

    Raises
    ------
    OutputError : unsupported suffix, ffmpeg missing for ``.mp4``, bad
        ``fps``/``seconds``/``dpi``, missing directory or unwritable file.
    """
    path = file_path(path, "an animation's file name", error=OutputError, example="out.gif")
    writer_factory = _writer_factory(path, fps)
    n_frames = _frame_count(fps, seconds, dpi)
    check_writable(path)  # fail before rendering any frame
    anim = _Animation.build(result, n_frames)

    def write(tmp: str) -> None:
        writer = writer_factory()
        try:
            with writer.saving(anim.fig, tmp, dpi):
                for i in range(n_frames):
                    anim.update(i)
                    writer.grab_frame()
        except subprocess.CalledProcessError as exc:
            raise OutputError(f"cannot write {str(path)!r}: ffmpeg failed ({exc})") from None

    atomic_write(path, write)
    return path


# ---------------------------------------------------------------- checks
def _writer_factory(path: Path, fps: int):
    """A zero-argument callable making the movie writer for ``path``'s suffix."""
    suffix = path.suffix.lower()
    if suffix == ".gif":
        return lambda: PillowWriter(fps=fps)
    if suffix == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise OutputError(
                f"cannot write {path.name}: ffmpeg is not installed; use a .gif file name"
            )
        # matplotlib pads h264 frames to even sizes and selects yuv420p itself.
        return lambda: FFMpegWriter(fps=fps, codec="h264")
    raise OutputError(f"cannot write {str(path)!r}: use a .gif or .mp4 file name")


def _frame_count(fps, seconds, dpi) -> int:
    if not (fps > 0) or not (seconds > 0) or not (dpi > 0):
        raise OutputError(
            f"animation needs fps > 0, seconds > 0 and dpi > 0 (got {fps}, {seconds}, {dpi})"
        )
    return max(2, int(round(fps * seconds)))


# ---------------------------------------------------------------- data helpers
def decimate(t: np.ndarray, v: np.ndarray, max_points: int = MAX_TRACE_POINTS):
    """Reduce (t, v) to at most ~``max_points`` points, keeping each bucket's min and max.

    Unlike a plain stride this never clips spike peaks or troughs.
    """
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    n_buckets = max_points // 2
    if t.size <= max_points or n_buckets < 1:
        return t, v
    edges = np.linspace(0, t.size, n_buckets + 1).astype(int)
    keep = [0, t.size - 1]
    for lo, hi in zip(edges[:-1], edges[1:]):
        seg = v[lo:hi]
        keep += [lo + int(np.argmin(seg)), lo + int(np.argmax(seg))]
    idx = np.unique(keep)
    return t[idx], v[idx]


def stimulus_intervals(result) -> list[tuple[float, float, float]]:
    """(start ms, stop ms, amplitude) of each stretch where the stimulus is on.

    "On" means a non-zero current (µA/cm²), or under clamp a command voltage
    (mV) different from the holding value ``stimulus[0]``.  The stop time is
    the first sample where it is off again (beyond ``t[-1]`` if it never is).
    The amplitude is the value of largest magnitude within the stretch.
    """
    t = np.asarray(result.t, dtype=float)
    s = np.asarray(result.stimulus, dtype=float)
    base = s[0] if result.clamped else 0.0
    scale = max(1.0, float(np.max(np.abs(s - base))))
    on = np.abs(s - base) > 1e-9 * scale
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    starts = list(edges[~on[edges]] + 1) if edges.size else []
    stops = list(edges[on[edges]] + 1) if edges.size else []
    if on[0]:
        starts.insert(0, 0)
    if on[-1]:
        stops.append(t.size)  # still on at the end of the run
    out = []
    for a, b in zip(starts, stops):
        seg = s[a:b] - base
        amp = float(s[a + int(np.argmax(np.abs(seg)))])
        stop = float(t[b]) if b < t.size else float(t[-1]) + 1.0 + abs(float(t[-1]))
        out.append((float(t[a]), stop, amp))
    return out


# ---------------------------------------------------------------- the artist set
@dataclass
class _Animation:
    """The figure and the artists that change from frame to frame."""

    fig: Figure
    frame_times: np.ndarray
    t: np.ndarray
    v: np.ndarray
    trace: object
    head: object
    clock: object
    stim_label: object
    bands: list
    intervals: list
    clamped: bool

    @classmethod
    def build(cls, result, n_frames: int) -> "_Animation":
        t, v = decimate(result.t, result.v)
        fig = Figure(figsize=(7.0, 4.0))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        t0, t1 = float(result.t[0]), float(result.t[-1])
        ax.set_xlim(t0, t1)
        ax.set_ylim(*_v_limits(result))
        ax.set_xlabel("time (ms)", fontsize=10)
        ax.set_ylabel("V (mV)", fontsize=10)
        ax.tick_params(labelsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        name = getattr(result.model, "name", str(result.model))
        stimulus = result.meta.get("stimulus")
        fig.suptitle(f"{name} action potential" + (f" — {stimulus}" if stimulus else ""),
                     fontsize=11)

        ax.axhline(result.v_rest, color=_REST_COLOR, ls="--", lw=1.0, zorder=1)
        ax.annotate(f"rest {result.v_rest:.1f} mV", xy=(1.0, result.v_rest),
                    xycoords=("axes fraction", "data"), xytext=(-4, 4),
                    textcoords="offset points", ha="right", va="bottom",
                    fontsize=9, color=_REST_COLOR)

        intervals = stimulus_intervals(result)
        bands = []
        for start, _stop, _amp in intervals:
            band = Rectangle((start, 0.0), 0.0, 1.0, transform=ax.get_xaxis_transform(),
                             color=_STIM_COLOR, alpha=0.12, lw=0, zorder=0)
            ax.add_patch(band)
            bands.append(band)

        (trace,) = ax.plot([], [], color=_V_COLOR, lw=1.5, zorder=3)
        (head,) = ax.plot([], [], "o", color=_V_COLOR, ms=5, zorder=4)
        # Both labels sit just above the plotting area so they never hide the trace.
        clock = ax.text(1.0, 1.02, "", transform=ax.transAxes, ha="right", va="bottom",
                        fontsize=10, family="monospace")
        stim_label = ax.text(0.0, 1.02, "", transform=ax.transAxes, ha="left", va="bottom",
                             fontsize=10, color=_STIM_COLOR, fontweight="bold")
        fig.tight_layout()
        return cls(fig, np.linspace(t0, t1, n_frames), t, v, trace, head, clock,
                   stim_label, bands, intervals, bool(result.clamped))

    def update(self, i: int) -> None:
        """Show the run up to the time of frame ``i`` (ms)."""
        now = float(self.frame_times[i])
        k = max(1, int(np.searchsorted(self.t, now, side="right")))
        self.trace.set_data(self.t[:k], self.v[:k])
        self.head.set_data([self.t[k - 1]], [self.v[k - 1]])
        self.clock.set_text(f"t = {now:6.1f} ms")
        active = None
        for band, (start, stop, amp) in zip(self.bands, self.intervals):
            band.set_width(float(np.clip(now - start, 0.0, stop - start)))
            if start <= now < stop:
                active = amp
        self.stim_label.set_text("" if active is None else self._stim_text(active))

    def _stim_text(self, amp: float) -> str:
        if self.clamped:
            return f"command on: {amp:g} mV"
        return f"stimulus on: {amp:g} µA/cm²"


def _v_limits(result) -> tuple[float, float]:
    """Fixed V axis (mV) covering the whole trace and the resting potential."""
    lo = min(float(np.min(result.v)), float(result.v_rest))
    hi = max(float(np.max(result.v)), float(result.v_rest))
    pad = max(5.0, 0.08 * (hi - lo))
    return lo - pad, hi + pad
